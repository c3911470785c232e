/**
 * Decoding an H.264 stream with ffmpeg (libavcodec) at its strictest, to tightly packed I420
 * frames: the independent decoder of the conformance tests and of the bench's quality figures.
 */
import { parseY4mHeader } from './y4m.js';
import { runTool } from './run-tool.js';

/** Bytes of one tightly packed I420 frame (chroma planes round odd sizes up, as Y4M does). */
export function i420FrameBytes(width: number, height: number): number {
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

export interface DecodeWithFfmpegOptions {
  /** Expected picture size; when given, a stream of another size rejects. */
  width?: number;
  height?: number;
  /** Expected number of frames; when given, another count rejects. */
  expectedFrames?: number;
  /** The ffmpeg binary; default `ffmpeg` on PATH. */
  ffmpeg?: string;
}

export interface FfmpegDecodeResult {
  frames: Uint8Array[];
  width: number;
  height: number;
  stderr: string;
}

/** A decoder's failure: why, then its stderr (when it said anything) under a marker line. */
export function decoderError(decoder: string, why: string, stderr: string): Error {
  const text = stderr.trim();
  return new Error(`${decoder}: ${why}${text ? `\n--- ${decoder} stderr ---\n${text}` : ''}`);
}

/**
 * Decodes an Annex-B stream with ffmpeg at its strictest: every error-detection flag, `-xerror` to
 * stop at the first error, and `-loglevel error` so that any stderr output is an error. The output
 * is YUV4MPEG2 rather than rawvideo so that the decoded size comes from the decoder itself (after
 * the SPS frame cropping) and frame boundaries are checked, not assumed.
 *
 * The samples come out exactly as decoded: no `-pix_fmt`, because a stream that signals full range
 * (x264 copies a y4m's XCOLORRANGE=FULL into its VUI) decodes as yuvj420p, and asking for yuv420p
 * would make ffmpeg rescale the range. The y4m header's colour space is checked instead: anything
 * but 8-bit 4:2:0 (C420, C420jpeg, C420mpeg2, C420paldv) rejects.
 */
export async function decodeWithFfmpeg(h264: Uint8Array, opts: DecodeWithFfmpegOptions = {}): Promise<FfmpegDecodeResult> {
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-xerror',
    '-err_detect', '+crccheck+bitstream+buffer+explode',
    // A raw H.264 stream carries no timestamps: -r as an input option numbers the frames at a
    // constant rate, and passthrough writes one output frame per decoded frame, never duplicating
    // or dropping one to fit a rate (ffmpeg 4.x's y4m muxer aborts on the untimed frames without -r).
    '-r', '25', '-f', 'h264', '-i', 'pipe:0',
    '-vsync', 'passthrough',
    '-f', 'yuv4mpegpipe', 'pipe:1',
  ];
  const r = await runTool(opts.ffmpeg ?? 'ffmpeg', args, h264);
  const name = 'ffmpeg';
  if (r.code !== 0) throw decoderError(name, `exited with ${r.code ?? r.signal}`, r.stderr);
  if (r.stderr.trim() !== '') throw decoderError(name, 'reported errors', r.stderr);
  if (r.stdout.length === 0) throw decoderError(name, 'decoded no frames', r.stderr);

  let header: ReturnType<typeof parseY4mHeader>;
  try {
    header = parseY4mHeader(r.stdout);
  } catch (e) {
    throw decoderError(name, `its output: ${(e as Error).message}`, r.stderr);
  }
  const { width, height, frameBytes } = header;
  if ((opts.width !== undefined && width !== opts.width) || (opts.height !== undefined && height !== opts.height)) {
    throw decoderError(name, `decoded ${width}x${height}, expected ${opts.width ?? width}x${opts.height ?? height}`, r.stderr);
  }
  const frames: Uint8Array[] = [];
  let pos = header.headerBytes;
  while (pos < r.stdout.length) {
    const nl = r.stdout.indexOf(0x0a, pos);
    if (nl < 0 || r.stdout.toString('latin1', pos, pos + 5) !== 'FRAME') {
      throw decoderError(name, `no FRAME marker at byte ${pos} of its output`, r.stderr);
    }
    const start = nl + 1;
    if (start + frameBytes > r.stdout.length) {
      throw decoderError(name, `output ends inside frame ${frames.length}: ${r.stdout.length - start} of ${frameBytes} bytes`, r.stderr);
    }
    frames.push(r.stdout.subarray(start, start + frameBytes));
    pos = start + frameBytes;
  }
  if (opts.expectedFrames !== undefined && frames.length !== opts.expectedFrames) {
    throw decoderError(name, `decoded ${frames.length} frames, expected ${opts.expectedFrames}`, r.stderr);
  }
  return { frames, width, height, stderr: r.stderr };
}
