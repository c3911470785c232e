/**
 * The transform module against H.264 (08/2021) 8.5: the inverse transform (8.5.12.2, 8-338..8-354),
 * scaling (8.5.12.1, 8.5.9 normAdjust4x4 8-315), the DC transforms and their scaling (8.5.10, 8.5.11),
 * Table 8-15 (QPc) and Table 8-13 / Figure 8-8 (a) (zig-zag). References below follow the text
 * literally with exact arithmetic; x >> y is floor(x / 2^y) (5.7, two's complement shift).
 */
import { describe, expect, it } from 'vitest';
import {
  CHROMA_QP, dequant4x4, dequantChromaDc, dequantLumaDc, forward4x4, forwardQuant4x4Px, hadamard4x4, hadamard4x4Px,
  hadamardAbsSums, inverse4x4, quant, QUANT_4x4, reconstruct4x4, satd4x4, satd4x4Avg, satd4x4Px, satdDc, satdHorizontal,
  satdVertical, ZIGZAG_4x4,
} from '../../encoder/common/transform.js';
import { prng } from '../helpers/synthetic.js';

const shr = (x: number, n: number): number => Math.floor(x / 2 ** n);
const shl = (x: number, n: number): number => x * 2 ** n;

/** A 4x4 matrix m[i][j] (i row, j column) from a raster block (index i*4 + j). */
function toMatrix(block: ArrayLike<number>): number[][] {
  return [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => block[i * 4 + j]!));
}

function toRaster(m: number[][]): number[] {
  return m.flat();
}

/** Transformation process for residual 4x4 blocks — 8.5.12.2, with each intermediate array named. */
function specInverse4x4(dIn: ArrayLike<number>): number[] {
  const d = toMatrix(dIn);
  const e: number[][] = [[], [], [], []], f: number[][] = [[], [], [], []];
  const g: number[][] = [[], [], [], []], h: number[][] = [[], [], [], []], r: number[][] = [[], [], [], []];
  for (let i = 0; i < 4; i++) {
    // Each (horizontal) row
    e[i]![0] = d[i]![0]! + d[i]![2]!; // 8-338
    e[i]![1] = d[i]![0]! - d[i]![2]!; // 8-339
    e[i]![2] = shr(d[i]![1]!, 1) - d[i]![3]!; // 8-340
    e[i]![3] = d[i]![1]! + shr(d[i]![3]!, 1); // 8-341
    f[i]![0] = e[i]![0]! + e[i]![3]!; // 8-342
    f[i]![1] = e[i]![1]! + e[i]![2]!; // 8-343
    f[i]![2] = e[i]![1]! - e[i]![2]!; // 8-344
    f[i]![3] = e[i]![0]! - e[i]![3]!; // 8-345
  }
  for (let j = 0; j < 4; j++) {
    // Each (vertical) column of the resulting matrix
    g[0]![j] = f[0]![j]! + f[2]![j]!; // 8-346
    g[1]![j] = f[0]![j]! - f[2]![j]!; // 8-347
    g[2]![j] = shr(f[1]![j]!, 1) - f[3]![j]!; // 8-348
    g[3]![j] = f[1]![j]! + shr(f[3]![j]!, 1); // 8-349
    h[0]![j] = g[0]![j]! + g[3]![j]!; // 8-350
    h[1]![j] = g[1]![j]! + g[2]![j]!; // 8-351
    h[2]![j] = g[1]![j]! - g[2]![j]!; // 8-352
    h[3]![j] = g[0]![j]! - g[3]![j]!; // 8-353
  }
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) r[i]![j] = shr(h[i]![j]! + 32, 6); // 8-354
  return toRaster(r);
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

/** The 4x4 Hadamard matrix of 8-320 (inverse Intra16x16 DC transform; symmetric). */
const H4 = [
  [1, 1, 1, 1],
  [1, 1, -1, -1],
  [1, -1, -1, 1],
  [1, -1, 1, -1],
];

