/**
 * Synthetic test pictures for the conformance sweep: content chosen to reach every corner of the
 * encoder (flat areas for Intra_16x16 DC, gradients for plane prediction, edges for the directional
 * Intra_4x4 modes, noise and fine checkerboards for large levels and I_PCM, saturated colours
 * through the RGB conversion and chroma extremes).
 */
import type { EncoderImage } from '../../encoder/index.js';

export const SYNTHETIC_KINDS = [
  'black', 'white', 'gradient-h', 'gradient-v', 'gradient-diagonal', 'noise', 'checker-1', 'checker-8',
  'text-edges', 'colour-bars-rgb', 'colour-noise-rgb565be',
] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

/** A small deterministic PRNG (xorshift32), so streams are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function i420(width: number, height: number, luma: (x: number, y: number) => number, u = 128, v = 128): EncoderImage {
  const data = new Uint8Array(width * height * 3 / 2);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = luma(x, y);
  const cSize = (width / 2) * (height / 2);
  data.fill(u, width * height, width * height + cSize);
  data.fill(v, width * height + cSize);
  return { width, height, format: 'i420', data };
}

export function syntheticImage(kind: SyntheticKind, width: number, height: number, seed = 1): EncoderImage {
  const rnd = prng(seed * 7919 + kind.length);
  switch (kind) {
    case 'black':
      return i420(width, height, () => 0); // Y = 0: also exercises I_PCM's 0 -> 1 clamp
    case 'white':
      return i420(width, height, () => 255);
    case 'gradient-h':
      return i420(width, height, (x) => Math.round((x * 255) / Math.max(1, width - 1)), 64, 192);
    case 'gradient-v':
      return i420(width, height, (_x, y) => Math.round((y * 255) / Math.max(1, height - 1)), 200, 40);
    case 'gradient-diagonal':
      return i420(width, height, (x, y) => (x + y) & 255, 90, 160);
    case 'noise': {
      const img = i420(width, height, () => rnd() & 255);
      for (let i = width * height; i < img.data.length; i++) img.data[i] = rnd() & 255;
      return img;
    }
    case 'checker-1':
      return i420(width, height, (x, y) => ((x ^ y) & 1 ? 255 : 0));
    case 'checker-8':
      return i420(width, height, (x, y) => (((x >> 3) ^ (y >> 3)) & 1 ? 235 : 16), 100, 150);
    case 'text-edges': {
      // Dark strokes of random lengths on a light page, like rendered text.
      const img = i420(width, height, () => 230);
      for (let n = 0; n < (width * height) / 40; n++) {
        const x0 = rnd() % width, y0 = rnd() % height, len = 2 + (rnd() % 12), horizontal = rnd() & 1;
        for (let k = 0; k < len; k++) {
          const x = horizontal ? x0 + k : x0, y = horizontal ? y0 : y0 + k;
          if (x < width && y < height) img.data[y * width + x] = 20;
        }
      }
      return img;
    }
    case 'colour-bars-rgb': {
      const bars = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 255, 255], [255, 0, 255], [255, 255, 0], [255, 255, 255], [0, 0, 0]];
      const data = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const c = bars[Math.floor((x * bars.length) / width)]!;
          data.set(y < height / 2 ? c : [c[2]!, c[0]!, c[1]!], (y * width + x) * 3);
        }
      }
      return { width, height, format: 'rgb24', data };
    }
    case 'colour-noise-rgb565be': {
      const data = new Uint8Array(width * height * 2);
      for (let i = 0; i < data.length; i++) data[i] = rnd() & 255;
      return { width, height, format: 'rgb565be', data };
    }
  }
}
