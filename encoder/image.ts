/** Input images accepted by H264Encoder.encode(). Conversion lives in image-convert.ts. */

export const PIXEL_FORMATS = ['gray8', 'rgb565le', 'rgb565be', 'rgb24', 'bgr24', 'rgba', 'bgra', 'i420', 'nv12', 'yuyv'] as const;
export type PixelFormat = (typeof PIXEL_FORMATS)[number];

/**
 * One frame handed to the encoder.
 * - `stride`: bytes from one row to the next of the first (or only) plane; default the packed
 *   row size. Planar formats: i420 has chroma rows of stride/2 bytes, planes back to back
 *   (Y: stride*height, then U and V: stride/2 * height/2 each); nv12 has one interleaved UV plane
 *   of stride * height/2 after Y.
 */
export interface EncoderImage {
  width: number;
  height: number;
  format: PixelFormat;
  data: Uint8Array;
  stride?: number;
}