/** normAdjust4x4(m, i, j) — 8-315. */
function normAdjust4x4(m: number, i: number, j: number): number {
  const v = [
    [10, 16, 13],
    [11, 18, 14],
    [13, 20, 16],
    [14, 23, 18],
    [16, 25, 20],
    [18, 29, 23],
  ][m]!;
  if (i % 2 === 0 && j % 2 === 0) return v[0]!;
  if (i % 2 === 1 && j % 2 === 1) return v[1]!;
  return v[2]!;
}

/** LevelScale4x4(m, i, j) = weightScale4x4(i, j) * normAdjust4x4(m, i, j) — 8-316, Flat_4x4_16 (all 16). */
function levelScale4x4(m: number, i: number, j: number): number {
  return 16 * normAdjust4x4(m, i, j);
}

/** 8.5.12.1 for a coefficient that is not a DC handled by 8.5.10 / 8.5.11. */
function specScale(c: number, qP: number, i: number, j: number): number {
  const ls = levelScale4x4(qP % 6, i, j), q6 = Math.floor(qP / 6);
  return qP >= 24 ? shl(c * ls, q6 - 4) : shr(c * ls + 2 ** (3 - q6), 4 - q6);
}

function randomBlock(rnd: () => number, lo: number, hi: number): Int32Array {
  const b = new Int32Array(16);
  for (let k = 0; k < 16; k++) b[k] = lo + (rnd() % (hi - lo + 1));
  return b;
}

describe('inverse4x4 — 8.5.12.2', () => {
  it('a lone DC coefficient d gives (d + 32) >> 6 everywhere', () => {
    for (const dc of [0, 1, 31, 32, 33, 64, -1, -32, -33, -64, 1000, -1000, 32767, -32768]) {
      const d = new Int32Array(16);
      d[0] = dc;
      inverse4x4(d);
      expect([...d]).toEqual(new Array<number>(16).fill(shr(dc + 32, 6)));
    }
  });

  it('matches the spec equations on random blocks over the whole coefficient range (+-2^15)', () => {
    const rnd = prng(31);
    const failures: string[] = [];
    for (let trial = 0; trial < 5000; trial++) {
      const range = [64, 1024, 32768][trial % 3]!;
      const d = randomBlock(rnd, -range, range - 1);
      const expected = specInverse4x4(d);
      inverse4x4(d);
      if (d.join() !== expected.join()) failures.push(`${d.join()} != ${expected.join()}`);
    }
    expect(failures).toEqual([]);
  });

  it('matches the spec equations at the range extremes and on odd negative values (>> floors)', () => {
    const patterns = [
      new Array<number>(16).fill(32767),
      new Array<number>(16).fill(-32768),
      Array.from({ length: 16 }, (_, k) => (k & 1 ? 32767 : -32768)),
      Array.from({ length: 16 }, (_, k) => ((k >> 2) + k) & 1 ? -32768 : 32767),
      Array.from({ length: 16 }, (_, k) => -1 - 2 * k),
      Array.from({ length: 16 }, (_, k) => (k % 3 === 0 ? -1 : k % 3 === 1 ? -3 : 1)),
    ];
    for (const p of patterns) {
      const d = Int32Array.from(p);
      inverse4x4(d);
      expect([...d]).toEqual(specInverse4x4(p));
    }
  });
});

describe('forward4x4', () => {
  it('is the matrix product Cf * X * Cf^T', () => {
    const cf = [
      [1, 1, 1, 1],
      [2, 1, -1, -2],
      [1, -1, -1, 1],
      [1, -2, 2, -1],
    ];
    const cfT = cf[0]!.map((_, j) => cf.map((row) => row[j]!));
    const rnd = prng(32);
    for (let trial = 0; trial < 500; trial++) {
      const x = randomBlock(rnd, -255, 255);
      const out = new Int32Array(16);
      forward4x4(x, out);
      expect([...out]).toEqual(toRaster(matMul(matMul(cf, toMatrix(x)), cfT)));
    }
  });
});

