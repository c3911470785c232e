/**
 * The WebAssembly SIMD kernels (encoder/simd/) against their TypeScript references, x264's
 * checkasm idea: every kernel on random and extreme samples, every block size and stride it is
 * called with, must give exactly what the reference gives; and whole encodes must give the same
 * bytes with and without them, for every preset and for motion that leaves the picture.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { H264Encoder } from '../../encoder/index.js';
import { deblockPicture, setInterBs } from '../../encoder/common/deblock.js';
import { interpolateHalfPlanes, lumaSources, predictChroma, predictLumaFromPlanes, type LumaSources } from '../../encoder/common/interpolate.js';
import {
  AVAIL_LEFT, AVAIL_TOP, AVAIL_TOP_LEFT, Intra16x16Mode, dc4x4, intra16x16ModeAvailable, intra4x4ModeAvailable, intraChromaModeAvailable,
  plane16Params, predict16x16, predict4x4Ref, predictChroma as predictIntraChroma,
} from '../../encoder/common/intra-pred.js';
import { Picture } from '../../encoder/common/picture.js';
import { CHROMA_PAD, LUMA_PAD, PaddedPlane } from '../../encoder/common/padded-plane.js';
import {
  forwardQuant4x4Px, reconstruct4x4, satd4x4Avg, satd4x4Px,
} from '../../encoder/common/transform.js';
import {
  chromaResidualVanishes, codeChromaResidual, codeLumaResidual, copyPrediction, deadZoneBias, lumaResidualVanishes,
} from '../../encoder/residual.js';
import { BitWriter, ueBits } from '../../encoder/common/bitstream.js';
import { ChromaCoding, InterCoding, LumaCoding, MB_WRITER_BYTES, writeInterMb, writeIntraMb } from '../../encoder/macroblock-writer.js';
import { InterCoder } from '../../encoder/inter.js';
import { commitIntraMacroblock, qpParams } from '../../encoder/intra.js';
import { MbKind, MbState } from '../../encoder/mb-state.js';
import { PRESET_CHOICES } from '../../encoder/presets.js';
import {
  SKIP_SSD_MASK, SKIP_VANISHES, SUBPEL_SOURCES, SimdKernels, intra4x4Taps, kernelModuleBytes,
} from '../../encoder/simd/kernels.js';
import { assembleModule } from '../../encoder/simd/wasm-assembler.js';
import { loadSequence } from '../helpers/sequences.js';
import { motionClip } from '../helpers/synthetic-motion.js';
import { prng } from '../helpers/synthetic.js';

/** The WebAssembly JS API: the project compiles against ES2022 and Node's types, which do not declare it. */
const WA = (globalThis as unknown as {
  WebAssembly: {
    validate(bytes: Uint8Array): boolean;
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    Memory: new (descriptor: { initial: number }) => object;
  };
}).WebAssembly;

function kernels(bytes: number): SimdKernels {
  const k = SimdKernels.create(bytes);
  if (k === null) throw new Error('this runtime has no WebAssembly SIMD: Node 20 and Chromium both do');
  return k;
}

/**
 * For the commit kernels' tests: an MbState and a picture in the kernels' memory (with the
 * state's descriptor) and plain ones for the TypeScript commit.
 */
function commitSetup(mbW: number, mbH: number) {
  const sk = kernels(mbW * mbH * 600 + 8192);
  const alloc = (n: number): Uint8Array => sk.alloc(n);
  const simdState = new MbState(mbW, mbH, alloc);
  return {
    sk, alloc, simdState, plain: new MbState(mbW, mbH), pic: new Picture(mbW, mbH, alloc), plainPic: new Picture(mbW, mbH),
    desc: sk.describeState(simdState),
  };
}

/** Fills with uniform noise, or (binary) only 0 and 255, which drives every sum to its extremes. */
function fill(a: Uint8Array, seed: number, binary: boolean): void {
  const rnd = prng(seed);
  for (let i = 0; i < a.length; i++) a[i] = binary ? (rnd() & 1) * 255 : rnd() & 255;
}

describe('wasm assembler', () => {
  const fn = (body: string, locals: [string, 'i32' | 'v128'][] = []) => ({
    name: 'f', params: [['$a', 'i32'], ['$b', 'i32']] as [string, 'i32'][], result: 'i32' as const, locals, body,
  });
  const run = (body: string, a: number, b: number, locals: [string, 'i32' | 'v128'][] = []): number => {
    const bytes = assembleModule([fn(body, locals)], 1);
    const memory = new WA.Memory({ initial: 1 });
    const instance = new WA.Instance(new WA.Module(bytes), { env: { memory } });
    return (instance.exports.f as (a: number, b: number) => number)(a, b);
  };

  it('assembles arithmetic, signed LEB128 constants and named locals', () => {
    expect(run('local.get $a local.get $b i32.sub', 7, 10)).toBe(-3);
    // Constants whose LEB128 needs the sign bit handled: 63, 64, -64, -65, and a 5-byte one.
    expect(run('i32.const 63 i32.const 64 i32.add i32.const -64 i32.add i32.const -65 i32.add', 0, 0)).toBe(-2);
    expect(run('i32.const -2147483648 local.get $a i32.add', 5, 0)).toBe(-2147483643);
  });

  it('assembles f64 constants, infinities included', () => {
    // The assembler has no f64-to-i32 instruction: the results are comparisons.
    expect(run('f64.const 2.5 local.get $a f64.convert_i32_s f64.mul f64.const 10 f64.ge', 4, 0)).toBe(1);
    expect(run('f64.const 2.5 local.get $a f64.convert_i32_s f64.mul f64.const 10.5 f64.ge', 4, 0)).toBe(0);
    expect(run('local.get $a f64.convert_i32_s f64.const inf f64.lt local.get $a f64.convert_i32_s f64.const -inf f64.gt i32.and', 2147483647, 0)).toBe(1);
    expect(() => assembleModule([fn('f64.const x drop i32.const 0')], 1)).toThrow(/f: expected a number, got 'x'/);
  });

  it('resolves labels to branch depths inside nested blocks', () => {
    // Sum 1..a with a loop inside a block; br_if $exit leaves from the inner level.
    const body = `
      i32.const 0 local.set $s
      block $exit
        loop $next
          local.get $a i32.eqz br_if $exit
          local.get $s local.get $a i32.add local.set $s
          local.get $a i32.const 1 i32.sub local.set $a
          br $next
        end
      end
      local.get $s`;
    expect(run(body, 10, 0, [['$s', 'i32']])).toBe(55);
  });

  it('assembles SIMD with immediates: v128.const, shuffle, lane extraction, memory offsets', () => {
    const body = `
      local.get $a v128.const i16x8 1 2 3 4 5 6 7 8 v128.store offset=32
      local.get $a v128.load offset=32 local.get $a v128.load offset=32
      i8x16.shuffle 14 15 12 13 10 11 8 9 6 7 4 5 2 3 0 1
      i16x8.extract_lane_s 0`;
    expect(run(body, 0, 0)).toBe(8);
  });

  it('names the function, the token and what was wrong', () => {
    expect(() => assembleModule([fn('local.get $a i32.frobnicate')], 1)).toThrow(/f: unknown instruction 'i32.frobnicate'/);
    expect(() => assembleModule([fn('local.get $c')], 1)).toThrow(/unknown local \$c/);
    expect(() => assembleModule([fn('block br $nowhere end i32.const 0')], 1)).toThrow(/unknown label \$nowhere/);
    expect(() => assembleModule([fn('block i32.const 0')], 1)).toThrow(/1 block\(s\) not closed/);
  });

  it('the kernels module is valid WebAssembly', () => {
    expect(WA.validate(kernelModuleBytes())).toBe(true);
  });
});

