/**
 * Input images -> the encoder's 4:2:0 8-bit Picture.
 *
 * RGB input becomes BT.601 limited range ("studio swing": Y 16..235, Cb/Cr 16..240). Annex E
 * leaves unsigned colour to the application and players often guess BT.709 for HD sizes, so the
 * stream should say so in its VUI: video_full_range_flag = 0, matrix_coefficients = 6
 * (Table E-5, SMPTE 170M = BT.601 525). The integer
 * coefficients are the usual 8-bit approximations of the Rec. 601 matrix scaled by 219/255
 * (luma) and 224/255 (chroma), with 128 added before the shift to round:
 *   Y  = ((  66 R + 129 G +  25 B + 128) >> 8) +  16
 *   Cb = (( -38 R -  74 G + 112 B + 128) >> 8) + 128
 *   Cr = (( 112 R -  94 G -  18 B + 128) >> 8) + 128
 * The results always lie in 16..235 / 16..240, so no clamping is needed. Chroma is computed from
 * the rounded mean of each 2x2 block's R, G and B (averaging before the matrix, which is linear,
 * differs from averaging after only by rounding).
 *
 * convertImage() is the fast path: one pass over the source, two rows at a time, integer math,
 * nothing allocated but per-row subarray views for straight copies (set() of a view is a
 * memcpy, ~20x a byte loop). referenceConvert() is the plain per-pixel version the tests hold
 * it to.
 */

import type { Picture } from './common/picture.js';
import { describe, rangeError, typeError } from './errors.js';
import { PIXEL_FORMATS, type EncoderImage, type PixelFormat } from './image.js';

/** Bytes in one packed row of the first (or only) plane: the smallest valid stride. */
export function minStride(format: PixelFormat, width: number): number {
  switch (format) {
    case 'gray8':
    case 'i420':
    case 'nv12':
      return width;
    case 'rgb565le':
    case 'rgb565be':
    case 'yuyv':
      return width * 2;
    case 'rgb24':
    case 'bgr24':
      return width * 3;
    case 'rgba':
    case 'bgra':
      return width * 4;
  }
}

/**
 * Smallest data length holding a width x height image with this stride. Planes follow the
 * convention in image.ts; the last row of the last plane needs only its packed bytes, not a
 * whole stride (a cropped view into a larger buffer ends there).
 */
export function requiredByteLength(format: PixelFormat, width: number, height: number, stride: number): number {
  const rowBytes = minStride(format, width);
  const ch = height >> 1;
  switch (format) {
    case 'i420': {
      const cs = stride >> 1;
      return stride * height + cs * ch + cs * (ch - 1) + (width >> 1);
    }
    case 'nv12':
      return stride * height + stride * (ch - 1) + width;
    default:
      return stride * (height - 1) + rowBytes;
  }
}

/**
 * Checks an image handed to the encoder before anything is encoded. `width` and `height` are
 * the encoder's (already validated as positive and even by the encoder).
 */
