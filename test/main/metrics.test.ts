// SSIM as the bench computes it, held to its formula on small cases and to ffmpeg's ssim filter
// (the same 8x8-window variant, x264's) on pictures with odd sizes and strides.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ssimPlane } from '../../main/media/metrics.js';
import { findFfmpeg, runTool } from '../helpers/decoders.js';

/** A deterministic pseudo-random plane (xorshift32), texture an SSIM can tell apart. */
function noise(width: number, height: number, seed: number): Uint8Array {
  const p = new Uint8Array(width * height);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < p.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    p[i] = s & 0xff;
  }
  return p;
}

/** `plane` with every sample moved by a small deterministic amount, clamped to 0..255. */
function distort(plane: Uint8Array, amount: number): Uint8Array {
  return plane.map((v, i) => Math.max(0, Math.min(255, v + ((i * 7919) % (2 * amount + 1)) - amount)));
}

/** The window formula written out from the paper's terms, for one 8x8 window. */
function windowSsim(a: number[], b: number[]): number {
  const n = 64;
  const s1 = a.reduce((s, v) => s + v, 0), s2 = b.reduce((s, v) => s + v, 0);
  const ss = a.reduce((s, v) => s + v * v, 0) + b.reduce((s, v) => s + v * v, 0);
  const s12 = a.reduce((s, v, i) => s + v * b[i]!, 0);
  const c1 = Math.round(0.0001 * 255 * 255 * 64), c2 = Math.round(0.0009 * 255 * 255 * 64 * 63);
  return ((2 * s1 * s2 + c1) * (2 * (n * s12 - s1 * s2) + c2)) / ((s1 * s1 + s2 * s2 + c1) * (n * ss - s1 * s1 - s2 * s2 + c2));
}

describe('ssimPlane', () => {
  it('is 1 for identical planes, flat or textured', () => {
    expect(ssimPlane(new Uint8Array(64).fill(90), new Uint8Array(64).fill(90), 8, 8)).toBe(1);
    const p = noise(40, 24, 7);
    expect(ssimPlane(p, p.slice(), 40, 24)).toBe(1);
  });

  it('an 8x8 plane is one window: flat 100 against flat 110', () => {
    // No variance or covariance, so only the luminance term is left:
    // (2 * 6400 * 7040 + 416) / (6400^2 + 7040^2 + 416).
    const expected = (2 * 6400 * 7040 + 416) / (6400 ** 2 + 7040 ** 2 + 416);
    expect(ssimPlane(new Uint8Array(64).fill(100), new Uint8Array(64).fill(110), 8, 8)).toBeCloseTo(expected, 15);
    expect(expected).toBeCloseTo(0.99548, 5);
  });

  it('a 12x8 plane is two windows 4 samples apart, averaged', () => {
    const a = noise(12, 8, 3), b = distort(a, 9);
    const win = (p: Uint8Array, x0: number) => Array.from({ length: 64 }, (_, i) => p[(i >> 3) * 12 + x0 + (i & 7)]!);
    const expected = (windowSsim(win(a, 0), win(b, 0)) + windowSsim(win(a, 4), win(b, 4))) / 2;
    expect(ssimPlane(a, b, 12, 8)).toBeCloseTo(expected, 14);
    expect(expected).toBeLessThan(1);
  });

  it('falls as the distortion grows', () => {
    const a = noise(64, 48, 11);
    const small = ssimPlane(a, distort(a, 3), 64, 48), large = ssimPlane(a, distort(a, 30), 64, 48);
    expect(small).toBeLessThan(1);
    expect(large).toBeLessThan(small);
  });

  it('honours strides', () => {
    const a = noise(16, 16, 5), b = distort(a, 6);
    const padded = (p: Uint8Array, stride: number) => {
      const out = new Uint8Array(stride * 16).fill(255);
      for (let y = 0; y < 16; y++) out.set(p.subarray(16 * y, 16 * y + 16), stride * y);
      return out;
    };
    expect(ssimPlane(padded(a, 20), padded(b, 24), 16, 16, 20, 24)).toBe(ssimPlane(a, b, 16, 16));
  });

  it('refuses planes smaller than one window', () => {
    expect(() => ssimPlane(new Uint8Array(56), new Uint8Array(56), 8, 7)).toThrow('SSIM needs a plane of at least 8x8 samples, got 8x7');
  });

  it("equals ffmpeg's ssim filter on gray pictures of odd sizes", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h264-ssim-'));
    try {
      for (const [width, height, amount] of [[37, 29, 20], [64, 48, 4], [176, 144, 40]] as const) {
        const a = noise(width, height, width), b = distort(a, amount);
        await writeFile(join(dir, 'a.gray'), a);
        await writeFile(join(dir, 'b.gray'), b);
        const input = (file: string) => ['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-i', join(dir, file)];
        const r = await runTool(findFfmpeg(), ['-hide_banner', '-nostdin', '-v', 'error', ...input('a.gray'), ...input('b.gray'), '-lavfi', 'ssim=stats_file=-', '-f', 'null', '-']);
        expect(r.code, r.stderr).toBe(0);
        // "n:1 Y:0.987246 All:0.987246 (18.943388)": six decimals, from single-precision sums.
        const y = Number(/ Y:([\d.]+) /.exec(r.stdout.toString())?.[1]);
        expect(Math.abs(ssimPlane(a, b, width, height) - y), `${width}x${height}`).toBeLessThan(2e-6);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
