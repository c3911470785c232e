/**
 * Intra macroblock analysis and coding: chooses among Intra_16x16 (4 modes), Intra_4x4 (9 modes
 * per block) and I_PCM by rate-distortion cost J = SSD + lambda2 * bits with exact CAVLC bit
 * counts, and produces the reconstruction a decoder will compute (8.3, 8.5).
 */
import { BitWriter, ueBits } from './common/bitstream.js';
import type { Picture } from './common/picture.js';
import {
  AVAIL_LEFT, AVAIL_TOP, AVAIL_TOP_LEFT, Intra4x4Mode,
  intra4x4ModeAvailable, intra16x16ModeAvailable, intraChromaModeAvailable,
  predict4x4, predict16x16, predictChroma,
} from './common/intra-pred.js';
import {
  ZIGZAG_4x4, QUANT_4x4, DEQUANT_4x4, forward4x4, inverse4x4, hadamard4x4, quant, satd4x4Px,
  dequantLumaDc, dequantChromaDc,
} from './common/transform.js';
import { BLK_TO_RASTER, MbKind, MbState, TOP_RIGHT_INSIDE } from './mb-state.js';
import { ChromaCoding, LumaCoding, writeIntraMb, type MbPosition } from './macroblock-writer.js';

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
 * The intra search a preset selects (presets are data: encoder/presets.ts).
 * - `i4Modes`: 'all' tries the 9 Intra_4x4 modes; 'fast' only the predicted mode, vertical,
 *   horizontal and DC.
 * - `rd`: true codes both Intra_16x16 and Intra_4x4 and keeps the lower J = SSD + lambda2 * bits;
 *   false decides by SATD cost and codes only the winner.
 */
export interface IntraSearch {
  i4Modes: 'all' | 'fast';
  rd: boolean;
}

const FAST_I4_MODES = 0b000000111; // vertical, horizontal, DC (plus the predicted mode)

export class IntraCoder {
  private readonly src16 = new Uint8Array(256);
  private readonly srcC = new Uint8Array(128);
  private readonly top16 = new Uint8Array(17);
  private readonly left16 = new Uint8Array(16);
  private readonly topC = new Uint8Array(18);
  private readonly leftC = new Uint8Array(16);
  private readonly pred = new Uint8Array(256);
  private readonly predC = new Uint8Array(128);
  private readonly edge = new Uint8Array(13);
  private readonly pred4 = new Uint8Array(16);
  private readonly bestPred4 = new Uint8Array(16);
  private readonly diff = new Int32Array(16);
  private readonly coef = new Int32Array(16);
  private readonly tmp = new Int32Array(16);
  private readonly dcm = new Int32Array(16);
  private readonly lumaI16 = new LumaCoding();
  private readonly lumaI4 = new LumaCoding();
  private readonly chroma = new ChromaCoding();
  private readonly writer16 = new BitWriter(1024);
  private readonly writer4 = new BitWriter(1024);

  constructor(
    private readonly src: Picture,
    private readonly recon: Picture,
    private readonly state: MbState,
    private readonly search: IntraSearch,
  ) {}

  /**
   * Codes one macroblock of an I slice into `out` and commits its reconstruction and state.
   * Returns the chosen kind.
   */
  encodeMacroblock(out: BitWriter, pos: MbPosition, p: QpParams, mbTypeOffset: number): MbKind {
    const { mbx, mby } = pos;
    const avail = (mbx > 0 ? AVAIL_LEFT : 0) | (mby > 0 ? AVAIL_TOP : 0) | (mbx > 0 && mby > 0 ? AVAIL_TOP_LEFT : 0);
    this.loadSource(mbx, mby);
    this.loadEdges(mbx, mby, avail);

    const chroma = this.chroma;
    this.codeChroma(avail, p, chroma);

    const i16 = this.lumaI16;
    this.codeI16(avail, p, i16);
    const i4 = this.lumaI4;
    this.codeI4(pos, avail, p, i4);

    const w16 = this.writer16, w4 = this.writer4;
    w16.reset();
    w4.reset();
    // With RD both candidates are coded and J decides. Without, only the SATD winner is coded;
    // the other is coded only if the winner's levels are not representable.
    let ok16 = false, ok4 = false;
    if (this.search.rd) {
      ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
      ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
    } else if (i16.satdCost <= i4.satdCost) {
      ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
      if (!ok16) ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
    } else {
      ok4 = this.codeCandidate(w4, pos, i4, chroma, mbTypeOffset);
      if (!ok4) ok16 = this.codeCandidate(w16, pos, i16, chroma, mbTypeOffset);
    }
    const j16 = ok16 ? i16.ssd + chroma.ssd + p.lambda2 * w16.bitLength : Infinity;
    const j4 = ok4 ? i4.ssd + chroma.ssd + p.lambda2 * w4.bitLength : Infinity;
    const pcmBits = ueBits(mbTypeOffset + 25) + 7 + PCM_SAMPLE_BITS;
    const jPcm = p.lambda2 * pcmBits;

    if (jPcm < j16 && jPcm < j4) {
      this.writePcm(out, pos, mbTypeOffset);
      return MbKind.IPcm;
    }
    const best = j4 < j16 ? i4 : i16;
    out.append(j4 < j16 ? w4 : w16);
    this.commit(pos, best, chroma);
    return best.kind;
  }

