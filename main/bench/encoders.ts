/**
 * The encoders the bench compares: ours (one entry per preset, each encode in its own process
 * through the CLI) and the anchors of ../shared/BENCHMARKS.md, run with its exact command lines:
 * x264 at four settings and OpenH264 through GStreamer's openh264enc. Every encoder runs on one
 * thread at a constant QP with an IDR every `gop` frames.
 */
import { accessSync, constants } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PRESETS, type PresetName } from '../../encoder/index.js';
import type { EncodeStats } from '../cli/encode.js';
import { runTool } from '../media/run-tool.js';

export type EncoderKind = 'ours' | 'x264' | 'openh264';

export interface BenchEncoder {
  /** Stable key in results.json. */
  id: string;
  /** Name in tables and plot legends. */
  label: string;
  kind: EncoderKind;
  /** ours: the preset. */
  preset?: PresetName;
  /** x264: its profile, preset and tune options (the rest of the command line is common). */
  x264Options?: readonly string[];
}

/** The BD-rate reference: x264 --profile baseline --preset medium (BENCHMARKS.md). */
export const REFERENCE_ID = 'x264-baseline-medium';
/** "Ours" in speed ratios: the encoder's default preset. */
export const OURS_ID = 'ours-balanced';

export const ENCODERS: readonly BenchEncoder[] = [
  ...PRESETS.map((preset): BenchEncoder => ({ id: `ours-${preset}`, label: `ours ${preset}`, kind: 'ours', preset })),
  { id: REFERENCE_ID, label: 'x264 baseline medium', kind: 'x264', x264Options: ['--profile', 'baseline', '--preset', 'medium'] },
  {
    id: 'x264-baseline-veryfast-zerolatency', label: 'x264 baseline veryfast zerolatency', kind: 'x264',
    x264Options: ['--profile', 'baseline', '--preset', 'veryfast', '--tune', 'zerolatency'],
  },
  { id: 'openh264-complexity-2', label: 'OpenH264 complexity 2', kind: 'openh264' },
  { id: 'x264-baseline-ultrafast', label: 'x264 baseline ultrafast', kind: 'x264', x264Options: ['--profile', 'baseline', '--preset', 'ultrafast'] },
  { id: 'x264-high-medium', label: 'x264 high medium', kind: 'x264', x264Options: ['--profile', 'high', '--preset', 'medium'] },
];

/**
 * GNU time, for every encoder's peak RSS. Not our CLI's own figure (getrusage in the process):
 * Linux carries the resident size of the process that forked it into a child's ru_maxrss, and
 * the bench, holding the frames it measures against, is much larger than an encoder.
 */
const GNU_TIME = '/usr/bin/time';

/**
 * How an encoder's fps was measured: `encode` time inside encode() calls only (ours); `x264` as
 * x264 prints it (its encoding loop, input reading included); `process` the whole gst-launch-1.0
 * process, start-up and y4m parsing included.
 */
export type FpsKind = 'encode' | 'x264' | 'process';

export interface EncodeJob {
  encoder: BenchEncoder;
  /** A .y4m holding exactly `frames` frames. */
  input: string;
  frames: number;
  qp: number;
  gop: number;
  /** Where the Annex-B stream goes (overwritten). */
  output: string;
  /** Scratch file for the process's statistics (and `${statsFile}.rss` for GNU time's). */
  statsFile: string;
  /** Our CLI's entry script, run with this Node (bin/h264-studio.js). */
  cli: string;
}

export interface EncodeOutcome {
  bytes: number;
  fps: number;
  fpsKind: FpsKind;
  /** Wall-clock seconds of the whole process. */
  wallSeconds: number;
  /** Peak resident set size of the encoding process. */
  maxRssKiB: number;
  /**
   * OpenH264 only: fps over frames 2..N from gst-launch's "Execution ended after" (PLAYING to
   * EOS; the first frame is encoded while the pipeline prerolls), without process start-up.
   */
  pipelineFps?: number;
}

