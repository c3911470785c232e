/**
 * WebAssembly SIMD versions of the encoder's hot paths, written here in the WebAssembly text
 * format's instructions and assembled at run time (wasm-assembler.ts): no C, no build step. Each
 * has a plain TypeScript reference that stays the encoder's definition and its fallback, and tests
 * hold the two to the same output (test/encoder/simd.test.ts). Some are single operations (SAD,
 * SATD, half-sample planes, transform and quantisation, deblocking edges); others are whole
 * macroblock steps made of them (a P macroblock up to its early P_Skip, a partition's vector
 * prediction and search, a 16x16 choice's coding and bits, CAVLC, the residuals, the commits, the
 * intra searches, a picture's deblocking). encoder/docs/simd.md lists them with the TypeScript
 * each replaces.
 *
 * The kernels work on one WebAssembly.Memory per encoder. Planes they read are allocated in it
 * (`alloc`) as ordinary Uint8Array views, so the TypeScript code around them reads and writes the
 * same samples without a copy; a view's byteOffset is its address for the kernels. The memory is
 * sized once and never grows, so the views stay valid for the encoder's life.
 */
import {
  COEFF_TOKEN_CHROMA_DC, COEFF_TOKEN_CODE, COEFF_TOKEN_LEN, RUN_BEFORE_CODE, RUN_BEFORE_LEN, TOTAL_ZEROS_CHROMA_DC_CODE,
  TOTAL_ZEROS_CHROMA_DC_LEN, TOTAL_ZEROS_CODE, TOTAL_ZEROS_LEN,
} from '../common/cavlc-tables.js';
import { ALPHA, BETA, TC0 } from '../common/deblock-tables.js';
import { CBP_INTER_TO_CODE_NUM, CBP_INTRA_TO_CODE_NUM } from '../common/cbp-tables.js';
import { CHROMA_QP, DEQUANT_4x4, QUANT_4x4, ZIGZAG_4x4 } from '../common/transform.js';
import { MbKind, TOP_RIGHT_INSIDE } from '../mb-state.js';
import { MvShape } from '../common/mv-pred.js';
import type { Picture } from '../common/picture.js';
import { assembleModule, type FunctionSource } from './wasm-assembler.js';

/** |a - b| of 16 bytes, a and b u8x16 on the stack in locals $x and $y. */
const ABSDIFF_U8 = 'local.get $x local.get $y i8x16.sub_sat_u local.get $y local.get $x i8x16.sub_sat_u v128.or';

/**
 * SAD of a w-wide block (a at stride $as, b at stride $bs), h rows, two rows per iteration (h is
 * even). Per row |a − b| by saturating differences both ways; byte pairs are summed into u16 lanes,
 * which hold at most 16 rows x 2 x 255.
 */
function sadSource(fnName: string, w: 16 | 8 | 4): FunctionSource {
  const load = w === 16 ? 'v128.load' : w === 8 ? 'v128.load64_zero' : 'v128.load32_zero';
  const row = (aAddr: string, bAddr: string): string => `
    ${aAddr} ${load} local.set $x
    ${bAddr} ${load} local.set $y
    ${ABSDIFF_U8} i16x8.extadd_pairwise_i8x16_u local.get $acc i16x8.add local.set $acc`;
  return {
    name: fnName,
    params: [['$a', 'i32'], ['$as', 'i32'], ['$b', 'i32'], ['$bs', 'i32'], ['$h', 'i32']],
    result: 'i32',
    locals: [['$x', 'v128'], ['$y', 'v128'], ['$acc', 'v128']],
    body: `
      loop $rows
        ${row('local.get $a', 'local.get $b')}
        ${row('local.get $a local.get $as i32.add', 'local.get $b local.get $bs i32.add')}
        local.get $a local.get $as i32.const 1 i32.shl i32.add local.set $a
        local.get $b local.get $bs i32.const 1 i32.shl i32.add local.set $b
        local.get $h i32.const 2 i32.sub local.tee $h
        br_if $rows
      end
      local.get $acc i32x4.extadd_pairwise_i16x8_u local.tee $acc i32x4.extract_lane 0
      local.get $acc i32x4.extract_lane 1 i32.add
      local.get $acc i32x4.extract_lane 2 i32.add
      local.get $acc i32x4.extract_lane 3 i32.add`,
  };
}

/** i16 lanes 1 0 3 2 5 4 7 6 (adjacent lanes swapped), as an i8x16.shuffle of one vector. */
const SWAP_1 = '2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13';
/** i16 lanes 2 3 0 1 6 7 4 5 (lane pairs swapped within each 4-lane group). */
const SWAP_2 = '4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11';

/**
 * The 4-point Hadamard across four i16x8 row vectors $<inp>0..$<inp>3, lane by lane, into
 * $<out>0..$<out>3 in transform.ts hadamard4x4's order: (x0 + x1) + (x2 + x3),
 * (x0 + x1) − (x2 + x3), (x0 − x1) − (x2 − x3), (x0 − x1) + (x2 − x3). Uses $s01 $m01 $s23 $m23,
 * so inp may be out.
 */
function hadamardColumns(inp: string, out: string): string {
  return `
  local.get $${inp}0 local.get $${inp}1 i16x8.add local.set $s01
  local.get $${inp}0 local.get $${inp}1 i16x8.sub local.set $m01
  local.get $${inp}2 local.get $${inp}3 i16x8.add local.set $s23
  local.get $${inp}2 local.get $${inp}3 i16x8.sub local.set $m23
  local.get $s01 local.get $s23 i16x8.add local.set $${out}0
  local.get $s01 local.get $s23 i16x8.sub local.set $${out}1
  local.get $m01 local.get $m23 i16x8.sub local.set $${out}2
  local.get $m01 local.get $m23 i16x8.add local.set $${out}3`;
}

/**
 * The sum of |4x4 Hadamard| coefficients of two side-by-side 4x4 differences, rows in $d0..$d3
 * (i16x8: lanes 0-3 the left block, 4-7 the right), added to $acc as i32x4 (lanes 0-1 the left
 * block's, 2-3 the right's). Vertical butterflies between the row vectors, then the horizontal
 * ones inside each group of four lanes: with the adjacent lane (t = swap(v) + v * (1, −1, ...));
 * the last one, with the lane two away, by |a + b| + |a − b| = 2 max(|a|, |b|): each lane holds
 * the max of its pair, so the pair's two lanes sum to the two coefficients' |.|. Magnitudes stay
 * within 8 x 255 = 2040 before the max, and four rows' within 8160.
 */
const HADAMARD_ABS_ACC = `${hadamardColumns('d', 'd')}
  ${[0, 1, 2, 3].map((k) => `
  local.get $d${k} local.get $d${k} i8x16.shuffle ${SWAP_1}
  local.get $d${k} local.get $sign1 i16x8.mul i16x8.add i16x8.abs local.tee $d${k}
  local.get $d${k} i8x16.shuffle ${SWAP_2}
  local.get $d${k} i16x8.max_s local.set $d${k}`).join('')}
  local.get $d0 local.get $d1 i16x8.add local.get $d2 i16x8.add local.get $d3 i16x8.add
  i32x4.extadd_pairwise_i16x8_u local.get $acc i32x4.add local.set $acc`;

/**
 * SATD (sum over the block's 4x4s of (sum |Hadamard|) >> 1) of a w x h block at $a (stride $as)
 * against a prediction at $p (stride $ps) or, with `avg`, against (p + q + 1) >> 1 of $p and $q.
 * Eight columns (two 4x4s) per step; a 4-wide block loads four samples and zeros, which adds
 * nothing. Every 4x4's coefficients share the parity of the block's sum, so each 4x4's total is
 * even and halving the whole sum equals halving each block's, as satd4x4Px does.
 */
function satdSource(fnName: string, avg: boolean): FunctionSource {
  const params: [string, 'i32'][] = avg
    ? [['$a', 'i32'], ['$as', 'i32'], ['$p', 'i32'], ['$q', 'i32'], ['$ps', 'i32'], ['$w', 'i32'], ['$h', 'i32']]
    : [['$a', 'i32'], ['$as', 'i32'], ['$p', 'i32'], ['$ps', 'i32'], ['$w', 'i32'], ['$h', 'i32']];
  // One row of differences into $dk: source minus prediction, eight (or four) i16 lanes.
  const rowDiff = (k: number, load8: boolean): string => {
    const ld = (addr: string): string => load8 ? `${addr} v128.load8x8_u` : `${addr} v128.load32_zero i16x8.extend_low_i8x16_u`;
    const pred = avg
      ? `${ld(`local.get $pp i32.const ${k} local.get $ps i32.mul i32.add`)} ${ld(`local.get $qq i32.const ${k} local.get $ps i32.mul i32.add`)} i16x8.avgr_u`
      : ld(`local.get $pp i32.const ${k} local.get $ps i32.mul i32.add`);
    return `${ld(`local.get $aa i32.const ${k} local.get $as i32.mul i32.add`)} ${pred} i16x8.sub local.set $d${k}`;
  };
  const step = (load8: boolean): string => `${[0, 1, 2, 3].map((k) => rowDiff(k, load8)).join('\n')} ${HADAMARD_ABS_ACC}`;
  const advance = (n: number): string => `
    local.get $aa i32.const ${n} i32.add local.set $aa
    local.get $pp i32.const ${n} i32.add local.set $pp
    ${avg ? `local.get $qq i32.const ${n} i32.add local.set $qq` : ''}`;
  return {
    name: fnName,
    params,
    result: 'i32',
    locals: [
      ['$aa', 'i32'], ['$pp', 'i32'], ['$qq', 'i32'], ['$x', 'i32'],
      ['$d0', 'v128'], ['$d1', 'v128'], ['$d2', 'v128'], ['$d3', 'v128'],
      ['$s01', 'v128'], ['$m01', 'v128'], ['$s23', 'v128'], ['$m23', 'v128'],
      ['$sign1', 'v128'], ['$acc', 'v128'],
    ],
    body: `
      v128.const i16x8 1 -1 1 -1 1 -1 1 -1 local.set $sign1
      loop $strips
        local.get $a local.set $aa
        local.get $p local.set $pp
        ${avg ? 'local.get $q local.set $qq' : ''}
        i32.const 0 local.set $x
        local.get $w i32.const 4 i32.eq
        if
          ${step(false)}
        else
          loop $columns
            ${step(true)}
            ${advance(8)}
            local.get $x i32.const 8 i32.add local.tee $x
            local.get $w i32.lt_u
            br_if $columns
          end
        end
        local.get $a local.get $as i32.const 2 i32.shl i32.add local.set $a
        local.get $p local.get $ps i32.const 2 i32.shl i32.add local.set $p
        ${avg ? 'local.get $q local.get $ps i32.const 2 i32.shl i32.add local.set $q' : ''}
        local.get $h i32.const 4 i32.sub local.tee $h
        br_if $strips
      end
      local.get $acc i32x4.extract_lane 0 local.get $acc i32x4.extract_lane 1 i32.add
      local.get $acc i32x4.extract_lane 2 i32.add local.get $acc i32x4.extract_lane 3 i32.add
      i32.const 1 i32.shr_u`,
  };
}

/**
 * The six-tap (1, −5, 20, 20, −5, 1) of i16 lanes x0..x5 in locals $x0..$x5, as
 * (x0 + x5) + 5 (4 (x2 + x3) − (x1 + x4)), left on the stack. At most 20 x 510 + 510 and at least
 * −5 x 510: i16 holds it.
 */
const TAP6_I16 = `
  local.get $x2 local.get $x3 i16x8.add i32.const 2 i16x8.shl local.get $x1 local.get $x4 i16x8.add i16x8.sub local.tee $t
  i32.const 2 i16x8.shl local.get $t i16x8.add
  local.get $x0 local.get $x5 i16x8.add i16x8.add`;

/** Loads six u8x16 vectors at $i + k * step (k = 0..5, from −2 steps) into $v0..$v5. */
function load6(step: string): string {
  return [0, 1, 2, 3, 4, 5].map((k) => `local.get $i local.get ${step} i32.const ${k - 2} i32.mul i32.add v128.load local.set $v${k}`).join('\n');
}

/** For one half (low or high 8 lanes) of $v0..$v5: widened into $x0..$x5. */
function widen(half: 'low' | 'high'): string {
  return [0, 1, 2, 3, 4, 5].map((k) => `local.get $v${k} i16x8.extend_${half}_i8x16_u local.set $x${k}`).join('\n');
}

/**
 * interpolateHalfPlanes on the same samples: for every padded row, Hp (b) at columns 2 .. ss − 4;
 * on rows 2 .. rows − 4, Vp (h) on every column and, from Vp's unclipped h1 kept in $tmp (i16 per
 * column), HVp (j) at columns 2 .. ss − 4. Sixteen outputs per step; the last step of a row
 * starts at ss − 19 so it ends exactly at column ss − 4 (it recomputes a few samples, with the
 * same values). Clip1 of (v + 16) >> 5 is the unsigned saturating narrow; j1 needs i32 lanes.
 */
function halfPlanesSource(): FunctionSource {
  const hpStep = `
    ${load6('$one')}
    ${widen('low')} ${TAP6_I16} i32.const 16 i16x8.splat i16x8.add i32.const 5 i16x8.shr_s local.set $lo
    ${widen('high')} ${TAP6_I16} i32.const 16 i16x8.splat i16x8.add i32.const 5 i16x8.shr_s local.set $hi
    local.get $i local.get $hp i32.add local.get $lo local.get $hi i8x16.narrow_i16x8_u v128.store`;
  const vpStep = `
    ${load6('$ss')}
    ${widen('low')} ${TAP6_I16} local.set $lo
    ${widen('high')} ${TAP6_I16} local.set $hi
    local.get $tc local.get $lo v128.store
    local.get $tc local.get $hi v128.store offset=16
    local.get $i local.get $vp i32.add
    local.get $lo i32.const 16 i16x8.splat i16x8.add i32.const 5 i16x8.shr_s
    local.get $hi i32.const 16 i16x8.splat i16x8.add i32.const 5 i16x8.shr_s
    i8x16.narrow_i16x8_u v128.store`;
  // j of eight columns from h1 at $tc − 4 .. (bytes; i16 lanes), Clip1 left to the narrowing:
  // (a − 5b + 20c + 512) >> 10 for a = h1[−2] + h1[3], b = h1[−1] + h1[2], c = h1[0] + h1[1], in i16
  // as x264 computes it: u = (a − b) >> 2, v = (u − b + c) >> 2, j = (v + c + 32) >> 6. Nested
  // floors of divisions are one floor, so v + c = floor((a − 5b + 20c) / 16) and j is exact. With
  // h1 in −2550 .. 10710 only u − b + c can leave i16; it saturates, and where it does j is beyond
  // 0 .. 255 either way (v + c stays below −12910 or above 29227), so Clip1 gives the same.
  const j8 = (off: number): string => `
    ${[0, 1, 2, 3, 4, 5].map((k) => `local.get $tc v128.load offset=${off + 2 * k} local.set $x${k}`).join('\n')}
    local.get $x0 local.get $x5 i16x8.add local.set $x0
    local.get $x1 local.get $x4 i16x8.add local.set $x1
    local.get $x2 local.get $x3 i16x8.add local.set $x2
    local.get $x0 local.get $x1 i16x8.sub i32.const 2 i16x8.shr_s local.get $x1 i16x8.sub local.get $x2 i16x8.add_sat_s
    i32.const 2 i16x8.shr_s local.get $x2 i16x8.add i32.const 32 i16x8.splat i16x8.add i32.const 6 i16x8.shr_s`;
  const hvStep = `
    local.get $i local.get $hvp i32.add
    ${j8(0)} ${j8(16)}
    i8x16.narrow_i16x8_u v128.store`;
  /** A row's chunks: $c from `first` by 16 while below `last`, then one at `last`; `body` sees $i = row + $c. */
  const columns = (first: string, last: string, body: string, tcBase: string): string => `
    ${first} local.set $c
    block $done
      loop $cols
        local.get $row local.get $c i32.add local.set $i
        ${tcBase}
        ${body}
        local.get $c local.get ${last} i32.eq br_if $done
        local.get $c i32.const 16 i32.add local.tee $c
        local.get ${last} i32.gt_u
        if local.get ${last} local.set $c end
        br $cols
      end
    end`;
  return {
    name: 'halfPlanes',
    params: [['$src', 'i32'], ['$hp', 'i32'], ['$vp', 'i32'], ['$hvp', 'i32'], ['$ss', 'i32'], ['$rows', 'i32'], ['$tmp', 'i32']],
    result: null,
    locals: [
      ['$r', 'i32'], ['$row', 'i32'], ['$c', 'i32'], ['$i', 'i32'], ['$tc', 'i32'], ['$last', 'i32'], ['$one', 'i32'],
      ['$v0', 'v128'], ['$v1', 'v128'], ['$v2', 'v128'], ['$v3', 'v128'], ['$v4', 'v128'], ['$v5', 'v128'],
      ['$x0', 'v128'], ['$x1', 'v128'], ['$x2', 'v128'], ['$x3', 'v128'], ['$x4', 'v128'], ['$x5', 'v128'],
      ['$t', 'v128'], ['$lo', 'v128'], ['$hi', 'v128'],
    ],
    body: `
      i32.const 1 local.set $one
      local.get $ss i32.const 19 i32.sub local.set $last
      ;; The planes' offsets become relative to src, so one index $i addresses all four.
      local.get $hp local.get $src i32.sub local.set $hp
      local.get $vp local.get $src i32.sub local.set $vp
      local.get $hvp local.get $src i32.sub local.set $hvp
      i32.const 0 local.set $r
      loop $rowsLoop
        local.get $src local.get $r local.get $ss i32.mul i32.add local.set $row
        ${columns('i32.const 2', '$last', hpStep, '')}
        local.get $r i32.const 2 i32.ge_u
        local.get $r local.get $rows i32.const 3 i32.sub i32.lt_u
        i32.and
        if
          ;; Vp and h1 on every column: $ss is a multiple of 16.
          i32.const 0 local.set $c
          loop $vcols
            local.get $row local.get $c i32.add local.set $i
            local.get $tmp local.get $c i32.const 1 i32.shl i32.add local.set $tc
            ${vpStep}
            local.get $c i32.const 16 i32.add local.tee $c
            local.get $ss i32.lt_u br_if $vcols
          end
          ${columns('i32.const 2', '$last', hvStep, 'local.get $tmp local.get $c i32.const 2 i32.sub i32.const 1 i32.shl i32.add local.set $tc')}
        end
        local.get $r i32.const 1 i32.add local.tee $r
        local.get $rows i32.lt_u br_if $rowsLoop
      end`,
  };
}

/** i16 lanes as byte indices of an i8x16.shuffle (lanes 8..15 are the second operand's). */
const lanes16 = (ls: number[]): string => ls.map((l) => `${2 * l} ${2 * l + 1}`).join(' ');

/**
 * The forward path of a macroblock's 4x4 blocks, as forwardQuant4x4Px (transform.ts) does for each:
 * the difference src − pred (strides $ss and $ps), the forward core transform, quantisation with
 * the dead zone `bias`, and the levels scaled as a decoder scales them. The blocks are `count`
 * (16 luma, or 8 chroma: Cb above Cr in one 8-wide picture) in rows of 1 << $bshift (4 or 2).
 * Per block r (raster): coef[r * 16 + raster position] (i32), levels[r * 16 + zig-zag position]
 * (i32, Table 8-13) and nz[r] = TotalCoeff (u8). With $start = 1 (chroma AC) the DC is left
 * unquantised in coef and its level is 0, not counted.
 *
 * Eight columns (two blocks side by side) per step, i16 lanes: the vertical transform between row
 * vectors first, then the horizontal one inside each group of four lanes (exact integer
 * arithmetic, so the order of the two passes does not change a coefficient; at most 6 x 6 x 255
 * = 9180). Quantisation in i32: |c| x MF + bias reaches about 1.2e8. `table` holds QUANT_4x4 then
 * DEQUANT_4x4 (96 i32 each), so row k of class m is at table + (m * 16 + k * 4) * 4.
 *
 * Without `dequant` (blockLevels, for the early-skip probe, which looks at levels only) coef is
 * not written.
 */
