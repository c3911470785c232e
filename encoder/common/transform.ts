/**
 * The 4x4 integer transform, the DC Hadamard transforms and (de)quantisation with flat scaling
 * matrices. The inverse side is the decoding process (8.5.12) and must match it bit for bit; the
 * forward side is the encoder's choice (the usual scaled integer approximation of the DCT).
 * Blocks are 16 Int32 values in raster order (index = y*4 + x).
 */

/** Frame zig-zag scan — Table 8-13 (idx -> raster position). */
export const ZIGZAG_4x4 = Uint8Array.of(0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15);

/**
 * normAdjust4x4(m, i, j) — 8.5.9, equation 8-315: v[m] = [v0, v1, v2] for positions with both i and
 * j even, both odd, and otherwise. With flat weights (Flat_4x4_16) LevelScale4x4 = 16 * normAdjust.
 */
const DEQUANT_V = [
  [10, 16, 13],
  [11, 18, 14],
  [13, 20, 16],
  [14, 23, 18],
  [16, 25, 20],
  [18, 29, 23],
];

/** The encoder's forward multipliers, MF = 2^15 * ... / v (the usual H.264 quantiser design). */
const QUANT_MF = [
  [13107, 5243, 8066],
  [11916, 4660, 7490],
  [10082, 4194, 6554],
  [9362, 3647, 5825],
  [8192, 3355, 5243],
  [7282, 2893, 4559],
];

function positionClass(pos: number): number {
  const x = pos & 3, y = pos >> 2;
  if ((x & 1) === 0 && (y & 1) === 0) return 0;
  if ((x & 1) === 1 && (y & 1) === 1) return 1;
  return 2;
}

/** DEQUANT[qp % 6][pos] and QUANT[qp % 6][pos], flattened: index (qp % 6) * 16 + pos. */
export const DEQUANT_4x4 = new Int32Array(96);
export const QUANT_4x4 = new Int32Array(96);
for (let m = 0; m < 6; m++) {
  for (let pos = 0; pos < 16; pos++) {
    DEQUANT_4x4[m * 16 + pos] = DEQUANT_V[m]![positionClass(pos)]!;
    QUANT_4x4[m * 16 + pos] = QUANT_MF[m]![positionClass(pos)]!;
  }
}

/** QPc as a function of qPI — Table 8-15 (identity below 30). */
export const CHROMA_QP = new Uint8Array(52);
{
  const high = [29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39];
  for (let q = 0; q < 52; q++) CHROMA_QP[q] = q < 30 ? q : high[q - 30]!;
}

/** Forward core transform Cf * X * Cf^T (the inverse of 8.5.12.2 up to scaling). */
export function forward4x4(src: Int32Array, dst: Int32Array): void {
  for (let i = 0; i < 4; i++) {
    const a = src[i * 4]!, b = src[i * 4 + 1]!, c = src[i * 4 + 2]!, d = src[i * 4 + 3]!;
    const s03 = a + d, d03 = a - d, s12 = b + c, d12 = b - c;
    dst[i * 4] = s03 + s12;
    dst[i * 4 + 1] = 2 * d03 + d12;
    dst[i * 4 + 2] = s03 - s12;
    dst[i * 4 + 3] = d03 - 2 * d12;
  }
  for (let i = 0; i < 4; i++) {
    const a = dst[i]!, b = dst[4 + i]!, c = dst[8 + i]!, d = dst[12 + i]!;
    const s03 = a + d, d03 = a - d, s12 = b + c, d12 = b - c;
    dst[i] = s03 + s12;
    dst[4 + i] = 2 * d03 + d12;
    dst[8 + i] = s03 - s12;
    dst[12 + i] = d03 - 2 * d12;
  }
}

/**
 * The forward path of one 4x4 block, fused and unrolled: the difference a - b of two sample
 * blocks (at ao and bo, strides as and bs), forward4x4, quantisation of the zig-zag positions
 * start..15 into levels[lo + k] (scan order, what CAVLC writes) and, at coef[co + raster
 * position], each level scaled as the decoder will scale it (8.5.12.1), ready for
 * reconstruct4x4. With start = 1 (Intra_16x16 and chroma AC) coef[co] receives the unquantised
 * DC coefficient and levels[lo] is left alone. `bias` sets the dead zone as in quant(). Returns
 * TotalCoeff. The reference is forward4x4, then quant() per coefficient, then dequant4x4.
 */
