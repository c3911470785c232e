/**
 * The deblocking filter against H.264 (08/2021) 8.7: the per-line filters of 8.7.2.3 (bS < 4) and
 * 8.7.2.4 (bS == 4), thresholds and qPav of 8.7.2.2, and the order of 8.7 (per macroblock: vertical
 * edges left to right, then horizontal edges top to bottom; the picture's own left and top edges are
 * never filtered). The reference works on 2-D arrays of samples with the spec's p_i / q_i naming;
 * only the threshold tables (Tables 8-16, 8-17, checked against the spec's text in tables.test.ts)
 * are shared with the module.
 */
import { describe, expect, it } from 'vitest';
import { deblockPicture, setIntraBs, type DeblockParams } from '../../encoder/common/deblock.js';
import { ALPHA, BETA, TC0 } from '../../encoder/common/deblock-tables.js';
import { Picture } from '../../encoder/common/picture.js';
import { prng } from '../helpers/synthetic.js';

const shr = (x: number, n: number): number => Math.floor(x / 2 ** n);
const clip3 = (lo: number, hi: number, v: number): number => (v < lo ? lo : v > hi ? hi : v);
const clip1 = (v: number): number => clip3(0, 255, v);

/** QPc as a function of qPI — Table 8-15. */
function qpc(qPI: number): number {
  const high = [29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39];
  return qPI < 30 ? qPI : high[qPI - 30]!;
}

/**
 * One line of samples across an edge: p[0..3] = p0..p3, q[0..3] = q0..q3, filtered in place —
 * 8.7.2.2 (thresholds, filterSamplesFlag), 8.7.2.3, 8.7.2.4.
 */
function specFilterLine(p: number[], q: number[], bS: number, chromaEdgeFlag: boolean, qPav: number, params: DeblockParams): void {
  const [p0, p1, p2, p3] = p as [number, number, number, number];
  const [q0, q1, q2, q3] = q as [number, number, number, number];
  const indexA = clip3(0, 51, qPav + params.filterOffsetA);
  const indexB = clip3(0, 51, qPav + params.filterOffsetB);
  const alpha = ALPHA[indexA]!, beta = BETA[indexB]!; // Table 8-16, 8-bit: alpha = alpha'
  const filterSamplesFlag = bS !== 0 && Math.abs(p0 - q0) < alpha && Math.abs(p1 - p0) < beta && Math.abs(q1 - q0) < beta;
  if (!filterSamplesFlag) return;
  const chromaStyleFilteringFlag = chromaEdgeFlag; // && ChromaArrayType != 3
  if (bS < 4) { // 8.7.2.3
    const tC0 = TC0[indexA * 3 + bS - 1]!; // Table 8-17
    const ap = chromaEdgeFlag ? 0 : Math.abs(p2 - p0); // unused for chroma
    const aq = chromaEdgeFlag ? 0 : Math.abs(q2 - q0);
    const tC = chromaStyleFilteringFlag ? tC0 + 1 : tC0 + (ap < beta ? 1 : 0) + (aq < beta ? 1 : 0);
    const delta = clip3(-tC, tC, shr(4 * (q0 - p0) + (p1 - q1) + 4, 3));
    p[0] = clip1(p0 + delta);
    q[0] = clip1(q0 - delta);
    if (!chromaStyleFilteringFlag && ap < beta) p[1] = p1 + clip3(-tC0, tC0, shr(p2 + shr(p0 + q0 + 1, 1) - 2 * p1, 1));
    if (!chromaStyleFilteringFlag && aq < beta) q[1] = q1 + clip3(-tC0, tC0, shr(q2 + shr(p0 + q0 + 1, 1) - 2 * q1, 1));
    return;
  }
  // 8.7.2.4
  const ap = chromaEdgeFlag ? beta : Math.abs(p2 - p0), aq = chromaEdgeFlag ? beta : Math.abs(q2 - q0);
  const small = Math.abs(p0 - q0) < (alpha >> 2) + 2;
  if (!chromaStyleFilteringFlag && ap < beta && small) {
    p[0] = shr(p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4, 3);
    p[1] = shr(p2 + p1 + p0 + q0 + 2, 2);
    p[2] = shr(2 * p3 + 3 * p2 + p1 + p0 + q0 + 4, 3);
  } else {
    p[0] = shr(2 * p1 + p0 + q1 + 2, 2);
  }
  if (!chromaStyleFilteringFlag && aq < beta && small) {
    q[0] = shr(p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4, 3);
    q[1] = shr(p0 + q0 + q1 + q2 + 2, 2);
    q[2] = shr(2 * q3 + 3 * q2 + q1 + q0 + p0 + 4, 3);
  } else {
    q[0] = shr(2 * q1 + q0 + p1 + 2, 2);
  }
}

