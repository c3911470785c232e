/**
 * Deblocking filter process — 8.7. Runs over a whole reconstructed picture after all its
 * macroblocks are decoded (intra prediction uses the unfiltered samples, 8.3.1.2).
 *
 * Per macroblock the caller supplies boundary strengths in `bs` (32 entries per macroblock):
 * [0..15] vertical edges (edge e = 0..3 at x = 4e, segment s = rows 4s..4s+3) as bs[e*4 + s],
 * [16..31] horizontal edges (edge e at y = 4e, segment s = columns 4s..4s+3). Edge 0 is the
 * macroblock's left/top edge; it is skipped at the picture boundary (8.7: filterLeftMbEdgeFlag /
 * filterTopMbEdgeFlag are 0 there), whatever bs says.
 */
import type { Picture } from './picture.js';
import { ALPHA, BETA, TC0 } from './deblock-tables.js';
import { CHROMA_QP } from './transform.js';
import { isIntra, type MbState } from '../mb-state.js';
import type { SimdKernels } from '../simd/kernels.js';

export interface DeblockParams {
  /** FilterOffsetA = slice_alpha_c0_offset_div2 << 1 (7.4.3). */
  filterOffsetA: number;
  /** FilterOffsetB = slice_beta_offset_div2 << 1. */
  filterOffsetB: number;
  chromaQpIndexOffset: number;
}

