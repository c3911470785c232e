/**
 * Inter macroblock analysis and coding for P slices: P_Skip, P_L0_16x16, P_L0_L0_16x8,
 * P_L0_L0_8x16 and P_8x8 (with 8x8, 8x4, 4x8 and 4x4 sub-partitions), one reference picture.
 *
 * Motion search per partition: the predicted vector, its neighbours' and the co-located vector of
 * the previous frame and zero as starting points (SAD + lambda * mvd bits), a hexagon (or, in the
 * quality preset, an uneven multi-hexagon) integer search, then half- and quarter-sample
 * refinement by SATD. Partition modes are compared by SATD cost; the best is then coded and set
 * against P_Skip by J = SSD + lambda2 * bits with exact CAVLC bit counts (intra is compared by the
 * caller the same way).
 */
import { BitWriter, seBits, ueBits } from './common/bitstream.js';
import { predictMv, predictSkipMv, MvShape, type MotionVector } from './common/mv-pred.js';
import type { Picture } from './common/picture.js';
import { interpolateHalfPlanes, lumaSources, predictChroma as mcChroma, predictLumaFromPlanes, type LumaSources } from './common/interpolate.js';
import { LUMA_PAD, PaddedPlane } from './common/padded-plane.js';
import { satd4x4Avg, satd4x4Px } from './common/transform.js';
import type { QpParams } from './intra.js';
import { InterCoding, MB_WRITER_BYTES, writeInterMb, type MbPosition } from './macroblock-writer.js';
import { MbKind, type MbState } from './mb-state.js';
import { chromaResidualVanishes, codeChromaResidual, codeLumaResidual, deadZoneBias, lumaResidualVanishes } from './residual.js';
import { SKIP_CTX_FIELDS, SKIP_SSD_MASK, SKIP_VANISHES, STATE_DESC_FIELDS, simdBytes, type Kernels, type SimdKernels } from './simd/kernels.js';
import { setInterBs } from './common/deblock.js';

/** The inter search a preset selects (presets are data: encoder/presets.ts). */
export interface InterSearch {
  /** Partitionings tried: 16x16 only; also 16x8, 8x16 and 8x8; or also sub-8x8. */
  partitions: 'p16x16' | 'p8x8' | 'sub8x8';
  /** Integer search: hexagon, or an uneven multi-hexagon (x264's UMH idea) for wide motion. */
  method: 'hex' | 'umh';
  /** Integer search range in full samples around the best starting point. */
  range: number;
  /** Sub-sample refinement: 1 = half samples, 2 = half then quarter samples. */
  subpel: 1 | 2;
  /**
   * Sub-sample candidates around the best: 'diamond' the 4 direct neighbours, repeated while it
   * improves (at most twice per step, x264's pattern); 'square' all 8 neighbours once.
   */
  subpelPattern: 'diamond' | 'square';
  /** Decide P_Skip before motion search when its residual quantises to nothing. */
  earlySkip: boolean;
}

/** Inter dead zone: a sixth of a step (JM, x264 without trellis). */
const INTER_DEAD_ZONE = 1 / 6;
/** At most six starting points per partition (searchPartition); the search state ends with them. */
const MAX_STARTS = 6;
const SEARCH_STATE_BYTES = 32 + 4 * (1 + 2 * MAX_STARTS);
/** Spec limit on a coded macroblock (A.3.1: 128 + RawMbBits = 3200 for 8-bit 4:2:0). */
const MAX_MB_BITS = 3200;
/** Motion vectors keep blocks this many samples inside the reference's padding (6-tap reach). */
const PAD_MARGIN = 8;

/** Partition rectangles in 4x4 units: x4, y4, w4, h4, prediction shape. */
const MODE_PARTS: Record<number, number[][]> = {
  [MbKind.P16x16]: [[0, 0, 4, 4, MvShape.Generic]],
  [MbKind.P16x8]: [[0, 0, 4, 2, MvShape.Upper16x8], [0, 2, 4, 2, MvShape.Lower16x8]],
  [MbKind.P8x16]: [[0, 0, 2, 4, MvShape.Left8x16], [2, 0, 2, 4, MvShape.Right8x16]],
};
/** Sub-partitions of an 8x8 by sub_mb_type (Table 7-17), offsets in 4x4 units. */
const SUB_PARTS = [
  [[0, 0, 2, 2]],
  [[0, 0, 2, 1], [0, 1, 2, 1]],
  [[0, 0, 1, 2], [1, 0, 1, 2]],
  [[0, 0, 1, 1], [1, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]],
];
const HEX = [[-2, 0], [-1, -2], [1, -2], [2, 0], [1, 2], [-1, 2]];
const SQUARE = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]];
const DIAMOND = [[0, -1], [-1, 0], [1, 0], [0, 1]];

export class InterCoder {
  private refY!: PaddedPlane;
  /** Half-sample planes of the reference (b, h and j of 8.4.2.2.1), made once per reference. */
  private readonly halfH: PaddedPlane;
  private readonly halfV: PaddedPlane;
  private readonly halfHV: PaddedPlane;
  private refU!: PaddedPlane;
  private refV!: PaddedPlane;
  private prevMvx!: Int16Array;
  private prevMvy!: Int16Array;
  /** Vertical vector range of the level (Table A-1 MaxVmvR), in quarter samples. */
  private readonly maxVmv: number;