describe('quantisation round trip', () => {
  /** Quantiser step for QP, Qstep = 2^((QP - 4) / 6) (the usual design the dequantiser implements). */
  const qstep = (qp: number): number => 2 ** ((qp - 4) / 6);

  it.each([0, 4, 10, 17, 24, 28, 33, 40, 45, 51])('forward, quant, dequant, inverse at QP %i stays within the step size', (qp) => {
    const rnd = prng(33 + qp);
    const shift = 15 + Math.floor(qp / 6);
    const bias = 2 ** (shift - 1); // round to nearest: at most half a step of error per coefficient
    const coef = new Int32Array(16), levels = new Int32Array(16), d = new Int32Array(16);
    let worstMax = 0, worstRms = 0;
    for (let trial = 0; trial < 400; trial++) {
      const x = randomBlock(rnd, -255, 255);
      forward4x4(x, coef);
      for (let k = 0; k < 16; k++) levels[k] = quant(coef[k]!, QUANT_4x4[(qp % 6) * 16 + k]!, bias, shift);
      dequant4x4(levels, d, qp, 0);
      inverse4x4(d);
      let max = 0, sq = 0;
      for (let k = 0; k < 16; k++) {
        const err = Math.abs(d[k]! - x[k]!);
        max = Math.max(max, err);
        sq += err * err;
      }
      worstMax = Math.max(worstMax, max);
      worstRms = Math.max(worstRms, Math.sqrt(sq / 16));
    }
    // Orthonormal-transform bound: RMS error <= half a step (+ the inverse's final rounding);
    // no sample is more than about two steps off.
    expect(worstRms).toBeLessThanOrEqual(qstep(qp) / 2 + 0.5);
    expect(worstMax).toBeLessThanOrEqual(2 * qstep(qp) + 1);
  });

  it('quant() is sign-symmetric: sign(c) * ((|c| * mf + bias) >> shift)', () => {
    for (const [c, mf, bias, shift] of [[100, 13107, 1 << 14, 15], [-100, 13107, 1 << 14, 15], [0, 8066, 10922, 15], [-7, 5243, 0, 16]] as const) {
      const mag = shr(Math.abs(c) * mf + bias, shift);
      expect(quant(c, mf, bias, shift)).toBe(c < 0 ? -mag : mag);
    }
  });
});

describe('dequant4x4 — 8.5.12.1 with flat scaling matrices', () => {
  it.each(Array.from({ length: 52 }, (_, qp) => qp))('QP %i, every position', (qp) => {
    const rnd = prng(100 + qp);
    // Levels whose scaled values stay inside the range a stream may produce (+-2^15).
    const maxLevel = Math.floor(32767 / (29 * 2 ** Math.floor(qp / 6)));
    for (let trial = 0; trial < 20; trial++) {
      const c = randomBlock(rnd, -maxLevel, maxLevel);
      for (const startIdx of [0, 1]) {
        const out = new Int32Array(16).fill(-12345);
        dequant4x4(c, out, qp, startIdx);
        const expected = [...c].map((v, k) => k < startIdx ? -12345 : specScale(v, qp, k >> 2, k & 3));
        expect([...out]).toEqual(expected);
      }
    }
  });
});

describe('hadamard4x4 — 8.5.10 (8-320)', () => {
  it('is the matrix product H * C * H', () => {
    const rnd = prng(34);
    const out = new Int32Array(16);
    for (let trial = 0; trial < 500; trial++) {
      const c = randomBlock(rnd, -32768, 32767);
      hadamard4x4(c, out);
      expect([...out]).toEqual(toRaster(matMul(matMul(H4, toMatrix(c)), H4)));
    }
  });
});

