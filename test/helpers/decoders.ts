/**
 * Independent H.264 decoders for conformance tests: ffmpeg (libavcodec) and OpenH264 through
 * GStreamer's openh264dec. Both return tightly packed I420 frames (Y, then U, then V, no row
 * padding), so a decoded frame compares byte for byte with the encoder's reconstruction.
 *
 * Both fail loudly: a non-zero exit or any diagnostic from the decoder rejects with its stderr.
 * A decoder that conceals an error instead of reporting it would let a broken stream pass.
 * scripts/setup-test-deps.sh installs the tools; nothing here skips when one is missing.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  type DecodeWithFfmpegOptions,
  type FfmpegDecodeResult,
  decodeWithFfmpeg as decodeWithFfmpegAt,
  decoderError as failure,
  i420FrameBytes,
} from '../../main/media/ffmpeg-decode.js';
import { runTool } from '../../main/media/run-tool.js';

// The ffmpeg decoder and the process runner live in main/ (the bench decodes with them too).
export { i420FrameBytes, runTool };
export type { DecodeWithFfmpegOptions, FfmpegDecodeResult };
export type { ToolResult } from '../../main/media/run-tool.js';

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The ffmpeg 4.x binary shipped inside the npm devDependency @ffmpeg-installer/ffmpeg. */
export function bundledFfmpeg(): string {
  const require = createRequire(import.meta.url);
  const path = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  accessSync(path, constants.X_OK);
  return path;
}

/** Debian's ffmpeg on PATH, else the bundled one. Throws naming both packages when neither is there. */
export function findFfmpeg(): string {
  const system = onPath('ffmpeg');
  if (system) return system;
  try {
    return bundledFfmpeg();
  } catch (e) {
    throw new Error(
      'no ffmpeg: install the Debian package ffmpeg (bash scripts/setup-test-deps.sh) or the npm ' +
        `devDependency @ffmpeg-installer/ffmpeg (npm ci); ${(e as Error).message}`,
    );
  }
}

/**
 * Decodes an Annex-B stream with ffmpeg at its strictest (main/media/ffmpeg-decode.ts), with
 * findFfmpeg()'s binary unless `opts.ffmpeg` names another.
 */
export function decodeWithFfmpeg(h264: Uint8Array, opts: DecodeWithFfmpegOptions = {}): Promise<FfmpegDecodeResult> {
  return decodeWithFfmpegAt(h264, { ...opts, ffmpeg: opts.ffmpeg ?? findFfmpeg() });
}

/**
 * Row strides of GStreamer's default I420 layout (gst_video_info_set_format, video-info.c): Y rows
 * are padded to 4 bytes, chroma rows to 4 bytes of the rounded-up half width; planes follow each
 * other with no further gap. Checked against real output: 18x16 -> strides 20/12, 200x150 ->
 * 200/100, 34x10 -> 36/20.
 */
export function gstI420Layout(width: number, height: number) {
  const roundUp = (v: number, n: number) => Math.ceil(v / n) * n;
  const chromaWidth = roundUp(width, 2) / 2;
  const chromaHeight = roundUp(height, 2) / 2;
  const yStride = roundUp(width, 4);
  const cStride = roundUp(chromaWidth, 4);
  return { yStride, cStride, chromaWidth, chromaHeight, frameBytes: yStride * height + 2 * cStride * chromaHeight };
}

/** Copies one padded GStreamer I420 frame into a tightly packed one. */
function unpadGstI420(src: Uint8Array, width: number, height: number): Uint8Array {
  const { yStride, cStride, chromaWidth, chromaHeight } = gstI420Layout(width, height);
  const dst = new Uint8Array(i420FrameBytes(width, height));
  let s = 0, d = 0;
  for (let y = 0; y < height; y++, s += yStride, d += width) dst.set(src.subarray(s, s + width), d);
  for (let plane = 0; plane < 2; plane++) {
    for (let y = 0; y < chromaHeight; y++, s += cStride, d += chromaWidth) dst.set(src.subarray(s, s + chromaWidth), d);
  }
  return dst;
}