  /** The macroblock's luma source, stride 16 (in the SIMD kernels' memory when they run). */
  private readonly src16: Uint8Array;
  private readonly srcC: Uint8Array;
  private readonly src16w: Uint32Array;
  private readonly srcCw: Uint32Array;
  private readonly pred16: Uint8Array;
  private readonly predC: Uint8Array;
  private readonly skipPred16: Uint8Array;
  private readonly skipPredC: Uint8Array;
  private readonly skipPred16w: Uint32Array;
  private readonly skipPredCw: Uint32Array;
  private readonly mp: MotionVector = { x: 0, y: 0 };
  /** Where the prediction of the candidate satdCost is weighing lies in the reference planes. */
  private readonly sources: LumaSources;
  private readonly skipMv: MotionVector = { x: 0, y: 0 };
  /** Codings of the partition modes, the sub-partition trial and P_Skip (in the kernels' memory when they run). */
  private readonly candidates: InterCoding[];
  private readonly subTrial: InterCoding;
  private readonly skipCoding: InterCoding;
  /** The coded candidate's macroblock (in the kernels' memory when they run: cavlcResidual writes there). */
  private readonly writer: BitWriter;
  private best: InterCoding | null = null;
  /** coded_block_pattern (luma | chroma << 4) of the last committed macroblock (0 for P_Skip). */
  committedCbp = 0;
  private bestIsSkip = false;
  private earlyDecision = false;
  private lastSearchCost = Infinity;
  /** The SIMD kernels, or null for the TypeScript ones; with them, addresses of what they read. */
  private readonly kernels: Kernels | null;
  private readonly simd: SimdKernels | null;
  private readonly src16Addr: number;
  private readonly tmpAddr: number;
  /** The search kernels' best (cost as f64 at 0, x and y as i32 at 8 and 12) and scratch, in the kernels' memory. */
  private readonly searchState: Int32Array;
  /** The starting points of a partition's search: their count, then (x, y) pairs in full samples. */
  private readonly starts: Int32Array;
  /** commitInter's descriptor of the MbState (STATE_DESC_FIELDS) and 16 zero bytes (P_Skip's TotalCoeffs); 0 without SIMD. */
  private readonly stateDesc: number;
  private readonly zeros: number;
  /** skipMacroblock's context (SKIP_CTX_FIELDS), in the kernels' memory; setReference fills it. */
  private readonly skipCtx: Int32Array;
  private readonly skipCtxAddr: number;
  private readonly searchCost64: Float64Array;

  /**
   * Bytes of SIMD memory an InterCoder for a width x height picture allocates: the three
   * half-sample planes, the source and prediction buffers, a row of intermediates, the search
   * state and six codings (the constructor's allocations, in order; the source buffers only when
   * it is not given a `source` to share, so this is at most 384 bytes more than it takes).
   */
  static simdBytes(width: number, height: number): number {
    const plane = PaddedPlane.bytes(width, height, LUMA_PAD);
    return simdBytes(plane, plane, plane, 256, 256, 256, 128, 128, 128, 2 * (width + 2 * LUMA_PAD), SEARCH_STATE_BYTES, 4 * STATE_DESC_FIELDS.length, 16,
      4 * SKIP_CTX_FIELDS.length)
      + 6 * InterCoding.SIMD_BYTES + simdBytes(MB_WRITER_BYTES);
  }

  constructor(
    private readonly src: Picture,
    private readonly recon: Picture,
    private readonly state: MbState,
    private readonly search: InterSearch,
    levelIdc: number,
    simd: SimdKernels | null = null,
    source: { src16: Uint8Array; srcC: Uint8Array } | null = null,
  ) {
    // Table A-1 MaxVmvR: [-64, 63.75] at level 1, [-128, 127.75] from 1.1 to 2, [-256, 255.75]
    // from 2.1 to 3, [-512, 511.75] from 3.1.
    const range = levelIdc <= 10 ? 64 : levelIdc <= 20 ? 128 : levelIdc <= 30 ? 256 : 512;
    this.maxVmv = range * 4;
    const planeBytes = PaddedPlane.bytes(src.width, src.height, LUMA_PAD);
    this.halfH = new PaddedPlane(src.width, src.height, LUMA_PAD, simd?.alloc(planeBytes));
    this.halfV = new PaddedPlane(src.width, src.height, LUMA_PAD, simd?.alloc(planeBytes));
    this.halfHV = new PaddedPlane(src.width, src.height, LUMA_PAD, simd?.alloc(planeBytes));
    this.simd = simd;
    const alloc = (n: number): Uint8Array => (simd === null ? new Uint8Array(n) : simd.alloc(n));
    this.src16 = source?.src16 ?? alloc(256);
    this.pred16 = alloc(256);
    this.skipPred16 = alloc(256);
    this.skipPred16w = new Uint32Array(this.skipPred16.buffer, this.skipPred16.byteOffset, 64);
    this.srcC = source?.srcC ?? alloc(128);
    this.srcCw = new Uint32Array(this.srcC.buffer, this.srcC.byteOffset, 32);
    this.predC = alloc(128);
    this.skipPredC = alloc(128);
    this.skipPredCw = new Uint32Array(this.skipPredC.buffer, this.skipPredC.byteOffset, 32);
    this.src16w = new Uint32Array(this.src16.buffer, this.src16.byteOffset, 64);
    this.kernels = simd === null ? null : simd.k;
    this.src16Addr = this.src16.byteOffset;
    this.tmpAddr = simd === null ? 0 : simd.alloc(2 * this.halfH.stride).byteOffset;
    const codingAlloc = simd === null ? undefined : alloc;
    this.candidates = [0, 1, 2, 3].map(() => new InterCoding(codingAlloc));
    this.subTrial = new InterCoding(codingAlloc);
    this.skipCoding = new InterCoding(codingAlloc);
    // The kernels' search state: cost (f64), x, y; subpelSearch's four plane addresses; from byte
    // 32 motionSearch's starting points (their count, then x, y pairs).
    const best = alloc(SEARCH_STATE_BYTES);
    this.searchState = new Int32Array(best.buffer, best.byteOffset, 8);
    this.searchCost64 = new Float64Array(best.buffer, best.byteOffset, 1);
    this.starts = new Int32Array(best.buffer, best.byteOffset + 32, 1 + 2 * MAX_STARTS);
    this.sources = { a: this.halfH, ao: 0, b: null, bo: 0 };
    this.stateDesc = 0;
    this.zeros = 0;
    this.writer = simd === null ? new BitWriter(1024) : new BitWriter(0, simd.alloc(MB_WRITER_BYTES));
    if (simd !== null) {
      this.stateDesc = simd.describeState(state);
      this.zeros = simd.alloc(16).byteOffset;
    }
    const ctx = alloc(4 * SKIP_CTX_FIELDS.length);
    this.skipCtx = new Int32Array(ctx.buffer, ctx.byteOffset, SKIP_CTX_FIELDS.length);
    this.skipCtxAddr = ctx.byteOffset;
  }