function clip3(lo: number, hi: number, v: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Filters `count` sample lines across one edge. `q0` is the offset of the first q0 sample,
 * `across` the step from p0 to q0 (1 for a vertical edge, stride for a horizontal one), `along`
 * the step to the next line. bS for line i is bs[bsBase + (i >> bsShift)]. 8.7.2.3 / 8.7.2.4.
 */
function filterEdge(
  s: Uint8Array, q0: number, across: number, along: number, count: number,
  bs: Uint8Array, bsBase: number, bsShift: number,
  qpAv: number, params: DeblockParams, chroma: boolean,
): void {
  const indexA = clip3(0, 51, qpAv + params.filterOffsetA);
  const indexB = clip3(0, 51, qpAv + params.filterOffsetB);
  const alpha = ALPHA[indexA]!, beta = BETA[indexB]!;
  if (alpha === 0 || beta === 0) return; // no line can satisfy |p0 - q0| < 0
  for (let i = 0; i < count; i++) {
    const strength = bs[bsBase + (i >> bsShift)]!;
    if (strength === 0) continue;
    const o = q0 + i * along;
    const p0 = s[o - across]!, p1 = s[o - 2 * across]!;
    const q0v = s[o]!, q1 = s[o + across]!;
    // filterSamplesFlag — 8-460
    if (Math.abs(p0 - q0v) >= alpha || Math.abs(p1 - p0) >= beta || Math.abs(q1 - q0v) >= beta) continue;
    if (chroma) {
      if (strength < 4) {
        const tc = TC0[indexA * 3 + strength - 1]! + 1; // 8-468: chromaStyleFilteringFlag -> tC0 + 1
        const delta = clip3(-tc, tc, (((q0v - p0) << 2) + (p1 - q1) + 4) >> 3);
        s[o - across] = clip3(0, 255, p0 + delta);
        s[o] = clip3(0, 255, q0v - delta);
      } else {
        s[o - across] = (2 * p1 + p0 + q1 + 2) >> 2; // 8-479 (chroma branch)
        s[o] = (2 * q1 + q0v + p1 + 2) >> 2;
      }
      continue;
    }
    const p2 = s[o - 3 * across]!, q2 = s[o + 2 * across]!;
    const ap = Math.abs(p2 - p0), aq = Math.abs(q2 - q0v); // 8-461, 8-462
    if (strength < 4) { // 8.7.2.3
      const tc0 = TC0[indexA * 3 + strength - 1]!;
      const tc = tc0 + (ap < beta ? 1 : 0) + (aq < beta ? 1 : 0); // 8-467
      const delta = clip3(-tc, tc, (((q0v - p0) << 2) + (p1 - q1) + 4) >> 3); // 8-469
      s[o - across] = clip3(0, 255, p0 + delta);
      s[o] = clip3(0, 255, q0v - delta);
      if (ap < beta) s[o - 2 * across] = p1 + clip3(-tc0, tc0, (p2 + ((p0 + q0v + 1) >> 1) - (p1 << 1)) >> 1); // 8-472
      if (aq < beta) s[o + across] = q1 + clip3(-tc0, tc0, (q2 + ((p0 + q0v + 1) >> 1) - (q1 << 1)) >> 1); // 8-474
    } else { // 8.7.2.4, bS == 4
      const strong = Math.abs(p0 - q0v) < ((alpha >> 2) + 2);
      if (ap < beta && strong) {
        const p3 = s[o - 4 * across]!;
        s[o - across] = (p2 + 2 * p1 + 2 * p0 + 2 * q0v + q1 + 4) >> 3; // 8-477
        s[o - 2 * across] = (p2 + p1 + p0 + q0v + 2) >> 2;
        s[o - 3 * across] = (2 * p3 + 3 * p2 + p1 + p0 + q0v + 4) >> 3;
      } else {
        s[o - across] = (2 * p1 + p0 + q1 + 2) >> 2; // 8-480
      }
      if (aq < beta && strong) {
        const q3 = s[o + 3 * across]!;
        s[o] = (p1 + 2 * p0 + 2 * q0v + 2 * q1 + q2 + 4) >> 3; // 8-484
        s[o + across] = (p0 + q0v + q1 + q2 + 2) >> 2;
        s[o + 2 * across] = (2 * q3 + 3 * q2 + q1 + q0v + p0 + 4) >> 3;
      } else {
        s[o] = (2 * q1 + q0v + p1 + 2) >> 2; // 8-487
      }
    }
  }
}

function chromaQp(qpY: number, offset: number): number {
  return CHROMA_QP[clip3(0, 51, qpY + offset)]!;
}

/**
 * Deblocks the picture in place. `qp[mb]` is each macroblock's QPY as the filter sees it (0 for
 * I_PCM, 8.7.2.2); `bs` as described above. With `simd`, the planes, `qp` and `bs` must lie in its
 * memory, and its deblockPicture kernel filters the whole picture, with the same result.
 */
export function deblockPicture(pic: Picture, qp: Uint8Array, bs: Uint8Array, params: DeblockParams, simd: SimdKernels | null = null): void {
  const { mbWidth, mbHeight, strideY, strideC } = pic;
  const off = params.chromaQpIndexOffset;
  if (simd !== null) {
    // deblockPictureSource: the same, in one call (filterEdge's SIMD kernels on every edge).
    simd.k.deblockPicture(pic.y.byteOffset, pic.u.byteOffset, pic.v.byteOffset, strideY, strideC, mbWidth, mbHeight, qp.byteOffset,
      bs.byteOffset, params.filterOffsetA, params.filterOffsetB, off, simd.deblockTables);
    return;
  }
  // An edge's four bS as one word: an edge whose bS are all 0 filters no sample (8.7.2: bS 0
  // leaves both sides as they are), so it is passed over without a call. Most edges of a P
  // picture's skipped and still areas are such.
  const bs32 = (bs.byteOffset & 3) === 0 ? new Uint32Array(bs.buffer, bs.byteOffset, bs.length >> 2) : null;
  const edgeOff = (i: number): boolean => bs32 !== null && bs32[i >> 2] === 0;
  for (let mby = 0; mby < mbHeight; mby++) {
    for (let mbx = 0; mbx < mbWidth; mbx++) {
      const mb = mby * mbWidth + mbx;
      const b = mb * 32;
      const qpQ = qp[mb]!;
      const lumaOrigin = mby * 16 * strideY + mbx * 16;
      const chromaOrigin = mby * 8 * strideC + mbx * 8;
      const qpLeft = mbx > 0 ? qp[mb - 1]! : qpQ;
      const qpTop = mby > 0 ? qp[mb - mbWidth]! : qpQ;
      const qcQ = chromaQp(qpQ, off);
      // Luma vertical edges, left to right, then horizontal edges, top to bottom (8.7).
      for (let e = mbx > 0 ? 0 : 1; e < 4; e++) {
        if (edgeOff(b + e * 4)) continue;
        const qpAv = e === 0 ? (qpLeft + qpQ + 1) >> 1 : qpQ;
        filterEdge(pic.y, lumaOrigin + 4 * e, 1, strideY, 16, bs, b + e * 4, 2, qpAv, params, false);
      }
      for (let e = mby > 0 ? 0 : 1; e < 4; e++) {
        if (edgeOff(b + 16 + e * 4)) continue;
        const qpAv = e === 0 ? (qpTop + qpQ + 1) >> 1 : qpQ;
        filterEdge(pic.y, lumaOrigin + 4 * e * strideY, strideY, 1, 16, bs, b + 16 + e * 4, 2, qpAv, params, false);
      }
      // Chroma (4:2:0): edges at chroma x/y = 0 and 4 use the bS of luma edges 0 and 2;
      // chroma sample i takes the bS of luma sample 2i, i.e. segment i >> 1.
      for (const plane of [pic.u, pic.v]) {
        for (let e = mbx > 0 ? 0 : 2; e < 4; e += 2) {
          if (edgeOff(b + e * 4)) continue;
          const qpAv = e === 0 ? (chromaQp(qpLeft, off) + qcQ + 1) >> 1 : qcQ;
          filterEdge(plane, chromaOrigin + 2 * e, 1, strideC, 8, bs, b + e * 4, 1, qpAv, params, true);
        }
        for (let e = mby > 0 ? 0 : 2; e < 4; e += 2) {
          if (edgeOff(b + 16 + e * 4)) continue;
          const qpAv = e === 0 ? (chromaQp(qpTop, off) + qcQ + 1) >> 1 : qcQ;
          filterEdge(plane, chromaOrigin + 2 * e * strideC, strideC, 1, 8, bs, b + 16 + e * 4, 1, qpAv, params, true);
        }
      }
    }
  }
}

/** Boundary strengths of an intra macroblock — 8.7.2.1: 4 on macroblock edges, 3 inside. */
export function setIntraBs(bs: Uint8Array, mb: number): void {
  const b = mb * 32;
  for (let dir = 0; dir < 2; dir++) {
    bs.fill(4, b + dir * 16, b + dir * 16 + 4);
    bs.fill(3, b + dir * 16 + 4, b + dir * 16 + 16);
  }
}

/** bS of an edge between the inter blocks pi and qi (indices into MbState's per-block arrays), 8.7.2.1. */
function interBs(state: MbState, pi: number, qi: number): number {
  const nz = state.nzLuma, mvx = state.mvx, mvy = state.mvy, ref = state.ref;
  if (nz[pi]! > 0 || nz[qi]! > 0) return 2;
  return ref[pi] !== ref[qi] || Math.abs(mvx[pi]! - mvx[qi]!) >= 4 || Math.abs(mvy[pi]! - mvy[qi]!) >= 4 ? 1 : 0;
}

/**
 * Boundary strengths of a macroblock in a P picture — 8.7.2.1 (frame macroblocks, one reference
 * picture, transform_size_8x8_flag 0): 4 on a macroblock edge with an intra side, 3 inside an intra
 * macroblock, 2 where either 4x4 block has coefficients, 1 where the vectors differ by 4 or more
 * quarter samples in either component (or one side has no vector), else 0.
 * The left and top neighbours must be committed already.
 */
export function setInterBs(state: MbState, mb: number, mbx: number, mby: number): void {
  const bs = state.bs, kind = state.kind, b = mb * 32;
  if (isIntra(kind[mb]!)) {
    setIntraBs(bs, mb);
    return;
  }
  const nz = state.nzLuma, mvx = state.mvx, mvy = state.mvy, ref = state.ref, q = mb * 16;
  // The macroblock's left edge (dir 0, e 0; p: column 3 of the left neighbour) and top edge
  // (dir 1, e 0; p: row 3 of the upper one): 4 against an intra neighbour, none at the picture edge.
  for (let dir = 0; dir < 2; dir++) {
    const o = b + dir * 16, pMb = dir === 0 ? mb - 1 : mb - state.mbWidth;
    if (dir === 0 ? mbx === 0 : mby === 0) {
      bs[o] = 0; bs[o + 1] = 0; bs[o + 2] = 0; bs[o + 3] = 0;
    } else if (isIntra(kind[pMb]!)) {
      bs[o] = 4; bs[o + 1] = 4; bs[o + 2] = 4; bs[o + 3] = 4;
    } else {
      for (let s = 0; s < 4; s++) bs[o + s] = dir === 0 ? interBs(state, pMb * 16 + s * 4 + 3, q + s * 4) : interBs(state, pMb * 16 + 12 + s, q + s);
    }
  }
  // Inner edges. No coefficients and one vector and reference for all 16 blocks (P_Skip,
  // P_L0_16x16 with cbp 0): the rule gives bS 0 on all of them.
  let innerZero = (nz[q]! | nz[q + 1]! | nz[q + 2]! | nz[q + 3]! | nz[q + 4]! | nz[q + 5]! | nz[q + 6]! | nz[q + 7]!
    | nz[q + 8]! | nz[q + 9]! | nz[q + 10]! | nz[q + 11]! | nz[q + 12]! | nz[q + 13]! | nz[q + 14]! | nz[q + 15]!) === 0;
  for (let i = q + 1; innerZero && i < q + 16; i++) {
    innerZero = mvx[i] === mvx[q] && mvy[i] === mvy[q] && ref[i] === ref[q];
  }
  for (let e = 1; e < 4; e++) {
    for (let s = 0; s < 4; s++) {
      // Vertical edge e, row s: blocks s*4 + e - 1 | s*4 + e; horizontal edge e, column s: (e-1)*4 + s over e*4 + s.
      bs[b + e * 4 + s] = innerZero ? 0 : interBs(state, q + s * 4 + e - 1, q + s * 4 + e);
      bs[b + 16 + e * 4 + s] = innerZero ? 0 : interBs(state, q + (e - 1) * 4 + s, q + e * 4 + s);
    }
  }
}
