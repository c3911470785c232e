/**
 * Checking recordings the way a user's player meets them: ffprobe for what the container says,
 * ffmpeg for what actually decodes, plus a top-level MP4 box walk and the encoded clips the
 * recording tests feed their sinks.
 *
 * Like decoders.ts, the strict decode fails loudly: a non-zero exit or any diagnostic rejects.
 */
import { H264Encoder } from '../../encoder/index.js';
import type { EncodedFrame } from '../../main/engine/types.js';
import { findFfmpeg, runTool } from './decoders.js';
import { motionFrame } from './synthetic-motion.js';

export interface ProbedVideo {
  formatName: string;
  codecName: string;
  width: number;
  height: number;
  /** Frames ffprobe decoded (-count_frames). */
  frames: number;
  /** The container's duration in seconds; null for raw streams that have none. */
  duration: number | null;
}

function parseNumber(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : null;
}

async function ffprobeJson(path: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const r = await runTool('ffprobe', ['-v', 'error', ...args, '-of', 'json', path]);
  if (r.code !== 0 || r.stderr.trim() !== '') throw new Error(`ffprobe ${path} failed (exit ${r.code ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.toString('utf8')) as Record<string, unknown>;
}

/** What ffprobe reports for the first video stream of `path`, counting its frames by decoding. */
export async function probeVideo(path: string): Promise<ProbedVideo> {
  const json = await ffprobeJson(path, [
    '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height,nb_read_frames,duration:format=format_name,duration',
  ]);
  const stream = (json.streams as Record<string, unknown>[] | undefined)?.[0];
  const format = json.format as Record<string, unknown> | undefined;
  if (!stream || !format) throw new Error(`ffprobe found no video stream in ${path}: ${JSON.stringify(json)}`);
  return {
    formatName: String(format.format_name),
    codecName: String(stream.codec_name),
    width: Number(stream.width),
    height: Number(stream.height),
    frames: Number(stream.nb_read_frames),
    duration: parseNumber(format.duration) ?? parseNumber(stream.duration),
  };
}

export interface ProbedPacket {
  /** Presentation time in seconds. */
  pts: number;
  /** Duration in seconds. */
  duration: number;
  keyframe: boolean;
}

/** The container's packets of the first video stream, in file order. */
export async function probePackets(path: string): Promise<ProbedPacket[]> {
  const json = await ffprobeJson(path, ['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time,flags']);
  return (json.packets as Record<string, unknown>[]).map((p) => ({
    pts: Number(p.pts_time),
    duration: Number(p.duration_time),
    keyframe: String(p.flags).startsWith('K'),
  }));
}

export interface DecodeResult {
  /** Frames decoded. */
  frames: number;
  /** Presentation time of every decoded frame, in seconds. */
  times: number[];
  /** framecrc's Adler-32 of every decoded picture: equal lists mean the same pictures. */
  checksums: string[];
  code: number | null;
  stderr: string;
}

/**
 * Decodes the first video stream of `path` with ffmpeg (framecrc: one line per decoded frame).
 * Strict (the default): -xerror, and any exit status other than 0 or any diagnostic throws.
 * Lenient: reports what came out, as a player would play it.
 */
export async function decodeFile(path: string, opts: { strict?: boolean } = {}): Promise<DecodeResult> {
  const strict = opts.strict ?? true;
  const args = ['-hide_banner', '-nostdin', '-v', 'error', ...(strict ? ['-xerror'] : []), '-i', path, '-map', '0:v:0', '-f', 'framecrc', '-'];
  const r = await runTool(findFfmpeg(), args);
  if (strict && (r.code !== 0 || r.stderr.trim() !== '')) {
    throw new Error(`ffmpeg -xerror could not decode ${path} cleanly (exit ${r.code ?? r.signal}):\n${r.stderr}`);
  }
  const lines = r.stdout.toString('utf8').split('\n');
  const tb = /^#tb 0: (\d+)\/(\d+)/m.exec(r.stdout.toString('utf8'));
  const unit = tb ? Number(tb[1]) / Number(tb[2]) : NaN;
  const rows = lines.filter((l) => /^\s*0,/.test(l)).map((l) => l.split(',').map((f) => f.trim()));
  const times = rows.map((f) => Number(f[2]) * unit);
  return { frames: rows.length, times, checksums: rows.map((f) => f[5]!), code: r.code, stderr: r.stderr };
}

export interface Mp4Box {
  type: string;
  start: number;
  size: number;
}

/**
 * The top-level boxes of an MP4 file (ISO/IEC 14496-12 4.2: 32-bit size, or 1 and a 64-bit
 * largesize, or 0 for "to the end of the file"). A last box cut short by the end of the data is
 * left out: `complete` is where the whole ones end.
 */
export function mp4Boxes(data: Uint8Array): { boxes: Mp4Box[]; complete: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const boxes: Mp4Box[] = [];
  let pos = 0;
  while (pos + 8 <= data.length) {
    let size = view.getUint32(pos);
    const type = String.fromCharCode(...data.subarray(pos + 4, pos + 8));
    if (size === 1) {
      if (pos + 16 > data.length) break;
      size = Number(view.getBigUint64(pos + 8));
    } else if (size === 0) {
      size = data.length - pos;
    }
    if (size < 8 || pos + size > data.length) break;
    boxes.push({ type, start: pos, size });
    pos += size;
  }
  return { boxes, complete: pos };
}

export interface ClipOptions {
  width: number;
  height: number;
  fps: number;
  gop: number;
  frames: number;
}

/**
 * A real encoded clip as the engine hands it to sinks: a pan over a textured scene through
 * H264Encoder, timestamps on the frame grid.
 */
export function encodeClip({ width, height, fps, gop, frames }: ClipOptions): EncodedFrame[] {
  const encoder = new H264Encoder(width, height, { fps, gop, preset: 'realtime' });
  const out: EncodedFrame[] = [];
  for (let i = 0; i < frames; i++) {
    const data = encoder.encode(motionFrame({ kind: 'pan', direction: 'se', speed: 1.75 }, width, height, frames, i));
    const stats = encoder.stats();
    out.push({ data, keyframe: stats.keyframe, timestampUs: Math.round((i * 1e6) / fps), index: i, stats });
  }
  encoder.close();
  return out;
}
