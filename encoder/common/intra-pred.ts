/**
 * Intra prediction sample generation — 8.3.1.2 (Intra_4x4), 8.3.3 (Intra_16x16), 8.3.4 (chroma).
 * Predictors read a prepared edge array rather than the picture, so the same code serves the
 * encoder's search and reconstruction.
 *
 * 4x4 edge layout (13 samples): e[3 - y] = p[-1, y] for y = -1..3 and e[5 + x] = p[x, -1] for
 * x = -1..7; so e[4] = p[-1, -1]. Unavailable top-right samples are already replaced by p[3, -1]
 * (8.3.1.2: "the sample p[3, -1] is substituted").
 */

export const enum Intra4x4Mode {
  Vertical = 0,
  Horizontal = 1,
  Dc = 2,
  DiagonalDownLeft = 3,
  DiagonalDownRight = 4,
  VerticalRight = 5,
  HorizontalDown = 6,
  VerticalLeft = 7,
  HorizontalUp = 8,
}

export const enum Intra16x16Mode {
  Vertical = 0,
  Horizontal = 1,
  Dc = 2,
  Plane = 3,
}

export const enum IntraChromaMode {
  Dc = 0,
  Horizontal = 1,
  Vertical = 2,
  Plane = 3,
}

/** Availability bits for a block's neighbours. */
export const AVAIL_LEFT = 1, AVAIL_TOP = 2, AVAIL_TOP_LEFT = 4;

/** Whether an Intra_4x4 mode may be used with the given neighbours — 8.3.1.2.1..9. */
export function intra4x4ModeAvailable(mode: number, avail: number): boolean {
  switch (mode) {
    case Intra4x4Mode.Vertical:
    case Intra4x4Mode.DiagonalDownLeft:
    case Intra4x4Mode.VerticalLeft:
      return (avail & AVAIL_TOP) !== 0;
    case Intra4x4Mode.Horizontal:
    case Intra4x4Mode.HorizontalUp:
      return (avail & AVAIL_LEFT) !== 0;
    case Intra4x4Mode.Dc:
      return true;
    default:
      return (avail & (AVAIL_LEFT | AVAIL_TOP | AVAIL_TOP_LEFT)) === (AVAIL_LEFT | AVAIL_TOP | AVAIL_TOP_LEFT);
  }
}

/** Intra_4x4_DC's value — 8.3.1.2.3. */
export function dc4x4(e: Uint8Array, avail: number): number {
  if ((avail & (AVAIL_LEFT | AVAIL_TOP)) === (AVAIL_LEFT | AVAIL_TOP)) {
    return (e[5]! + e[6]! + e[7]! + e[8]! + e[3]! + e[2]! + e[1]! + e[0]! + 4) >> 3;
  }
  if (avail & AVAIL_LEFT) return (e[3]! + e[2]! + e[1]! + e[0]! + 2) >> 2;
  if (avail & AVAIL_TOP) return (e[5]! + e[6]! + e[7]! + e[8]! + 2) >> 2;
  return 128;
}

/**
 * Intra_4x4 prediction of one 4x4 block into pred[16] (raster), unrolled: each mode computes its
 * few distinct filtered values once (fNN = (e[NN-1] + 2 e[NN] + e[NN+1] + 2) >> 2 centred on
 * e[NN], hAB = (e[A] + e[B] + 1) >> 1) and stores them along its direction. predict4x4Ref is the
 * per-sample statement of 8.3.1.2.x it is tested against.
 */