  /** Call after the reference picture changed: derives its half-sample planes. */
  prepareReference(): void {
    const k = this.kernels, ref = this.refY;
    if (k === null) interpolateHalfPlanes(ref, this.halfH, this.halfV, this.halfHV);
    else k.halfPlanes(ref.data.byteOffset, this.halfH.data.byteOffset, this.halfV.data.byteOffset, this.halfHV.data.byteOffset, ref.stride, ref.height + 2 * ref.pad, this.tmpAddr);
  }

  /** Luma prediction of a block from the reference planes (bit-exact with 8.4.2.2.1). */
  private mcLuma(x: number, y: number, mvx: number, mvy: number, w: number, h: number, dst: Uint8Array, dstOffset: number, dstStride: number): void {
    const k = this.kernels;
    if (k === null) {
      predictLumaFromPlanes(this.refY, this.halfH, this.halfV, this.halfHV, x, y, mvx, mvy, w, h, dst, dstOffset, dstStride);
      return;
    }
    // The same sources predictLumaFromPlanes reads; a copy is the average of a plane with itself.
    const ls = this.sources;
    lumaSources(this.refY, this.halfH, this.halfV, this.halfHV, x, y, mvx, mvy, ls);
    const a = ls.a.data.byteOffset + ls.ao;
    k.avgBlock(a, ls.b === null ? a : ls.b.data.byteOffset + ls.bo, this.refY.stride, dst.byteOffset + dstOffset, dstStride, w, h);
  }

  /**
   * Chroma prediction of a block (8.4.2.2.2): 8-wide blocks by the SIMD kernel, with 8-266's
   * weights of the vector's fraction; narrower ones, and all without kernels, by predictChroma.
   */
  private mcChroma(ref: PaddedPlane, x: number, y: number, mvx: number, mvy: number, w: number, h: number, dst: Uint8Array, dstOffset: number): void {
    const k = this.kernels;
    if (k === null || w !== 8) {
      mcChroma(ref, x, y, mvx, mvy, w, h, dst, dstOffset, 8);
      return;
    }
    const xf = mvx & 7, yf = mvy & 7, s = ref.data.byteOffset + ref.origin + (y + (mvy >> 3)) * ref.stride + x + (mvx >> 3);
    k.chroma8(s, ref.stride, dst.byteOffset + dstOffset, 8, h, (8 - xf) * (8 - yf), xf * (8 - yf), (8 - xf) * yf, xf * yf);
  }

  /**
   * The reference picture (deblocked, padded) and the previous frame's vectors. With SIMD kernels
   * the three planes must lie in their memory (SimdKernels.alloc).
   */
  setReference(y: PaddedPlane, u: PaddedPlane, v: PaddedPlane, prevMvx: Int16Array, prevMvy: Int16Array): void {
    this.refY = y;
    this.refU = u;
    this.refV = v;
    this.prevMvx = prevMvx;
    this.prevMvy = prevMvy;
    const simd = this.simd;
    if (simd === null) return;
    // skipMacroblock's context: every address it needs (SKIP_CTX_FIELDS).
    const { src, recon, skipCoding } = this, p16 = this.candidates[0]!;
    const at = (p: PaddedPlane): number => p.data.byteOffset + p.origin;
    const fields: Record<typeof SKIP_CTX_FIELDS[number], number> = {
      srcY: src.y.byteOffset, srcU: src.u.byteOffset, srcV: src.v.byteOffset, srcStrideY: src.strideY, srcStrideC: src.strideC,
      src16: this.src16.byteOffset, srcC: this.srcC.byteOffset,
      refF: at(y), refH: at(this.halfH), refV: at(this.halfV), refHV: at(this.halfHV), refStride: y.stride,
      refU: at(u), refV2: at(v), refStrideC: u.stride,
      pred: this.skipPred16.byteOffset, predC: this.skipPredC.byteOffset, mvx: skipCoding.mvx.byteOffset, mvy: skipCoding.mvy.byteOffset,
      table: simd.quantTable, coef: simd.coef.byteOffset, levels: simd.levels.byteOffset, nz: simd.nz.byteOffset, subpel: simd.subpelTable,
      desc: this.stateDesc, recY: recon.y.byteOffset, recU: recon.u.byteOffset, recV: recon.v.byteOffset,
      recStrideY: recon.strideY, recStrideC: recon.strideC, zeros: this.zeros,
      search: this.searchState.byteOffset, reach: y.pad - PAD_MARGIN, width: y.width, height: y.height, maxVmv: this.maxVmv,
      range: this.search.range, square: this.search.subpelPattern === 'square' ? 1 : 0, quarter: this.search.subpel === 2 ? 1 : 0,
      interPred: this.pred16.byteOffset, interPredC: this.predC.byteOffset, p16Levels: p16.luma.levels.byteOffset,
      p16Nz: p16.luma.nz.byteOffset, p16Recon: p16.luma.recon.byteOffset, p16Dc: p16.chroma.dc.byteOffset, p16Ac: p16.chroma.ac.byteOffset,
      p16NzC: p16.chroma.nz.byteOffset, p16ReconC: p16.chroma.recon.byteOffset, result: simd.interResult.byteOffset,
      mbBuf: this.writer.buffer.byteOffset, cavlc: simd.cavlcTables,
    };
    SKIP_CTX_FIELDS.forEach((name, i) => {
      this.skipCtx[i] = fields[name];
    });
  }