export function forwardQuant4x4Px(
  a: Uint8Array, ao: number, as: number, b: Uint8Array, bo: number, bs: number,
  coef: Int32Array, co: number, levels: Int32Array, lo: number, start: number, qp: number, bias: number,
): number {
  // Rows (r{row}{column}), then columns (c{row}{column}): forward4x4's two passes.
  let x0 = a[ao]! - b[bo]!, x1 = a[ao + 1]! - b[bo + 1]!, x2 = a[ao + 2]! - b[bo + 2]!, x3 = a[ao + 3]! - b[bo + 3]!;
  const r00 = x0 + x3 + x1 + x2, r01 = 2 * (x0 - x3) + x1 - x2, r02 = x0 + x3 - x1 - x2, r03 = x0 - x3 - 2 * (x1 - x2);
  ao += as; bo += bs;
  x0 = a[ao]! - b[bo]!; x1 = a[ao + 1]! - b[bo + 1]!; x2 = a[ao + 2]! - b[bo + 2]!; x3 = a[ao + 3]! - b[bo + 3]!;
  const r10 = x0 + x3 + x1 + x2, r11 = 2 * (x0 - x3) + x1 - x2, r12 = x0 + x3 - x1 - x2, r13 = x0 - x3 - 2 * (x1 - x2);
  ao += as; bo += bs;
  x0 = a[ao]! - b[bo]!; x1 = a[ao + 1]! - b[bo + 1]!; x2 = a[ao + 2]! - b[bo + 2]!; x3 = a[ao + 3]! - b[bo + 3]!;
  const r20 = x0 + x3 + x1 + x2, r21 = 2 * (x0 - x3) + x1 - x2, r22 = x0 + x3 - x1 - x2, r23 = x0 - x3 - 2 * (x1 - x2);
  ao += as; bo += bs;
  x0 = a[ao]! - b[bo]!; x1 = a[ao + 1]! - b[bo + 1]!; x2 = a[ao + 2]! - b[bo + 2]!; x3 = a[ao + 3]! - b[bo + 3]!;
  const r30 = x0 + x3 + x1 + x2, r31 = 2 * (x0 - x3) + x1 - x2, r32 = x0 + x3 - x1 - x2, r33 = x0 - x3 - 2 * (x1 - x2);
  const c00 = r00 + r30 + r10 + r20, c10 = 2 * (r00 - r30) + r10 - r20, c20 = r00 + r30 - r10 - r20, c30 = r00 - r30 - 2 * (r10 - r20);
  const c01 = r01 + r31 + r11 + r21, c11 = 2 * (r01 - r31) + r11 - r21, c21 = r01 + r31 - r11 - r21, c31 = r01 - r31 - 2 * (r11 - r21);
  const c02 = r02 + r32 + r12 + r22, c12 = 2 * (r02 - r32) + r12 - r22, c22 = r02 + r32 - r12 - r22, c32 = r02 - r32 - 2 * (r12 - r22);
  const c03 = r03 + r33 + r13 + r23, c13 = 2 * (r03 - r33) + r13 - r23, c23 = r03 + r33 - r13 - r23, c33 = r03 - r33 - 2 * (r13 - r23);

  // Multipliers and scales of the three position classes (see QUANT_MF, DEQUANT_V).
  const q6 = (qp / 6) | 0, m = qp - 6 * q6, qbits = 15 + q6;
  const mfs = QUANT_MF[m]!, vs = DEQUANT_V[m]!;
  const mf0 = mfs[0]!, mf1 = mfs[1]!, mf2 = mfs[2]!, v0 = vs[0]!, v1 = vs[1]!, v2 = vs[2]!;
  let nz = 0, l: number;
  if (start === 0) {
    l = quantLevel(c00, mf0, bias, qbits); levels[lo] = l; coef[co] = (l * v0) << q6; nz += (l | -l) >>> 31;
  } else {
    coef[co] = c00;
  }
  // In raster order; levels go to their zig-zag index (Table 8-13), `(l | -l) >>> 31` is l !== 0.
  l = quantLevel(c01, mf2, bias, qbits); levels[lo + 1] = l; coef[co + 1] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c02, mf0, bias, qbits); levels[lo + 5] = l; coef[co + 2] = (l * v0) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c03, mf2, bias, qbits); levels[lo + 6] = l; coef[co + 3] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c10, mf2, bias, qbits); levels[lo + 2] = l; coef[co + 4] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c11, mf1, bias, qbits); levels[lo + 4] = l; coef[co + 5] = (l * v1) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c12, mf2, bias, qbits); levels[lo + 7] = l; coef[co + 6] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c13, mf1, bias, qbits); levels[lo + 12] = l; coef[co + 7] = (l * v1) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c20, mf0, bias, qbits); levels[lo + 3] = l; coef[co + 8] = (l * v0) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c21, mf2, bias, qbits); levels[lo + 8] = l; coef[co + 9] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c22, mf0, bias, qbits); levels[lo + 11] = l; coef[co + 10] = (l * v0) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c23, mf2, bias, qbits); levels[lo + 13] = l; coef[co + 11] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c30, mf2, bias, qbits); levels[lo + 9] = l; coef[co + 12] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c31, mf1, bias, qbits); levels[lo + 10] = l; coef[co + 13] = (l * v1) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c32, mf2, bias, qbits); levels[lo + 14] = l; coef[co + 14] = (l * v2) << q6; nz += (l | -l) >>> 31;
  l = quantLevel(c33, mf1, bias, qbits); levels[lo + 15] = l; coef[co + 15] = (l * v1) << q6; nz += (l | -l) >>> 31;
  return nz;
}