  /** Writes a candidate into its scratch writer; false if it is not codable (levels, size). */
  private codeCandidate(w: BitWriter, pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding, mbTypeOffset: number): boolean {
    return writeIntraMb(w, this.state, pos, luma, chroma, mbTypeOffset) && w.bitLength <= MAX_MB_BITS;
  }

  private loadSource(mbx: number, mby: number): void {
    const { src } = this;
    const sy = src.strideY, sc = src.strideC;
    const oy = mby * 16 * sy + mbx * 16, oc = mby * 8 * sc + mbx * 8;
    for (let y = 0; y < 16; y++) this.src16.set(src.y.subarray(oy + y * sy, oy + y * sy + 16), y * 16);
    for (let y = 0; y < 8; y++) {
      this.srcC.set(src.u.subarray(oc + y * sc, oc + y * sc + 8), y * 8);
      this.srcC.set(src.v.subarray(oc + y * sc, oc + y * sc + 8), 64 + y * 8);
    }
  }

  /** Neighbouring reconstructed samples for Intra_16x16 and chroma (unfiltered, 8.3.1.2). */
  private loadEdges(mbx: number, mby: number, avail: number): void {
    const r = this.recon;
    const sy = r.strideY, sc = r.strideC;
    const oy = mby * 16 * sy + mbx * 16, oc = mby * 8 * sc + mbx * 8;
    const { top16, left16, topC, leftC } = this;
    top16.fill(128); left16.fill(128); topC.fill(128); leftC.fill(128);
    if (avail & AVAIL_TOP) {
      top16.set(r.y.subarray(oy - sy, oy - sy + 16), 1);
      topC.set(r.u.subarray(oc - sc, oc - sc + 8), 1);
      topC.set(r.v.subarray(oc - sc, oc - sc + 8), 10);
    }
    if (avail & AVAIL_LEFT) {
      for (let y = 0; y < 16; y++) left16[y] = r.y[oy + y * sy - 1]!;
      for (let y = 0; y < 8; y++) {
        leftC[y] = r.u[oc + y * sc - 1]!;
        leftC[8 + y] = r.v[oc + y * sc - 1]!;
      }
    }
    if (avail & AVAIL_TOP_LEFT) {
      top16[0] = r.y[oy - sy - 1]!;
      topC[0] = r.u[oc - sc - 1]!;
      topC[9] = r.v[oc - sc - 1]!;
    }
  }

  // ---- chroma ------------------------------------------------------------------------------