export interface OpenH264DecodeResult {
  frames: Uint8Array[];
  stderr: string;
}

/**
 * Decodes an Annex-B stream with OpenH264 (`h264parse ! openh264dec` in gst-launch-1.0). With -q
 * gst-launch prints only errors; openh264dec reports decode failures only as GStreamer warnings
 * and then drops the frame while exiting 0, so its warnings are switched on (GST_DEBUG) and any
 * stderr output counts as a failure.
 */
export async function decodeWithOpenH264(
  h264: Uint8Array,
  width: number,
  height: number,
  opts: { expectedFrames?: number } = {},
): Promise<OpenH264DecodeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'h264-openh264-'));
  const name = 'gst-launch-1.0 openh264dec';
  try {
    const input = join(dir, 'in.h264');
    const output = join(dir, 'out.i420');
    await writeFile(input, h264);
    const pipeline = [
      '-q', 'filesrc', `location=${input}`, '!', 'h264parse', '!', 'openh264dec', '!',
      'video/x-raw,format=I420', '!', 'filesink', `location=${output}`,
    ];
    const env = { ...process.env, GST_DEBUG: '*:1,openh264dec:2,h264parse:2', GST_DEBUG_NO_COLOR: '1' };
    const r = await runTool('gst-launch-1.0', pipeline, undefined, env);
    if (r.code !== 0) throw failure(name, `exited with ${r.code ?? r.signal}`, r.stderr);
    if (r.stderr.trim() !== '') throw failure(name, 'reported errors or warnings', r.stderr);

    const raw = await readFile(output);
    const padded = gstI420Layout(width, height).frameBytes;
    if (raw.length % padded !== 0) {
      throw failure(name, `output of ${raw.length} bytes is not a whole number of ${width}x${height} frames (${padded} bytes each)`, r.stderr);
    }
    const frames: Uint8Array[] = [];
    for (let pos = 0; pos < raw.length; pos += padded) frames.push(unpadGstI420(raw.subarray(pos, pos + padded), width, height));
    if (frames.length === 0 && h264.length > 0) throw failure(name, 'decoded no frames', r.stderr);
    if (opts.expectedFrames !== undefined && frames.length !== opts.expectedFrames) {
      throw failure(name, `decoded ${frames.length} frames, expected ${opts.expectedFrames}`, r.stderr);
    }
    return { frames, stderr: r.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Compares tightly packed I420 data (one frame or several back to back). Null when identical, else
 * one line naming the first differing sample (frame, plane, x, y within the plane, both values)
 * and how many samples differ per plane.
 */
export function compareFrames(expected: Uint8Array, actual: Uint8Array, width: number, height: number): string | null {
  const frameBytes = i420FrameBytes(width, height);
  if (expected.length !== actual.length) {
    return `size differs: expected ${expected.length} bytes, got ${actual.length} (one ${width}x${height} I420 frame is ${frameBytes})`;
  }
  if (expected.length % frameBytes !== 0) {
    return `${expected.length} bytes is not a whole number of ${width}x${height} I420 frames (${frameBytes} bytes each)`;
  }
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  const lumaBytes = width * height, chromaBytes = cw * ch;
  const diffs = { Y: 0, U: 0, V: 0 };
  let first: string | null = null;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === actual[i]) continue;
    const frame = Math.floor(i / frameBytes);
    const off = i - frame * frameBytes;
    const plane = off < lumaBytes ? 'Y' : off < lumaBytes + chromaBytes ? 'U' : 'V';
    diffs[plane]++;
    if (first === null) {
      const p = plane === 'Y' ? off : plane === 'U' ? off - lumaBytes : off - lumaBytes - chromaBytes;
      const pw = plane === 'Y' ? width : cw;
      first = `frame ${frame} plane ${plane} at x=${p % pw} y=${Math.floor(p / pw)}: expected ${expected[i]}, got ${actual[i]}`;
    }
  }
  if (first === null) return null;
  const total = diffs.Y + diffs.U + diffs.V;
  return `${first}; ${total} of ${expected.length} samples differ (Y ${diffs.Y}, U ${diffs.U}, V ${diffs.V})`;
}