/** An encoder or decoder that failed during the bench: reported as one message and exit code 1. */
export class BenchFailure extends Error {
  override name = 'BenchFailure';
}

/** The command line of one encode, as run (without the GNU time wrapper). */
export function encodeCommand(job: EncodeJob): string[] {
  const { encoder: e, input, output, frames, qp, gop } = job;
  switch (e.kind) {
    case 'ours':
      return [process.execPath, job.cli, 'encode', '-i', input, '-o', output, '--qp', `${qp}`, '--gop', `${gop}`,
        '--frames', `${frames}`, '--preset', e.preset!, '-y', '--stats-json', job.statsFile];
    case 'x264':
      return ['x264', ...e.x264Options!, '--qp', `${qp}`, '--keyint', `${gop}`, '--min-keyint', `${gop}`, '--threads', '1',
        '--frames', `${frames}`, '-o', output, input];
    case 'openh264':
      // gst-launch-1.0 escapes each argument before parsing the pipeline, so paths need no quoting.
      return ['gst-launch-1.0', 'filesrc', `location=${input}`, '!', 'y4mdec', '!', 'openh264enc', 'rate-control=quality',
        `qp-min=${qp}`, `qp-max=${qp}`, `gop-size=${gop}`, 'complexity=2', 'multi-thread=1', '!',
        'video/x-h264,stream-format=byte-stream', '!', 'filesink', `location=${output}`];
  }
}

/** The command line with placeholders (QP, GOP, N, IN, OUT), for the report. */
export function commandTemplate(encoder: BenchEncoder): string {
  // Sentinel numbers no real argument contains, replaced by the placeholders afterwards.
  const args = encodeCommand({
    encoder, input: 'IN.y4m', output: 'OUT.h264', frames: 9_990_001, qp: 9_990_002, gop: 9_990_003, statsFile: 'STATS.json', cli: 'bin/h264-studio.js',
  });
  if (encoder.kind === 'ours') args[0] = 'node';
  return args.join(' ').replaceAll('9990001', 'N').replaceAll('9990002', 'QP').replaceAll('9990003', 'GOP');
}

export async function runEncode(job: EncodeJob): Promise<EncodeOutcome> {
  const command = encodeCommand(job);
  const ours = job.encoder.kind === 'ours';
  const rssFile = `${job.statsFile}.rss`;
  const [file, ...args] = [GNU_TIME, '-f', '%M', '-o', rssFile, ...command];
  const t0 = performance.now();
  const r = await runTool(file!, args);
  const wallSeconds = (performance.now() - t0) / 1000;
  const shown = command.join(' ');
  if (r.code !== 0) throw new BenchFailure(`${job.encoder.label} failed (exit ${r.code ?? r.signal}): ${shown}${tail(r.stderr)}`);
  const bytes = (await stat(job.output)).size;
  if (bytes === 0) throw new BenchFailure(`${job.encoder.label} wrote an empty stream: ${shown}${tail(r.stderr)}`);

  // GNU time writes "Command exited with non-zero status N" before the format on failure; the
  // figure is the last line.
  const maxRssKiB = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
  if (!Number.isFinite(maxRssKiB)) throw new BenchFailure(`${GNU_TIME} gave no peak memory for: ${shown}`);

  if (ours) {
    const stats = JSON.parse(await readFile(job.statsFile, 'utf8')) as EncodeStats;
    if (stats.frames !== job.frames || stats.bytes !== bytes) {
      throw new BenchFailure(`${job.encoder.label} reports ${stats.frames} frames and ${stats.bytes} bytes, expected ${job.frames} frames and ${bytes} bytes: ${shown}`);
    }
    return { bytes, fps: job.frames / Math.max(stats.encodeSeconds, 1e-9), fpsKind: 'encode', wallSeconds, maxRssKiB };
  }
  if (job.encoder.kind === 'x264') {
    // "encoded 30 frames, 110.16 fps, 718.38 kb/s"
    const m = /encoded (\d+) frames, ([\d.]+) fps/.exec(r.stderr);
    if (!m) throw new BenchFailure(`x264 printed no "encoded N frames, X fps" line: ${shown}${tail(r.stderr)}`);
    if (Number(m[1]) !== job.frames) throw new BenchFailure(`x264 encoded ${m[1]} frames, expected ${job.frames}: ${shown}`);
    return { bytes, fps: Number(m[2]), fpsKind: 'x264', wallSeconds, maxRssKiB };
  }
  // "Execution ended after 0:00:00.066780944"
  const m = /Execution ended after (\d+):(\d+):([\d.]+)/.exec(r.stdout.toString());
  const pipelineSeconds = m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : Number.NaN;
  return {
    bytes, fps: job.frames / wallSeconds, fpsKind: 'process', wallSeconds, maxRssKiB,
    ...(job.frames > 1 && pipelineSeconds > 0 && { pipelineFps: (job.frames - 1) / pipelineSeconds }),
  };
}

