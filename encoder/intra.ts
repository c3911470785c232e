/**
 * Intra macroblock analysis and coding: chooses among Intra_16x16 (4 modes), Intra_4x4 (9 modes
 * per block) and I_PCM by rate-distortion cost J = SSD + lambda2 * bits with exact CAVLC bit
 * counts, and produces the reconstruction a decoder will compute (8.3, 8.5).
 */
import { BitWriter, ueBits } from './common/bitstream.js';
import type { Picture } from './common/picture.js';
import {
  AVAIL_LEFT, AVAIL_TOP, AVAIL_TOP_LEFT, Intra4x4Mode, Intra16x16Mode, IntraChromaMode,
  chromaDc, dc4x4, dc16x16, intra4x4ModeAvailable, intra16x16ModeAvailable, intraChromaModeAvailable,
  predict4x4, predict16x16, predictChroma,
} from './common/intra-pred.js';
import {
  ZIGZAG_4x4, QUANT_4x4, forwardQuant4x4Px, hadamard4x4, hadamard4x4Px, hadamardAbsSums, quant, reconstruct4x4,
  satd4x4Px, satdDc, satdHorizontal, satdVertical, dequantLumaDc,
} from './common/transform.js';
import { BLK_TO_RASTER, MbKind, MbState, TOP_RIGHT_INSIDE } from './mb-state.js';
import { ChromaCoding, LumaCoding, MB_WRITER_BYTES, writeIntraMb, type MbPosition } from './macroblock-writer.js';
import { codeChromaResidual, copyPrediction, deadZoneBias } from './residual.js';
import { STATE_DESC_FIELDS, simdBytes, type SimdKernels } from './simd/kernels.js';
import { setIntraBs } from './common/deblock.js';

/** Intra dead zone: a third of a step (JM, x264 without trellis). */
const INTRA_DEAD_ZONE = 1 / 3;

/** Spec limit on a coded macroblock (A.3.1 item: 128 + RawMbBits for 8-bit 4:2:0 = 3200). */
const MAX_MB_BITS = 3200;
/** Bits of an I_PCM macroblock body: 384 samples of 8 bits (7.3.5). */
const PCM_SAMPLE_BITS = 384 * 8;

/** Per-QP constants of the coder: quantiser step tables and Lagrange multipliers. */
export interface QpParams {
  qp: number;
  qpc: number;
  /** For SATD-domain mode decisions (x264's lambda: ~2^((qp-12)/6)). */
  lambda: number;
  /** For SSD-domain decisions (x264's lambda2: ~0.85 * 2^((qp-12)/3)). */
  lambda2: number;
}

export function qpParams(qp: number, chromaQp: number): QpParams {
  const lambda2 = 0.85 * Math.pow(2, (qp - 12) / 3);
  return { qp, qpc: chromaQp, lambda: Math.max(1, Math.sqrt(lambda2)), lambda2 };
}

/**
 * The intra search a preset selects (presets are data: encoder/presets.ts). Every Intra_4x4
 * block tries the 9 modes by SATD; `rd`: true codes both Intra_16x16 and Intra_4x4 and keeps the
 * lower J = SSD + lambda2 * bits, false decides by SATD cost and codes only the winner.
 */
export interface IntraSearch {
  rd: boolean;
}

/** The Intra_4x4 modes a block may use, as a bit mask, by its availability bits (0..7). */
const I4_MODES_AVAILABLE = Uint16Array.from({ length: 8 }, (_, avail) => {
  let mask = 0;
  for (let mode = 0; mode < 9; mode++) if (intra4x4ModeAvailable(mode, avail)) mask |= 1 << mode;
  return mask;
});

