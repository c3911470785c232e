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

/** Intra_4x4 prediction of one 4x4 block into pred[16] (raster). */
export function predict4x4(mode: number, e: Uint8Array, avail: number, pred: Uint8Array): void {
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

/**
 * Intra_16x16 prediction (8.3.3) and chroma prediction for 4:2:0 (8.3.4) share a shape:
 * `top` holds p[-1..n-1, -1] at top[0..n] (top[0] = p[-1,-1]); `left` holds p[-1, 0..n-1].
 */
export function predict16x16(mode: number, top: Uint8Array, left: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case Intra16x16Mode.Vertical: // 8.3.3.1
      for (let y = 0; y < 16; y++) pred.set(top.subarray(1, 17), y * 16);
      return;
    case Intra16x16Mode.Horizontal: // 8.3.3.2
      for (let y = 0; y < 16; y++) pred.fill(left[y]!, y * 16, y * 16 + 16);
      return;
    case Intra16x16Mode.Dc: { // 8.3.3.3
      let st = 0, sl = 0;
      for (let i = 0; i < 16; i++) {
        st += top[1 + i]!;
        sl += left[i]!;
      }
      let dc = 128;
      if ((avail & AVAIL_LEFT) && (avail & AVAIL_TOP)) dc = (st + sl + 16) >> 5;
      else if (avail & AVAIL_LEFT) dc = (sl + 8) >> 4;
      else if (avail & AVAIL_TOP) dc = (st + 8) >> 4;
      pred.fill(dc, 0, 256);
      return;
    }
    case Intra16x16Mode.Plane: { // 8.3.3.4
      let h = 0, v = 0;
      for (let i = 0; i < 8; i++) {
        // p[8+x', -1] - p[6-x', -1]; p[-1,-1] is top[0]
        h += (i + 1) * (top[9 + i]! - top[7 - i]!);
        v += (i + 1) * (left[8 + i]! - (i === 7 ? top[0]! : left[6 - i]!));
      }
      const a = 16 * (left[15]! + top[16]!);
      const b = (5 * h + 32) >> 6, c = (5 * v + 32) >> 6;
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) pred[y * 16 + x] = clip255((a + b * (x - 7) + c * (y - 7) + 16) >> 5);
      }
      return;
    }
  }
}

/** Chroma prediction of one 8x8 component (4:2:0) — 8.3.4.1..4. Same edge layout as predict16x16. */
export function predictChroma(mode: number, top: Uint8Array, left: Uint8Array, avail: number, pred: Uint8Array): void {
  switch (mode) {
    case IntraChromaMode.Dc: // 8.3.4.1..3: each 4x4 chroma block has its own DC rule
      for (let blk = 0; blk < 4; blk++) {
        const xO = (blk & 1) * 4, yO = (blk >> 1) * 4;
        let st = 0, sl = 0;
        for (let i = 0; i < 4; i++) {
          st += top[1 + xO + i]!;
          sl += left[yO + i]!;
        }
        const hasL = (avail & AVAIL_LEFT) !== 0, hasT = (avail & AVAIL_TOP) !== 0;
        let dc = 128;
        if ((xO === 0 && yO === 0) || (xO > 0 && yO > 0)) {
          if (hasL && hasT) dc = (st + sl + 4) >> 3;
          else if (hasL) dc = (sl + 2) >> 2;
          else if (hasT) dc = (st + 2) >> 2;
        } else if (xO > 0) {
          if (hasT) dc = (st + 2) >> 2;
          else if (hasL) dc = (sl + 2) >> 2;
        } else {
          if (hasL) dc = (sl + 2) >> 2;
          else if (hasT) dc = (st + 2) >> 2;
        }
        for (let y = 0; y < 4; y++) pred.fill(dc, (yO + y) * 8 + xO, (yO + y) * 8 + xO + 4);
      }
      return;
    case IntraChromaMode.Horizontal:
      for (let y = 0; y < 8; y++) pred.fill(left[y]!, y * 8, y * 8 + 8);
      return;
    case IntraChromaMode.Vertical:
      for (let y = 0; y < 8; y++) pred.set(top.subarray(1, 9), y * 8);
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