type Plane = number[][]; // plane[y][x]

function toPlane(data: Uint8Array, stride: number, w: number, h: number): Plane {
  return Array.from({ length: h }, (_, y) => Array.from(data.subarray(y * stride, y * stride + w)));
}

/**
 * bS of the luma edge through luma sample (x, y) of macroblock `mb` in the module's layout:
 * 32 per macroblock, vertical edges first, `edge * 4 + segment`.
 */
function bsAt(bs: Uint8Array, mb: number, vertical: boolean, xL: number, yL: number): number {
  return vertical ? bs[mb * 32 + (xL >> 2) * 4 + (yL >> 2)]! : bs[mb * 32 + 16 + (yL >> 2) * 4 + (xL >> 2)]!;
}

/** 8.7 on a whole picture, in the spec's order. */
function specDeblock(pic: Picture, qp: Uint8Array, bs: Uint8Array, params: DeblockParams): { y: Plane; u: Plane; v: Plane } {
  const Y = toPlane(pic.y, pic.strideY, pic.width, pic.height);
  const U = toPlane(pic.u, pic.strideC, pic.width / 2, pic.height / 2);
  const V = toPlane(pic.v, pic.strideC, pic.width / 2, pic.height / 2);
  const W = pic.mbWidth;
  for (let mbAddr = 0; mbAddr < pic.mbWidth * pic.mbHeight; mbAddr++) {
    const mbx = mbAddr % W, mby = Math.floor(mbAddr / W);
    // filterLeftMbEdgeFlag / filterTopMbEdgeFlag: 0 on the picture's left / top edge.
    const filterLeftMbEdgeFlag = mbx > 0, filterTopMbEdgeFlag = mby > 0;
    const filterPlane = (plane: Plane, size: number, chroma: boolean): void => {
      const scale = 16 / size; // luma samples per plane sample (1 or 2)
      const qpOf = (addr: number): number => (chroma ? qpc(clip3(0, 51, qp[addr]! + params.chromaQpIndexOffset)) : qp[addr]!);
      const x0 = mbx * size, y0 = mby * size;
      const edges = chroma ? [0, 4] : [0, 4, 8, 12];
      for (const vertical of [true, false]) {
        for (const e of edges) {
          if (e === 0 && !(vertical ? filterLeftMbEdgeFlag : filterTopMbEdgeFlag)) continue;
          // 8.7.2.2: qPp from the macroblock containing p0 (the left / upper one on a macroblock edge).
          const pAddr = e === 0 ? (vertical ? mbAddr - 1 : mbAddr - W) : mbAddr;
          const qPav = shr(qpOf(pAddr) + qpOf(mbAddr) + 1, 1);
          for (let k = 0; k < size; k++) {
            // Sample positions of p_i and q_i across a vertical edge; transposed for a horizontal one.
            const pos = (i: number, side: 'p' | 'q'): [number, number] => {
              const d = side === 'p' ? -1 - i : i;
              return vertical ? [y0 + k, x0 + e + d] : [y0 + e + d, x0 + k];
            };
            const p = [0, 1, 2, 3].map((i) => { const [r, c] = pos(i, 'p'); return plane[r]?.[c] ?? 0; });
            const q = [0, 1, 2, 3].map((i) => { const [r, c] = pos(i, 'q'); return plane[r]?.[c] ?? 0; });
            // Chroma takes the bS of the corresponding luma edge and line (8.7.2.1, SubWidthC = SubHeightC = 2).
            const bS = vertical ? bsAt(bs, mbAddr, true, e * scale, k * scale) : bsAt(bs, mbAddr, false, k * scale, e * scale);
            specFilterLine(p, q, bS, chroma, qPav, params);
            for (let i = 0; i < (chroma ? 2 : 3); i++) {
              const [pr, pc] = pos(i, 'p'), [qr, qc] = pos(i, 'q');
              if (plane[pr]?.[pc] !== undefined) plane[pr]![pc] = p[i]!;
              if (plane[qr]?.[qc] !== undefined) plane[qr]![qc] = q[i]!;
            }
          }
        }
      }
    };
    filterPlane(Y, 16, false); // luma: vertical edges left to right, then horizontal top to bottom
    filterPlane(U, 8, true); // Cb
    filterPlane(V, 8, true); // Cr
  }
  return { y: Y, u: U, v: V };
}