/** quant() without the branch: (x ^ s) - s is |x| for s = x >> 31, and restores the sign after. */
function quantLevel(c: number, mf: number, bias: number, qbits: number): number {
  const s = c >> 31;
  return ((((c ^ s) - s) * mf + bias) >> qbits ^ s) - s;
}

/**
 * Transformation process for residual 4x4 blocks — 8.5.12.2: rows first (8-338..8-345), then
 * columns, then r = (h + 32) >> 6 (8-354). In place.
 */
export function inverse4x4(d: Int32Array): void {
  for (let i = 0; i < 16; i += 4) {
    const d0 = d[i]!, d1 = d[i + 1]!, d2 = d[i + 2]!, d3 = d[i + 3]!;
    const e = d0 + d2, f = d0 - d2, g = (d1 >> 1) - d3, h = d1 + (d3 >> 1);
    d[i] = e + h;
    d[i + 1] = f + g;
    d[i + 2] = f - g;
    d[i + 3] = e - h;
  }
  for (let j = 0; j < 4; j++) {
    const f0 = d[j]!, f1 = d[4 + j]!, f2 = d[8 + j]!, f3 = d[12 + j]!;
    const e = f0 + f2, f = f0 - f2, g = (f1 >> 1) - f3, h = f1 + (f3 >> 1);
    d[j] = (e + h + 32) >> 6;
    d[4 + j] = (f + g + 32) >> 6;
    d[8 + j] = (f - g + 32) >> 6;
    d[12 + j] = (e - h + 32) >> 6;
  }
}

/**
 * Reconstruction of one 4x4 block, fused: inverse4x4 of coef[co..co+15] (8.5.12.2, the same
 * arithmetic in locals), added to the prediction and clipped (8.5.14), written to dst. Returns
 * the SSD of the result against src, which the mode decision needs. The reference is inverse4x4
 * followed by the add and clip.
 */