export function validateImage(image: unknown, width: number, height: number): asserts image is EncoderImage {
  if (typeof image !== 'object' || image === null || Array.isArray(image) || ArrayBuffer.isView(image)) {
    throw typeError(`image must be an object { width, height, format, data, stride? }, got ${describe(image)}`, 'ERR_INVALID_IMAGE');
  }
  const img = image as Record<string, unknown>;

  const format = img.format;
  if (typeof format !== 'string' || !(PIXEL_FORMATS as readonly string[]).includes(format)) {
    throw typeError(`image.format must be one of ${PIXEL_FORMATS.join(', ')}, got ${describe(format)}`, 'ERR_INVALID_IMAGE');
  }
  const fmt = format as PixelFormat;

  for (const key of ['width', 'height'] as const) {
    if (!Number.isInteger(img[key])) {
      throw typeError(`image.${key} must be an integer, got ${describe(img[key])}`, 'ERR_INVALID_IMAGE');
    }
  }
  if (img.width !== width || img.height !== height) {
    throw rangeError(`image is ${img.width as number}x${img.height as number}, the encoder was created for ${width}x${height}`, 'ERR_INVALID_IMAGE');
  }

  const data = img.data;
  if (!isByteArray(data)) {
    throw typeError(`image.data must be a Uint8Array or Uint8ClampedArray, got ${describe(data)}`, 'ERR_INVALID_IMAGE');
  }

  const min = minStride(fmt, width);
  let stride = min;
  if (img.stride !== undefined) {
    if (!Number.isInteger(img.stride)) {
      throw typeError(`image.stride must be a positive integer, got ${describe(img.stride)}`, 'ERR_INVALID_IMAGE');
    }
    stride = img.stride as number;
    if (stride < min) {
      throw rangeError(`image.stride must be at least ${min} for ${fmt} at width ${width}, got ${stride}`, 'ERR_INVALID_IMAGE');
    }
    // image.ts: i420 chroma rows are stride/2 bytes, which must be a whole number.
    if (fmt === 'i420' && (stride & 1) !== 0) {
      throw rangeError(`image.stride must be even for i420 (chroma rows are stride/2 bytes), got ${stride}`, 'ERR_INVALID_IMAGE');
    }
  }

  const needed = requiredByteLength(fmt, width, height, stride);
  if (data.length < needed) {
    throw rangeError(
      `image.data is too short for ${width}x${height} ${fmt} with stride ${stride}: needs ${needed} bytes, got ${data.length}`,
      'ERR_INVALID_IMAGE',
    );
  }
}

/**
 * Uint8Array (including Node's Buffer) or Uint8ClampedArray. The tag is read from the typed
 * array's internal slot, so arrays from another realm (vm context, iframe) are recognised too.
 */
function isByteArray(value: unknown): value is Uint8Array {
  if (!ArrayBuffer.isView(value)) return false;
  const tag = (value as unknown as { [Symbol.toStringTag]: unknown })[Symbol.toStringTag];
  return tag === 'Uint8Array' || tag === 'Uint8ClampedArray';
}

/**
 * Writes the visible image into dst's planes and replicates its edges into the macroblock
 * padding. The image must have passed validateImage() with dst's visible size; width and height
 * are even.
 */
export function convertImage(image: EncoderImage, dst: Picture): void {
  const w = image.width, h = image.height, src = image.data;
  if (w > dst.width || h > dst.height || (w & 1) !== 0 || (h & 1) !== 0) {
    throw new Error(`convertImage: ${w}x${h} image does not fit a ${dst.width}x${dst.height} picture`);
  }
  const stride = image.stride ?? minStride(image.format, w);
  switch (image.format) {
    case 'gray8':
      copyPlane(src, 0, stride, dst.y, dst.strideY, w, h);
      // Neutral chroma; padFrom() below covers the padding too, but filling all is one memset.
      dst.u.fill(128);
      dst.v.fill(128);
      break;
    case 'i420': {
      const cs = stride >> 1, cw = w >> 1, ch = h >> 1, uOffset = stride * h;
      copyPlane(src, 0, stride, dst.y, dst.strideY, w, h);
      copyPlane(src, uOffset, cs, dst.u, dst.strideC, cw, ch);
      copyPlane(src, uOffset + cs * ch, cs, dst.v, dst.strideC, cw, ch);
      break;
    }
    case 'nv12':
      copyPlane(src, 0, stride, dst.y, dst.strideY, w, h);
      splitUv(src, stride * h, stride, dst, w >> 1, h >> 1);
      break;
    case 'yuyv':
      yuyvToI420(src, stride, dst, w, h);
      break;
    case 'rgb24':
      rgbToI420(src, stride, 3, 0, 1, 2, dst, w, h);
      break;
    case 'bgr24':
      rgbToI420(src, stride, 3, 2, 1, 0, dst, w, h);
      break;
    case 'rgba':
      rgbToI420(src, stride, 4, 0, 1, 2, dst, w, h);
      break;
    case 'bgra':
      rgbToI420(src, stride, 4, 2, 1, 0, dst, w, h);
      break;
    case 'rgb565le':
      rgb565ToI420(src, stride, 1, 0, dst, w, h);
      break;
    case 'rgb565be':
      rgb565ToI420(src, stride, 0, 1, dst, w, h);
      break;
  }
  dst.padFrom(w, h);
}

