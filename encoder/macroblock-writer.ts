/**
 * macroblock_layer() for intra macroblocks with CAVLC — 7.3.5, 7.3.5.1, 7.3.5.3. The same code
 * writes into a BitWriter or counts into a BitCounter, so decisions cost exactly what is written.
 */
import type { BitSink, BitWriter } from './common/bitstream.js';
import { writeResidualBlock } from './cavlc.js';
import { CBP_INTER_TO_CODE_NUM, CBP_INTRA_TO_CODE_NUM } from './common/cbp-tables.js';
import { BLK_TO_RASTER, MbKind, type MbState } from './mb-state.js';
import { simdBytes, type SimdKernels } from './simd/kernels.js';

/** Storage for a coding's arrays: a zeroed view in the SIMD kernels' memory (SimdKernels.alloc). */
export type Alloc = (bytes: number) => Uint8Array;
const plainAlloc: Alloc = (bytes) => new Uint8Array(bytes);
const int32s = (alloc: Alloc, n: number): Int32Array => {
  const b = alloc(4 * n);
  return new Int32Array(b.buffer, b.byteOffset, n);
};

/**
 * Bytes of a scratch writer that holds any one macroblock: CAVLC caps a level at 28 bits
 * (level_prefix 15 and a 12-bit suffix), so 27 blocks of coeff_token, 16 levels, total_zeros and
 * run_befores stay under 16 000 bits, and the header under 1000 (32 mvds of at most 25 bits).
 */
export const MB_WRITER_BYTES = 4096;

/**
 * A coded luma choice: Intra_4x4 or Intra_16x16 (or an inter residual), with levels in scan
 * order. With `alloc`, the arrays the SIMD kernels write (modes, levels, nz, recon) live in their
 * memory, so the kernels write them in place.
 */
export class LumaCoding {
  kind: MbKind = MbKind.I16x16;
  mode16 = 0;
  /** Intra4x4PredMode per block (raster) and the predicted mode each was coded against. */
  readonly modes4: Int8Array;
  readonly predModes4: Int8Array;
  /** Levels per 4x4 block (raster r): levels[r * 16 + scanPos]; for Intra_16x16 position 0 is 0. */
  readonly levels: Int32Array;
  /** Intra16x16DCLevel in scan order. */
  readonly dc: Int32Array;
  /** TotalCoeff per block (raster), as CAVLC neighbours will see it. */
  readonly nz: Uint8Array;
  cbp = 0;
  readonly recon: Uint8Array;
  /** recon as 32-bit words, for copies into the picture. */
  readonly reconW: Uint32Array;
  ssd = 0;
  /** The mode search's cost (SATD + lambda * mode bits), for decisions that skip full RD. */
  satdCost = 0;

  /** Bytes of SIMD memory one LumaCoding allocates (with alignment). */
  static readonly SIMD_BYTES = simdBytes(32, 4 * 256, 4 * 16, 16, 256);

  constructor(alloc: Alloc = plainAlloc) {
    const modes = alloc(32);
    this.modes4 = new Int8Array(modes.buffer, modes.byteOffset, 16);
    this.predModes4 = new Int8Array(modes.buffer, modes.byteOffset + 16, 16);
    this.levels = int32s(alloc, 256);
    this.dc = int32s(alloc, 16);
    this.nz = alloc(16);
    this.recon = alloc(256);
    this.reconW = new Uint32Array(this.recon.buffer, this.recon.byteOffset, 64);
  }
}

/** A coded chroma choice (both components). */
export class ChromaCoding {
  mode = 0;
  /** ChromaDCLevel: Cb at 0..3, Cr at 4..7. */
  readonly dc: Int32Array;
  /** ChromaACLevel: index ((c * 4) + blk) * 16 + scanPos (position 0 unused). */
  readonly ac: Int32Array;
  /** TotalCoeff per AC block: Cb 0..3, Cr 4..7 (raster 2x2). */
  readonly nz: Uint8Array;
  cbp = 0;
  /** Reconstructed Cb (0..63) and Cr (64..127), 8x8 each. */
  readonly recon: Uint8Array;
  /** recon as 32-bit words, for copies into the picture. */
  readonly reconW: Uint32Array;
  ssd = 0;

  /** Bytes of SIMD memory one ChromaCoding allocates (with alignment). */
  static readonly SIMD_BYTES = simdBytes(4 * 8, 4 * 128, 8, 128);

  /** As LumaCoding's: with `alloc`, dc, ac, nz and recon live in the SIMD kernels' memory. */
  constructor(alloc: Alloc = plainAlloc) {
    this.dc = int32s(alloc, 8);
    this.ac = int32s(alloc, 128);
    this.nz = alloc(8);
    this.recon = alloc(128);
    this.reconW = new Uint32Array(this.recon.buffer, this.recon.byteOffset, 32);
  }
}