  /** Analyses the macroblock; returns the best inter J (P_Skip included) and remembers it. */
  analyse(pos: MbPosition, p: QpParams): number {
    this.earlyDecision = false;
    this.lastSearchCost = Infinity;
    const { state } = this;
    const skip = this.skipCoding;
    skip.kind = MbKind.PSkip;
    // The source, P_Skip's vector, prediction and J; with earlySkip, P_Skip straight away when
    // coding the residual would send nothing anyway (x264's early skip). With the kernels all of
    // it is one call, which then also commits the P_Skip.
    const simd = this.simd, earlySkip = this.search.earlySkip;
    let jSkip: number, vanishes: boolean;
    if (simd !== null) {
      const qp = p.qp, qpc = p.qpc, q6 = (qp / 6) | 0, q6c = (qpc / 6) | 0;
      const found = simd.k.skipMacroblock(this.skipCtxAddr, pos.mb, pos.mbx, pos.mby, qp - 6 * q6, q6, deadZoneBias(qp, INTER_DEAD_ZONE),
        qpc - 6 * q6c, q6c, deadZoneBias(qpc, INTER_DEAD_ZONE), earlySkip ? 1 : 0);
      jSkip = (found & SKIP_SSD_MASK) + p.lambda2;
      vanishes = (found & SKIP_VANISHES) !== 0;
    } else {
      this.loadSource(pos);
      predictSkipMv(state, pos.mb, pos.mbx, pos.mby, skip, this.skipMv);
      const smx = this.skipMv.x, smy = this.skipMv.y, sx = skip.mvx, sy = skip.mvy;
      for (let i = 0; i < 16; i++) {
        sx[i] = smx;
        sy[i] = smy;
      }
      this.motionCompensate(pos, skip, this.skipPred16, this.skipPredC);
      jSkip = ssd(this.src16, this.skipPred16, 256) + ssd(this.srcC, this.skipPredC, 128) + p.lambda2;
      vanishes = earlySkip && lumaResidualVanishes(this.src16, this.skipPred16, p.qp, INTER_DEAD_ZONE)
        && chromaResidualVanishes(this.srcC, this.skipPredC, p.qpc, INTER_DEAD_ZONE);
    }
    if (vanishes) {
      this.earlyDecision = true;
      return this.remember(skip, true, jSkip);
    }

    // Motion search by partitioning; SATD costs decide the partitioning.
    let best = this.searchMode(pos, p, MbKind.P16x16, this.candidates[0]!);
    if (this.search.partitions !== 'p16x16') {
      const c8 = this.searchP8x8(pos, p, this.candidates[1]!);
      if (c8.cost < best.cost) {
        best = c8;
        const c168 = this.searchMode(pos, p, MbKind.P16x8, this.candidates[2]!);
        if (c168.cost < best.cost) best = c168;
        const c816 = this.searchMode(pos, p, MbKind.P8x16, this.candidates[3]!);
        if (c816.cost < best.cost) best = c816;
      }
    }

    this.lastSearchCost = best.cost;
    // Code the winner and set it against P_Skip.
    const { luma, chroma } = best;
    const w = this.writer;
    w.reset();
    let ok: boolean;
    if (simd !== null && best === this.candidates[0]) {
      // P_L0_16x16: prediction, residual and the macroblock's bits in one call (codeP16Source).
      const qp = p.qp, qpc = p.qpc, q6 = (qp / 6) | 0, q6c = (qpc / 6) | 0;
      const bits = simd.k.codeP16(this.skipCtxAddr, pos.mb, pos.mbx, pos.mby, best.mvx[0]!, best.mvy[0]!, best.mvdx[0]!, best.mvdy[0]!,
        qp - 6 * q6, q6, deadZoneBias(qp, INTER_DEAD_ZONE), qpc - 6 * q6c, q6c, deadZoneBias(qpc, INTER_DEAD_ZONE), pos.qpDelta);
      const res = simd.interResult;
      luma.ssd = res[0]!; luma.cbp = res[1]!; chroma.ssd = res[2]!; chroma.cbp = res[3]!;
      if (bits < 0) w.clearTail();
      else w.advanceTo(bits);
      ok = bits >= 0 && bits <= MAX_MB_BITS;
    } else {
      this.motionCompensate(pos, best, this.pred16, this.predC);
      if (simd !== null) {
        simd.codeInter(this.src16, this.srcC, this.pred16, this.predC, p.qp, deadZoneBias(p.qp, INTER_DEAD_ZONE), p.qpc,
          deadZoneBias(p.qpc, INTER_DEAD_ZONE), luma.levels, luma.nz, luma.recon, chroma.dc, chroma.ac, chroma.nz, chroma.recon);
        const res = simd.interResult;
        luma.ssd = res[0]!; luma.cbp = res[1]!; chroma.ssd = res[2]!; chroma.cbp = res[3]!;
      } else {
        codeLumaResidual(this.src16, this.pred16, p.qp, INTER_DEAD_ZONE, true, luma);
        codeChromaResidual(this.srcC, this.predC, 0, this.predC, 64, p.qpc, INTER_DEAD_ZONE, chroma);
      }
      ok = writeInterMb(w, state, pos, best, simd) && w.bitLength <= MAX_MB_BITS;
    }
    const jInter = ok ? best.luma.ssd + best.chroma.ssd + p.lambda2 * (w.bitLength + ueBits(0)) : Infinity;
    return jInter < jSkip ? this.remember(best, false, jInter) : this.remember(skip, true, jSkip);
  }

  /** SATD-domain cost of the best partitioning the last analyse() searched (Infinity if none). */
  get searchCost(): number {
    return this.lastSearchCost;
  }

  /** True when analyse() settled on P_Skip before motion search (nothing else worth comparing). */
  get decidedEarly(): boolean {
    return this.earlyDecision;
  }

  /** True when the remembered choice is P_Skip (nothing is written for it: the caller counts it in mb_skip_run). */
  get bestIsPSkip(): boolean {
    return this.bestIsSkip;
  }

