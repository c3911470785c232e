// The conformance helpers themselves, checked on streams from a real third-party encoder (libx264
// inside ffmpeg): if two independent decoders agree byte for byte on a conformant Baseline stream,
// the helpers are trustworthy judges of our encoder's streams.
import { describe, expect, it } from 'vitest';
import {
  bundledFfmpeg,
  compareFrames,
  decodeWithFfmpeg,
  decodeWithOpenH264,
  findFfmpeg,
  gstI420Layout,
  i420FrameBytes,
  runTool,
} from '../helpers/decoders.js';
import { listSequences, loadSequence } from '../helpers/sequences.js';

async function x264Baseline(width: number, height: number, frames: number): Promise<Uint8Array> {
  const r = await runTool(findFfmpeg(), [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=10`, '-frames:v', String(frames),
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-profile:v', 'baseline', '-f', 'h264', 'pipe:1',
  ]);
  if (r.code !== 0 || r.stdout.length === 0) throw new Error(`libx264 encode failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Offsets of NAL unit headers (the byte after each 00 00 01 start code). */
function nalStarts(bytes: Uint8Array): number[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 <= bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) starts.push(i + 3);
  }
  return starts;
}

describe('decoders', () => {
  // 200x150: no row padding and a cropped height; 18x16 and 34x10: GStreamer pads both Y and chroma
  // rows (strides 20/12 and 36/20), so the unpadding is exercised.
  it.each([
    [200, 150, 5],
    [18, 16, 3],
    [34, 10, 3],
  ])('ffmpeg and OpenH264 decode a libx264 Baseline stream %ix%i identically', async (width, height, count) => {
    const stream = await x264Baseline(width, height, count);
    const ff = await decodeWithFfmpeg(stream, { width, height, expectedFrames: count });
    expect(ff.width).toBe(width);
    expect(ff.height).toBe(height);
    expect(ff.stderr).toBe('');
    expect(ff.frames).toHaveLength(count);
    const oh = await decodeWithOpenH264(stream, width, height, { expectedFrames: count });
    expect(oh.frames).toHaveLength(count);
    for (let i = 0; i < count; i++) {
      expect(ff.frames[i]!.length).toBe(i420FrameBytes(width, height));
      expect(oh.frames[i]!.length).toBe(i420FrameBytes(width, height));
      expect(compareFrames(ff.frames[i]!, oh.frames[i]!, width, height), `frame ${i}`).toBeNull();
    }
  });

  it("the bundled ffmpeg 4.x (the fallback when Debian's is absent) decodes the same frames", async () => {
    const stream = await x264Baseline(34, 10, 3);
    const system = await decodeWithFfmpeg(stream, { expectedFrames: 3 });
    const bundled = await decodeWithFfmpeg(stream, { ffmpeg: bundledFfmpeg(), width: 34, height: 10, expectedFrames: 3 });
    for (let i = 0; i < 3; i++) expect(compareFrames(system.frames[i]!, bundled.frames[i]!, 34, 10)).toBeNull();
  });

  it('ffmpeg reports the size it decoded without being told', async () => {
    const ff = await decodeWithFfmpeg(await x264Baseline(200, 150, 2));
    expect([ff.width, ff.height, ff.frames.length]).toEqual([200, 150, 2]);
  });

  it('both decoders reject a stream with a corrupted slice', async () => {
    const stream = new Uint8Array(await x264Baseline(200, 150, 5));
    const idr = nalStarts(stream).find((p) => (stream[p]! & 0x1f) === 5)!;
    expect(idr).toBeGreaterThan(0);
    for (let i = idr + 30; i < idr + 90; i++) stream[i]! ^= 0xa5;
    await expect(decodeWithFfmpeg(stream, { width: 200, height: 150 })).rejects.toThrow(/ffmpeg: .*\n--- ffmpeg stderr ---\n.+/);
    await expect(decodeWithOpenH264(stream, 200, 150)).rejects.toThrow(/openh264dec/);
  });

  it('rejects a size other than the expected one', async () => {
    const stream = await x264Baseline(200, 150, 1);
    await expect(decodeWithFfmpeg(stream, { width: 176, height: 144 })).rejects.toThrow(/decoded 200x150, expected 176x144/);
    await expect(decodeWithOpenH264(stream, 176, 144)).rejects.toThrow(/not a whole number of 176x144 frames/);
  });
});

describe('gstI420Layout', () => {
  it('pads Y rows to 4 bytes and chroma rows to 4 bytes of the rounded-up half width', () => {
    expect(gstI420Layout(200, 150)).toMatchObject({ yStride: 200, cStride: 100, chromaHeight: 75 });
    expect(gstI420Layout(18, 16)).toMatchObject({ yStride: 20, cStride: 12, chromaWidth: 9 });
    expect(gstI420Layout(17, 9)).toMatchObject({ yStride: 20, cStride: 12, chromaWidth: 9, chromaHeight: 5 });
  });
});

describe('compareFrames', () => {
  const width = 6, height = 4; // Y 24 bytes, U and V 3x2 = 6 bytes each: 36 per frame
  const frame = () => Uint8Array.from({ length: 36 }, (_, i) => i);

  it('returns null for identical frames', () => {
    expect(compareFrames(frame(), frame(), width, height)).toBeNull();
  });

  it('names the first differing plane, position and values, and counts the differences', () => {
    const a = new Uint8Array([...frame(), ...frame()]);
    const b = a.slice();
    b[36 + 24 + 6 + 4] = 200; // frame 1, V plane, x=1 y=1 (value 34)
    b[36 + 7] = 99; // frame 1, Y plane, x=1 y=1 (value 7): the first difference
    expect(compareFrames(a, b, width, height)).toBe(
      'frame 1 plane Y at x=1 y=1: expected 7, got 99; 2 of 72 samples differ (Y 1, U 0, V 1)',
    );
    const c = frame();
    c[24 + 5] = 0; // U plane x=2 y=1 (value 29)
    expect(compareFrames(frame(), c, width, height)).toBe(
      'frame 0 plane U at x=2 y=1: expected 29, got 0; 1 of 36 samples differ (Y 0, U 1, V 0)',
    );
  });

  it('reports a size mismatch', () => {
    expect(compareFrames(frame(), frame().subarray(0, 30), width, height)).toMatch(/expected 36 bytes, got 30/);
  });
});

describe('sequences', () => {
  it('lists and loads the shared sequences', async () => {
    expect(listSequences()).toContain('videocall_320x192.y4m');
    const seq = await loadSequence('videocall_320x192', 3);
    expect([seq.width, seq.height, seq.fps, seq.frames.length]).toEqual([320, 192, 12, 3]);
    expect(seq.frames[0]!.length).toBe(i420FrameBytes(320, 192));
  });
});