export function reconstruct4x4(
  coef: Int32Array, co: number, pred: Uint8Array, po: number, ps: number,
  dst: Uint8Array, dOff: number, ds: number, src: Uint8Array, so: number, ss: number,
): number {
  // Rows: e, f, g, h as in 8-338..8-341, then f[i][0..3] (8-342..8-345).
  let d0 = coef[co]!, d1 = coef[co + 1]!, d2 = coef[co + 2]!, d3 = coef[co + 3]!;
  let e = d0 + d2, f = d0 - d2, g = (d1 >> 1) - d3, h = d1 + (d3 >> 1);
  const f00 = e + h, f01 = f + g, f02 = f - g, f03 = e - h;
  d0 = coef[co + 4]!; d1 = coef[co + 5]!; d2 = coef[co + 6]!; d3 = coef[co + 7]!;
  e = d0 + d2; f = d0 - d2; g = (d1 >> 1) - d3; h = d1 + (d3 >> 1);
  const f10 = e + h, f11 = f + g, f12 = f - g, f13 = e - h;
  d0 = coef[co + 8]!; d1 = coef[co + 9]!; d2 = coef[co + 10]!; d3 = coef[co + 11]!;
  e = d0 + d2; f = d0 - d2; g = (d1 >> 1) - d3; h = d1 + (d3 >> 1);
  const f20 = e + h, f21 = f + g, f22 = f - g, f23 = e - h;
  d0 = coef[co + 12]!; d1 = coef[co + 13]!; d2 = coef[co + 14]!; d3 = coef[co + 15]!;
  e = d0 + d2; f = d0 - d2; g = (d1 >> 1) - d3; h = d1 + (d3 >> 1);
  const f30 = e + h, f31 = f + g, f32 = f - g, f33 = e - h;
  // Columns (8-346..8-353) and r = (h + 32) >> 6 (8-354), one column of samples at a time.
  return reconstructColumn(f00, f10, f20, f30, pred, po, ps, dst, dOff, ds, src, so, ss)
    + reconstructColumn(f01, f11, f21, f31, pred, po + 1, ps, dst, dOff + 1, ds, src, so + 1, ss)
    + reconstructColumn(f02, f12, f22, f32, pred, po + 2, ps, dst, dOff + 2, ds, src, so + 2, ss)
    + reconstructColumn(f03, f13, f23, f33, pred, po + 3, ps, dst, dOff + 3, ds, src, so + 3, ss);
}

function reconstructColumn(
  f0: number, f1: number, f2: number, f3: number, pred: Uint8Array, po: number, ps: number,
  dst: Uint8Array, dOff: number, ds: number, src: Uint8Array, so: number, ss: number,
): number {
  const e = f0 + f2, f = f0 - f2, g = (f1 >> 1) - f3, h = f1 + (f3 >> 1);
  const v0 = clip255(pred[po]! + ((e + h + 32) >> 6));
  const v1 = clip255(pred[po + ps]! + ((f + g + 32) >> 6));
  const v2 = clip255(pred[po + 2 * ps]! + ((f - g + 32) >> 6));
  const v3 = clip255(pred[po + 3 * ps]! + ((e - h + 32) >> 6));
  dst[dOff] = v0; dst[dOff + ds] = v1; dst[dOff + 2 * ds] = v2; dst[dOff + 3 * ds] = v3;
  const s0 = src[so]! - v0, s1 = src[so + ss]! - v1, s2 = src[so + 2 * ss]! - v2, s3 = src[so + 3 * ss]! - v3;
  return s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3;
}

function clip255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** 4x4 Hadamard (both the forward and the inverse of 8.5.10 are this matrix product, unscaled). */
export function hadamard4x4(src: Int32Array, dst: Int32Array): void {
  for (let i = 0; i < 4; i++) {
    const a = src[i * 4]!, b = src[i * 4 + 1]!, c = src[i * 4 + 2]!, d = src[i * 4 + 3]!;
    const s01 = a + b, d01 = a - b, s23 = c + d, d23 = c - d;
    dst[i * 4] = s01 + s23;
    dst[i * 4 + 1] = s01 - s23;
    dst[i * 4 + 2] = d01 - d23;
    dst[i * 4 + 3] = d01 + d23;
  }
  for (let i = 0; i < 4; i++) {
    const a = dst[i]!, b = dst[4 + i]!, c = dst[8 + i]!, d = dst[12 + i]!;
    const s01 = a + b, d01 = a - b, s23 = c + d, d23 = c - d;
    dst[i] = s01 + s23;
    dst[4 + i] = s01 - s23;
    dst[8 + i] = d01 - d23;
    dst[12 + i] = d01 + d23;
  }
}

/**
 * Quantises one coefficient: sign(c) * ((|c| * mf + bias) >> shift). `bias` sets the dead zone
 * (x264 and JM use 1/3 of a step for intra, 1/6 for inter).
 */
export function quant(c: number, mf: number, bias: number, shift: number): number {
  return c >= 0 ? (c * mf + bias) >> shift : -((-c * mf + bias) >> shift);
}

/**
 * Scaling of a 4x4 block's levels (not the DC of Intra16x16 or chroma) — 8.5.12.1 with flat
 * matrices: d = (c * LevelScale4x4) << (qP/6) >> 4 == c * v << (qP/6) exactly. Raster in, raster
 * out: the plain reference of the scaling that quant4x4 fuses with quantisation.
 */