function expectMatchesSpec(pic: Picture, qp: Uint8Array, bs: Uint8Array, params: DeblockParams): void {
  const expected = specDeblock(pic, qp, bs, params);
  deblockPicture(pic, qp, bs, params);
  expect(toPlane(pic.y, pic.strideY, pic.width, pic.height)).toEqual(expected.y);
  expect(toPlane(pic.u, pic.strideC, pic.width / 2, pic.height / 2)).toEqual(expected.u);
  expect(toPlane(pic.v, pic.strideC, pic.width / 2, pic.height / 2)).toEqual(expected.v);
}

const NO_OFFSETS: DeblockParams = { filterOffsetA: 0, filterOffsetB: 0, chromaQpIndexOffset: 0 };

/** A picture of mbW x mbH macroblocks; luma(x, y) and chroma(x, y) give the samples. */
function picture(mbW: number, mbH: number, luma: (x: number, y: number) => number, chroma: (x: number, y: number) => number = () => 128): Picture {
  const pic = new Picture(mbW, mbH);
  for (let y = 0; y < pic.height; y++) for (let x = 0; x < pic.width; x++) pic.y[y * pic.strideY + x] = luma(x, y);
  for (let y = 0; y < pic.height / 2; y++) {
    for (let x = 0; x < pic.width / 2; x++) {
      pic.u[y * pic.strideC + x] = chroma(x, y);
      pic.v[y * pic.strideC + x] = 255 - chroma(x, y);
    }
  }
  return pic;
}

/** Boundary strengths: `value` on the left edge of macroblock `mb` (vertical) or its top edge, 0 elsewhere. */
function mbEdgeBs(mbCount: number, mb: number, vertical: boolean, value: number | number[]): Uint8Array {
  const bs = new Uint8Array(mbCount * 32);
  for (let s = 0; s < 4; s++) bs[mb * 32 + (vertical ? 0 : 16) + s] = Array.isArray(value) ? value[s]! : value;
  return bs;
}

function lumaRow(pic: Picture, y: number, x0: number, x1: number): number[] {
  return Array.from(pic.y.subarray(y * pic.strideY + x0, y * pic.strideY + x1));
}

describe('luma, bS 4 — 8.7.2.4', () => {
  it('strong filter when ap < beta and |p0 - q0| < (alpha >> 2) + 2: p0..p2 and q0..q2 change', () => {
    // qPav 30: alpha 25, beta 8, (alpha >> 2) + 2 = 8. Step 100 | 107.
    const pic = picture(2, 1, (x) => (x < 16 ? 100 : 107));
    const qp = Uint8Array.of(30, 30), bs = mbEdgeBs(2, 1, true, 4);
    expectMatchesSpec(pic, qp, bs, NO_OFFSETS);
    // By hand from the strong-filter equations of 8.7.2.4.
    for (let y = 0; y < 16; y++) expect(lumaRow(pic, y, 11, 21)).toEqual([100, 100, 101, 102, 103, 104, 105, 106, 107, 107]);
  });

  it('weak bS 4 filter when |p0 - q0| >= (alpha >> 2) + 2: only p0 and q0 change (8.7.2.4)', () => {
    const pic = picture(2, 1, (x) => (x < 16 ? 100 : 108));
    expectMatchesSpec(pic, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, 4), NO_OFFSETS);
    for (let y = 0; y < 16; y++) expect(lumaRow(pic, y, 12, 20)).toEqual([100, 100, 100, 102, 106, 108, 108, 108]);
  });

  it('p side weak (ap = beta), q side strong', () => {
    // p3..p0 = 100, 108, 100, 100 (ap = |p2 - p0| = 8 = beta); q = 104 flat.
    const pLine = [100, 108, 100, 100];
    const pic = picture(2, 1, (x) => (x < 12 ? 100 : x < 16 ? pLine[x - 12]! : 104));
    expectMatchesSpec(pic, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, 4), NO_OFFSETS);
    for (let y = 0; y < 16; y++) expect(lumaRow(pic, y, 12, 20)).toEqual([100, 108, 100, 101, 103, 103, 104, 104]);
  });

  it('bS 4 on a horizontal macroblock edge filters columns the same way', () => {
    const pic = picture(1, 2, (_x, y) => (y < 16 ? 100 : 107));
    expectMatchesSpec(pic, Uint8Array.of(30, 30), mbEdgeBs(2, 1, false, 4), NO_OFFSETS);
    const column = Array.from({ length: 10 }, (_, k) => pic.y[(11 + k) * pic.strideY + 5]);
    expect(column).toEqual([100, 100, 101, 102, 103, 104, 105, 106, 107, 107]);
  });
});