export function predict4x4(mode: number, e: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case Intra4x4Mode.Vertical: { // 8.3.1.2.1
      const t0 = e[5]!, t1 = e[6]!, t2 = e[7]!, t3 = e[8]!;
      for (let i = 0; i < 16; i += 4) {
        pred[i] = t0; pred[i + 1] = t1; pred[i + 2] = t2; pred[i + 3] = t3;
      }
      return;
    }
    case Intra4x4Mode.Horizontal: // 8.3.1.2.2
      for (let y = 0; y < 4; y++) {
        const l = e[3 - y]!, i = y * 4;
        pred[i] = l; pred[i + 1] = l; pred[i + 2] = l; pred[i + 3] = l;
      }
      return;
    case Intra4x4Mode.Dc: { // 8.3.1.2.3
      const dc = dc4x4(e, avail);
      for (let i = 0; i < 16; i++) pred[i] = dc;
      return;
    }
    case Intra4x4Mode.DiagonalDownLeft: { // 8.3.1.2.4: p[x, -1] only, x = 0..7
      const e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!, e9 = e[9]!, e10 = e[10]!, e11 = e[11]!, e12 = e[12]!;
      const f6 = (e5 + 2 * e6 + e7 + 2) >> 2, f7 = (e6 + 2 * e7 + e8 + 2) >> 2, f8 = (e7 + 2 * e8 + e9 + 2) >> 2;
      const f9 = (e8 + 2 * e9 + e10 + 2) >> 2, f10 = (e9 + 2 * e10 + e11 + 2) >> 2, f11 = (e10 + 2 * e11 + e12 + 2) >> 2;
      pred[0] = f6; pred[1] = f7; pred[2] = f8; pred[3] = f9;
      pred[4] = f7; pred[5] = f8; pred[6] = f9; pred[7] = f10;
      pred[8] = f8; pred[9] = f9; pred[10] = f10; pred[11] = f11;
      pred[12] = f9; pred[13] = f10; pred[14] = f11; pred[15] = (e11 + 3 * e12 + 2) >> 2; // x = y = 3
      return;
    }
    case Intra4x4Mode.DiagonalDownRight: { // 8.3.1.2.5: pred[x, y] = f(4 + x - y)
      const e0 = e[0]!, e1 = e[1]!, e2 = e[2]!, e3 = e[3]!, e4 = e[4]!, e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!;
      const f1 = (e0 + 2 * e1 + e2 + 2) >> 2, f2 = (e1 + 2 * e2 + e3 + 2) >> 2, f3 = (e2 + 2 * e3 + e4 + 2) >> 2;
      const f4 = (e3 + 2 * e4 + e5 + 2) >> 2, f5 = (e4 + 2 * e5 + e6 + 2) >> 2, f6 = (e5 + 2 * e6 + e7 + 2) >> 2;
      const f7 = (e6 + 2 * e7 + e8 + 2) >> 2;
      pred[0] = f4; pred[1] = f5; pred[2] = f6; pred[3] = f7;
      pred[4] = f3; pred[5] = f4; pred[6] = f5; pred[7] = f6;
      pred[8] = f2; pred[9] = f3; pred[10] = f4; pred[11] = f5;
      pred[12] = f1; pred[13] = f2; pred[14] = f3; pred[15] = f4;
      return;
    }
    case Intra4x4Mode.VerticalRight: { // 8.3.1.2.6
      const e1 = e[1]!, e2 = e[2]!, e3 = e[3]!, e4 = e[4]!, e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!;
      const h45 = (e4 + e5 + 1) >> 1, h56 = (e5 + e6 + 1) >> 1, h67 = (e6 + e7 + 1) >> 1, h78 = (e7 + e8 + 1) >> 1;
      const f2 = (e1 + 2 * e2 + e3 + 2) >> 2, f3 = (e2 + 2 * e3 + e4 + 2) >> 2, f4 = (e3 + 2 * e4 + e5 + 2) >> 2;
      const f5 = (e4 + 2 * e5 + e6 + 2) >> 2, f6 = (e5 + 2 * e6 + e7 + 2) >> 2, f7 = (e6 + 2 * e7 + e8 + 2) >> 2;
      pred[0] = h45; pred[1] = h56; pred[2] = h67; pred[3] = h78;
      pred[4] = f4; pred[5] = f5; pred[6] = f6; pred[7] = f7;
      pred[8] = f3; pred[9] = h45; pred[10] = h56; pred[11] = h67;
      pred[12] = f2; pred[13] = f4; pred[14] = f5; pred[15] = f6;
      return;
    }
    case Intra4x4Mode.HorizontalDown: { // 8.3.1.2.7
      const e0 = e[0]!, e1 = e[1]!, e2 = e[2]!, e3 = e[3]!, e4 = e[4]!, e5 = e[5]!, e6 = e[6]!, e7 = e[7]!;
      const h34 = (e3 + e4 + 1) >> 1, h23 = (e2 + e3 + 1) >> 1, h12 = (e1 + e2 + 1) >> 1, h01 = (e0 + e1 + 1) >> 1;
      const f1 = (e0 + 2 * e1 + e2 + 2) >> 2, f2 = (e1 + 2 * e2 + e3 + 2) >> 2, f3 = (e2 + 2 * e3 + e4 + 2) >> 2;
      const f4 = (e3 + 2 * e4 + e5 + 2) >> 2, f5 = (e4 + 2 * e5 + e6 + 2) >> 2, f6 = (e5 + 2 * e6 + e7 + 2) >> 2;
      pred[0] = h34; pred[1] = f4; pred[2] = f5; pred[3] = f6;
      pred[4] = h23; pred[5] = f3; pred[6] = h34; pred[7] = f4;
      pred[8] = h12; pred[9] = f2; pred[10] = h23; pred[11] = f3;
      pred[12] = h01; pred[13] = f1; pred[14] = h12; pred[15] = f2;
      return;
    }
    case Intra4x4Mode.VerticalLeft: { // 8.3.1.2.8: p[x, -1] only, x = 0..6
      const e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!, e9 = e[9]!, e10 = e[10]!, e11 = e[11]!;
      const h56 = (e5 + e6 + 1) >> 1, h67 = (e6 + e7 + 1) >> 1, h78 = (e7 + e8 + 1) >> 1, h89 = (e8 + e9 + 1) >> 1;
      const h910 = (e9 + e10 + 1) >> 1;
      const f6 = (e5 + 2 * e6 + e7 + 2) >> 2, f7 = (e6 + 2 * e7 + e8 + 2) >> 2, f8 = (e7 + 2 * e8 + e9 + 2) >> 2;
      const f9 = (e8 + 2 * e9 + e10 + 2) >> 2, f10 = (e9 + 2 * e10 + e11 + 2) >> 2;
      pred[0] = h56; pred[1] = h67; pred[2] = h78; pred[3] = h89;
      pred[4] = f6; pred[5] = f7; pred[6] = f8; pred[7] = f9;
      pred[8] = h67; pred[9] = h78; pred[10] = h89; pred[11] = h910;
      pred[12] = f7; pred[13] = f8; pred[14] = f9; pred[15] = f10;
      return;
    }
    case Intra4x4Mode.HorizontalUp: { // 8.3.1.2.9: p[-1, y] only
      const e0 = e[0]!, e1 = e[1]!, e2 = e[2]!, e3 = e[3]!;
      const h23 = (e2 + e3 + 1) >> 1, h12 = (e1 + e2 + 1) >> 1, h01 = (e0 + e1 + 1) >> 1;
      const f2 = (e1 + 2 * e2 + e3 + 2) >> 2, f1 = (e0 + 2 * e1 + e2 + 2) >> 2, g = (e1 + 3 * e0 + 2) >> 2;
      pred[0] = h23; pred[1] = f2; pred[2] = h12; pred[3] = f1;
      pred[4] = h12; pred[5] = f1; pred[6] = h01; pred[7] = g;
      pred[8] = h01; pred[9] = g; pred[10] = e0; pred[11] = e0;
      pred[12] = e0; pred[13] = e0; pred[14] = e0; pred[15] = e0;
      return;
    }
  }
}