describe('DC scaling', () => {
  const fs = [0, 1, -1, 2, -2, 3, -3, 7, -7, 15, -16, 100, -100, 511, -512, 1000, -1001, 4095, -4096, 12345, -12345, 32767, -32768];

  it('dequantLumaDc follows 8-326 / 8-327 at every QP 0..51', () => {
    for (let qp = 0; qp <= 51; qp++) {
      const ls = levelScale4x4(qp % 6, 0, 0), q6 = Math.floor(qp / 6);
      for (const f of fs) {
        const expected = qp >= 36
          ? shl(f * ls, q6 - 6) // 8-326
          : shr(f * ls + 2 ** (5 - q6), 6 - q6); // 8-327
        // "The bitstream shall not contain data that result in any element dcY_ij ... that exceeds
        // the range of integer values from -2^(7 + BitDepthY) to 2^(7 + BitDepthY) - 1".
        if (expected < -32768 || expected > 32767) continue;
        expect(dequantLumaDc(f, qp), `f=${f} qp=${qp}`).toBe(expected);
      }
    }
  });

  it('dequantChromaDc follows 8-330 (ChromaArrayType 1) at every QP 0..51', () => {
    for (let qp = 0; qp <= 51; qp++) {
      const ls = levelScale4x4(qp % 6, 0, 0), q6 = Math.floor(qp / 6);
      for (const f of fs) {
        const expected = shr(shl(f * ls, q6), 5); // 8-330
        if (expected < -32768 || expected > 32767) continue;
        expect(dequantChromaDc(f, qp), `f=${f} qp=${qp}`).toBe(expected);
      }
    }
  });
});

describe('CHROMA_QP — Table 8-15', () => {
  it('equals the table (QPc = qPI below 30)', () => {
    const table: Record<number, number> = {
      30: 29, 31: 30, 32: 31, 33: 32, 34: 32, 35: 33, 36: 34, 37: 34, 38: 35, 39: 35, 40: 36,
      41: 36, 42: 37, 43: 37, 44: 37, 45: 38, 46: 38, 47: 38, 48: 39, 49: 39, 50: 39, 51: 39,
    };
    expect(CHROMA_QP.length).toBe(52);
    for (let q = 0; q <= 51; q++) expect(CHROMA_QP[q], `qPI ${q}`).toBe(q < 30 ? q : table[q]);
  });
});

describe('ZIGZAG_4x4 — Table 8-13, Figure 8-8 (a)', () => {
  it('equals Figure 8-8 (a): the scan index drawn at each sample position', () => {
    const figure = [
      [0, 1, 5, 6],
      [2, 4, 7, 12],
      [3, 8, 11, 13],
      [9, 10, 14, 15],
    ];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(ZIGZAG_4x4[figure[y]![x]!]).toBe(y * 4 + x);
  });

  it('equals Table 8-13 (zig-zag column, c_ij with i the row as in 8.5.12.2)', () => {
    const table = 'c00 c01 c10 c20 c11 c02 c03 c12 c21 c30 c31 c22 c13 c23 c32 c33'.split(' ');
    expect([...ZIGZAG_4x4]).toEqual(table.map((c) => Number(c[1]) * 4 + Number(c[2])));
  });
});

describe('satd4x4', () => {
  it('of a pure DC block of value d is 16 |d| / 2', () => {
    const tmp = new Int32Array(16);
    for (const dc of [0, 1, -1, 5, -5, 255, -255]) {
      expect(satd4x4(new Int32Array(16).fill(dc), tmp)).toBe(8 * Math.abs(dc));
    }
  });

  it('is half the sum of |H * D * H| on random blocks', () => {
    const rnd = prng(35);
    const tmp = new Int32Array(16);
    for (let trial = 0; trial < 300; trial++) {
      const diff = randomBlock(rnd, -255, 255);
      const sum = toRaster(matMul(matMul(H4, toMatrix(diff)), H4)).reduce((s, v) => s + Math.abs(v), 0);
      expect(satd4x4(diff, tmp)).toBe(shr(sum, 1));
    }
  });
});

// ---------------------------------------------------------------- fast kernels against references

/** A plane of random samples with a stride, and the offset of a 4x4 block in it. */
function randomPlane(rnd: () => number, stride: number, rows: number, style: number): Uint8Array {
  const p = new Uint8Array(stride * rows);
  for (let k = 0; k < p.length; k++) p[k] = style === 0 ? rnd() & 255 : style === 1 ? (rnd() & 1 ? 255 : 0) : 100 + (rnd() % 40);
  return p;
}

/** The 4x4 block at (o, stride) as a raster Int32Array. */
function blockOf(p: Uint8Array, o: number, stride: number): Int32Array {
  const b = new Int32Array(16);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) b[y * 4 + x] = p[o + y * stride + x]!;
  return b;
}