function copyPlane(src: Uint8Array, offset: number, srcStride: number, dst: Uint8Array, dstStride: number, w: number, h: number): void {
  for (let r = 0; r < h; r++) {
    const s = offset + r * srcStride;
    dst.set(src.subarray(s, s + w), r * dstStride);
  }
}

function splitUv(src: Uint8Array, offset: number, stride: number, dst: Picture, cw: number, ch: number): void {
  const du = dst.u, dv = dst.v, strideC = dst.strideC;
  for (let r = 0; r < ch; r++) {
    let s = offset + r * stride;
    let d = r * strideC;
    const end = d + cw;
    while (d < end) {
      du[d] = src[s]!;
      dv[d] = src[s + 1]!;
      d++;
      s += 2;
    }
  }
}

/** Packed 4:2:2 Y0 U Y1 V -> 4:2:0: chroma of each row pair averaged with rounding. */
function yuyvToI420(src: Uint8Array, stride: number, dst: Picture, w: number, h: number): void {
  const dy = dst.y, du = dst.u, dv = dst.v, strideY = dst.strideY, strideC = dst.strideC;
  const cw = w >> 1;
  for (let cy = 0; cy < h >> 1; cy++) {
    let s0 = 2 * cy * stride;
    let s1 = s0 + stride;
    let y0 = 2 * cy * strideY;
    let y1 = y0 + strideY;
    let c = cy * strideC;
    const end = c + cw;
    while (c < end) {
      dy[y0] = src[s0]!;
      dy[y0 + 1] = src[s0 + 2]!;
      dy[y1] = src[s1]!;
      dy[y1 + 1] = src[s1 + 2]!;
      du[c] = (src[s0 + 1]! + src[s1 + 1]! + 1) >> 1;
      dv[c] = (src[s0 + 3]! + src[s1 + 3]! + 1) >> 1;
      s0 += 4;
      s1 += 4;
      y0 += 2;
      y1 += 2;
      c++;
    }
  }
}