describe('luma, bS 1..3 — 8.7.2.3', () => {
  // qPav 36: alpha 50, beta 11, tC0 = 2, 3, 4 for bS 1, 2, 3. Step 60 | 100 (Delta before clipping 15).
  it.each([
    // [bS, p2 (p3 = p2), expected p2, p1, p0, q0, q1, q2]
    [1, 60, [60, 62, 64, 96, 98, 100]], // tC = tC0 + 2 = 4; p1, q1 move by at most tC0 = 2
    [2, 60, [60, 63, 65, 95, 97, 100]], // tC = 5, tC0 = 3
    [3, 60, [60, 64, 66, 94, 96, 100]], // tC = 6, tC0 = 4
    [1, 75, [75, 60, 63, 97, 98, 100]], // ap = 15 >= beta: tC = tC0 + 1 = 3, p1 unchanged
    [3, 75, [75, 60, 65, 95, 96, 100]], // tC = 5
  ] as const)('bS %i, p2 = %i', (bS, p2, expected) => {
    const line = (x: number): number => (x < 14 ? p2 : x < 16 ? 60 : 100);
    const pic = picture(2, 1, line);
    expectMatchesSpec(pic, Uint8Array.of(36, 36), mbEdgeBs(2, 1, true, bS), NO_OFFSETS);
    for (let y = 0; y < 16; y++) expect(lumaRow(pic, y, 13, 19)).toEqual(expected);
  });

  it('each 4-line segment uses its own bS, and bS 0 leaves its lines alone', () => {
    const pic = picture(2, 1, (x, y) => (x < 16 ? 60 : 100 - y));
    const before = lumaRow(pic, 0, 0, 32);
    const bs = mbEdgeBs(2, 1, true, [0, 1, 2, 3]);
    expectMatchesSpec(pic, Uint8Array.of(36, 36), bs, NO_OFFSETS);
    for (let y = 0; y < 4; y++) expect(lumaRow(pic, y, 0, 16)).toEqual(before.slice(0, 16));
    expect(lumaRow(pic, 4, 13, 19)).not.toEqual(lumaRow(pic, 8, 13, 19));
  });

  it('internal edges (x = 4, 8, 12) use the macroblock\'s own QP', () => {
    const rnd = prng(51);
    const pic = picture(1, 1, (x, y) => 80 + ((x >> 2) * 7) + ((y >> 2) * 5) + (rnd() % 3));
    const bs = new Uint8Array(32);
    bs.fill(2, 4, 16);
    bs.fill(3, 20, 32);
    expectMatchesSpec(pic, Uint8Array.of(40), bs, NO_OFFSETS);
  });
});