export function dequant4x4(levels: Int32Array, out: Int32Array, qp: number, startIdx: number): void {
  const m = (qp % 6) * 16, shift = (qp / 6) | 0;
  for (let i = startIdx; i < 16; i++) out[i] = (levels[i]! * DEQUANT_4x4[m + i]!) << shift;
}

/**
 * Scaling of Intra16x16 DC values after the inverse Hadamard — 8.5.10, 8-326/8-327:
 * qP >= 36: dcY = (f * LevelScale4x4(qP%6,0,0)) << (qP/6 - 6); else (f * LS + 2^(5-qP/6)) >> (6 - qP/6).
 */
export function dequantLumaDc(f: number, qp: number): number {
  const ls = 16 * DEQUANT_V[qp % 6]![0]!, q6 = (qp / 6) | 0;
  return qp >= 36 ? (f * ls) << (q6 - 6) : (f * ls + (1 << (5 - q6))) >> (6 - q6);
}

/** Scaling of chroma DC (4:2:0) after the 2x2 transform — 8.5.11.2, 8-330: ((f * LS) << (qP/6)) >> 5. */
export function dequantChromaDc(f: number, qp: number): number {
  const ls = 16 * DEQUANT_V[qp % 6]![0]!;
  return ((f * ls) << ((qp / 6) | 0)) >> 5;
}

/** Sum of absolute Hadamard-transformed differences of a 4x4 block, halved (x264's SATD scale). */
export function satd4x4(diff: Int32Array, tmp: Int32Array): number {
  hadamard4x4(diff, tmp);
  let s = 0;
  for (let i = 0; i < 16; i++) {
    const v = tmp[i]!, m = v >> 31;
    s += (v ^ m) - m;
  }
  return s >> 1;
}

/**
 * SATD of a - b for 4x4 blocks read straight from two sample arrays (fused difference and
 * Hadamard, the intermediate rows in locals; the fast kernel that satd4x4 is the reference for).
 */
export function satd4x4Px(a: Uint8Array, ao: number, as: number, b: Uint8Array, bo: number, bs: number): number {
  let d0 = a[ao]! - b[bo]!, d1 = a[ao + 1]! - b[bo + 1]!, d2 = a[ao + 2]! - b[bo + 2]!, d3 = a[ao + 3]! - b[bo + 3]!;
  const r00 = d0 + d1 + d2 + d3, r01 = d0 + d1 - d2 - d3, r02 = d0 - d1 - d2 + d3, r03 = d0 - d1 + d2 - d3;
  ao += as; bo += bs;
  d0 = a[ao]! - b[bo]!; d1 = a[ao + 1]! - b[bo + 1]!; d2 = a[ao + 2]! - b[bo + 2]!; d3 = a[ao + 3]! - b[bo + 3]!;
  const r10 = d0 + d1 + d2 + d3, r11 = d0 + d1 - d2 - d3, r12 = d0 - d1 - d2 + d3, r13 = d0 - d1 + d2 - d3;
  ao += as; bo += bs;
  d0 = a[ao]! - b[bo]!; d1 = a[ao + 1]! - b[bo + 1]!; d2 = a[ao + 2]! - b[bo + 2]!; d3 = a[ao + 3]! - b[bo + 3]!;
  const r20 = d0 + d1 + d2 + d3, r21 = d0 + d1 - d2 - d3, r22 = d0 - d1 - d2 + d3, r23 = d0 - d1 + d2 - d3;
  ao += as; bo += bs;
  d0 = a[ao]! - b[bo]!; d1 = a[ao + 1]! - b[bo + 1]!; d2 = a[ao + 2]! - b[bo + 2]!; d3 = a[ao + 3]! - b[bo + 3]!;
  const r30 = d0 + d1 + d2 + d3, r31 = d0 + d1 - d2 - d3, r32 = d0 - d1 - d2 + d3, r33 = d0 - d1 + d2 - d3;
  return (colAbs(r00, r10, r20, r30) + colAbs(r01, r11, r21, r31) + colAbs(r02, r12, r22, r32) + colAbs(r03, r13, r23, r33)) >> 1;
}