/** The last lines of a tool's stderr, indented under the message. */
function tail(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-8);
  return lines.length ? `\n  ${lines.join('\n  ')}` : '';
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

async function gstElement(name: string): Promise<boolean> {
  return (await runTool('gst-inspect-1.0', ['--exists', name])).code === 0;
}

/**
 * What the bench needs that is missing, as "what (Debian package)" strings and the packages, in
 * the order scripts/setup-bench-deps.sh installs them.
 */
export async function missingTools(): Promise<{ what: string[]; packages: string[] }> {
  const what: string[] = [], packages = new Set<string>();
  const need = (w: string, p: string) => {
    what.push(`${w} (${p})`);
    packages.add(p);
  };
  if (!onPath('x264')) need('x264', 'x264');
  if (!onPath('ffmpeg')) need('ffmpeg', 'ffmpeg');
  try {
    accessSync(GNU_TIME, constants.X_OK);
  } catch {
    need(GNU_TIME, 'time');
  }
  if (!onPath('gst-launch-1.0') || !onPath('gst-inspect-1.0')) {
    need('gst-launch-1.0', 'gstreamer1.0-tools');
    need('GStreamer elements openh264enc and y4mdec', 'gstreamer1.0-plugins-bad');
  } else {
    for (const element of ['openh264enc', 'y4mdec']) if (!(await gstElement(element))) need(`GStreamer element ${element}`, 'gstreamer1.0-plugins-bad');
  }
  return { what, packages: [...packages] };
}

export interface ToolVersions {
  x264: string;
  /** The GStreamer plugin holding openh264enc. */
  gstOpenh264: string;
  /** The OpenH264 library's Debian package and version, when dpkg knows it. */
  openh264: string;
  ffmpeg: string;
}

export async function toolVersions(): Promise<ToolVersions> {
  const firstLine = async (file: string, args: string[]) => {
    try {
      const r = await runTool(file, args);
      return r.stdout.toString().split('\n')[0]!.trim() || 'unknown';
    } catch {
      return 'unknown';
    }
  };
  let gstOpenh264 = 'unknown', openh264 = 'unknown';
  try {
    const r = await runTool('gst-inspect-1.0', ['openh264enc']);
    const v = /^\s*Version\s+(\S+)/m.exec(r.stdout.toString());
    if (v) gstOpenh264 = `GStreamer openh264enc ${v[1]}`;
  } catch {
    // reported as unknown
  }
  try {
    const r = await runTool('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', 'libopenh264*']);
    const installed = r.stdout.toString().split('\n').filter((l) => /^\S+ \S+$/.test(l.trim()));
    if (r.code === 0 && installed.length > 0) openh264 = installed.join(', ');
  } catch {
    // no dpkg: reported as unknown
  }
  return {
    x264: await firstLine('x264', ['--version']),
    gstOpenh264,
    openh264,
    // "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers"
    ffmpeg: (await firstLine('ffmpeg', ['-hide_banner', '-version'])).replace(/ Copyright .*$/, ''),
  };
}