  /**
   * Writes the remembered choice (nothing for P_Skip) and commits reconstruction and state, the
   * macroblock's boundary strengths included (setInterBs).
   */
  commitBest(out: BitWriter, pos: MbPosition): MbKind {
    const c = this.best!;
    const { recon, state } = this;
    this.committedCbp = this.bestIsSkip ? 0 : c.luma.cbp | (c.chroma.cbp << 4);
    const simd = this.simd;
    if (simd !== null) {
      if (this.earlyDecision) return MbKind.PSkip; // skipMacroblock committed its early P_Skip
      // commitInterSource: the same, in one call. P_Skip has no coefficients (TotalCoeff 0).
      if (!this.bestIsSkip) out.append(this.writer);
      const skip = this.bestIsSkip, oy = pos.mby * 16 * recon.strideY + pos.mbx * 16, oc = pos.mby * 8 * recon.strideC + pos.mbx * 8;
      simd.k.commitInter(this.stateDesc, pos.mb, pos.mbx, pos.mby, c.kind,
        skip ? this.skipPred16.byteOffset : c.luma.recon.byteOffset, skip ? this.skipPredC.byteOffset : c.chroma.recon.byteOffset,
        skip ? this.zeros : c.luma.nz.byteOffset, skip ? this.zeros : c.chroma.nz.byteOffset, c.mvx.byteOffset, c.mvy.byteOffset,
        recon.y.byteOffset + oy, recon.u.byteOffset + oc, recon.v.byteOffset + oc, recon.strideY, recon.strideC);
      return c.kind;
    }
    const mb = pos.mb, q = mb * 16, q4 = mb * 4;
    // Plain loops over the 16 (or 4) entries: cheaper than typed-array fill() and set() at this size.
    const nzLuma = state.nzLuma, nzCb = state.nzCb, nzCr = state.nzCr;
    if (this.bestIsSkip) {
      recon.storeMacroblock(pos.mbx, pos.mby, this.skipPred16w, this.skipPredCw);
      for (let i = 0; i < 16; i++) nzLuma[q + i] = 0;
      for (let i = 0; i < 4; i++) {
        nzCb[q4 + i] = 0;
        nzCr[q4 + i] = 0;
      }
    } else {
      out.append(this.writer);
      recon.storeMacroblock(pos.mbx, pos.mby, c.luma.reconW, c.chroma.reconW);
      const nz = c.luma.nz, nzC = c.chroma.nz;
      for (let i = 0; i < 16; i++) nzLuma[q + i] = nz[i]!;
      for (let i = 0; i < 4; i++) {
        nzCb[q4 + i] = nzC[i]!;
        nzCr[q4 + i] = nzC[4 + i]!;
      }
    }
    state.kind[mb] = c.kind;
    const i4Mode = state.i4Mode, mvx = state.mvx, mvy = state.mvy, ref = state.ref, cx = c.mvx, cy = c.mvy;
    for (let i = 0; i < 16; i++) {
      i4Mode[q + i] = 2; // 8.3.1.1: not Intra_4x4 -> DC for prediction
      mvx[q + i] = cx[i]!;
      mvy[q + i] = cy[i]!;
      ref[q + i] = 0;
    }
    setInterBs(state, mb, pos.mbx, pos.mby);
    return c.kind;
  }

  private remember(c: InterCoding, isSkip: boolean, j: number): number {
    this.best = c;
    this.bestIsSkip = isSkip;
    return j;
  }

  /** Copies the macroblock's source samples (luma 16x16, Cb and Cr 8x8 packed). */
  private loadSource(pos: MbPosition): void {
    if (this.simd !== null) this.simd.loadMacroblock(this.src, pos.mbx, pos.mby, this.src16, this.srcC);
    else this.src.copyMacroblock(pos.mbx, pos.mby, this.src16w, this.srcCw);
  }

  /** Predicts the whole macroblock from the coding's per-block vectors (8.4.2.2). */
  private motionCompensate(pos: MbPosition, c: InterCoding, dstY: Uint8Array, dstC: Uint8Array): void {
    const x0 = pos.mbx * 16, y0 = pos.mby * 16;
    // Every 4x4 block separately would be correct but slow: predict by partition rectangles.
    const rects = this.rects, n = this.partitionRects(c);
    for (let i = 0; i < n; i++) {
      const x4 = rects[i * 4]!, y4 = rects[i * 4 + 1]!, w4 = rects[i * 4 + 2]!, h4 = rects[i * 4 + 3]!;
      const r = y4 * 4 + x4;
      const mvx = c.mvx[r]!, mvy = c.mvy[r]!;
      this.mcLuma(x0 + x4 * 4, y0 + y4 * 4, mvx, mvy, w4 * 4, h4 * 4, dstY, y4 * 64 + x4 * 4, 16);
      this.mcChroma(this.refU, (x0 >> 1) + x4 * 2, (y0 >> 1) + y4 * 2, mvx, mvy, w4 * 2, h4 * 2, dstC, y4 * 16 + x4 * 2);
      this.mcChroma(this.refV, (x0 >> 1) + x4 * 2, (y0 >> 1) + y4 * 2, mvx, mvy, w4 * 2, h4 * 2, dstC, 64 + y4 * 16 + x4 * 2);
    }
  }

  /** Partition rectangles (x4, y4, w4, h4 in 4x4 units) of the coding, at most 16. */
  private readonly rects = new Uint8Array(64);

  private addRect(n: number, x4: number, y4: number, w4: number, h4: number): number {
    const r = this.rects;
    r[n * 4] = x4; r[n * 4 + 1] = y4; r[n * 4 + 2] = w4; r[n * 4 + 3] = h4;
    return n + 1;
  }