export class IntraCoder {
  /**
   * The macroblock's source: luma 16x16, then Cb (0..63) and Cr (64..127) 8x8. InterCoder shares
   * them (its `source`), so in P slices the macroblock it loaded is there already.
   */
  readonly src16: Uint8Array;
  readonly srcC: Uint8Array;
  /**
   * Hadamard transforms of the source's 4x4 blocks (luma raster block r at r * 16, chroma block
   * c * 4 + blk at (c * 4 + blk) * 16), and per block the sum of |H| over all 16 coefficients,
   * over all but row 0 and over all but column 0. With them the flat predictions (Vertical,
   * Horizontal, DC), whose transforms are zero outside row 0, column 0 or the DC, cost a few
   * operations per block instead of a SATD (see satdVertical). Luma's are for the TypeScript
   * searches only: the SIMD kernels compute SATDs from the samples.
   */
  private readonly hadY = new Int32Array(256);
  private readonly hadC = new Int32Array(128);
  private readonly absY = new Int32Array(16);
  private readonly absNotRow0Y = new Int32Array(16);
  private readonly absNotCol0Y = new Int32Array(16);
  private readonly absC = new Int32Array(8);
  private readonly absNotRow0C = new Int32Array(8);
  private readonly absNotCol0C = new Int32Array(8);
  /** Neighbouring reconstructed samples (layout of intra-pred.ts). */
  private readonly top16 = new Uint8Array(17);
  private readonly left16 = new Uint8Array(16);
  private readonly topCb = new Uint8Array(9);
  private readonly topCr = new Uint8Array(9);
  private readonly leftCb = new Uint8Array(8);
  private readonly leftCr = new Uint8Array(8);
  private readonly edge = new Uint8Array(13);
  private readonly pred: Uint8Array;
  /** Chroma predictions: Cb then Cr, 8x8 each (views of one buffer, as codeChromaResidual's kernels want them). */
  private readonly predCb: Uint8Array;
  private readonly predCr: Uint8Array;
  private readonly pred4 = new Uint8Array(16);
  private readonly bestPred4 = new Uint8Array(16);
  /** Scaled coefficients of Intra_16x16 (block r at r * 16) and chroma ((c * 4 + blk) * 16). */
  private readonly coefY = new Int32Array(256);
  private readonly coef = new Int32Array(16);
  private readonly tmp = new Int32Array(16);
  private readonly dcm = new Int32Array(16);
  private readonly lumaI16: LumaCoding;
  /** Intra_4x4's coding; with SIMD kernels in their memory (the intra4x4 kernel writes it). */
  private readonly lumaI4: LumaCoding;
  private readonly chroma: ChromaCoding;
  /** The two candidates' macroblocks (in the kernels' memory when they run: cavlcResidual writes there). */
  private readonly writer16: BitWriter;
  private readonly writer4: BitWriter;
  /** coded_block_pattern (luma | chroma << 4) of the last committed macroblock (0 for I_PCM). */
  committedCbp = 0;
  /** The candidate the last analyse() chose. */
  private best: MbKind = MbKind.I16x16;

  /** The source buffers as 32-bit words, for Picture.copyMacroblock (four samples per load). */
  private readonly src16w: Uint32Array;
  private readonly srcCw: Uint32Array;
  /** The SIMD kernels (null: the TypeScript ones); with them the buffers above lie in their memory. */
  private readonly simd: SimdKernels | null;
  /** intraChroma's trial predictions (an address in the kernels' memory; 0 without them). */
  private readonly chromaScratch: number;
  /** commitIntra's descriptor of the MbState (STATE_DESC_FIELDS); 0 without the kernels. */
  private readonly stateDesc: number;

  /** Bytes of SIMD memory an IntraCoder allocates (with alignment). */
  static readonly SIMD_BYTES = simdBytes(256, 128, 256, 128) + 2 * LumaCoding.SIMD_BYTES + ChromaCoding.SIMD_BYTES
    + simdBytes(MB_WRITER_BYTES, MB_WRITER_BYTES, 128, 4 * STATE_DESC_FIELDS.length);

  constructor(
    private readonly src: Picture,
    private readonly recon: Picture,
    private readonly state: MbState,
    private readonly search: IntraSearch,
    simd: SimdKernels | null = null,
  ) {
    const alloc = (n: number): Uint8Array => (simd === null ? new Uint8Array(n) : simd.alloc(n));
    this.src16 = alloc(256);
    this.src16w = new Uint32Array(this.src16.buffer, this.src16.byteOffset, 64);
    this.srcC = alloc(128);
    this.srcCw = new Uint32Array(this.srcC.buffer, this.srcC.byteOffset, 32);
    this.pred = alloc(256);
    const predC = alloc(128);
    this.predCb = predC.subarray(0, 64);
    this.predCr = predC.subarray(64);
    const codingAlloc = simd === null ? undefined : alloc;
    this.lumaI16 = new LumaCoding(codingAlloc);
    this.chroma = new ChromaCoding(codingAlloc);
    this.simd = simd;
    this.lumaI4 = new LumaCoding(codingAlloc);
    this.writer16 = simd === null ? new BitWriter(1024) : new BitWriter(0, simd.alloc(MB_WRITER_BYTES));
    this.writer4 = simd === null ? new BitWriter(1024) : new BitWriter(0, simd.alloc(MB_WRITER_BYTES));
    this.chromaScratch = simd === null ? 0 : simd.alloc(128).byteOffset;
    this.stateDesc = simd === null ? 0 : simd.describeState(state);
  }

  /**
   * Codes one macroblock of an I slice into `out` and commits its reconstruction and state.
   * Returns the chosen kind.
   */
  encodeMacroblock(out: BitWriter, pos: MbPosition, p: QpParams, mbTypeOffset: number): MbKind {
    this.analyse(pos, p, mbTypeOffset);
    return this.commitBest(out, pos, mbTypeOffset);
  }