/** 8-bit RGB in any byte order (bpp 3 or 4; alpha ignored), two rows per pass. */
function rgbToI420(
  src: Uint8Array, stride: number, bpp: number, ri: number, gi: number, bi: number,
  dst: Picture, w: number, h: number,
): void {
  const dy = dst.y, du = dst.u, dv = dst.v, strideY = dst.strideY, strideC = dst.strideC;
  const cw = w >> 1, step = 2 * bpp;
  for (let cy = 0; cy < h >> 1; cy++) {
    let s0 = 2 * cy * stride;
    let s1 = s0 + stride;
    let y0 = 2 * cy * strideY;
    let y1 = y0 + strideY;
    let c = cy * strideC;
    const end = c + cw;
    while (c < end) {
      let r = src[s0 + ri]!, g = src[s0 + gi]!, b = src[s0 + bi]!;
      let sr = r, sg = g, sb = b;
      dy[y0] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      r = src[s0 + bpp + ri]!; g = src[s0 + bpp + gi]!; b = src[s0 + bpp + bi]!;
      sr += r; sg += g; sb += b;
      dy[y0 + 1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      r = src[s1 + ri]!; g = src[s1 + gi]!; b = src[s1 + bi]!;
      sr += r; sg += g; sb += b;
      dy[y1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      r = src[s1 + bpp + ri]!; g = src[s1 + bpp + gi]!; b = src[s1 + bpp + bi]!;
      sr += r; sg += g; sb += b;
      dy[y1 + 1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      sr = (sr + 2) >> 2; sg = (sg + 2) >> 2; sb = (sb + 2) >> 2;
      du[c] = ((-38 * sr - 74 * sg + 112 * sb + 128) >> 8) + 128;
      dv[c] = ((112 * sr - 94 * sg - 18 * sb + 128) >> 8) + 128;
      s0 += step;
      s1 += step;
      y0 += 2;
      y1 += 2;
      c++;
    }
  }
}

/**
 * RGB565 (R in the top 5 bits), little-endian (hi = 1, lo = 0) or big-endian (hi = 0, lo = 1).
 * Fields widen by bit replication: 5 -> 8 as (v << 3) | (v >> 2), 6 -> 8 as (v << 2) | (v >> 4),
 * so 0 maps to 0 and full scale to 255.
 */
function rgb565ToI420(src: Uint8Array, stride: number, hi: number, lo: number, dst: Picture, w: number, h: number): void {
  const dy = dst.y, du = dst.u, dv = dst.v, strideY = dst.strideY, strideC = dst.strideC;
  const cw = w >> 1;
  for (let cy = 0; cy < h >> 1; cy++) {
    let s0 = 2 * cy * stride;
    let s1 = s0 + stride;
    let y0 = 2 * cy * strideY;
    let y1 = y0 + strideY;
    let c = cy * strideC;
    const end = c + cw;
    while (c < end) {
      let p = (src[s0 + hi]! << 8) | src[s0 + lo]!;
      let r = p >> 11, g = (p >> 5) & 63, b = p & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
      let sr = r, sg = g, sb = b;
      dy[y0] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      p = (src[s0 + 2 + hi]! << 8) | src[s0 + 2 + lo]!;
      r = p >> 11; g = (p >> 5) & 63; b = p & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
      sr += r; sg += g; sb += b;
      dy[y0 + 1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      p = (src[s1 + hi]! << 8) | src[s1 + lo]!;
      r = p >> 11; g = (p >> 5) & 63; b = p & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
      sr += r; sg += g; sb += b;
      dy[y1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      p = (src[s1 + 2 + hi]! << 8) | src[s1 + 2 + lo]!;
      r = p >> 11; g = (p >> 5) & 63; b = p & 31;
      r = (r << 3) | (r >> 2); g = (g << 2) | (g >> 4); b = (b << 3) | (b >> 2);
      sr += r; sg += g; sb += b;
      dy[y1 + 1] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
      sr = (sr + 2) >> 2; sg = (sg + 2) >> 2; sb = (sb + 2) >> 2;
      du[c] = ((-38 * sr - 74 * sg + 112 * sb + 128) >> 8) + 128;
      dv[c] = ((112 * sr - 94 * sg - 18 * sb + 128) >> 8) + 128;
      s0 += 4;
      s1 += 4;
      y0 += 2;
      y1 += 2;
      c++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reference: one pixel at a time, straight from the formulas and the layouts in image.ts.

type Rgb = [r: number, g: number, b: number];

function rgbToY([r, g, b]: Rgb): number {
  return ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
}

function rgbToU([r, g, b]: Rgb): number {
  return ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
}

function rgbToV([r, g, b]: Rgb): number {
  return ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
}

function expand5(v: number): number {
  return (v << 3) | (v >> 2);
}

function expand6(v: number): number {
  return (v << 2) | (v >> 4);
}

/** The R, G, B of pixel (x, y) of an RGB-family image. */
function rgbAt(image: EncoderImage, stride: number, x: number, y: number): Rgb {
  const d = image.data, row = y * stride;
  switch (image.format) {
    case 'rgb24': return [d[row + 3 * x]!, d[row + 3 * x + 1]!, d[row + 3 * x + 2]!];
    case 'bgr24': return [d[row + 3 * x + 2]!, d[row + 3 * x + 1]!, d[row + 3 * x]!];
    case 'rgba': return [d[row + 4 * x]!, d[row + 4 * x + 1]!, d[row + 4 * x + 2]!];
    case 'bgra': return [d[row + 4 * x + 2]!, d[row + 4 * x + 1]!, d[row + 4 * x]!];
    case 'rgb565le':
    case 'rgb565be': {
      const first = d[row + 2 * x]!, second = d[row + 2 * x + 1]!;
      const p = image.format === 'rgb565le' ? second * 256 + first : first * 256 + second;
      return [expand5(Math.floor(p / 2048)), expand6(Math.floor(p / 32) % 64), expand5(p % 32)];
    }
    default: throw new Error(`rgbAt: ${image.format} is not an RGB format`);
  }
}

/** Y of pixel (x, y), and U and V of chroma sample (cx, cy), of a YUV-family image. */
function yuvAt(image: EncoderImage, stride: number, x: number, y: number, cx: number, cy: number): [y: number, u: number, v: number] {
  const d = image.data, h = image.height;
  switch (image.format) {
    case 'gray8':
      return [d[y * stride + x]!, 128, 128];
    case 'i420': {
      const cs = stride / 2, uPlane = stride * h, vPlane = uPlane + cs * (h / 2);
      return [d[y * stride + x]!, d[uPlane + cy * cs + cx]!, d[vPlane + cy * cs + cx]!];
    }
    case 'nv12': {
      const uv = stride * h + cy * stride + 2 * cx;
      return [d[y * stride + x]!, d[uv]!, d[uv + 1]!];
    }
    case 'yuyv': {
      // Y0 U Y1 V: luma at even bytes, U/V of pixel pair (2cx, 2cx+1) at 4cx+1 / 4cx+3.
      const top = 2 * cy * stride + 4 * cx, bottom = top + stride;
      return [
        d[y * stride + 2 * x]!,
        Math.floor((d[top + 1]! + d[bottom + 1]! + 1) / 2),
        Math.floor((d[top + 3]! + d[bottom + 3]! + 1) / 2),
      ];
    }
    default: throw new Error(`yuvAt: ${image.format} is not a YUV format`);
  }
}

/** Plain per-pixel version of convertImage(), for tests. */
export function referenceConvert(image: EncoderImage, dst: Picture): void {
  const w = image.width, h = image.height;
  const stride = image.stride ?? minStride(image.format, w);
  const isRgb = !['gray8', 'i420', 'nv12', 'yuyv'].includes(image.format);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const cx = Math.floor(x / 2), cy = Math.floor(y / 2);
      dst.y[y * dst.strideY + x] = isRgb ? rgbToY(rgbAt(image, stride, x, y)) : yuvAt(image, stride, x, y, cx, cy)[0];
    }
  }
  for (let cy = 0; cy < h / 2; cy++) {
    for (let cx = 0; cx < w / 2; cx++) {
      let u: number, v: number;
      if (isRgb) {
        const block = [rgbAt(image, stride, 2 * cx, 2 * cy), rgbAt(image, stride, 2 * cx + 1, 2 * cy),
          rgbAt(image, stride, 2 * cx, 2 * cy + 1), rgbAt(image, stride, 2 * cx + 1, 2 * cy + 1)];
        const mean = [0, 1, 2].map((i) => Math.floor((block.reduce((sum, p) => sum + p[i]!, 0) + 2) / 4)) as Rgb;
        u = rgbToU(mean);
        v = rgbToV(mean);
      } else {
        [, u, v] = yuvAt(image, stride, 2 * cx, 2 * cy, cx, cy);
      }
      dst.u[cy * dst.strideC + cx] = u;
      dst.v[cy * dst.strideC + cx] = v;
    }
  }
  dst.padFrom(w, h);
}