describe('thresholds — 8.7.2.2', () => {
  it.each([1, 3, 4])('|p0 - q0| = alpha is not filtered, alpha - 1 is (bS %i)', (bS) => {
    // qPav 30: alpha 25. Rows 0..7 step 24, rows 8..15 step 25.
    const pic = picture(2, 1, (x, y) => (x < 16 ? 100 : y < 8 ? 124 : 125));
    expectMatchesSpec(pic, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, bS), NO_OFFSETS);
    for (let y = 0; y < 8; y++) expect(lumaRow(pic, y, 15, 17)).not.toEqual([100, 124]);
    for (let y = 8; y < 16; y++) expect(lumaRow(pic, y, 12, 20)).toEqual([100, 100, 100, 100, 125, 125, 125, 125]);
  });

  it('|p1 - p0| = beta or |q1 - q0| = beta is not filtered, beta - 1 is', () => {
    // qPav 30: beta 8. Segment 0: |p1 - p0| = 7; 1: |p1 - p0| = 8; 2: |q1 - q0| = 7; 3: |q1 - q0| = 8.
    const d = [7, 8, 7, 8];
    const pic = picture(2, 1, (x, y) => {
      const s = y >> 2;
      if (x === 14) return s < 2 ? 100 + d[s]! : 100;
      if (x === 17) return s >= 2 ? 110 + d[s]! : 110;
      return x < 16 ? 100 : 110;
    });
    const before = [0, 4, 8, 12].map((y) => lumaRow(pic, y, 12, 20));
    expectMatchesSpec(pic, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, 2), NO_OFFSETS);
    const after = [0, 4, 8, 12].map((y) => lumaRow(pic, y, 12, 20));
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
    expect(after[3]).toEqual(before[3]);
  });

  it('filterOffsetA / filterOffsetB move indexA / indexB', () => {
    // qPav 30 + 2 = 32: alpha 32 — a step of 30 is now filtered; with -2 (alpha 20) a step of 22 is not.
    const step = (s: number): Picture => picture(2, 1, (x) => (x < 16 ? 100 : 100 + s));
    const a = step(30);
    expectMatchesSpec(a, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, 4), { filterOffsetA: 2, filterOffsetB: 2, chromaQpIndexOffset: 0 });
    expect(lumaRow(a, 0, 15, 17)).not.toEqual([100, 130]);
    const b = step(22);
    expectMatchesSpec(b, Uint8Array.of(30, 30), mbEdgeBs(2, 1, true, 4), { filterOffsetA: -2, filterOffsetB: 0, chromaQpIndexOffset: 0 });
    expect(lumaRow(b, 0, 15, 17)).toEqual([100, 122]);
  });

  it('indexA below 16 (alpha 0) filters nothing', () => {
    const pic = picture(2, 1, (x) => (x < 16 ? 100 : 101));
    const bs = new Uint8Array(64).fill(4);
    expectMatchesSpec(pic, Uint8Array.of(15, 15), bs, NO_OFFSETS);
    expect(lumaRow(pic, 0, 0, 32)).toEqual([...new Array<number>(16).fill(100), ...new Array<number>(16).fill(101)]);
  });
});

describe('qPav across macroblock edges — 8.7.2.2', () => {
  it('luma: qPav = (qPp + qPq + 1) >> 1 on a vertical macroblock edge', () => {
    // (20 + 40 + 1) >> 1 = 30: alpha 25. Rows 0..7 step 24 (filtered), rows 8..15 step 25 (not).
    const pic = picture(2, 1, (x, y) => (x < 16 ? 100 : y < 8 ? 124 : 125));
    expectMatchesSpec(pic, Uint8Array.of(20, 40), mbEdgeBs(2, 1, true, 4), NO_OFFSETS);
    expect(lumaRow(pic, 0, 15, 17)).not.toEqual([100, 124]);
    expect(lumaRow(pic, 8, 15, 17)).toEqual([100, 125]);
  });

  it('luma: the + 1 rounds up ((20 + 41 + 1) >> 1 = 31, alpha 28: a step of 27 is filtered)', () => {
    const pic = picture(2, 1, (x) => (x < 16 ? 100 : 127));
    expectMatchesSpec(pic, Uint8Array.of(20, 41), mbEdgeBs(2, 1, true, 4), NO_OFFSETS);
    expect(lumaRow(pic, 0, 15, 17)).not.toEqual([100, 127]);
  });

  it('luma: on a horizontal macroblock edge qPp is the upper macroblock\'s', () => {
    const pic = picture(1, 2, (x, y) => (y < 16 ? 100 : x < 8 ? 124 : 125));
    expectMatchesSpec(pic, Uint8Array.of(20, 40), mbEdgeBs(2, 1, false, 4), NO_OFFSETS);
    expect(pic.y[16 * pic.strideY + 0]).not.toBe(124);
    expect(pic.y[16 * pic.strideY + 8]).toBe(125);
  });

  it('chroma: qPav averages the two QPc values (QPc(20) = 20, QPc(40) = 36: 28, alpha 20), not QPc of the luma average', () => {
    // QPc((20 + 40 + 1) >> 1 = 30) would be 29 (alpha 22) and would filter the step of 21.
    for (const vertical of [true, false]) {
      const chroma = (x: number, y: number): number => {
        const along = vertical ? y : x, across = vertical ? x : y;
        return across < 8 ? 100 : along < 4 ? 119 : 121;
      };
      const pic = vertical ? picture(2, 1, () => 128, chroma) : picture(1, 2, () => 128, chroma);
      expectMatchesSpec(pic, Uint8Array.of(20, 40), mbEdgeBs(2, 1, vertical, 4), NO_OFFSETS);
      const at = (along: number, across: number): number => pic.u[(vertical ? along * pic.strideC + across : across * pic.strideC + along)]!;
      for (let k = 0; k < 4; k++) expect(at(k, 8), `line ${k}`).not.toBe(119);
      for (let k = 4; k < 8; k++) expect([at(k, 7), at(k, 8)], `line ${k}`).toEqual([100, 121]);
    }
  });

  it('chroma_qp_index_offset applies to each macroblock before Table 8-15', () => {
    const rnd = prng(52);
    for (const offset of [-12, -5, 0, 3, 12]) {
      const pic = picture(2, 2, () => 128, (x, y) => 90 + (x >= 8 ? 12 : 0) + (y >= 8 ? 9 : 0) + (rnd() % 4));
      const bs = new Uint8Array(128);
      for (let mb = 0; mb < 4; mb++) setIntraBs(bs, mb);
      expectMatchesSpec(pic, Uint8Array.of(28, 44, 35, 51), bs, { filterOffsetA: 0, filterOffsetB: 0, chromaQpIndexOffset: offset });
    }
  });
});