  /**
   * A cheap look at how well intra could do: the best Intra_16x16 SATD cost (+ lambda * mode
   * bits), in the same domain as the inter search's costs. P slices use it to decide whether the
   * full analyse() is worth running. Leaves the picture and state untouched. `sourceLoaded`: the
   * macroblock's source is in src16 and srcC already (InterCoder, sharing them, loaded it).
   */
  estimate(pos: MbPosition, p: QpParams, sourceLoaded = false): number {
    const { mbx, mby } = pos;
    const avail = (mbx > 0 ? AVAIL_LEFT : 0) | (mby > 0 ? AVAIL_TOP : 0) | (mbx > 0 && mby > 0 ? AVAIL_TOP_LEFT : 0);
    this.loadLuma(mbx, mby, sourceLoaded);
    if (this.simd === null) this.loadEdges(mbx, mby, avail); // the kernel reads the picture's
    this.searchI16(pos, avail, p, this.lumaI16);
    return this.lumaI16.satdCost;
  }

  /**
   * Searches and codes the intra candidates of one macroblock and remembers the best; returns its
   * J = SSD (luma + chroma) + lambda2 * bits (for I_PCM lambda2 times its size, SSD 0). Nothing
   * is written to a slice and MbState is untouched, but Intra_4x4 reconstructs in place while it
   * searches (later blocks predict from earlier ones): after analyse() the macroblock's area of
   * the reconstructed picture holds scratch, and the caller must commit something that covers
   * the whole macroblock — commitBest(), or another coding's reconstruction — before the next
   * macroblock is analysed. `mbTypeOffset` (0 in I slices, 5 in P slices) must be the one later
   * passed to commitBest().
   *
   * `afterEstimate`: estimate(pos, p) was the last call, for this macroblock and these QpParams,
   * so its luma source, transforms and Intra_16x16 search stand and are not redone (nor the edges,
   * without SIMD kernels). `sourceLoaded` as estimate's.
   */
  analyse(pos: MbPosition, p: QpParams, mbTypeOffset: number, afterEstimate = false, sourceLoaded = false): number {
    const { mbx, mby } = pos;
    const avail = (mbx > 0 ? AVAIL_LEFT : 0) | (mby > 0 ? AVAIL_TOP : 0) | (mbx > 0 && mby > 0 ? AVAIL_TOP_LEFT : 0);
    if (!afterEstimate) this.loadLuma(mbx, mby, sourceLoaded);
    // The kernels read the edges from the picture; the TypeScript searches from copies.
    if (this.simd === null) {
      if (!afterEstimate) this.loadEdges(mbx, mby, avail);
      this.loadChroma();
    }

    const chroma = this.chroma;
    this.codeChroma(pos, avail, p, chroma);

    const i16 = this.lumaI16;
    if (!afterEstimate) this.searchI16(pos, avail, p, i16);
    const i4 = this.lumaI4;
    this.codeI4(pos, avail, p, i4);

    const w16 = this.writer16, w4 = this.writer4;
    w16.reset();
    w4.reset();
    // With RD both candidates are coded and J decides. Without, only the SATD winner is coded;
    // the other is coded only if the winner's levels are not representable. Intra_16x16's
    // residual is computed only when it is to be written (Intra_4x4's is, as it searches).
    let ok16 = false, ok4 = false;
    if (this.search.rd) {
      this.codeI16(avail, p, i16);
      ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
      ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
    } else if (i16.satdCost <= i4.satdCost) {
      this.codeI16(avail, p, i16);
      ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
      if (!ok16) ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
    } else {
      ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
      if (!ok4) {
        this.codeI16(avail, p, i16);
        ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
      }
    }
    const j16 = ok16 ? i16.ssd + chroma.ssd + p.lambda2 * w16.bitLength : Infinity;
    const j4 = ok4 ? i4.ssd + chroma.ssd + p.lambda2 * w4.bitLength : Infinity;
    const pcmBits = ueBits(mbTypeOffset + 25) + 7 + PCM_SAMPLE_BITS;
    const jPcm = p.lambda2 * pcmBits;

    if (jPcm < j16 && jPcm < j4) {
      this.best = MbKind.IPcm;
      return jPcm;
    }
    this.best = j4 < j16 ? MbKind.I4x4 : MbKind.I16x16;
    return j4 < j16 ? j4 : j16;
  }

