/**
 * The decisive check (STYLE.md): independent decoders reproduce the encoder's reconstruction
 * byte for byte, with zero decoder errors.
 */
import { expect } from 'vitest';
import { H264Encoder, type EncoderImage, type EncoderOptions, type FrameStats } from '../../encoder/index.js';
import { compareFrames, decodeWithFfmpeg, decodeWithOpenH264 } from './decoders.js';

export interface EncodedClip {
  stream: Uint8Array;
  recon: Uint8Array[];
  stats: FrameStats[];
  /** keyframe() after each frame: true where the frame was an IDR. */
  keyframes: boolean[];
}

export interface EncodeClipExtras {
  /** Frame indices (0-based) before whose encode() the clip calls requestKeyframe(). */
  requestKeyframeAt?: Iterable<number>;
}

/**
 * Asks the encoder to make its next frame an IDR. P frames bring H264Encoder.requestKeyframe();
 * until the method exists this throws saying so, so a test that needs it fails for that reason.
 */
export function requestKeyframe(enc: H264Encoder): void {
  const method: unknown = (enc as unknown as { requestKeyframe?: unknown }).requestKeyframe;
  if (typeof method !== 'function') {
    throw new TypeError('H264Encoder has no requestKeyframe() method yet (it comes with P frames: "the next frame is an IDR")');
  }
  (method as (this: H264Encoder) => void).call(enc);
}

export function encodeClip(
  width: number,
  height: number,
  images: Iterable<EncoderImage>,
  options: EncoderOptions,
  extras: EncodeClipExtras = {},
): EncodedClip {
  const enc = new H264Encoder(width, height, options);
  const requests = new Set(extras.requestKeyframeAt ?? []);
  const parts: Uint8Array[] = [], recon: Uint8Array[] = [], stats: FrameStats[] = [], keyframes: boolean[] = [];
  for (const image of images) {
    if (requests.has(parts.length)) requestKeyframe(enc);
    parts.push(enc.encode(image));
    recon.push(enc.reconstructed().data);
    stats.push(enc.stats());
    keyframes.push(enc.keyframe());
  }
  enc.close();
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    stream.set(p, o);
    o += p.length;
  }
  return { stream, recon, stats, keyframes };
}

/** Decodes with ffmpeg and OpenH264 and asserts both equal the reconstruction, frame by frame. */
export async function expectDecodersReproduce(clip: EncodedClip, width: number, height: number, label: string): Promise<void> {
  const n = clip.recon.length;
  const ff = await decodeWithFfmpeg(clip.stream, { width, height, expectedFrames: n });
  expect(ff.stderr, `${label}: ffmpeg stderr`).toBe('');
  expect(ff.frames.length, `${label}: ffmpeg frame count`).toBe(n);
  const oh = await decodeWithOpenH264(clip.stream, width, height, { expectedFrames: n });
  expect(oh.frames.length, `${label}: OpenH264 frame count`).toBe(n);
  for (let i = 0; i < n; i++) {
    expect(compareFrames(clip.recon[i]!, ff.frames[i]!, width, height), `${label} frame ${i}: ffmpeg vs reconstruction`).toBeNull();
    expect(compareFrames(clip.recon[i]!, oh.frames[i]!, width, height), `${label} frame ${i}: OpenH264 vs reconstruction`).toBeNull();
  }
}
