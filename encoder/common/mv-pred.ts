/**
 * Motion vector prediction — 8.4.1.3 (with the neighbour derivation of 8.4.1.3.2 / 6.4.11.7) and
 * the P_Skip motion vector — 8.4.1.1. One reference picture (refIdxL0 = 0 for every inter block).
 *
 * Neighbours are read at 4x4-block granularity. Blocks of the current macroblock come from `cur`
 * (raster order) and count as available only when they precede the partition in decoding order
 * (6.4.11.7: "the partition ... is not available" when it is not yet decoded).
 */
import type { MbState } from '../mb-state.js';
import { RASTER_TO_BLK } from '../mb-state.js';

/** Partition shapes with directional prediction rules (8.4.1.3, 8-203..8-206). */
export const enum MvShape {
  Generic = 0,
  Upper16x8 = 1,
  Lower16x8 = 2,
  Left8x16 = 3,
  Right8x16 = 4,
}

export interface MotionVector {
  x: number;
  y: number;
}

/** The current macroblock's already-decided vectors (raster 4x4 blocks). */
export interface CurrentMotion {
  mvx: Int16Array;
  mvy: Int16Array;
}

interface Neighbour {
  available: boolean;
  ref: number;
  x: number;
  y: number;
}

const nA: Neighbour = { available: false, ref: -1, x: 0, y: 0 };
const nB: Neighbour = { available: false, ref: -1, x: 0, y: 0 };
const nC: Neighbour = { available: false, ref: -1, x: 0, y: 0 };

/**
 * Motion data of the 4x4 block at (x4, y4) relative to the macroblock (x4 in -1..4, y4 in -1..3).
 * `order` is the luma4x4BlkIdx of the partition's first block: current-macroblock blocks before it
 * are decoded. Not available -> refIdx -1 and a zero vector (8.4.1.3.2); intra blocks are
 * available with refIdx -1 and a zero vector (state stores them that way).
 */
function neighbour(
  state: MbState, mb: number, mbx: number, mby: number, cur: CurrentMotion, order: number,
  x4: number, y4: number, out: Neighbour,
): void {
  out.available = false;
  out.ref = -1;
  out.x = 0;
  out.y = 0;
  const w = state.mbWidth;
  let nmb: number, b: number;
  if (y4 < 0) {
    if (mby === 0) return;
    if (x4 < 0) {
      if (mbx === 0) return;
      nmb = mb - w - 1; b = 15;
    } else if (x4 < 4) {
      nmb = mb - w; b = 12 + x4;
    } else {
      if (mbx === w - 1) return;
      nmb = mb - w + 1; b = 12;
    }
  } else if (x4 < 0) {
    if (mbx === 0) return;
    nmb = mb - 1; b = y4 * 4 + 3;
  } else if (x4 < 4) {
    const r = y4 * 4 + x4;
    if (RASTER_TO_BLK[r]! >= order) return; // not yet decoded
    out.available = true;
    out.ref = 0;
    out.x = cur.mvx[r]!;
    out.y = cur.mvy[r]!;
    return;
  } else {
    return; // the macroblock to the right is decoded later
  }
  const i = nmb * 16 + b;
  out.available = true;
  out.ref = state.ref[i]!;
  out.x = state.mvx[i]!;
  out.y = state.mvy[i]!;
}

function median(a: number, b: number, c: number): number {
  return a + b + c - Math.min(a, b, c) - Math.max(a, b, c);
}

/**
 * mvpL0 of a partition whose top-left 4x4 block is (x4, y4) and which is w4 blocks wide, for
 * refIdxL0 = 0. Writes the prediction into `out`.
 */
export function predictMv(
  state: MbState, mb: number, mbx: number, mby: number, cur: CurrentMotion,
  x4: number, y4: number, w4: number, shape: MvShape, out: MotionVector,
): void {
  const order = RASTER_TO_BLK[y4 * 4 + x4]!;
  neighbour(state, mb, mbx, mby, cur, order, x4 - 1, y4, nA);
  neighbour(state, mb, mbx, mby, cur, order, x4, y4 - 1, nB);
  neighbour(state, mb, mbx, mby, cur, order, x4 + w4, y4 - 1, nC);
  // 8.4.1.3.2: when partition C is not available, partition D takes its place.
  if (!nC.available) neighbour(state, mb, mbx, mby, cur, order, x4 - 1, y4 - 1, nC);

  // Directional prediction for 16x8 and 8x16 (8.4.1.3), on the neighbours as derived.
  let d: Neighbour | undefined;
  if (shape === MvShape.Upper16x8) d = nB;
  else if (shape === MvShape.Lower16x8 || shape === MvShape.Left8x16) d = nA;
  else if (shape === MvShape.Right8x16) d = nC;
  if (d && d.ref === 0) {
    out.x = d.x;
    out.y = d.y;
    return;
  }

  // Median prediction — 8.4.1.3.1.
  let bx = nB.x, by = nB.y, bRef = nB.ref, cx = nC.x, cy = nC.y, cRef = nC.ref;
  if (!nB.available && !nC.available && nA.available) {
    bx = cx = nA.x; by = cy = nA.y; bRef = cRef = nA.ref;
  }
  const matches = (nA.ref === 0 ? 1 : 0) + (bRef === 0 ? 1 : 0) + (cRef === 0 ? 1 : 0);
  if (matches === 1) {
    if (nA.ref === 0) { out.x = nA.x; out.y = nA.y; }
    else if (bRef === 0) { out.x = bx; out.y = by; }
    else { out.x = cx; out.y = cy; }
    return;
  }
  out.x = median(nA.x, bx, cx);
  out.y = median(nA.y, by, cy);
}

/** The P_Skip motion vector — 8.4.1.1. */
export function predictSkipMv(state: MbState, mb: number, mbx: number, mby: number, cur: CurrentMotion, out: MotionVector): void {
  neighbour(state, mb, mbx, mby, cur, 0, -1, 0, nA);
  neighbour(state, mb, mbx, mby, cur, 0, 0, -1, nB);
  if (!nA.available || !nB.available
    || (nA.ref === 0 && nA.x === 0 && nA.y === 0)
    || (nB.ref === 0 && nB.x === 0 && nB.y === 0)) {
    out.x = 0;
    out.y = 0;
    return;
  }
  predictMv(state, mb, mbx, mby, cur, 0, 0, 4, MvShape.Generic, out);
}