  /**
   * Writes the candidate the last analyse() chose into `out` (I_PCM straight into it, with its
   * alignment) and commits its reconstruction and MbState: intra motion (refIdx −1, zero vectors)
   * and boundary strengths included. Returns its kind.
   */
  commitBest(out: BitWriter, pos: MbPosition, mbTypeOffset: number): MbKind {
    const best = this.best;
    if (best === MbKind.IPcm) {
      this.writePcm(out, pos, mbTypeOffset);
      this.committedCbp = 0;
      this.state.setIntraMotion(pos.mb);
      setIntraBs(this.state.bs, pos.mb);
      return MbKind.IPcm;
    }
    const luma = best === MbKind.I4x4 ? this.lumaI4 : this.lumaI16, chroma = this.chroma;
    this.committedCbp = luma.cbp | (chroma.cbp << 4);
    out.append(best === MbKind.I4x4 ? this.writer4 : this.writer16);
    const simd = this.simd;
    if (simd !== null) {
      // commitIntraSource: commit() and the motion and bS below, in one call.
      const r = this.recon, oy = pos.mby * 16 * r.strideY + pos.mbx * 16, oc = pos.mby * 8 * r.strideC + pos.mbx * 8;
      simd.k.commitIntra(this.stateDesc, pos.mb, luma.kind, luma.recon.byteOffset, chroma.recon.byteOffset, luma.modes4.byteOffset,
        luma.nz.byteOffset, chroma.nz.byteOffset, r.y.byteOffset + oy, r.u.byteOffset + oc, r.v.byteOffset + oc, r.strideY, r.strideC);
      return best;
    }
    commitIntraMacroblock(this.recon, this.state, pos, luma, chroma);
    return best;
  }

  /** Writes a candidate into its scratch writer; false if it is not codable (levels, size). */
  private codeCandidate(w: BitWriter, pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding, mbTypeOffset: number): boolean {
    return writeIntraMb(w, this.state, pos, luma, chroma, mbTypeOffset, this.simd) && w.bitLength <= MAX_MB_BITS;
  }

  /**
   * Copies the macroblock's source samples (chroma too) and, for the TypeScript searches,
   * transforms its luma 4x4 blocks (the kernels search from the samples).
   */
  private loadLuma(mbx: number, mby: number, loaded: boolean): void {
    const { src16, hadY } = this;
    if (this.simd !== null) {
      if (!loaded) this.simd.loadMacroblock(this.src, mbx, mby, src16, this.srcC);
      return;
    }
    if (!loaded) this.src.copyMacroblock(mbx, mby, this.src16w, this.srcCw);
    for (let r = 0; r < 16; r++) {
      hadamard4x4Px(src16, (r >> 2) * 64 + (r & 3) * 4, 16, hadY, r * 16);
      hadamardAbsSums(hadY, r * 16, this.absY, this.absNotRow0Y, this.absNotCol0Y, r);
    }
  }

  /** Transforms the chroma 4x4 blocks loadLuma copied, for the chroma mode search. */
  private loadChroma(): void {
    const { srcC, hadC } = this;
    for (let b = 0; b < 8; b++) {
      hadamard4x4Px(srcC, (b >> 2) * 64 + ((b >> 1) & 1) * 32 + (b & 1) * 4, 8, hadC, b * 16);
      hadamardAbsSums(hadC, b * 16, this.absC, this.absNotRow0C, this.absNotCol0C, b);
    }
  }

  /** Neighbouring reconstructed samples for Intra_16x16 and chroma (unfiltered, 8.3.1.2). */
  private loadEdges(mbx: number, mby: number, avail: number): void {
    const r = this.recon;
    const sy = r.strideY, sc = r.strideC, ry = r.y, ru = r.u, rv = r.v;
    const oy = mby * 16 * sy + mbx * 16, oc = mby * 8 * sc + mbx * 8;
    const { top16, left16, topCb, topCr, leftCb, leftCr } = this;
    const hasTop = (avail & AVAIL_TOP) !== 0, hasLeft = (avail & AVAIL_LEFT) !== 0;
    for (let x = 0; x < 16; x++) top16[1 + x] = hasTop ? ry[oy - sy + x]! : 128;
    for (let y = 0; y < 16; y++) left16[y] = hasLeft ? ry[oy + y * sy - 1]! : 128;
    for (let x = 0; x < 8; x++) {
      topCb[1 + x] = hasTop ? ru[oc - sc + x]! : 128;
      topCr[1 + x] = hasTop ? rv[oc - sc + x]! : 128;
    }
    for (let y = 0; y < 8; y++) {
      leftCb[y] = hasLeft ? ru[oc + y * sc - 1]! : 128;
      leftCr[y] = hasLeft ? rv[oc + y * sc - 1]! : 128;
    }
    const hasTopLeft = (avail & AVAIL_TOP_LEFT) !== 0;
    top16[0] = hasTopLeft ? ry[oy - sy - 1]! : 128;
    topCb[0] = hasTopLeft ? ru[oc - sc - 1]! : 128;
    topCr[0] = hasTopLeft ? rv[oc - sc - 1]! : 128;
  }

  // ---- chroma ------------------------------------------------------------------------------

