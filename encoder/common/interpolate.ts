/**
 * Inter prediction sample generation — H.264 (08/2021) 8.4.2.2: luma at quarter-sample positions
 * (8.4.2.2.1, six-tap half samples and bilinear quarter samples) and 4:2:0 chroma at eighth-sample
 * positions (8.4.2.2.2). What the decoder computes, so every sample must be bit-exact.
 *
 * Two kinds of code, as STYLE.md asks:
 * - References, one sample per call, written from the equations with the spec's letters and its
 *   coordinate clamping into the unpadded picture (xZL = Clip3(0, PicWidthInSamplesL − 1,
 *   xIntL + xDZL), and the like for y and for chroma).
 * - Fast block kernels reading a PaddedPlane (padded-plane.ts), whose replicated border gives the
 *   clamped reads without a branch: predictLuma, predictChroma, and, x264's way, half-sample planes
 *   computed once per reference frame (interpolateHalfPlanes) from which predictLumaFromPlanes
 *   forms any quarter position by copying one plane or averaging two.
 *
 * Luma positions, Figure 8-4 and Table 8-12, with the planes of interpolateHalfPlanes: F = full
 * samples (G), Hp = horizontal half samples (b at (x+½, y)), Vp = vertical half samples (h at
 * (x, y+½)), HVp = centre half samples (j at (x+½, y+½)). Relative to G at (x, y): H = F(x+1, y),
 * M = F(x, y+1), s = Hp(x, y+1), m = Vp(x+1, y). avg(p, q) = (p + q + 1) >> 1 (8-250..8-261).
 *
 *   xFracL,yFracL  letter  formed as
 *   0,0            G       F
 *   1,0            a       avg(G, b)    = avg(F, Hp)
 *   2,0            b       Hp
 *   3,0            c       avg(H, b)    = avg(F(x+1), Hp)
 *   0,1            d       avg(G, h)    = avg(F, Vp)
 *   0,2            h       Vp
 *   0,3            n       avg(M, h)    = avg(F(y+1), Vp)
 *   1,1            e       avg(b, h)    = avg(Hp, Vp)
 *   3,1            g       avg(b, m)    = avg(Hp, Vp(x+1))
 *   1,3            p       avg(h, s)    = avg(Vp, Hp(y+1))
 *   3,3            r       avg(m, s)    = avg(Vp(x+1), Hp(y+1))
 *   2,1            f       avg(b, j)    = avg(Hp, HVp)
 *   2,3            q       avg(j, s)    = avg(HVp, Hp(y+1))
 *   1,2            i       avg(h, j)    = avg(Vp, HVp)
 *   3,2            k       avg(j, m)    = avg(HVp, Vp(x+1))
 *   2,2            j       HVp
 *
 * Usable margins (what the fast kernels may read; nothing checks it per call):
 * - Luma, predictLuma and predictLumaFromPlanes: a w x h block at integer position (xInt, yInt) =
 *   (x + (mvx >> 2), y + (mvy >> 2)) needs −(pad − 2) <= xInt and xInt + w <= width + pad − 3, the
 *   same vertically: its six-tap window spans xInt − 2 .. xInt + w + 2. With LUMA_PAD = 64 a block
 *   may start up to 62 samples left of or above the picture and end up to 61 right of or below it.
 *   The half planes hold valid values exactly where that window fits; lumaBlockInside() tells.
 * - Chroma, predictChroma: −pad <= xIntC and xIntC + w <= width + pad − 1 (the bilinear window is
 *   xIntC .. xIntC + w); with CHROMA_PAD = 32, 32 before and 31 after. chromaBlockInside() tells.
 */
import { PaddedPlane } from './padded-plane.js';

// ---- references ------------------------------------------------------------------------------

const clip3 = (lo: number, hi: number, v: number): number => (v < lo ? lo : v > hi ? hi : v);
/** Clip1Y / Clip1C for BitDepth 8 (clause 5). */
const clip1 = (v: number): number => clip3(0, 255, v);

/** Table 8-12: the letter of Figure 8-4 for each (xFracL, yFracL), index xFracL * 4 + yFracL. */
const TABLE_8_12 = ['G', 'd', 'h', 'n', 'a', 'e', 'i', 'p', 'b', 'f', 'j', 'q', 'c', 'g', 'k', 'r'] as const;

/**
 * One predicted luma sample, 8.4.2.2.1, for the integer position (xIntL, yIntL) of the full sample
 * G and the fraction (xFracL, yFracL) in quarter samples. The picture is plane[y * stride + x] for
 * x < width, y < height (PicWidthInSamplesL x PicHeightInSamplesL); coordinates outside are
 * clamped as the spec does.
 */