  /** Fills `rects` with the coding's partition rectangles; returns how many. */
  private partitionRects(c: InterCoding): number {
    let n = 0;
    if (c.kind === MbKind.P8x8) {
      for (let i = 0; i < 4; i++) {
        const bx = (i & 1) * 2, by = (i >> 1) * 2;
        const parts = SUB_PARTS[c.subTypes[i]!]!;
        for (let k = 0; k < parts.length; k++) n = this.addRect(n, bx + parts[k]![0]!, by + parts[k]![1]!, parts[k]![2]!, parts[k]![3]!);
      }
    } else if (c.kind === MbKind.PSkip) {
      n = this.addRect(n, 0, 0, 4, 4);
    } else {
      const parts = MODE_PARTS[c.kind]!;
      for (let k = 0; k < parts.length; k++) n = this.addRect(n, parts[k]![0]!, parts[k]![1]!, parts[k]![2]!, parts[k]![3]!);
    }
    return n;
  }

  /** Motion search for the partitions of a 16x16, 16x8 or 8x16 macroblock. */
  private searchMode(pos: MbPosition, p: QpParams, kind: MbKind, c: InterCoding): InterCoding {
    c.kind = kind;
    c.numMvd = 0;
    c.cost = p.lambda * ueBits(kind - MbKind.P16x16);
    // Indexed loops, no destructuring: this runs before the JIT has optimised it, too.
    const parts = MODE_PARTS[kind]!;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      c.cost += this.searchPartition(pos, p, c, part[0]!, part[1]!, part[2]!, part[3]!, part[4] as MvShape);
    }
    return c;
  }

  /** P_8x8: each 8x8 as one partition or, where allowed, the best sub-partitioning. */
  private searchP8x8(pos: MbPosition, p: QpParams, c: InterCoding): InterCoding {
    c.kind = MbKind.P8x8;
    c.numMvd = 0;
    c.cost = p.lambda * ueBits(3);
    const trial = this.subTrial;
    for (let i = 0; i < 4; i++) {
      const bx = (i & 1) * 2, by = (i >> 1) * 2;
      let bestType = 0, bestCost = Infinity;
      const types = this.search.partitions === 'sub8x8' ? 4 : 1;
      for (let t = 0; t < types; t++) {
        trial.mvx.set(c.mvx);
        trial.mvy.set(c.mvy);
        trial.numMvd = 0;
        let cost = p.lambda * ueBits(t);
        const parts = SUB_PARTS[t]!;
        for (let k = 0; k < parts.length; k++) {
          const part = parts[k]!;
          cost += this.searchPartition(pos, p, trial, bx + part[0]!, by + part[1]!, part[2]!, part[3]!, MvShape.Generic);
        }
        if (cost < bestCost) {
          bestCost = cost;
          bestType = t;
          // Keep this sub-partitioning's vectors in c.
          for (let k = 0; k < trial.numMvd; k++) {
            c.mvdx[c.numMvd + k] = trial.mvdx[k]!;
            c.mvdy[c.numMvd + k] = trial.mvdy[k]!;
          }
          for (let y = by; y < by + 2; y++) {
            for (let x = bx; x < bx + 2; x++) {
              c.mvx[y * 4 + x] = trial.mvx[y * 4 + x]!;
              c.mvy[y * 4 + x] = trial.mvy[y * 4 + x]!;
            }
          }
        }
      }
      c.subTypes[i] = bestType;
      c.numMvd += SUB_PARTS[bestType]!.length;
      c.cost += bestCost;
    }
    return c;
  }

  /**
   * Searches one partition's vector, stores it into c (vectors of its blocks, its mvd) and returns
   * its cost (SATD + lambda * mvd bits).
   */
  private searchPartition(pos: MbPosition, p: QpParams, c: InterCoding, x4: number, y4: number, w4: number, h4: number, shape: MvShape): number {
    const { state } = this;
    const k = this.kernels;
    if (k !== null && this.search.method !== 'umh') {
      // All of it in one call (searchPartitionSource).
      const r = pos.mb * 16 + y4 * 4 + x4, slot = 2 * c.numMvd++;
      return k.searchPartition(this.skipCtxAddr, pos.mb, pos.mbx, pos.mby, x4, y4, w4, h4, shape, p.lambda, c.mvx.byteOffset, c.mvy.byteOffset,
        c.mvdx.byteOffset + slot, c.mvdy.byteOffset + slot, this.prevMvx[r]!, this.prevMvy[r]!);
    }
    const mp = this.mp;
    predictMv(state, pos.mb, pos.mbx, pos.mby, c, x4, y4, w4, shape, mp);
    const px = pos.mbx * 16 + x4 * 4, py = pos.mby * 16 + y4 * 4, w = w4 * 4, h = h4 * 4;
    const lambda = p.lambda;
    const ref = this.refY;
    // Vector limits: stay inside the padded reference, and inside the level's vertical range.
    const minX = (-px - ref.pad + PAD_MARGIN) * 4, maxX = (ref.width - px - w + ref.pad - PAD_MARGIN) * 4;
    const minY = Math.max(-this.maxVmv, (-py - ref.pad + PAD_MARGIN) * 4);
    const maxY = Math.min(this.maxVmv - 1, (ref.height - py - h + ref.pad - PAD_MARGIN) * 4);
    const so = y4 * 64 + x4 * 4;

    // Integer search: starting points (full samples: the predictor, zero, the co-located vector of
    // the last frame, the left and upper neighbours', the first partition's), then hexagon (and
    // UMH) steps. The kernels take the starting points themselves unless UMH follows them.
    const f = this.full;
    f.cost = Infinity; f.x = 0; f.y = 0;
    f.so = so; f.px = px; f.py = py; f.w = w; f.h = h;
    f.minX = minX; f.maxX = maxX; f.minY = minY; f.maxY = maxY;
    f.mpx = mp.x; f.mpy = mp.y; f.lambda = lambda;
    const starts = this.starts, r = y4 * 4 + x4;
    starts[1] = (mp.x + 2) >> 2; starts[2] = (mp.y + 2) >> 2;
    starts[3] = 0; starts[4] = 0;
    starts[5] = (this.prevMvx[pos.mb * 16 + r]! + 2) >> 2; starts[6] = (this.prevMvy[pos.mb * 16 + r]! + 2) >> 2;
    let n = 3;
    if (pos.mbx > 0) {
      starts[2 * n + 1] = (state.mvx[(pos.mb - 1) * 16 + 3]! + 2) >> 2; starts[2 * n + 2] = (state.mvy[(pos.mb - 1) * 16 + 3]! + 2) >> 2; n++;
    }
    if (pos.mby > 0) {
      const o = (pos.mb - state.mbWidth) * 16 + 12;
      starts[2 * n + 1] = (state.mvx[o]! + 2) >> 2; starts[2 * n + 2] = (state.mvy[o]! + 2) >> 2; n++;
    }
    if (x4 > 0 || y4 > 0) {
      starts[2 * n + 1] = (c.mvx[0]! + 2) >> 2; starts[2 * n + 2] = (c.mvy[0]! + 2) >> 2; n++;
    }
    starts[0] = n;
    if (k === null || this.search.method === 'umh') {
      for (let i = 0; i < n; i++) this.tryFull(starts[2 * i + 1]!, starts[2 * i + 2]!);
      starts[0] = 0;
    }

    if (this.search.method === 'umh') {
      // Uneven multi-hexagon: a cross, then hexagons of growing radius around the best start.
      const cx = f.x, cy = f.y, range = this.search.range;
      for (let d = 2; d <= range; d += 2) {
        this.tryFull(cx + d, cy); this.tryFull(cx - d, cy);
        if (d <= range / 2) { this.tryFull(cx, cy + d); this.tryFull(cx, cy - d); }
      }
      for (let k = 4; k <= range; k += 4) {
        for (let i = 0; i < 6; i++) this.tryFull(cx + HEX[i]![0]! * (k >> 1), cy + HEX[i]![1]! * (k >> 1));
      }
    }
    // Hexagon and square steps, then the sub-sample refinement: in the SIMD module as one call
    // (motionSearchSource: the starting points left to it, hexSearchSource, subpelSearchSource),
    // else the TypeScript searches they are held to.
    const st = this.searchState;
    let best: number, qx: number, qy: number;
    if (k !== null) {
      const sf = this.searchCost64, base = ref.origin + py * ref.stride + px;
      sf[0] = f.cost; st[2] = f.x; st[3] = f.y;
      const search = w === 16 ? k.motionSearch16 : w === 8 ? k.motionSearch8 : k.motionSearch4;
      search(this.src16Addr + so, ref.data.byteOffset + base, this.halfH.data.byteOffset + base, this.halfV.data.byteOffset + base,
        this.halfHV.data.byteOffset + base, ref.stride, h, mp.x, mp.y, lambda, minX, maxX, minY, maxY, this.search.range,
        this.search.subpelPattern === 'square' ? 1 : 0, this.search.subpel === 2 ? 1 : 0, this.simd!.subpelTable, st.byteOffset);
      best = sf[0]!; qx = st[2]!; qy = st[3]!;
    } else {
      this.hexSteps();
      best = this.subpelSteps(px, py, w, h, so, mp, lambda, minX, maxX, minY, maxY);
      qx = st[2]!; qy = st[3]!;
    }

    for (let y = y4; y < y4 + h4; y++) {
      for (let x = x4; x < x4 + w4; x++) {
        c.mvx[y * 4 + x] = qx;
        c.mvy[y * 4 + x] = qy;
      }
    }
    c.mvdx[c.numMvd] = qx - mp.x;
    c.mvdy[c.numMvd] = qy - mp.y;
    c.numMvd++;
    return best;
  }

  /**
   * Hexagon steps from the best starting point, then the 8-point square. After a move in
   * direction d, only directions d-1, d, d+1 around the new centre are new points: the other
   * three were evaluated around the previous centre (and cannot win the strict comparison), so
   * the result is the same as checking all six.
   */
  private hexSteps(): void {
    const f = this.full;
    let dir = -1;
    for (let it = 0; it < this.search.range; it++) {
      const cx = f.x, cy = f.y;
      for (let i = 0; i < 6; i++) {
        // In index order, as a full pass would visit them, so ties resolve the same way.
        if (dir >= 0 && i !== dir && i !== (dir + 1) % 6 && i !== (dir + 5) % 6) continue;
        this.tryFull(cx + HEX[i]![0]!, cy + HEX[i]![1]!);
      }
      if (f.x === cx && f.y === cy) break;
      dir = hexDirection(f.x - cx, f.y - cy);
    }
    const cx = f.x, cy = f.y;
    for (let i = 0; i < 8; i++) this.tryFull(cx + SQUARE[i]![0]!, cy + SQUARE[i]![1]!);
  }

  /**
   * Sub-sample refinement by SATD of the interpolated prediction, from the integer search's best:
   * half then (subpel 2) quarter steps, each by the square once or the diamond at most twice
   * while it moves. Returns the best cost; its vector goes to searchState[2], [3].
   */
  private subpelSteps(px: number, py: number, w: number, h: number, so: number, mp: MotionVector, lambda: number,
    minX: number, maxX: number, minY: number, maxY: number): number {
    let qx = this.full.x * 4, qy = this.full.y * 4;
    let best = this.satdCost(px, py, w, h, so, qx, qy, mp, lambda);
    const pattern = this.search.subpelPattern === 'square' ? SQUARE : DIAMOND;
    const rounds = this.search.subpelPattern === 'square' ? 1 : 2;
    for (let step = 2; step >= (this.search.subpel === 2 ? 1 : 2); step >>= 1) {
      for (let round = 0; round < rounds; round++) {
        const cx = qx, cy = qy;
        for (let i = 0; i < pattern.length; i++) {
          const tx = cx + pattern[i]![0]! * step, ty = cy + pattern[i]![1]! * step;
          if (tx < minX || tx > maxX || ty < minY || ty > maxY) continue;
          const cost = this.satdCost(px, py, w, h, so, tx, ty, mp, lambda, best);
          if (cost < best) {
            best = cost;
            qx = tx;
            qy = ty;
          }
        }
        if (qx === cx && qy === cy) break;
      }
    }
    this.searchState[2] = qx;
    this.searchState[3] = qy;
    return best;
  }

  /** The integer search's state (one object for the encoder's life: no per-partition closures). */
  private readonly full = {
    cost: Infinity, x: 0, y: 0, so: 0, px: 0, py: 0, w: 0, h: 0,
    minX: 0, maxX: 0, minY: 0, maxY: 0, mpx: 0, mpy: 0, lambda: 0,
  };

  /** Full-sample candidate: SAD + lambda * mvd bits, kept if it beats the best so far. */
  private tryFull(fx: number, fy: number): void {
    const f = this.full;
    // The best so far again (the starting points often coincide) cannot win a strict comparison.
    if (fx === f.x && fy === f.y && f.cost !== Infinity) return;
    const qx = fx * 4, qy = fy * 4;
    if (qx < f.minX || qx > f.maxX || qy < f.minY || qy > f.maxY) return;
    const mvCost = f.lambda * (seBits(qx - f.mpx) + seBits(qy - f.mpy));
    if (mvCost >= f.cost) return;
    const ref = this.refY, k = this.kernels;
    const ro = ref.origin + (f.py + fy) * ref.stride + f.px + fx;
    // The kernels sum the whole block; the TypeScript one stops at the limit. A sum at or past it
    // loses the comparison below either way, so both choose the same vector.
    const cost = (k === null
      ? sad(this.src16, f.so, ref.data, ro, ref.stride, f.w, f.h, f.cost - mvCost)
      : f.w === 16 ? k.sad16(this.src16Addr + f.so, 16, ref.data.byteOffset + ro, ref.stride, f.h)
      : f.w === 8 ? k.sad8(this.src16Addr + f.so, 16, ref.data.byteOffset + ro, ref.stride, f.h)
      : k.sad4(this.src16Addr + f.so, 16, ref.data.byteOffset + ro, ref.stride, f.h)) + mvCost;
    if (cost < f.cost) {
      f.cost = cost;
      f.x = fx;
      f.y = fy;
    }
  }

  /**
   * SATD of the interpolated prediction + lambda * mvd bits; stops adding blocks once the cost
   * reaches `limit` (the best so far: such a candidate cannot be taken). The TypeScript search's;
   * the SIMD module's subpelSearch forms the same cost.
   */
  private satdCost(px: number, py: number, w: number, h: number, so: number, qx: number, qy: number, mp: MotionVector, lambda: number, limit = Infinity): number {
    // The cost is always formed as (integer SATD) + lambda * bits, so early exits cannot change
    // a comparison by floating-point rounding.
    const mvCost = lambda * (seBits(qx - mp.x) + seBits(qy - mp.y));
    if (mvCost >= limit) return mvCost;
    // The prediction is read where it lies in the reference planes, never copied out.
    const ls = this.sources, src = this.src16, ss = this.refY.stride;
    lumaSources(this.refY, this.halfH, this.halfV, this.halfHV, px, py, qx, qy, ls);
    const a = ls.a.data, b = ls.b === null ? null : ls.b.data;
    let s = 0;
    for (let y = 0; y < h; y += 4) {
      const ao = ls.ao + y * ss, bo = ls.bo + y * ss, o = so + y * 16;
      if (b === null) for (let x = 0; x < w; x += 4) s += satd4x4Px(src, o + x, 16, a, ao + x, ss);
      else for (let x = 0; x < w; x += 4) s += satd4x4Avg(src, o + x, 16, a, ao + x, b, bo + x, ss);
      if (s + mvCost >= limit) return s + mvCost;
    }
    return s + mvCost;
  }


}

