/**
 * Residual coding of a predicted macroblock (inter, or any prediction made in full beforehand):
 * 4x4 transforms of luma, chroma with its 2x2 DC transform, quantisation with a chosen dead zone,
 * and the reconstruction a decoder computes (8.5.11, 8.5.12).
 *
 * Luma blocks whose 8x8 carries only a few isolated +-1 levels are zeroed (x264's decimation):
 * coding them costs more bits than the distortion they remove.
 */
import { QUANT_4x4, dequantChromaDc, forwardQuant4x4Px, quant, reconstruct4x4 } from './common/transform.js';
import type { ChromaCoding, LumaCoding } from './macroblock-writer.js';
import type { SimdKernels } from './simd/kernels.js';

/** Scaled coefficients of every 4x4 block (raster block r at r * 16), ready for reconstruction. */
const lumaCoef = new Int32Array(256);
const chromaCoef = new Int32Array(128);
const dcm = new Int32Array(8);
const dcT = new Int32Array(4);

/**
 * x264's decimate score weights for a +-1 level by the zeros that precede it (scan order, from the
 * end): isolated small levels score little.
 */
const DECIMATE_4x4 = Uint8Array.of(3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/**
 * x264's decimation thresholds for inter luma: an 8x8 scoring less than DECIMATE_8x8_KEEP is
 * cleared, and so is the whole macroblock when the kept 8x8s score less than DECIMATE_MB_KEEP.
 */
const DECIMATE_8x8_KEEP = 4;
const DECIMATE_MB_KEEP = 6;

/** The quantiser's rounding for a dead zone (a fraction of a step) at a QP: what forwardQuant4x4Px adds before its shift. */
export function deadZoneBias(qp: number, deadZone: number): number {
  return ((1 << (15 + ((qp / 6) | 0))) * deadZone) | 0;
}

/** Decimation score of one block's levels (scan order); 9 or more means "keep". */
function decimateScore(levels: Int32Array, base: number): number {
  let i = 15;
  while (i >= 0 && levels[base + i] === 0) i--;
  let score = 0;
  while (i >= 0) {
    const v = levels[base + i]!;
    if (v > 1 || v < -1) return 9;
    i--;
    let run = 0;
    while (i >= 0 && levels[base + i] === 0) { i--; run++; }
    score += DECIMATE_4x4[run]!;
  }
  return score;
}

/**
 * Codes the 16 luma 4x4 blocks of `src - pred` (both 16x16, stride 16) into `out` (levels, nz,
 * cbp, recon, ssd). `deadZone` is the quantiser rounding as a fraction of a step. The SIMD
 * kernels' codeInter does the same for inter macroblocks (with decimation, and the chroma).
 */
export function codeLumaResidual(src: Uint8Array, pred: Uint8Array, qp: number, deadZone: number, decimate: boolean, out: LumaCoding): void {
  const bias = deadZoneBias(qp, deadZone);
  out.cbp = 0;
  const coef = lumaCoef;
  for (let r = 0; r < 16; r++) {
    const o = (r >> 2) * 64 + (r & 3) * 4;
    out.nz[r] = forwardQuant4x4Px(src, o, 16, pred, o, 16, coef, r * 16, out.levels, r * 16, 0, qp, bias);
  }
  // Decimation per 8x8 and per macroblock (DECIMATE_8x8_KEEP, DECIMATE_MB_KEEP), as x264 does for inter blocks.
  let total = 0;
  for (let b8 = 0; b8 < 4; b8++) {
    const r0 = (b8 >> 1) * 8 + (b8 & 1) * 2;
    let score = 0, any = false;
    for (let k = 0; k < 4; k++) {
      const r = r0 + (k & 1) + (k >> 1) * 4;
      if (out.nz[r]) {
        any = true;
        score += decimate ? decimateScore(out.levels, r * 16) : 9;
      }
    }
    if (!any) continue;
    if (score < DECIMATE_8x8_KEEP) {
      for (let k = 0; k < 4; k++) clearBlock(out, coef, r0 + (k & 1) + (k >> 1) * 4);
    } else {
      out.cbp |= 1 << b8;
      total += score;
    }
  }
  if (decimate && out.cbp !== 0 && total < DECIMATE_MB_KEEP) {
    for (let r = 0; r < 16; r++) clearBlock(out, coef, r);
    out.cbp = 0;
  }
  // Reconstruction: blocks without levels are the prediction itself.
  let ssd = 0;
  for (let r = 0; r < 16; r++) {
    const o = (r >> 2) * 64 + (r & 3) * 4;
    ssd += out.nz[r]
      ? reconstruct4x4(coef, r * 16, pred, o, 16, out.recon, o, 16, src, o, 16)
      : copyPrediction(pred, o, 16, out.recon, o, 16, src, o, 16);
  }
  out.ssd = ssd;
}

const probeLevels = new Int32Array(256);

/**
 * Whether codeLumaResidual(src, pred, qp, deadZone, true, ...) would leave cbp 0 (every block
 * quantised to nothing or decimated away), found with as little work as possible: an 8x8 at a
 * time, stopping once the kept blocks' decimation scores reach the macroblock's threshold,
 * past which nothing is cleared. The early P_Skip test of motion analysis (x264's probe_pskip):
 * most macroblocks that are not skippable show it in their first 8x8. The SIMD kernels' skipProbe
 * makes the same test.
 */
export function lumaResidualVanishes(src: Uint8Array, pred: Uint8Array, qp: number, deadZone: number): boolean {
  const bias = deadZoneBias(qp, deadZone);
  let total = 0;
  for (let b8 = 0; b8 < 4; b8++) {
    const r0 = (b8 >> 1) * 8 + (b8 & 1) * 2;
    let score = 0;
    for (let k = 0; k < 4; k++) {
      const r = r0 + (k & 1) + (k >> 1) * 4;
      const o = (r >> 2) * 64 + (r & 3) * 4;
      if (forwardQuant4x4Px(src, o, 16, pred, o, 16, lumaCoef, r * 16, probeLevels, r * 16, 0, qp, bias) !== 0) {
        score += decimateScore(probeLevels, r * 16);
      }
    }
    // As codeLumaResidual: a low-scoring 8x8 is cleared, the rest count towards the total.
    if (score >= DECIMATE_8x8_KEEP) {
      total += score;
      if (total >= DECIMATE_MB_KEEP) return false;
    }
  }
  return true;
}

/**
 * Whether codeChromaResidual(src, pred, 0, pred, 64, qpc, deadZone, ...) would give cbp 0 (no AC
 * and no DC level), without its reconstruction and stopping at the first level: the chroma half
 * of the early P_Skip test (the SIMD kernels' skipProbe makes the same). `pred` holds Cb at 0 and
 * Cr at 64 (stride 8).
 */
export function chromaResidualVanishes(src: Uint8Array, pred: Uint8Array, qpc: number, deadZone: number): boolean {
  const m = (qpc % 6) * 16, qbits = 15 + ((qpc / 6) | 0);
  const bias = deadZoneBias(qpc, deadZone);
  for (let b = 0; b < 8; b++) {
    const o = (b >> 2) * 64 + ((b >> 1) & 1) * 32 + (b & 1) * 4;
    if (forwardQuant4x4Px(src, o, 8, pred, o, 8, chromaCoef, b * 16, probeLevels, b * 16, 1, qpc, bias) !== 0) return false;
    dcm[b] = chromaCoef[b * 16]!;
  }
  for (let c = 0; c < 2; c++) {
    hadamard2x2(dcm, c * 4, dcT);
    for (let i = 0; i < 4; i++) if (quant(dcT[i]!, QUANT_4x4[m]!, 2 * bias, qbits + 1) !== 0) return false;
  }
  return true;
}

function clearBlock(out: LumaCoding, coef: Int32Array, r: number): void {
  out.levels.fill(0, r * 16, r * 16 + 16);
  coef.fill(0, r * 16, r * 16 + 16);
  out.nz[r] = 0;
}

/**
 * Codes the chroma residual (Cb then Cr, 8x8 each, stride 8) of `src` (Cb at 0, Cr at 64) against
 * the predictions predCb[cbOffset..] and predCr[crOffset..] (stride 8) into `out` (dc, ac, nz,
 * cbp, recon, ssd), with the 2x2 DC transform and a doubled DC step (8.5.11). Intra and inter
 * macroblocks share it; the prediction mode field is left to the caller. With `simd`, src, predCb
 * and out's arrays must be views in its memory (ChromaCoding's alloc), and Cr's prediction must
 * follow Cb's (predCr = predCb, crOffset = cbOffset + 64): its codeChroma kernel does it all.
 */
export function codeChromaResidual(
  src: Uint8Array, predCb: Uint8Array, cbOffset: number, predCr: Uint8Array, crOffset: number,
  qpc: number, deadZone: number, out: ChromaCoding, simd: SimdKernels | null = null,
): void {
  const bias = deadZoneBias(qpc, deadZone);
  if (simd !== null) {
    // All of it in one call (codeChromaSource); SSD and cbp come back in interResult.
    const q6 = (qpc / 6) | 0;
    simd.k.codeChroma(src.byteOffset, predCb.byteOffset + cbOffset, qpc - 6 * q6, q6, bias, simd.quantTable, simd.coef.byteOffset,
      out.dc.byteOffset, out.ac.byteOffset, out.nz.byteOffset, out.recon.byteOffset, simd.interResult.byteOffset);
    out.ssd = simd.interResult[2]!;
    out.cbp = simd.interResult[3]!;
    return;
  }
  const m = (qpc % 6) * 16, qbits = 15 + ((qpc / 6) | 0);
  let anyDc = false, anyAc = false;
  const coef = chromaCoef;
  for (let c = 0; c < 2; c++) {
    const pred = c === 0 ? predCb : predCr, pOff = c === 0 ? cbOffset : crOffset;
    for (let blk = 0; blk < 4; blk++) {
      const o = (blk >> 1) * 32 + (blk & 1) * 4;
      const base = (c * 4 + blk) * 16;
      out.ac[base] = 0;
      // start = 1: AC levels in scan order, the unquantised DC left in chromaCoef[base].
      const nz = forwardQuant4x4Px(src, c * 64 + o, 8, pred, pOff + o, 8, chromaCoef, base, out.ac, base, 1, qpc, bias);
      dcm[c * 4 + blk] = chromaCoef[base]!;
      out.nz[c * 4 + blk] = nz;
      if (nz) anyAc = true;
    }
  }
  for (let c = 0; c < 2; c++) {
    hadamard2x2(dcm, c * 4, dcT);
    for (let i = 0; i < 4; i++) {
      const level = quant(dcT[i]!, QUANT_4x4[m]!, 2 * bias, qbits + 1);
      out.dc[c * 4 + i] = level;
      if (level !== 0) anyDc = true;
    }
  }
  out.cbp = anyAc ? 2 : anyDc ? 1 : 0;
  if (out.cbp < 2) out.nz.fill(0); // AC blocks are not coded: neighbours see TotalCoeff 0
  // Reconstruction: inverse 2x2 DC transform, scaling (8-330), then each 4x4 block; a block
  // with neither AC levels nor a DC is the prediction itself (bit b of `coded` clear).
  let coded = 0;
  for (let c = 0; c < 2; c++) {
    hadamard2x2(out.dc, c * 4, dcT);
    for (let blk = 0; blk < 4; blk++) {
      const b = c * 4 + blk, dc = dequantChromaDc(dcT[blk]!, qpc);
      coef[b * 16] = dc;
      if (out.nz[b]! !== 0 || dc !== 0) coded |= 1 << b;
    }
  }
  let ssd = 0;
  for (let b = 0; b < 8; b++) {
    const c = b >> 2, blk = b & 3;
    const pred = c === 0 ? predCb : predCr, pOff = c === 0 ? cbOffset : crOffset;
    const o = (blk >> 1) * 32 + (blk & 1) * 4;
    ssd += (coded >> b) & 1
      ? reconstruct4x4(coef, b * 16, pred, pOff + o, 8, out.recon, c * 64 + o, 8, src, c * 64 + o, 8)
      : copyPrediction(pred, pOff + o, 8, out.recon, c * 64 + o, 8, src, c * 64 + o, 8);
  }
  out.ssd = ssd;
}

/** A 4x4 block without residual: the prediction is the reconstruction. Returns its SSD. */
export function copyPrediction(
  pred: Uint8Array, po: number, ps: number, dst: Uint8Array, dOff: number, ds: number, src: Uint8Array, so: number, ss: number,
): number {
  let ssd = 0;
  for (let y = 0; y < 4; y++, po += ps, dOff += ds, so += ss) {
    for (let x = 0; x < 4; x++) {
      const v = pred[po + x]!;
      dst[dOff + x] = v;
      const d = src[so + x]! - v;
      ssd += d * d;
    }
  }
  return ssd;
}

/** The 2x2 chroma DC transform (8-329), its own inverse up to scale. */
function hadamard2x2(c: Int32Array, o: number, out: Int32Array): void {
  const c0 = c[o]!, c1 = c[o + 1]!, c2 = c[o + 2]!, c3 = c[o + 3]!;
  out[0] = c0 + c1 + c2 + c3;
  out[1] = c0 - c1 + c2 - c3;
  out[2] = c0 + c1 - c2 - c3;
  out[3] = c0 - c1 - c2 + c3;
}