describe('chroma — 8.7.2.3 / 8.7.2.4 with chromaStyleFilteringFlag', () => {
  it.each([1, 2, 3])('bS %i: tC = tC0 + 1 and only p0 / q0 change', (bS) => {
    // QPY 36 -> QPc 34 = qPav: alpha 40, beta 10, tC0 = 2, 2, 4 for bS 1, 2, 3; Delta before clipping 15.
    const pic = picture(2, 1, () => 128, (x) => (x < 8 ? 60 : 90));
    expectMatchesSpec(pic, Uint8Array.of(36, 36), mbEdgeBs(2, 1, true, bS), NO_OFFSETS);
    const tC0 = [2, 2, 4][bS - 1]!;
    const delta = Math.min(tC0 + 1, shr(4 * 30 + 0 + 4, 3));
    for (let y = 0; y < 8; y++) {
      expect(Array.from(pic.u.subarray(y * pic.strideC + 4, y * pic.strideC + 12))).toEqual(
        [60, 60, 60, 60 + delta, 90 - delta, 90, 90, 90]);
    }
  });

  it('bS 4: p0 = (2 p1 + p0 + q1 + 2) >> 2, q0 likewise, nothing else', () => {
    const pic = picture(2, 1, () => 128, (x) => (x < 7 ? 60 : x < 8 ? 64 : x < 9 ? 70 : 73));
    expectMatchesSpec(pic, Uint8Array.of(36, 36), mbEdgeBs(2, 1, true, 4), NO_OFFSETS);
    const row = Array.from(pic.u.subarray(4, 12));
    expect(row).toEqual([60, 60, 60, shr(2 * 60 + 64 + 73 + 2, 2), shr(2 * 73 + 70 + 60 + 2, 2), 73, 73, 73]);
  });

  it('the internal chroma edge (x = 4) takes the bS of luma edge 2, line k the bS of luma line 2k', () => {
    const pic = picture(1, 1, () => 128, (x, y) => (x < 4 ? 60 : 70 + y));
    const bs = new Uint8Array(32);
    bs.set([0, 2, 0, 3], 8); // luma vertical edge 2: segments 0..3
    bs.set([1, 1, 1, 1], 4); // luma vertical edge 1: no chroma edge there
    expectMatchesSpec(pic, Uint8Array.of(36), bs, NO_OFFSETS);
    expect(pic.u[0 * pic.strideC + 4]).toBe(70); // chroma lines 0, 1 -> segment 0 (bS 0)
    expect(pic.u[2 * pic.strideC + 4]).not.toBe(72); // chroma lines 2, 3 -> segment 1 (bS 2)
  });
});