describe('SIMD kernels against the TypeScript references', () => {
  const STRIDE = 160;

  it('sad16, sad8 and sad4 equal the plain SAD for every block size, on noise and on 0/255 extremes', () => {
    const sk = kernels(1 << 20);
    const mem = sk.alloc(1 << 16);
    const base = mem.byteOffset;
    const sadRef = (ao: number, bo: number, w: number, h: number): number => {
      let s = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) s += Math.abs(mem[ao + y * 16 + x]! - mem[bo + y * STRIDE + x]!);
      return s;
    };
    const rnd = prng(7);
    let checked = 0;
    for (const binary of [false, true]) {
      fill(mem, binary ? 3 : 4, binary);
      // All 255 against all 0: the largest sum a 16x16 can have.
      mem.fill(255, 0, 256);
      mem.fill(0, 1024, 1024 + 16 * STRIDE);
      for (let t = 0; t < 300; t++) {
        const ao = t === 0 ? 0 : (rnd() % 200) * 16, bo = t === 0 ? 1024 : 8192 + (rnd() % 40000);
        for (const [w, f] of [[16, sk.k.sad16], [8, sk.k.sad8], [4, sk.k.sad4]] as const) {
          for (const h of [16, 8, 4]) {
            expect(f(base + ao, 16, base + bo, STRIDE, h), `${w}x${h} at ${ao}, ${bo}`).toBe(sadRef(ao, bo, w, h));
            checked++;
          }
        }
      }
    }
    expect(sk.k.sad16(base, 16, base + 1024, STRIDE, 16)).toBe(255 * 256);
    expect(checked).toBe(2 * 300 * 9);
  });

  it('satd and satdAvg equal satd4x4Px and satd4x4Avg summed over the block, for every partition size', () => {
    const sk = kernels(1 << 20);
    const mem = sk.alloc(1 << 16);
    const base = mem.byteOffset;
    const rnd = prng(11);
    const sizes = [[16, 16], [16, 8], [8, 16], [8, 8], [8, 4], [4, 8], [4, 4]] as const;
    for (const binary of [false, true]) {
      fill(mem, binary ? 5 : 6, binary);
      for (let t = 0; t < 200; t++) {
        const ao = (rnd() % 200) * 16, po = 8192 + (rnd() % 40000), qo = 8192 + (rnd() % 40000);
        for (const [w, h] of sizes) {
          let ref = 0, refAvg = 0;
          for (let y = 0; y < h; y += 4) {
            for (let x = 0; x < w; x += 4) {
              const a = ao + y * 16 + x, p = po + y * STRIDE + x, q = qo + y * STRIDE + x;
              ref += satd4x4Px(mem, a, 16, mem, p, STRIDE);
              refAvg += satd4x4Avg(mem, a, 16, mem, p, mem, q, STRIDE);
            }
          }
          expect(sk.k.satd(base + ao, 16, base + po, STRIDE, w, h), `satd ${w}x${h}`).toBe(ref);
          expect(sk.k.satdAvg(base + ao, 16, base + po, base + qo, STRIDE, w, h), `satdAvg ${w}x${h}`).toBe(refAvg);
        }
      }
    }
  });

  it('halfPlanes writes exactly what interpolateHalfPlanes writes, and nothing else, at several picture sizes', () => {
    for (const [width, height, content] of [[16, 16, 'binary'], [48, 32, 'noise'], [176, 144, 'noise'], [64, 48, 'binary'], [48, 36, 'extreme']] as const) {
      const stride = width + 2 * LUMA_PAD, size = stride * (height + 2 * LUMA_PAD);
      const sk = kernels(5 * size + 2 * stride + 256);
      const plain = new PaddedPlane(width, height, LUMA_PAD);
      fill(plain.data, width + height, content === 'binary');
      if (content === 'extreme') {
        // Columns whose vertical six-tap reaches its extremes (P: 10710, N: −2550) in the orders
        // that push j's i16 intermediate u − b + c past ±32767 (PNPPNP, NPNNPN).
        const cols = 'PNPPNPNPNNPN';
        const P = [255, 0, 255, 255, 0, 255], N = [0, 255, 0, 0, 255, 0];
        const plane = new Uint8Array(width * height);
        for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) plane[y * width + x] = (cols[x % 12] === 'P' ? P : N)[y % 6]!;
        plain.fillFrom(plane, width);
        // The unclipped vertical taps h1 and j's intermediate, as the kernel forms them: it leaves i16 here.
        const h1 = (x: number, y: number): number => [1, -5, 20, 20, -5, 1].reduce((s, t, k) => s + t * plain.data[plain.origin + (y + k - 2) * stride + x]!, 0);
        let beyond = 0;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const a = h1(x - 2, y) + h1(x + 3, y), b = h1(x - 1, y) + h1(x + 2, y), c = h1(x, y) + h1(x + 1, y);
            if (Math.abs(((a - b) >> 2) - b + c) > 32767) beyond++;
          }
        }
        expect(beyond, 'samples whose intermediate saturates').toBeGreaterThan(10);
      }
      const ref = new PaddedPlane(width, height, LUMA_PAD, sk.alloc(size));
      ref.data.set(plain.data);
      const want = [0, 1, 2].map(() => new PaddedPlane(width, height, LUMA_PAD));
      interpolateHalfPlanes(plain, want[0]!, want[1]!, want[2]!);
      const got = [0, 1, 2].map(() => new PaddedPlane(width, height, LUMA_PAD, sk.alloc(size)));
      const tmp = sk.alloc(2 * stride);
      sk.k.halfPlanes(ref.data.byteOffset, got[0]!.data.byteOffset, got[1]!.data.byteOffset, got[2]!.data.byteOffset, stride, height + 2 * LUMA_PAD, tmp.byteOffset);
      for (let p = 0; p < 3; p++) {
        // Whole planes, untouched samples included (both leave them zero).
        expect(Buffer.compare(got[p]!.data, want[p]!.data), `${width}x${height} plane ${['H', 'V', 'HV'][p]}`).toBe(0);
      }
    }
  });

  it('padPlane fills a padded plane as fillFrom does, pads and corners included, and writes nothing outside it', () => {
    for (const [width, height, pad, srcStride] of [[8, 8, 16, 8], [24, 16, 32, 24], [176, 144, 64, 176], [88, 72, 32, 96], [16, 8, 64, 16]] as const) {
      const size = PaddedPlane.bytes(width, height, pad);
      const sk = kernels(3 * size + srcStride * height + 1024);
      const src = sk.alloc(srcStride * height);
      fill(src, width * 7 + height, false);
      const want = new PaddedPlane(width, height, pad);
      want.fillFrom(src, srcStride);
      // The plane between two guard areas that must stay as they were.
      const area = sk.alloc(size + 64);
      area.fill(77);
      const got = new PaddedPlane(width, height, pad, area.subarray(32, 32 + size));
      sk.k.padPlane(src.byteOffset, srcStride, got.data.byteOffset + got.origin, got.stride, width, height, pad);
      const at = `${width}x${height}, pad ${pad}`;
      expect(Buffer.compare(got.data, want.data), at).toBe(0);
      expect([...area.subarray(0, 32), ...area.subarray(32 + size)].every((v) => v === 77), `guards, ${at}`).toBe(true);
    }
  });

  it('lumaQuant equals forwardQuant4x4Px on all 16 blocks: coefficients, levels in scan order, TotalCoeff, every QP', () => {
    const sk = kernels(1 << 16);
    const src = sk.alloc(256), pred = sk.alloc(256);
    const coef = new Int32Array(256), levels = new Int32Array(256), nz = new Uint8Array(16);
    const rnd = prng(13);
    let nonzero = 0;
    for (let t = 0; t < 52 * 3 * 2; t++) {
      const qp = t % 52, content = Math.floor(t / 52) % 3, deadZone = t < 156 ? 1 / 6 : 1 / 3;
      // Noise, 0/255 extremes (the largest coefficients), and a small residual on a flat block.
      for (let i = 0; i < 256; i++) {
        src[i] = content === 0 ? rnd() & 255 : content === 1 ? (rnd() & 1) * 255 : 128 + (rnd() & 7);
        pred[i] = content === 0 ? rnd() & 255 : content === 1 ? (rnd() & 1) * 255 : 128;
      }
      const qbits = 15 + Math.floor(qp / 6), bias = ((1 << qbits) * deadZone) | 0;
      for (let r = 0; r < 16; r++) {
        const o = (r >> 2) * 64 + (r & 3) * 4;
        nz[r] = forwardQuant4x4Px(src, o, 16, pred, o, 16, coef, r * 16, levels, r * 16, 0, qp, bias);
        nonzero += nz[r]!;
      }
      sk.lumaQuant(src, pred, qp, bias);
      expect([...sk.levels], `levels, QP ${qp}, content ${content}`).toEqual([...levels]);
      expect([...sk.coef], `coefficients, QP ${qp}, content ${content}`).toEqual([...coef]);
      expect([...sk.nz], `TotalCoeff, QP ${qp}, content ${content}`).toEqual([...nz]);
    }
    expect(nonzero).toBeGreaterThan(10_000);
  });

  it('blockQuant with start 1 on the 8 chroma blocks (Cb above Cr) equals forwardQuant4x4Px, every QP', () => {
    const sk = kernels(1 << 16);
    const src = sk.alloc(128), pred = sk.alloc(128 + 32);
    const coef = new Int32Array(128), levels = new Int32Array(128), nz = new Uint8Array(8);
    const rnd = prng(41);
    for (let t = 0; t < 52 * 3; t++) {
      const qp = t % 52, content = Math.floor(t / 52), predOffset = t & 1 ? 32 : 0;
      for (let i = 0; i < 128; i++) src[i] = content === 0 ? rnd() & 255 : content === 1 ? (rnd() & 1) * 255 : 128 + (rnd() & 7);
      for (let i = 0; i < 160; i++) pred[i] = content === 0 ? rnd() & 255 : content === 1 ? (rnd() & 1) * 255 : 128;
      const qbits = 15 + Math.floor(qp / 6), bias = ((1 << qbits) / 6) | 0;
      levels.fill(0);
      for (let b = 0; b < 8; b++) {
        const o = (b >> 1) * 32 + (b & 1) * 4;
        nz[b] = forwardQuant4x4Px(src, o, 8, pred, predOffset + o, 8, coef, b * 16, levels, b * 16, 1, qp, bias);
      }
      const q6 = Math.floor(qp / 6);
      sk.k.blockQuant(src.byteOffset, 8, pred.byteOffset + predOffset, 8, 1, 8, 1, sk.coef.byteOffset, sk.levels.byteOffset, sk.nz.byteOffset,
        qp % 6, q6, bias, sk.quantTable);
      expect([...sk.levels.subarray(0, 128)], `levels, QP ${qp}`).toEqual([...levels]);
      expect([...sk.coef.subarray(0, 128)], `coefficients (unquantised DC), QP ${qp}`).toEqual([...coef]);
      expect([...sk.nz.subarray(0, 8)], `TotalCoeff, QP ${qp}`).toEqual([...nz]);
    }
  });

  it('reconstruct equals reconstruct4x4 and copyPrediction block by block, luma and chroma, with the SSD', () => {
    const sk = kernels(1 << 16);
    const src = sk.alloc(256), pred = sk.alloc(256 + 64);
    const want = new Uint8Array(256);
    const rnd = prng(47);
    for (let t = 0; t < 300; t++) {
      const chroma = t % 2 === 1, stride = chroma ? 8 : 16, count = chroma ? 8 : 16, predOffset = t % 4 === 3 ? 64 : 0;
      for (let i = 0; i < 256; i++) src[i] = rnd() & 255;
      for (let i = 0; i < 320; i++) pred[i] = t % 3 === 0 ? (rnd() & 1) * 255 : rnd() & 255;
      // Coefficients as the quantiser leaves them (levels scaled at a random QP), some large
      // enough to clip, and a random set of blocks marked as having none.
      const qp = t % 52, q6 = Math.floor(qp / 6);
      const mask = rnd() & ((1 << count) - 1);
      for (let i = 0; i < 256; i++) {
        const level = (rnd() % 7) - 3;
        sk.coef[i] = (mask >> (i >> 4)) & 1 ? (level * (10 + (rnd() % 20))) << q6 : 0;
      }
      let ssd = 0;
      for (let r = 0; r < count; r++) {
        const o = (r >> (chroma ? 1 : 2)) * 4 * stride + (r & (chroma ? 1 : 3)) * 4;
        ssd += (mask >> r) & 1
          ? reconstruct4x4(sk.coef, r * 16, pred, predOffset + o, stride, want, o, stride, src, o, stride)
          : copyPrediction(pred, predOffset + o, stride, want, o, stride, src, o, stride);
      }
      expect(sk.reconstruct(src, pred, predOffset, chroma, mask), `SSD, trial ${t}`).toBe(ssd);
      expect([...sk.recon.subarray(0, count * 16)], `samples, trial ${t}`).toEqual([...want.subarray(0, count * 16)]);
    }
  });

  it('intra16x16 finds searchI16\'s mode and SATD: every availability, noise, 0/255 extremes and flat edges', () => {
    const sk = kernels(1 << 16);
    const stride = 48, pic = sk.alloc(stride * 17 + 16), src = sk.alloc(256), pred = sk.alloc(256);
    const top = new Uint8Array(17), left = new Uint8Array(16), want = new Uint8Array(256), rnd = prng(59);
    const origin = stride + 16; // the macroblock at (16, 1): one row above, 16 columns to the left
    const modes = [0, 0, 0, 0];
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < pic.length; i++) pic[i] = t % 3 === 0 ? rnd() & 255 : t % 3 === 1 ? (rnd() & 1) * 255 : 100 + (rnd() & 3);
      fill(src, 900 + t, t % 4 === 1);
      for (let flags = 0; flags < 4; flags++) {
        const avail = (flags & 1 ? AVAIL_LEFT : 0) | (flags & 2 ? AVAIL_TOP : 0) | (flags === 3 ? AVAIL_TOP_LEFT : 0);
        // The TypeScript search: each available mode's prediction and SATD, the first least kept.
        for (let x = 0; x < 17; x++) top[x] = pic[origin - stride - 1 + x]!;
        for (let y = 0; y < 16; y++) left[y] = pic[origin + y * stride - 1]!;
        let best = -1, bestSatd = Infinity;
        for (let mode = 0; mode < 4; mode++) {
          if (!intra16x16ModeAvailable(mode, avail)) continue;
          predict16x16(mode, top, left, avail, want);
          let cost = 0;
          for (let r = 0; r < 16; r++) cost += satd4x4Px(src, (r >> 2) * 64 + (r & 3) * 4, 16, want, (r >> 2) * 64 + (r & 3) * 4, 16);
          if (cost < bestSatd) {
            bestSatd = cost;
            best = mode;
          }
        }
        const got = sk.k.intra16x16(src.byteOffset, pic.byteOffset + origin, stride, flags, pred.byteOffset);
        expect([got >>> 24, got & 0xffffff], `flags ${flags}, trial ${t}`).toEqual([best, bestSatd]);
        predict16x16(best, top, left, avail, want);
        expect(Buffer.compare(pred, want), `the chosen mode's prediction is left in pred, flags ${flags}, trial ${t}`).toBe(0);
        modes[best]!++;
      }
    }
    for (const n of modes) expect(n, `each mode wins somewhere: ${modes}`).toBeGreaterThan(20);
  });

  it('intraChroma finds the chroma mode of least SATD + lambda bits and its prediction: every availability, noise, extremes, flat edges', () => {
    const sk = kernels(1 << 16);
    const stride = 32, picU = sk.alloc(stride * 9 + 16), picV = sk.alloc(stride * 9 + 16);
    const src = sk.alloc(128), pred = sk.alloc(128), scratch = sk.alloc(128);
    const want = new Uint8Array(128), rnd = prng(61);
    const origin = stride + 8; // the macroblock's chroma at (8, 1): one row above, 8 columns to the left
    const modes = [0, 0, 0, 0];
    for (let t = 0; t < 400; t++) {
      for (const pic of [picU, picV]) {
        for (let i = 0; i < pic.length; i++) pic[i] = t % 3 === 0 ? rnd() & 255 : t % 3 === 1 ? (rnd() & 1) * 255 : 100 + (rnd() & 3);
      }
      fill(src, 1900 + t, t % 4 === 1);
      if (t % 5 === 4) {
        // Halfway between the Vertical and Horizontal predictions, give or take 1: the two SATDs
        // come close, and lambda * bits decides.
        [picU, picV].forEach((pic, c) => {
          for (let y = 0; y < 8; y++) {
            for (let x = 0; x < 8; x++) {
              const v = (pic[origin - stride + x]! + pic[origin + y * stride - 1]! + (rnd() % 3) - 1) >> 1;
              src[c * 64 + y * 8 + x] = Math.max(0, Math.min(255, v));
            }
          }
        });
      }
      const lambda = [0.6, 5.3, 27.2, 160][t % 4]!;
      for (let avail = 0; avail < 8; avail++) {
        // The TypeScript search (intra.ts codeChroma's order): SATDs summed, then lambda * ue bits.
        let best = -1, bestCost = Infinity;
        for (let mode = 0; mode < 4; mode++) {
          if (!intraChromaModeAvailable(mode, avail)) continue;
          let satd = 0;
          [picU, picV].forEach((pic, c) => {
            const top = new Uint8Array(9), left = new Uint8Array(8), p = new Uint8Array(64);
            for (let x = 0; x < 9; x++) top[x] = pic[origin - stride - 1 + x]!;
            for (let y = 0; y < 8; y++) left[y] = pic[origin + y * stride - 1]!;
            predictIntraChroma(mode, top, left, avail, p);
            for (let b = 0; b < 4; b++) satd += satd4x4Px(src, c * 64 + (b >> 1) * 32 + (b & 1) * 4, 8, p, (b >> 1) * 32 + (b & 1) * 4, 8);
          });
          const cost = satd + lambda * ueBits(mode);
          if (cost < bestCost) {
            bestCost = cost;
            best = mode;
          }
        }
        [picU, picV].forEach((pic, c) => {
          const top = new Uint8Array(9), left = new Uint8Array(8), p = new Uint8Array(64);
          for (let x = 0; x < 9; x++) top[x] = pic[origin - stride - 1 + x]!;
          for (let y = 0; y < 8; y++) left[y] = pic[origin + y * stride - 1]!;
          predictIntraChroma(best, top, left, avail, p);
          want.set(p, c * 64);
        });
        const got = sk.k.intraChroma(src.byteOffset, picU.byteOffset + origin, picV.byteOffset + origin, stride, avail, lambda,
          pred.byteOffset, scratch.byteOffset);
        const at = `avail ${avail}, lambda ${lambda}, trial ${t}`;
        expect(got, at).toBe(best);
        expect(Buffer.compare(pred, want), `prediction, ${at}`).toBe(0);
        modes[best]!++;
      }
    }
    for (const n of modes) expect(n, `each mode wins somewhere: ${modes}`).toBeGreaterThan(20);
  });

  it('plane16 equals predict16x16 Plane on random and extreme edges (both clips)', () => {
    const sk = kernels(1 << 16);
    const got = sk.alloc(256), want = new Uint8Array(256), abc = new Int32Array(3);
    const top = new Uint8Array(17), left = new Uint8Array(16), rnd = prng(53);
    for (let t = 0; t < 500; t++) {
      // Noise, 0/255 edges (the largest gradients), and ramps.
      for (let i = 0; i < 17; i++) top[i] = t % 3 === 0 ? rnd() & 255 : t % 3 === 1 ? (rnd() & 1) * 255 : Math.min(255, i * 15);
      for (let i = 0; i < 16; i++) left[i] = t % 3 === 0 ? rnd() & 255 : t % 3 === 1 ? (rnd() & 1) * 255 : 255 - i * 15;
      predict16x16(Intra16x16Mode.Plane, top, left, 7, want);
      plane16Params(top, left, abc);
      sk.k.plane16(got.byteOffset, abc[0]!, abc[1]!, abc[2]!);
      expect([...got], `trial ${t}`).toEqual([...want]);
    }
  });

  it('intra4x4Taps gives predict4x4Ref\'s samples: all nine modes, every availability, random and 0/255 edges', () => {
    const e = new Uint8Array(14), want = new Uint8Array(16), rnd = prng(61);
    let checked = 0;
    for (let t = 0; t < 400; t++) {
      for (let i = 0; i < 13; i++) e[i] = t % 2 === 0 ? rnd() & 255 : (rnd() & 1) * 255;
      for (let avail = 0; avail < 8; avail++) {
        e[13] = dc4x4(e, avail);
        for (let mode = 0; mode < 9; mode++) {
          if (!intra4x4ModeAvailable(mode, avail)) continue;
          predict4x4Ref(mode, e, avail, want);
          const got = Array.from({ length: 16 }, (_, n) => {
            const [a, b, c, d] = intra4x4Taps(mode, n & 3, n >> 2);
            return (e[a]! + e[b]! + e[c]! + e[d]! + 2) >> 2;
          });
          expect(got, `mode ${mode}, availability ${avail}, trial ${t}`).toEqual([...want]);
          checked++;
        }
      }
    }
    // Per edge: DC at all 8 availabilities, V, DDL, VL at the 4 with the top, H, HU at the 4 with
    // the left, DDR, VR, HD at the one with all three.
    expect(checked).toBe(400 * (8 + 3 * 4 + 2 * 4 + 3));
  });

  it('SUBPEL_SOURCES names the planes and offsets lumaSources picks, at all 16 quarter-sample positions', () => {
    const planes = [0, 1, 2, 3].map(() => new PaddedPlane(32, 32, LUMA_PAD));
    const [full, hp, vp, hvp] = planes as [PaddedPlane, PaddedPlane, PaddedPlane, PaddedPlane];
    const out: LumaSources = { a: full, ao: 0, b: null, bo: 0 };
    for (let xFrac = 0; xFrac < 4; xFrac++) {
      for (let yFrac = 0; yFrac < 4; yFrac++) {
        lumaSources(full, hp, vp, hvp, 0, 0, xFrac, yFrac, out);
        const e = SUBPEL_SOURCES.subarray(((xFrac << 2) | yFrac) * 6, ((xFrac << 2) | yFrac) * 6 + 6);
        const where = `(${xFrac}, ${yFrac})`;
        expect(planes.indexOf(out.a), where).toBe(e[0]);
        expect(out.ao - full.origin, where).toBe(e[1]! + e[2]! * full.stride);
        expect(out.b === null ? -1 : planes.indexOf(out.b), where).toBe(e[3]);
        if (out.b !== null) expect(out.bo - full.origin, where).toBe(e[4]! + e[5]! * full.stride);
      }
    }
  });

  it('avgBlock averages (p + q + 1) >> 1 and copies (q = p) 16-, 8- and 4-wide blocks, leaving the rest of dst alone', () => {
    const sk = kernels(1 << 17);
    const mem = sk.alloc(1 << 16), dst = sk.alloc(16 * 16 + 32);
    fill(mem, 17, false);
    const rnd = prng(19);
    for (let t = 0; t < 200; t++) {
      const po = rnd() % 40000, qo = t % 3 === 0 ? po : rnd() % 40000;
      for (const [w, h] of [[16, 16], [16, 8], [8, 16], [8, 8], [8, 4], [4, 8], [4, 4]] as const) {
        dst.fill(77);
        sk.k.avgBlock(mem.byteOffset + po, mem.byteOffset + qo, STRIDE, dst.byteOffset + 16, 16, w, h);
        for (let y = 0; y < 17; y++) {
          for (let x = 0; x < 16; x++) {
            const inside = y >= 1 && y <= h && x < w;
            const want = inside ? (mem[po + (y - 1) * STRIDE + x]! + mem[qo + (y - 1) * STRIDE + x]! + 1) >> 1 : 77;
            if (dst[y * 16 + x] !== want) expect(dst[y * 16 + x], `${w}x${h} (${x}, ${y - 1})`).toBe(want);
          }
        }
      }
    }
  });

  it('ssd equals the plain sum of squared differences for 16- and 8-wide blocks, up to 16 x 16 x 255²', () => {
    const sk = kernels(1 << 17);
    const mem = sk.alloc(1 << 16);
    const rnd = prng(23);
    for (const binary of [false, true]) {
      fill(mem, binary ? 29 : 31, binary);
      mem.fill(255, 0, 256);
      mem.fill(0, 512, 768);
      for (let t = 0; t < 200; t++) {
        const ao = t === 0 ? 0 : rnd() % 40000, bo = t === 0 ? 512 : rnd() % 40000;
        for (const [w, h] of [[16, 16], [16, 8], [8, 16], [8, 8]] as const) {
          let want = 0;
          for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) want += (mem[ao + y * 16 + x]! - mem[bo + y * 16 + x]!) ** 2;
          expect(sk.k.ssd(mem.byteOffset + ao, 16, mem.byteOffset + bo, 16, w, h), `${w}x${h}`).toBe(want);
        }
      }
    }
    expect(sk.k.ssd(mem.byteOffset, 16, mem.byteOffset + 512, 16, 16, 16)).toBe(256 * 255 * 255);
  });

  it('chroma8 equals predictChroma at all 64 eighth-sample fractions, inside and past the picture edge', () => {
    const width = 32, height = 24;
    const stride = width + 2 * CHROMA_PAD, size = stride * (height + 2 * CHROMA_PAD);
    const sk = kernels(size + 4096);
    const ref = new PaddedPlane(width, height, CHROMA_PAD, sk.alloc(size));
    const plain = new Uint8Array(width * height);
    fill(plain, 37, false);
    ref.fillFrom(plain, width);
    const want = new Uint8Array(64), got = sk.alloc(64 + 16);
    for (let mvy = -20 * 8; mvy <= 20 * 8; mvy += 13) {
      for (let mvx = -20 * 8; mvx <= 20 * 8; mvx += 11) {
        for (const [x, y, h] of [[0, 0, 8], [24, 16, 8], [8, 8, 4]] as const) {
          predictChroma(ref, x, y, mvx, mvy, 8, h, want, 0, 8);
          got.fill(9);
          const xf = mvx & 7, yf = mvy & 7;
          const s = ref.data.byteOffset + ref.origin + (y + (mvy >> 3)) * ref.stride + x + (mvx >> 3);
          sk.k.chroma8(s, ref.stride, got.byteOffset, 8, h, (8 - xf) * (8 - yf), xf * (8 - yf), (8 - xf) * yf, xf * yf);
          expect([...got.subarray(0, 8 * h)], `(${x}, ${y}) mv (${mvx}, ${mvy})`).toEqual([...want.subarray(0, 8 * h)]);
          expect(got[8 * h]).toBe(9);
        }
      }
    }
  });

  it('skipProbe equals P_Skip\'s motion compensation, SSD and the TypeScript early-skip probe (luma and chroma), QP 0..51', () => {
    const w = 48, h = 32, lumaSize = (w + 2 * LUMA_PAD) * (h + 2 * LUMA_PAD), chromaSize = (w / 2 + 2 * CHROMA_PAD) * (h / 2 + 2 * CHROMA_PAD);
    const sk = kernels(4 * lumaSize + 2 * chromaSize + 4096);
    const planes = [0, 1, 2, 3].map(() => new PaddedPlane(w, h, LUMA_PAD, sk.alloc(lumaSize)));
    const [full, hp, vp, hvp] = planes as [PaddedPlane, PaddedPlane, PaddedPlane, PaddedPlane];
    const [refU, refV] = [0, 1].map(() => new PaddedPlane(w / 2, h / 2, CHROMA_PAD, sk.alloc(chromaSize))) as [PaddedPlane, PaddedPlane];
    const plain = new Uint8Array(w * h);
    fill(plain, 83, false);
    // Smooth content, so that small residuals occur and the probe says yes as often as no.
    for (let i = 0; i < plain.length; i++) plain[i] = 60 + ((i % w) * 2 + Math.floor(i / w) * 3 + (plain[i]! & 7));
    full.fillFrom(plain, w);
    interpolateHalfPlanes(full, hp, vp, hvp);
    refU.fillFrom(plain.subarray(0, (w / 2) * (h / 2)), w / 2);
    refV.fillFrom(plain.subarray(w * 4, w * 4 + (w / 2) * (h / 2)), w / 2);
    const src = sk.alloc(256), srcC = sk.alloc(128), pred = sk.alloc(256), predC = sk.alloc(128);
    const want = new Uint8Array(256), wantC = new Uint8Array(128), ls: LumaSources = { a: full, ao: 0, b: null, bo: 0 };
    const rnd = prng(97);
    let vanished = 0, kept = 0;
    for (let t = 0; t < 3000; t++) {
      const mvx = (rnd() % 61) - 30, mvy = (rnd() % 61) - 30, x = 16 * (t % 3), y = 16 * ((t >> 2) % 2);
      const qp = rnd() % 52, qpc = Math.max(0, qp - (rnd() % 4));
      predictLumaFromPlanes(full, hp, vp, hvp, x, y, mvx, mvy, 16, 16, want, 0, 16);
      predictChroma(refU, x / 2, y / 2, mvx, mvy, 8, 8, wantC, 0, 8);
      predictChroma(refV, x / 2, y / 2, mvx, mvy, 8, 8, wantC, 64, 8);
      // The source: the prediction plus noise everywhere, noise in one luma 4x4, or a flat step in
      // one luma or one chroma 4x4 (lone levels: decimation's and the chroma DC's edge cases).
      // Flat steps go into one block, or into two of different 8x8s (two lone levels: scores 3 + 3).
      const amp = [0, 1, 2, 3, 6, 12][t % 6]!, kind = (t >> 1) % 4, at = rnd() % 16, step = 1 + (rnd() % 4), two = (t & 8) !== 0;
      for (let i = 0; i < 256; i++) {
        const r = ((i >> 6) << 2) | ((i & 15) >> 2);
        const inBlock = r === at || (kind === 2 && two && r === (at ^ 10));
        const d = kind === 0 ? (rnd() % (2 * amp + 1)) - amp : kind === 1 && inBlock ? (rnd() % (2 * amp + 1)) - amp : kind === 2 && inBlock ? step : 0;
        src[i] = Math.max(0, Math.min(255, want[i]! + d));
      }
      for (let i = 0; i < 128; i++) {
        const inBlock = (((i >> 5) << 1) | ((i & 7) >> 2)) === (at & 7);
        const d = kind === 0 ? (rnd() % (2 * amp + 1)) - amp : kind === 3 && inBlock ? step * 2 : 0;
        srcC[i] = Math.max(0, Math.min(255, wantC[i]! + d));
      }
      let ssd = 0;
      for (let i = 0; i < 256; i++) ssd += (src[i]! - want[i]!) ** 2;
      for (let i = 0; i < 128; i++) ssd += (srcC[i]! - wantC[i]!) ** 2;
      const vanishes = lumaResidualVanishes(src, want, qp, 1 / 6) && chromaResidualVanishes(srcC, wantC, qpc, 1 / 6);

      lumaSources(full, hp, vp, hvp, x, y, mvx, mvy, ls);
      const a = ls.a.data.byteOffset + ls.ao, b = ls.b === null ? a : ls.b.data.byteOffset + ls.bo;
      const xf = mvx & 7, yf = mvy & 7, c = refU.origin + (y / 2 + (mvy >> 3)) * refU.stride + x / 2 + (mvx >> 3);
      for (const probe of [false, true]) {
        const q6 = Math.floor(qp / 6), q6c = Math.floor(qpc / 6);
        const found = sk.k.skipProbe(src.byteOffset, srcC.byteOffset, a, b, full.stride, refU.data.byteOffset + c, refV.data.byteOffset + c,
          refU.stride, (8 - xf) * (8 - yf), xf * (8 - yf), (8 - xf) * yf, xf * yf, pred.byteOffset, predC.byteOffset, probe ? 1 : 0,
          qp % 6, q6, deadZoneBias(qp, 1 / 6), qpc % 6, q6c, deadZoneBias(qpc, 1 / 6), sk.quantTable, sk.coef.byteOffset,
          sk.levels.byteOffset, sk.nz.byteOffset);
        expect(Buffer.compare(pred, want), `luma prediction, trial ${t}`).toBe(0);
        expect(Buffer.compare(predC, wantC), `chroma prediction, trial ${t}`).toBe(0);
        expect(found & SKIP_SSD_MASK, `SSD, trial ${t}`).toBe(ssd);
        expect((found & SKIP_VANISHES) !== 0, `vanishes, trial ${t}: QP ${qp}/${qpc}, kind ${kind}, probe ${probe}`).toBe(probe && vanishes);
      }
      if (vanishes) vanished++;
      else kept++;
    }
    expect(vanished).toBeGreaterThan(300);
    expect(kept).toBeGreaterThan(300);
  });

  it.each(['realtime', 'balanced'] as const)('InterCoder (%s) analyses and commits with the kernels (skipMacroblock, searchPartition) as without them: random neighbour motion', (preset) => {
    const mbW = 4, mbH = 3, count = mbW * mbH, w = mbW * 16, h = mbH * 16;
    const sk = kernels(4 << 20);
    const alloc = (n: number): Uint8Array => sk.alloc(n);
    const rnd = prng(1009);
    // Smooth content and a reference shifted from it, so that P_Skip's residual vanishes at some QPs and not at others.
    const plain = new Uint8Array(w * h), plainC = new Uint8Array((w / 2) * (h / 2));
    for (let i = 0; i < plain.length; i++) plain[i] = 40 + (i % w) * 2 + Math.floor(i / w) * 2 + (rnd() % 5);
    for (let i = 0; i < plainC.length; i++) plainC[i] = 90 + (i % (w / 2)) + (rnd() % 3);
    // The previous frame's vectors (a starting point): some far enough to meet the vector limits at the picture's edges.
    const prevMvx = new Int16Array(count * 16), prevMvy = new Int16Array(count * 16);
    const coders = [true, false].map((withKernels) => {
      const a = withKernels ? alloc : undefined;
      const src = new Picture(mbW, mbH, a), recon = new Picture(mbW, mbH, a), state = new MbState(mbW, mbH, a);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src.y[y * src.strideY + x] = plain[Math.min(h - 1, y + 1) * w + Math.min(w - 1, x + 1)]!;
      for (let y = 0; y < h / 2; y++) {
        for (let x = 0; x < w / 2; x++) {
          src.u[y * src.strideC + x] = plainC[y * (w / 2) + x]!;
          src.v[y * src.strideC + x] = 255 - plainC[y * (w / 2) + x]!;
        }
      }
      const plane = (pw: number, ph: number, pad: number): PaddedPlane => new PaddedPlane(pw, ph, pad, withKernels ? alloc(PaddedPlane.bytes(pw, ph, pad)) : undefined);
      const refY = plane(w, h, LUMA_PAD), refU = plane(w / 2, h / 2, CHROMA_PAD), refV = plane(w / 2, h / 2, CHROMA_PAD);
      refY.fillFrom(plain, w);
      refU.fillFrom(plainC, w / 2);
      refV.fillFrom(plainC.map((v) => 255 - v), w / 2);
      const coder = new InterCoder(src, recon, state, PRESET_CHOICES[preset].inter, 31, withKernels ? sk : null);
      coder.setReference(refY, refU, refV, prevMvx, prevMvy);
      coder.prepareReference();
      return { coder, recon, state };
    });
    const seen = { early: 0, lateSkip: 0, coded: 0, vectors: 0, kinds: new Set<number>() };
    for (let t = 0; t < 1000; t++) {
      // Neighbours: intra, P_Skip or P_L0_16x16, a third of them with a zero vector (P_Skip's zero rule).
      for (let mb = 0; mb < count; mb++) {
        const kind = [MbKind.I16x16, MbKind.PSkip, MbKind.P16x16][rnd() % 3]!;
        const zero = rnd() % 3 === 0, mvx = zero ? 0 : (rnd() % 17) - 8, mvy = zero ? 0 : (rnd() % 17) - 8, nz = rnd();
        for (const { state } of coders) {
          state.kind[mb] = kind;
          for (let i = 0; i < 16; i++) {
            state.ref[mb * 16 + i] = kind === MbKind.I16x16 ? -1 : 0;
            state.mvx[mb * 16 + i] = kind === MbKind.I16x16 ? 0 : mvx + (i === 15 ? 1 : 0);
            state.mvy[mb * 16 + i] = kind === MbKind.I16x16 ? 0 : mvy;
            state.nzLuma[mb * 16 + i] = (nz >> i) & 1;
          }
        }
      }
      for (let i = 0; i < prevMvx.length; i++) {
        prevMvx[i] = rnd() % 4 === 0 ? (rnd() % 601) - 300 : (rnd() % 9) - 4;
        prevMvy[i] = rnd() % 4 === 0 ? (rnd() % 601) - 300 : (rnd() % 9) - 4;
      }
      // mb_qp_delta as row control or AQ would set it: its length is part of J.
      const mb = rnd() % count, pos = { mb, mbx: mb % mbW, mby: Math.floor(mb / mbW), qpDelta: t % 3 === 0 ? (rnd() % 21) - 10 : 0 };
      const qp = 18 + (rnd() % 30), p = qpParams(qp, qp);
      const [k, plainCoder] = coders as [typeof coders[0], typeof coders[0]];
      const at = `trial ${t}, macroblock ${mb}, QP ${qp}`;
      expect(k.coder.analyse(pos, p), `J, ${at}`).toBe(plainCoder.coder.analyse(pos, p));
      expect([k.coder.decidedEarly, k.coder.bestIsPSkip], `decision, ${at}`).toEqual([plainCoder.coder.decidedEarly, plainCoder.coder.bestIsPSkip]);
      const outs = coders.map(() => new BitWriter(4096));
      const kinds = coders.map(({ coder }, i) => coder.commitBest(outs[i]!, pos));
      expect(kinds[0], `kind, ${at}`).toBe(kinds[1]);
      for (const o of outs) o.trailingBits();
      expect(Buffer.compare(outs[0]!.bytes(), outs[1]!.bytes()), `the macroblock's bits, ${at}`).toBe(0);
      for (const name of ['kind', 'nzLuma', 'nzCb', 'nzCr', 'mvx', 'mvy', 'ref', 'bs'] as const) {
        expect([...k.state[name]], `${name}, ${at}`).toEqual([...plainCoder.state[name]]);
      }
      for (const plane of ['y', 'u', 'v'] as const) expect(Buffer.compare(k.recon[plane], plainCoder.recon[plane]), `recon ${plane}, ${at}`).toBe(0);
      if (k.coder.decidedEarly) seen.early++;
      else if (k.coder.bestIsPSkip) seen.lateSkip++;
      else seen.coded++;
      if (k.coder.bestIsPSkip && (k.state.mvx[mb * 16] !== 0 || k.state.mvy[mb * 16] !== 0)) seen.vectors++;
      seen.kinds.add(kinds[0]!);
    }
    // The vector limits (PAD_MARGIN inside the padded reference): a source that matches the
    // reference exactly at a co-located vector on the limit, or one sample past it.
    const reach = LUMA_PAD - 8;
    for (const [mbx, mby, axis, sign] of [[mbW - 1, 1, 'x', 1], [0, 1, 'x', -1], [1, mbH - 1, 'y', 1], [2, 0, 'y', -1]] as const) {
      for (const past of [0, 1]) {
        const mb = mby * mbW + mbx, px = mbx * 16, py = mby * 16;
        const limit = sign > 0 ? (axis === 'x' ? w : h) - (axis === 'x' ? px : py) - 16 + reach : -(axis === 'x' ? px : py) - reach;
        const d = limit + sign * past, dx = axis === 'x' ? d : 0, dy = axis === 'y' ? d : 0;
        for (const { state } of coders) {
          state.kind.fill(MbKind.I16x16);
          state.ref.fill(-1);
          state.mvx.fill(0);
          state.mvy.fill(0);
        }
        prevMvx.fill(0);
        prevMvy.fill(0);
        for (let i = 0; i < 16; i++) {
          prevMvx[mb * 16 + i] = 4 * dx;
          prevMvy[mb * 16 + i] = 4 * dy;
        }
        for (const { coder } of coders) {
          const src = (coder as unknown as { src: Picture }).src, ref = (coder as unknown as { refY: PaddedPlane }).refY;
          for (let r = 0; r < 16; r++) {
            for (let c = 0; c < 16; c++) src.y[(py + r) * src.strideY + px + c] = ref.data[ref.origin + (py + dy + r) * ref.stride + px + dx + c]!;
          }
        }
        const pos = { mb, mbx, mby, qpDelta: 0 }, p = qpParams(30, 30), at = `limit ${axis} ${sign}, ${past} past it`;
        const [k, plainCoder] = coders as [typeof coders[0], typeof coders[0]];
        expect(k.coder.analyse(pos, p), `J, ${at}`).toBe(plainCoder.coder.analyse(pos, p));
        coders.forEach(({ coder }) => coder.commitBest(new BitWriter(4096), pos));
        expect([...k.state.mvx, ...k.state.mvy], `vectors, ${at}`).toEqual([...plainCoder.state.mvx, ...plainCoder.state.mvy]);
        // On the limit the match is found; past it, it may not be.
        if (past === 0 && !k.coder.bestIsPSkip) expect([k.state.mvx[mb * 16], k.state.mvy[mb * 16]], `the match on the limit, ${at}`).toEqual([4 * dx, 4 * dy]);
      }
    }
    // Balanced tries 16x8, 8x16 and 8x8 (their directional predictions and inner neighbours); some win.
    expect([...seen.kinds].sort(), 'kinds chosen').toEqual(preset === 'realtime'
      ? [MbKind.PSkip, MbKind.P16x16] : [MbKind.PSkip, MbKind.P16x16, MbKind.P16x8, MbKind.P8x16, MbKind.P8x8]);
    expect(seen.early, `early P_Skips: ${JSON.stringify(seen)}`).toBeGreaterThan(50);
    expect(seen.lateSkip + seen.coded, `searched macroblocks: ${JSON.stringify(seen)}`).toBeGreaterThan(50);
    expect(seen.vectors, `P_Skips with a non-zero vector: ${JSON.stringify(seen)}`).toBeGreaterThan(50);
  });

  it('codeChromaResidual with the kernels (codeChroma) equals it without: intra and inter dead zones, QP 0..51, noise and flat steps', () => {
    const sk = kernels(1 << 16);
    const alloc = (n: number): Uint8Array => sk.alloc(n);
    const src = sk.alloc(128), pred = sk.alloc(128), got = new ChromaCoding(alloc), want = new ChromaCoding();
    const rnd = prng(211);
    const cbps = new Set<number>();
    for (let t = 0; t < 1500; t++) {
      fill(pred, 3000 + t, t % 7 === 0);
      const amp = [0, 1, 3, 8, 30][t % 5]!, step = (t >> 3) % 3 === 0 ? (rnd() % 9) - 4 : 0;
      for (let i = 0; i < 128; i++) src[i] = Math.max(0, Math.min(255, pred[i]! + step + (amp === 0 ? 0 : (rnd() % (2 * amp + 1)) - amp)));
      const qpc = t % 52, deadZone = t % 2 === 0 ? 1 / 3 : 1 / 6;
      codeChromaResidual(src, pred, 0, pred, 64, qpc, deadZone, want);
      codeChromaResidual(src, pred, 0, pred, 64, qpc, deadZone, got, sk);
      const at = `trial ${t}, QP ${qpc}`;
      expect([got.cbp, got.ssd], `cbp and SSD, ${at}`).toEqual([want.cbp, want.ssd]);
      expect([...got.dc], `DC levels, ${at}`).toEqual([...want.dc]);
      expect([...got.nz], `TotalCoeff, ${at}`).toEqual([...want.nz]);
      if (want.cbp === 2) expect([...got.ac], `AC levels, ${at}`).toEqual([...want.ac]);
      expect(Buffer.compare(got.recon, want.recon), `reconstruction, ${at}`).toBe(0);
      cbps.add(want.cbp);
    }
    expect([...cbps].sort(), 'cbps seen').toEqual([0, 1, 2]);
  });

  it('codeInter equals codeLumaResidual (decimation) and codeChromaResidual: levels, nz, DC, reconstruction, SSD, cbp, QP 0..51', () => {
    const sk = kernels(1 << 16);
    const src = sk.alloc(256), srcC = sk.alloc(128), pred = sk.alloc(256), predC = sk.alloc(128);
    const got = { luma: new LumaCoding((n) => sk.alloc(n)), chroma: new ChromaCoding((n) => sk.alloc(n)) };
    const want = { luma: new LumaCoding(), chroma: new ChromaCoding() };
    const rnd = prng(101);
    const cbps = new Set<number>();
    for (let t = 0; t < 2500; t++) {
      const qp = rnd() % 52, qpc = Math.max(0, qp - (rnd() % 4));
      for (let i = 0; i < 256; i++) pred[i] = 20 + (rnd() % 216);
      for (let i = 0; i < 128; i++) predC[i] = 20 + (rnd() % 216);
      // Noise everywhere, noise in one luma 4x4, flat steps in one or two luma 4x4s (lone levels,
      // decimation's cases), a flat step in one chroma 4x4 (DC only).
      const amp = [0, 1, 2, 3, 6, 12, 30][t % 7]!, kind = (t >> 1) % 5, at = rnd() % 16, step = 1 + (rnd() % 4);
      for (let i = 0; i < 256; i++) {
        const r = ((i >> 6) << 2) | ((i & 15) >> 2);
        const d = kind === 0 ? (rnd() % (2 * amp + 1)) - amp : kind === 1 && r === at ? (rnd() % (2 * amp + 1)) - amp
          : (kind === 2 && r === at) || (kind === 3 && (r === at || r === (at ^ 10))) ? step : 0;
        src[i] = Math.max(0, Math.min(255, pred[i]! + d));
      }
      for (let i = 0; i < 128; i++) {
        const b = ((i >> 5) << 1) | ((i & 7) >> 2);
        const d = kind === 0 ? (rnd() % (2 * amp + 1)) - amp : kind === 4 && b === (at & 7) ? step * 2 : 0;
        srcC[i] = Math.max(0, Math.min(255, predC[i]! + d));
      }
      codeLumaResidual(src, pred, qp, 1 / 6, true, want.luma);
      codeChromaResidual(srcC, predC, 0, predC, 64, qpc, 1 / 6, want.chroma);
      sk.codeInter(src, srcC, pred, predC, qp, deadZoneBias(qp, 1 / 6), qpc, deadZoneBias(qpc, 1 / 6), got.luma.levels, got.luma.nz,
        got.luma.recon, got.chroma.dc, got.chroma.ac, got.chroma.nz, got.chroma.recon);
      const [ssdY, cbpY, ssdC, cbpC] = sk.interResult;
      const at_ = `trial ${t}: QP ${qp}/${qpc}, kind ${kind}, amplitude ${amp}`;
      expect([ssdY, cbpY, ssdC, cbpC], at_).toEqual([want.luma.ssd, want.luma.cbp, want.chroma.ssd, want.chroma.cbp]);
      expect([...got.luma.nz], `luma nz, ${at_}`).toEqual([...want.luma.nz]);
      expect([...got.luma.levels], `luma levels, ${at_}`).toEqual([...want.luma.levels]);
      expect(Buffer.compare(got.luma.recon, want.luma.recon), `luma reconstruction, ${at_}`).toBe(0);
      expect([...got.chroma.dc, ...got.chroma.nz], `chroma DC and nz, ${at_}`).toEqual([...want.chroma.dc, ...want.chroma.nz]);
      // AC levels matter where the chroma AC is coded (cbp 2); position 0 of each block is the DC's.
      if (want.chroma.cbp === 2) {
        for (let b = 0; b < 8; b++) expect([...got.chroma.ac.subarray(b * 16 + 1, b * 16 + 16)], `chroma AC ${b}, ${at_}`).toEqual([...want.chroma.ac.subarray(b * 16 + 1, b * 16 + 16)]);
      }
      expect(Buffer.compare(got.chroma.recon, want.chroma.recon), `chroma reconstruction, ${at_}`).toBe(0);
      cbps.add(cbpY | (cbpC << 4));
    }
    expect(cbps.size, 'luma and chroma cbps seen').toBeGreaterThan(12);
  });

  it('commitInter commits like InterCoder.commitBest and sets setInterBs\'s bS: random neighbours, vectors and coefficients', () => {
    const mbW = 4, mbH = 3, count = mbW * mbH;
    const { sk, alloc, simdState, plain, pic, plainPic, desc } = commitSetup(mbW, mbH);
    const coding = new InterCoding(alloc);
    const rnd = prng(113);
    const bsSeen = new Set<number>();
    for (let t = 0; t < 400; t++) {
      // Earlier macroblocks: intra or inter, vectors near each other, some coefficients.
      for (const st of [simdState, plain]) st.kind.fill(0);
      for (let mb = 0; mb < count; mb++) {
        const kind = rnd() % 5 === 0 ? MbKind.I16x16 : MbKind.PSkip + (rnd() % 5);
        for (const st of [simdState, plain]) {
          st.kind[mb] = kind;
          for (let i = 0; i < 16; i++) {
            const r = (mb * 16 + i) * 7919 + t;
            st.nzLuma[mb * 16 + i] = r % 5 === 0 ? (r % 3) + 1 : 0;
            st.mvx[mb * 16 + i] = kind <= MbKind.IPcm ? 0 : ((r >> 3) % 9) - 4;
            st.mvy[mb * 16 + i] = kind <= MbKind.IPcm ? 0 : ((r >> 5) % 9) - 4;
            st.ref[mb * 16 + i] = kind <= MbKind.IPcm ? -1 : 0;
          }
        }
      }
      const mb = rnd() % count, mbx = mb % mbW, mby = Math.floor(mb / mbW);
      // The coding: one vector (half the time), or per-block vectors; coefficients in some blocks, or none.
      const oneVector = rnd() % 2 === 0, coefs = rnd() % 3;
      for (let i = 0; i < 16; i++) {
        coding.mvx[i] = oneVector ? 3 : (rnd() % 13) - 6;
        coding.mvy[i] = oneVector ? -2 : (rnd() % 13) - 6;
        coding.luma.nz[i] = coefs === 0 ? 0 : rnd() % (coefs === 1 ? 8 : 2) === 0 ? 1 + (rnd() % 16) : 0;
      }
      for (let i = 0; i < 8; i++) coding.chroma.nz[i] = rnd() % 3 === 0 ? 1 : 0;
      fill(coding.luma.recon, 200 + t, false);
      fill(coding.chroma.recon, 300 + t, false);
      coding.kind = oneVector && coefs === 0 ? MbKind.PSkip : MbKind.P8x8;

      // The TypeScript commit (InterCoder.commitBest's writes) and setInterBs on the plain state.
      plainPic.storeMacroblock(mbx, mby, coding.luma.reconW, coding.chroma.reconW);
      plain.kind[mb] = coding.kind;
      for (let i = 0; i < 16; i++) {
        plain.nzLuma[mb * 16 + i] = coding.luma.nz[i]!;
        plain.i4Mode[mb * 16 + i] = 2;
        plain.mvx[mb * 16 + i] = coding.mvx[i]!;
        plain.mvy[mb * 16 + i] = coding.mvy[i]!;
        plain.ref[mb * 16 + i] = 0;
      }
      for (let i = 0; i < 4; i++) {
        plain.nzCb[mb * 4 + i] = coding.chroma.nz[i]!;
        plain.nzCr[mb * 4 + i] = coding.chroma.nz[4 + i]!;
      }
      setInterBs(plain, mb, mbx, mby);
      sk.k.commitInter(desc, mb, mbx, mby, coding.kind, coding.luma.recon.byteOffset, coding.chroma.recon.byteOffset,
        coding.luma.nz.byteOffset, coding.chroma.nz.byteOffset, coding.mvx.byteOffset, coding.mvy.byteOffset,
        pic.y.byteOffset + mby * 16 * pic.strideY + mbx * 16, pic.u.byteOffset + mby * 8 * pic.strideC + mbx * 8,
        pic.v.byteOffset + mby * 8 * pic.strideC + mbx * 8, pic.strideY, pic.strideC);
      const at = `trial ${t}, macroblock ${mb}`;
      expect([...simdState.bs.subarray(mb * 32, mb * 32 + 32)], `bS, ${at}`).toEqual([...plain.bs.subarray(mb * 32, mb * 32 + 32)]);
      for (const name of ['kind', 'i4Mode', 'nzLuma', 'nzCb', 'nzCr', 'mvx', 'mvy', 'ref'] as const) {
        expect([...simdState[name]], `${name}, ${at}`).toEqual([...plain[name]]);
      }
      for (const plane of ['y', 'u', 'v'] as const) expect(Buffer.compare(pic[plane], plainPic[plane]), `picture ${plane}, ${at}`).toBe(0);
      for (const v of plain.bs.subarray(mb * 32, mb * 32 + 32)) bsSeen.add(v);
    }
    expect([...bsSeen].sort(), 'bS values seen').toEqual([0, 1, 2, 4]);
  });

  it('commitIntra commits like commitIntraMacroblock (motion and bS included): I_NxN and Intra_16x16, random codings', () => {
    const mbW = 3, mbH = 2, count = mbW * mbH;
    const { sk, alloc, simdState, plain, pic, plainPic, desc } = commitSetup(mbW, mbH);
    const luma = new LumaCoding(alloc), chroma = new ChromaCoding(alloc);
    const rnd = prng(131);
    for (let t = 0; t < 200; t++) {
      // Whatever was there before: inter motion, other modes and counts.
      for (const st of [simdState, plain]) {
        for (let i = 0; i < count * 16; i++) {
          st.mvx[i] = (i * 7 + t) % 13 - 6;
          st.mvy[i] = (i * 5 + t) % 11 - 5;
          st.ref[i] = 0;
          st.i4Mode[i] = (i + t) % 9;
        }
        st.bs.fill(1);
      }
      const mb = rnd() % count, mbx = mb % mbW, mby = Math.floor(mb / mbW);
      luma.kind = rnd() % 2 === 0 ? MbKind.I4x4 : MbKind.I16x16;
      for (let i = 0; i < 16; i++) {
        luma.modes4[i] = rnd() % 9;
        luma.nz[i] = rnd() % 17;
      }
      for (let i = 0; i < 8; i++) chroma.nz[i] = rnd() % 16;
      fill(luma.recon, 500 + t, false);
      fill(chroma.recon, 600 + t, false);

      // The TypeScript commit on the plain state and picture.
      commitIntraMacroblock(plainPic, plain, { mb, mbx, mby, qpDelta: 0 }, luma, chroma);
      sk.k.commitIntra(desc, mb, luma.kind, luma.recon.byteOffset, chroma.recon.byteOffset, luma.modes4.byteOffset, luma.nz.byteOffset,
        chroma.nz.byteOffset, pic.y.byteOffset + mby * 16 * pic.strideY + mbx * 16, pic.u.byteOffset + mby * 8 * pic.strideC + mbx * 8,
        pic.v.byteOffset + mby * 8 * pic.strideC + mbx * 8, pic.strideY, pic.strideC);
      const at = `trial ${t}, macroblock ${mb}, kind ${luma.kind}`;
      for (const name of ['kind', 'i4Mode', 'nzLuma', 'nzCb', 'nzCr', 'mvx', 'mvy', 'ref', 'bs'] as const) {
        expect([...simdState[name]], `${name}, ${at}`).toEqual([...plain[name]]);
      }
      for (const plane of ['y', 'u', 'v'] as const) expect(Buffer.compare(pic[plane], plainPic[plane]), `picture ${plane}, ${at}`).toBe(0);
    }
  });

  it('deblockPicture with the SIMD kernels equals the scalar filter, luma and chroma: bS 0..4, QP 16..51, offsets -12..12', () => {
    const mbW = 5, mbH = 4, rnd = prng(43);
    let changed = 0, changedChroma = 0;
    for (let trial = 0; trial < 40; trial++) {
      const sk = kernels(mbW * mbH * (384 + 33) + 256);
      const simdPic = new Picture(mbW, mbH, (n) => sk.alloc(n)), plain = new Picture(mbW, mbH);
      // Smooth ramps with small noise and a few steps, so that every filter branch is taken.
      const amp = 1 + (trial % 8) * 3;
      for (const [a, b] of [[simdPic.y, plain.y], [simdPic.u, plain.u], [simdPic.v, plain.v]] as const) {
        const base = rnd() & 127;
        for (let i = 0; i < a.length; i++) {
          const v = base + ((i % 23) >> 2) + (rnd() % amp) + ((i >> 7) % 3 === 0 ? 60 : 0);
          a[i] = b[i] = Math.min(255, v);
        }
      }
      const bs = new Uint8Array(mbW * mbH * 32), qp = new Uint8Array(mbW * mbH);
      for (let i = 0; i < bs.length; i++) bs[i] = rnd() % 5;
      for (let i = 0; i < qp.length; i++) qp[i] = 16 + (rnd() % 36);
      const params = { filterOffsetA: 2 * ((rnd() % 13) - 6), filterOffsetB: 2 * ((rnd() % 13) - 6), chromaQpIndexOffset: (rnd() % 25) - 12 };
      const before = plain.y.slice(), beforeU = plain.u.slice();
      deblockPicture(plain, qp, bs, params);
      // The kernel reads the QPs and bS from its memory.
      const qpIn = sk.alloc(qp.length), bsIn = sk.alloc(bs.length);
      qpIn.set(qp);
      bsIn.set(bs);
      deblockPicture(simdPic, qpIn, bsIn, params, sk);
      for (let i = 0; i < before.length; i++) if (before[i] !== plain.y[i]) changed++;
      for (let i = 0; i < beforeU.length; i++) if (beforeU[i] !== plain.u[i]) changedChroma++;
      expect(Buffer.compare(simdPic.y, plain.y), `luma, trial ${trial}`).toBe(0);
      expect(Buffer.compare(simdPic.u, plain.u), `Cb, trial ${trial}`).toBe(0);
      expect(Buffer.compare(simdPic.v, plain.v), `Cr, trial ${trial}`).toBe(0);
    }
    expect(changed).toBeGreaterThan(20_000);
    expect(changedChroma).toBeGreaterThan(2_000);
  });

  it('intraHeader and cavlcResidual write the TypeScript writer\'s bits: I16, I4x4 and inter, every nC table, escapes, unrepresentable levels, any bit offset', () => {
    const mbW = 3, mbH = 3;
    const sk = kernels(64 * 1024);
    const alloc = (n: number): Uint8Array => sk.alloc(n);
    const state = new MbState(mbW, mbH, alloc);
    const luma = new LumaCoding(alloc), chroma = new ChromaCoding(alloc), inter = new InterCoding(alloc);
    const fixed = sk.alloc(MB_WRITER_BYTES);
    const rnd = prng(2027);
    // Mostly zeros and ±1, some small levels, a few large ones (escapes, suffixLength 6, and beyond Baseline's reach).
    const level = (large: boolean): number => {
      const r = rnd() % 100;
      const m = r < 55 ? 0 : r < 80 ? 1 : r < 95 ? 2 + (rnd() % 6) : large ? rnd() % 3000 : 8 + (rnd() % 60);
      return rnd() % 2 === 0 ? -m : m;
    };
    const seen = { written: 0, refused: 0, tables: new Set<number>() };
    for (let t = 0; t < 3000; t++) {
      const large = t % 10 === 0, kind = t % 3; // 0 Intra_16x16, 1 I_NxN, 2 P_L0_16x16
      const lumaOf = kind === 2 ? inter.luma : luma, chromaOf = kind === 2 ? inter.chroma : chroma;
      const i16 = kind === 0;
      for (let r = 0; r < 16; r++) {
        let n = 0;
        for (let k = 0; k < 16; k++) {
          const v = i16 && k === 0 ? 0 : level(large);
          lumaOf.levels[r * 16 + k] = v;
          if (v !== 0) n++;
        }
        lumaOf.nz[r] = n;
      }
      for (let k = 0; k < 16; k++) lumaOf.dc[k] = level(large);
      for (let b = 0; b < 8; b++) {
        let n = 0;
        for (let k = 0; k < 16; k++) {
          const v = k === 0 ? 0 : level(large);
          chromaOf.ac[b * 16 + k] = v;
          if (v !== 0) n++;
        }
        chromaOf.nz[b] = n;
        chromaOf.dc[b] = level(large);
      }
      lumaOf.kind = i16 ? MbKind.I16x16 : MbKind.I4x4;
      lumaOf.cbp = i16 ? (rnd() % 2) * 15 : rnd() % 16;
      chromaOf.cbp = rnd() % 3;
      for (let i = 0; i < 16; i++) {
        luma.modes4[i] = rnd() % 9;
        luma.predModes4[i] = rnd() % 9;
      }
      inter.kind = MbKind.P16x16;
      inter.numMvd = 1;
      inter.mvdx[0] = (rnd() % 41) - 20;
      inter.mvdy[0] = (rnd() % 41) - 20;
      // Neighbours' TotalCoeffs from 0 to 16, so nC reaches every coeff_token table.
      for (let i = 0; i < state.nzLuma.length; i++) state.nzLuma[i] = rnd() % 4 === 0 ? rnd() % 17 : rnd() % 3;
      for (let i = 0; i < state.nzCb.length; i++) {
        state.nzCb[i] = rnd() % 16;
        state.nzCr[i] = rnd() % 16;
      }
      const mb = rnd() % (mbW * mbH);
      const pos = { mb, mbx: mb % mbW, mby: Math.floor(mb / mbW), qpDelta: (rnd() % 11) - 5 };
      // Both writers start mid-byte after the same bits.
      fixed.fill(0);
      const plain = new BitWriter(64), kernel = new BitWriter(0, fixed);
      const lead = rnd() % 20;
      for (const w of [plain, kernel]) w.u(lead, 0x5a5a5 & ((1 << lead) - 1));
      const write = (w: BitWriter, simd: SimdKernels | null): boolean => kind === 2
        ? writeInterMb(w, state, pos, inter, simd)
        : writeIntraMb(w, state, pos, luma, chroma, kind === 0 ? 0 : 5, simd);
      const ok = write(plain, null);
      const at = `trial ${t} (kind ${kind}, cbp ${lumaOf.cbp} | ${chromaOf.cbp} << 4, macroblock ${mb})`;
      expect(write(kernel, sk), at).toBe(ok);
      if (!ok) {
        seen.refused++;
        continue;
      }
      seen.written++;
      expect(kernel.bitLength, at).toBe(plain.bitLength);
      const bytes = (plain.bitLength + 7) >> 3;
      expect(Buffer.compare(kernel.buffer.subarray(0, bytes), plain.buffer.subarray(0, bytes)), at).toBe(0);
      expect(fixed.subarray(bytes).every((v) => v === 0), `bytes past the end stay zero, ${at}`).toBe(true);
      for (let i = 0; i < 16; i++) {
        const nA = i & 3 ? lumaOf.nz[i - 1]! : pos.mbx > 0 ? state.nzLuma[(mb - 1) * 16 + i + 3]! : -1;
        seen.tables.add(nA < 2 ? 0 : nA < 4 ? 1 : nA < 8 ? 2 : 3);
      }
    }
    // A refused macroblock leaves the writer as it was: the next one, written after reset() as the
    // coders do, comes out right although the refused one's bits went past the end.
    {
      const plain = new BitWriter(64), kernel = new BitWriter(0, fixed);
      fixed.fill(0);
      for (const w of [plain, kernel]) w.u(5, 0b10110);
      luma.levels.fill(0);
      luma.nz.fill(0);
      luma.kind = MbKind.I4x4;
      luma.cbp = 15;
      chroma.cbp = 0;
      for (let r = 0; r < 16; r++) {
        luma.levels[r * 16] = 3;
        luma.levels[r * 16 + 1] = r === 15 ? 9000 : -2;
        luma.nz[r] = 2;
      }
      const pos = { mb: 0, mbx: 0, mby: 0, qpDelta: 0 };
      expect(writeIntraMb(plain, state, pos, luma, chroma, 0, null), 'refused').toBe(false);
      expect(writeIntraMb(kernel, state, pos, luma, chroma, 0, sk), 'refused').toBe(false);
      // A different macroblock next: other bits where the refused one's lie.
      luma.levels[15 * 16 + 1] = -2;
      for (let r = 0; r < 16; r++) luma.levels[r * 16] = r % 3 === 0 ? 0 : 1;
      for (let r = 0; r < 16; r++) luma.nz[r] = luma.levels[r * 16] === 0 ? 1 : 2;
      for (const w of [plain, kernel]) w.reset();
      expect(writeIntraMb(plain, state, pos, luma, chroma, 0, null)).toBe(true);
      expect(writeIntraMb(kernel, state, pos, luma, chroma, 0, sk)).toBe(true);
      expect(kernel.bitLength).toBe(plain.bitLength);
      expect(Buffer.compare(kernel.buffer.subarray(0, 64), plain.buffer.subarray(0, 64)), 'after a refusal').toBe(0);
    }
    // The last representable level (level_suffix 4095 or 4094 after level_prefix 15) and the first beyond it, alone in a block.
    for (const [v, representable] of [[2064, true], [2065, false], [-2064, true], [-2065, false]] as const) {
      luma.levels.fill(0);
      luma.nz.fill(0);
      luma.levels[0] = v;
      luma.nz[0] = 1;
      luma.kind = MbKind.I4x4;
      luma.cbp = 1;
      chroma.cbp = 0;
      const pos = { mb: 0, mbx: 0, mby: 0, qpDelta: 0 };
      fixed.fill(0);
      const plain = new BitWriter(64), kernel = new BitWriter(0, fixed);
      expect(writeIntraMb(plain, state, pos, luma, chroma, 0, null), `level ${v}`).toBe(representable);
      expect(writeIntraMb(kernel, state, pos, luma, chroma, 0, sk), `level ${v}`).toBe(representable);
      if (representable) expect(Buffer.compare(kernel.buffer.subarray(0, 64), plain.buffer.subarray(0, 64)), `level ${v}`).toBe(0);
    }
    expect(seen.written, 'macroblocks written').toBeGreaterThan(2000);
    expect(seen.refused, 'macroblocks refused (a level beyond level_prefix 15)').toBeGreaterThan(20);
    expect([...seen.tables].sort(), 'coeff_token tables reached').toEqual([0, 1, 2, 3]);
  });

  it('alloc hands out aligned, zeroed, disjoint views and refuses to overrun the memory', () => {
    const sk = kernels(1000);
    const a = sk.alloc(100), b = sk.alloc(16);
    expect(a.byteOffset % 16).toBe(0);
    expect(b.byteOffset).toBe(a.byteOffset + 112);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(() => sk.alloc(70000)).toThrow(/SIMD memory exhausted: 70000 bytes asked/);
  });
});