/** A coded inter choice: partitioning, motion vector differences and residual. */
export class InterCoding {
  kind: MbKind = MbKind.P16x16;
  /** sub_mb_type per 8x8 for P_8x8: 0 = 8x8, 1 = 8x4, 2 = 4x8, 3 = 4x4 (Table 7-17). */
  readonly subTypes = new Uint8Array(4);
  /** mvd_l0 in syntax order (partition, then sub-partition); in the SIMD memory with `alloc`. */
  readonly mvdx: Int16Array;
  readonly mvdy: Int16Array;
  numMvd = 0;
  /** The resulting motion vector of every 4x4 block (raster), quarter samples (in the SIMD memory with `alloc`). */
  readonly mvx: Int16Array;
  readonly mvy: Int16Array;
  readonly luma: LumaCoding;
  readonly chroma: ChromaCoding;
  /** Search cost (SATD + lambda * bits) of the motion decision. */
  cost = 0;

  constructor(alloc: Alloc = plainAlloc) {
    const mvx = alloc(32), mvy = alloc(32), mvdx = alloc(32), mvdy = alloc(32);
    this.mvx = new Int16Array(mvx.buffer, mvx.byteOffset, 16);
    this.mvy = new Int16Array(mvy.buffer, mvy.byteOffset, 16);
    this.mvdx = new Int16Array(mvdx.buffer, mvdx.byteOffset, 16);
    this.mvdy = new Int16Array(mvdy.buffer, mvdy.byteOffset, 16);
    this.luma = new LumaCoding(alloc);
    this.chroma = new ChromaCoding(alloc);
  }

  /** Bytes of SIMD memory one InterCoding allocates (with alignment). */
  static readonly SIMD_BYTES = simdBytes(32, 32, 32, 32) + LumaCoding.SIMD_BYTES + ChromaCoding.SIMD_BYTES;
}

/** Neighbour context for one macroblock: where it is and what its neighbours hold. */
export interface MbPosition {
  mb: number;
  mbx: number;
  mby: number;
  /** mb_qp_delta the macroblock sends if its syntax has one (QP_Y - QP_Y,PRED, 7.4.5). */
  qpDelta: number;
}

/** nC for a luma block at (x4, y4) — 9.2.1, with blocks of the current macroblock in `own`. */
export function lumaNc(state: MbState, pos: MbPosition, own: Uint8Array, x4: number, y4: number): number {
  let nA = -1, nB = -1;
  if (x4 > 0) nA = own[y4 * 4 + x4 - 1]!;
  else if (pos.mbx > 0) nA = state.nzLuma[(pos.mb - 1) * 16 + y4 * 4 + 3]!;
  if (y4 > 0) nB = own[(y4 - 1) * 4 + x4]!;
  else if (pos.mby > 0) nB = state.nzLuma[(pos.mb - state.mbWidth) * 16 + 12 + x4]!;
  return combineNc(nA, nB);
}

function chromaNc(state: MbState, pos: MbPosition, own: Uint8Array, c: number, x2: number, y2: number): number {
  const nz = c === 0 ? state.nzCb : state.nzCr;
  let nA = -1, nB = -1;
  if (x2 > 0) nA = own[c * 4 + y2 * 2]!;
  else if (pos.mbx > 0) nA = nz[(pos.mb - 1) * 4 + y2 * 2 + 1]!;
  if (y2 > 0) nB = own[c * 4 + x2]!;
  else if (pos.mby > 0) nB = nz[(pos.mb - state.mbWidth) * 4 + 2 + x2]!;
  return combineNc(nA, nB);
}

/** 9.2.1: nC = (nA + nB + 1) >> 1 when both are available, else the available one, else 0. */
function combineNc(nA: number, nB: number): number {
  if (nA >= 0 && nB >= 0) return (nA + nB + 1) >> 1;
  if (nA >= 0) return nA;
  if (nB >= 0) return nB;
  return 0;
}

/**
 * Writes an I_NxN or Intra_16x16 macroblock. `mbTypeOffset` is 0 in I slices and 5 in P slices
 * (Table 7-11 follows Table 7-13 there). Returns false when a level is not representable. With
 * `simd`, w is a BitWriter over the kernels' memory and the codings' arrays and the MbState's lie
 * there too: the kernels intraHeader and cavlcResidual write it.
 */
export function writeIntraMb(
  w: BitSink, state: MbState, pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding, mbTypeOffset: number,
  simd: SimdKernels | null = null,
): boolean {
  const i16 = luma.kind === MbKind.I16x16;
  if (simd !== null) {
    const bw = w as BitWriter;
    bw.advanceTo(simd.k.intraHeader(bw.buffer.byteOffset, bw.bitLength, luma.kind, mbTypeOffset, luma.mode16, luma.cbp | (chroma.cbp << 4),
      chroma.mode, luma.modes4.byteOffset, luma.predModes4.byteOffset, pos.qpDelta, simd.cavlcTables));
    return writeResidual(w, state, pos, luma, chroma, i16, simd);
  }
  if (i16) {
    // Table 7-11: 1 + predMode + 4 * CodedBlockPatternChroma + 12 * (CodedBlockPatternLuma ? 1 : 0)
    w.ue(mbTypeOffset + 1 + luma.mode16 + 4 * chroma.cbp + (luma.cbp ? 12 : 0)); // mb_type
  } else {
    w.ue(mbTypeOffset); // mb_type I_NxN
    for (let i = 0; i < 16; i++) {
      const r = BLK_TO_RASTER[i]!;
      const mode = luma.modes4[r]!, pred = luma.predModes4[r]!;
      if (mode === pred) {
        w.u(1, 1); // prev_intra4x4_pred_mode_flag
      } else {
        w.u(1, 0);
        w.u(3, mode < pred ? mode : mode - 1); // rem_intra4x4_pred_mode
      }
    }
  }
  w.ue(chroma.mode); // intra_chroma_pred_mode
  const cbp = luma.cbp | (chroma.cbp << 4);
  if (!i16) w.ue(CBP_INTRA_TO_CODE_NUM[cbp]!); // coded_block_pattern, me(v) — Table 9-4
  if (i16 || cbp !== 0) w.se(pos.qpDelta); // mb_qp_delta
  return writeResidual(w, state, pos, luma, chroma, i16, simd);
}