describe('satd4x4Px (fast) against satd4x4 of the difference (reference)', () => {
  it('agrees on random, extreme and near-flat blocks with any strides', () => {
    const rnd = prng(501);
    const tmp = new Int32Array(16);
    for (let trial = 0; trial < 3000; trial++) {
      const as = [4, 8, 16, 37][trial & 3]!, bs = [16, 4, 8, 21][(trial >> 2) & 3]!;
      const a = randomPlane(rnd, as, 5, trial % 3), b = randomPlane(rnd, bs, 5, (trial >> 1) % 3);
      const ao = rnd() % (as - 3), bo = rnd() % (bs - 3);
      const diff = blockOf(a, ao, as).map((v, k) => v - blockOf(b, bo, bs)[k]!);
      expect(satd4x4Px(a, ao, as, b, bo, bs)).toBe(satd4x4(diff, tmp));
    }
  });
});

describe('satd4x4Avg against satd4x4 of the difference to the rounded average', () => {
  it('agrees on random and extreme blocks, with the averaged planes at any offsets', () => {
    const rnd = prng(503);
    const tmp = new Int32Array(16);
    for (let trial = 0; trial < 3000; trial++) {
      const as = [16, 4, 23][trial % 3]!, ps = [4, 8, 19][(trial >> 2) % 3]!;
      const a = randomPlane(rnd, as, 5, trial % 3), p = randomPlane(rnd, ps, 6, (trial >> 1) % 3), q = randomPlane(rnd, ps, 6, (trial >> 3) % 3);
      const ao = rnd() % (as - 3), po = rnd() % (ps - 3), qo = rnd() % (ps - 3) + (trial & 1) * ps;
      const pb = blockOf(p, po, ps), qb = blockOf(q, qo, ps);
      const diff = blockOf(a, ao, as).map((v, k) => v - ((pb[k]! + qb[k]! + 1) >> 1)); // 8-250
      expect(satd4x4Avg(a, ao, as, p, po, q, qo, ps)).toBe(satd4x4(diff, tmp));
    }
  });
});

describe('hadamard4x4Px and the flat-prediction SATDs', () => {
  it('hadamard4x4Px equals hadamard4x4 of the samples', () => {
    const rnd = prng(502);
    const out = new Int32Array(20), ref = new Int32Array(16);
    for (let trial = 0; trial < 1000; trial++) {
      const p = randomPlane(rnd, 16, 4, trial % 3);
      hadamard4x4Px(p, 0, 16, out, 3);
      hadamard4x4(blockOf(p, 0, 16), ref);
      expect([...out.subarray(3, 19)]).toEqual([...ref]);
    }
  });

  it('satdVertical, satdHorizontal and satdDc equal satd4x4Px against the flat prediction', () => {
    const rnd = prng(503);
    const h = new Int32Array(16), all = new Int32Array(1), notRow0 = new Int32Array(1), notCol0 = new Int32Array(1);
    const pred = new Uint8Array(16);
    for (let trial = 0; trial < 2000; trial++) {
      const src = randomPlane(rnd, 16, 4, trial % 3);
      hadamard4x4Px(src, 0, 16, h, 0);
      hadamardAbsSums(h, 0, all, notRow0, notCol0, 0);
      expect(all[0]).toBe([...h].reduce((s, v) => s + Math.abs(v), 0));
      const e = Array.from({ length: 4 }, () => (trial & 4 ? rnd() & 1 ? 255 : 0 : rnd() & 255));
      for (let k = 0; k < 16; k++) pred[k] = e[k & 3]!; // every row e (Vertical)
      expect(satdVertical(h, 0, notRow0[0]!, e[0]!, e[1]!, e[2]!, e[3]!)).toBe(satd4x4Px(src, 0, 16, pred, 0, 4));
      for (let k = 0; k < 16; k++) pred[k] = e[k >> 2]!; // every column e (Horizontal)
      expect(satdHorizontal(h, 0, notCol0[0]!, e[0]!, e[1]!, e[2]!, e[3]!)).toBe(satd4x4Px(src, 0, 16, pred, 0, 4));
      pred.fill(e[0]!);
      expect(satdDc(h, 0, all[0]!, e[0]!)).toBe(satd4x4Px(src, 0, 16, pred, 0, 4));
    }
  });
});