  private codeChroma(avail: number, p: QpParams, out: ChromaCoding): void {
    const { topC, leftC, predC, srcC } = this;
    let bestMode = 0, bestCost = Infinity;
    for (let mode = 0; mode < 4; mode++) {
      if (!intraChromaModeAvailable(mode, avail)) continue;
      predictChroma(mode, topC.subarray(0, 9), leftC.subarray(0, 8), avail, predC.subarray(0, 64));
      predictChroma(mode, topC.subarray(9, 18), leftC.subarray(8, 16), avail, predC.subarray(64, 128));
      let cost = p.lambda * ueBits(mode);
      for (let c = 0; c < 2; c++) {
        for (let blk = 0; blk < 4; blk++) cost += this.satdBlock(srcC, predC, c * 64 + (blk >> 1) * 32 + (blk & 1) * 4, 8);
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
      }
    }
    out.mode = bestMode;
    predictChroma(bestMode, topC.subarray(0, 9), leftC.subarray(0, 8), avail, predC.subarray(0, 64));
    predictChroma(bestMode, topC.subarray(9, 18), leftC.subarray(8, 16), avail, predC.subarray(64, 128));

    const qp = p.qpc, m = (qp % 6) * 16, qbits = 15 + ((qp / 6) | 0);
    const bias = ((1 << qbits) / 3) | 0;
    const { coef, diff, dcm } = this;
    let anyDc = false, anyAc = false;
    out.ssd = 0;
    for (let c = 0; c < 2; c++) {
      for (let blk = 0; blk < 4; blk++) {
        const o = c * 64 + (blk >> 1) * 32 + (blk & 1) * 4;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) diff[y * 4 + x] = srcC[o + y * 8 + x]! - predC[o + y * 8 + x]!;
        forward4x4(diff, coef);
        dcm[c * 4 + blk] = coef[0]!;
        const base = (c * 4 + blk) * 16;
        let nz = 0;
        out.ac[base] = 0;
        for (let k = 1; k < 16; k++) {
          const rpos = ZIGZAG_4x4[k]!;
          const level = quant(coef[rpos]!, QUANT_4x4[m + rpos]!, bias, qbits);
          out.ac[base + k] = level;
          if (level !== 0) nz++;
        }
        out.nz[c * 4 + blk] = nz;
        if (nz) anyAc = true;
      }
      // 2x2 DC transform (the forward of 8-329) and quantisation with a doubled step.
      hadamard2x2(dcm, c * 4, this.tmp);
      for (let i = 0; i < 4; i++) {
        const level = quant(this.tmp[i]!, QUANT_4x4[m]!, 2 * bias, qbits + 1);
        out.dc[c * 4 + i] = level;
        if (level !== 0) anyDc = true;
      }
    }
    out.cbp = anyAc ? 2 : anyDc ? 1 : 0;
    if (out.cbp < 2) out.nz.fill(0); // AC blocks are not coded: neighbours see TotalCoeff 0
    // Reconstruction — 8.5.11: inverse 2x2 DC transform, scaling, then each 4x4 block.
    const f = this.dcm;
    for (let c = 0; c < 2; c++) {
      hadamard2x2(out.dc, c * 4, f);
      for (let blk = 0; blk < 4; blk++) {
        const o = c * 64 + (blk >> 1) * 32 + (blk & 1) * 4;
        const base = (c * 4 + blk) * 16;
        this.dequantScan(out.ac, base, qp, coef);
        coef[0] = dequantChromaDc(f[blk]!, qp);
        this.reconstructBlock(coef, predC, o, 8, out.recon, o, 8);
      }
    }
    out.ssd = ssd(srcC, out.recon, 128);
  }

  // ---- Intra_16x16 -------------------------------------------------------------------------

  private codeI16(avail: number, p: QpParams, out: LumaCoding): void {
    const { top16, left16, pred, src16 } = this;
    let bestMode = 2, bestCost = Infinity;
    for (let mode = 0; mode < 4; mode++) {
      if (!intra16x16ModeAvailable(mode, avail)) continue;
      predict16x16(mode, top16, left16, avail, pred);
      let cost = 0;
      for (let r = 0; r < 16; r++) cost += this.satdBlock(src16, pred, (r >> 2) * 64 + (r & 3) * 4, 16);
      if (cost < bestCost) {
        bestCost = cost;
        bestMode = mode;
      }
    }
    out.kind = MbKind.I16x16;
    out.mode16 = bestMode;
    out.satdCost = bestCost + p.lambda * ueBits(1 + bestMode);
    predict16x16(bestMode, top16, left16, avail, pred);

    const qp = p.qp, m = (qp % 6) * 16, qbits = 15 + ((qp / 6) | 0);
    const bias = ((1 << qbits) / 3) | 0;
    const { diff, coef, dcm, tmp } = this;
    let anyAc = false;
    for (let r = 0; r < 16; r++) {
      const o = (r >> 2) * 64 + (r & 3) * 4;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) diff[y * 4 + x] = src16[o + y * 16 + x]! - pred[o + y * 16 + x]!;
      forward4x4(diff, coef);
      dcm[r] = coef[0]!;
      let nz = 0;
      out.levels[r * 16] = 0;
      for (let k = 1; k < 16; k++) {
        const rpos = ZIGZAG_4x4[k]!;
        const level = quant(coef[rpos]!, QUANT_4x4[m + rpos]!, bias, qbits);
        out.levels[r * 16 + k] = level;
        if (level !== 0) nz++;
      }
      out.nz[r] = nz;
      if (nz) anyAc = true;
    }
    // Luma DC: 4x4 Hadamard of the blocks' DC (spatial raster, Figure 8-6), halved, quantised
    // with a doubled step; levels leave in zig-zag order (8.5.6 inverse scan on decode).
    hadamard4x4(dcm, tmp);
    for (let k = 0; k < 16; k++) out.dc[k] = quant(tmp[ZIGZAG_4x4[k]!]!, QUANT_4x4[m]!, 4 * bias, qbits + 2);
    out.cbp = anyAc ? 15 : 0;
    if (!anyAc) out.nz.fill(0);

    // Reconstruction — 8.5.10 then 8.5.12 per block.
    for (let k = 0; k < 16; k++) dcm[ZIGZAG_4x4[k]!] = out.dc[k]!;
    hadamard4x4(dcm, tmp);
    for (let r = 0; r < 16; r++) {
      const o = (r >> 2) * 64 + (r & 3) * 4;
      this.dequantScan(out.levels, r * 16, qp, coef);
      coef[0] = dequantLumaDc(tmp[r]!, qp);
      this.reconstructBlock(coef, pred, o, 16, out.recon, o, 16);
    }
    out.ssd = ssd(src16, out.recon, 256);
  }

  // ---- Intra_4x4 ---------------------------------------------------------------------------

  /** Codes the 16 blocks in decoding order, writing their reconstruction into the picture. */
  private codeI4(pos: MbPosition, mbAvail: number, p: QpParams, out: LumaCoding): void {
    const { mbx, mby } = pos;
    const r = this.recon, sy = r.strideY;
    const origin = mby * 16 * sy + mbx * 16;
    const { edge, pred4, bestPred4, src16, diff, coef } = this;
    const qp = p.qp, m = (qp % 6) * 16, qbits = 15 + ((qp / 6) | 0);
    const bias = ((1 << qbits) / 3) | 0;
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
      // Edge samples (see intra-pred.ts for the layout).
      edge.fill(128);
      if (hasTop) {
        for (let x = 0; x < 4; x++) edge[5 + x] = r.y[bo - sy + x]!;
        if (hasTopRight) for (let x = 4; x < 8; x++) edge[5 + x] = r.y[bo - sy + x]!;
        else edge.fill(edge[8]!, 9, 13);
      }
      if (hasLeft) for (let y = 0; y < 4; y++) edge[3 - y] = r.y[bo + y * sy - 1]!;
      if (hasLeft && hasTop) edge[4] = r.y[bo - sy - 1]!;

      // Predicted mode — 8.3.1.1: DC when a neighbour is unavailable, min(A, B) otherwise
      // (neighbours that are not Intra_4x4 count as DC; state.i4Mode stores 2 for them).
      let predMode = Intra4x4Mode.Dc as number;
      if (hasLeft && hasTop) {
        const a = x4 > 0 ? out.modes4[rpos - 1]! : state.i4Mode[(pos.mb - 1) * 16 + y4 * 4 + 3]!;
        const b = y4 > 0 ? out.modes4[rpos - 4]! : state.i4Mode[(pos.mb - state.mbWidth) * 16 + 12 + x4]!;
        predMode = a < b ? a : b;
      }

      const so = y4 * 64 + x4 * 4;
      let bestMode = 2, bestCost = Infinity;
      const modeMask = this.search.i4Modes === 'all' ? 0x1ff : FAST_I4_MODES | (1 << predMode);
      for (let mode = 0; mode < 9; mode++) {
        if ((modeMask & (1 << mode)) === 0 || !intra4x4ModeAvailable(mode, avail)) continue;
        predict4x4(mode, edge, avail, pred4);
        const cost = satd4x4Px(src16, so, 16, pred4, 0, 4) + p.lambda * (mode === predMode ? 1 : 4);
        if (cost < bestCost) {
          bestCost = cost;
          bestMode = mode;
        }
      }
      satdSum += bestCost;
      predict4x4(bestMode, edge, avail, bestPred4);
      out.modes4[rpos] = bestMode;
      out.predModes4[rpos] = predMode;

      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) diff[y * 4 + x] = src16[so + y * 16 + x]! - bestPred4[y * 4 + x]!;
      forward4x4(diff, coef);
      let nz = 0;
      for (let k = 0; k < 16; k++) {
        const rp = ZIGZAG_4x4[k]!;
        const level = quant(coef[rp]!, QUANT_4x4[m + rp]!, bias, qbits);
        out.levels[rpos * 16 + k] = level;
        if (level !== 0) nz++;
      }
      out.nz[rpos] = nz;
      if (nz) out.cbp |= 1 << ((y4 >> 1) * 2 + (x4 >> 1));
      this.dequantScan(out.levels, rpos * 16, qp, coef);
      if (nz === 0) coef[0] = 0;
      else coef[0] = out.levels[rpos * 16]! * DEQUANT_4x4[m]! << ((qp / 6) | 0);
      // Reconstruct straight into the picture: the next blocks predict from it.
      this.reconstructBlock(coef, bestPred4, 0, 4, r.y, bo, sy);
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const v = r.y[bo + y * sy + x]!;
          out.recon[so + y * 16 + x] = v;
          const d = src16[so + y * 16 + x]! - v;
          ssdSum += d * d;
        }
      }
    }
    out.ssd = ssdSum;
    out.satdCost = satdSum;
  }

  // ---- shared helpers ----------------------------------------------------------------------

  private satdBlock(src: Uint8Array, pred: Uint8Array, o: number, stride: number): number {
    return satd4x4Px(src, o, stride, pred, o, stride);
  }

  /** Scan-ordered levels at levels[base + 1..15] -> scaled raster coefficients (8.5.6, 8.5.12.1). */
  private dequantScan(levels: Int32Array, base: number, qp: number, out: Int32Array): void {
    const m = (qp % 6) * 16, shift = (qp / 6) | 0;
    out[0] = 0;
    for (let k = 1; k < 16; k++) {
      const rp = ZIGZAG_4x4[k]!;
      out[rp] = (levels[base + k]! * DEQUANT_4x4[m + rp]!) << shift;
    }
  }

  /** Inverse transform of `coef` (raster, scaled) added to a prediction, clipped — 8.5.12, 8.5.14. */
  private reconstructBlock(coef: Int32Array, pred: Uint8Array, po: number, ps: number, dst: Uint8Array, dOff: number, ds: number): void {
    let any = false;
    for (let i = 0; i < 16; i++) if (coef[i] !== 0) { any = true; break; }
    if (any) inverse4x4(coef);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const v = pred[po + y * ps + x]! + (any ? coef[y * 4 + x]! : 0);
        dst[dOff + y * ds + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }

  /** Commits the chosen coding: reconstruction into the picture and context into MbState. */
  private commit(pos: MbPosition, luma: LumaCoding, chroma: ChromaCoding): void {
    const { recon, state } = this;
    const sy = recon.strideY, sc = recon.strideC;
    const oy = pos.mby * 16 * sy + pos.mbx * 16, oc = pos.mby * 8 * sc + pos.mbx * 8;
    for (let y = 0; y < 16; y++) recon.y.set(luma.recon.subarray(y * 16, y * 16 + 16), oy + y * sy);
    for (let y = 0; y < 8; y++) {
      recon.u.set(chroma.recon.subarray(y * 8, y * 8 + 8), oc + y * sc);
      recon.v.set(chroma.recon.subarray(64 + y * 8, 64 + y * 8 + 8), oc + y * sc);
    }
    const mb = pos.mb;
    state.kind[mb] = luma.kind;
    if (luma.kind === MbKind.I4x4) state.i4Mode.set(luma.modes4, mb * 16);
    else state.i4Mode.fill(Intra4x4Mode.Dc, mb * 16, mb * 16 + 16);
    state.nzLuma.set(luma.nz, mb * 16);
    state.nzCb.set(chroma.nz.subarray(0, 4), mb * 4);
    state.nzCr.set(chroma.nz.subarray(4, 8), mb * 4);
  }

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

/**
 * The 2x2 transform of chroma DC, [[1,1],[1,-1]] c [[1,1],[1,-1]] — 8-329; its own inverse up to
 * scale, so the encoder uses it both ways. Reads c[o..o+3] (raster), writes out[0..3].
 */
function hadamard2x2(c: Int32Array, o: number, out: Int32Array): void {
  const c0 = c[o]!, c1 = c[o + 1]!, c2 = c[o + 2]!, c3 = c[o + 3]!;
  out[0] = c0 + c1 + c2 + c3;
  out[1] = c0 - c1 + c2 - c3;
  out[2] = c0 + c1 - c2 - c3;
  out[3] = c0 - c1 - c2 + c3;
}

function ssd(a: Uint8Array, b: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}