  /**
   * The chroma mode of least SATD + lambda * mode bits (the first on a tie), its prediction and
   * its residual. The intraChroma kernel does the search in one call.
   */
  private codeChroma(pos: MbPosition, avail: number, p: QpParams, out: ChromaCoding): void {
    const { topCb, topCr, leftCb, leftCr, predCb, predCr, srcC, hadC, absC, absNotRow0C, absNotCol0C, simd } = this;
    if (simd !== null) {
      const r = this.recon, oc = pos.mby * 8 * r.strideC + pos.mbx * 8;
      out.mode = simd.k.intraChroma(srcC.byteOffset, r.u.byteOffset + oc, r.v.byteOffset + oc, r.strideC, avail, p.lambda,
        predCb.byteOffset, this.chromaScratch);
      codeChromaResidual(srcC, predCb, 0, predCr, 0, p.qpc, INTRA_DEAD_ZONE, out, simd);
      return;
    }
    let bestMode = 0, bestCost = Infinity;
    for (let mode = 0; mode < 4; mode++) {
      if (!intraChromaModeAvailable(mode, avail)) continue;
      // SATDs summed as integers, then the mode's bits: the kernel's order, so equal costs stay equal.
      let satd = 0;
      if (mode === IntraChromaMode.Plane) {
        predictChroma(mode, topCb, leftCb, avail, predCb);
        predictChroma(mode, topCr, leftCr, avail, predCr);
      }
      for (let c = 0; c < 2; c++) {
        const top = c === 0 ? topCb : topCr, left = c === 0 ? leftCb : leftCr;
        for (let blk = 0; blk < 4; blk++) {
          const b = c * 4 + blk, ho = b * 16;
          const xO = (blk & 1) * 4, yO = (blk >> 1) * 4;
          if (mode === IntraChromaMode.Dc) {
            satd += satdDc(hadC, ho, absC[b]!, chromaDc(top, left, avail, blk));
          } else if (mode === IntraChromaMode.Horizontal) {
            satd += satdHorizontal(hadC, ho, absNotCol0C[b]!, left[yO]!, left[yO + 1]!, left[yO + 2]!, left[yO + 3]!);
          } else if (mode === IntraChromaMode.Vertical) {
            satd += satdVertical(hadC, ho, absNotRow0C[b]!, top[1 + xO]!, top[2 + xO]!, top[3 + xO]!, top[4 + xO]!);
          } else {
            const po = yO * 8 + xO;
            satd += satd4x4Px(srcC, c * 64 + po, 8, c === 0 ? predCb : predCr, po, 8);
          }
        }
      }
      const cost = satd + p.lambda * ueBits(mode);
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
      }
    }
    out.mode = bestMode;
    predictChroma(bestMode, topCb, leftCb, avail, predCb);
    predictChroma(bestMode, topCr, leftCr, avail, predCr);