export function lumaSampleRef(
  plane: Uint8Array, stride: number, width: number, height: number,
  xInt: number, yInt: number, xFrac: number, yFrac: number,
): number {
  // 8.4.2.2.1: the integer sample at (xDZL, yDZL) relative to G, coordinates clamped to the picture.
  const px = (xDZ: number, yDZ: number): number =>
    plane[clip3(0, height - 1, yInt + yDZ) * stride + clip3(0, width - 1, xInt + xDZ)]!;
  // Figure 8-4: G's row E F G H I J, G's column A C G M R T.
  const G = px(0, 0), H = px(1, 0), M = px(0, 1);
  const E = px(-2, 0), F = px(-1, 0), I = px(2, 0), J = px(3, 0);
  const A = px(0, -2), C = px(0, -1), R = px(0, 2), T = px(0, 3);
  // The same six taps on other rows and columns: s1 on M's row, m1 and cc, dd, ee, ff on the
  // columns of H, E, F, I, J (the intermediate values j1 is formed from).
  const tapRow = (yDZ: number): number =>
    px(-2, yDZ) - 5 * px(-1, yDZ) + 20 * px(0, yDZ) + 20 * px(1, yDZ) - 5 * px(2, yDZ) + px(3, yDZ);
  const tapColumn = (xDZ: number): number =>
    px(xDZ, -2) - 5 * px(xDZ, -1) + 20 * px(xDZ, 0) + 20 * px(xDZ, 1) - 5 * px(xDZ, 2) + px(xDZ, 3);
  const b1 = E - 5 * F + 20 * G + 20 * H - 5 * I + J;
  const h1 = A - 5 * C + 20 * G + 20 * M - 5 * R + T;
  const s1 = tapRow(1), m1 = tapColumn(1);
  const cc = tapColumn(-2), dd = tapColumn(-1), ee = tapColumn(2), ff = tapColumn(3);
  const j1 = cc - 5 * dd + 20 * h1 + 20 * m1 - 5 * ee + ff;
  const b = clip1((b1 + 16) >> 5);
  const h = clip1((h1 + 16) >> 5);
  const j = clip1((j1 + 512) >> 10);
  const s = clip1((s1 + 16) >> 5);
  const m = clip1((m1 + 16) >> 5);
  switch (TABLE_8_12[xFrac * 4 + yFrac]) {
    case 'G': return G;
    case 'b': return b;
    case 'h': return h;
    case 'j': return j;
    case 'a': return (G + b + 1) >> 1; // 8-250
    case 'c': return (H + b + 1) >> 1; // 8-251
    case 'd': return (G + h + 1) >> 1; // 8-252
    case 'n': return (M + h + 1) >> 1; // 8-253
    case 'f': return (b + j + 1) >> 1; // 8-254
    case 'i': return (h + j + 1) >> 1; // 8-255
    case 'k': return (j + m + 1) >> 1; // 8-256
    case 'q': return (j + s + 1) >> 1; // 8-257
    case 'e': return (b + h + 1) >> 1; // 8-258
    case 'g': return (b + m + 1) >> 1; // 8-259
    case 'p': return (h + s + 1) >> 1; // 8-260
    case 'r': return (m + s + 1) >> 1; // 8-261
    default: throw new RangeError(`xFrac and yFrac must be 0..3, got ${xFrac}, ${yFrac}`);
  }
}

/**
 * One predicted chroma sample, 8.4.2.2.2, at integer position (xIntC, yIntC) and fraction
 * (xFracC, yFracC) in eighth samples, reading plane[y * stride + x] with clamped coordinates.
 */
export function chromaSampleRef(
  plane: Uint8Array, stride: number, width: number, height: number,
  xInt: number, yInt: number, xFrac: number, yFrac: number,
): number {
  // xAC, xBC, yAC, yCC: the neighbours' coordinates clamped to PicWidthInSamplesC x PicHeightInSamplesC.
  const xA = clip3(0, width - 1, xInt);
  const xB = clip3(0, width - 1, xInt + 1);
  const yA = clip3(0, height - 1, yInt);
  const yC = clip3(0, height - 1, yInt + 1);
  const A = plane[yA * stride + xA]!, B = plane[yA * stride + xB]!;
  const C = plane[yC * stride + xA]!, D = plane[yC * stride + xB]!;
  return ((8 - xFrac) * (8 - yFrac) * A + xFrac * (8 - yFrac) * B + (8 - xFrac) * yFrac * C + xFrac * yFrac * D + 32) >> 6; // 8-266
}