describe('forwardQuant4x4Px (fast) against forward4x4, quant and dequant4x4 (references)', () => {
  it.each(Array.from({ length: 52 }, (_, qp) => qp))('QP %i: levels in scan order, scaled coefficients, TotalCoeff', (qp) => {
    const rnd = prng(600 + qp);
    const qbits = 15 + Math.floor(qp / 6), m = (qp % 6) * 16;
    const coef = new Int32Array(20), levels = new Int32Array(24), fwd = new Int32Array(16), raster = new Int32Array(16);
    const scaled = new Int32Array(16);
    for (let trial = 0; trial < 300; trial++) {
      const a = randomPlane(rnd, 16, 4, trial % 3), b = randomPlane(rnd, 8, 4, (trial >> 1) % 3);
      const bias = [Math.floor(2 ** qbits / 3), Math.floor(2 ** qbits / 6), 0][trial % 3]!;
      const start = (trial >> 2) & 1;
      coef.fill(-7); levels.fill(-9);
      const nz = forwardQuant4x4Px(a, 0, 16, b, 4, 8, coef, 2, levels, 5, start, qp, bias);

      forward4x4(blockOf(a, 0, 16).map((v, k) => v - blockOf(b, 4, 8)[k]!), fwd);
      for (let k = 0; k < 16; k++) raster[k] = quant(fwd[k]!, QUANT_4x4[m + k]!, bias, qbits);
      dequant4x4(raster, scaled, qp, 0);
      let expectedNz = 0;
      const got: number[] = [], expected: number[] = [];
      for (let k = start; k < 16; k++) {
        const rp = ZIGZAG_4x4[k]!;
        got.push(levels[5 + k]!, coef[2 + rp]!);
        expected.push(raster[rp]!, specScale(raster[rp]!, qp, rp >> 2, rp & 3));
        if (scaled[rp] !== expected[expected.length - 1]) expected.push(NaN); // dequant4x4 off the spec
        if (raster[rp] !== 0) expectedNz++;
      }
      expect(got).toEqual(expected);
      expect(nz).toBe(expectedNz);
      if (start === 1) {
        expect(coef[2]).toBe(fwd[0]); // the unquantised DC, for the DC transform
        expect(levels[5]).toBe(-9); // untouched
      }
      expect([coef[0], coef[1], coef[18], coef[19], levels[4], levels[21]]).toEqual([-7, -7, -7, -7, -9, -9]);
    }
  });
});

describe('reconstruct4x4 (fast) against inverse4x4 then add and clip (reference)', () => {
  it('writes the same samples and returns their SSD against the source', () => {
    const rnd = prng(700);
    const coef = new Int32Array(20), d = new Int32Array(16);
    for (let trial = 0; trial < 3000; trial++) {
      const range = [64, 1024, 8192][trial % 3]!;
      const c = randomBlock(rnd, -range, range - 1);
      if (trial & 8) for (let k = 1; k < 16; k++) c[k] = 0; // DC only
      coef.set(c, 3);
      const pred = randomPlane(rnd, 8, 4, trial % 3), src = randomPlane(rnd, 16, 4, 0);
      const dst = new Uint8Array(24 * 4).fill(77), ref = new Uint8Array(24 * 4).fill(77);
      const ssd = reconstruct4x4(coef, 3, pred, 4, 8, dst, 2, 24, src, 0, 16);
      d.set(c);
      inverse4x4(d);
      let expectedSsd = 0;
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const v = Math.min(255, Math.max(0, pred[4 + y * 8 + x]! + d[y * 4 + x]!)); // 8.5.14 Clip1
          ref[2 + y * 24 + x] = v;
          expectedSsd += (src[y * 16 + x]! - v) ** 2;
        }
      }
      expect([...dst]).toEqual([...ref]);
      expect(ssd).toBe(expectedSsd);
      expect([...coef.subarray(3, 19)]).toEqual([...c]); // coefficients are not modified
    }
  });
});