describe('picture edges — 8.7', () => {
  it('are never filtered, whatever bS says', () => {
    // Each row starts far from where the previous row ends: wrapping round would see a step.
    const pic = picture(2, 2, (x, y) => (x < 2 ? 100 : x >= 30 ? 110 + (y & 1) : 100 + ((x * 7 + y * 3) % 5)),
      (x, y) => (x < 2 ? 100 : 105 + ((x + y) & 1)));
    const bs = new Uint8Array(4 * 32);
    for (const mb of [0, 1, 2, 3]) {
      const mbx = mb & 1, mby = mb >> 1;
      if (mbx === 0) bs.fill(4, mb * 32, mb * 32 + 4);
      if (mby === 0) bs.fill(4, mb * 32 + 16, mb * 32 + 20);
    }
    const y = Uint8Array.from(pic.y), u = Uint8Array.from(pic.u), v = Uint8Array.from(pic.v);
    deblockPicture(pic, Uint8Array.of(51, 51, 51, 51), bs, NO_OFFSETS);
    expect(pic.y).toEqual(y);
    expect(pic.u).toEqual(u);
    expect(pic.v).toEqual(v);
  });
});

describe('I_PCM (qPp = 0) — 8.7.2.2', () => {
  it('qp 0 next to qp 30 averages to indexA 15: nothing filtered, luma or chroma', () => {
    const pic = picture(2, 1, (x) => (x < 16 ? 100 : 102), (x) => (x < 8 ? 100 : 102));
    const bs = new Uint8Array(64);
    setIntraBs(bs, 0);
    setIntraBs(bs, 1);
    const y = Uint8Array.from(pic.y), u = Uint8Array.from(pic.u);
    expectMatchesSpec(pic, Uint8Array.of(0, 30), bs, NO_OFFSETS);
    expect(pic.y).toEqual(y);
    expect(pic.u).toEqual(u);
  });

  it('two I_PCM macroblocks: nothing filtered', () => {
    const rnd = prng(53);
    const pic = picture(2, 2, () => 100 + (rnd() % 3), () => 100 + (rnd() % 3));
    const bs = new Uint8Array(128);
    for (let mb = 0; mb < 4; mb++) setIntraBs(bs, mb);
    const y = Uint8Array.from(pic.y);
    deblockPicture(pic, new Uint8Array(4), bs, NO_OFFSETS);
    expect(pic.y).toEqual(y);
  });
});

describe('setIntraBs — 8.7.2.1', () => {
  it('sets 4 on the macroblock edges and 3 on internal edges of that macroblock only', () => {
    const bs = new Uint8Array(3 * 32).fill(9);
    setIntraBs(bs, 1);
    const expected = [4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
    expect(Array.from(bs.subarray(32, 64))).toEqual([...expected, ...expected]);
    expect(Array.from(bs.subarray(0, 32))).toEqual(new Array<number>(32).fill(9));
    expect(Array.from(bs.subarray(64, 96))).toEqual(new Array<number>(32).fill(9));
  });
});

describe('whole pictures against the reference, in the spec\'s order', () => {
  it('random content, QPs, bS and offsets', () => {
    const rnd = prng(54);
    let changed = 0;
    for (let trial = 0; trial < 120; trial++) {
      const mbW = 1 + (trial % 3), mbH = 1 + ((trial >> 1) % 3);
      const count = mbW * mbH;
      // Blocky content with small noise, so that many edges pass the thresholds.
      const base = Array.from({ length: 64 }, () => 40 + (rnd() % 170));
      const spread = 1 + (rnd() % 12);
      const pic = picture(mbW, mbH,
        (x, y) => clip1(base[((y >> 2) * 7 + (x >> 2) * 3) % 64]! % 60 + 90 + (rnd() % spread) - (x >> 3)),
        (x, y) => clip1(base[((y >> 2) * 5 + (x >> 2)) % 64]! % 40 + 100 + (rnd() % spread)));
      const qp = Uint8Array.from({ length: count }, () => (rnd() % 8 === 0 ? 0 : 16 + (rnd() % 36)));
      const bs = new Uint8Array(count * 32);
      for (let mb = 0; mb < count; mb++) {
        if (rnd() % 4 === 0) { setIntraBs(bs, mb); continue; }
        for (let k = 0; k < 32; k++) bs[mb * 32 + k] = (k & 15) < 4 ? rnd() % 5 : rnd() % 4;
      }
      const params: DeblockParams = {
        filterOffsetA: 2 * ((rnd() % 13) - 6),
        filterOffsetB: 2 * ((rnd() % 13) - 6),
        chromaQpIndexOffset: (rnd() % 25) - 12,
      };
      const before = Uint8Array.from(pic.y);
      expectMatchesSpec(pic, qp, bs, params);
      changed += pic.y.reduce((n, v, i) => n + (v !== before[i] ? 1 : 0), 0);
    }
    expect(changed).toBeGreaterThan(10_000); // the pictures do get filtered
  });
});