// ---- margins ---------------------------------------------------------------------------------

/** Whether the fast luma kernels may predict a w x h block at integer position (xInt, yInt) of ref. */
export function lumaBlockInside(ref: PaddedPlane, xInt: number, yInt: number, w: number, h: number): boolean {
  const p = ref.pad;
  return xInt >= 2 - p && yInt >= 2 - p && xInt + w <= ref.width + p - 3 && yInt + h <= ref.height + p - 3;
}

/** Whether predictChroma may predict a w x h block at integer position (xIntC, yIntC) of ref. */
export function chromaBlockInside(ref: PaddedPlane, xInt: number, yInt: number, w: number, h: number): boolean {
  const p = ref.pad;
  return xInt >= -p && yInt >= -p && xInt + w <= ref.width + p - 1 && yInt + h <= ref.height + p - 1;
}

// ---- fast luma block kernels -------------------------------------------------------------------
//
// Every kernel takes (src, s, ss): the data, the offset of the block's first sample (G of its
// top-left sample) and the row stride; (dst, d, ds) likewise; and the block size w x h. "Put"
// kernels write their half sample, "avg" ones average it into what dst holds (the first half
// sample of e, g, p, r), "full" ones average it with a full sample (G, or H or M). Half samples
// are clipped before averaging, as in the spec.
//
// The six-tap kernels slide a window of six samples along a row or down a column, so each output
// loads one new sample, two outputs per step (every luma block dimension is even). Where a kernel
// averages with one of two neighbours, a mask selects it without a branch: x + ((y − x) & mask)
// is x for mask 0 and y for mask −1.

/** Largest block: 16x16; a six-tap intermediate block is at most (16 + 5) x 16. */
const TMP_STRIDE = 21;
/** Unclipped six-tap intermediates (like b1 or h1) of the j computation. */
const tmp = new Int32Array(TMP_STRIDE * TMP_STRIDE);
/** One row of vertical intermediates for interpolateHalfPlanes, grown to the widest stride seen. */
let rowTmp = new Int32Array(0);

/**
 * The DataView of the last dst the block kernels wrote: callers predict into one buffer over and
 * over, so this allocates once per buffer, not per call.
 */
let dstArray: Uint8Array | undefined;
let dstView: DataView = new DataView(new ArrayBuffer(0));

function viewOf(dst: Uint8Array): DataView {
  if (dst !== dstArray) {
    dstArray = dst;
    dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  }
  return dstView;
}

/** Copies a w x h block, w a multiple of 4: one 32-bit load and store per four samples. */
function copy4(src: DataView, s: number, ss: number, dst: DataView, d: number, ds: number, w: number, h: number): void {
  for (let r = 0; r < h; r++, s += ss, d += ds) {
    for (let c = 0; c < w; c += 4) dst.setUint32(d + c, src.getUint32(s + c, true), true);
  }
}

/** Copies a block of any width (2-wide chroma). */
function copyBytes(src: Uint8Array, s: number, ss: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  for (let r = 0; r < h; r++, s += ss, d += ds) {
    for (let c = 0; c < w; c++) dst[d + c] = src[s + c]!;
  }
}

/**
 * dst = (p + q + 1) >> 1 sample by sample over a w x h block (w a multiple of 4), four samples per
 * 32-bit word: per byte, (p + q + 1) >> 1 = (p | q) − ((p ^ q) >> 1), and masking each byte's low
 * bit before the shift keeps the bytes apart, so no carry or borrow crosses a byte.
 */
function avg4(p: DataView, po: number, q: DataView, qo: number, ps: number, dst: DataView, d: number, ds: number, w: number, h: number): void {
  for (let r = 0; r < h; r++, po += ps, qo += ps, d += ds) {
    for (let c = 0; c < w; c += 4) {
      const a = p.getUint32(po + c, true), b = q.getUint32(qo + c, true);
      dst.setUint32(d + c, (a | b) - (((a ^ b) & 0xfefefefe) >>> 1), true);
    }
  }
}