/**
 * A P macroblock other than P_Skip — 7.3.5, mb_pred() 7.3.5.1, sub_mb_pred() 7.3.5.2. With one
 * reference picture, ref_idx_l0 is absent (num_ref_idx_l0_active_minus1 = 0). Returns false when
 * a level is not representable. `simd` as writeIntraMb's.
 */
export function writeInterMb(w: BitSink, state: MbState, pos: MbPosition, c: InterCoding, simd: SimdKernels | null = null): boolean {
  w.ue(c.kind - MbKind.P16x16); // mb_type: P_L0_16x16 0, P_L0_L0_16x8 1, P_L0_L0_8x16 2, P_8x8 3 (Table 7-13)
  if (c.kind === MbKind.P8x8) {
    for (let i = 0; i < 4; i++) w.ue(c.subTypes[i]!); // sub_mb_type
  }
  for (let i = 0; i < c.numMvd; i++) {
    w.se(c.mvdx[i]!); // mvd_l0[][][0]
    w.se(c.mvdy[i]!); // mvd_l0[][][1]
  }
  const cbp = c.luma.cbp | (c.chroma.cbp << 4);
  w.ue(CBP_INTER_TO_CODE_NUM[cbp]!); // coded_block_pattern, me(v) — Table 9-4 (Inter)
  if (cbp === 0) return true;
  w.se(pos.qpDelta); // mb_qp_delta
  return writeResidual(w, state, pos, c.luma, c.chroma, false, simd);
}

/** residual( 0, 15 ) — 7.3.5.3 with residual_luma() for CAVLC. */
function writeResidual(
  w: BitSink, state: MbState, pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding, i16: boolean, simd: SimdKernels | null,
): boolean {
  if (simd !== null) {
    // The same in one kernel call, which finds the neighbours' TotalCoeffs in the MbState.
    const bw = w as BitWriter;
    const bits = simd.k.cavlcResidual(bw.buffer.byteOffset, bw.bitLength, luma.levels.byteOffset, luma.dc.byteOffset, luma.nz.byteOffset,
      luma.cbp | (chroma.cbp << 4), i16 ? 1 : 0, chroma.dc.byteOffset, chroma.ac.byteOffset, chroma.nz.byteOffset,
      simd.describeState(state), pos.mb, pos.mbx, pos.mby, simd.cavlcTables);
    if (bits < 0) {
      bw.clearTail(); // it wrote some blocks before the one it refused
      return false;
    }
    bw.advanceTo(bits);
    return true;
  }
  if (i16) {
    // Intra16x16DCLevel: nC of luma4x4BlkIdx 0 (9.2.1)
    if (writeResidualBlock(w, luma.dc, 0, 16, lumaNc(state, pos, luma.nz, 0, 0)) < 0) return false;
  }
  for (let i8 = 0; i8 < 4; i8++) {
    if ((luma.cbp & (1 << i8)) === 0) continue;
    for (let i4 = 0; i4 < 4; i4++) {
      const r = BLK_TO_RASTER[i8 * 4 + i4]!;
      const nC = lumaNc(state, pos, luma.nz, r & 3, r >> 2);
      const ok = i16
        ? writeResidualBlock(w, luma.levels, r * 16 + 1, 15, nC) // Intra16x16ACLevel
        : writeResidualBlock(w, luma.levels, r * 16, 16, nC); // LumaLevel4x4
      if (ok < 0) return false;
    }
  }
  if (chroma.cbp & 3) {
    for (let c = 0; c < 2; c++) {
      if (writeResidualBlock(w, chroma.dc, c * 4, 4, -1) < 0) return false; // ChromaDCLevel, nC = -1
    }
  }
  if (chroma.cbp & 2) {
    for (let c = 0; c < 2; c++) {
      for (let blk = 0; blk < 4; blk++) {
        const nC = chromaNc(state, pos, chroma.nz, c, blk & 1, blk >> 1);
        if (writeResidualBlock(w, chroma.ac, (c * 4 + blk) * 16 + 1, 15, nC) < 0) return false; // ChromaACLevel
      }
    }
  }
  return true;
}
