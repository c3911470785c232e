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
 * matrices: d = (c * LevelScale4x4) << (qP/6) >> 4 == c * v << (qP/6) exactly.
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
    const v = tmp[i]!;
    s += v < 0 ? -v : v;
  }
  return s >> 1;
}

const satdTmp = new Int32Array(16);

/**
 * SATD of a - b for 4x4 blocks read straight from two sample arrays (fused difference and
 * Hadamard; the fast kernel that satd4x4 is the reference for).
 */
export function satd4x4Px(a: Uint8Array, ao: number, as: number, b: Uint8Array, bo: number, bs: number): number {
  const t = satdTmp;
  for (let i = 0; i < 4; i++, ao += as, bo += bs) {
    const d0 = a[ao]! - b[bo]!, d1 = a[ao + 1]! - b[bo + 1]!, d2 = a[ao + 2]! - b[bo + 2]!, d3 = a[ao + 3]! - b[bo + 3]!;
    const s01 = d0 + d1, m01 = d0 - d1, s23 = d2 + d3, m23 = d2 - d3;
    t[i * 4] = s01 + s23;
    t[i * 4 + 1] = s01 - s23;
    t[i * 4 + 2] = m01 - m23;
    t[i * 4 + 3] = m01 + m23;
  }
  let sum = 0;
  for (let j = 0; j < 4; j++) {
    const a0 = t[j]!, a1 = t[4 + j]!, a2 = t[8 + j]!, a3 = t[12 + j]!;
    const s01 = a0 + a1, m01 = a0 - a1, s23 = a2 + a3, m23 = a2 - a3;
    const v0 = s01 + s23, v1 = s01 - s23, v2 = m01 - m23, v3 = m01 + m23;
    sum += (v0 < 0 ? -v0 : v0) + (v1 < 0 ? -v1 : v1) + (v2 < 0 ? -v2 : v2) + (v3 < 0 ? -v3 : v3);
  }
  return sum >> 1;
}