/** b = Clip1((b1 + 16) >> 5), b1 = E − 5F + 20G + 20H − 5I + J. */
function hPut(src: Uint8Array, s: number, ss: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  for (let r = 0; r < h; r++, s += ss, d += ds) {
    let p0 = src[s - 2]!, p1 = src[s - 1]!, p2 = src[s]!, p3 = src[s + 1]!, p4 = src[s + 2]!;
    for (let c = 0, i = s + 3; c < w; c += 2, i += 2) {
      const p5 = src[i]!, p6 = src[i + 1]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 16) >> 5;
      dst[d + c] = v0 < 0 ? 0 : v0 > 255 ? 255 : v0;
      dst[d + c + 1] = v1 < 0 ? 0 : v1 > 255 ? 255 : v1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** a = (G + b + 1) >> 1 (mask 0) and c = (H + b + 1) >> 1 (mask -1): 8-250, 8-251. */
function hFull(src: Uint8Array, s: number, ss: number, mask: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  for (let r = 0; r < h; r++, s += ss, d += ds) {
    let p0 = src[s - 2]!, p1 = src[s - 1]!, p2 = src[s]!, p3 = src[s + 1]!, p4 = src[s + 2]!;
    for (let c = 0, i = s + 3; c < w; c += 2, i += 2) {
      const p5 = src[i]!, p6 = src[i + 1]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 16) >> 5;
      dst[d + c] = ((v0 < 0 ? 0 : v0 > 255 ? 255 : v0) + p2 + ((p3 - p2) & mask) + 1) >> 1;
      dst[d + c + 1] = ((v1 < 0 ? 0 : v1 > 255 ? 255 : v1) + p3 + ((p4 - p3) & mask) + 1) >> 1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** h = Clip1((h1 + 16) >> 5), h1 = A − 5C + 20G + 20M − 5R + T; column by column. */
function vPut(src: Uint8Array, s: number, ss: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  const s2 = 2 * ss, d2 = 2 * ds;
  for (let c = 0; c < w; c++) {
    let i = s + c - s2;
    let p0 = src[i]!, p1 = src[i + ss]!, p2 = src[i + s2]!, p3 = src[i + 3 * ss]!, p4 = src[i + 4 * ss]!;
    i += 5 * ss;
    for (let r = 0, o = d + c; r < h; r += 2, i += s2, o += d2) {
      const p5 = src[i]!, p6 = src[i + ss]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 16) >> 5;
      dst[o] = v0 < 0 ? 0 : v0 > 255 ? 255 : v0;
      dst[o + ds] = v1 < 0 ? 0 : v1 > 255 ? 255 : v1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** h averaged into dst (the second half sample of e, g, p, r). */
function vAvg(src: Uint8Array, s: number, ss: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  const s2 = 2 * ss, d2 = 2 * ds;
  for (let c = 0; c < w; c++) {
    let i = s + c - s2;
    let p0 = src[i]!, p1 = src[i + ss]!, p2 = src[i + s2]!, p3 = src[i + 3 * ss]!, p4 = src[i + 4 * ss]!;
    i += 5 * ss;
    for (let r = 0, o = d + c; r < h; r += 2, i += s2, o += d2) {
      const p5 = src[i]!, p6 = src[i + ss]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 16) >> 5;
      dst[o] = ((v0 < 0 ? 0 : v0 > 255 ? 255 : v0) + dst[o]! + 1) >> 1;
      dst[o + ds] = ((v1 < 0 ? 0 : v1 > 255 ? 255 : v1) + dst[o + ds]! + 1) >> 1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** d = (G + h + 1) >> 1 (mask 0) and n = (M + h + 1) >> 1 (mask -1): 8-252, 8-253. */
function vFull(src: Uint8Array, s: number, ss: number, mask: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  const s2 = 2 * ss, d2 = 2 * ds;
  for (let c = 0; c < w; c++) {
    let i = s + c - s2;
    let p0 = src[i]!, p1 = src[i + ss]!, p2 = src[i + s2]!, p3 = src[i + 3 * ss]!, p4 = src[i + 4 * ss]!;
    i += 5 * ss;
    for (let r = 0, o = d + c; r < h; r += 2, i += s2, o += d2) {
      const p5 = src[i]!, p6 = src[i + ss]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 16) >> 5;
      dst[o] = ((v0 < 0 ? 0 : v0 > 255 ? 255 : v0) + p2 + ((p3 - p2) & mask) + 1) >> 1;
      dst[o + ds] = ((v1 < 0 ? 0 : v1 > 255 ? 255 : v1) + p3 + ((p4 - p3) & mask) + 1) >> 1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** tmp[r * TMP_STRIDE + c] = the unclipped vertical six-tap (an h1) at column c − 2 of row r, for c < w + 5. */
function verticalTaps(src: Uint8Array, s: number, ss: number, w: number, h: number): void {
  const s2 = 2 * ss, t2 = 2 * TMP_STRIDE;
  for (let c = 0, cols = w + 5; c < cols; c++) {
    let i = s + c - 2 - s2;
    let p0 = src[i]!, p1 = src[i + ss]!, p2 = src[i + s2]!, p3 = src[i + 3 * ss]!, p4 = src[i + 4 * ss]!;
    i += 5 * ss;
    for (let r = 0, t = c; r < h; r += 2, i += s2, t += t2) {
      const p5 = src[i]!, p6 = src[i + ss]!;
      tmp[t] = p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3);
      tmp[t + TMP_STRIDE] = p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4);
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** tmp[r * TMP_STRIDE + c] = the unclipped horizontal six-tap (a b1) of row r − 2 at column c, for r < h + 5. */
function horizontalTaps(src: Uint8Array, s: number, ss: number, w: number, h: number): void {
  for (let r = 0, rows = h + 5, t = 0, row = s - 2 * ss; r < rows; r++, t += TMP_STRIDE, row += ss) {
    let p0 = src[row - 2]!, p1 = src[row - 1]!, p2 = src[row]!, p3 = src[row + 1]!, p4 = src[row + 2]!;
    for (let c = 0, i = row + 3; c < w; c += 2, i += 2) {
      const p5 = src[i]!, p6 = src[i + 1]!;
      tmp[t + c] = p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3);
      tmp[t + c + 1] = p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4);
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/** j = Clip1((j1 + 512) >> 10) with j1 = cc − 5dd + 20h1 + 20m1 − 5ee + ff over verticalTaps. */
function hvPut(src: Uint8Array, s: number, ss: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  verticalTaps(src, s, ss, w, h);
  for (let r = 0, t = 0; r < h; r++, t += TMP_STRIDE, d += ds) {
    let p0 = tmp[t]!, p1 = tmp[t + 1]!, p2 = tmp[t + 2]!, p3 = tmp[t + 3]!, p4 = tmp[t + 4]!;
    for (let c = 0, i = t + 5; c < w; c += 2, i += 2) {
      const p5 = tmp[i]!, p6 = tmp[i + 1]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 512) >> 10;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 512) >> 10;
      dst[d + c] = v0 < 0 ? 0 : v0 > 255 ? 255 : v0;
      dst[d + c + 1] = v1 < 0 ? 0 : v1 > 255 ? 255 : v1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/**
 * j averaged with the vertical half sample its own intermediates give for free (h1 is tap 2,
 * m1 tap 3 of the window): i = (h + j + 1) >> 1 with mask 0 (8-255), k = (j + m + 1) >> 1 with
 * mask -1 (8-256).
 */
function hvAvgV(src: Uint8Array, s: number, ss: number, mask: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  verticalTaps(src, s, ss, w, h);
  for (let r = 0, t = 0; r < h; r++, t += TMP_STRIDE, d += ds) {
    let p0 = tmp[t]!, p1 = tmp[t + 1]!, p2 = tmp[t + 2]!, p3 = tmp[t + 3]!, p4 = tmp[t + 4]!;
    for (let c = 0, i = t + 5; c < w; c += 2, i += 2) {
      const p5 = tmp[i]!, p6 = tmp[i + 1]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 512) >> 10;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 512) >> 10;
      const u0 = (p2 + ((p3 - p2) & mask) + 16) >> 5, u1 = (p3 + ((p4 - p3) & mask) + 16) >> 5;
      dst[d + c] = ((v0 < 0 ? 0 : v0 > 255 ? 255 : v0) + (u0 < 0 ? 0 : u0 > 255 ? 255 : u0) + 1) >> 1;
      dst[d + c + 1] = ((v1 < 0 ? 0 : v1 > 255 ? 255 : v1) + (u1 < 0 ? 0 : u1 > 255 ? 255 : u1) + 1) >> 1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/**
 * j from horizontal intermediates (the spec's equal form j1 = aa − 5bb + 20b1 + 20s1 − 5gg + hh)
 * averaged with the horizontal half sample they give for free (b1 is tap 2, s1 tap 3 of the
 * window): f = (b + j + 1) >> 1 with mask 0 (8-254), q = (j + s + 1) >> 1 with mask -1 (8-257).
 */
function hvAvgH(src: Uint8Array, s: number, ss: number, mask: number, dst: Uint8Array, d: number, ds: number, w: number, h: number): void {
  horizontalTaps(src, s, ss, w, h);
  const d2 = 2 * ds, t2 = 2 * TMP_STRIDE;
  for (let c = 0; c < w; c++) {
    let p0 = tmp[c]!, p1 = tmp[c + TMP_STRIDE]!, p2 = tmp[c + t2]!, p3 = tmp[c + 3 * TMP_STRIDE]!, p4 = tmp[c + 4 * TMP_STRIDE]!;
    for (let r = 0, i = c + 5 * TMP_STRIDE, o = d + c; r < h; r += 2, i += t2, o += d2) {
      const p5 = tmp[i]!, p6 = tmp[i + TMP_STRIDE]!;
      const v0 = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 512) >> 10;
      const v1 = (p1 + p6 - 5 * (p2 + p5) + 20 * (p3 + p4) + 512) >> 10;
      const u0 = (p2 + ((p3 - p2) & mask) + 16) >> 5, u1 = (p3 + ((p4 - p3) & mask) + 16) >> 5;
      dst[o] = ((v0 < 0 ? 0 : v0 > 255 ? 255 : v0) + (u0 < 0 ? 0 : u0 > 255 ? 255 : u0) + 1) >> 1;
      dst[o + ds] = ((v1 < 0 ? 0 : v1 > 255 ? 255 : v1) + (u1 < 0 ? 0 : u1 > 255 ? 255 : u1) + 1) >> 1;
      p0 = p2; p1 = p3; p2 = p4; p3 = p5; p4 = p6;
    }
  }
}

/**
 * Luma prediction of a w x h block (16x16 .. 4x4) whose top-left sample is at (x, y) in the picture,
 * with motion vector (mvx, mvy) in quarter samples: 8.4.2.2.1 for every sample, xIntL = x + (mvx >> 2),
 * xFracL = mvx & 3 (8.4.2.2, the partition's offset folded into x). The block must satisfy
 * lumaBlockInside(ref, xIntL, yIntL, w, h).
 */
export function predictLuma(
  ref: PaddedPlane, x: number, y: number, mvx: number, mvy: number, w: number, h: number,
  dst: Uint8Array, dstOffset: number, dstStride: number,
): void {
  const src = ref.data, ss = ref.stride;
  const s = ref.origin + (y + (mvy >> 2)) * ss + x + (mvx >> 2);
  switch (((mvx & 3) << 2) | (mvy & 3)) {
    case 0: copy4(ref.view, s, ss, viewOf(dst), dstOffset, dstStride, w, h); break; // G
    case 4: hFull(src, s, ss, 0, dst, dstOffset, dstStride, w, h); break; // a
    case 8: hPut(src, s, ss, dst, dstOffset, dstStride, w, h); break; // b
    case 12: hFull(src, s, ss, -1, dst, dstOffset, dstStride, w, h); break; // c
    case 1: vFull(src, s, ss, 0, dst, dstOffset, dstStride, w, h); break; // d
    case 2: vPut(src, s, ss, dst, dstOffset, dstStride, w, h); break; // h
    case 3: vFull(src, s, ss, -1, dst, dstOffset, dstStride, w, h); break; // n
    case 5: // e = avg(b, h)
      hPut(src, s, ss, dst, dstOffset, dstStride, w, h);
      vAvg(src, s, ss, dst, dstOffset, dstStride, w, h);
      break;
    case 13: // g = avg(b, m)
      hPut(src, s, ss, dst, dstOffset, dstStride, w, h);
      vAvg(src, s + 1, ss, dst, dstOffset, dstStride, w, h);
      break;
    case 7: // p = avg(h, s)
      hPut(src, s + ss, ss, dst, dstOffset, dstStride, w, h);
      vAvg(src, s, ss, dst, dstOffset, dstStride, w, h);
      break;
    case 15: // r = avg(m, s)
      hPut(src, s + ss, ss, dst, dstOffset, dstStride, w, h);
      vAvg(src, s + 1, ss, dst, dstOffset, dstStride, w, h);
      break;
    case 9: hvAvgH(src, s, ss, 0, dst, dstOffset, dstStride, w, h); break; // f
    case 11: hvAvgH(src, s, ss, -1, dst, dstOffset, dstStride, w, h); break; // q
    case 6: hvAvgV(src, s, ss, 0, dst, dstOffset, dstStride, w, h); break; // i
    case 14: hvAvgV(src, s, ss, -1, dst, dstOffset, dstStride, w, h); break; // k
    default: hvPut(src, s, ss, dst, dstOffset, dstStride, w, h); break; // 10: j
  }
}

// ---- half-sample planes ----------------------------------------------------------------------

/**
 * The three half-sample planes of a reference picture, once per frame: outH = b (x+½, y),
 * outV = h (x, y+½), outHV = j (x+½, y+½), each at the same index as its G in ref.data. They are
 * computed wherever the six-tap window lies inside ref's padded data — Hp for columns
 * −(pad − 2) .. width + pad − 4 on every row, Vp for padded rows −(pad − 2) .. height + pad − 4 on
 * every column, HVp for both — which equals the clamped-coordinate interpolation there; the rest
 * of the output planes is left as it was and never read by a block passing lumaBlockInside().
 */
export function interpolateHalfPlanes(ref: PaddedPlane, outH: PaddedPlane, outV: PaddedPlane, outHV: PaddedPlane): void {
  for (const out of [outH, outV, outHV]) {
    if (out.width !== ref.width || out.height !== ref.height || out.pad !== ref.pad) {
      throw new RangeError(`half-sample planes must be ${ref.width}x${ref.height} with pad ${ref.pad}, got ${out.width}x${out.height} with pad ${out.pad}`);
    }
  }
  const src = ref.data, ss = ref.stride, rows = ref.height + 2 * ref.pad;
  // Clipped with a branch: it is almost never taken (only at overshooting edges), so it predicts
  // well, and it measured 10-25% faster than storing through Uint8ClampedArray views.
  const hp = outH.data, vp = outV.data, hvp = outHV.data;
  if (rowTmp.length < ss) rowTmp = new Int32Array(ss);
  const t = rowTmp, s2 = 2 * ss, s3 = 3 * ss;
  for (let r = 0; r < rows; r++) {
    const row = r * ss;
    // Hp at padded columns 2 .. ss - 4: the window of column c is c - 2 .. c + 3.
    let p0 = src[row]!, p1 = src[row + 1]!, p2 = src[row + 2]!, p3 = src[row + 3]!, p4 = src[row + 4]!;
    for (let i = row + 2, end = row + ss - 3; i < end; i++) {
      const p5 = src[i + 3]!;
      const v = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 16) >> 5;
      hp[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      p0 = p1; p1 = p2; p2 = p3; p3 = p4; p4 = p5;
    }
    if (r < 2 || r >= rows - 3) continue;
    // Vp on every column of rows 2 .. rows - 4, keeping the unclipped h1 for HVp.
    for (let c = 0, i = row; c < ss; c++, i++) {
      const h1 = src[i - s2]! + src[i + s3]! - 5 * (src[i - ss]! + src[i + s2]!) + 20 * (src[i]! + src[i + ss]!);
      t[c] = h1;
      const v = (h1 + 16) >> 5;
      vp[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    p0 = t[0]!; p1 = t[1]!; p2 = t[2]!; p3 = t[3]!; p4 = t[4]!;
    for (let c = 5, i = row + 2; c < ss; c++, i++) {
      const p5 = t[c]!;
      const v = (p0 + p5 - 5 * (p1 + p4) + 20 * (p2 + p3) + 512) >> 10;
      hvp[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      p0 = p1; p1 = p2; p2 = p3; p3 = p4; p4 = p5;
    }
  }
}

/** Where a luma prediction's samples come from: plane a alone, or the average of a and b (lumaSources). */
export interface LumaSources {
  a: PaddedPlane;
  ao: number;
  /** null: the prediction is plane a's samples themselves. */
  b: PaddedPlane | null;
  bo: number;
}

/**
 * Which of the planes of interpolateHalfPlanes (full = the reference itself) make the prediction
 * of the block at (x, y) with vector (mvx, mvy), per the table at the top of this file: one plane,
 * or two to average. Each block sample's offset is then ao/bo + row * stride + column (all four
 * planes share one geometry). predictLumaFromPlanes copies it out; a cost function can read it in
 * place (satd4x4Avg).
 */
export function lumaSources(
  full: PaddedPlane, hPlane: PaddedPlane, vPlane: PaddedPlane, hvPlane: PaddedPlane,
  x: number, y: number, mvx: number, mvy: number, out: LumaSources,
): void {
  const ss = full.stride;
  const o = full.origin + (y + (mvy >> 2)) * ss + x + (mvx >> 2);
  let a = full, ao = o, b: PaddedPlane | null = null, bo = o;
  switch (((mvx & 3) << 2) | (mvy & 3)) {
    case 0: break; // G
    case 4: b = hPlane; break; // a
    case 8: a = hPlane; break; // b
    case 12: ao = o + 1; b = hPlane; break; // c
    case 1: b = vPlane; break; // d
    case 2: a = vPlane; break; // h
    case 3: ao = o + ss; b = vPlane; break; // n
    case 5: a = hPlane; b = vPlane; break; // e
    case 13: a = hPlane; b = vPlane; bo = o + 1; break; // g
    case 7: a = vPlane; b = hPlane; bo = o + ss; break; // p
    case 15: a = vPlane; ao = o + 1; b = hPlane; bo = o + ss; break; // r
    case 9: a = hPlane; b = hvPlane; break; // f
    case 11: a = hvPlane; b = hPlane; bo = o + ss; break; // q
    case 6: a = vPlane; b = hvPlane; break; // i
    case 14: a = hvPlane; b = vPlane; bo = o + 1; break; // k
    default: a = hvPlane; break; // 10: j
  }
  out.a = a; out.ao = ao; out.b = b; out.bo = bo;
}

/** predictLumaFromPlanes' scratch (one object for the module's life: no allocation per block). */
const planeSources: LumaSources = { a: new PaddedPlane(1, 1, 0), ao: 0, b: null, bo: 0 };

/**
 * predictLuma from the planes of interpolateHalfPlanes: one plane copied or two averaged
 * (lumaSources). Same block constraint (lumaBlockInside).
 */
export function predictLumaFromPlanes(
  full: PaddedPlane, hPlane: PaddedPlane, vPlane: PaddedPlane, hvPlane: PaddedPlane,
  x: number, y: number, mvx: number, mvy: number, w: number, h: number,
  dst: Uint8Array, dstOffset: number, dstStride: number,
): void {
  const src = planeSources, out = viewOf(dst);
  lumaSources(full, hPlane, vPlane, hvPlane, x, y, mvx, mvy, src);
  if (src.b === null) copy4(src.a.view, src.ao, full.stride, out, dstOffset, dstStride, w, h);
  else avg4(src.a.view, src.ao, src.b.view, src.bo, full.stride, out, dstOffset, dstStride, w, h);
}

// ---- chroma ------------------------------------------------------------------------------------

/**
 * 4:2:0 chroma prediction of a w x h block (8x8 .. 2x2) at (x, y) in chroma samples, from the LUMA
 * motion vector: for frame pictures mvCLX = mvLX (8.4.1.4) in units of 1/8 chroma sample, so
 * xIntC = x + (mvx >> 3), xFracC = mvx & 7 (8.4.2.2 with SubWidthC = SubHeightC = 2). Each sample is
 * 8-266; when a fraction is 0 its taps weigh nothing and ((8 − f)·8·A + f·8·B + 32) >> 6 equals
 * ((8 − f)·A + f·B + 4) >> 3 exactly, so those cases read two samples. The block must satisfy
 * chromaBlockInside(ref, xIntC, yIntC, w, h).
 */
export function predictChroma(
  ref: PaddedPlane, x: number, y: number, mvx: number, mvy: number, w: number, h: number,
  dst: Uint8Array, dstOffset: number, dstStride: number,
): void {
  const src = ref.data, ss = ref.stride, xf = mvx & 7, yf = mvy & 7;
  let s = ref.origin + (y + (mvy >> 3)) * ss + x + (mvx >> 3), d = dstOffset;
  if ((xf | yf) === 0) {
    if ((w & 3) === 0) copy4(ref.view, s, ss, viewOf(dst), d, dstStride, w, h);
    else copyBytes(src, s, ss, dst, d, dstStride, w, h);
  } else if (yf === 0) {
    const wa = 8 - xf;
    for (let r = 0; r < h; r++, s += ss, d += dstStride) {
      for (let c = 0, i = s; c < w; c++, i++) dst[d + c] = (wa * src[i]! + xf * src[i + 1]! + 4) >> 3;
    }
  } else if (xf === 0) {
    const wa = 8 - yf;
    for (let r = 0; r < h; r++, s += ss, d += dstStride) {
      for (let c = 0, i = s; c < w; c++, i++) dst[d + c] = (wa * src[i]! + yf * src[i + ss]! + 4) >> 3;
    }
  } else {
    const wA = (8 - xf) * (8 - yf), wB = xf * (8 - yf), wC = (8 - xf) * yf, wD = xf * yf;
    for (let r = 0; r < h; r++, s += ss, d += dstStride) {
      // A and C of each sample are B and D of the one before.
      let A = src[s]!, C = src[s + ss]!;
      for (let c = 0, i = s + 1; c < w; c++, i++) {
        const B = src[i]!, D = src[i + ss]!;
        dst[d + c] = (wA * A + wB * B + wC * C + wD * D + 32) >> 6;
        A = B;
        C = D;
      }
    }
  }
}