/**
 * Intra_4x4 prediction written as the spec's case analysis, one sample at a time: the plain
 * reference that the unrolled predict4x4 is tested against.
 */
export function predict4x4Ref(mode: number, e: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case Intra4x4Mode.Vertical: // 8.3.1.2.1
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) pred[y * 4 + x] = e[5 + x]!;
      return;
    case Intra4x4Mode.Horizontal: // 8.3.1.2.2
      for (let y = 0; y < 4; y++) pred.fill(e[3 - y]!, y * 4, y * 4 + 4);
      return;
    case Intra4x4Mode.Dc: { // 8.3.1.2.3
      const top = e[5]! + e[6]! + e[7]! + e[8]!;
      const left = e[3]! + e[2]! + e[1]! + e[0]!;
      let dc = 128;
      if ((avail & AVAIL_LEFT) && (avail & AVAIL_TOP)) dc = (top + left + 4) >> 3;
      else if (avail & AVAIL_LEFT) dc = (left + 2) >> 2;
      else if (avail & AVAIL_TOP) dc = (top + 2) >> 2;
      pred.fill(dc, 0, 16);
      return;
    }
    case Intra4x4Mode.DiagonalDownLeft: // 8.3.1.2.4
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          pred[y * 4 + x] = x === 3 && y === 3
            ? (e[11]! + 3 * e[12]! + 2) >> 2
            : (e[5 + x + y]! + 2 * e[6 + x + y]! + e[7 + x + y]! + 2) >> 2;
        }
      }
      return;
    case Intra4x4Mode.DiagonalDownRight: // 8.3.1.2.5: all three cases are one filter along e
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const d = x - y;
          pred[y * 4 + x] = (e[3 + d]! + 2 * e[4 + d]! + e[5 + d]! + 2) >> 2;
        }
      }
      return;
    case Intra4x4Mode.VerticalRight: // 8.3.1.2.6
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const z = 2 * x - y;
          let v: number;
          if (z >= 0 && (z & 1) === 0) {
            const k = x - (y >> 1);
            v = (e[4 + k]! + e[5 + k]! + 1) >> 1; // (p[k-1,-1] + p[k,-1] + 1) >> 1
          } else if (z >= 0) {
            const k = x - (y >> 1);
            v = (e[3 + k]! + 2 * e[4 + k]! + e[5 + k]! + 2) >> 2;
          } else if (z === -1) {
            v = (e[3]! + 2 * e[4]! + e[5]! + 2) >> 2;
          } else {
            // (p[-1,y-1] + 2*p[-1,y-2] + p[-1,y-3] + 2) >> 2
            v = (e[4 - y]! + 2 * e[5 - y]! + e[6 - y]! + 2) >> 2;
          }
          pred[y * 4 + x] = v;
        }
      }
      return;
    case Intra4x4Mode.HorizontalDown: // 8.3.1.2.7
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const z = 2 * y - x;
          let v: number;
          if (z >= 0 && (z & 1) === 0) {
            const k = y - (x >> 1);
            v = (e[4 - k]! + e[3 - k]! + 1) >> 1; // (p[-1,k-1] + p[-1,k] + 1) >> 1
          } else if (z >= 0) {
            const k = y - (x >> 1);
            v = (e[5 - k]! + 2 * e[4 - k]! + e[3 - k]! + 2) >> 2;
          } else if (z === -1) {
            v = (e[3]! + 2 * e[4]! + e[5]! + 2) >> 2;
          } else {
            // (p[x-1,-1] + 2*p[x-2,-1] + p[x-3,-1] + 2) >> 2
            v = (e[4 + x]! + 2 * e[3 + x]! + e[2 + x]! + 2) >> 2;
          }
          pred[y * 4 + x] = v;
        }
      }
      return;
    case Intra4x4Mode.VerticalLeft: // 8.3.1.2.8
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const k = x + (y >> 1);
          pred[y * 4 + x] = (y & 1) === 0
            ? (e[5 + k]! + e[6 + k]! + 1) >> 1
            : (e[5 + k]! + 2 * e[6 + k]! + e[7 + k]! + 2) >> 2;
        }
      }
      return;
    case Intra4x4Mode.HorizontalUp: // 8.3.1.2.9
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const z = x + 2 * y;
          const k = y + (x >> 1);
          let v: number;
          if (z > 5) v = e[0]!;
          else if (z === 5) v = (e[1]! + 3 * e[0]! + 2) >> 2;
          else if ((z & 1) === 0) v = (e[3 - k]! + e[2 - k]! + 1) >> 1;
          else v = (e[3 - k]! + 2 * e[2 - k]! + e[1 - k]! + 2) >> 2;
          pred[y * 4 + x] = v;
        }
      }
      return;
  }
}

