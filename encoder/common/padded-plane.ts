/**
 * A sample plane surrounded by `pad` samples on every side that repeat its nearest edge sample:
 * the reference picture motion compensation reads from.
 *
 * Inter prediction reads integer samples at clamped coordinates, 8.4.2.2.1:
 * xZL = Clip3(0, PicWidthInSamplesL − 1, xIntL + xDZL), and likewise for y and for chroma
 * (8.4.2.2.2). Clamping each coordinate on its own is exactly edge replication, corners
 * included, so any read that stays within the pad returns what the clamped read gives, and the
 * kernels (interpolate.ts) index the padded data directly without a branch per sample.
 *
 * Width and height are the decoded picture's (PicWidthInSamples, a whole number of macroblocks),
 * not the cropped size: the decoder clamps to the decoded picture.
 */

/** Luma pad: a 16x16 block may start up to 62 samples outside the picture (interpolate.ts). */
export const LUMA_PAD = 64;
/** Chroma pad (4:2:0): half the luma pad. */
export const CHROMA_PAD = 32;

export class PaddedPlane {
  /** Bytes of the samples of a width x height plane with `pad` (what `storage` must hold). */
  static bytes(width: number, height: number, pad: number): number {
    return (width + 2 * pad) * (height + 2 * pad);
  }

  readonly width: number;
  readonly height: number;
  readonly pad: number;
  /** Row stride of `data`: width + 2 * pad. */
  readonly stride: number;
  readonly data: Uint8Array;
  /** A view on `data` for kernels that move four samples per load (interpolate.ts). */
  readonly view: DataView;
  /** Offset in `data` of sample (0, 0); sample (x, y) is data[origin + y * stride + x], x and y in -pad..size+pad-1. */
  readonly origin: number;

  /**
   * `storage`, when given, holds the samples (at least stride x (height + 2 pad) bytes): a view in
   * the SIMD kernels' memory (simd/kernels.ts). Otherwise the plane allocates its own.
   */
  constructor(width: number, height: number, pad: number, storage?: Uint8Array) {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
    if (!Number.isInteger(height) || height < 1) throw new RangeError(`height must be a positive integer, got ${height}`);
    if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`pad must be a non-negative integer, got ${pad}`);
    this.width = width;
    this.height = height;
    this.pad = pad;
    this.stride = width + 2 * pad;
    const size = PaddedPlane.bytes(width, height, pad);
    if (storage !== undefined && storage.length < size) throw new RangeError(`storage must hold ${size} bytes, got ${storage.length}`);
    this.data = storage === undefined ? new Uint8Array(size) : storage.subarray(0, size);
    this.view = new DataView(this.data.buffer, this.data.byteOffset, size);
    this.origin = pad * this.stride + pad;
  }

  /** Copies a width x height plane (row stride srcStride) in and replicates its edges into the pad. */
  fillFrom(src: Uint8Array, srcStride: number): void {
    const { width: w, height: h, pad, stride, data } = this;
    let d = this.origin, s = 0;
    for (let r = 0; r < h; r++, d += stride, s += srcStride) {
      data.set(src.subarray(s, s + w), d);
      if (pad > 0) {
        data.fill(src[s]!, d - pad, d);
        data.fill(src[s + w - 1]!, d + w, d + w + pad);
      }
    }
    // Top and bottom pads: whole padded rows (corners included) copied from the first and last rows.
    const first = pad * stride, last = (pad + h - 1) * stride;
    for (let r = 0; r < pad; r++) {
      data.copyWithin(r * stride, first, first + stride);
      data.copyWithin((pad + h + r) * stride, last, last + stride);
    }
  }
}