describe('encodes with and without the SIMD kernels', () => {
  /** The stream of each frame, encoded with options.simd on or off. */
  function encodeAll(frames: { width: number; height: number; data: Uint8Array }[], options: object, simd: boolean): Uint8Array[] {
    const { width, height } = frames[0]!;
    const enc = new H264Encoder(width, height, { ...options, simd });
    expect(enc.simdActive).toBe(simd);
    const out = frames.map((f) => enc.encode({ width, height, format: 'i420', data: f.data }));
    enc.close();
    return out;
  }

  it.each(['realtime', 'balanced', 'quality'] as const)('foreman CIF, %s preset, rate-controlled: byte-identical streams', async (preset) => {
    const seq = await loadSequence('foreman_cif_352x288', 8);
    const frames = seq.frames.map((data) => ({ width: seq.width, height: seq.height, data }));
    const options = { preset, gop: 30, bitrate: 400_000 };
    const withSimd = encodeAll(frames, options, true), without = encodeAll(frames, options, false);
    expect(withSimd.length).toBe(8);
    for (let i = 0; i < 8; i++) expect(Buffer.compare(withSimd[i]!, without[i]!), `frame ${i}`).toBe(0);
  });

  it.each([
    { kind: 'edge-exit' }, { kind: 'pan', direction: 'nw', speed: 7 }, { kind: 'zoom-out' },
  ] as const)('motion off the picture edge ($kind), quality preset at QP 20: byte-identical streams', (spec) => {
    const frames = motionClip(spec, 96, 64, 6);
    const options = { preset: 'quality', qp: 20 };
    const withSimd = encodeAll(frames, options, true), without = encodeAll(frames, options, false);
    for (let i = 0; i < frames.length; i++) expect(Buffer.compare(withSimd[i]!, without[i]!), `frame ${i}`).toBe(0);
  });

  it.each(['balanced', 'realtime'] as const)('Intra_4x4 kernel: intra-only %s encodes at QP 0..51 of real, noisy and flat content: identical streams and reconstructions', async (preset) => {
    // gop 1: every frame an IDR. balanced searches and codes Intra_4x4 in every macroblock (RD),
    // realtime where its SATD wins; both at the picture's edges and corners (availability).
    const seq = await loadSequence('foreman_cif_352x288', 1);
    const w = 80, h = 48, rnd = prng(71);
    const crop = new Uint8Array(w * h * 3 / 2);
    for (let y = 0; y < h; y++) crop.set(seq.frames[0]!.subarray(y * seq.width + 96, y * seq.width + 96 + w), y * w);
    for (let c = 0; c < 2; c++) {
      const plane = seq.frames[0]!.subarray(seq.width * seq.height * (4 + c) / 4);
      for (let y = 0; y < h / 2; y++) crop.set(plane.subarray(y * seq.width / 2 + 48, y * seq.width / 2 + 48 + w / 2), w * h + c * w * h / 4 + y * w / 2);
    }
    const noise = Uint8Array.from({ length: crop.length }, () => rnd() & 255);
    const flat = new Uint8Array(crop.length).fill(17);
    let i4 = 0;
    for (const data of [crop, noise, flat]) {
      for (const qp of [0, 10, 22, 27, 33, 41, 51]) {
        const outs = [true, false].map((simd) => {
          const enc = new H264Encoder(w, h, { preset, qp, gop: 1, simd });
          const bytes = enc.encode({ width: w, height: h, format: 'i420', data });
          const recon = enc.reconstructed().data;
          i4 += simd ? enc.stats().mbI4x4 : 0;
          enc.close();
          return { bytes, recon };
        });
        expect(Buffer.compare(outs[0]!.bytes, outs[1]!.bytes), `QP ${qp}: stream`).toBe(0);
        expect(Buffer.compare(outs[0]!.recon, outs[1]!.recon), `QP ${qp}: reconstruction`).toBe(0);
      }
    }
    expect(i4, 'Intra_4x4 macroblocks chosen').toBeGreaterThan(50);
  });

  it('options.simd must be a boolean', () => {
    expect(() => new H264Encoder(64, 64, { simd: 'yes' as unknown as boolean })).toThrow('options.simd must be true or false, got "yes"');
  });
});

describe('without WebAssembly', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('the encoder falls back to its TypeScript kernels and gives the same stream', async () => {
    const frames = motionClip({ kind: 'pan', direction: 'se', speed: 1.75 }, 64, 48, 4);
    const reference = new H264Encoder(64, 48, { preset: 'balanced', qp: 26 });
    const want = frames.map((f) => reference.encode(f));
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const { H264Encoder: Fresh } = await import('../../encoder/index.js');
    const enc = new Fresh(64, 48, { preset: 'balanced', qp: 26 });
    expect(enc.simdActive).toBe(false);
    frames.forEach((f, i) => expect(Buffer.compare(enc.encode(f), want[i]!), `frame ${i}`).toBe(0));
  });
});