function clip255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Intra_16x16_DC's value — 8.3.3.3. */
export function dc16x16(top: Uint8Array, left: Uint8Array, avail: number): number {
  let st = 0, sl = 0;
  for (let i = 0; i < 16; i++) {
    st += top[1 + i]!;
    sl += left[i]!;
  }
  if ((avail & (AVAIL_LEFT | AVAIL_TOP)) === (AVAIL_LEFT | AVAIL_TOP)) return (st + sl + 16) >> 5;
  if (avail & AVAIL_LEFT) return (sl + 8) >> 4;
  if (avail & AVAIL_TOP) return (st + 8) >> 4;
  return 128;
}

const planeAbc = new Int32Array(3);

/**
 * a, b and c of Intra_16x16 Plane prediction (8.3.3.4, 8-120..8-124) into out[0..2]: each sample
 * is Clip1((a + b * (x − 7) + c * (y − 7) + 16) >> 5).
 */
export function plane16Params(top: Uint8Array, left: Uint8Array, out: Int32Array): void {
  let h = 0, v = 0;
  for (let i = 0; i < 8; i++) {
    // p[8+x', -1] - p[6-x', -1]; p[-1,-1] is top[0]
    h += (i + 1) * (top[9 + i]! - top[7 - i]!);
    v += (i + 1) * (left[8 + i]! - (i === 7 ? top[0]! : left[6 - i]!));
  }
  out[0] = 16 * (left[15]! + top[16]!);
  out[1] = (5 * h + 32) >> 6;
  out[2] = (5 * v + 32) >> 6;
}