    codeChromaResidual(srcC, predCb, 0, predCr, 0, p.qpc, INTRA_DEAD_ZONE, out, this.simd);
  }

  // ---- Intra_16x16 -------------------------------------------------------------------------

  /** Chooses the Intra_16x16 mode by SATD; codeI16 computes its residual. */
  private searchI16(pos: MbPosition, avail: number, p: QpParams, out: LumaCoding): void {
    const { top16, left16, pred, src16, hadY, absY, absNotRow0Y, absNotCol0Y, simd } = this;
    out.kind = MbKind.I16x16;
    if (simd !== null) {
      const r = this.recon;
      const flags = ((avail & AVAIL_LEFT) !== 0 ? 1 : 0) | ((avail & AVAIL_TOP) !== 0 ? 2 : 0);
      const found = simd.k.intra16x16(src16.byteOffset, r.y.byteOffset + pos.mby * 16 * r.strideY + pos.mbx * 16, r.strideY, flags, pred.byteOffset);
      out.mode16 = found >>> 24;
      out.satdCost = (found & 0xffffff) + p.lambda * ueBits(1 + out.mode16);
      return;
    }
    let bestMode = 2, bestCost = Infinity;
    for (let mode = 0; mode < 4; mode++) {
      if (!intra16x16ModeAvailable(mode, avail)) continue;
      let cost = 0;
      if (mode === Intra16x16Mode.Vertical) {
        for (let r = 0; r < 16; r++) {
          const t = 1 + (r & 3) * 4;
          cost += satdVertical(hadY, r * 16, absNotRow0Y[r]!, top16[t]!, top16[t + 1]!, top16[t + 2]!, top16[t + 3]!);
        }
      } else if (mode === Intra16x16Mode.Horizontal) {
        for (let r = 0; r < 16; r++) {
          const l = (r >> 2) * 4;
          cost += satdHorizontal(hadY, r * 16, absNotCol0Y[r]!, left16[l]!, left16[l + 1]!, left16[l + 2]!, left16[l + 3]!);
        }
      } else if (mode === Intra16x16Mode.Dc) {
        const dc = dc16x16(top16, left16, avail);
        for (let r = 0; r < 16; r++) cost += satdDc(hadY, r * 16, absY[r]!, dc);
      } else {
        predict16x16(mode, top16, left16, avail, pred);
        for (let r = 0; r < 16; r++) {
          const o = (r >> 2) * 64 + (r & 3) * 4;
          cost += satd4x4Px(src16, o, 16, pred, o, 16);
        }
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
      }
    }
    out.mode16 = bestMode;
    out.satdCost = bestCost + p.lambda * ueBits(1 + bestMode);
  }

  /**
   * Residual and reconstruction of Intra_16x16 in the mode searchI16 chose (whose kernel left
   * that mode's prediction in pred).
   */
  private codeI16(avail: number, p: QpParams, out: LumaCoding): void {
    const { top16, left16, pred, src16, dcm, tmp, simd } = this;
    if (simd === null) predict16x16(out.mode16, top16, left16, avail, pred);
    const qp = p.qp, bias = deadZoneBias(qp, INTRA_DEAD_ZONE);
    if (simd !== null) {
      // All of it in one call (codeI16Source); SSD and cbp come back in interResult.
      const q6 = (qp / 6) | 0, res = simd.interResult;
      simd.k.codeI16(src16.byteOffset, pred.byteOffset, qp - 6 * q6, q6, bias, simd.quantTable, simd.coef.byteOffset, out.levels.byteOffset,
        out.nz.byteOffset, out.dc.byteOffset, out.recon.byteOffset, res.byteOffset);
      out.ssd = res[0]!;
      out.cbp = res[1]!;
      return;
    }
    // AC levels (start 1: the DC stays unquantised in coef at each block's position 0).
    const m = (qp % 6) * 16, qbits = 15 + ((qp / 6) | 0), coef = this.coefY;
    for (let r = 0; r < 16; r++) {
      const o = (r >> 2) * 64 + (r & 3) * 4, base = r * 16;
      out.levels[base] = 0;
      out.nz[r] = forwardQuant4x4Px(src16, o, 16, pred, o, 16, coef, base, out.levels, base, 1, qp, bias);
    }
    let anyAc = false;
    for (let r = 0; r < 16; r++) {
      dcm[r] = coef[r * 16]!;
      if (out.nz[r]) anyAc = true;
    }
    // Luma DC: 4x4 Hadamard of the blocks' DC (spatial raster, Figure 8-6), halved, quantised
    // with a doubled step; levels leave in zig-zag order (8.5.6 inverse scan on decode).
    hadamard4x4(dcm, tmp);
    for (let k = 0; k < 16; k++) out.dc[k] = quant(tmp[ZIGZAG_4x4[k]!]!, QUANT_4x4[m]!, 4 * bias, qbits + 2);
    out.cbp = anyAc ? 15 : 0;

    // Reconstruction — 8.5.10 then 8.5.12 per block; a block with neither AC levels nor a DC is
    // the prediction itself (bit r of `coded` clear).
    for (let k = 0; k < 16; k++) dcm[ZIGZAG_4x4[k]!] = out.dc[k]!;
    hadamard4x4(dcm, tmp);
    let coded = 0;
    for (let r = 0; r < 16; r++) {
      const dc = dequantLumaDc(tmp[r]!, qp);
      coef[r * 16] = dc;
      if (out.nz[r]! !== 0 || dc !== 0) coded |= 1 << r;
    }
    let ssd = 0;
    for (let r = 0; r < 16; r++) {
      const o = (r >> 2) * 64 + (r & 3) * 4;
      ssd += (coded >> r) & 1
        ? reconstruct4x4(coef, r * 16, pred, o, 16, out.recon, o, 16, src16, o, 16)
        : copyPrediction(pred, o, 16, out.recon, o, 16, src16, o, 16);
    }
    out.ssd = ssd;
  }

  // ---- Intra_4x4 ---------------------------------------------------------------------------

  /**
   * Codes the 16 blocks in decoding order, writing their reconstruction into the picture (and into
   * out.recon through its word view reconW: `out` is this.lumaI4).
   */
  private codeI4(pos: MbPosition, mbAvail: number, p: QpParams, out: LumaCoding): void {
    if (this.simd !== null) {
      this.codeI4Simd(pos, mbAvail, p, out);
      return;
    }
    const { mbx, mby } = pos;
    const r = this.recon, sy = r.strideY, ry = r.y;
    const origin = mby * 16 * sy + mbx * 16;
    const { edge, pred4, bestPred4, src16, coef, hadY, absY, absNotRow0Y, absNotCol0Y } = this;
    const reconI4w = this.lumaI4.reconW, reconY32 = this.recon.y32;
    const qp = p.qp, bias = deadZoneBias(qp, INTRA_DEAD_ZONE);
    const lambda = p.lambda;
    const state = this.state;
    out.kind = MbKind.I4x4;
    out.cbp = 0;
    let ssdSum = 0, satdSum = 0;
    for (let i = 0; i < 16; i++) {
      const rpos = BLK_TO_RASTER[i]!;
      const x4 = rpos & 3, y4 = rpos >> 2;
      const hasLeft = x4 > 0 || (mbAvail & AVAIL_LEFT) !== 0;
      const hasTop = y4 > 0 || (mbAvail & AVAIL_TOP) !== 0;
      let hasTopRight: boolean;
      if (y4 === 0) hasTopRight = x4 < 3 ? hasTop : hasTop && mbx < state.mbWidth - 1;
      else hasTopRight = x4 < 3 && TOP_RIGHT_INSIDE[rpos] === 1;
      const avail = (hasLeft ? AVAIL_LEFT : 0) | (hasTop ? AVAIL_TOP : 0) | (hasLeft && hasTop ? AVAIL_TOP_LEFT : 0);
      const bo = origin + y4 * 4 * sy + x4 * 4;
      // Edge samples (see intra-pred.ts for the layout); 128 where unavailable (never used).
      if (hasTop) {
        const t = bo - sy;
        edge[5] = ry[t]!; edge[6] = ry[t + 1]!; edge[7] = ry[t + 2]!; edge[8] = ry[t + 3]!;
        if (hasTopRight) {
          edge[9] = ry[t + 4]!; edge[10] = ry[t + 5]!; edge[11] = ry[t + 6]!; edge[12] = ry[t + 7]!;
        } else {
          const v = edge[8]!;
          edge[9] = v; edge[10] = v; edge[11] = v; edge[12] = v;
        }
      } else {
        for (let k = 5; k < 13; k++) edge[k] = 128;
      }
      if (hasLeft) {
        edge[3] = ry[bo - 1]!; edge[2] = ry[bo + sy - 1]!; edge[1] = ry[bo + 2 * sy - 1]!; edge[0] = ry[bo + 3 * sy - 1]!;
      } else {
        edge[0] = 128; edge[1] = 128; edge[2] = 128; edge[3] = 128;
      }
      edge[4] = hasLeft && hasTop ? ry[bo - sy - 1]! : 128;

      // Predicted mode — 8.3.1.1: DC when a neighbour is unavailable, min(A, B) otherwise
      // (neighbours that are not Intra_4x4 count as DC; state.i4Mode stores 2 for them).
      let predMode = Intra4x4Mode.Dc as number;
      if (hasLeft && hasTop) {
        const a = x4 > 0 ? out.modes4[rpos - 1]! : state.i4Mode[(pos.mb - 1) * 16 + y4 * 4 + 3]!;
        const b = y4 > 0 ? out.modes4[rpos - 4]! : state.i4Mode[(pos.mb - state.mbWidth) * 16 + 12 + x4]!;
        predMode = a < b ? a : b;
      }

      // Mode search by SATD + lambda * (1 bit for the predicted mode, else 4). The flat modes
      // are costed from the source block's Hadamard transform, the others from a prediction.
      const so = y4 * 64 + x4 * 4, ho = rpos * 16;
      let bestMode = 2, bestCost = Infinity;
      const modeMask = I4_MODES_AVAILABLE[avail]!;
      for (let mode = 0; mode < 9; mode++) {
        if ((modeMask & (1 << mode)) === 0) continue;
        let satd: number;
        if (mode === Intra4x4Mode.Vertical) {
          satd = satdVertical(hadY, ho, absNotRow0Y[rpos]!, edge[5]!, edge[6]!, edge[7]!, edge[8]!);
        } else if (mode === Intra4x4Mode.Horizontal) {
          satd = satdHorizontal(hadY, ho, absNotCol0Y[rpos]!, edge[3]!, edge[2]!, edge[1]!, edge[0]!);
        } else if (mode === Intra4x4Mode.Dc) {
          satd = satdDc(hadY, ho, absY[rpos]!, dc4x4(edge, avail));
        } else {
          predict4x4(mode, edge, avail, pred4);
          satd = satd4x4Px(src16, so, 16, pred4, 0, 4);
        }
        const cost = satd + lambda * (mode === predMode ? 1 : 4);
        if (cost < bestCost) {
          bestCost = cost;
          bestMode = mode;
        }
      }
      satdSum += bestCost;
      predict4x4(bestMode, edge, avail, bestPred4);
      out.modes4[rpos] = bestMode;
      out.predModes4[rpos] = predMode;

      const nz = forwardQuant4x4Px(src16, so, 16, bestPred4, 0, 4, coef, 0, out.levels, rpos * 16, 0, qp, bias);
      out.nz[rpos] = nz;
      if (nz) out.cbp |= 1 << ((y4 >> 1) * 2 + (x4 >> 1));
      // Reconstruct straight into the picture (the next blocks predict from it) and the candidate.
      ssdSum += nz !== 0
        ? reconstruct4x4(coef, 0, bestPred4, 0, 4, ry, bo, sy, src16, so, 16)
        : copyPrediction(bestPred4, 0, 4, ry, bo, sy, src16, so, 16);
      const dw = so >> 2, sw = bo >> 2, syw = sy >> 2; // one word per row
      reconI4w[dw] = reconY32[sw]!; reconI4w[dw + 4] = reconY32[sw + syw]!;
      reconI4w[dw + 8] = reconY32[sw + 2 * syw]!; reconI4w[dw + 12] = reconY32[sw + 3 * syw]!;
    }
    out.ssd = ssdSum;
    out.satdCost = satdSum;
  }

  /** codeI4 by the intra4x4 kernel, with the same result. */
  private codeI4Simd(pos: MbPosition, mbAvail: number, p: QpParams, out: LumaCoding): void {
    const simd = this.simd!, state = this.state, r = this.recon;
    const { mb, mbx, mby } = pos;
    const w = state.mbWidth, modes = state.i4Mode;
    // The neighbours' modes next to this macroblock, four bits each: the left one's column 3, the upper one's row 3.
    let nb = 0;
    if (mbx > 0) {
      const o = (mb - 1) * 16 + 3;
      nb = modes[o]! | (modes[o + 4]! << 4) | (modes[o + 8]! << 8) | (modes[o + 12]! << 12);
    }
    if (mby > 0) {
      const o = (mb - w) * 16 + 12;
      nb |= (modes[o]! | (modes[o + 1]! << 4) | (modes[o + 2]! << 8) | (modes[o + 3]! << 12)) << 16;
    }
    const flags = ((mbAvail & AVAIL_LEFT) !== 0 ? 1 : 0) | ((mbAvail & AVAIL_TOP) !== 0 ? 2 : 0) | (mbx < w - 1 ? 4 : 0);
    out.kind = MbKind.I4x4;
    out.ssd = simd.intra4x4(this.src16, r.y.byteOffset + mby * 16 * r.strideY + mbx * 16, r.strideY, flags, nb, p.lambda, p.qp,
      deadZoneBias(p.qp, INTRA_DEAD_ZONE), out.modes4, out.predModes4, out.levels, out.nz, out.recon);
    out.satdCost = simd.intra4x4Cost;
    out.cbp = simd.intra4x4Cbp;
  }

  // ---- shared helpers ----------------------------------------------------------------------

  /**
   * I_PCM — 7.3.5: mb_type, pcm_alignment_zero_bit, then the samples. Written straight into the
   * slice (the alignment depends on the absolute bit position). Samples are clamped to 1..255 so
   * the stream also satisfies decoders built to the 2003 edition, which forbade the value 0.
   */
  private writePcm(out: BitWriter, pos: MbPosition, mbTypeOffset: number): void {
    out.ue(mbTypeOffset + 25); // mb_type I_PCM
    while (!out.byteAligned) out.u(1, 0); // pcm_alignment_zero_bit
    const { recon, state } = this;
    const sy = recon.strideY, sc = recon.strideC;
    const oy = pos.mby * 16 * sy + pos.mbx * 16, oc = pos.mby * 8 * sc + pos.mbx * 8;
    for (let i = 0; i < 256; i++) {
      const v = this.src16[i] || 1;
      out.u(8, v); // pcm_sample_luma
      recon.y[oy + (i >> 4) * sy + (i & 15)] = v;
    }
    for (let c = 0; c < 2; c++) {
      const plane = c === 0 ? recon.u : recon.v;
      for (let i = 0; i < 64; i++) {
        const v = this.srcC[c * 64 + i] || 1;
        out.u(8, v); // pcm_sample_chroma
        plane[oc + (i >> 3) * sc + (i & 7)] = v;
      }
    }
    const mb = pos.mb;
    state.kind[mb] = MbKind.IPcm;
    state.i4Mode.fill(Intra4x4Mode.Dc, mb * 16, mb * 16 + 16);
    state.nzLuma.fill(16, mb * 16, mb * 16 + 16); // 9.2.1: I_PCM neighbours count as nN = 16
    state.nzCb.fill(16, mb * 4, mb * 4 + 4);
    state.nzCr.fill(16, mb * 4, mb * 4 + 4);
  }
}


/** An uncoded block: the prediction is the reconstruction. Copies it to dst; returns its SSD against src. */

/**
 * Commits an intra coding (not I_PCM): its reconstruction into the picture and its context into
 * MbState: kind, Intra4x4PredModes (DC unless I_NxN), TotalCoeffs, intra motion (refIdx −1, zero
 * vectors) and bS. The commitIntra kernel does the same in one call.
 */
export function commitIntraMacroblock(recon: Picture, state: MbState, pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding): void {
  recon.storeMacroblock(pos.mbx, pos.mby, luma.reconW, chroma.reconW);
  const mb = pos.mb;
  state.kind[mb] = luma.kind;
  const i4 = luma.kind === MbKind.I4x4;
  for (let k = 0; k < 16; k++) {
    state.i4Mode[mb * 16 + k] = i4 ? luma.modes4[k]! : Intra4x4Mode.Dc;
    state.nzLuma[mb * 16 + k] = luma.nz[k]!;
  }
  for (let k = 0; k < 4; k++) {
    state.nzCb[mb * 4 + k] = chroma.nz[k]!;
    state.nzCr[mb * 4 + k] = chroma.nz[4 + k]!;
  }
  state.setIntraMotion(mb);
  setIntraBs(state.bs, mb);
}