/** Index in HEX of a step (dx, dy). */
function hexDirection(dx: number, dy: number): number {
  for (let i = 0; i < 6; i++) if (HEX[i]![0] === dx && HEX[i]![1] === dy) return i;
  return -1;
}

/** Sum of absolute differences (a has stride 16); stops early once it reaches `limit`. */
export function sad(a: Uint8Array, ao: number, b: Uint8Array, bo: number, bs: number, w: number, h: number, limit: number): number {
  if (w === 16) return sad16(a, ao, b, bo, bs, h, limit);
  let s = 0;
  for (let y = 0; y < h; y++, ao += 16, bo += bs) {
    for (let x = 0; x < w; x++) {
      const d = a[ao + x]! - b[bo + x]!, m = d >> 31;
      s += (d ^ m) - m;
    }
    if (s >= limit) return s;
  }
  return s;
}

/**
 * sad() of 16-wide blocks, a row unrolled (the 16x16 and 16x8 searches: most SAD calls). The
 * absolute values are branch-free ((d ^ m) - m with m = d >> 31): a residual's signs are close to
 * random, and a mispredicted branch per sample made the branching form twice as slow.
 */
function sad16(a: Uint8Array, ao: number, b: Uint8Array, bo: number, bs: number, h: number, limit: number): number {
  let s = 0;
  for (let y = 0; y < h; y++, ao += 16, bo += bs) {
    let r = 0;
    for (let x = 0; x < 16; x += 4) {
      const d0 = a[ao + x]! - b[bo + x]!, d1 = a[ao + x + 1]! - b[bo + x + 1]!;
      const d2 = a[ao + x + 2]! - b[bo + x + 2]!, d3 = a[ao + x + 3]! - b[bo + x + 3]!;
      const m0 = d0 >> 31, m1 = d1 >> 31, m2 = d2 >> 31, m3 = d3 >> 31;
      r += ((d0 ^ m0) - m0) + ((d1 ^ m1) - m1) + ((d2 ^ m2) - m2) + ((d3 ^ m3) - m3);
    }
    s += r;
    if (s >= limit) return s;
  }
  return s;
}

function ssd(a: Uint8Array, b: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}