/**
 * Intra_16x16 prediction (8.3.3) and chroma prediction for 4:2:0 (8.3.4) share a shape:
 * `top` holds p[-1..n-1, -1] at top[0..n] (top[0] = p[-1,-1]); `left` holds p[-1, 0..n-1].
 */
export function predict16x16(mode: number, top: Uint8Array, left: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case Intra16x16Mode.Vertical: // 8.3.3.1
      for (let x = 0; x < 16; x++) {
        const v = top[1 + x]!;
        for (let i = x; i < 256; i += 16) pred[i] = v;
      }
      return;
    case Intra16x16Mode.Horizontal: // 8.3.3.2
      for (let y = 0; y < 16; y++) {
        const v = left[y]!;
        for (let i = y * 16; i < y * 16 + 16; i++) pred[i] = v;
      }
      return;
    case Intra16x16Mode.Dc: { // 8.3.3.3
      pred.fill(dc16x16(top, left, avail), 0, 256); // one fill of 256 samples beats a loop
      return;
    }
    case Intra16x16Mode.Plane: { // 8.3.3.4
      plane16Params(top, left, planeAbc);
      const a = planeAbc[0]!, b = planeAbc[1]!, c = planeAbc[2]!;
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) pred[y * 16 + x] = clip255((a + b * (x - 7) + c * (y - 7) + 16) >> 5);
      }
      return;
    }
  }
}