function blockQuantSource(name = 'blockQuant', dequant = true): FunctionSource {
  const rev = lanes16([3, 2, 1, 0, 7, 6, 5, 4]);
  const pickX = lanes16([0, 8, 0, 8, 4, 12, 4, 12]);
  const pickY = lanes16([1, 9, 1, 9, 5, 13, 5, 13]);
  const zig1 = lanes16([0, 1, 4, 8, 5, 2, 3, 6]);
  const zig2 = lanes16([9, 12, 13, 10, 7, 11, 14, 15]);
  // Horizontal transform of $t{k}: out = X * (1, 2, 1, 1) + Y * (1, 1, −1, −2) per group, with
  // X = (a+d, a−d, a+d, a−d) and Y = (b+c, b−c, b+c, b−c) for lanes a b c d.
  const horizontal = (k: number): string => `
    local.get $t${k} local.get $t${k} i8x16.shuffle ${rev} local.set $u
    local.get $t${k} local.get $u i16x8.add local.set $sm
    local.get $t${k} local.get $u i16x8.sub local.set $mm
    local.get $sm local.get $mm i8x16.shuffle ${pickX} local.get $wx i16x8.mul
    local.get $sm local.get $mm i8x16.shuffle ${pickY} local.get $wy i16x8.mul
    i16x8.add local.set $t${k}`;
  // Row k of block g (0: lanes 0-3, 1: lanes 4-7): quantised into $l{g}{k}, scaled into coef.
  const quant = (k: number, g: number): string => `
    local.get $t${k} i32x4.extend_${g === 0 ? 'low' : 'high'}_i16x8_s local.tee $c
    i32.const 31 i32x4.shr_s local.set $sg
    local.get $c i32x4.abs local.get $mf${k & 1} i32x4.mul local.get $bias4 i32x4.add local.get $qbits i32x4.shr_s
    local.get $sg v128.xor local.get $sg i32x4.sub ${k === 0 ? 'local.get $dcmask v128.andnot' : ''} ${dequant ? 'local.tee' : 'local.set'} $l${g}${k}
    ${dequant ? `local.get $v${k & 1} i32x4.mul local.get $q6 i32x4.shl
    ${k === 0 ? 'local.set $sg local.get $c local.get $sg local.get $dcmask v128.bitselect' : ''} local.set $c
    local.get $coef local.get $r i32.const ${g} i32.add i32.const 6 i32.shl i32.add local.get $c v128.store offset=${k * 16}` : ''}`;
  // Block g's levels into zig-zag order, and its TotalCoeff.
  const store = (g: number): string => `
    local.get $l${g}0 local.get $l${g}1 i16x8.narrow_i32x4_s local.set $za
    local.get $l${g}2 local.get $l${g}3 i16x8.narrow_i32x4_s local.set $zb
    local.get $levels local.get $r i32.const ${g} i32.add i32.const 6 i32.shl i32.add local.set $lv
    local.get $za local.get $zb i8x16.shuffle ${zig1} local.set $c
    local.get $lv local.get $c i32x4.extend_low_i16x8_s v128.store
    local.get $lv local.get $c i32x4.extend_high_i16x8_s v128.store offset=16
    local.get $za local.get $zb i8x16.shuffle ${zig2} local.set $c
    local.get $lv local.get $c i32x4.extend_low_i16x8_s v128.store offset=32
    local.get $lv local.get $c i32x4.extend_high_i16x8_s v128.store offset=48
    local.get $nz local.get $r i32.add i32.const ${g} i32.add
    local.get $za local.get $zb i8x16.narrow_i16x8_s i32.const 0 i8x16.splat i8x16.ne i8x16.bitmask i32.popcnt
    i32.store8`;
  const locals: [string, 'i32' | 'v128'][] = [
    ['$r', 'i32'], ['$sa', 'i32'], ['$pa', 'i32'], ['$lv', 'i32'], ['$qbits', 'i32'], ['$row4', 'i32'], ['$col', 'i32'], ['$dcmask', 'v128'],
    ['$d0', 'v128'], ['$d1', 'v128'], ['$d2', 'v128'], ['$d3', 'v128'],
    ['$t0', 'v128'], ['$t1', 'v128'], ['$t2', 'v128'], ['$t3', 'v128'],
    ['$u', 'v128'], ['$sm', 'v128'], ['$mm', 'v128'], ['$wx', 'v128'], ['$wy', 'v128'],
    ['$mf0', 'v128'], ['$mf1', 'v128'], ['$v0', 'v128'], ['$v1', 'v128'], ['$bias4', 'v128'],
    ['$c', 'v128'], ['$sg', 'v128'], ['$za', 'v128'], ['$zb', 'v128'],
    ['$l00', 'v128'], ['$l01', 'v128'], ['$l02', 'v128'], ['$l03', 'v128'],
    ['$l10', 'v128'], ['$l11', 'v128'], ['$l12', 'v128'], ['$l13', 'v128'],
  ];
  return {
    name,
    params: [['$src', 'i32'], ['$ss', 'i32'], ['$pred', 'i32'], ['$ps', 'i32'], ['$bshift', 'i32'], ['$count', 'i32'], ['$start', 'i32'],
      ['$coef', 'i32'], ['$levels', 'i32'], ['$nz', 'i32'], ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'], ['$table', 'i32']],
    result: null,
    locals,
    body: `
      local.get $q6 i32.const 15 i32.add local.set $qbits
      i32.const 0 local.get $start i32.sub i32x4.splat v128.const i32x4 -1 0 0 0 v128.and local.set $dcmask
      local.get $bias i32x4.splat local.set $bias4
      v128.const i16x8 1 2 1 1 1 2 1 1 local.set $wx
      v128.const i16x8 1 1 -1 -2 1 1 -1 -2 local.set $wy
      ;; Rows 0 and 2 of a block share their classes, as do rows 1 and 3.
      local.get $table local.get $m i32.const 6 i32.shl i32.add local.tee $lv v128.load local.set $mf0
      local.get $lv v128.load offset=16 local.set $mf1
      local.get $lv v128.load offset=384 local.set $v0
      local.get $lv v128.load offset=400 local.set $v1
      i32.const 0 local.set $r
      loop $blocks
        ;; Blocks r and r + 1: block row r >> bshift, columns (r & (rowlength - 1)) * 4 .. + 7.
        local.get $r local.get $bshift i32.shr_u i32.const 2 i32.shl local.tee $row4 local.get $ss i32.mul
        local.get $r i32.const 1 local.get $bshift i32.shl i32.const 1 i32.sub i32.and i32.const 2 i32.shl local.tee $col i32.add
        local.get $src i32.add local.set $sa
        local.get $row4 local.get $ps i32.mul local.get $col i32.add local.get $pred i32.add local.set $pa
        ${[0, 1, 2, 3].map((k) => `
        local.get $sa local.get $ss i32.const ${k} i32.mul i32.add v128.load8x8_u
        local.get $pa local.get $ps i32.const ${k} i32.mul i32.add v128.load8x8_u i16x8.sub local.set $d${k}`).join('\n')}
        local.get $d0 local.get $d3 i16x8.add local.set $u
        local.get $d0 local.get $d3 i16x8.sub local.set $sm
        local.get $d1 local.get $d2 i16x8.add local.set $mm
        local.get $d1 local.get $d2 i16x8.sub local.set $c
        local.get $u local.get $mm i16x8.add local.set $t0
        local.get $sm i32.const 1 i16x8.shl local.get $c i16x8.add local.set $t1
        local.get $u local.get $mm i16x8.sub local.set $t2
        local.get $sm local.get $c i32.const 1 i16x8.shl i16x8.sub local.set $t3
        ${[0, 1, 2, 3].map(horizontal).join('\n')}
        ${[0, 1].map((g) => [0, 1, 2, 3].map((k) => quant(k, g)).join('\n')).join('\n')}
        ${store(0)}
        ${store(1)}
        local.get $r i32.const 2 i32.add local.tee $r
        local.get $count i32.lt_u br_if $blocks
      end`,
  };
}

/**
 * dst = (p + q + 1) >> 1 over a w x h block (w 16, 8 or 4; p and q at stride $ps, dst at $ds):
 * the quarter-sample luma predictions made of two half-sample planes (interpolate.ts
 * predictLumaFromPlanes); with q = p it is a copy, since (p + p + 1) >> 1 = p.
 */
function avgBlockSource(): FunctionSource {
  const row = (load: string, store: string): string => `
    local.get $dst local.get $p ${load} local.get $q ${load} i8x16.avgr_u ${store}`;
  const loop = (load: string, store: string): string => `
    loop $rows
      ${row(load, store)}
      local.get $p local.get $ps i32.add local.set $p
      local.get $q local.get $ps i32.add local.set $q
      local.get $dst local.get $ds i32.add local.set $dst
      local.get $h i32.const 1 i32.sub local.tee $h
      br_if $rows
    end`;
  return {
    name: 'avgBlock',
    params: [['$p', 'i32'], ['$q', 'i32'], ['$ps', 'i32'], ['$dst', 'i32'], ['$ds', 'i32'], ['$w', 'i32'], ['$h', 'i32']],
    result: null,
    locals: [],
    body: `
      local.get $w i32.const 16 i32.eq
      if
        ${loop('v128.load', 'v128.store')}
      else
        local.get $w i32.const 8 i32.eq
        if
          ${loop('v128.load64_zero', 'v128.store64_lane 0')}
        else
          ${loop('v128.load32_zero', 'v128.store32_lane 0')}
        end
      end`,
  };
}

/** Sum of squared differences of a w x h block (w 16 or 8), a at stride $as, b at $bs. */
function ssdSource(): FunctionSource {
  const half = (ext: string): string => `
    local.get $x i16x8.${ext}_i8x16_u local.get $y i16x8.${ext}_i8x16_u i16x8.sub local.tee $d
    local.get $d i32x4.dot_i16x8_s local.get $acc i32x4.add local.set $acc`;
  return {
    name: 'ssd',
    params: [['$a', 'i32'], ['$as', 'i32'], ['$b', 'i32'], ['$bs', 'i32'], ['$w', 'i32'], ['$h', 'i32']],
    result: 'i32',
    locals: [['$x', 'v128'], ['$y', 'v128'], ['$d', 'v128'], ['$acc', 'v128']],
    body: `
      loop $rows
        local.get $w i32.const 16 i32.eq
        if
          local.get $a v128.load local.set $x
          local.get $b v128.load local.set $y
          ${half('extend_high')}
        else
          local.get $a v128.load64_zero local.set $x
          local.get $b v128.load64_zero local.set $y
        end
        ${half('extend_low')}
        local.get $a local.get $as i32.add local.set $a
        local.get $b local.get $bs i32.add local.set $b
        local.get $h i32.const 1 i32.sub local.tee $h
        br_if $rows
      end
      local.get $acc i32x4.extract_lane 0 local.get $acc i32x4.extract_lane 1 i32.add
      local.get $acc i32x4.extract_lane 2 i32.add local.get $acc i32x4.extract_lane 3 i32.add`,
  };
}

/**
 * 4:2:0 chroma prediction of an 8-wide block, 8-266 for every sample:
 * (wA A + wB B + wC C + wD D + 32) >> 6 with the weights of the vector's eighth-sample fraction
 * (interpolate.ts predictChroma, whose special cases for a zero fraction equal this formula). At
 * most 64 x 255 + 32: u16 lanes hold it.
 */
function chroma8Source(): FunctionSource {
  const tap = (off: string, w: string): string => `local.get $s ${off} v128.load8x8_u local.get ${w} i16x8.mul`;
  return {
    name: 'chroma8',
    params: [['$s', 'i32'], ['$ss', 'i32'], ['$dst', 'i32'], ['$ds', 'i32'], ['$h', 'i32'],
      ['$a', 'i32'], ['$b', 'i32'], ['$c', 'i32'], ['$d', 'i32']],
    result: null,
    locals: [['$wa', 'v128'], ['$wb', 'v128'], ['$wc', 'v128'], ['$wd', 'v128'], ['$r32', 'v128'], ['$v', 'v128']],
    body: `
      local.get $a i16x8.splat local.set $wa
      local.get $b i16x8.splat local.set $wb
      local.get $c i16x8.splat local.set $wc
      local.get $d i16x8.splat local.set $wd
      i32.const 32 i16x8.splat local.set $r32
      loop $rows
        local.get $dst
        ${tap('', '$wa')}
        ${tap('i32.const 1 i32.add', '$wb')} i16x8.add
        ${tap('local.get $ss i32.add', '$wc')} i16x8.add
        ${tap('local.get $ss i32.add i32.const 1 i32.add', '$wd')} i16x8.add
        local.get $r32 i16x8.add i32.const 6 i16x8.shr_u
        local.tee $v local.get $v i8x16.narrow_i16x8_u
        v128.store64_lane 0
        local.get $s local.get $ss i32.add local.set $s
        local.get $dst local.get $ds i32.add local.set $dst
        local.get $h i32.const 1 i32.sub local.tee $h
        br_if $rows
      end`,
  };
}

/**
 * One side of the luma filter (the p side, or the q side with p and q exchanged: 8-477..8-487 are
 * symmetric), for LUMA_FILTER_HALF: its sample next to the edge, $n{x}0, and the one after it,
 * $n{x}1. The bS < 4 delta is added on the p side and subtracted on the q side (8-470, 8-471).
 * $s{x} is "the strong filter applies on this side" (bS = 4 case, 8-476).
 */
function lumaFilterSide(x: string, y: string, deltaOp: 'add' | 'sub'): string {
  return `
  ;; ${x}0: bS < 4: Clip1(${x}0 ± delta); bS = 4: (${x}2 + 2${x}1 + 2${x}0 + 2${y}0 + ${y}1 + 4) >> 3 or (2${x}1 + ${x}0 + ${y}1 + 2) >> 2
  local.get $${x}2 local.get $${x}1 local.get $${x}0 i16x8.add local.get $${y}0 i16x8.add i32.const 1 i16x8.shl i16x8.add
  local.get $${y}1 i16x8.add local.get $four i16x8.add i32.const 3 i16x8.shr_u
  local.get $${x}1 i32.const 1 i16x8.shl local.get $${x}0 i16x8.add local.get $${y}1 i16x8.add local.get $two i16x8.add i32.const 2 i16x8.shr_u
  local.get $a${x} local.get $strong v128.and local.tee $s${x} v128.bitselect
  local.get $${x}0 local.get $d i16x8.${deltaOp} local.get $zero i16x8.max_s local.get $max i16x8.min_s
  local.get $is4 v128.bitselect local.set $n${x}0
  ;; ${x}1: bS = 4 strong: (${x}2 + ${x}1 + ${x}0 + ${y}0 + 2) >> 2; bS < 4 with a${x} < beta: ${x}1 + Clip3(-tC0, tC0, (${x}2 + avg - 2${x}1) >> 1) (8-472, 8-474)
  local.get $${x}2 local.get $${x}1 i16x8.add local.get $${x}0 i16x8.add local.get $${y}0 i16x8.add local.get $two i16x8.add i32.const 2 i16x8.shr_u
  local.get $${x}1 local.get $s${x} v128.bitselect
  local.get $${x}2 local.get $avg i16x8.add local.get $${x}1 i32.const 1 i16x8.shl i16x8.sub i32.const 1 i16x8.shr_s
  local.get $tc i16x8.min_s local.get $zero local.get $tc i16x8.sub i16x8.max_s local.get $${x}1 i16x8.add
  local.get $${x}1 local.get $a${x} v128.bitselect
  local.get $is4 v128.bitselect local.set $n${x}1`;
}

/** The third sample of one side, which only the strong filter changes: (2x3 + 3x2 + x1 + x0 + y0 + 4) >> 3 (8-478, 8-485). */
function lumaFilterOuter(x: string, y: string): string {
  return `
  local.get $${x}3 i32.const 1 i16x8.shl local.get $${x}2 i32.const 1 i16x8.shl i16x8.add local.get $${x}2 i16x8.add
  local.get $${x}1 i16x8.add local.get $${x}0 i16x8.add local.get $${y}0 i16x8.add local.get $four i16x8.add i32.const 3 i16x8.shr_u
  local.get $${x}2 local.get $s${x} local.get $is4 v128.and v128.bitselect
  local.get $${x}2 local.get $f v128.bitselect local.set $${x}2`;
}

/**
 * The luma filter of 8.7.2.3 (bS < 4) and 8.7.2.4 (bS = 4) on one i16x8 half of 16 lines across an
 * edge: samples in $p3..$q3, each line's bS in $bs and tC0 in $tc, thresholds in $al (alpha),
 * $be (beta) and $al4 ((alpha >> 2) + 2). Every branch of deblock.ts filterEdge is computed for
 * every lane and the lane's own one selected (v128.bitselect), so each line gets exactly what the
 * scalar filter gives it; lines with bS 0 or filterSamplesFlag 0 keep their samples. Results
 * replace $p2..$q2.
 */
const LUMA_FILTER_HALF = `
  ;; filterSamplesFlag (8-460) and bS > 0
  local.get $p0 local.get $q0 i16x8.sub i16x8.abs local.get $al i16x8.lt_s
  local.get $p1 local.get $p0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s v128.and
  local.get $q1 local.get $q0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s v128.and
  local.get $bs local.get $zero i16x8.gt_s v128.and local.set $f
  ;; ap < beta, aq < beta (8-461, 8-462)
  local.get $p2 local.get $p0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s local.set $ap
  local.get $q2 local.get $q0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s local.set $aq
  ;; bS < 4: tC = tC0 + (ap < beta) + (aq < beta) (8-467; the masks are -1), delta (8-469)
  local.get $tc local.get $ap i16x8.sub local.get $aq i16x8.sub local.set $t
  local.get $q0 local.get $p0 i16x8.sub i32.const 2 i16x8.shl local.get $p1 i16x8.add local.get $q1 i16x8.sub
  local.get $four i16x8.add i32.const 3 i16x8.shr_s
  local.get $t i16x8.min_s local.get $zero local.get $t i16x8.sub i16x8.max_s local.set $d
  ;; (p0 + q0 + 1) >> 1
  local.get $p0 local.get $q0 i16x8.avgr_u local.set $avg
  ;; bS = 4: the strong filters where ap (aq) < beta and |p0 - q0| < (alpha >> 2) + 2 (8-476)
  local.get $p0 local.get $q0 i16x8.sub i16x8.abs local.get $al4 i16x8.lt_s local.set $strong
  local.get $bs local.get $four i16x8.eq local.set $is4
  ${lumaFilterSide('p', 'q', 'add')}
  ${lumaFilterSide('q', 'p', 'sub')}
  ${lumaFilterOuter('p', 'q')}
  ${lumaFilterOuter('q', 'p')}
  local.get $np1 local.get $p1 local.get $f v128.bitselect local.set $p1
  local.get $nq1 local.get $q1 local.get $f v128.bitselect local.set $q1
  local.get $np0 local.get $p0 local.get $f v128.bitselect local.set $p0
  local.get $nq0 local.get $q0 local.get $f v128.bitselect local.set $q0`;

/**
 * The deblocking kernels' common start: each line's bS and tC0 ($bsv, $tcv, u8 lanes) picked
 * from the four segments' bytes in $bsw and $tcw by `lanes` (the segment of each line), alpha,
 * beta and the constants 2, 4 and 255 as i16x8.
 */
function edgeSetup(lanes: string): string {
  return `
      local.get $bsw i32x4.splat v128.const i8x16 ${lanes} i8x16.swizzle local.set $bsv
      local.get $tcw i32x4.splat v128.const i8x16 ${lanes} i8x16.swizzle local.set $tcv
      local.get $alpha i16x8.splat local.set $al
      local.get $beta i16x8.splat local.set $be
      i32.const 2 i16x8.splat local.set $two
      i32.const 4 i16x8.splat local.set $four
      i32.const 255 i16x8.splat local.set $max`;
}

/** A filter on the lines' low then high eight (widened to i16 by `widen`), each half's results kept by `keep` ('lo', 'hi'). */
function bothHalves(widen: (half: 'low' | 'high') => string, filter: string, keep: (half: string) => string): string {
  return `
      ${widen('low')}
      ${filter}
      ${keep('lo')}
      ${widen('high')}
      ${filter}
      ${keep('hi')}`;
}

/** Names of the eight sample rows across an edge, p3 (farthest before it) to q3. */
const EDGE_ROWS = ['p3', 'p2', 'p1', 'p0', 'q0', 'q1', 'q2', 'q3'];

/**
 * One luma edge of 16 lines (deblock.ts filterEdge for a luma edge): `vertical` 0 for a horizontal
 * edge (lines are columns; rows p3..q3 are 16-byte loads at $q0 − 4 stride .. $q0 + 3 stride),
 * 1 for a vertical edge (lines are rows; the 16 rows of 8 samples at $q0 − 4 are transposed in
 * and out). $bsw and $tcw hold the bS and tC0 of the four 4-line segments, a byte each.
 */
function lumaEdgeSource(vertical: boolean): FunctionSource {
  const widen = (half: 'low' | 'high'): string => EDGE_ROWS.map((n) => `local.get $v${n} i16x8.extend_${half}_i8x16_u local.set $${n}`).join('\n')
    + `\nlocal.get $bsv i16x8.extend_${half}_i8x16_u local.set $bs local.get $tcv i16x8.extend_${half}_i8x16_u local.set $tc`;
  const keep = (half: string): string => EDGE_ROWS.slice(1, 7).map((n) => `local.get $${n} local.set $${half}${n}`).join('\n');
  const narrow = EDGE_ROWS.slice(1, 7).map((n) => `local.get $lo${n} local.get $hi${n} i8x16.narrow_i16x8_u local.set $v${n}`).join('\n');
  let load: string, store: string;
  if (!vertical) {
    load = EDGE_ROWS.map((n, k) => `local.get $q local.get $stride i32.const ${k - 4} i32.mul i32.add v128.load local.set $v${n}`).join('\n');
    store = EDGE_ROWS.slice(1, 7).map((n, k) => `local.get $q local.get $stride i32.const ${k - 3} i32.mul i32.add local.get $v${n} v128.store`).join('\n');
  } else {
    // Rows r0..r15 (8 samples at q0 − 4 each) into columns: bytes, then 16-, 32- and 64-bit interleaves.
    const rows = Array.from({ length: 16 }, (_, r) => `local.get $q local.get $stride i32.const ${r} i32.mul i32.add i32.const 4 i32.sub v128.load64_zero local.set $r${r}`).join('\n');
    const bytes = '0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23';
    const lo16 = '0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23', hi16 = '8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31';
    const lo32 = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23', hi32 = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
    const lo64 = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23', hi64 = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';
    const sh = (a: string, b: string, pat: string, out: string): string => `local.get ${a} local.get ${b} i8x16.shuffle ${pat} local.set ${out}`;
    const stage1 = Array.from({ length: 8 }, (_, j) => sh(`$r${2 * j}`, `$r${2 * j + 1}`, bytes, `$t${j}`)).join('\n');
    // $t_j: bytes of rows 2j, 2j+1 interleaved (column k at 2k). Pairs of t into 4-row groups:
    // $u{m}a columns 0-3, $u{m}b columns 4-7 of rows 4m..4m+3.
    const stage2 = Array.from({ length: 4 }, (_, m) => sh(`$t${2 * m}`, `$t${2 * m + 1}`, lo16, `$u${m}a`) + '\n' + sh(`$t${2 * m}`, `$t${2 * m + 1}`, hi16, `$u${m}b`)).join('\n');
    // 8-row groups: $w{g}{c}: rows 8g..8g+7 of columns 2c, 2c+1 (c = 0..3).
    const stage3 = [0, 1].map((g) => [
      sh(`$u${2 * g}a`, `$u${2 * g + 1}a`, lo32, `$w${g}0`), sh(`$u${2 * g}a`, `$u${2 * g + 1}a`, hi32, `$w${g}1`),
      sh(`$u${2 * g}b`, `$u${2 * g + 1}b`, lo32, `$w${g}2`), sh(`$u${2 * g}b`, `$u${2 * g + 1}b`, hi32, `$w${g}3`),
    ].join('\n')).join('\n');
    const stage4 = [0, 1, 2, 3].map((c) => sh(`$w0${c}`, `$w1${c}`, lo64, `$v${EDGE_ROWS[2 * c]}`) + '\n' + sh(`$w0${c}`, `$w1${c}`, hi64, `$v${EDGE_ROWS[2 * c + 1]}`)).join('\n');
    load = [rows, stage1, stage2, stage3, stage4].join('\n');
    // Back: columns to rows by the same interleaves (a transpose is its own inverse in this
    // network): column pairs, then 4- and 8-column groups; each row's 8 bytes are stored.
    const back1 = [0, 1, 2, 3].map((c) => sh(`$v${EDGE_ROWS[2 * c]}`, `$v${EDGE_ROWS[2 * c + 1]}`, bytes, `$t${2 * c}`) + '\n'
      + sh(`$v${EDGE_ROWS[2 * c]}`, `$v${EDGE_ROWS[2 * c + 1]}`, '8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31', `$t${2 * c + 1}`)).join('\n');
    // $t{2c}: rows 0-7, columns 2c, 2c+1 interleaved per row; $t{2c+1}: rows 8-15.
    const back2 = [0, 1].map((h) => [
      sh(`$t${h}`, `$t${2 + h}`, lo16, `$u${2 * h}a`), sh(`$t${h}`, `$t${2 + h}`, hi16, `$u${2 * h}b`),
      sh(`$t${4 + h}`, `$t${6 + h}`, lo16, `$u${2 * h + 1}a`), sh(`$t${4 + h}`, `$t${6 + h}`, hi16, `$u${2 * h + 1}b`),
    ].join('\n')).join('\n');
    // $u{2h}a: rows 8h..8h+3, columns 0-3; $u{2h}b: rows 8h+4..8h+7, columns 0-3; $u{2h+1}a/b the same for columns 4-7.
    const back3 = [0, 1].map((h) => ['a', 'b'].map((ab, k) => [
      sh(`$u${2 * h}${ab}`, `$u${2 * h + 1}${ab}`, lo32, `$w${h}${2 * k}`), sh(`$u${2 * h}${ab}`, `$u${2 * h + 1}${ab}`, hi32, `$w${h}${2 * k + 1}`),
    ].join('\n')).join('\n')).join('\n');
    // $w{h}{k}: two rows of 8 bytes (rows 8h + 2k, 8h + 2k + 1).
    const stores = [0, 1].map((h) => [0, 1, 2, 3].map((k) => [0, 1].map((lane) =>
      `local.get $q local.get $stride i32.const ${8 * h + 2 * k + lane} i32.mul i32.add i32.const 4 i32.sub local.get $w${h}${k} v128.store64_lane ${lane}`,
    ).join('\n')).join('\n')).join('\n');
    store = [back1, back2, back3, stores].join('\n');
  }
  const v = (names: string[]): [string, 'v128'][] => names.map((n) => [n, 'v128']);
  return {
    name: vertical ? 'lumaEdgeV' : 'lumaEdgeH',
    params: [['$q', 'i32'], ['$stride', 'i32'], ['$bsw', 'i32'], ['$tcw', 'i32'], ['$alpha', 'i32'], ['$beta', 'i32']],
    result: null,
    locals: [
      ...v(EDGE_ROWS.map((n) => `$v${n}`)), ...v(EDGE_ROWS.map((n) => `$${n}`)),
      ...v(EDGE_ROWS.slice(1, 7).flatMap((n) => [`$lo${n}`, `$hi${n}`])),
      ...v(['$bsv', '$tcv', '$bs', '$tc', '$al', '$be', '$al4', '$zero', '$two', '$four', '$max',
        '$f', '$ap', '$aq', '$t', '$d', '$avg', '$strong', '$is4', '$sp', '$sq', '$np0', '$nq0', '$np1', '$nq1']),
      ...(vertical ? v([
        ...Array.from({ length: 16 }, (_, r) => `$r${r}`), ...Array.from({ length: 8 }, (_, j) => `$t${j}`),
        ...[0, 1, 2, 3].flatMap((m) => [`$u${m}a`, `$u${m}b`]), ...[0, 1].flatMap((g) => [0, 1, 2, 3].map((c) => `$w${g}${c}`)),
      ]) : []),
    ],
    body: `
      ;; Segment s's bS and tC0 on lines 4s..4s+3.
      ${edgeSetup('0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3')}
      local.get $alpha i32.const 2 i32.shr_u i32.const 2 i32.add i16x8.splat local.set $al4
      ${load}
      ${bothHalves(widen, LUMA_FILTER_HALF, keep)}
      ${narrow}
      ${store}`,
  };
}

/**
 * The chroma filter (8.7.2.3 with chromaStyleFilteringFlag: tC = tC0 + 1, only p0 and q0 change;
 * 8.7.2.4's chroma branch for bS = 4) on one i16x8 half of the lines in $p1..$q1, with each line's
 * bS in $bs and tC0 in $tc; as LUMA_FILTER_HALF, every branch for every lane, then selected.
 */
const CHROMA_FILTER_HALF = `
  local.get $p0 local.get $q0 i16x8.sub i16x8.abs local.get $al i16x8.lt_s
  local.get $p1 local.get $p0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s v128.and
  local.get $q1 local.get $q0 i16x8.sub i16x8.abs local.get $be i16x8.lt_s v128.and
  local.get $bs local.get $zero i16x8.gt_s v128.and local.set $f
  local.get $bs local.get $four i16x8.eq local.set $is4
  ;; delta = Clip3(-tC, tC, ((q0 - p0) << 2 + (p1 - q1) + 4) >> 3), tC = tC0 + 1 (8-468, 8-469)
  local.get $tc local.get $one i16x8.add local.set $t
  local.get $q0 local.get $p0 i16x8.sub i32.const 2 i16x8.shl local.get $p1 i16x8.add local.get $q1 i16x8.sub
  local.get $four i16x8.add i32.const 3 i16x8.shr_s
  local.get $t i16x8.min_s local.get $zero local.get $t i16x8.sub i16x8.max_s local.set $d
  ;; p0: (2p1 + p0 + q1 + 2) >> 2 with bS 4, else Clip1(p0 + delta); q0 the same way round
  local.get $p1 i32.const 1 i16x8.shl local.get $p0 i16x8.add local.get $q1 i16x8.add local.get $two i16x8.add i32.const 2 i16x8.shr_u
  local.get $p0 local.get $d i16x8.add local.get $zero i16x8.max_s local.get $max i16x8.min_s
  local.get $is4 v128.bitselect local.get $p0 local.get $f v128.bitselect local.set $p0
  local.get $q1 i32.const 1 i16x8.shl local.get $q0 i16x8.add local.get $p1 i16x8.add local.get $two i16x8.add i32.const 2 i16x8.shr_u
  local.get $q0 local.get $d i16x8.sub local.get $zero i16x8.max_s local.get $max i16x8.min_s
  local.get $is4 v128.bitselect local.get $q0 local.get $f v128.bitselect local.set $q0`;

/** Names of the four chroma sample rows across an edge. */
const CHROMA_ROWS = ['p1', 'p0', 'q0', 'q1'];

/**
 * One chroma edge of both components at once (deblock.ts filterEdge for a chroma edge, on Cb and
 * Cr): 16 lines, the 8 of Cb (q0 sample at $u) in lanes 0-7 and the 8 of Cr ($v) in lanes 8-15,
 * which share bS, QP and so alpha, beta and tC0. $bsw and $tcw: the four 2-line segments' bS and
 * tC0, a byte each. `vertical`: lines are rows, whose 4 samples at q0 − 2 are gathered as i32
 * lanes and transposed in and out (a 4x4 byte transpose per vector, then a 4x4 i32 one).
 */
function chromaEdgeSource(vertical: boolean): FunctionSource {
  const widen = (half: 'low' | 'high'): string => CHROMA_ROWS.map((n) => `local.get $v${n} i16x8.extend_${half}_i8x16_u local.set $${n}`).join('\n')
    + `\nlocal.get $bsv i16x8.extend_${half}_i8x16_u local.set $bs local.get $tcv i16x8.extend_${half}_i8x16_u local.set $tc`;
  const keep = (half: string): string => ['p0', 'q0'].map((n) => `local.get $${n} local.set $${half}${n}`).join('\n');
  const byteT = '0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15';
  // Line l (0..15): row l of Cb, or row l − 8 of Cr; its address at q0 − 2.
  const lineAddr = (l: number): string => `local.get $${l < 8 ? 'u' : 'v'} local.get $stride i32.const ${l & 7} i32.mul i32.add i32.const 2 i32.sub`;
  let load: string, store: string;
  if (!vertical) {
    load = CHROMA_ROWS.map((n, k) => `
      local.get $u local.get $stride i32.const ${k - 2} i32.mul i32.add v128.load64_zero
      local.get $v local.get $stride i32.const ${k - 2} i32.mul i32.add v128.load64_zero
      i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 local.set $v${n}`).join('\n');
    store = ['p0', 'q0'].map((n, k) => `
      local.get $u local.get $stride i32.const ${k - 1} i32.mul i32.add local.get $v${n} v128.store64_lane 0
      local.get $v local.get $stride i32.const ${k - 1} i32.mul i32.add local.get $v${n} v128.store64_lane 1`).join('\n');
  } else {
    load = [0, 1, 2, 3].map((j) => `
      i32.const 0 i32x4.splat
      ${[0, 1, 2, 3].map((i) => `${lineAddr(4 * j + i)} i32.load i32x4.replace_lane ${i}`).join(' ')}
      local.get $zero i8x16.shuffle ${byteT} local.set $a${j}`).join('\n') + `
      ${transpose4('a', 'b')}
      ${CHROMA_ROWS.map((n, k) => `local.get $b${k} local.set $v${n}`).join('\n')}`;
    store = `
      ${CHROMA_ROWS.map((n, k) => `local.get $v${n} local.set $a${k}`).join('\n')}
      ${transpose4('a', 'b')}
      ${[0, 1, 2, 3].map((j) => `
      local.get $b${j} local.get $b${j} i8x16.shuffle ${byteT} local.set $b${j}
      ${[0, 1, 2, 3].map((i) => `${lineAddr(4 * j + i)} local.get $b${j} i32x4.extract_lane ${i} i32.store`).join('\n')}`).join('\n')}`;
  }
  const v = (names: string[]): [string, 'v128'][] => names.map((n) => [n, 'v128']);
  return {
    name: vertical ? 'chromaEdgeV' : 'chromaEdgeH',
    params: [['$u', 'i32'], ['$v', 'i32'], ['$stride', 'i32'], ['$bsw', 'i32'], ['$tcw', 'i32'], ['$alpha', 'i32'], ['$beta', 'i32']],
    result: null,
    locals: [
      ...v(CHROMA_ROWS.map((n) => `$v${n}`)), ...v(CHROMA_ROWS.map((n) => `$${n}`)), ...v(['$lop0', '$loq0', '$hip0', '$hiq0']),
      ...v(['$bsv', '$tcv', '$bs', '$tc', '$al', '$be', '$zero', '$one', '$two', '$four', '$max', '$f', '$t', '$d', '$is4']),
      ...(vertical ? v(['$a0', '$a1', '$a2', '$a3', '$b0', '$b1', '$b2', '$b3', '$x0', '$x1', '$x2', '$x3']) : []),
    ],
    body: `
      ;; Segment s's bS and tC0 on lines 2s, 2s + 1 of each component.
      ${edgeSetup('0 0 1 1 2 2 3 3 0 0 1 1 2 2 3 3')}
      i32.const 1 i16x8.splat local.set $one
      ${load}
      ${bothHalves(widen, CHROMA_FILTER_HALF, keep)}
      local.get $lop0 local.get $hip0 i8x16.narrow_i16x8_u local.set $vp0
      local.get $loq0 local.get $hiq0 i8x16.narrow_i16x8_u local.set $vq0
      ${store}`,
  };
}

/** i32 lanes as byte indices of an i8x16.shuffle (lanes 4..7 are the second operand's). */
const lanes32 = (ls: number[]): string => ls.map((l) => `${4 * l} ${4 * l + 1} ${4 * l + 2} ${4 * l + 3}`).join(' ');

/** Transposes the 4x4 i32 matrix in $<a>0..$<a>3 (rows) into $<b>0..$<b>3 (columns), through $x0..$x3. */
function transpose4(a: string, b: string): string {
  const sh = (x: string, y: string, ls: number[], out: string): string => `local.get ${x} local.get ${y} i8x16.shuffle ${lanes32(ls)} local.set ${out}`;
  return [
    sh(`$${a}0`, `$${a}1`, [0, 4, 1, 5], '$x0'), sh(`$${a}0`, `$${a}1`, [2, 6, 3, 7], '$x1'),
    sh(`$${a}2`, `$${a}3`, [0, 4, 1, 5], '$x2'), sh(`$${a}2`, `$${a}3`, [2, 6, 3, 7], '$x3'),
    sh('$x0', '$x2', [0, 1, 4, 5], `$${b}0`), sh('$x0', '$x2', [2, 3, 6, 7], `$${b}1`),
    sh('$x1', '$x3', [0, 1, 4, 5], `$${b}2`), sh('$x1', '$x3', [2, 3, 6, 7], `$${b}3`),
  ].join('\n');
}

/**
 * One pass of the inverse core transform (8-338..8-345 on rows, 8-346..8-353 on columns) lane by
 * lane over $<a>0..$<a>3: e = a0 + a2, f = a0 − a2, g = (a1 >> 1) − a3, h = a1 + (a3 >> 1), into
 * $<b>0..$<b>3 = e + h, f + g, f − g, e − h.
 */
function inversePass(a: string, b: string): string {
  return `
    local.get $${a}0 local.get $${a}2 i32x4.add local.set $e
    local.get $${a}0 local.get $${a}2 i32x4.sub local.set $f
    local.get $${a}1 i32.const 1 i32x4.shr_s local.get $${a}3 i32x4.sub local.set $g
    local.get $${a}1 local.get $${a}3 i32.const 1 i32x4.shr_s i32x4.add local.set $h
    local.get $e local.get $h i32x4.add local.set $${b}0
    local.get $f local.get $g i32x4.add local.set $${b}1
    local.get $f local.get $g i32x4.sub local.set $${b}2
    local.get $e local.get $h i32x4.sub local.set $${b}3`;
}

/**
 * Reconstruction of a macroblock's 4x4 blocks (geometry as blockQuant: `count` blocks in rows of
 * 1 << $bshift), each as transform.ts reconstruct4x4 does: the inverse transform of coef[r * 16..]
 * (rows, then columns with (x + 32) >> 6, 8.5.12.2), added to the prediction and clipped (8.5.14),
 * written to dst; blocks whose bit in $mask is 0 have no coefficients and are the prediction
 * itself (copyPrediction). Returns the SSD of dst against src.
 */
function blockReconSource(): FunctionSource {
  const row = (k: number, value: string): string => `
    ;; row ${k}: prediction + residual, clipped; stored; squared error against the source
    ${value}
    local.get $pa local.get $ps i32.const ${k} i32.mul i32.add v128.load32_zero i16x8.extend_low_i8x16_u i32x4.extend_low_i16x8_u i32x4.add
    local.get $zero i32x4.max_s local.get $max i32x4.min_s local.set $v
    local.get $da local.get $ds i32.const ${k} i32.mul i32.add
    local.get $v local.get $v i16x8.narrow_i32x4_s local.tee $e local.get $e i8x16.narrow_i16x8_u v128.store32_lane 0
    local.get $sa local.get $ss i32.const ${k} i32.mul i32.add v128.load32_zero i16x8.extend_low_i8x16_u i32x4.extend_low_i16x8_u
    local.get $v i32x4.sub local.tee $v local.get $v i32x4.mul local.get $acc i32x4.add local.set $acc`;
  const v = (names: string[]): [string, 'v128'][] => names.map((n) => [n, 'v128']);
  return {
    name: 'blockRecon',
    params: [['$coef', 'i32'], ['$pred', 'i32'], ['$ps', 'i32'], ['$src', 'i32'], ['$ss', 'i32'], ['$dst', 'i32'], ['$ds', 'i32'],
      ['$bshift', 'i32'], ['$count', 'i32'], ['$mask', 'i32']],
    result: 'i32',
    locals: [['$r', 'i32'], ['$row4', 'i32'], ['$col', 'i32'], ['$pa', 'i32'], ['$sa', 'i32'], ['$da', 'i32'], ['$c', 'i32'],
      ...v(['$a0', '$a1', '$a2', '$a3', '$b0', '$b1', '$b2', '$b3', '$x0', '$x1', '$x2', '$x3',
        '$e', '$f', '$g', '$h', '$v', '$acc', '$zero', '$max', '$round'])],
    body: `
      i32.const 255 i32x4.splat local.set $max
      i32.const 32 i32x4.splat local.set $round
      i32.const 0 local.set $r
      loop $blocks
        local.get $r local.get $bshift i32.shr_u i32.const 2 i32.shl local.set $row4
        local.get $r i32.const 1 local.get $bshift i32.shl i32.const 1 i32.sub i32.and i32.const 2 i32.shl local.set $col
        local.get $row4 local.get $ps i32.mul local.get $col i32.add local.get $pred i32.add local.set $pa
        local.get $row4 local.get $ss i32.mul local.get $col i32.add local.get $src i32.add local.set $sa
        local.get $row4 local.get $ds i32.mul local.get $col i32.add local.get $dst i32.add local.set $da
        local.get $mask local.get $r i32.shr_u i32.const 1 i32.and
        if
          local.get $coef local.get $r i32.const 6 i32.shl i32.add local.tee $c v128.load local.set $a0
          local.get $c v128.load offset=16 local.set $a1
          local.get $c v128.load offset=32 local.set $a2
          local.get $c v128.load offset=48 local.set $a3
          ;; Rows first: columns as lanes, so each row's transform is lane-wise.
          ${transpose4('a', 'b')}
          ${inversePass('b', 'a')}
          ;; $a_j lane i = f[i][j]; back to rows as vectors for the column pass.
          ${transpose4('a', 'b')}
          ${inversePass('b', 'a')}
          ${[0, 1, 2, 3].map((k) => row(k, `local.get $a${k} local.get $round i32x4.add i32.const 6 i32x4.shr_s`)).join('\n')}
        else
          ${[0, 1, 2, 3].map((k) => row(k, 'local.get $zero')).join('\n')}
        end
        local.get $r i32.const 1 i32.add local.tee $r
        local.get $count i32.lt_u br_if $blocks
      end
      local.get $acc i32x4.extract_lane 0 local.get $acc i32x4.extract_lane 1 i32.add
      local.get $acc i32x4.extract_lane 2 i32.add local.get $acc i32x4.extract_lane 3 i32.add`,
  };
}

/**
 * Intra_16x16 Plane prediction (8.3.3.4) from its a, b and c (intra-pred.ts plane16Params):
 * Clip1((a + b (x − 7) + c (y − 7) + 16) >> 5) into pred (stride 16). |a| <= 8160 and
 * |b|, |c| <= 717 keep every term in i16; the clip is the unsigned saturating narrow.
 */
function plane16Source(): FunctionSource {
  return {
    name: 'plane16',
    params: [['$pred', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$c', 'i32']],
    result: null,
    locals: [['$y', 'i32'], ['$lo', 'v128'], ['$hi', 'v128'], ['$base', 'v128']],
    body: `
      local.get $b i16x8.splat v128.const i16x8 -7 -6 -5 -4 -3 -2 -1 0 i16x8.mul local.set $lo
      local.get $b i16x8.splat v128.const i16x8 1 2 3 4 5 6 7 8 i16x8.mul local.set $hi
      loop $rows
        ;; a + c (y − 7) + 16 for the row
        local.get $a local.get $c local.get $y i32.const 7 i32.sub i32.mul i32.add i32.const 16 i32.add i16x8.splat local.set $base
        local.get $pred local.get $y i32.const 4 i32.shl i32.add
        local.get $base local.get $lo i16x8.add i32.const 5 i16x8.shr_s
        local.get $base local.get $hi i16x8.add i32.const 5 i16x8.shr_s
        i8x16.narrow_i16x8_u v128.store
        local.get $y i32.const 1 i32.add local.tee $y
        i32.const 16 i32.lt_u br_if $rows
      end`,
  };
}

/** Moves $i down past zero levels at $lv (i32, index $i), doing `each` for every one. */
function skipZeros(done: string, loop: string, each: string): string {
  return `
    block ${done}
      loop ${loop}
        local.get $i i32.const 0 i32.lt_s br_if ${done}
        local.get $lv local.get $i i32.const 2 i32.shl i32.add i32.load br_if ${done}
        local.get $i i32.const 1 i32.sub local.set $i
        ${each}
        br ${loop}
      end
    end`;
}

/**
 * residual.ts decimateScore of the block whose 16 levels (i32, scan order) are at $lv, into $sc
 * (uses $i and $run): walking from the last level towards the first, a level beyond ±1 scores 9
 * and ends it, each ±1 scores 3, 2, 2, 1, 1, 1 by the zeros before it (none past 5).
 */
const DECIMATE_SCORE = `
    i32.const 0 local.set $sc
    i32.const 15 local.set $i
    ${skipZeros('$done', '$trailing', '')}
    block $scored
      loop $levels
        local.get $i i32.const 0 i32.lt_s br_if $scored
        ;; |level| > 1: keep (9)
        local.get $lv local.get $i i32.const 2 i32.shl i32.add i32.load i32.const 1 i32.add i32.const 2 i32.gt_u
        if i32.const 9 local.set $sc br $scored end
        local.get $i i32.const 1 i32.sub local.set $i
        i32.const 0 local.set $run
        ${skipZeros('$runDone', '$zeros', 'local.get $run i32.const 1 i32.add local.set $run')}
        ;; DECIMATE_4x4[run]: 3, 2, 2, 1, 1, 1, then 0
        local.get $sc
        i32.const 3 i32.const 2 i32.const 1 i32.const 0 local.get $run i32.const 5 i32.le_u select local.get $run i32.const 2 i32.le_u select
        local.get $run i32.eqz select
        i32.add local.set $sc
        br $levels
      end
    end`;

/** $r = block k (0..3, raster) of 8x8 $b8 (residual.ts: r0 + (k & 1) + (k >> 1) * 4, r0 = (b8 >> 1) * 8 + (b8 & 1) * 2). */
const BLOCK_OF_8X8 = `
    local.get $b8 i32.const 1 i32.shr_u i32.const 3 i32.shl local.get $b8 i32.const 1 i32.and i32.const 1 i32.shl i32.add
    local.get $k i32.const 1 i32.and i32.add local.get $k i32.const 1 i32.shr_u i32.const 2 i32.shl i32.add local.set $r`;

/**
 * 8x8 $b8's decimation score into $s8: DECIMATE_SCORE of each of its blocks with levels ($nz,
 * $levels); $any = 1 when it has one.
 */
const SCORE_8X8 = `
    i32.const 0 local.set $s8
    i32.const 0 local.set $any
    i32.const 0 local.set $k
    loop $scores
      ${BLOCK_OF_8X8}
      local.get $nz local.get $r i32.add i32.load8_u
      if
        i32.const 1 local.set $any
        local.get $levels local.get $r i32.const 6 i32.shl i32.add local.set $lv
        ${DECIMATE_SCORE}
        local.get $s8 local.get $sc i32.add local.set $s8
      end
      local.get $k i32.const 1 i32.add local.tee $k i32.const 4 i32.lt_u br_if $scores
    end`;

/** skipProbe's result: the SSD in the low bits (384 samples x 255² < 2^25), bit 30 when the residual vanishes. */
export const SKIP_SSD_MASK = (1 << 30) - 1, SKIP_VANISHES = 1 << 30;

/**
 * P_Skip's evaluation of a macroblock (inter.ts analyse up to its early decision), in one call:
 * the luma prediction as avgBlock of the planes at $a and $b (interpolate.ts lumaSources' choice,
 * stride $rs) into $pred (16x16), both chroma predictions by chroma8 from $cu and $cv (stride $cs,
 * weights $wa..$wd) into $predC (Cb above Cr, 8 wide), and the SSD of both against $src (16x16)
 * and $srcC. With $probe, also residual.ts lumaResidualVanishes and chromaResidualVanishes on
 * those predictions: blockLevels of the 16 luma blocks, x264's decimation scores per 8x8 (a block
 * with a level beyond ±1 scores 9, else each ±1 level scores 3, 2, 2, 1, 1, 1 by the zeros before
 * it in scan order, none past 5), an 8x8 kept from score 4, the macroblock from a total of 6;
 * then blockQuant of the 8 chroma AC blocks and the 2x2 Hadamard of each component's DCs,
 * quantised with a doubled step. $coef, $levels and $nz are blockQuant's outputs (scratch).
 * Returns the SSD, with bit 30 set when the probe found that nothing would be coded.
 */
function skipProbeSource(): FunctionSource {
  const dcCheck = (c: number): string => `
    local.get $coef i32.load offset=${c * 256} local.set $d0
    local.get $coef i32.load offset=${c * 256 + 64} local.set $d1
    local.get $coef i32.load offset=${c * 256 + 128} local.set $d2
    local.get $coef i32.load offset=${c * 256 + 192} local.set $d3
    ${[[1, 1, 1], [-1, 1, -1], [1, -1, -1], [-1, -1, 1]].map(([s1, s2, s3]) => `
    local.get $d0 local.get $d1 ${s1 === 1 ? 'i32.add' : 'i32.sub'} local.get $d2 ${s2 === 1 ? 'i32.add' : 'i32.sub'} local.get $d3 ${s3 === 1 ? 'i32.add' : 'i32.sub'}
    local.tee $t i32.const 0 local.get $t i32.sub local.get $t i32.const 0 i32.ge_s select
    local.get $mfDc i32.mul local.get $biasDc i32.add local.get $shiftDc i32.shr_s
    if local.get $ssd return end`).join('')}`;
  return {
    name: 'skipProbe',
    params: [['$src', 'i32'], ['$srcC', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$rs', 'i32'], ['$cu', 'i32'], ['$cv', 'i32'], ['$cs', 'i32'],
      ['$wa', 'i32'], ['$wb', 'i32'], ['$wc', 'i32'], ['$wd', 'i32'], ['$pred', 'i32'], ['$predC', 'i32'], ['$probe', 'i32'],
      ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'], ['$mc', 'i32'], ['$q6c', 'i32'], ['$biasC', 'i32'], ['$table', 'i32'],
      ['$coef', 'i32'], ['$levels', 'i32'], ['$nz', 'i32']],
    result: 'i32',
    locals: [['$ssd', 'i32'], ['$b8', 'i32'], ['$k', 'i32'], ['$r', 'i32'], ['$lv', 'i32'], ['$i', 'i32'], ['$run', 'i32'], ['$sc', 'i32'],
      ['$s8', 'i32'], ['$any', 'i32'], ['$total', 'i32'], ['$d0', 'i32'], ['$d1', 'i32'], ['$d2', 'i32'], ['$d3', 'i32'], ['$t', 'i32'],
      ['$mfDc', 'i32'], ['$biasDc', 'i32'], ['$shiftDc', 'i32']],
    body: `
      local.get $a local.get $b local.get $rs local.get $pred i32.const 16 i32.const 16 i32.const 16 call $avgBlock
      local.get $cu local.get $cs local.get $predC i32.const 8 i32.const 8 local.get $wa local.get $wb local.get $wc local.get $wd call $chroma8
      local.get $cv local.get $cs local.get $predC i32.const 64 i32.add i32.const 8 i32.const 8 local.get $wa local.get $wb local.get $wc local.get $wd call $chroma8
      local.get $src i32.const 16 local.get $pred i32.const 16 i32.const 16 i32.const 16 call $ssd
      local.get $srcC i32.const 8 local.get $predC i32.const 8 i32.const 8 i32.const 16 call $ssd
      i32.add local.set $ssd
      local.get $probe i32.eqz if local.get $ssd return end
      ;; luma, by halves (x264 stops at the first 8x8 that keeps the macroblock): the 8 blocks,
      ;; then their two 8x8s' decimation scores (lumaResidualVanishes)
      ${[0, 1].map((half) => `
      local.get $src i32.const ${half * 128} i32.add i32.const 16 local.get $pred i32.const ${half * 128} i32.add i32.const 16
      i32.const 2 i32.const 8 i32.const 0 local.get $coef local.get $levels i32.const ${half * 512} i32.add
      local.get $nz i32.const ${half * 8} i32.add local.get $m local.get $q6 local.get $bias local.get $table call $blockLevels
      loop $b8s
        ${SCORE_8X8}
        local.get $s8 i32.const 4 i32.ge_u
        if
          local.get $total local.get $s8 i32.add local.tee $total
          i32.const 6 i32.ge_u if local.get $ssd return end
        end
        local.get $b8 i32.const 1 i32.add local.tee $b8 i32.const ${2 * half + 2} i32.lt_u br_if $b8s
      end`).join('')}
      ;; chroma: any AC level, then the DCs (chromaResidualVanishes)
      local.get $srcC i32.const 8 local.get $predC i32.const 8 i32.const 1 i32.const 8 i32.const 1
      local.get $coef local.get $levels local.get $nz local.get $mc local.get $q6c local.get $biasC local.get $table call $blockQuant
      local.get $nz i32.load local.get $nz i32.load offset=4 i32.or if local.get $ssd return end
      local.get $table local.get $mc i32.const 6 i32.shl i32.add i32.load local.set $mfDc
      local.get $biasC i32.const 1 i32.shl local.set $biasDc
      local.get $q6c i32.const 16 i32.add local.set $shiftDc
      ${dcCheck(0)}
      ${dcCheck(1)}
      local.get $ssd i32.const ${SKIP_VANISHES} i32.or`,
  };
}

/**
 * The fields of skipMacroblock's context (i32 each, in this order): the source picture's planes
 * (their first samples) and strides, the macroblock buffers it loads, the reference's four luma
 * planes (sample (0, 0) of the full-sample, Hp, Vp and HVp planes), their stride, its two chroma
 * planes and their stride, P_Skip's coding (prediction 16x16, Cb above Cr, its 16 + 16 vectors),
 * skipProbe's quantisation table and scratch, SUBPEL_SOURCES, the MbState descriptor, the
 * reconstructed picture's planes and strides, 16 zero bytes; for searchPartition also the search
 * state (inter.ts SEARCH_STATE_BYTES), how far outside the reference a block may reach (its pad
 * less a margin), its width and height, the level's vertical
 * vector limit (quarter samples) and the search settings (range, square 0/1, quarter 0/1); for
 * codeP16 the inter predictions, the P_L0_16x16 coding's arrays, codeInter's results, the
 * macroblock writer's buffer and the CAVLC tables.
 */
export const SKIP_CTX_FIELDS = [
  'srcY', 'srcU', 'srcV', 'srcStrideY', 'srcStrideC', 'src16', 'srcC',
  'refF', 'refH', 'refV', 'refHV', 'refStride', 'refU', 'refV2', 'refStrideC',
  'pred', 'predC', 'mvx', 'mvy', 'table', 'coef', 'levels', 'nz', 'subpel', 'desc',
  'recY', 'recU', 'recV', 'recStrideY', 'recStrideC', 'zeros',
  'search', 'reach', 'width', 'height', 'maxVmv', 'range', 'square', 'quarter',
  'interPred', 'interPredC', 'p16Levels', 'p16Nz', 'p16Recon', 'p16Dc', 'p16Ac', 'p16NzC', 'p16ReconC', 'result', 'mbBuf', 'cavlc',
] as const;

/**
 * inter.ts analyse up to its early decision, for one macroblock in one call: the macroblock's
 * source into the buffers (loadMb), its P_Skip vector (mv-pred.ts predictSkipMv: zero without the
 * left or upper neighbour or when either has refIdx 0 and a zero vector, else predictMv's 16x16
 * median with C, or D for an unavailable C, and the single-match rule) into P_Skip's 16 + 16
 * vectors, the planes of that vector (lumaSources by SUBPEL_SOURCES) and chroma's position and
 * weights, then skipProbe. When the probe ($probe) finds that nothing would be coded it commits
 * the macroblock as P_Skip (commitInter). Returns skipProbe's result. $ctx holds SKIP_CTX_FIELDS.
 */
function skipMacroblockSource(): FunctionSource {
  const ctx = ctxField, desc = descField, motion = blockMotion, median = median3;
  return {
    name: 'skipMacroblock',
    params: [['$ctx', 'i32'], ['$mb', 'i32'], ['$mbx', 'i32'], ['$mby', 'i32'], ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'],
      ['$mc', 'i32'], ['$q6c', 'i32'], ['$biasC', 'i32'], ['$probe', 'i32']],
    result: 'i32',
    locals: [['$desc', 'i32'], ['$w', 'i32'], ['$x', 'i32'], ['$y', 'i32'], ['$i', 'i32'], ['$t', 'i32'], ['$smx', 'i32'], ['$smy', 'i32'],
      ['$rA', 'i32'], ['$xA', 'i32'], ['$yA', 'i32'], ['$rB', 'i32'], ['$xB', 'i32'], ['$yB', 'i32'], ['$rC', 'i32'], ['$xC', 'i32'], ['$yC', 'i32'],
      ['$e', 'i32'], ['$off', 'i32'], ['$rs', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$cs', 'i32'], ['$c', 'i32'], ['$xf', 'i32'], ['$yf', 'i32'],
      ['$found', 'i32'], ['$v', 'v128']],
    body: `
      local.get $mbx i32.const 4 i32.shl local.set $x
      local.get $mby i32.const 4 i32.shl local.set $y
      ${ctx('desc')} local.set $desc
      ${desc('mbWidth')} local.set $w
      ;; the source
      ${ctx('srcY')} local.get $y ${ctx('srcStrideY')} i32.mul i32.add local.get $x i32.add
      ${ctx('srcU')} local.get $y i32.const 1 i32.shr_u ${ctx('srcStrideC')} i32.mul i32.add local.get $x i32.const 1 i32.shr_u i32.add
      ${ctx('srcV')} local.get $y i32.const 1 i32.shr_u ${ctx('srcStrideC')} i32.mul i32.add local.get $x i32.const 1 i32.shr_u i32.add
      ${ctx('srcStrideY')} ${ctx('srcStrideC')} ${ctx('src16')} ${ctx('srcC')} call $loadMb
      ;; the P_Skip vector (8.4.1.1)
      block $vector
        local.get $mbx i32.eqz br_if $vector
        local.get $mby i32.eqz br_if $vector
        local.get $mb i32.const 1 i32.sub i32.const 4 i32.shl i32.const 3 i32.add local.set $i
        ${motion('A')}
        local.get $mb local.get $w i32.sub i32.const 4 i32.shl i32.const 12 i32.add local.set $i
        ${motion('B')}
        local.get $rA i32.eqz local.get $xA local.get $yA i32.or i32.eqz i32.and br_if $vector
        local.get $rB i32.eqz local.get $xB local.get $yB i32.or i32.eqz i32.and br_if $vector
        ;; C, or D (available here) when C is past the right edge
        local.get $mb local.get $w i32.sub i32.const 4 i32.shl
        i32.const 28 i32.const -1 local.get $mbx i32.const 1 i32.add local.get $w i32.lt_u select i32.add local.set $i
        ${motion('C')}
        local.get $rA i32.eqz local.get $rB i32.eqz i32.add local.get $rC i32.eqz i32.add i32.const 1 i32.eq
        if
          local.get $rA i32.eqz
          if local.get $xA local.set $smx local.get $yA local.set $smy
          else
            local.get $rB i32.eqz
            if local.get $xB local.set $smx local.get $yB local.set $smy
            else local.get $xC local.set $smx local.get $yC local.set $smy end
          end
        else
          ${median('$xA', '$xB', '$xC')} local.set $smx
          ${median('$yA', '$yB', '$yC')} local.set $smy
        end
      end
      local.get $smx i16x8.splat local.set $v
      ${ctx('mvx')} local.get $v v128.store ${ctx('mvx')} local.get $v v128.store offset=16
      local.get $smy i16x8.splat local.set $v
      ${ctx('mvy')} local.get $v v128.store ${ctx('mvy')} local.get $v v128.store offset=16
      ${mcSetup('$smx', '$smy')}
      ${ctx('src16')} ${ctx('srcC')} local.get $a local.get $b local.get $rs
      ${ctx('refU')} local.get $c i32.add ${ctx('refV2')} local.get $c i32.add local.get $cs ${CHROMA_WEIGHTS}
      ${ctx('pred')} ${ctx('predC')} local.get $probe local.get $m local.get $q6 local.get $bias local.get $mc local.get $q6c local.get $biasC
      ${ctx('table')} ${ctx('coef')} ${ctx('levels')} ${ctx('nz')} call $skipProbe local.tee $found
      i32.const ${SKIP_VANISHES} i32.and
      if
        local.get $desc local.get $mb local.get $mbx local.get $mby i32.const ${MbKind.PSkip} ${ctx('pred')} ${ctx('predC')}
        ${ctx('zeros')} ${ctx('zeros')} ${ctx('mvx')} ${ctx('mvy')}
        ${ctx('recY')} local.get $y ${ctx('recStrideY')} i32.mul i32.add local.get $x i32.add
        ${ctx('recU')} local.get $y i32.const 1 i32.shr_u ${ctx('recStrideC')} i32.mul i32.add local.get $x i32.const 1 i32.shr_u i32.add
        ${ctx('recV')} local.get $y i32.const 1 i32.shr_u ${ctx('recStrideC')} i32.mul i32.add local.get $x i32.const 1 i32.shr_u i32.add
        ${ctx('recStrideY')} ${ctx('recStrideC')} call $commitInter
      end
      local.get $found`,
  };
}

/**
 * inter.ts searchPartition with the kernels (hexagon search), for partition (x4, y4, w4 x h4
 * 4x4 blocks) of shape $shape (mv-pred.ts MvShape) in one call: its vector prediction
 * (mv-pred.ts predictMv: neighbours A, B and C, or D when C is not available, from the MbState
 * or, inside the macroblock, from the coding's vectors at $cmvx/$cmvy when decoded before the
 * partition; 16x8/8x16 directional, then the median with its substitution and single-match
 * rules), the starting points (prediction, zero, the co-located vector $prevX/$prevY, the left
 * and upper macroblocks', the first partition's), the vector limits, motionSearch{16,8,4}, and
 * the result into the coding: the vector over the partition's blocks and its mvd at $mvdx/$mvdy.
 * Returns the partition's cost. $ctx holds SKIP_CTX_FIELDS.
 */
function searchPartitionSource(): FunctionSource {
  const ctx = ctxField, desc = descField;
  // luma4x4BlkIdx of raster block (x, y) of the macroblock (locals).
  const blk = (x: string, y: string): string => `
    local.get ${y} i32.const 1 i32.shr_u i32.const 3 i32.shl local.get ${x} i32.const 1 i32.shr_u i32.const 2 i32.shl i32.or
    local.get ${y} i32.const 1 i32.and i32.const 1 i32.shl i32.or local.get ${x} i32.const 1 i32.and i32.or`;
  // Neighbour n at ($nx, $ny) relative to the macroblock (mv-pred.ts neighbour): $av{n}, $r{n}, $x{n}, $y{n}.
  const neighbour = (n: string): string => `
    i32.const 0 local.set $av${n} i32.const -1 local.set $r${n} i32.const 0 local.set $x${n} i32.const 0 local.set $y${n}
    block $done${n}
      local.get $ny i32.const 0 i32.lt_s
      if
        local.get $mby i32.eqz br_if $done${n}
        local.get $nx i32.const 0 i32.lt_s
        if
          local.get $mbx i32.eqz br_if $done${n}
          local.get $mb local.get $w i32.sub i32.const 1 i32.sub i32.const 4 i32.shl i32.const 15 i32.add local.set $i
        else
          local.get $nx i32.const 4 i32.lt_s
          if
            local.get $mb local.get $w i32.sub i32.const 4 i32.shl i32.const 12 i32.add local.get $nx i32.add local.set $i
          else
            local.get $mbx i32.const 1 i32.add local.get $w i32.ge_u br_if $done${n}
            local.get $mb local.get $w i32.sub i32.const 1 i32.add i32.const 4 i32.shl i32.const 12 i32.add local.set $i
          end
        end
      else
        local.get $nx i32.const 0 i32.lt_s
        if
          local.get $mbx i32.eqz br_if $done${n}
          local.get $mb i32.const 1 i32.sub i32.const 4 i32.shl local.get $ny i32.const 2 i32.shl i32.add i32.const 3 i32.add local.set $i
        else
          local.get $nx i32.const 4 i32.ge_s br_if $done${n}
          ;; inside the macroblock: available once decoded, before the partition's first block
          ${blk('$nx', '$ny')} local.get $order i32.ge_u br_if $done${n}
          i32.const 1 local.set $av${n} i32.const 0 local.set $r${n}
          local.get $ny i32.const 2 i32.shl local.get $nx i32.add i32.const 1 i32.shl local.set $i
          local.get $cmvx local.get $i i32.add i32.load16_s local.set $x${n}
          local.get $cmvy local.get $i i32.add i32.load16_s local.set $y${n}
          br $done${n}
        end
      end
      i32.const 1 local.set $av${n}
      ${blockMotion(n)}
    end`;
  const at = (x: string, y: string): string => `local.get $x4 ${x} i32.add local.set $nx local.get $y4 ${y} i32.add local.set $ny`;
  const median = median3;
  const take = (n: string): string => `local.get $x${n} local.set $mpx local.get $y${n} local.set $mpy`;
  const start = (k: string, x: string, y: string): string => `
    local.get $st ${k} i32.const 3 i32.shl i32.add ${x} i32.const 2 i32.add i32.const 2 i32.shr_s i32.store offset=36
    local.get $st ${k} i32.const 3 i32.shl i32.add ${y} i32.const 2 i32.add i32.const 2 i32.shr_s i32.store offset=40`;
  const search = (size: number): string => `
    local.get $src local.get $f local.get $hp local.get $vp local.get $hvp local.get $rs local.get $h local.get $mpx local.get $mpy local.get $lambda
    local.get $minX local.get $maxX local.get $minY local.get $maxY ${ctx('range')} ${ctx('square')} ${ctx('quarter')} ${ctx('subpel')} local.get $st
    call $motionSearch${size}`;
  const i32Locals = ['$desc', '$w', '$i', '$t', '$nx', '$ny', '$order', '$mpx', '$mpy', '$n', '$px', '$py', '$pw', '$h', '$pad', '$rs',
    '$minX', '$maxX', '$minY', '$maxY', '$src', '$f', '$hp', '$vp', '$hvp', '$st', '$qx', '$qy', '$x', '$y',
    ...['A', 'B', 'C'].flatMap((n) => [`$av${n}`, `$r${n}`, `$x${n}`, `$y${n}`])];
  return {
    name: 'searchPartition',
    params: [['$ctx', 'i32'], ['$mb', 'i32'], ['$mbx', 'i32'], ['$mby', 'i32'], ['$x4', 'i32'], ['$y4', 'i32'], ['$w4', 'i32'], ['$h4', 'i32'],
      ['$shape', 'i32'], ['$lambda', 'f64'], ['$cmvx', 'i32'], ['$cmvy', 'i32'], ['$mvdx', 'i32'], ['$mvdy', 'i32'], ['$prevX', 'i32'], ['$prevY', 'i32']],
    result: 'f64',
    locals: [...i32Locals.map((l): [string, 'i32'] => [l, 'i32']), ['$cost', 'f64']],
    body: `
      ${ctx('desc')} local.set $desc
      ${desc('mbWidth')} local.set $w
      ${blk('$x4', '$y4')} local.set $order
      ;; the vector prediction (8.4.1.3)
      ${at('i32.const -1', 'i32.const 0')} ${neighbour('A')}
      ${at('i32.const 0', 'i32.const -1')} ${neighbour('B')}
      ${at('local.get $w4', 'i32.const -1')} ${neighbour('C')}
      local.get $avC i32.eqz
      if ${at('i32.const -1', 'i32.const -1')} ${neighbour('C')} end
      block $predicted
        local.get $shape i32.const ${MvShape.Upper16x8} i32.eq
        if local.get $rB i32.eqz if ${take('B')} br $predicted end end
        local.get $shape i32.const ${MvShape.Lower16x8} i32.eq local.get $shape i32.const ${MvShape.Left8x16} i32.eq i32.or
        if local.get $rA i32.eqz if ${take('A')} br $predicted end end
        local.get $shape i32.const ${MvShape.Right8x16} i32.eq
        if local.get $rC i32.eqz if ${take('C')} br $predicted end end
        local.get $avB i32.eqz local.get $avC i32.eqz i32.and local.get $avA i32.and
        if
          local.get $xA local.tee $xB local.set $xC
          local.get $yA local.tee $yB local.set $yC
          local.get $rA local.tee $rB local.set $rC
        end
        local.get $rA i32.eqz local.get $rB i32.eqz i32.add local.get $rC i32.eqz i32.add i32.const 1 i32.eq
        if
          local.get $rA i32.eqz if ${take('A')} br $predicted end
          local.get $rB i32.eqz if ${take('B')} br $predicted end
          ${take('C')} br $predicted
        end
        ${median('$xA', '$xB', '$xC')} local.set $mpx
        ${median('$yA', '$yB', '$yC')} local.set $mpy
      end
      ;; the starting points, in full samples, at the search state's byte 32 (count, then pairs)
      ${ctx('search')} local.set $st
      ${start('i32.const 0', 'local.get $mpx', 'local.get $mpy')}
      ${start('i32.const 1', 'i32.const 0', 'i32.const 0')}
      ${start('i32.const 2', 'local.get $prevX', 'local.get $prevY')}
      i32.const 3 local.set $n
      local.get $mbx
      if
        local.get $mb i32.const 1 i32.sub i32.const 4 i32.shl i32.const 3 i32.add i32.const 1 i32.shl local.set $i
        ${start('local.get $n', `${desc('mvx')} local.get $i i32.add i32.load16_s`, `${desc('mvy')} local.get $i i32.add i32.load16_s`)}
        local.get $n i32.const 1 i32.add local.set $n
      end
      local.get $mby
      if
        local.get $mb local.get $w i32.sub i32.const 4 i32.shl i32.const 12 i32.add i32.const 1 i32.shl local.set $i
        ${start('local.get $n', `${desc('mvx')} local.get $i i32.add i32.load16_s`, `${desc('mvy')} local.get $i i32.add i32.load16_s`)}
        local.get $n i32.const 1 i32.add local.set $n
      end
      local.get $x4 local.get $y4 i32.or
      if
        ${start('local.get $n', 'local.get $cmvx i32.load16_s', 'local.get $cmvy i32.load16_s')}
        local.get $n i32.const 1 i32.add local.set $n
      end
      local.get $st local.get $n i32.store offset=32
      ;; the vector limits: inside the padded reference, and the level's vertical range
      local.get $mbx i32.const 4 i32.shl local.get $x4 i32.const 2 i32.shl i32.add local.set $px
      local.get $mby i32.const 4 i32.shl local.get $y4 i32.const 2 i32.shl i32.add local.set $py
      local.get $w4 i32.const 2 i32.shl local.set $pw
      local.get $h4 i32.const 2 i32.shl local.set $h
      ${ctx('reach')} local.set $pad
      i32.const 0 local.get $px i32.sub local.get $pad i32.sub i32.const 2 i32.shl local.set $minX
      ${ctx('width')} local.get $px i32.sub local.get $pw i32.sub local.get $pad i32.add i32.const 2 i32.shl local.set $maxX
      i32.const 0 local.get $py i32.sub local.get $pad i32.sub i32.const 2 i32.shl local.tee $minY
      i32.const 0 ${ctx('maxVmv')} i32.sub local.tee $t local.get $minY local.get $t i32.gt_s select local.set $minY
      ${ctx('height')} local.get $py i32.sub local.get $h i32.sub local.get $pad i32.add i32.const 2 i32.shl local.tee $maxY
      ${ctx('maxVmv')} i32.const 1 i32.sub local.tee $t local.get $maxY local.get $t i32.lt_s select local.set $maxY
      ;; the search, from (cost inf, 0, 0)
      local.get $st f64.const inf f64.store
      local.get $st i32.const 0 i32.store offset=8
      local.get $st i32.const 0 i32.store offset=12
      ${ctx('refStride')} local.set $rs
      local.get $py local.get $rs i32.mul local.get $px i32.add local.set $t
      ${ctx('refF')} local.get $t i32.add local.set $f
      ${ctx('refH')} local.get $t i32.add local.set $hp
      ${ctx('refV')} local.get $t i32.add local.set $vp
      ${ctx('refHV')} local.get $t i32.add local.set $hvp
      ${ctx('src16')} local.get $y4 i32.const 6 i32.shl i32.add local.get $x4 i32.const 2 i32.shl i32.add local.set $src
      local.get $pw i32.const 16 i32.eq
      if ${search(16)}
      else
        local.get $pw i32.const 8 i32.eq
        if ${search(8)} else ${search(4)} end
      end
      local.get $st f64.load local.set $cost
      local.get $st i32.load offset=8 local.set $qx
      local.get $st i32.load offset=12 local.set $qy
      ;; the vector over the partition, and its mvd
      local.get $y4 local.set $y
      loop $rows
        local.get $x4 local.set $x
        loop $cols
          local.get $y i32.const 2 i32.shl local.get $x i32.add i32.const 1 i32.shl local.set $i
          local.get $cmvx local.get $i i32.add local.get $qx i32.store16
          local.get $cmvy local.get $i i32.add local.get $qy i32.store16
          local.get $x i32.const 1 i32.add local.tee $x local.get $x4 local.get $w4 i32.add i32.lt_u br_if $cols
        end
        local.get $y i32.const 1 i32.add local.tee $y local.get $y4 local.get $h4 i32.add i32.lt_u br_if $rows
      end
      local.get $mvdx local.get $qx local.get $mpx i32.sub i32.store16
      local.get $mvdy local.get $qy local.get $mpy i32.sub i32.store16
      local.get $cost`,
  };
}

/**
 * An inter macroblock's residual against its prediction, as residual.ts codeLumaResidual (with
 * decimation) and codeChromaResidual do it, in one call. Luma: blockQuant of the 16 blocks into
 * $coef, $levels and $nz; each 8x8 scoring under 4 cleared (levels and nz), the macroblock when the
 * kept ones total under 6; blockRecon into $recon. Chroma: codeChroma into $dc, $ac, $nzC and
 * $reconC. At $out: luma SSD, luma cbp, chroma SSD, chroma cbp (i32).
 */
function codeInterSource(): FunctionSource {
  const zero16 = (addr: string): string => [0, 1, 2, 3].map((k) => `${addr} v128.const i32x4 0 0 0 0 v128.store offset=${16 * k}`).join('\n');
  return {
    name: 'codeInter',
    params: [['$src', 'i32'], ['$srcC', 'i32'], ['$pred', 'i32'], ['$predC', 'i32'], ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'],
      ['$mc', 'i32'], ['$q6c', 'i32'], ['$biasC', 'i32'], ['$table', 'i32'], ['$coef', 'i32'], ['$levels', 'i32'], ['$nz', 'i32'],
      ['$recon', 'i32'], ['$dc', 'i32'], ['$ac', 'i32'], ['$nzC', 'i32'], ['$reconC', 'i32'], ['$out', 'i32']],
    result: null,
    locals: [['$b8', 'i32'], ['$k', 'i32'], ['$r', 'i32'], ['$lv', 'i32'], ['$i', 'i32'], ['$run', 'i32'], ['$sc', 'i32'], ['$s8', 'i32'],
      ['$any', 'i32'], ['$total', 'i32'], ['$cbp', 'i32'], ['$coded', 'i32']],
    body: `
      ;; ---- luma
      local.get $src i32.const 16 local.get $pred i32.const 16 i32.const 2 i32.const 16 i32.const 0
      local.get $coef local.get $levels local.get $nz local.get $m local.get $q6 local.get $bias local.get $table call $blockQuant
      loop $b8s
        ${SCORE_8X8}
        local.get $any
        if
          local.get $s8 i32.const 4 i32.lt_u
          if
            ;; clear the 8x8's four blocks
            i32.const 0 local.set $k
            loop $clear
              ${BLOCK_OF_8X8}
              local.get $nz local.get $r i32.add i32.const 0 i32.store8
              ${zero16('local.get $levels local.get $r i32.const 6 i32.shl i32.add')}
              local.get $k i32.const 1 i32.add local.tee $k i32.const 4 i32.lt_u br_if $clear
            end
          else
            local.get $cbp i32.const 1 local.get $b8 i32.shl i32.or local.set $cbp
            local.get $total local.get $s8 i32.add local.set $total
          end
        end
        local.get $b8 i32.const 1 i32.add local.tee $b8 i32.const 4 i32.lt_u br_if $b8s
      end
      local.get $cbp i32.const 0 i32.ne local.get $total i32.const 6 i32.lt_u i32.and
      if
        ;; too little left in the whole macroblock: clear it
        local.get $nz v128.const i32x4 0 0 0 0 v128.store
        i32.const 0 local.set $r
        loop $clearAll
          ${zero16('local.get $levels local.get $r i32.const 6 i32.shl i32.add')}
          local.get $r i32.const 1 i32.add local.tee $r i32.const 16 i32.lt_u br_if $clearAll
        end
        i32.const 0 local.set $cbp
      end
      ;; blocks with levels are reconstructed, the rest are the prediction
      i32.const 0 local.set $coded
      i32.const 0 local.set $r
      loop $mask
        local.get $nz local.get $r i32.add i32.load8_u
        if local.get $coded i32.const 1 local.get $r i32.shl i32.or local.set $coded end
        local.get $r i32.const 1 i32.add local.tee $r i32.const 16 i32.lt_u br_if $mask
      end
      local.get $out
      local.get $coef local.get $pred i32.const 16 local.get $src i32.const 16 local.get $recon i32.const 16 i32.const 2 i32.const 16 local.get $coded call $blockRecon
      i32.store
      local.get $out local.get $cbp i32.store offset=4
      ;; ---- chroma
      local.get $srcC local.get $predC local.get $mc local.get $q6c local.get $biasC local.get $table local.get $coef
      local.get $dc local.get $ac local.get $nzC local.get $reconC local.get $out call $codeChroma`,
  };
}

/**
 * transform.ts quant of the value `v` leaves on the stack: (|v| $mfDc + $biasDc) >> $shiftDc with
 * v's sign (uses $t and $u).
 */
const quantDc = (v: string): string => `
    ${v} local.tee $t i32.const 0 local.get $t i32.sub local.get $t i32.const 0 i32.ge_s select
    local.get $mfDc i32.mul local.get $biasDc i32.add local.get $shiftDc i32.shr_s local.set $u
    local.get $u i32.const 0 local.get $u i32.sub local.get $t i32.const 0 i32.ge_s select`;

/**
 * residual.ts codeChromaResidual in one call: blockQuant of the 8 AC blocks (start 1) of $srcC
 * against $predC (Cb above Cr, 8 wide) into $coef, $ac and $nzC; each component's 2x2 DC
 * Hadamard quantised with a doubled step into $dc (i32 x 8), then inverted and scaled (8-330) into
 * each block's coefficient 0; nzC cleared when no AC level is left; blockRecon into $reconC. The
 * SSD and cbp (0, 1 DC only, 2) as i32 at $out + 8 and $out + 12 (codeInter's layout).
 */
function codeChromaSource(): FunctionSource {
  const HAD = [[1, 1, 1], [-1, 1, -1], [1, -1, -1], [-1, -1, 1]];
  const combine = (get: (k: number) => string, signs: number[]): string =>
    `${get(0)} ${get(1)} ${signs[0] === 1 ? 'i32.add' : 'i32.sub'} ${get(2)} ${signs[1] === 1 ? 'i32.add' : 'i32.sub'} ${get(3)} ${signs[2] === 1 ? 'i32.add' : 'i32.sub'}`;
  const chromaDc = (c: number): string => `
    ;; component ${c}: DC levels (forward 2x2 Hadamard, quantised)
    ${HAD.map((sg, i) => `local.get $dc ${quantDc(combine((k) => `local.get $coef i32.load offset=${c * 256 + k * 64}`, sg))} local.tee $t2 i32.store offset=${(c * 4 + i) * 4}
    local.get $anyDc local.get $t2 i32.or local.set $anyDc`).join('\n')}
    ;; inverse 2x2 Hadamard, scaled, into each block's coefficient 0; the blocks to reconstruct
    ${HAD.map((sg, blk) => `
    ${combine((k) => `local.get $dc i32.load offset=${(c * 4 + k) * 4}`, sg)} local.get $lsDc i32.mul local.get $q6c i32.shl i32.const 5 i32.shr_s local.set $t
    local.get $coef local.get $t i32.store offset=${c * 256 + blk * 64}
    local.get $t local.get $nzC i32.load8_u offset=${c * 4 + blk} i32.or
    if local.get $coded i32.const ${1 << (c * 4 + blk)} i32.or local.set $coded end`).join('')}`;
  return {
    name: 'codeChroma',
    params: [['$srcC', 'i32'], ['$predC', 'i32'], ['$mc', 'i32'], ['$q6c', 'i32'], ['$biasC', 'i32'], ['$table', 'i32'], ['$coef', 'i32'],
      ['$dc', 'i32'], ['$ac', 'i32'], ['$nzC', 'i32'], ['$reconC', 'i32'], ['$out', 'i32']],
    result: null,
    locals: [['$any', 'i32'], ['$coded', 'i32'], ['$t', 'i32'], ['$t2', 'i32'], ['$u', 'i32'],
      ['$mfDc', 'i32'], ['$biasDc', 'i32'], ['$shiftDc', 'i32'], ['$lsDc', 'i32'], ['$anyDc', 'i32']],
    body: `
      local.get $srcC i32.const 8 local.get $predC i32.const 8 i32.const 1 i32.const 8 i32.const 1
      local.get $coef local.get $ac local.get $nzC local.get $mc local.get $q6c local.get $biasC local.get $table call $blockQuant
      local.get $table local.get $mc i32.const 6 i32.shl i32.add i32.load local.set $mfDc
      local.get $biasC i32.const 1 i32.shl local.set $biasDc
      local.get $q6c i32.const 16 i32.add local.set $shiftDc
      ;; LevelScale(qPc % 6, 0, 0) x 16 (DEQUANT_4x4 follows QUANT_4x4 in the table)
      local.get $table local.get $mc i32.const 6 i32.shl i32.add i32.load offset=384 i32.const 4 i32.shl local.set $lsDc
      ;; AC: cbp 2 with any level, else nz cleared (the blocks are not coded)
      local.get $nzC i32.load local.get $nzC i32.load offset=4 i32.or local.set $any
      local.get $any i32.eqz if local.get $nzC i32.const 0 i32.store local.get $nzC i32.const 0 i32.store offset=4 end
      i32.const 0 local.set $coded
      ${chromaDc(0)}
      ${chromaDc(1)}
      local.get $out
      local.get $coef local.get $predC i32.const 8 local.get $srcC i32.const 8 local.get $reconC i32.const 8 i32.const 1 i32.const 8 local.get $coded call $blockRecon
      i32.store offset=8
      local.get $out
      i32.const 2 i32.const 1 i32.const 0 local.get $anyDc select local.get $any select
      i32.store offset=12`,
  };
}

/**
 * transform.ts hadamard4x4 of the 16 i32 locals $d0..$d15 (raster) through $h0..$h15, back into
 * $d0..$d15: rows, then columns, each (a + b) + (c + d), (a + b) − (c + d), (a − b) − (c − d),
 * (a − b) + (c − d).
 */
function hadamard16Locals(): string {
  const pass = (from: string, to: string, at: (i: number, k: number) => number): string => [0, 1, 2, 3].map((i) => {
    const [a, b, c, d] = [0, 1, 2, 3].map((k) => `local.get $${from}${at(i, k)}`);
    return `
    ${a} ${b} i32.add ${c} ${d} i32.add i32.add local.set $${to}${at(i, 0)}
    ${a} ${b} i32.add ${c} ${d} i32.add i32.sub local.set $${to}${at(i, 1)}
    ${a} ${b} i32.sub ${c} ${d} i32.sub i32.sub local.set $${to}${at(i, 2)}
    ${a} ${b} i32.sub ${c} ${d} i32.sub i32.add local.set $${to}${at(i, 3)}`;
  }).join('');
  return `${pass('d', 'h', (i, k) => i * 4 + k)} ${pass('h', 'd', (i, k) => k * 4 + i)}`;
}

/**
 * intra.ts codeI16's residual in one call: blockQuant of the 16 blocks with start 1 (AC levels
 * into $levels and $nz, each DC unquantised in $coef); the 4x4 Hadamard of the DCs, quantised with
 * 4 x bias and two more bits of shift, into $dc in zig-zag order (i32 x 16); the inverse
 * Hadamard, dequantLumaDc (8-326, 8-327), each block's coefficient 0; blockRecon of the blocks
 * with a level or a DC into $recon. At $out: the SSD and the luma cbp (15 with any AC level, else 0).
 */
function codeI16Source(): FunctionSource {
  const d = Array.from({ length: 16 }, (_, i): [string, 'i32'] => [`$d${i}`, 'i32']);
  const h = Array.from({ length: 16 }, (_, i): [string, 'i32'] => [`$h${i}`, 'i32']);
  return {
    name: 'codeI16',
    params: [['$src', 'i32'], ['$pred', 'i32'], ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'], ['$table', 'i32'], ['$coef', 'i32'],
      ['$levels', 'i32'], ['$nz', 'i32'], ['$dc', 'i32'], ['$recon', 'i32'], ['$out', 'i32']],
    result: null,
    locals: [...d, ...h, ['$t', 'i32'], ['$u', 'i32'], ['$mfDc', 'i32'], ['$biasDc', 'i32'], ['$shiftDc', 'i32'], ['$ls', 'i32'], ['$coded', 'i32']],
    body: `
      local.get $src i32.const 16 local.get $pred i32.const 16 i32.const 2 i32.const 16 i32.const 1
      local.get $coef local.get $levels local.get $nz local.get $m local.get $q6 local.get $bias local.get $table call $blockQuant
      ;; the DCs: Hadamard, quantised into zig-zag order
      ${Array.from({ length: 16 }, (_, r) => `local.get $coef i32.load offset=${r * 64} local.set $d${r}`).join('\n')}
      ${hadamard16Locals()}
      local.get $table local.get $m i32.const 6 i32.shl i32.add i32.load local.set $mfDc
      local.get $bias i32.const 2 i32.shl local.set $biasDc
      local.get $q6 i32.const 17 i32.add local.set $shiftDc
      ${[...ZIGZAG_4x4].map((r, k) => `local.get $dc ${quantDc(`local.get $d${r}`)} i32.store offset=${4 * k}`).join('\n')}
      ;; back: inverse Hadamard of the levels, scaled (LevelScale(qP % 6, 0, 0) x 16, DEQUANT_4x4 after QUANT_4x4)
      ${[...ZIGZAG_4x4].map((r, k) => `local.get $dc i32.load offset=${4 * k} local.set $d${r}`).join('\n')}
      ${hadamard16Locals()}
      local.get $table local.get $m i32.const 6 i32.shl i32.add i32.load offset=384 i32.const 4 i32.shl local.set $ls
      ${Array.from({ length: 16 }, (_, r) => `
      local.get $d${r} local.get $ls i32.mul local.set $t
      local.get $q6 i32.const 6 i32.ge_u
      if (result i32)
        local.get $t local.get $q6 i32.const 6 i32.sub i32.shl
      else
        local.get $t i32.const 1 i32.const 5 local.get $q6 i32.sub i32.shl i32.add i32.const 6 local.get $q6 i32.sub i32.shr_s
      end
      local.tee $t local.set $u
      local.get $coef local.get $u i32.store offset=${r * 64}
      local.get $t local.get $nz i32.load8_u offset=${r} i32.or
      if local.get $coded i32.const ${1 << r} i32.or local.set $coded end`).join('')}
      local.get $out
      local.get $coef local.get $pred i32.const 16 local.get $src i32.const 16 local.get $recon i32.const 16 i32.const 2 i32.const 16 local.get $coded call $blockRecon
      i32.store
      local.get $out i32.const 15 i32.const 0 local.get $nz v128.load v128.any_true select i32.store offset=4`,
  };
}

/**
 * deblock.ts interBs: the bS (2, 1 or 0) of an edge between inter blocks $pi and $qi of the
 * macroblock state whose arrays are at $nz (u8), $mvx, $mvy (i16) and $ref (i8).
 */
function edgeBsSource(): FunctionSource {
  const mvFar = (a: string): string => `
    ${a} local.get $pi i32.const 1 i32.shl i32.add i32.load16_s ${a} local.get $qi i32.const 1 i32.shl i32.add i32.load16_s i32.sub local.tee $d
    i32.const 4 i32.ge_s local.get $d i32.const -4 i32.le_s i32.or if i32.const 1 return end`;
  return {
    name: 'edgeBs',
    params: [['$nz', 'i32'], ['$mvx', 'i32'], ['$mvy', 'i32'], ['$ref', 'i32'], ['$pi', 'i32'], ['$qi', 'i32']],
    result: 'i32',
    locals: [['$d', 'i32']],
    body: `
      local.get $nz local.get $pi i32.add i32.load8_u local.get $nz local.get $qi i32.add i32.load8_u i32.or if i32.const 2 return end
      local.get $ref local.get $pi i32.add i32.load8_s local.get $ref local.get $qi i32.add i32.load8_s i32.ne if i32.const 1 return end
      ${mvFar('local.get $mvx')}
      ${mvFar('local.get $mvy')}
      i32.const 0`,
  };
}

/** commitInter's descriptor: the MbState arrays' addresses and the picture width in macroblocks, i32 each. */
export const STATE_DESC_FIELDS = ['kind', 'i4Mode', 'nzLuma', 'nzCb', 'nzCr', 'bs', 'mvx', 'mvy', 'ref', 'mbWidth'] as const;

/** A field (an array's address, or mbWidth) of the MbState descriptor at $desc. */
const descField = (name: typeof STATE_DESC_FIELDS[number]): string => `local.get $desc i32.load offset=${4 * STATE_DESC_FIELDS.indexOf(name)}`;

/** refIdx and vector of the MbState's 4x4 block $i into $r{n}, $x{n} and $y{n}. */
const blockMotion = (n: string): string => `
    ${descField('ref')} local.get $i i32.add i32.load8_s local.set $r${n}
    ${descField('mvx')} local.get $i i32.const 1 i32.shl i32.add i32.load16_s local.set $x${n}
    ${descField('mvy')} local.get $i i32.const 1 i32.shl i32.add i32.load16_s local.set $y${n}`;

/** median(a, b, c) of three i32 locals on the stack, as a + b + c − min − max (uses $t). */
const median3 = (a: string, b: string, c: string): string => `
    local.get ${a} local.get ${b} i32.add local.get ${c} i32.add
    local.get ${a} local.get ${b} local.get ${a} local.get ${b} i32.lt_s select local.tee $t
    local.get ${c} local.get $t local.get ${c} i32.lt_s select i32.sub
    local.get ${a} local.get ${b} local.get ${a} local.get ${b} i32.gt_s select local.tee $t
    local.get ${c} local.get $t local.get ${c} i32.gt_s select i32.sub`;

/**
 * inter.ts commitBest and deblock.ts setInterBs for an inter macroblock, in one call: its
 * reconstruction ($recon 16x16; $reconC Cb above Cr, 8 wide) into the picture ($picY, $picU,
 * $picV: the macroblock's first samples, strides $sy and $sc); into the MbState whose arrays the
 * descriptor at $desc locates (STATE_DESC_FIELDS): kind, Intra4x4PredMode 2 (DC), TotalCoeff
 * ($nz 16 luma, $nzC 4 Cb and 4 Cr), vectors ($cmvx, $cmvy: 16 i16 each), refIdx 0; then the
 * macroblock's 32 bS: its left and top edges against the neighbours (4 by an intra one, none at the
 * picture's edge) and its inner edges, all 0 when it has no coefficients and one vector.
 */
function commitInterSource(): FunctionSource {
  const field = descField;
  const edge = (pi: string, qi: string): string => `local.get $nzA local.get $mvxA local.get $mvyA local.get $refA ${pi} ${qi} call $edgeBs`;
  const mbEdge = (dir: 0 | 1): string => `
    local.get ${dir === 0 ? '$mbx' : '$mby'} i32.eqz
    if
      local.get $b i32.const 0 i32.store offset=${dir * 16}
    else
      local.get $mb ${dir === 0 ? 'i32.const 1' : 'local.get $w'} i32.sub local.set $p
      local.get $kindA local.get $p i32.add i32.load8_u i32.const ${MbKind.IPcm} i32.le_u
      if
        local.get $b i32.const ${0x04040404} i32.store offset=${dir * 16}
      else
        ${[0, 1, 2, 3].map((s) => `local.get $b ${edge(
          dir === 0 ? `local.get $p i32.const 4 i32.shl i32.const ${s * 4 + 3} i32.add` : `local.get $p i32.const 4 i32.shl i32.const ${12 + s} i32.add`,
          `local.get $q i32.const ${dir === 0 ? s * 4 : s} i32.add`)} i32.store8 offset=${dir * 16 + s}`).join('\n')}
      end
    end`;
  return {
    name: 'commitInter',
    params: [['$desc', 'i32'], ['$mb', 'i32'], ['$mbx', 'i32'], ['$mby', 'i32'], ['$kind', 'i32'], ['$recon', 'i32'], ['$reconC', 'i32'],
      ['$nz', 'i32'], ['$nzC', 'i32'], ['$cmvx', 'i32'], ['$cmvy', 'i32'], ['$picY', 'i32'], ['$picU', 'i32'], ['$picV', 'i32'],
      ['$sy', 'i32'], ['$sc', 'i32']],
    result: null,
    locals: [['$kindA', 'i32'], ['$nzA', 'i32'], ['$mvxA', 'i32'], ['$mvyA', 'i32'], ['$refA', 'i32'], ['$w', 'i32'], ['$q', 'i32'],
      ['$b', 'i32'], ['$p', 'i32'], ['$e', 'i32'], ['$s', 'i32'], ['$x', 'v128']],
    body: `
      ;; the reconstruction into the picture
      ${copyMacroblock('$picY', '$picU', '$picV', '$sy', '$sc', '$recon', '$reconC', true)}
      ;; the state
      ${field('kind')} local.set $kindA
      ${field('nzLuma')} local.set $nzA
      ${field('mvx')} local.set $mvxA
      ${field('mvy')} local.set $mvyA
      ${field('ref')} local.set $refA
      ${field('mbWidth')} local.set $w
      local.get $mb i32.const 4 i32.shl local.set $q
      local.get $kindA local.get $mb i32.add local.get $kind i32.store8
      local.get $nzA local.get $q i32.add local.get $nz v128.load v128.store
      ${field('nzCb')} local.get $mb i32.const 2 i32.shl i32.add local.get $nzC i32.load i32.store
      ${field('nzCr')} local.get $mb i32.const 2 i32.shl i32.add local.get $nzC i32.load offset=4 i32.store
      ${field('i4Mode')} local.get $q i32.add i32.const 2 i8x16.splat v128.store
      local.get $mvxA local.get $q i32.const 1 i32.shl i32.add local.tee $p local.get $cmvx v128.load v128.store
      local.get $p local.get $cmvx v128.load offset=16 v128.store offset=16
      local.get $mvyA local.get $q i32.const 1 i32.shl i32.add local.tee $p local.get $cmvy v128.load v128.store
      local.get $p local.get $cmvy v128.load offset=16 v128.store offset=16
      local.get $refA local.get $q i32.add v128.const i32x4 0 0 0 0 v128.store
      ;; bS: inner edges (all 0 without coefficients and with one vector), then the macroblock's edges
      ${field('bs')} local.get $mb i32.const 5 i32.shl i32.add local.set $b
      local.get $nz v128.load v128.any_true
      local.get $cmvx v128.load local.get $cmvx i32.load16_s i16x8.splat local.tee $x v128.xor v128.any_true i32.or
      local.get $cmvx v128.load offset=16 local.get $x v128.xor v128.any_true i32.or
      local.get $cmvy v128.load local.get $cmvy i32.load16_s i16x8.splat local.tee $x v128.xor v128.any_true i32.or
      local.get $cmvy v128.load offset=16 local.get $x v128.xor v128.any_true i32.or
      if
        i32.const 1 local.set $e
        loop $edges
          i32.const 0 local.set $s
          loop $segments
            ;; vertical edge e, row s: blocks 4s + e - 1 | 4s + e; horizontal edge e, column s: 4(e - 1) + s over 4e + s
            local.get $b local.get $e i32.const 2 i32.shl i32.add local.get $s i32.add
            ${edge('local.get $q local.get $s i32.const 2 i32.shl i32.add local.get $e i32.add i32.const 1 i32.sub', 'local.get $q local.get $s i32.const 2 i32.shl i32.add local.get $e i32.add')}
            i32.store8
            local.get $b local.get $e i32.const 2 i32.shl i32.add local.get $s i32.add
            ${edge('local.get $q local.get $e i32.const 1 i32.sub i32.const 2 i32.shl i32.add local.get $s i32.add', 'local.get $q local.get $e i32.const 2 i32.shl i32.add local.get $s i32.add')}
            i32.store8 offset=16
            local.get $s i32.const 1 i32.add local.tee $s i32.const 4 i32.lt_u br_if $segments
          end
          local.get $e i32.const 1 i32.add local.tee $e i32.const 4 i32.lt_u br_if $edges
        end
      else
        local.get $b v128.const i32x4 0 0 0 0 v128.store
        local.get $b v128.const i32x4 0 0 0 0 v128.store offset=16
      end
      ${mbEdge(0)}
      ${mbEdge(1)}`,
  };
}

/**
 * Copies between a macroblock of a picture (its first samples at locals y, u, v; strides sy and
 * sc) and a packed buffer (luma 16x16 at buf, Cb then Cr 8 wide at bufC): into the picture with
 * `toPicture`, else out of it.
 */
function copyMacroblock(y: string, u: string, v: string, sy: string, sc: string, buf: string, bufC: string, toPicture: boolean): string {
  const row = (pic: string, stride: string, r: number): string => `local.get ${pic} ${r === 0 ? '' : `local.get ${stride} i32.const ${r} i32.mul i32.add`}`;
  const luma = Array.from({ length: 16 }, (_, r) => toPicture
    ? `${row(y, sy, r)} local.get ${buf} v128.load offset=${16 * r} v128.store`
    : `local.get ${buf} ${row(y, sy, r)} v128.load v128.store offset=${16 * r}`);
  const planes: [string, number][] = [[u, 0], [v, 64]];
  const chroma = Array.from({ length: 8 }, (_, r) => planes.map(([pic, at]) => toPicture
    ? `${row(pic, sc, r)} local.get ${bufC} v128.load64_zero offset=${at + 8 * r} v128.store64_lane 0`
    : `local.get ${bufC} ${row(pic, sc, r)} v128.load64_zero v128.store64_lane offset=${at + 8 * r} 0`).join('\n'));
  return [...luma, ...chroma].join('\n');
}

/**
 * picture.ts copyMacroblock: a macroblock's samples ($y, $u, $v its first ones, strides $sy and
 * $sc) into $dst (luma 16x16) and $dstC (Cb then Cr, 8 wide).
 */
function loadMbSource(): FunctionSource {
  return {
    name: 'loadMb',
    params: [['$y', 'i32'], ['$u', 'i32'], ['$v', 'i32'], ['$sy', 'i32'], ['$sc', 'i32'], ['$dst', 'i32'], ['$dstC', 'i32']],
    result: null,
    locals: [],
    body: `
      ${copyMacroblock('$y', '$u', '$v', '$sy', '$sc', '$dst', '$dstC', false)}`,
  };
}

/** The deblocking tables in the kernels' memory: ALPHA, BETA (52 each), TC0 (52 x 3), CHROMA_QP (52), as bytes. */
const DB_ALPHA = 0, DB_BETA = 52, DB_TC0 = 104, DB_CHROMA_QP = 260, DB_TABLE_BYTES = 312;

/**
 * deblock.ts edgeSimd: one edge (bS bytes at $bsa, all four as $w) at QP $qp: alpha, beta and each
 * segment's tC0 from the tables at $t, then the luma or chroma (Cb at $a, Cr at $b) kernel.
 */
function deblockEdgeSource(): FunctionSource {
  const clip51 = (v: string): string => `${v} local.tee $x i32.const 0 local.get $x i32.const 0 i32.gt_s select local.tee $x i32.const 51 local.get $x i32.const 51 i32.lt_s select`;
  return {
    name: 'deblockEdge',
    params: [['$luma', 'i32'], ['$vertical', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$stride', 'i32'], ['$bsa', 'i32'], ['$w', 'i32'],
      ['$qp', 'i32'], ['$offA', 'i32'], ['$offB', 'i32'], ['$t', 'i32']],
    result: null,
    locals: [['$x', 'i32'], ['$ia', 'i32'], ['$alpha', 'i32'], ['$beta', 'i32'], ['$tc', 'i32'], ['$s', 'i32']],
    body: `
      ${clip51('local.get $qp local.get $offA i32.add')} local.set $ia
      local.get $t local.get $ia i32.add i32.load8_u offset=${DB_ALPHA} local.tee $alpha i32.eqz if return end
      local.get $t ${clip51('local.get $qp local.get $offB i32.add')} i32.add i32.load8_u offset=${DB_BETA} local.tee $beta i32.eqz if return end
      ${[0, 1, 2, 3].map((s) => `
      local.get $bsa i32.load8_u offset=${s} local.tee $s i32.const 1 i32.sub i32.const 3 i32.lt_u
      if
        local.get $tc local.get $t local.get $ia i32.const 3 i32.mul i32.add local.get $s i32.add i32.load8_u offset=${DB_TC0 - 1}
        i32.const ${8 * s} i32.shl i32.or local.set $tc
      end`).join('')}
      local.get $luma
      if
        local.get $vertical
        if local.get $a local.get $stride local.get $w local.get $tc local.get $alpha local.get $beta call $lumaEdgeV
        else local.get $a local.get $stride local.get $w local.get $tc local.get $alpha local.get $beta call $lumaEdgeH end
      else
        local.get $vertical
        if local.get $a local.get $b local.get $stride local.get $w local.get $tc local.get $alpha local.get $beta call $chromaEdgeV
        else local.get $a local.get $b local.get $stride local.get $w local.get $tc local.get $alpha local.get $beta call $chromaEdgeH end
      end`,
  };
}

/**
 * deblock.ts deblockPicture with the SIMD kernels, for the whole picture in one call: macroblock by
 * macroblock, luma vertical then horizontal edges, then chroma's (edges 0 and 2 of the luma bS),
 * each at its QP (the average of both sides' on a macroblock edge; chroma through CHROMA_QP with
 * the offset $offC), edges whose four bS are 0 passed over, picture edges left alone. QPs at $qp
 * (a byte per macroblock), bS at $bs (32 per macroblock, deblock.ts's layout).
 */
function deblockPictureSource(): FunctionSource {
  const cqp = (q: string): string => `local.get $t ${q} local.get $offC i32.add local.tee $x i32.const 0 local.get $x i32.const 0 i32.gt_s select local.tee $x i32.const 51 local.get $x i32.const 51 i32.lt_s select i32.add i32.load8_u offset=${DB_CHROMA_QP}`;
  // Edge e of the macroblock: bS bytes at $bb + bsOff, the QP of edge 0 from the neighbour's.
  const edge = (luma: boolean, vertical: boolean, e: number): string => {
    const bsOff = (vertical ? 0 : 16) + e * 4;
    const qpAv = luma
      ? (e === 0 ? `local.get ${vertical ? '$qpL' : '$qpT'} local.get $qpQ i32.add i32.const 1 i32.add i32.const 1 i32.shr_u` : 'local.get $qpQ')
      : (e === 0 ? `${cqp(`local.get ${vertical ? '$qpL' : '$qpT'}`)} local.get $qcQ i32.add i32.const 1 i32.add i32.const 1 i32.shr_u` : 'local.get $qcQ');
    const step = luma ? 4 * e : 2 * e;
    const at = (base: string, stride: string): string => vertical ? `${base} i32.const ${step} i32.add` : `${base} ${stride} i32.const ${step} i32.mul i32.add`;
    const body = `
      local.get $bb i32.load offset=${bsOff} local.tee $w
      if
        i32.const ${luma ? 1 : 0} i32.const ${vertical ? 1 : 0}
        ${luma ? `${at('local.get $ly', 'local.get $sy')} i32.const 0 local.get $sy` : `${at('local.get $cu', 'local.get $sc')} ${at('local.get $cv', 'local.get $sc')} local.get $sc`}
        local.get $bb i32.const ${bsOff} i32.add local.get $w ${qpAv} local.get $offA local.get $offB local.get $t call $deblockEdge
      end`;
    return e === 0 ? `local.get ${vertical ? '$mbx' : '$mby'} if ${body} end` : body;
  };
  return {
    name: 'deblockPicture',
    params: [['$y', 'i32'], ['$u', 'i32'], ['$v', 'i32'], ['$sy', 'i32'], ['$sc', 'i32'], ['$mbW', 'i32'], ['$mbH', 'i32'], ['$qp', 'i32'],
      ['$bs', 'i32'], ['$offA', 'i32'], ['$offB', 'i32'], ['$offC', 'i32'], ['$t', 'i32']],
    result: null,
    locals: [['$mbx', 'i32'], ['$mby', 'i32'], ['$mb', 'i32'], ['$bb', 'i32'], ['$w', 'i32'], ['$x', 'i32'], ['$qpQ', 'i32'], ['$qpL', 'i32'],
      ['$qpT', 'i32'], ['$qcQ', 'i32'], ['$ly', 'i32'], ['$cu', 'i32'], ['$cv', 'i32']],
    body: `
      block $done
        local.get $mbW i32.eqz local.get $mbH i32.eqz i32.or br_if $done
        loop $rows
          i32.const 0 local.set $mbx
          loop $mbs
            local.get $mby local.get $mbW i32.mul local.get $mbx i32.add local.set $mb
            local.get $bs local.get $mb i32.const 5 i32.shl i32.add local.set $bb
            local.get $qp local.get $mb i32.add i32.load8_u local.set $qpQ
            local.get $mbx if (result i32) local.get $qp local.get $mb i32.add i32.const 1 i32.sub i32.load8_u else local.get $qpQ end local.set $qpL
            local.get $mby if (result i32) local.get $qp local.get $mb i32.add local.get $mbW i32.sub i32.load8_u else local.get $qpQ end local.set $qpT
            ${cqp('local.get $qpQ')} local.set $qcQ
            local.get $y local.get $mby i32.const 4 i32.shl local.get $sy i32.mul i32.add local.get $mbx i32.const 4 i32.shl i32.add local.set $ly
            local.get $mby i32.const 3 i32.shl local.get $sc i32.mul local.get $mbx i32.const 3 i32.shl i32.add local.tee $x local.get $u i32.add local.set $cu
            local.get $x local.get $v i32.add local.set $cv
            ${[0, 1, 2, 3].map((e) => edge(true, true, e)).join('\n')}
            ${[0, 1, 2, 3].map((e) => edge(true, false, e)).join('\n')}
            ${[0, 2].map((e) => edge(false, true, e)).join('\n')}
            ${[0, 2].map((e) => edge(false, false, e)).join('\n')}
            local.get $mbx i32.const 1 i32.add local.tee $mbx local.get $mbW i32.lt_u br_if $mbs
          end
          local.get $mby i32.const 1 i32.add local.tee $mby local.get $mbH i32.lt_u br_if $rows
        end
      end`,
  };
}

/**
 * The CAVLC code tables in the kernels' memory (cavlcResidualSource), each entry an i32
 * len << 16 | code: coeff_token by (t * 17 + TotalCoeff) * 4 + TrailingOnes, total_zeros by
 * TotalCoeff * 16 + total_zeros, chroma DC's by TotalCoeff * 4 + total_zeros, run_before by
 * min(zerosLeft, 7) * 16 + run (cavlc-tables.ts's indices); then Table 9-4's intra and inter
 * coded_block_pattern code numbers, a byte each.
 */
const CT_TOKEN = 0, CT_ZEROS = 4 * COEFF_TOKEN_LEN.length, CT_ZEROS_DC = CT_ZEROS + 4 * TOTAL_ZEROS_LEN.length;
const CT_RUN = CT_ZEROS_DC + 4 * TOTAL_ZEROS_CHROMA_DC_LEN.length, CT_CBP_INTRA = CT_RUN + 4 * RUN_BEFORE_LEN.length;
const CT_CBP_INTER = CT_CBP_INTRA + CBP_INTRA_TO_CODE_NUM.length, CT_BYTES = CT_CBP_INTER + CBP_INTER_TO_CODE_NUM.length;

function cavlcTables(): Int32Array {
  const t = new Int32Array(CT_BYTES / 4);
  const put = (at: number, len: Uint8Array, code: Uint16Array): void => len.forEach((l, i) => { t[at / 4 + i] = (l << 16) | code[i]!; });
  put(CT_TOKEN, COEFF_TOKEN_LEN, COEFF_TOKEN_CODE);
  put(CT_ZEROS, TOTAL_ZEROS_LEN, TOTAL_ZEROS_CODE);
  put(CT_ZEROS_DC, TOTAL_ZEROS_CHROMA_DC_LEN, TOTAL_ZEROS_CHROMA_DC_CODE);
  put(CT_RUN, RUN_BEFORE_LEN, RUN_BEFORE_CODE);
  new Uint8Array(t.buffer).set(CBP_INTRA_TO_CODE_NUM, CT_CBP_INTRA);
  new Uint8Array(t.buffer).set(CBP_INTER_TO_CODE_NUM, CT_CBP_INTER);
  return t;
}

/**
 * Writes $len bits of $code (at most 16, so with the at most 7 bits waiting in $acc it fits an
 * i32) to the bit writer held in $pos (next byte), $acc and $n (bits waiting, 0..7).
 */
const PUT_BITS = `
    local.get $acc local.get $len i32.shl local.get $code i32.or local.set $acc
    local.get $n local.get $len i32.add local.set $n
    block $flushed
      loop $flush
        local.get $n i32.const 8 i32.lt_u br_if $flushed
        local.get $n i32.const 8 i32.sub local.set $n
        local.get $pos local.get $acc local.get $n i32.shr_u i32.store8
        local.get $pos i32.const 1 i32.add local.set $pos
        br $flush
      end
    end
    local.get $acc i32.const 1 local.get $n i32.shl i32.const 1 i32.sub i32.and local.set $acc`;

/**
 * The bit writer of a BitWriter's buffer at $buf from its bitLength $bits: $pos at the byte of
 * bit $bits, the $n bits already there in $acc.
 */
const WRITER_START = `
    local.get $buf local.get $bits i32.const 3 i32.shr_u i32.add local.set $pos
    local.get $bits i32.const 7 i32.and local.tee $n
    if local.get $pos i32.load8_u i32.const 8 local.get $n i32.sub i32.shr_u local.set $acc end`;

/** The waiting bits out (zeros after them, as BitWriter keeps it), and the new bitLength on the stack. */
const WRITER_END = `
    local.get $n
    if local.get $pos local.get $acc i32.const 8 local.get $n i32.sub i32.shl i32.store8 end
    local.get $pos local.get $buf i32.sub i32.const 3 i32.shl local.get $n i32.add`;

/** ue(v) of the value on the stack (v < 255: at most 15 bits, one PUT_BITS) — 9.1. */
const PUT_UE = `
    i32.const 1 i32.add local.set $code
    i32.const 31 local.get $code i32.clz i32.sub i32.const 1 i32.shl i32.const 1 i32.add local.set $len
    ${PUT_BITS}`;

/** se(v) of the value on the stack — 9.1.1: k > 0 as 2k − 1, else −2k. Uses $t. */
const SE_TO_UE = `
    local.tee $t i32.const 1 i32.shl i32.const 1 i32.sub i32.const 0 local.get $t i32.const 1 i32.shl i32.sub local.get $t i32.const 0 i32.gt_s select`;

/** PUT_BITS of the table entry at $tables + offset + 4 * (index on the stack). */
const putEntry = (offset: number): string => `
    i32.const 2 i32.shl local.get $tables i32.add i32.load offset=${offset} local.tee $code
    i32.const 16 i32.shr_u local.set $len
    local.get $code i32.const 0xffff i32.and local.set $code
    ${PUT_BITS}`;

/**
 * 9.2.1's nC from nA and nB on the stack (−1: not available), into $nc: (nA + nB + 1) >> 1 when
 * both are available, else the larger (the available one, or −1 for neither), then −1 made 0.
 */
const COMBINE_NC = `
    local.set $nb local.set $na
    local.get $na local.get $nb i32.add i32.const 1 i32.add i32.const 1 i32.shr_s
    local.get $na local.get $nb local.get $na local.get $nb i32.gt_s select
    local.get $na local.get $nb i32.or i32.const 0 i32.ge_s select
    local.tee $nc i32.const 0 local.get $nc i32.const 0 i32.ge_s select local.set $nc`;

/**
 * macroblock-writer.ts writeResidual, residual( 0, 15 ) with CAVLC (7.3.5.3, 7.3.5.3.2 and 9.2),
 * for one macroblock in one call: from the bit writer's buffer at $buf and its bitLength $bits,
 * Intra16x16DCLevel ($i16: $dc16), the luma blocks of the 8x8s $cbp codes (levels at $levels,
 * i32 per raster block r at r * 64 bytes, in scan order; AC from position 1 with $i16), chroma DC
 * ($cdc: Cb's 4 then Cr's) and AC ($cac, as luma's) by the chroma bits of $cbp (cbp >> 4). nC
 * from the macroblock's own TotalCoeffs ($nz luma u8 x 16, $cnz Cb then Cr u8 x 4) and those of
 * the left and upper macroblocks of $mb ($mbx, $mby) in the MbState described at $desc. Returns the writer's new bitLength, or −1 when a level needs a level_prefix
 * beyond 15 (Baseline, 7.4.5.3.2), as writeResidualBlock's −1.
 *
 * Every block is the loop's one block writer: a mask of the non-zero levels (bit i: scan index i)
 * by narrowing its i32 levels to bytes, then the levels walked from the highest frequency down by
 * count-leading-zeros.
 */
function cavlcResidualSource(): FunctionSource {
  // Level at scan index $p of the current block: $lv + ($p + $start) * 4.
  const level = (p: string): string => `local.get $lv ${p} local.get $start i32.add i32.const 2 i32.shl i32.add i32.load`;
  const block = `
    ;; The non-zero levels as a mask over scan indices 0 .. max − 1.
    local.get $max i32.const 4 i32.eq
    if
      local.get $lv v128.load v128.const i32x4 0 0 0 0 i32x4.ne i32x4.bitmask local.set $mask
    else
      local.get $lv v128.load local.get $lv v128.load offset=16 i16x8.narrow_i32x4_s
      local.get $lv v128.load offset=32 local.get $lv v128.load offset=48 i16x8.narrow_i32x4_s
      i8x16.narrow_i16x8_s v128.const i32x4 0 0 0 0 i8x16.ne i8x16.bitmask local.get $start i32.shr_u local.set $mask
    end
    local.get $mask i32.popcnt local.set $tc
    local.get $tc i32.eqz
    if
      local.get $t i32.const 68 i32.mul ${putEntry(CT_TOKEN)}
    else
      i32.const 31 local.get $mask i32.clz i32.sub local.set $high
      ;; TrailingOnes: up to three ±1 levels from the top, their signs collected in $signs.
      local.get $mask local.set $m
      i32.const 0 local.set $t1
      i32.const 0 local.set $signs
      block $ones
        loop $one
          local.get $t1 i32.const 3 i32.eq br_if $ones
          local.get $m i32.eqz br_if $ones
          i32.const 31 local.get $m i32.clz i32.sub local.set $p
          ${level('local.get $p')} local.tee $v i32.const 1 i32.add i32.const 2 i32.gt_u br_if $ones
          local.get $v i32.eqz br_if $ones
          local.get $signs i32.const 1 i32.shl local.get $v i32.const 31 i32.shr_u i32.or local.set $signs
          local.get $m i32.const 1 local.get $p i32.shl i32.xor local.set $m
          local.get $t1 i32.const 1 i32.add local.set $t1
          br $one
        end
      end
      ;; coeff_token, trailing_ones_sign_flags
      local.get $t i32.const 17 i32.mul local.get $tc i32.add i32.const 2 i32.shl local.get $t1 i32.add ${putEntry(CT_TOKEN)}
      local.get $t1
      if
        local.get $t1 local.set $len local.get $signs local.set $code
        ${PUT_BITS}
      end
      ;; The other levels (9.2.2.1 inverted): level_prefix and level_suffix.
      local.get $tc i32.const 10 i32.gt_u local.get $t1 i32.const 3 i32.lt_u i32.and local.set $sl
      local.get $t1 i32.const 3 i32.lt_u local.set $first
      block $levelsDone
        loop $levels
          local.get $m i32.eqz br_if $levelsDone
          i32.const 31 local.get $m i32.clz i32.sub local.set $p
          local.get $m i32.const 1 local.get $p i32.shl i32.xor local.set $m
          ${level('local.get $p')} local.tee $v
          i32.const 1 i32.shl i32.const 2 i32.sub
          i32.const -1 local.get $v i32.const 1 i32.shl i32.sub
          local.get $v i32.const 0 i32.gt_s select
          local.get $first i32.const 1 i32.shl i32.sub local.set $lc
          i32.const 0 local.set $first
          local.get $sl i32.eqz
          if
            local.get $lc i32.const 14 i32.lt_u
            if
              local.get $lc local.set $prefix i32.const 0 local.set $sbits i32.const 0 local.set $suffix
            else
              local.get $lc i32.const 30 i32.lt_u
              if
                i32.const 14 local.set $prefix i32.const 4 local.set $sbits local.get $lc i32.const 14 i32.sub local.set $suffix
              else
                i32.const 15 local.set $prefix i32.const 12 local.set $sbits local.get $lc i32.const 30 i32.sub local.set $suffix
              end
            end
          else
            local.get $lc i32.const 15 local.get $sl i32.shl i32.lt_u
            if
              local.get $lc local.get $sl i32.shr_u local.set $prefix
              local.get $sl local.set $sbits
              local.get $lc i32.const 1 local.get $sl i32.shl i32.const 1 i32.sub i32.and local.set $suffix
            else
              i32.const 15 local.set $prefix i32.const 12 local.set $sbits
              local.get $lc i32.const 15 local.get $sl i32.shl i32.sub local.set $suffix
            end
          end
          local.get $suffix i32.const 4096 i32.ge_u if i32.const -1 return end
          local.get $prefix i32.const 1 i32.add local.set $len i32.const 1 local.set $code
          ${PUT_BITS}
          local.get $sbits
          if
            local.get $sbits local.set $len local.get $suffix local.set $code
            ${PUT_BITS}
          end
          local.get $sl i32.eqz if i32.const 1 local.set $sl end
          local.get $v i32.const 0 local.get $v i32.sub local.get $v i32.const 0 i32.ge_s select
          i32.const 3 local.get $sl i32.const 1 i32.sub i32.shl i32.gt_u
          local.get $sl i32.const 6 i32.lt_u i32.and
          if local.get $sl i32.const 1 i32.add local.set $sl end
          br $levels
        end
      end
      ;; total_zeros and run_before
      local.get $tc local.get $max i32.lt_u
      if
        local.get $high i32.const 1 i32.add local.get $tc i32.sub local.set $zl
        local.get $max i32.const 4 i32.eq
        if
          local.get $tc i32.const 2 i32.shl local.get $zl i32.add ${putEntry(CT_ZEROS_DC)}
        else
          local.get $tc i32.const 4 i32.shl local.get $zl i32.add ${putEntry(CT_ZEROS)}
        end
        local.get $mask local.set $m
        local.get $tc i32.const 1 i32.sub local.set $i
        block $runsDone
          loop $runs
            local.get $i i32.eqz br_if $runsDone
            local.get $zl i32.eqz br_if $runsDone
            i32.const 31 local.get $m i32.clz i32.sub local.set $p
            ;; $v: the zeros between $p and the next level below it (at 31 − clz(m) once $p is out)
            local.get $m i32.const 1 local.get $p i32.shl i32.xor local.set $m
            local.get $p i32.const 31 local.get $m i32.clz i32.sub i32.sub i32.const 1 i32.sub local.set $v
            local.get $zl i32.const 7 local.get $zl i32.const 7 i32.lt_u select i32.const 4 i32.shl local.get $v i32.add ${putEntry(CT_RUN)}
            local.get $zl local.get $v i32.sub local.set $zl
            local.get $i i32.const 1 i32.sub local.set $i
            br $runs
          end
        end
      end
    end`;
  // nA or nB (9.2.1): the macroblock's own block's TotalCoeff at `own` when `inside`, else the
  // neighbouring macroblock's at `nb` + `at` + offset, −1 without that macroblock.
  const side = (inside: string, own: string, nb: string, at: string, offset: number): string => `
    ${inside}
    if (result i32) ${own} i32.load8_u
    else
      local.get ${nb} i32.const 0 i32.lt_s
      if (result i32) i32.const -1 else local.get ${nb} ${at} i32.add i32.load8_u offset=${offset} end
    end`;
  // Luma nC of raster block ($x4, $y4) into $nc.
  const ownLuma = (d: number): string => `local.get $nz local.get $y4 i32.const 2 i32.shl i32.add local.get $x4 i32.add i32.const ${d} i32.sub`;
  const lumaNc = `
    ${side('local.get $x4', ownLuma(1), '$leftL', 'local.get $y4 i32.const 2 i32.shl', 3)}
    ${side('local.get $y4', ownLuma(4), '$topL', 'local.get $x4', 12)}
    ${COMBINE_NC}`;
  // Table index t (cavlc-tables.ts coeffTokenTableIndex) of $nc >= 0.
  const tableOfNc = `
    i32.const 0 i32.const 1 i32.const 2 i32.const 3
    local.get $nc i32.const 8 i32.lt_u select
    local.get $nc i32.const 4 i32.lt_u select
    local.get $nc i32.const 2 i32.lt_u select local.set $t`;
  const i32s = ['$leftL', '$topL', '$leftCb', '$topCb', '$leftCr', '$topCr', '$j', '$code', '$len', '$mask', '$tc', '$high', '$m', '$t1', '$signs', '$p', '$v', '$sl', '$first', '$lc', '$prefix',
    '$sbits', '$suffix', '$zl', '$i', '$lv', '$start', '$max', '$t', '$x4', '$y4', '$na', '$nb', '$nc', '$c', '$b', '$left', '$top', '$own'];
  return {
    name: 'cavlcResidual',
    params: [['$buf', 'i32'], ['$bits', 'i32'], ['$levels', 'i32'], ['$dc16', 'i32'], ['$nz', 'i32'], ['$cbp', 'i32'], ['$i16', 'i32'],
      ['$cdc', 'i32'], ['$cac', 'i32'], ['$cnz', 'i32'], ['$desc', 'i32'], ['$mb', 'i32'], ['$mbx', 'i32'], ['$mby', 'i32'], ['$tables', 'i32']],
    result: 'i32',
    locals: [['$pos', 'i32'], ['$acc', 'i32'], ['$n', 'i32'], ...i32s.map((l): [string, 'i32'] => [l, 'i32'])],
    body: `
      ;; the left and upper macroblocks' TotalCoeffs (−1: not available)
      ${[['$leftL', 'nzLuma', 16, '$mbx', 'i32.const 1'], ['$topL', 'nzLuma', 16, '$mby', descField('mbWidth')],
    ['$leftCb', 'nzCb', 4, '$mbx', 'i32.const 1'], ['$topCb', 'nzCb', 4, '$mby', descField('mbWidth')],
    ['$leftCr', 'nzCr', 4, '$mbx', 'i32.const 1'], ['$topCr', 'nzCr', 4, '$mby', descField('mbWidth')]].map(([to, field, per, avail, back]) => `
      local.get ${avail}
      if (result i32) ${descField(field as 'nzLuma')} local.get $mb ${back} i32.sub i32.const ${per} i32.mul i32.add else i32.const -1 end
      local.set ${to}`).join('')}
      ${WRITER_START}
      ;; Blocks j: 0 Intra16x16DCLevel, 1..16 luma (luma4x4BlkIdx j − 1), 17..18 chroma DC, 19..26 chroma AC.
      loop $blocks
        block $next
          local.get $j i32.eqz
          if
            local.get $i16 i32.eqz br_if $next
            local.get $dc16 local.set $lv i32.const 0 local.set $start i32.const 16 local.set $max
            i32.const 0 local.set $x4 i32.const 0 local.set $y4
            ${lumaNc} ${tableOfNc}
          else
            local.get $j i32.const 17 i32.lt_u
            if
              ;; luma4x4BlkIdx b = j − 1: 8x8 b >> 2, raster x4 = (b8 & 1) * 2 + (b & 1), y4 = (b8 >> 1) * 2 + ((b >> 1) & 1)
              local.get $j i32.const 1 i32.sub local.tee $b
              i32.const 2 i32.shr_u local.set $c
              local.get $cbp local.get $c i32.shr_u i32.const 1 i32.and i32.eqz br_if $next
              local.get $c i32.const 1 i32.and i32.const 1 i32.shl local.get $b i32.const 1 i32.and i32.add local.set $x4
              local.get $c i32.const 1 i32.shr_u i32.const 1 i32.shl local.get $b i32.const 1 i32.shr_u i32.const 1 i32.and i32.add local.set $y4
              local.get $levels local.get $y4 i32.const 2 i32.shl local.get $x4 i32.add i32.const 6 i32.shl i32.add local.set $lv
              local.get $i16 local.set $start
              i32.const 16 local.get $i16 i32.sub local.set $max
              ${lumaNc} ${tableOfNc}
            else
              local.get $j i32.const 19 i32.lt_u
              if
                local.get $cbp i32.const 48 i32.and i32.eqz br_if $next
                local.get $cdc local.get $j i32.const 17 i32.sub i32.const 4 i32.shl i32.add local.set $lv
                i32.const 0 local.set $start i32.const 4 local.set $max i32.const ${COEFF_TOKEN_CHROMA_DC} local.set $t
              else
                local.get $cbp i32.const 32 i32.and i32.eqz br_if $next
                ;; component c, block b (raster 2x2)
                local.get $j i32.const 19 i32.sub local.tee $b i32.const 2 i32.shr_u local.set $c
                local.get $b i32.const 3 i32.and local.set $b
                local.get $cac local.get $c i32.const 2 i32.shl local.get $b i32.add i32.const 6 i32.shl i32.add local.set $lv
                i32.const 1 local.set $start i32.const 15 local.set $max
                local.get $leftCr local.get $leftCb local.get $c select local.set $left
                local.get $topCr local.get $topCb local.get $c select local.set $top
                local.get $cnz local.get $c i32.const 2 i32.shl i32.add local.set $own
                ${side('local.get $b i32.const 1 i32.and', 'local.get $own local.get $b i32.add i32.const 1 i32.sub', '$left', 'local.get $b', 1)}
                ${side('local.get $b i32.const 2 i32.and', 'local.get $own local.get $b i32.add i32.const 2 i32.sub', '$top', 'local.get $b', 2)}
                ${COMBINE_NC} ${tableOfNc}
              end
            end
          end
          ${block}
        end
        local.get $j i32.const 1 i32.add local.tee $j i32.const 27 i32.lt_u br_if $blocks
      end
      ${WRITER_END}`,
  };
}

/**
 * padded-plane.ts fillFrom: a w x h plane at $src (stride $ss; w a multiple of 8) into the padded
 * plane whose sample (0, 0) is at $dst (stride $ds, $pad a multiple of 16 on every side), each
 * row's first and last samples repeated across the side pads, then the first and last padded rows
 * repeated across the top and bottom pads.
 */
function padPlaneSource(): FunctionSource {
  // $n bytes (a multiple of 8) from $a to $b: 16 at a time, then 8.
  const copy = `
    i32.const 0 local.set $x
    block $copied
      loop $copy16
        local.get $x i32.const 16 i32.add local.get $n i32.gt_u br_if $copied
        local.get $b local.get $x i32.add local.get $a local.get $x i32.add v128.load v128.store
        local.get $x i32.const 16 i32.add local.set $x
        br $copy16
      end
    end
    local.get $x local.get $n i32.lt_u
    if local.get $b local.get $x i32.add local.get $a local.get $x i32.add v128.load64_zero v128.store64_lane 0 end`;
  return {
    name: 'padPlane',
    params: [['$src', 'i32'], ['$ss', 'i32'], ['$dst', 'i32'], ['$ds', 'i32'], ['$w', 'i32'], ['$h', 'i32'], ['$pad', 'i32']],
    result: null,
    locals: [['$r', 'i32'], ['$x', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$n', 'i32'], ['$d', 'i32'], ['$v', 'v128']],
    body: `
      local.get $w local.set $n
      loop $rows
        local.get $src local.get $r local.get $ss i32.mul i32.add local.set $a
        local.get $dst local.get $r local.get $ds i32.mul i32.add local.tee $d local.set $b
        ${copy}
        ;; the side pads
        ${[['local.get $a', 'local.get $d local.get $pad i32.sub'], ['local.get $a local.get $w i32.add i32.const 1 i32.sub', 'local.get $d local.get $w i32.add']]
    .map(([sample, at]) => `
        ${sample} i32.load8_u i8x16.splat local.set $v
        ${at} local.set $b
        i32.const 0 local.set $x
        loop $side
          local.get $b local.get $x i32.add local.get $v v128.store
          local.get $x i32.const 16 i32.add local.tee $x local.get $pad i32.lt_u br_if $side
        end`).join('')}
        local.get $r i32.const 1 i32.add local.tee $r local.get $h i32.lt_u br_if $rows
      end
      ;; the top and bottom pads: whole padded rows
      local.get $w local.get $pad i32.const 1 i32.shl i32.add local.set $n
      i32.const 0 local.set $r
      loop $pads
        local.get $dst local.get $pad i32.sub local.set $a
        local.get $a local.get $r i32.const 1 i32.add local.get $ds i32.mul i32.sub local.set $b
        ${copy}
        local.get $dst local.get $pad i32.sub local.get $h i32.const 1 i32.sub local.get $ds i32.mul i32.add local.set $a
        local.get $a local.get $r i32.const 1 i32.add local.get $ds i32.mul i32.add local.set $b
        ${copy}
        local.get $r i32.const 1 i32.add local.tee $r local.get $pad i32.lt_u br_if $pads
      end`,
  };
}

/**
 * intra.ts commit for an intra macroblock, with MbState.setIntraMotion and deblock.ts setIntraBs,
 * in one call: the reconstruction ($recon 16x16, $reconC Cb above Cr) into the picture at $picY,
 * $picU, $picV (strides $sy, $sc); into the MbState ($desc, STATE_DESC_FIELDS) its kind, the
 * Intra4x4PredModes ($modes, 16 bytes raster, for I_NxN; else every one DC), TotalCoeffs ($nz,
 * $nzC), refIdx −1 and zero vectors, and bS 4 on its macroblock edges and 3 inside.
 */
function commitIntraSource(): FunctionSource {
  const field = descField;
  return {
    name: 'commitIntra',
    params: [['$desc', 'i32'], ['$mb', 'i32'], ['$kind', 'i32'], ['$recon', 'i32'], ['$reconC', 'i32'], ['$modes', 'i32'], ['$nz', 'i32'],
      ['$nzC', 'i32'], ['$picY', 'i32'], ['$picU', 'i32'], ['$picV', 'i32'], ['$sy', 'i32'], ['$sc', 'i32']],
    result: null,
    locals: [['$q', 'i32'], ['$p', 'i32']],
    body: `
      ${copyMacroblock('$picY', '$picU', '$picV', '$sy', '$sc', '$recon', '$reconC', true)}
      local.get $mb i32.const 4 i32.shl local.set $q
      ${field('kind')} local.get $mb i32.add local.get $kind i32.store8
      ${field('nzLuma')} local.get $q i32.add local.get $nz v128.load v128.store
      ${field('nzCb')} local.get $mb i32.const 2 i32.shl i32.add local.get $nzC i32.load i32.store
      ${field('nzCr')} local.get $mb i32.const 2 i32.shl i32.add local.get $nzC i32.load offset=4 i32.store
      ${field('i4Mode')} local.get $q i32.add
      local.get $kind i32.const ${MbKind.I4x4} i32.eq if (result v128) local.get $modes v128.load else i32.const 2 i8x16.splat end v128.store
      ${field('ref')} local.get $q i32.add i32.const -1 i8x16.splat v128.store
      ${field('mvx')} local.get $q i32.const 1 i32.shl i32.add local.tee $p v128.const i32x4 0 0 0 0 v128.store
      local.get $p v128.const i32x4 0 0 0 0 v128.store offset=16
      ${field('mvy')} local.get $q i32.const 1 i32.shl i32.add local.tee $p v128.const i32x4 0 0 0 0 v128.store
      local.get $p v128.const i32x4 0 0 0 0 v128.store offset=16
      ${field('bs')} local.get $mb i32.const 5 i32.shl i32.add local.tee $p
      v128.const i8x16 4 4 4 4 3 3 3 3 3 3 3 3 3 3 3 3 v128.store
      local.get $p v128.const i8x16 4 4 4 4 3 3 3 3 3 3 3 3 3 3 3 3 v128.store offset=16`,
  };
}

/**
 * macroblock-writer.ts writeIntraMb up to the residual, in one call: mb_type (Table 7-11, after
 * $mbTypeOffset), for I_NxN the 16 prev_intra4x4_pred_mode_flag / rem_intra4x4_pred_mode in
 * decoding order from $modes and $pred (raster, a byte each), intra_chroma_pred_mode,
 * coded_block_pattern for I_NxN (me(v), Table 9-4, the CAVLC tables' CT_CBP_INTRA), and
 * mb_qp_delta (se(v)) when the syntax has it. From bit $bits of the buffer at $buf; returns the new
 * bitLength.
 */
function intraHeaderSource(): FunctionSource {
  return {
    name: 'intraHeader',
    params: [['$buf', 'i32'], ['$bits', 'i32'], ['$kind', 'i32'], ['$mbTypeOffset', 'i32'], ['$mode16', 'i32'], ['$cbp', 'i32'],
      ['$chromaMode', 'i32'], ['$modes', 'i32'], ['$pred', 'i32'], ['$qpDelta', 'i32'], ['$tables', 'i32']],
    result: 'i32',
    locals: [['$pos', 'i32'], ['$acc', 'i32'], ['$n', 'i32'], ['$code', 'i32'], ['$len', 'i32'], ['$i', 'i32'], ['$r', 'i32'],
      ['$m', 'i32'], ['$p', 'i32'], ['$t', 'i32']],
    body: `
      ${WRITER_START}
      local.get $kind i32.const ${MbKind.I16x16} i32.eq
      if
        ;; 1 + predMode + 4 * CodedBlockPatternChroma + 12 * (CodedBlockPatternLuma != 0)
        local.get $mbTypeOffset i32.const 1 i32.add local.get $mode16 i32.add local.get $cbp i32.const 4 i32.shr_u i32.const 2 i32.shl i32.add
        i32.const 12 i32.const 0 local.get $cbp i32.const 15 i32.and select i32.add
        ${PUT_UE}
      else
        local.get $mbTypeOffset ${PUT_UE}
        loop $blocks
          ;; raster r = 4y + x of luma4x4BlkIdx i: x = (i8 & 1) * 2 + (i & 1), y = (i8 >> 1) * 2 + ((i >> 1) & 1)
          local.get $i i32.const 4 i32.and i32.const 1 i32.shr_u local.get $i i32.const 1 i32.and i32.or
          local.get $i i32.const 8 i32.and local.get $i i32.const 1 i32.shl i32.const 4 i32.and i32.or i32.or local.set $r
          local.get $modes local.get $r i32.add i32.load8_s local.set $m
          local.get $pred local.get $r i32.add i32.load8_s local.set $p
          local.get $m local.get $p i32.eq
          if
            i32.const 1 local.set $len i32.const 1 local.set $code
          else
            ;; a zero flag, then rem_intra4x4_pred_mode in 3 bits
            i32.const 4 local.set $len
            local.get $m local.get $m i32.const 1 i32.sub local.get $m local.get $p i32.lt_s select local.set $code
          end
          ${PUT_BITS}
          local.get $i i32.const 1 i32.add local.tee $i i32.const 16 i32.lt_u br_if $blocks
        end
      end
      local.get $chromaMode ${PUT_UE}
      local.get $kind i32.const ${MbKind.I16x16} i32.ne
      if local.get $tables local.get $cbp i32.add i32.load8_u offset=${CT_CBP_INTRA} ${PUT_UE} end
      local.get $kind i32.const ${MbKind.I16x16} i32.eq local.get $cbp i32.or
      if
        local.get $qpDelta ${SE_TO_UE} ${PUT_UE}
      end
      ${WRITER_END}`,
  };
}

/** A field of the context at $ctx (SKIP_CTX_FIELDS). */
const ctxField = (name: typeof SKIP_CTX_FIELDS[number]): string => `local.get $ctx i32.load offset=${4 * SKIP_CTX_FIELDS.indexOf(name)}`;

/**
 * The prediction sources of vector ($vx, $vy) for the macroblock at sample ($x, $y), from the
 * context at $ctx: luma planes $a and $b (interpolate.ts lumaSources through SUBPEL_SOURCES; $b =
 * $a for one plane) at stride $rs, chroma's offset $c in its planes (stride $cs) and its fraction
 * ($xf, $yf) for 8.4.2.2.2's weights (CHROMA_WEIGHTS). Uses $e and $off.
 */
function mcSetup(vx: string, vy: string): string {
  const planeAddr = (field: number): string => `local.get $ctx local.get $e i32.load offset=${field} i32.const 2 i32.shl i32.add i32.load offset=${4 * SKIP_CTX_FIELDS.indexOf('refF')}`;
  return `
      ${ctxField('refStride')} local.set $rs
      local.get ${vx} i32.const 3 i32.and i32.const 2 i32.shl local.get ${vy} i32.const 3 i32.and i32.or
      i32.const 24 i32.mul ${ctxField('subpel')} i32.add local.set $e
      local.get $y local.get ${vy} i32.const 2 i32.shr_s i32.add local.get $rs i32.mul local.get $x i32.add local.get ${vx} i32.const 2 i32.shr_s i32.add local.set $off
      ${planeAddr(0)} local.get $off i32.add local.get $e i32.load offset=4 i32.add local.get $e i32.load offset=8 local.get $rs i32.mul i32.add local.set $a
      local.get $a local.set $b
      local.get $e i32.load offset=12 i32.const 0 i32.ge_s
      if
        ${planeAddr(12)} local.get $off i32.add local.get $e i32.load offset=16 i32.add local.get $e i32.load offset=20 local.get $rs i32.mul i32.add local.set $b
      end
      ${ctxField('refStrideC')} local.set $cs
      local.get ${vx} i32.const 7 i32.and local.set $xf
      local.get ${vy} i32.const 7 i32.and local.set $yf
      local.get $y i32.const 1 i32.shr_u local.get ${vy} i32.const 3 i32.shr_s i32.add local.get $cs i32.mul
      local.get $x i32.const 1 i32.shr_u i32.add local.get ${vx} i32.const 3 i32.shr_s i32.add local.set $c`;
}

/** 8.4.2.2.2's four weights of the fraction ($xf, $yf) on the stack: (8 − xf)(8 − yf), xf (8 − yf), (8 − xf) yf, xf yf. */
const CHROMA_WEIGHTS = `
      i32.const 8 local.get $xf i32.sub i32.const 8 local.get $yf i32.sub i32.mul
      local.get $xf i32.const 8 local.get $yf i32.sub i32.mul
      i32.const 8 local.get $xf i32.sub local.get $yf i32.mul
      local.get $xf local.get $yf i32.mul`;

/** ue(v) of any value on the stack below 2^15 (codeNum + 1 of at most 15 bits): its zeros, then codeNum + 1. Uses $t. */
const PUT_UE_ANY = `
    i32.const 1 i32.add local.set $t
    i32.const 31 local.get $t i32.clz i32.sub local.set $len
    i32.const 0 local.set $code
    ${PUT_BITS}
    local.get $len i32.const 1 i32.add local.set $len local.get $t local.set $code
    ${PUT_BITS}`;

/**
 * inter.ts analyse's coding of a P_L0_16x16 choice, in one call: its motion compensation (vector
 * $vx, $vy: avgBlock of lumaSources' planes, chroma8 for Cb and Cr) into the context's inter
 * predictions, codeInter into the 16x16 coding's arrays (SSDs and cbps at the context's `result`),
 * then the macroblock from bit 0 of the writer's buffer: mb_type 0, the mvd ($mvdx, $mvdy),
 * coded_block_pattern (Table 9-4, inter) and, with a residual, mb_qp_delta and cavlcResidual.
 * Returns the bitLength, or −1 when a level is beyond Baseline's reach (cavlcResidual's −1).
 */
function codeP16Source(): FunctionSource {
  const ctx = ctxField;
  return {
    name: 'codeP16',
    params: [['$ctx', 'i32'], ['$mb', 'i32'], ['$mbx', 'i32'], ['$mby', 'i32'], ['$vx', 'i32'], ['$vy', 'i32'], ['$mvdx', 'i32'], ['$mvdy', 'i32'],
      ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'], ['$mc', 'i32'], ['$q6c', 'i32'], ['$biasC', 'i32'], ['$qpDelta', 'i32']],
    result: 'i32',
    locals: [['$x', 'i32'], ['$y', 'i32'], ['$e', 'i32'], ['$off', 'i32'], ['$rs', 'i32'], ['$a', 'i32'], ['$b', 'i32'], ['$cs', 'i32'], ['$c', 'i32'],
      ['$xf', 'i32'], ['$yf', 'i32'], ['$cbp', 'i32'], ['$res', 'i32'], ['$buf', 'i32'], ['$bits', 'i32'],
      ['$pos', 'i32'], ['$acc', 'i32'], ['$n', 'i32'], ['$code', 'i32'], ['$len', 'i32'], ['$t', 'i32']],
    body: `
      local.get $mbx i32.const 4 i32.shl local.set $x
      local.get $mby i32.const 4 i32.shl local.set $y
      ;; the prediction
      ${mcSetup('$vx', '$vy')}
      local.get $a local.get $b local.get $rs ${ctx('interPred')} i32.const 16 i32.const 16 i32.const 16 call $avgBlock
      ${ctx('refU')} local.get $c i32.add local.get $cs ${ctx('interPredC')} i32.const 8 i32.const 8 ${CHROMA_WEIGHTS} call $chroma8
      ${ctx('refV2')} local.get $c i32.add local.get $cs ${ctx('interPredC')} i32.const 64 i32.add i32.const 8 i32.const 8 ${CHROMA_WEIGHTS} call $chroma8
      ;; the residual
      ${ctx('result')} local.set $res
      ${ctx('src16')} ${ctx('srcC')} ${ctx('interPred')} ${ctx('interPredC')} local.get $m local.get $q6 local.get $bias local.get $mc local.get $q6c
      local.get $biasC ${ctx('table')} ${ctx('coef')} ${ctx('p16Levels')} ${ctx('p16Nz')} ${ctx('p16Recon')} ${ctx('p16Dc')} ${ctx('p16Ac')}
      ${ctx('p16NzC')} ${ctx('p16ReconC')} local.get $res call $codeInter
      local.get $res i32.load offset=4 local.get $res i32.load offset=12 i32.const 4 i32.shl i32.or local.set $cbp
      ;; the macroblock's syntax from bit 0
      ${ctx('mbBuf')} local.set $buf
      ${WRITER_START}
      i32.const 1 local.set $len i32.const 1 local.set $code
      ${PUT_BITS}
      local.get $mvdx ${SE_TO_UE} ${PUT_UE_ANY}
      local.get $mvdy ${SE_TO_UE} ${PUT_UE_ANY}
      ${ctx('cavlc')} local.get $cbp i32.add i32.load8_u offset=${CT_CBP_INTER} ${PUT_UE}
      local.get $cbp i32.eqz if ${WRITER_END} return end
      local.get $qpDelta ${SE_TO_UE} ${PUT_UE}
      ${WRITER_END} local.set $bits
      local.get $buf local.get $bits ${ctx('p16Levels')} ${ctx('p16Levels')} ${ctx('p16Nz')} local.get $cbp i32.const 0
      ${ctx('p16Dc')} ${ctx('p16Ac')} ${ctx('p16NzC')} ${ctx('desc')} local.get $mb local.get $mbx local.get $mby
      ${ctx('cavlc')} call $cavlcResidual`,
  };
}

/**
 * intra.ts searchI16 for one macroblock: the Intra_16x16 mode of least SATD (the first in mode
 * order on a tie) among those available, from the picture's edge samples at $pic − 1 and
 * $pic − $sy (8.3.3; $flags bit 0 left, bit 1 top; Plane needs both and the corner). Each
 * prediction is written to $pred (16x16) and its SATD summed by `satd`; Plane by `plane16` from
 * its a, b and c (intra-pred.ts plane16Params). Returns mode << 24 | SATD, and leaves the chosen
 * mode's prediction in $pred (Plane is the last one tried; the others are stored again).
 */
function intra16x16Source(): FunctionSource {
  const store16 = (vec: (y: number) => string): string => Array.from({ length: 16 }, (_, y) => `local.get $pred ${vec(y)} v128.store offset=${16 * y}`).join('\n');
  const consider = (m: number): string => `
    local.get $src i32.const 16 local.get $pred i32.const 16 i32.const 16 i32.const 16 call $satd local.set $s
    local.get $best i32.const 0 i32.lt_s local.get $s local.get $bestSatd i32.lt_u i32.or
    if local.get $s local.set $bestSatd i32.const ${m} local.set $best end`;
  const top = (x: number): string => x < 0 ? 'local.get $corner' : `local.get $T i8x16.extract_lane_u ${x}`;
  const left = (y: number): string => y < 0 ? 'local.get $corner' : `local.get $L i8x16.extract_lane_u ${y}`;
  // H' and V' of 8-121, 8-122: sum of (x' + 1) (p[8 + x', −1] − p[6 − x', −1]), and down the left column.
  const gradient = (at: (i: number) => string): string => Array.from({ length: 8 }, (_, i) =>
    `${at(8 + i)} ${at(6 - i)} i32.sub i32.const ${i + 1} i32.mul ${i === 0 ? '' : 'i32.add'}`).join('\n');
  return {
    name: 'intra16x16',
    params: [['$src', 'i32'], ['$pic', 'i32'], ['$sy', 'i32'], ['$flags', 'i32'], ['$pred', 'i32']],
    result: 'i32',
    locals: [['$hasL', 'i32'], ['$hasT', 'i32'], ['$corner', 'i32'], ['$sumT', 'i32'], ['$sumL', 'i32'], ['$dc', 'i32'], ['$s', 'i32'],
      ['$best', 'i32'], ['$bestSatd', 'i32'], ['$y', 'i32'], ['$T', 'v128'], ['$L', 'v128']],
    body: `
      local.get $flags i32.const 1 i32.and local.set $hasL
      local.get $flags i32.const 1 i32.shr_u i32.const 1 i32.and local.set $hasT
      i32.const -1 local.set $best
      local.get $hasT
      if
        local.get $pic local.get $sy i32.sub v128.load local.tee $T
        i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_u local.tee $L
        i32x4.extract_lane 0 local.get $L i32x4.extract_lane 1 i32.add
        local.get $L i32x4.extract_lane 2 i32.add local.get $L i32x4.extract_lane 3 i32.add local.set $sumT
      end
      v128.const i32x4 0 0 0 0 local.set $L
      local.get $hasL
      if
        ${Array.from({ length: 16 }, (_, y) => `local.get $L local.get $pic i32.const 1 i32.sub ${y === 0 ? '' : `local.get $sy i32.const ${y} i32.mul i32.add`} i32.load8_u i8x16.replace_lane ${y} local.set $L`).join('\n')}
        local.get $L i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_u local.set $T
        local.get $T i32x4.extract_lane 0 local.get $T i32x4.extract_lane 1 i32.add
        local.get $T i32x4.extract_lane 2 i32.add local.get $T i32x4.extract_lane 3 i32.add local.set $sumL
        local.get $hasT if local.get $pic local.get $sy i32.sub v128.load local.set $T end
      end
      ;; dc16x16
      ${dcOfEdges(16)}
      ;; Vertical
      local.get $hasT
      if
        ${store16(() => 'local.get $T')}
        ${consider(0)}
      end
      ;; Horizontal
      local.get $hasL
      if
        ${store16((y) => `local.get $L i8x16.extract_lane_u ${y} i8x16.splat`)}
        ${consider(1)}
      end
      ;; DC
      ${store16(() => 'local.get $dc i8x16.splat')}
      ${consider(2)}
      ;; Plane
      local.get $hasL local.get $hasT i32.and
      if
        local.get $pic local.get $sy i32.sub i32.const 1 i32.sub i32.load8_u local.set $corner
        local.get $pred
        ${left(15)} ${top(15)} i32.add i32.const 4 i32.shl
        ${gradient(top)} i32.const 5 i32.mul i32.const 32 i32.add i32.const 6 i32.shr_s
        ${gradient(left)} i32.const 5 i32.mul i32.const 32 i32.add i32.const 6 i32.shr_s
        call $plane16
        ${consider(3)}
      end
      local.get $best i32.eqz if ${store16(() => 'local.get $T')} end
      local.get $best i32.const 1 i32.eq if ${store16((y) => `local.get $L i8x16.extract_lane_u ${y} i8x16.splat`)} end
      local.get $best i32.const 2 i32.eq if ${store16(() => 'local.get $dc i8x16.splat')} end
      local.get $best i32.const 24 i32.shl local.get $bestSatd i32.or`,
  };
}

/**
 * intra.ts codeChroma's mode search for one macroblock: the intra chroma mode (8.3.4: DC 0,
 * Horizontal 1, Vertical 2, Plane 3) of least SATD + lambda * ue bits (1, 3, 3, 5; the first in
 * mode order on a tie, f64 as in TypeScript) among those $flags allows (bit 0 left, bit 1 top,
 * bit 2 top-left: Horizontal needs the left, Vertical the top, Plane all three), from the
 * picture's edge samples around $pu and $pv (stride $sc). Each prediction, Cb above Cr (8 wide),
 * goes to $scratch (128 bytes) and its SATD against $src (the same layout) is one `satd` call;
 * the best is copied to $pred. Returns the mode.
 */
function intraChromaSource(): FunctionSource {
  const BITS = [1, 3, 3, 5];
  // Edge sample of the component at $e: top(x) = p[x, −1], left(y) = p[−1, y].
  const top = (x: number): string => `local.get $e local.get $sc i32.sub i32.load8_u offset=${x}`;
  const left = (y: number): string => `local.get $e i32.const 1 i32.sub ${y === 0 ? '' : `local.get $sc i32.const ${y} i32.mul i32.add`} i32.load8_u`;
  const sum4 = (at: (i: number) => string, from: number): string => `${at(from)} ${at(from + 1)} i32.add ${at(from + 2)} i32.add ${at(from + 3)} i32.add`;
  // chromaDc's four values (blocks 0..3) into $dc0..$dc3, times 0x01010101 (four samples of it).
  const dc = `
    local.get $hasT if ${sum4(top, 0)} local.set $st0 ${sum4(top, 4)} local.set $st1 end
    local.get $hasL if ${sum4(left, 0)} local.set $sl0 ${sum4(left, 4)} local.set $sl1 end
    ${[['$dc0', '$st0', '$sl0', 'both'], ['$dc1', '$st1', '$sl0', 'top'], ['$dc2', '$st0', '$sl1', 'left'], ['$dc3', '$st1', '$sl1', 'both']].map(([d, t, l, rule]) => {
    const mean = (sum: string): string => `${sum} i32.const 2 i32.add i32.const 2 i32.shr_u`;
    const both = `local.get ${t} local.get ${l} i32.add i32.const 4 i32.add i32.const 3 i32.shr_u`;
    const order: [string, string][] = rule === 'both'
      ? [['local.get $hasT local.get $hasL i32.and', both], ['local.get $hasL', mean(`local.get ${l}`)], ['local.get $hasT', mean(`local.get ${t}`)]]
      : rule === 'top'
        ? [['local.get $hasT', mean(`local.get ${t}`)], ['local.get $hasL', mean(`local.get ${l}`)]]
        : [['local.get $hasL', mean(`local.get ${l}`)], ['local.get $hasT', mean(`local.get ${t}`)]];
    return `
    ${order.map(([cond, value]) => `${cond} if (result i32) ${value} else`).join('\n')}
    i32.const 128 ${order.map(() => 'end').join(' ')}
    i32.const 0x01010101 i32.mul local.set ${d}`;
  }).join('')}`;
  // The prediction of mode m for the component at $e into $scratch + $o (8x8, stride 8).
  const predict = (m: number): string => {
    if (m === 2) return `
      local.get $e local.get $sc i32.sub v128.load64_zero local.tee $v local.get $v i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 local.set $v
      ${[0, 1, 2, 3].map((k) => `local.get $scratch local.get $o i32.add local.get $v v128.store offset=${16 * k}`).join('\n')}`;
    if (m === 1) return [0, 1, 2, 3].map((k) => `
      local.get $scratch local.get $o i32.add
      ${left(2 * k)} i8x16.splat ${left(2 * k + 1)} i8x16.splat i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      v128.store offset=${16 * k}`).join('');
    if (m === 0) return `
      ${dc}
      local.get $dc0 i32x4.splat local.get $dc1 i32x4.replace_lane 1 local.get $dc1 i32x4.replace_lane 3 local.set $v
      local.get $scratch local.get $o i32.add local.get $v v128.store
      local.get $scratch local.get $o i32.add local.get $v v128.store offset=16
      local.get $dc2 i32x4.splat local.get $dc3 i32x4.replace_lane 1 local.get $dc3 i32x4.replace_lane 3 local.set $v
      local.get $scratch local.get $o i32.add local.get $v v128.store offset=32
      local.get $scratch local.get $o i32.add local.get $v v128.store offset=48`;
    // Plane, 8-138..8-141 with xCF = yCF = 0: H and V by (x' + 1) (p[4 + x', −1] − p[2 − x', −1]).
    const corner = `local.get $e local.get $sc i32.sub i32.const 1 i32.sub i32.load8_u`;
    const grad = (at: (i: number) => string): string => [0, 1, 2, 3].map((i) =>
      `${at(4 + i)} ${i === 3 ? corner : at(2 - i)} i32.sub i32.const ${i + 1} i32.mul ${i === 0 ? '' : 'i32.add'}`).join('\n');
    return `
      ${grad(top)} i32.const 34 i32.mul i32.const 32 i32.add i32.const 6 i32.shr_s local.set $b
      ${grad(left)} i32.const 34 i32.mul i32.const 32 i32.add i32.const 6 i32.shr_s local.set $c
      ${left(7)} ${top(7)} i32.add i32.const 4 i32.shl i32.const 16 i32.add local.get $c i32.const 3 i32.mul i32.sub local.set $a
      local.get $b i16x8.splat v128.const i16x8 -3 -2 -1 0 1 2 3 4 i16x8.mul local.set $bx
      ${[0, 1, 2, 3].map((k) => `
      local.get $scratch local.get $o i32.add
      local.get $a local.get $c i32.const ${2 * k} i32.mul i32.add i16x8.splat local.get $bx i16x8.add i32.const 5 i16x8.shr_s
      local.get $a local.get $c i32.const ${2 * k + 1} i32.mul i32.add i16x8.splat local.get $bx i16x8.add i32.const 5 i16x8.shr_s
      i8x16.narrow_i16x8_u v128.store offset=${16 * k}`).join('')}`;
  };
  const avail = ['i32.const 1', 'local.get $hasL', 'local.get $hasT', 'local.get $flags i32.const 7 i32.and i32.const 7 i32.eq'];
  const mode = (m: number): string => `
    ${avail[m]}
    if
      local.get $pu local.set $e i32.const 0 local.set $o
      ${predict(m)}
      local.get $pv local.set $e i32.const 64 local.set $o
      ${predict(m)}
      local.get $src i32.const 8 local.get $scratch i32.const 8 i32.const 8 i32.const 16 call $satd
      f64.convert_i32_s local.get $lambda i32.const ${BITS[m]} f64.convert_i32_s f64.mul f64.add local.tee $cost
      local.get $best f64.lt
      if
        local.get $cost local.set $best
        i32.const ${m} local.set $mode
        ${Array.from({ length: 8 }, (_, k) => `local.get $pred local.get $scratch v128.load offset=${16 * k} v128.store offset=${16 * k}`).join('\n')}
      end
    end`;
  return {
    name: 'intraChroma',
    params: [['$src', 'i32'], ['$pu', 'i32'], ['$pv', 'i32'], ['$sc', 'i32'], ['$flags', 'i32'], ['$lambda', 'f64'], ['$pred', 'i32'], ['$scratch', 'i32']],
    result: 'i32',
    locals: [['$hasL', 'i32'], ['$hasT', 'i32'], ['$e', 'i32'], ['$o', 'i32'], ['$mode', 'i32'], ['$st0', 'i32'], ['$st1', 'i32'],
      ['$sl0', 'i32'], ['$sl1', 'i32'], ['$dc0', 'i32'], ['$dc1', 'i32'], ['$dc2', 'i32'], ['$dc3', 'i32'], ['$a', 'i32'], ['$b', 'i32'],
      ['$c', 'i32'], ['$best', 'f64'], ['$cost', 'f64'], ['$v', 'v128'], ['$bx', 'v128']],
    body: `
      local.get $flags i32.const 1 i32.and local.set $hasL
      local.get $flags i32.const 1 i32.shr_u i32.const 1 i32.and local.set $hasT
      f64.const inf local.set $best
      ${[0, 1, 2, 3].map(mode).join('\n')}
      local.get $mode`,
  };
}

/**
 * The DC prediction of an n x n block (intra-pred.ts dc4x4, dc16x16) into $dc, from the sums of
 * its n top ($sumT) and n left ($sumL) edge samples and their availability ($hasT, $hasL): the
 * rounded mean of the available ones, 128 without either.
 */
function dcOfEdges(n: 4 | 16): string {
  const log2 = n === 4 ? 2 : 4;
  return `
    i32.const 128 local.set $dc
    local.get $hasL
    if
      local.get $hasT
      if (result i32)
        local.get $sumT local.get $sumL i32.add i32.const ${n} i32.add i32.const ${log2 + 1} i32.shr_u
      else
        local.get $sumL i32.const ${n / 2} i32.add i32.const ${log2} i32.shr_u
      end
      local.set $dc
    else
      local.get $hasT
      if local.get $sumT i32.const ${n / 2} i32.add i32.const ${log2} i32.shr_u local.set $dc end
    end`;
}

/**
 * The edge samples an Intra_4x4 prediction sample (x, y) of `mode` is made of (8.3.1.2.1-9), as
 * four indices [a, b, c, d] into the edge array of intra-pred.ts (0..3 the left column from the
 * bottom, 4 the corner, 5..12 the row above and above-right), with 13 standing for the DC value:
 * the sample is (e[a] + e[b] + e[c] + e[d] + 2) >> 2. A three-tap filter (a + 2b + c + 2) >> 2
 * comes as [a, b, b, c], a two-tap average (a + b + 1) >> 1 as [a, a, b, b], a copy as [a, a, a, a].
 */
export function intra4x4Taps(mode: number, x: number, y: number): [number, number, number, number] {
  const two = (a: number, b: number): [number, number, number, number] => [a, a, b, b];
  const three = (a: number, b: number, c: number): [number, number, number, number] => [a, b, b, c];
  const T = (i: number): number => 5 + i; // p[i, -1], i >= -1
  const L = (j: number): number => 3 - j; // p[-1, j], j >= -1
  // Vertical_Right (8.3.1.2.6) along the top edge, u = x and v = y; Horizontal_Down (8.3.1.2.7)
  // is the same along the left edge.
  const slanted = (u: number, v: number, along: (i: number) => number, across: (i: number) => number): [number, number, number, number] => {
    const z = 2 * u - v, k = u - (v >> 1);
    if (z >= 0 && (z & 1) === 0) return two(along(k - 1), along(k));
    if (z >= 0) return three(along(k - 2), along(k - 1), along(k));
    if (z === -1) return three(L(0), L(-1), T(0));
    return three(across(v - 1), across(v - 2), across(v - 3));
  };
  switch (mode) {
    case 0: return [T(x), T(x), T(x), T(x)]; // Vertical
    case 1: return [L(y), L(y), L(y), L(y)]; // Horizontal
    case 2: return [13, 13, 13, 13]; // DC
    case 3: // Diagonal_Down_Left
      return x === 3 && y === 3 ? three(T(6), T(7), T(7)) : three(T(x + y), T(x + y + 1), T(x + y + 2));
    case 4: // Diagonal_Down_Right: along the border from p[-1, 3] (index 0) to p[7, -1] (12)
      return three(3 + x - y, 4 + x - y, 5 + x - y);
    case 5: return slanted(x, y, T, L); // Vertical_Right
    case 6: return slanted(y, x, L, T); // Horizontal_Down: Vertical_Right with x, y and the edges swapped
    case 7: { // Vertical_Left
      const k = x + (y >> 1);
      return (y & 1) === 0 ? two(T(k), T(k + 1)) : three(T(k), T(k + 1), T(k + 2));
    }
    default: { // Horizontal_Up
      const z = x + 2 * y, k = y + (x >> 1);
      if (z > 5) return [L(3), L(3), L(3), L(3)];
      if (z === 5) return three(L(2), L(3), L(3));
      if ((z & 1) === 0) return two(L(k), L(k + 1));
      return three(L(k), L(k + 1), L(k + 2));
    }
  }
}

/** intra4x4's scratch: the nine predictions, blockQuant's outputs for one block (and its idle neighbour), the results. */
const I4_PRED = 0, I4_COEF = 160, I4_LEVELS = 288, I4_NZ = 416, I4_STATE = 432, I4_SCRATCH_BYTES = 448;

/**
 * Intra.ts codeI4 for a whole macroblock: the 16 blocks in decoding order, each with its edge
 * samples from the reconstructed picture, its predicted mode (8.3.1.1), all nine predictions and
 * their SATDs, the mode of least SATD + lambda * (1 or 4 bits) among those available (the first
 * in mode order on a tie, costs in f64 as in TypeScript), then blockQuant and blockRecon of that
 * block straight into the picture, where the next blocks predict from it.
 *
 * A prediction sample is (a + 2b + c + 2) >> 2 of three edge samples (intra4x4Taps; a two-tap
 * average (a + b + 1) >> 1 is the same filter of b, a, b): with u8 lanes, the rounded average of
 * b and the floor average of a and c, which equals it exactly. The three index vectors of a mode
 * pick a, b and c out of the edge vector with i8x16.swizzle. SATDs two modes at a time, side by
 * side in the lanes of HADAMARD_ABS_ACC.
 *
 * $pic: the macroblock's first luma sample in the picture (stride $sy); $flags: bit 0 left, bit 1
 * top, bit 2 above-right macroblock available; $nb: the Intra4x4PredMode of the left neighbour's
 * column 3 (4 bits per row, rows 0..3) and, from bit 16, the upper neighbour's row 3. Outputs per
 * raster block: modes, predicted modes (u8), levels (i32 x 16, scan order), nz (u8), the
 * reconstruction (stride 16); at $scratch + I4_STATE the sum of the chosen costs (f64) and the
 * cbp (i32). Returns the SSD of the reconstruction.
 */
function intra4x4Source(): FunctionSource {
  const trMask = TOP_RIGHT_INSIDE.reduce((m, v, r) => m | (v << r), 0);
  const predict = (m: number): string => {
    const taps = Array.from({ length: 16 }, (_, n) => intra4x4Taps(m, n & 3, n >> 2));
    // Each sample as (a, b, c) of the three-tap filter.
    const abc = taps.map(([t0, t1, t2, t3]): [number, number, number] => {
      if (t1 === t2) return [t0, t1, t3];
      if (t0 === t1 && t2 === t3) return [t2, t0, t2];
      throw new Error(`intra4x4Taps(${m}) gives neither a filter nor an average`);
    });
    const idx = (j: number): string => `local.get $E v128.const i8x16 ${abc.map((t) => t[j]).join(' ')} i8x16.swizzle`;
    const keep = `local.set $p${m} local.get $scratch local.get $p${m} v128.store offset=${I4_PRED + 16 * m}`;
    if (abc.every(([a, b, c]) => a === b && b === c)) return `${idx(1)} ${keep}`;
    return `
      ${idx(0)} local.tee $x ${idx(2)} local.tee $y i8x16.avgr_u
      local.get $x local.get $y v128.xor local.get $one v128.and i8x16.sub
      ${idx(1)} i8x16.avgr_u ${keep}`;
  };
  // SATDs of modes a and b (b = a: only a's is kept).
  const satdPair = (a: number, b: number): string => `
    ${[0, 1, 2, 3].map((k) => `
    local.get $r${k} local.get $p${a} local.get $p${b}
    i8x16.shuffle ${[0, 1, 2, 3].map((j) => 4 * k + j).join(' ')} ${[0, 1, 2, 3].map((j) => 16 + 4 * k + j).join(' ')} 0 0 0 0 0 0 0 0
    i16x8.extend_low_i8x16_u i16x8.sub local.set $d${k}`).join('')}
    v128.const i32x4 0 0 0 0 local.set $acc
    ${HADAMARD_ABS_ACC}
    local.get $acc i32x4.extract_lane 0 local.get $acc i32x4.extract_lane 1 i32.add i32.const 1 i32.shr_u local.set $sat${a}
    ${a === b ? '' : `local.get $acc i32x4.extract_lane 2 local.get $acc i32x4.extract_lane 3 i32.add i32.const 1 i32.shr_u local.set $sat${b}`}`;
  const choose = (m: number): string => `
    local.get $mask i32.const ${1 << m} i32.and
    if
      local.get $sat${m} f64.convert_i32_s
      local.get $lambda local.get $lambda4 local.get $pm i32.const ${m} i32.eq select f64.add local.set $cost
      local.get $best i32.const 0 i32.lt_s local.get $cost local.get $bestCost f64.lt i32.or
      if local.get $cost local.set $bestCost i32.const ${m} local.set $best end
    end`;
  const leftSample = (k: number): string => `local.get $bo i32.const 1 i32.sub ${k === 0 ? '' : `local.get $sy i32.const ${k} i32.mul i32.add`} i32.load8_u`;
  const i32s = ['$i', '$x4', '$y4', '$rpos', '$hasL', '$hasT', '$hasTR', '$bo', '$so', '$pa', '$a', '$b', '$l0', '$l1', '$l2', '$l3',
    '$corner', '$sumT', '$sumL', '$dc', '$pm', '$mask', '$best', '$nzb', '$cbp', '$ssd',
    '$sat0', '$sat1', '$sat2', '$sat3', '$sat4', '$sat5', '$sat6', '$sat7', '$sat8'];
  const v128s = ['$T', '$E', '$x', '$y', '$one', '$p0', '$p1', '$p2', '$p3', '$p4', '$p5', '$p6', '$p7', '$p8', '$r0', '$r1', '$r2', '$r3',
    '$d0', '$d1', '$d2', '$d3', '$s01', '$m01', '$s23', '$m23', '$sign1', '$acc'];
  return {
    name: 'intra4x4',
    params: [['$src', 'i32'], ['$pic', 'i32'], ['$sy', 'i32'], ['$flags', 'i32'], ['$nb', 'i32'], ['$lambda', 'f64'],
      ['$m', 'i32'], ['$q6', 'i32'], ['$bias', 'i32'], ['$table', 'i32'],
      ['$modes', 'i32'], ['$pmodes', 'i32'], ['$levels', 'i32'], ['$nz', 'i32'], ['$recon', 'i32'], ['$scratch', 'i32']],
    result: 'i32',
    locals: [...i32s.map((n): [string, 'i32'] => [n, 'i32']), ['$lambda4', 'f64'], ['$cost', 'f64'], ['$bestCost', 'f64'], ['$satdSum', 'f64'],
      ...v128s.map((n): [string, 'v128'] => [n, 'v128'])],
    body: `
      v128.const i16x8 1 -1 1 -1 1 -1 1 -1 local.set $sign1
      i32.const 1 i8x16.splat local.set $one
      ;; lambda * 4, exactly, as doublings
      local.get $lambda local.get $lambda f64.add local.tee $cost local.get $cost f64.add local.set $lambda4
      loop $blocks
        ;; decoding order i -> raster position (6.4.3)
        local.get $i i32.const 1 i32.and local.get $i i32.const 1 i32.shr_u i32.const 2 i32.and i32.or local.set $x4
        local.get $i i32.const 1 i32.shr_u i32.const 1 i32.and local.get $i i32.const 2 i32.shr_u i32.const 2 i32.and i32.or local.set $y4
        local.get $y4 i32.const 2 i32.shl local.get $x4 i32.add local.set $rpos
        local.get $x4 i32.const 0 i32.ne local.get $flags i32.const 1 i32.and i32.or local.set $hasL
        local.get $y4 i32.const 0 i32.ne local.get $flags i32.const 1 i32.shr_u i32.const 1 i32.and i32.or local.set $hasT
        local.get $y4 i32.eqz
        if
          local.get $x4 i32.const 3 i32.lt_u
          if (result i32)
            local.get $hasT
          else
            local.get $flags i32.const 1 i32.shr_u local.get $flags i32.const 2 i32.shr_u i32.and i32.const 1 i32.and
          end
          local.set $hasTR
        else
          i32.const ${trMask} local.get $rpos i32.shr_u i32.const 1 i32.and local.set $hasTR
        end
        local.get $pic local.get $y4 i32.const 2 i32.shl local.get $sy i32.mul i32.add local.get $x4 i32.const 2 i32.shl i32.add local.set $bo
        local.get $src local.get $y4 i32.const 6 i32.shl i32.add local.get $x4 i32.const 2 i32.shl i32.add local.set $so

        ;; the edge: lanes 0..3 left column from the bottom, 4 corner, 5..12 above and above-right, 13 DC; 128 where unavailable
        local.get $hasT
        if
          local.get $hasTR
          if
            local.get $bo local.get $sy i32.sub v128.load64_zero local.set $T
          else
            local.get $bo local.get $sy i32.sub v128.load32_zero local.tee $T local.get $T i8x16.shuffle 0 1 2 3 3 3 3 3 0 0 0 0 0 0 0 0 local.set $T
          end
        else
          i32.const 128 i8x16.splat local.set $T
        end
        local.get $hasL
        if
          ${leftSample(0)} local.set $l0 ${leftSample(1)} local.set $l1 ${leftSample(2)} local.set $l2 ${leftSample(3)} local.set $l3
        else
          i32.const 128 local.tee $l0 local.tee $l1 local.tee $l2 local.set $l3
        end
        i32.const 128 local.set $corner
        local.get $hasL local.get $hasT i32.and
        if local.get $bo local.get $sy i32.sub i32.const 1 i32.sub i32.load8_u local.set $corner end
        local.get $l0 local.get $l1 i32.add local.get $l2 i32.add local.get $l3 i32.add local.set $sumL
        local.get $T i8x16.extract_lane_u 0 local.get $T i8x16.extract_lane_u 1 i32.add
        local.get $T i8x16.extract_lane_u 2 i32.add local.get $T i8x16.extract_lane_u 3 i32.add local.set $sumT
        ;; dc4x4
        ${dcOfEdges(4)}
        local.get $T local.get $T i8x16.shuffle 0 0 0 0 0 0 1 2 3 4 5 6 7 0 0 0
        local.get $l3 i8x16.replace_lane 0 local.get $l2 i8x16.replace_lane 1
        local.get $l1 i8x16.replace_lane 2 local.get $l0 i8x16.replace_lane 3
        local.get $corner i8x16.replace_lane 4 local.get $dc i8x16.replace_lane 13 local.set $E

        ;; the nine predictions (kept, and stored for the chosen one's coding) and their SATDs
        ${[0, 1, 2, 3, 4, 5, 6, 7, 8].map(predict).join('\n')}
        ${[0, 1, 2, 3].map((k) => `local.get $so ${k === 0 ? '' : `i32.const ${16 * k} i32.add`} v128.load32_splat i16x8.extend_low_i8x16_u local.set $r${k}`).join('\n')}
        ${satdPair(0, 1)} ${satdPair(2, 3)} ${satdPair(4, 5)} ${satdPair(6, 7)} ${satdPair(8, 8)}

        ;; predicted mode: min of the neighbours' (DC without both)
        i32.const 2 local.set $pm
        local.get $hasL local.get $hasT i32.and
        if
          local.get $x4
          if (result i32)
            local.get $modes local.get $rpos i32.add i32.const 1 i32.sub i32.load8_u
          else
            local.get $nb local.get $y4 i32.const 2 i32.shl i32.shr_u i32.const 15 i32.and
          end
          local.set $a
          local.get $y4
          if (result i32)
            local.get $modes local.get $rpos i32.add i32.const 4 i32.sub i32.load8_u
          else
            local.get $nb local.get $x4 i32.const 2 i32.shl i32.const 16 i32.add i32.shr_u i32.const 15 i32.and
          end
          local.set $b
          local.get $a local.get $b local.get $a local.get $b i32.lt_u select local.set $pm
        end
        ;; available modes (intra4x4ModeAvailable): DC; V, DDL, VL with the top; H, HU with the left; the rest with both
        i32.const 4
        local.get $hasT i32.const 137 i32.mul i32.or
        local.get $hasL i32.const 258 i32.mul i32.or
        local.get $hasL local.get $hasT i32.and i32.const 112 i32.mul i32.or local.set $mask
        i32.const -1 local.set $best
        ${[0, 1, 2, 3, 4, 5, 6, 7, 8].map(choose).join('\n')}
        local.get $satdSum local.get $bestCost f64.add local.set $satdSum
        local.get $modes local.get $rpos i32.add local.get $best i32.store8
        local.get $pmodes local.get $rpos i32.add local.get $pm i32.store8

        ;; code the block: blockQuant (one block; its pair partner is scratch), levels into place, blockRecon into the picture
        local.get $scratch local.get $best i32.const 4 i32.shl i32.add local.set $pa
        local.get $so i32.const 16 local.get $pa i32.const 4 i32.const 2 i32.const 1 i32.const 0
        local.get $scratch i32.const ${I4_COEF} i32.add local.get $scratch i32.const ${I4_LEVELS} i32.add local.get $scratch i32.const ${I4_NZ} i32.add
        local.get $m local.get $q6 local.get $bias local.get $table call $blockQuant
        local.get $scratch i32.load8_u offset=${I4_NZ} local.set $nzb
        local.get $nz local.get $rpos i32.add local.get $nzb i32.store8
        local.get $levels local.get $rpos i32.const 6 i32.shl i32.add local.set $a
        ${[0, 1, 2, 3].map((k) => `local.get $a local.get $scratch v128.load offset=${I4_LEVELS + 16 * k} v128.store offset=${16 * k}`).join('\n')}
        local.get $nzb
        if
          local.get $cbp i32.const 1 local.get $y4 i32.const 1 i32.shr_u i32.const 1 i32.shl local.get $x4 i32.const 1 i32.shr_u i32.add i32.shl i32.or local.set $cbp
        end
        local.get $ssd
        local.get $scratch i32.const ${I4_COEF} i32.add local.get $pa i32.const 4 local.get $so i32.const 16 local.get $bo local.get $sy
        i32.const 0 i32.const 1 local.get $nzb i32.const 0 i32.ne call $blockRecon
        i32.add local.set $ssd
        local.get $recon local.get $y4 i32.const 6 i32.shl i32.add local.get $x4 i32.const 2 i32.shl i32.add local.set $a
        ${[0, 1, 2, 3].map((k) => `local.get $a local.get $bo ${k === 0 ? '' : `local.get $sy i32.const ${k} i32.mul i32.add`} i32.load i32.store offset=${16 * k}`).join('\n')}
        local.get $i i32.const 1 i32.add local.tee $i
        i32.const 16 i32.lt_u br_if $blocks
      end
      local.get $scratch local.get $satdSum f64.store offset=${I4_STATE}
      local.get $scratch local.get $cbp i32.store offset=${I4_STATE + 8}
      local.get $ssd`,
  };
}

/** The hexagon's six steps and the square's eight, in inter.ts's order (ties resolve by it). */
const HEX_STEPS = [[-2, 0], [-1, -2], [1, -2], [2, 0], [1, 2], [-1, 2]];
const SQUARE_STEPS = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]];

/** Bits of se(v) for the i32 on the stack (bitstream.ts seBits): 63 − 2 clz(u + 1), u = v > 0 ? 2v − 1 : −2v. */
function seBitsOf(v: string): string {
  return `i32.const 63
    ${v} i32.const 0 i32.gt_s
    if (result i32) ${v} i32.const 1 i32.shl i32.const 1 i32.sub else i32.const 0 ${v} i32.const 1 i32.shl i32.sub end
    i32.const 1 i32.add i32.clz i32.const 1 i32.shl i32.sub`;
}

/**
 * A search candidate's checks, as inter.ts tryFull and satdCost make them: skip it (br_if $skip)
 * when its vector (locals x and y, in quarter samples) leaves [min, max], or when lambda * mvd
 * bits alone reach the best cost so far; otherwise leave that cost in $mvc.
 */
function vectorCostOrSkip(x: string, y: string, best: string): string {
  return `
      local.get ${x} local.get $minX i32.lt_s br_if $skip
      local.get ${x} local.get $maxX i32.gt_s br_if $skip
      local.get ${y} local.get $minY i32.lt_s br_if $skip
      local.get ${y} local.get $maxY i32.gt_s br_if $skip
      local.get $lambda
      ${seBitsOf(`local.get ${x} local.get $mpx i32.sub`)}
      ${seBitsOf(`local.get ${y} local.get $mpy i32.sub`)}
      i32.add f64.convert_i32_s f64.mul local.tee $mvc
      local.get ${best} f64.ge br_if $skip`;
}

/**
 * The integer part of inter.ts searchPartition after its starting points: hexagon steps (after a
 * move in direction d only d − 1, d, d + 1 are new points) while the best moves, at most $range
 * of them, then the 8-point square around the best. Each candidate is inter.ts tryFull exactly:
 * skipped when it is the best so far or its vector leaves [min, max], or when lambda * mvd bits
 * alone reaches the best cost; otherwise SAD + lambda * bits in f64, kept if strictly lower.
 * The best (cost f64, x, y i32) is read from and written back to $state.
 */
function hexSearchSource(w: 16 | 8 | 4): FunctionSource {
  const candidate = (dx: number, dy: number, index: number | null): string => `
    block $skip
      local.get $cx i32.const ${dx} i32.add local.set $fx
      local.get $cy i32.const ${dy} i32.add local.set $fy
      local.get $fx local.get $bx i32.eq local.get $fy local.get $by i32.eq i32.and br_if $skip
      local.get $fx i32.const 2 i32.shl local.set $qx
      local.get $fy i32.const 2 i32.shl local.set $qy
      ${vectorCostOrSkip('$qx', '$qy', '$bcost')}
      local.get $src local.get $as local.get $ref local.get $fy local.get $rs i32.mul i32.add local.get $fx i32.add local.get $rs local.get $h
      call $sad${w} f64.convert_i32_s local.get $mvc f64.add local.tee $c
      local.get $bcost f64.lt i32.eqz br_if $skip
      local.get $c local.set $bcost local.get $fx local.set $bx local.get $fy local.set $by
      ${index === null ? '' : `i32.const ${index} local.set $bi`}
    end`;
  const hexPoint = (i: number): string => `
    block $notNew
      ;; after a move in direction dir, only dir − 1, dir, dir + 1 are new
      local.get $dir i32.const 0 i32.ge_s
      local.get $dir i32.const ${i} i32.ne i32.and
      local.get $dir i32.const ${(i + 5) % 6} i32.ne i32.and
      local.get $dir i32.const ${(i + 1) % 6} i32.ne i32.and
      br_if $notNew
      ${candidate(HEX_STEPS[i]![0]!, HEX_STEPS[i]![1]!, i)}
    end`;
  return {
    name: `hexSearch${w}`,
    params: [['$src', 'i32'], ['$as', 'i32'], ['$ref', 'i32'], ['$rs', 'i32'], ['$h', 'i32'], ['$mpx', 'i32'], ['$mpy', 'i32'],
      ['$lambda', 'f64'], ['$minX', 'i32'], ['$maxX', 'i32'], ['$minY', 'i32'], ['$maxY', 'i32'], ['$range', 'i32'], ['$state', 'i32']],
    result: null,
    locals: [['$bx', 'i32'], ['$by', 'i32'], ['$cx', 'i32'], ['$cy', 'i32'], ['$fx', 'i32'], ['$fy', 'i32'], ['$qx', 'i32'], ['$qy', 'i32'],
      ['$dir', 'i32'], ['$bi', 'i32'], ['$it', 'i32'], ['$bcost', 'f64'], ['$mvc', 'f64'], ['$c', 'f64']],
    body: `
      local.get $state f64.load local.set $bcost
      local.get $state i32.load offset=8 local.set $bx
      local.get $state i32.load offset=12 local.set $by
      i32.const -1 local.set $dir
      block $done
        loop $iter
          local.get $it local.get $range i32.ge_s br_if $done
          local.get $bx local.set $cx
          local.get $by local.set $cy
          ${[0, 1, 2, 3, 4, 5].map(hexPoint).join('\n')}
          local.get $bx local.get $cx i32.eq local.get $by local.get $cy i32.eq i32.and br_if $done
          local.get $bi local.set $dir
          local.get $it i32.const 1 i32.add local.set $it
          br $iter
        end
      end
      local.get $bx local.set $cx
      local.get $by local.set $cy
      ${SQUARE_STEPS.map(([dx, dy]) => candidate(dx!, dy!, null)).join('\n')}
      local.get $state local.get $bcost f64.store
      local.get $state local.get $bx i32.store offset=8
      local.get $state local.get $by i32.store offset=12`,
  };
}

/**
 * Where the prediction of a quarter-sample position lies (interpolate.ts lumaSources), by
 * (xFrac << 2) | yFrac: plane a and its offset (dx, dy) from the full-sample position, and plane
 * b (−1: none) and its offset; planes 0 = full samples, 1 = Hp, 2 = Vp, 3 = HVp. Six i32 each.
 */
export const SUBPEL_SOURCES = Int32Array.from([
  0, 0, 0, -1, 0, 0, //  0 G
  0, 0, 0, 2, 0, 0, //  1 d = avg(F, Vp)
  2, 0, 0, -1, 0, 0, //  2 h = Vp
  0, 0, 1, 2, 0, 0, //  3 n = avg(F(y+1), Vp)
  0, 0, 0, 1, 0, 0, //  4 a = avg(F, Hp)
  1, 0, 0, 2, 0, 0, //  5 e = avg(Hp, Vp)
  2, 0, 0, 3, 0, 0, //  6 i = avg(Vp, HVp)
  2, 0, 0, 1, 0, 1, //  7 p = avg(Vp, Hp(y+1))
  1, 0, 0, -1, 0, 0, //  8 b = Hp
  1, 0, 0, 3, 0, 0, //  9 f = avg(Hp, HVp)
  3, 0, 0, -1, 0, 0, // 10 j = HVp
  3, 0, 0, 1, 0, 1, // 11 q = avg(HVp, Hp(y+1))
  0, 1, 0, 1, 0, 0, // 12 c = avg(F(x+1), Hp)
  1, 0, 0, 2, 1, 0, // 13 g = avg(Hp, Vp(x+1))
  3, 0, 0, 2, 1, 0, // 14 k = avg(HVp, Vp(x+1))
  2, 1, 0, 1, 0, 1, // 15 r = avg(Vp(x+1), Hp(y+1))
]);

/**
 * SATD of the w x h block at $src (stride 16) against the prediction at quarter-sample vector
 * ($tx, $ty) from the planes whose (0, 0) addresses are at $state + 16 (F, Hp, Vp, HVp): inter.ts
 * satdCost's SATD, through the SUBPEL_SOURCES table at $table.
 */
function satdAtSource(): FunctionSource {
  const planeAddr = (field: number): string => `local.get $state local.get $e i32.load offset=${field} i32.const 2 i32.shl i32.add i32.load offset=16`;
  return {
    name: 'satdAt',
    params: [['$src', 'i32'], ['$tx', 'i32'], ['$ty', 'i32'], ['$ss', 'i32'], ['$w', 'i32'], ['$h', 'i32'], ['$table', 'i32'], ['$state', 'i32']],
    result: 'i32',
    locals: [['$e', 'i32'], ['$off', 'i32'], ['$a', 'i32']],
    body: `
      local.get $tx i32.const 3 i32.and i32.const 2 i32.shl local.get $ty i32.const 3 i32.and i32.or
      i32.const 24 i32.mul local.get $table i32.add local.set $e
      local.get $ty i32.const 2 i32.shr_s local.get $ss i32.mul local.get $tx i32.const 2 i32.shr_s i32.add local.set $off
      ${planeAddr(0)} local.get $off i32.add local.get $e i32.load offset=4 i32.add
      local.get $e i32.load offset=8 local.get $ss i32.mul i32.add local.set $a
      local.get $e i32.load offset=12 i32.const 0 i32.lt_s
      if (result i32)
        local.get $src i32.const 16 local.get $a local.get $ss local.get $w local.get $h call $satd
      else
        local.get $src i32.const 16 local.get $a
        ${planeAddr(12)} local.get $off i32.add local.get $e i32.load offset=16 i32.add
        local.get $e i32.load offset=20 local.get $ss i32.mul i32.add
        local.get $ss local.get $w local.get $h call $satdAvg
      end`,
  };
}

const DIAMOND_STEPS = [[0, -1], [-1, 0], [1, 0], [0, 1]];

/**
 * inter.ts searchPartition's sub-sample refinement: from the integer result, half-sample steps
 * then (with $quarter) quarter-sample ones, each by the 8-point square once or the 4-point
 * diamond at most twice while it moves; every candidate inside [min, max] costs
 * lambda * mvd bits + SATD (f64, the same sum as satdCost's) and is kept if strictly lower, in the
 * same order. Reads the planes' addresses from its parameters; writes the best (cost f64, qx, qy
 * i32) to $state.
 */
function subpelSearchSource(): FunctionSource {
  // In a second diamond round one point is the first round's centre, whose cost the best now
  // beats: passing over it changes nothing.
  const candidate = (dx: number, dy: number, again: boolean): string => `
    block $skip
      local.get $cx i32.const ${dx} i32.add local.set $tx
      local.get $cy i32.const ${dy} i32.add local.set $ty
      ${again ? 'local.get $tx local.get $ox i32.eq local.get $ty local.get $oy i32.eq i32.and br_if $skip' : ''}
      ${vectorCostOrSkip('$tx', '$ty', '$best')}
      local.get $mvc
      local.get $src local.get $tx local.get $ty local.get $ss local.get $w local.get $h local.get $table local.get $state call $satdAt
      f64.convert_i32_s f64.add local.tee $c
      local.get $best f64.lt i32.eqz br_if $skip
      local.get $c local.set $best local.get $tx local.set $bx local.get $ty local.set $by
    end`;
  const round = (pattern: number[][], step: number, again: boolean): string => `
    local.get $bx local.set $cx
    local.get $by local.set $cy
    ${pattern.map(([dx, dy]) => candidate(dx! * step, dy! * step, again)).join('\n')}`;
  const stepCode = (step: number): string => `
    local.get $square
    if
      ${round(SQUARE_STEPS, step, false)}
    else
      block $moved
        ${round(DIAMOND_STEPS, step, false)}
        local.get $bx local.get $cx i32.eq local.get $by local.get $cy i32.eq i32.and br_if $moved
        local.get $cx local.set $ox
        local.get $cy local.set $oy
        ${round(DIAMOND_STEPS, step, true)}
      end
    end`;
  return {
    name: 'subpelSearch',
    params: [['$src', 'i32'], ['$f', 'i32'], ['$hp', 'i32'], ['$vp', 'i32'], ['$hvp', 'i32'], ['$ss', 'i32'], ['$w', 'i32'], ['$h', 'i32'],
      ['$qx', 'i32'], ['$qy', 'i32'], ['$mpx', 'i32'], ['$mpy', 'i32'], ['$lambda', 'f64'],
      ['$minX', 'i32'], ['$maxX', 'i32'], ['$minY', 'i32'], ['$maxY', 'i32'], ['$square', 'i32'], ['$quarter', 'i32'],
      ['$table', 'i32'], ['$state', 'i32']],
    result: null,
    locals: [['$bx', 'i32'], ['$by', 'i32'], ['$cx', 'i32'], ['$cy', 'i32'], ['$tx', 'i32'], ['$ty', 'i32'], ['$ox', 'i32'], ['$oy', 'i32'],
      ['$best', 'f64'], ['$mvc', 'f64'], ['$c', 'f64']],
    body: `
      local.get $state local.get $f i32.store offset=16
      local.get $state local.get $hp i32.store offset=20
      local.get $state local.get $vp i32.store offset=24
      local.get $state local.get $hvp i32.store offset=28
      local.get $qx local.set $bx
      local.get $qy local.set $by
      ;; The starting point's whole cost (satdCost with no limit).
      local.get $lambda
      ${seBitsOf('local.get $bx local.get $mpx i32.sub')}
      ${seBitsOf('local.get $by local.get $mpy i32.sub')}
      i32.add f64.convert_i32_s f64.mul
      local.get $src local.get $bx local.get $by local.get $ss local.get $w local.get $h local.get $table local.get $state call $satdAt
      f64.convert_i32_s f64.add local.set $best
      ${stepCode(2)}
      local.get $quarter
      if
        ${stepCode(1)}
      end
      local.get $state local.get $best f64.store
      local.get $state local.get $bx i32.store offset=8
      local.get $state local.get $by i32.store offset=12`,
  };
}

/**
 * The whole of inter.ts searchPartition after its predictors, in one call: its starting points
 * (`n` at $state + 32, then n (x, y) full-sample pairs), each tried as tryFull tries it (the best
 * so far again is skipped once one was taken), then hexSearch and subpelSearch. The best (cost,
 * x, y) starts from $state and ends there, the vector in quarter samples.
 */
function motionSearchSource(w: 16 | 8 | 4): FunctionSource {
  return {
    name: `motionSearch${w}`,
    params: [['$src', 'i32'], ['$f', 'i32'], ['$hp', 'i32'], ['$vp', 'i32'], ['$hvp', 'i32'], ['$ss', 'i32'], ['$h', 'i32'],
      ['$mpx', 'i32'], ['$mpy', 'i32'], ['$lambda', 'f64'], ['$minX', 'i32'], ['$maxX', 'i32'], ['$minY', 'i32'], ['$maxY', 'i32'],
      ['$range', 'i32'], ['$square', 'i32'], ['$quarter', 'i32'], ['$table', 'i32'], ['$state', 'i32']],
    result: null,
    locals: [['$n', 'i32'], ['$i', 'i32'], ['$fx', 'i32'], ['$fy', 'i32'], ['$qx', 'i32'], ['$qy', 'i32'], ['$bx', 'i32'], ['$by', 'i32'],
      ['$accepted', 'i32'], ['$bcost', 'f64'], ['$mvc', 'f64'], ['$c', 'f64']],
    body: `
      local.get $state f64.load local.set $bcost
      local.get $state i32.load offset=8 local.set $bx
      local.get $state i32.load offset=12 local.set $by
      local.get $state i32.load offset=32 local.set $n
      block $starts
        loop $next
          local.get $i local.get $n i32.ge_u br_if $starts
          local.get $state local.get $i i32.const 3 i32.shl i32.add local.tee $qx i32.load offset=36 local.set $fx
          local.get $qx i32.load offset=40 local.set $fy
          block $skip
            local.get $accepted local.get $fx local.get $bx i32.eq i32.and local.get $fy local.get $by i32.eq i32.and br_if $skip
            local.get $fx i32.const 2 i32.shl local.set $qx
            local.get $fy i32.const 2 i32.shl local.set $qy
            ${vectorCostOrSkip('$qx', '$qy', '$bcost')}
            local.get $src i32.const 16 local.get $f local.get $fy local.get $ss i32.mul i32.add local.get $fx i32.add local.get $ss local.get $h
            call $sad${w} f64.convert_i32_s local.get $mvc f64.add local.tee $c
            local.get $bcost f64.lt i32.eqz br_if $skip
            local.get $c local.set $bcost local.get $fx local.set $bx local.get $fy local.set $by
            i32.const 1 local.set $accepted
          end
          local.get $i i32.const 1 i32.add local.set $i
          br $next
        end
      end
      local.get $state local.get $bcost f64.store
      local.get $state local.get $bx i32.store offset=8
      local.get $state local.get $by i32.store offset=12
      local.get $src i32.const 16 local.get $f local.get $ss local.get $h local.get $mpx local.get $mpy local.get $lambda
      local.get $minX local.get $maxX local.get $minY local.get $maxY local.get $range local.get $state call $hexSearch${w}
      local.get $src local.get $f local.get $hp local.get $vp local.get $hvp local.get $ss i32.const ${w} local.get $h
      local.get $state i32.load offset=8 i32.const 2 i32.shl local.get $state i32.load offset=12 i32.const 2 i32.shl
      local.get $mpx local.get $mpy local.get $lambda local.get $minX local.get $maxX local.get $minY local.get $maxY
      local.get $square local.get $quarter local.get $table local.get $state call $subpelSearch`,
  };
}

const PAGE = 65536;

/** The kernels' signatures (addresses are byte offsets in the encoder's memory). */
export interface Kernels {
  sad16(a: number, as: number, b: number, bs: number, h: number): number;
  sad8(a: number, as: number, b: number, bs: number, h: number): number;
  sad4(a: number, as: number, b: number, bs: number, h: number): number;
  satd(a: number, as: number, p: number, ps: number, w: number, h: number): number;
  satdAvg(a: number, as: number, p: number, q: number, ps: number, w: number, h: number): number;
  halfPlanes(src: number, hp: number, vp: number, hvp: number, ss: number, rows: number, tmp: number): void;
  blockQuant(
    src: number, ss: number, pred: number, ps: number, bshift: number, count: number, start: number,
    coef: number, levels: number, nz: number, m: number, q6: number, bias: number, table: number,
  ): void;
  avgBlock(p: number, q: number, ps: number, dst: number, ds: number, w: number, h: number): void;
  ssd(a: number, as: number, b: number, bs: number, w: number, h: number): number;
  chroma8(s: number, ss: number, dst: number, ds: number, h: number, wA: number, wB: number, wC: number, wD: number): void;
  lumaEdgeH(q0: number, stride: number, bsWord: number, tcWord: number, alpha: number, beta: number): void;
  lumaEdgeV(q0: number, stride: number, bsWord: number, tcWord: number, alpha: number, beta: number): void;
  chromaEdgeH(u: number, v: number, stride: number, bsWord: number, tcWord: number, alpha: number, beta: number): void;
  chromaEdgeV(u: number, v: number, stride: number, bsWord: number, tcWord: number, alpha: number, beta: number): void;
  intra16x16(src: number, pic: number, sy: number, flags: number, pred: number): number;
  skipProbe(
    src: number, srcC: number, a: number, b: number, rs: number, cu: number, cv: number, cs: number, wa: number, wb: number, wc: number, wd: number,
    pred: number, predC: number, probe: number, m: number, q6: number, bias: number, mc: number, q6c: number, biasC: number, table: number,
    coef: number, levels: number, nz: number,
  ): number;
  blockRecon(coef: number, pred: number, ps: number, src: number, ss: number, dst: number, ds: number, bshift: number, count: number, mask: number): number;
  plane16(pred: number, a: number, b: number, c: number): void;
  hexSearch16: HexSearch;
  hexSearch8: HexSearch;
  hexSearch4: HexSearch;
  subpelSearch: SubpelSearch;
  motionSearch16: MotionSearch;
  motionSearch8: MotionSearch;
  motionSearch4: MotionSearch;
  codeInter(
    src: number, srcC: number, pred: number, predC: number, m: number, q6: number, bias: number, mc: number, q6c: number, biasC: number,
    table: number, coef: number, levels: number, nz: number, recon: number, dc: number, ac: number, nzC: number, reconC: number, out: number,
  ): void;
  loadMb(y: number, u: number, v: number, sy: number, sc: number, dst: number, dstC: number): void;
  deblockPicture(
    y: number, u: number, v: number, sy: number, sc: number, mbW: number, mbH: number, qp: number, bs: number,
    offA: number, offB: number, offC: number, tables: number,
  ): void;
  searchPartition(
    ctx: number, mb: number, mbx: number, mby: number, x4: number, y4: number, w4: number, h4: number, shape: number, lambda: number,
    cmvx: number, cmvy: number, mvdx: number, mvdy: number, prevX: number, prevY: number,
  ): number;
  codeI16(
    src: number, pred: number, m: number, q6: number, bias: number, table: number, coef: number, levels: number, nz: number, dc: number,
    recon: number, out: number,
  ): void;
  codeChroma(
    srcC: number, predC: number, mc: number, q6c: number, biasC: number, table: number, coef: number, dc: number, ac: number, nzC: number,
    reconC: number, out: number,
  ): void;
  codeP16(
    ctx: number, mb: number, mbx: number, mby: number, vx: number, vy: number, mvdx: number, mvdy: number, m: number, q6: number,
    bias: number, mc: number, q6c: number, biasC: number, qpDelta: number,
  ): number;
  intraHeader(
    buf: number, bits: number, kind: number, mbTypeOffset: number, mode16: number, cbp: number, chromaMode: number, modes: number,
    pred: number, qpDelta: number, tables: number,
  ): number;
  commitIntra(
    desc: number, mb: number, kind: number, recon: number, reconC: number, modes: number, nz: number, nzC: number,
    picY: number, picU: number, picV: number, sy: number, sc: number,
  ): void;
  skipMacroblock(ctx: number, mb: number, mbx: number, mby: number, m: number, q6: number, bias: number, mc: number, q6c: number, biasC: number, probe: number): number;
  padPlane(src: number, ss: number, dst: number, ds: number, w: number, h: number, pad: number): void;
  intraChroma(src: number, pu: number, pv: number, sc: number, flags: number, lambda: number, pred: number, scratch: number): number;
  cavlcResidual(
    buf: number, bits: number, levels: number, dc16: number, nz: number, cbp: number, i16: number, cdc: number, cac: number, cnz: number,
    desc: number, mb: number, mbx: number, mby: number, tables: number,
  ): number;
  commitInter(
    desc: number, mb: number, mbx: number, mby: number, kind: number, recon: number, reconC: number, nz: number, nzC: number,
    cmvx: number, cmvy: number, picY: number, picU: number, picV: number, sy: number, sc: number,
  ): void;
  intra4x4(
    src: number, pic: number, sy: number, flags: number, nb: number, lambda: number, m: number, q6: number, bias: number, table: number,
    modes: number, pmodes: number, levels: number, nz: number, recon: number, scratch: number,
  ): number;
}

/** hexSearchSource's signature: ref is the address of the block's full-sample position (0, 0). */
export type SubpelSearch = (
  src: number, f: number, hp: number, vp: number, hvp: number, ss: number, w: number, h: number, qx: number, qy: number,
  mpx: number, mpy: number, lambda: number, minX: number, maxX: number, minY: number, maxY: number, square: number, quarter: number,
  table: number, state: number,
) => void;

/** motionSearchSource's signature: f, hp, vp and hvp are the addresses of the block's position (0, 0) in the four planes. */
export type MotionSearch = (
  src: number, f: number, hp: number, vp: number, hvp: number, ss: number, h: number, mpx: number, mpy: number, lambda: number,
  minX: number, maxX: number, minY: number, maxY: number, range: number, square: number, quarter: number, table: number, state: number,
) => void;

export type HexSearch = (
  src: number, as: number, ref: number, rs: number, h: number, mpx: number, mpy: number, lambda: number,
  minX: number, maxX: number, minY: number, maxY: number, range: number, state: number,
) => void;

/** The module's binary: every kernel, importing a memory of at least one page. */
export function kernelModuleBytes(): Uint8Array {
  return assembleModule([
    sadSource('sad16', 16), sadSource('sad8', 8), sadSource('sad4', 4),
    satdSource('satd', false), satdSource('satdAvg', true), halfPlanesSource(), blockQuantSource(), blockQuantSource('blockLevels', false),
    avgBlockSource(), ssdSource(), chroma8Source(), lumaEdgeSource(false), lumaEdgeSource(true),
    blockReconSource(), plane16Source(),
    hexSearchSource(16), hexSearchSource(8), hexSearchSource(4), satdAtSource(), subpelSearchSource(), intra4x4Source(),
    chromaEdgeSource(false), chromaEdgeSource(true), intra16x16Source(), skipProbeSource(),
    motionSearchSource(16), motionSearchSource(8), motionSearchSource(4), codeChromaSource(), codeInterSource(), codeI16Source(),
    edgeBsSource(), commitInterSource(), loadMbSource(), deblockEdgeSource(), deblockPictureSource(), cavlcResidualSource(), intraChromaSource(), padPlaneSource(), skipMacroblockSource(), searchPartitionSource(), commitIntraSource(), intraHeaderSource(), codeP16Source(),
  ], 1);
}

/**
 * The part of the WebAssembly JS API used here. The encoder compiles against ES2022 alone (no DOM
 * or Node types, STYLE.md), so it names what it needs and finds the API on globalThis.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}
type WasmModule = { readonly kind?: 'WebAssembly.Module' };
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;

/** The module, compiled once per process; null where the runtime has no WebAssembly SIMD. */
function kernelModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = kernelModuleBytes();
      compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** One encoder's memory and its instance of the kernels. */
/**
 * The memory `SimdKernels.alloc` takes for allocations of these sizes (each rounded up to 16
 * bytes). Every class that allocates in the kernels' memory states its need with it, next to the
 * allocations, so the encoder sizes the memory from the parts.
 */
export function simdBytes(...sizes: number[]): number {
  let total = 0;
  for (const n of sizes) total += (n + 15) & ~15;
  return total;
}

/** What the instance allocates for itself: blockQuant's table and outputs, blockRecon's output, SUBPEL_SOURCES, intra4x4's scratch. */
const OWN_BYTES = simdBytes(768, 1024, 1024, 16, 256, SUBPEL_SOURCES.length * 4, I4_SCRATCH_BYTES, 16, DB_TABLE_BYTES, CT_BYTES);

export class SimdKernels {
  readonly k: Kernels;
  private readonly memory: { buffer: ArrayBuffer };
  private top = 0;
  private readonly size: number;
  /** lumaQuant's outputs (see lumaQuantSource): scaled coefficients, levels in scan order, TotalCoeff. */
  readonly coef: Int32Array;
  readonly levels: Int32Array;
  readonly nz: Uint8Array;
  /** reconstruct's output: 16x16 luma, or Cb above Cr (8 wide), stride as given. */
  readonly recon: Uint8Array;
  private readonly tableAddr: number;
  /** Address of SUBPEL_SOURCES in the memory, for subpelSearch. */
  readonly subpelTable: number;

  private constructor(api: WasmApi, module: WasmModule, bytes: number) {
    const pages = Math.max(1, Math.ceil((bytes + OWN_BYTES) / PAGE));
    this.size = pages * PAGE;
    this.memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    this.k = instance.exports as unknown as Kernels;
    const table = this.alloc(768);
    new Int32Array(table.buffer, table.byteOffset, 96).set(QUANT_4x4);
    new Int32Array(table.buffer, table.byteOffset + 384, 96).set(DEQUANT_4x4);
    this.tableAddr = table.byteOffset;
    const coef = this.alloc(1024), levels = this.alloc(1024);
    this.coef = new Int32Array(coef.buffer, coef.byteOffset, 256);
    this.levels = new Int32Array(levels.buffer, levels.byteOffset, 256);
    this.nz = this.alloc(16);
    this.recon = this.alloc(256);
    const sources = this.alloc(SUBPEL_SOURCES.length * 4);
    new Int32Array(sources.buffer, sources.byteOffset, SUBPEL_SOURCES.length).set(SUBPEL_SOURCES);
    this.subpelTable = sources.byteOffset;
    const i4 = this.alloc(I4_SCRATCH_BYTES);
    this.i4Scratch = i4.byteOffset;
    this.i4State = new Float64Array(i4.buffer, i4.byteOffset + I4_STATE, 1);
    this.i4Cbp = new Int32Array(i4.buffer, i4.byteOffset + I4_STATE + 8, 1);
    const inter = this.alloc(16);
    this.interResult = new Int32Array(inter.buffer, inter.byteOffset, 4);
    const db = this.alloc(DB_TABLE_BYTES);
    db.set(ALPHA, DB_ALPHA);
    db.set(BETA, DB_BETA);
    db.set(TC0, DB_TC0);
    db.set(CHROMA_QP, DB_CHROMA_QP);
    this.deblockTables = db.byteOffset;
    const ct = this.alloc(CT_BYTES);
    new Int32Array(ct.buffer, ct.byteOffset, CT_BYTES / 4).set(cavlcTables());
    this.cavlcTables = ct.byteOffset;
  }

  /** Address of QUANT_4x4 then DEQUANT_4x4 (blockQuantSource's `table`). */
  get quantTable(): number {
    return this.tableAddr;
  }

  /** Address of the CAVLC code tables (cavlcResidualSource). */
  readonly cavlcTables: number;

  /** Address of the deblocking tables (deblockPictureSource). */
  readonly deblockTables: number;

  /**
   * Picture.copyMacroblock by loadMb: macroblock (mbx, mby) of `pic` (its planes in this memory)
   * into y16 (16x16) and c128 (Cb then Cr, 8 wide), views in this memory.
   */
  loadMacroblock(pic: Picture, mbx: number, mby: number, y16: Uint8Array, c128: Uint8Array): void {
    const oy = mby * 16 * pic.strideY + mbx * 16, oc = mby * 8 * pic.strideC + mbx * 8;
    this.k.loadMb(pic.y.byteOffset + oy, pic.u.byteOffset + oc, pic.v.byteOffset + oc, pic.strideY, pic.strideC, y16.byteOffset, c128.byteOffset);
  }

  /** codeInter's results: luma SSD, luma cbp, chroma SSD, chroma cbp. */
  readonly interResult: Int32Array;

  /**
   * codeInterSource: an inter macroblock's luma (with decimation) and chroma residual against its
   * prediction (pred 16x16, predC Cb above Cr), at the quantisers' dead-zone biases, into the
   * codings' arrays (views in this memory); SSDs and cbps into interResult.
   */
  codeInter(
    src: Uint8Array, srcC: Uint8Array, pred: Uint8Array, predC: Uint8Array, qp: number, bias: number, qpc: number, biasC: number,
    levels: Int32Array, nz: Uint8Array, recon: Uint8Array, dc: Int32Array, ac: Int32Array, nzC: Uint8Array, reconC: Uint8Array,
  ): void {
    const q6 = (qp / 6) | 0, q6c = (qpc / 6) | 0;
    this.k.codeInter(src.byteOffset, srcC.byteOffset, pred.byteOffset, predC.byteOffset, qp - 6 * q6, q6, bias, qpc - 6 * q6c, q6c, biasC,
      this.tableAddr, this.coef.byteOffset, levels.byteOffset, nz.byteOffset, recon.byteOffset, dc.byteOffset, ac.byteOffset,
      nzC.byteOffset, reconC.byteOffset, this.interResult.byteOffset);
  }

  private readonly i4Scratch: number;
  private readonly i4State: Float64Array;
  private readonly i4Cbp: Int32Array;

  /**
   * Intra_4x4 search and coding of a macroblock (intra4x4Source): `pic` is the address of its first
   * luma sample in the reconstructed picture, `flags` and `nb` its neighbours (see there); the
   * outputs are views in this memory. Returns the SSD; intra4x4Cost and intra4x4Cbp the rest.
   */
  intra4x4(
    src: Uint8Array, pic: number, sy: number, flags: number, nb: number, lambda: number, qp: number, bias: number,
    modes: Int8Array, pmodes: Int8Array, levels: Int32Array, nz: Uint8Array, recon: Uint8Array,
  ): number {
    const q6 = (qp / 6) | 0;
    return this.k.intra4x4(src.byteOffset, pic, sy, flags, nb, lambda, qp - 6 * q6, q6, bias, this.tableAddr,
      modes.byteOffset, pmodes.byteOffset, levels.byteOffset, nz.byteOffset, recon.byteOffset, this.i4Scratch);
  }

  /** The last intra4x4's sum of chosen SATD + mode costs. */
  get intra4x4Cost(): number {
    return this.i4State[0]!;
  }

  /** The last intra4x4's coded_block_pattern (luma bits). */
  get intra4x4Cbp(): number {
    return this.i4Cbp[0]!;
  }

  /**
   * blockRecon of coef into recon: luma (16 blocks, src and pred at stride 16) or chroma (8 blocks,
   * Cb above Cr at stride 8), pred from its byte `predOffset`; blocks with bit r of `mask` clear
   * are the prediction. Returns the SSD against src. src and pred are views in this memory.
   */
  reconstruct(src: Uint8Array, pred: Uint8Array, predOffset: number, chroma: boolean, mask: number, dst: Uint8Array = this.recon): number {
    const s = chroma ? 8 : 16;
    return this.k.blockRecon(this.coef.byteOffset, pred.byteOffset + predOffset, s, src.byteOffset, s, dst.byteOffset, s, chroma ? 1 : 2, chroma ? 8 : 16, mask);
  }

  /**
   * The forward path of a macroblock's 16 luma blocks (blockQuantSource) from src and pred, views
   * in this memory at stride 16, into coef, levels and nz; `start` 1 leaves each block's DC
   * unquantised in coef (Intra_16x16).
   */
  lumaQuant(src: Uint8Array, pred: Uint8Array, qp: number, bias: number, levels: Int32Array = this.levels, nz: Uint8Array = this.nz, start = 0): void {
    const q6 = (qp / 6) | 0;
    this.k.blockQuant(src.byteOffset, 16, pred.byteOffset, 16, 2, 16, start, this.coef.byteOffset, levels.byteOffset, nz.byteOffset, qp - 6 * q6, q6, bias, this.tableAddr);
  }

  /**
   * Kernels with `bytes` of memory for the caller's allocations (simdBytes of their sizes), or null where WebAssembly SIMD is not available, in which case the encoder keeps its
   * TypeScript kernels.
   */
  static create(bytes: number): SimdKernels | null {
    const module = kernelModule();
    if (module === null || wasmApi === undefined) return null;
    try {
      return new SimdKernels(wasmApi, module, bytes);
    } catch {
      return null; // no memory to be had: the TypeScript kernels need none of their own
    }
  }

  /**
   * The descriptor of an MbState whose arrays lie in this memory (STATE_DESC_FIELDS, i32 each), for
   * the kernels that read and write it: its address, made on the first call for that state.
   */
  describeState(state: { readonly mbWidth: number } & Record<Exclude<typeof STATE_DESC_FIELDS[number], 'mbWidth'>, { readonly byteOffset: number }>): number {
    const known = this.descriptors.get(state);
    if (known !== undefined) return known;
    const desc = this.alloc(4 * STATE_DESC_FIELDS.length);
    const fields = new Int32Array(desc.buffer, desc.byteOffset, STATE_DESC_FIELDS.length);
    STATE_DESC_FIELDS.forEach((name, i) => {
      fields[i] = name === 'mbWidth' ? state.mbWidth : state[name].byteOffset;
    });
    this.descriptors.set(state, desc.byteOffset);
    return desc.byteOffset;
  }

  /** describeState's descriptors, one per MbState (the coders share theirs). */
  private readonly descriptors = new Map<object, number>();

  /** A zeroed, 16-byte aligned view of `bytes` in the kernels' memory. */
  alloc(bytes: number): Uint8Array {
    const at = this.top;
    const end = at + ((bytes + 15) & ~15);
    if (end > this.size) throw new RangeError(`SIMD memory exhausted: ${bytes} bytes asked, ${this.size - at} left`);
    this.top = end;
    return new Uint8Array(this.memory.buffer, at, bytes);
  }
}