/**
 * satd4x4Px of a against the rounded average of p and q, (p + q + 1) >> 1 (8-250..8-261), with p
 * and q read in place at stride ps: the quarter-sample candidates of a motion search.
 */
export function satd4x4Avg(a: Uint8Array, ao: number, as: number, p: Uint8Array, po: number, q: Uint8Array, qo: number, ps: number): number {
  let d0 = a[ao]! - ((p[po]! + q[qo]! + 1) >> 1), d1 = a[ao + 1]! - ((p[po + 1]! + q[qo + 1]! + 1) >> 1);
  let d2 = a[ao + 2]! - ((p[po + 2]! + q[qo + 2]! + 1) >> 1), d3 = a[ao + 3]! - ((p[po + 3]! + q[qo + 3]! + 1) >> 1);
  const r00 = d0 + d1 + d2 + d3, r01 = d0 + d1 - d2 - d3, r02 = d0 - d1 - d2 + d3, r03 = d0 - d1 + d2 - d3;
  ao += as; po += ps; qo += ps;
  d0 = a[ao]! - ((p[po]! + q[qo]! + 1) >> 1); d1 = a[ao + 1]! - ((p[po + 1]! + q[qo + 1]! + 1) >> 1);
  d2 = a[ao + 2]! - ((p[po + 2]! + q[qo + 2]! + 1) >> 1); d3 = a[ao + 3]! - ((p[po + 3]! + q[qo + 3]! + 1) >> 1);
  const r10 = d0 + d1 + d2 + d3, r11 = d0 + d1 - d2 - d3, r12 = d0 - d1 - d2 + d3, r13 = d0 - d1 + d2 - d3;
  ao += as; po += ps; qo += ps;
  d0 = a[ao]! - ((p[po]! + q[qo]! + 1) >> 1); d1 = a[ao + 1]! - ((p[po + 1]! + q[qo + 1]! + 1) >> 1);
  d2 = a[ao + 2]! - ((p[po + 2]! + q[qo + 2]! + 1) >> 1); d3 = a[ao + 3]! - ((p[po + 3]! + q[qo + 3]! + 1) >> 1);
  const r20 = d0 + d1 + d2 + d3, r21 = d0 + d1 - d2 - d3, r22 = d0 - d1 - d2 + d3, r23 = d0 - d1 + d2 - d3;
  ao += as; po += ps; qo += ps;
  d0 = a[ao]! - ((p[po]! + q[qo]! + 1) >> 1); d1 = a[ao + 1]! - ((p[po + 1]! + q[qo + 1]! + 1) >> 1);
  d2 = a[ao + 2]! - ((p[po + 2]! + q[qo + 2]! + 1) >> 1); d3 = a[ao + 3]! - ((p[po + 3]! + q[qo + 3]! + 1) >> 1);
  const r30 = d0 + d1 + d2 + d3, r31 = d0 + d1 - d2 - d3, r32 = d0 - d1 - d2 + d3, r33 = d0 - d1 + d2 - d3;
  return (colAbs(r00, r10, r20, r30) + colAbs(r01, r11, r21, r31) + colAbs(r02, r12, r22, r32) + colAbs(r03, r13, r23, r33)) >> 1;
}

/** Sum of |1-D Hadamard| of one column (a helper of satd4x4Px, small enough to be inlined). */
function colAbs(a0: number, a1: number, a2: number, a3: number): number {
  const s01 = a0 + a1, m01 = a0 - a1, s23 = a2 + a3, m23 = a2 - a3;
  const v0 = s01 + s23, v1 = s01 - s23, v2 = m01 - m23, v3 = m01 + m23;
  // Branch-free absolute values (see sad16 in inter.ts): transform outputs' signs are close to random.
  const m0 = v0 >> 31, m1 = v1 >> 31, m2 = v2 >> 31, m3 = v3 >> 31;
  return ((v0 ^ m0) - m0) + ((v1 ^ m1) - m1) + ((v2 ^ m2) - m2) + ((v3 ^ m3) - m3);
}

/**
 * hadamard4x4 of a 4x4 block of samples (at ao, stride as) into out[oo..oo+15], same layout.
 * Because the transform is linear, sum |H(src) - H(pred)| / 2 is the SATD of src - pred, and
 * H(pred) is sparse for flat predictions: the mode searches transform each source block once.
 */