/**
 * The DC value of chroma4x4BlkIdx `blk` (4:2:0) — 8.3.4.1..3: blocks 0 and 3 use both edges,
 * block 1 prefers the top one, block 2 the left one.
 */
export function chromaDc(top: Uint8Array, left: Uint8Array, avail: number, blk: number): number {
  const xO = (blk & 1) * 4, yO = (blk >> 1) * 4;
  const st = top[1 + xO]! + top[2 + xO]! + top[3 + xO]! + top[4 + xO]!;
  const sl = left[yO]! + left[yO + 1]! + left[yO + 2]! + left[yO + 3]!;
  const hasL = (avail & AVAIL_LEFT) !== 0, hasT = (avail & AVAIL_TOP) !== 0;
  if (blk === 0 || blk === 3) {
    if (hasL && hasT) return (st + sl + 4) >> 3;
    if (hasL) return (sl + 2) >> 2;
    if (hasT) return (st + 2) >> 2;
  } else if (blk === 1) {
    if (hasT) return (st + 2) >> 2;
    if (hasL) return (sl + 2) >> 2;
  } else {
    if (hasL) return (sl + 2) >> 2;
    if (hasT) return (st + 2) >> 2;
  }
  return 128;
}

/** Chroma prediction of one 8x8 component (4:2:0) — 8.3.4.1..4. Same edge layout as predict16x16. */
export function predictChroma(mode: number, top: Uint8Array, left: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case IntraChromaMode.Dc: // 8.3.4.1..3: each 4x4 chroma block has its own DC rule
      for (let blk = 0; blk < 4; blk++) {
        const dc = chromaDc(top, left, avail, blk);
        const o = (blk >> 1) * 32 + (blk & 1) * 4;
        for (let i = o; i < o + 32; i += 8) {
          pred[i] = dc; pred[i + 1] = dc; pred[i + 2] = dc; pred[i + 3] = dc;
        }
      }
      return;
    case IntraChromaMode.Horizontal: // 8.3.4.5
      for (let y = 0; y < 8; y++) {
        const v = left[y]!;
        for (let i = y * 8; i < y * 8 + 8; i++) pred[i] = v;
      }
      return;
    case IntraChromaMode.Vertical: // 8.3.4.6
      for (let x = 0; x < 8; x++) {
        const v = top[1 + x]!;
        for (let i = x; i < 64; i += 8) pred[i] = v;
      }
      return;
    case IntraChromaMode.Plane: { // 8.3.4.4 with xCF = yCF = 0
      let h = 0, v = 0;
      for (let i = 0; i < 4; i++) {
        h += (i + 1) * (top[5 + i]! - top[3 - i]!);
        v += (i + 1) * (left[4 + i]! - (i === 3 ? top[0]! : left[2 - i]!));
      }
      const a = 16 * (left[7]! + top[8]!);
      const b = (34 * h + 32) >> 6, c = (34 * v + 32) >> 6;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) pred[y * 8 + x] = clip255((a + b * (x - 3) + c * (y - 3) + 16) >> 5);
      }
      return;
    }
  }
}

/** Whether a 16x16 or chroma mode may be used: DC always; the others need their edges. */
export function intra16x16ModeAvailable(mode: number, avail: number): boolean {
  if (mode === Intra16x16Mode.Vertical) return (avail & AVAIL_TOP) !== 0;
  if (mode === Intra16x16Mode.Horizontal) return (avail & AVAIL_LEFT) !== 0;
  if (mode === Intra16x16Mode.Plane) return (avail & 7) === 7;
  return true;
}

export function intraChromaModeAvailable(mode: number, avail: number): boolean {
  if (mode === IntraChromaMode.Vertical) return (avail & AVAIL_TOP) !== 0;
  if (mode === IntraChromaMode.Horizontal) return (avail & AVAIL_LEFT) !== 0;
  if (mode === IntraChromaMode.Plane) return (avail & 7) === 7;
  return true;
}
