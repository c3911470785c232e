/**
 * Independent H.264 decoders for conformance tests: ffmpeg (libavcodec) and OpenH264 through
 * GStreamer's openh264dec. Both return tightly packed I420 frames (Y, then U, then V, no row
 * padding), so a decoded frame compares byte for byte with the encoder's reconstruction.
 *
 * Both fail loudly: a non-zero exit or any diagnostic from the decoder rejects with its stderr.
 * A decoder that conceals an error instead of reporting it would let a broken stream pass.
 * scripts/setup-test-deps.sh installs the tools; nothing here skips when one is missing.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseY4mHeader } from '../../main/media/y4m.js';

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a program with `input` streamed to its stdin and stdout collected in chunks, so outputs of
 * hundreds of megabytes (1080p, tens of frames) need no maxBuffer. Resolves whatever the exit
 * status: callers decide what counts as failure. A program that exits before reading all its input
 * makes stdin fail with EPIPE; that is reported through its exit status and stderr, not thrown.
 */
export function runTool(file: string, args: readonly string[], input?: Uint8Array, env?: NodeJS.ProcessEnv): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') reject(e);
    });
    child.on('error', (e) => reject(new Error(`cannot run ${file}: ${e.message}`)));
    child.on('close', (code, signal) => {
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code, signal });
    });
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}

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

/** Bytes of one tightly packed I420 frame (chroma planes round odd sizes up, as Y4M does). */
export function i420FrameBytes(width: number, height: number): number {
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

function failure(decoder: string, why: string, stderr: string): Error {
  const text = stderr.trim();
  return new Error(`${decoder}: ${why}${text ? `\n--- ${decoder} stderr ---\n${text}` : ''}`);
}

export interface DecodeWithFfmpegOptions {
  /** Expected picture size; when given, a stream of another size rejects. */
  width?: number;
  height?: number;
  /** Expected number of frames; when given, another count rejects. */
  expectedFrames?: number;
  /** An ffmpeg binary other than findFfmpeg()'s. */
  ffmpeg?: string;
}

export interface FfmpegDecodeResult {
  frames: Uint8Array[];
  width: number;
  height: number;
  stderr: string;
}

/**
 * Decodes an Annex-B stream with ffmpeg at its strictest: every error-detection flag, `-xerror` to
 * stop at the first error, and `-loglevel error` so that any stderr output is an error. The output
 * is YUV4MPEG2 rather than rawvideo so that the decoded size comes from the decoder itself (after
 * the SPS frame cropping) and frame boundaries are checked, not assumed.
 */
export async function decodeWithFfmpeg(h264: Uint8Array, opts: DecodeWithFfmpegOptions = {}): Promise<FfmpegDecodeResult> {
  const ffmpeg = opts.ffmpeg ?? findFfmpeg();
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-xerror',
    '-err_detect', '+crccheck+bitstream+buffer+explode',
    // A raw H.264 stream carries no timestamps: -r as an input option numbers the frames at a
    // constant rate, and passthrough writes one output frame per decoded frame, never duplicating
    // or dropping one to fit a rate (ffmpeg 4.x's y4m muxer aborts on the untimed frames without -r).
    '-r', '25', '-f', 'h264', '-i', 'pipe:0',
    '-vsync', 'passthrough',
    '-f', 'yuv4mpegpipe', '-pix_fmt', 'yuv420p', 'pipe:1',
  ];
  const r = await runTool(ffmpeg, args, h264);
  const name = 'ffmpeg';
  if (r.code !== 0) throw failure(name, `exited with ${r.code ?? r.signal}`, r.stderr);
  if (r.stderr.trim() !== '') throw failure(name, 'reported errors', r.stderr);
  if (r.stdout.length === 0) throw failure(name, 'decoded no frames', r.stderr);

  const header = parseY4mHeader(r.stdout);
  const { width, height, frameBytes } = header;
  if ((opts.width !== undefined && width !== opts.width) || (opts.height !== undefined && height !== opts.height)) {
    throw failure(name, `decoded ${width}x${height}, expected ${opts.width ?? width}x${opts.height ?? height}`, r.stderr);
  }
  const frames: Uint8Array[] = [];
  let pos = header.headerBytes;
  while (pos < r.stdout.length) {
    const nl = r.stdout.indexOf(0x0a, pos);
    if (nl < 0 || r.stdout.toString('latin1', pos, pos + 5) !== 'FRAME') {
      throw failure(name, `no FRAME marker at byte ${pos} of its output`, r.stderr);
    }
    const start = nl + 1;
    if (start + frameBytes > r.stdout.length) {
      throw failure(name, `output ends inside frame ${frames.length}: ${r.stdout.length - start} of ${frameBytes} bytes`, r.stderr);
    }
    frames.push(r.stdout.subarray(start, start + frameBytes));
    pos = start + frameBytes;
  }
  if (opts.expectedFrames !== undefined && frames.length !== opts.expectedFrames) {
    throw failure(name, `decoded ${frames.length} frames, expected ${opts.expectedFrames}`, r.stderr);
  }
  return { frames, width, height, stderr: r.stderr };
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