export function hadamard4x4Px(a: Uint8Array, ao: number, as: number, out: Int32Array, oo: number): void {
  for (let i = oo; i < oo + 16; i += 4, ao += as) {
    const x0 = a[ao]!, x1 = a[ao + 1]!, x2 = a[ao + 2]!, x3 = a[ao + 3]!;
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    out[i] = s01 + s23;
    out[i + 1] = s01 - s23;
    out[i + 2] = d01 - d23;
    out[i + 3] = d01 + d23;
  }
  for (let i = oo; i < oo + 4; i++) {
    const x0 = out[i]!, x1 = out[4 + i]!, x2 = out[8 + i]!, x3 = out[12 + i]!;
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    out[i] = s01 + s23;
    out[4 + i] = s01 - s23;
    out[8 + i] = d01 - d23;
    out[12 + i] = d01 + d23;
  }
}

/**
 * Sums of |h| over one transformed block h[o..o+15] (hadamard4x4Px): of all 16 coefficients, of
 * all but row 0 and of all but column 0, into all[i], notRow0[i] and notCol0[i]. What satdVertical,
 * satdHorizontal and satdDc need besides the coefficients their prediction touches.
 */
export function hadamardAbsSums(h: Int32Array, o: number, all: Int32Array, notRow0: Int32Array, notCol0: Int32Array, i: number): void {
  const a0 = Math.abs(h[o]!), a1 = Math.abs(h[o + 1]!), a2 = Math.abs(h[o + 2]!), a3 = Math.abs(h[o + 3]!);
  const a4 = Math.abs(h[o + 4]!), a8 = Math.abs(h[o + 8]!), a12 = Math.abs(h[o + 12]!);
  const rest = Math.abs(h[o + 5]!) + Math.abs(h[o + 6]!) + Math.abs(h[o + 7]!) + Math.abs(h[o + 9]!) + Math.abs(h[o + 10]!)
    + Math.abs(h[o + 11]!) + Math.abs(h[o + 13]!) + Math.abs(h[o + 14]!) + Math.abs(h[o + 15]!);
  const row0 = a0 + a1 + a2 + a3, col0Below = a4 + a8 + a12;
  all[i] = row0 + col0Below + rest;
  notRow0[i] = col0Below + rest;
  notCol0[i] = a1 + a2 + a3 + rest;
}

/*
 * SATD against flat predictions, from the source block's Hadamard transform h[o..o+15]
 * (hadamard4x4Px) and its hadamardAbsSums: H is linear, so SATD(src - pred) = sum |H(src) -
 * H(pred)| / 2 exactly, and H(pred) of a flat prediction is sparse. Every row equal to t0..t3
 * (Vertical): H(pred) is 4 * H1(t) in row 0 and zero elsewhere; every column equal to l0..l3
 * (Horizontal): 4 * H1(l) in column 0; a constant dc: 16 * dc at the DC. H1 is the 1-D transform
 * in hadamard4x4's output order. Each equals satd4x4Px against that prediction, its reference.
 */
export function satdVertical(h: Int32Array, o: number, absNotRow0: number, t0: number, t1: number, t2: number, t3: number): number {
  const s01 = t0 + t1, m01 = t0 - t1, s23 = t2 + t3, m23 = t2 - t3;
  return (absNotRow0 + Math.abs(h[o]! - 4 * (s01 + s23)) + Math.abs(h[o + 1]! - 4 * (s01 - s23))
    + Math.abs(h[o + 2]! - 4 * (m01 - m23)) + Math.abs(h[o + 3]! - 4 * (m01 + m23))) >> 1;
}

export function satdHorizontal(h: Int32Array, o: number, absNotCol0: number, l0: number, l1: number, l2: number, l3: number): number {
  const s01 = l0 + l1, m01 = l0 - l1, s23 = l2 + l3, m23 = l2 - l3;
  return (absNotCol0 + Math.abs(h[o]! - 4 * (s01 + s23)) + Math.abs(h[o + 4]! - 4 * (s01 - s23))
    + Math.abs(h[o + 8]! - 4 * (m01 - m23)) + Math.abs(h[o + 12]! - 4 * (m01 + m23))) >> 1;
}

export function satdDc(h: Int32Array, o: number, absAll: number, dc: number): number {
  const h0 = h[o]!;
  return (absAll - Math.abs(h0) + Math.abs(h0 - 16 * dc)) >> 1;
}
