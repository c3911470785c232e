/**
 * `h264-studio bench`: the intra encoder's speed, bitrate and quality on the shared test sequences
 * at a fixed QP, as a Markdown table (and optionally JSON). A first version: the full report of
 * BENCHMARKS.md (QP curves, BD-rate against x264 and OpenH264) grows out of it.
 *
 * Method (BENCHMARKS.md): frames are loaded before timing; only encode() calls are timed; each clip
 * is encoded three times and the median speed reported, since absolute fps drift from run to run
 * on shared machines. PSNR is the mean over frames of per-frame PSNR of the encoder's
 * reconstruction against the source, Y and YUV weighted 6:1:1 (a perfect plane counts as 100 dB).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { H264Encoder } from '../../encoder/index.js';
import { psnrPlane } from '../media/metrics.js';
import { Y4mError, Y4mReader } from '../media/y4m.js';
import { CliError, parseArgs } from './args.js';
import type { CliIo } from './index.js';

export const DEFAULT_CLIPS = ['foreman_cif_352x288', 'flower_720p_1280x720'] as const;
const DEFAULT_FRAMES = 60;
const DEFAULT_QP = 27;
/** Encodes per clip; the reported speed is their median. */
export const RUNS = 3;
/** What a plane with zero error counts as in a mean (as in `encode` and x264). */
const PERFECT_PSNR = 100;

export const BENCH_USAGE = `Usage: h264-studio bench [options]

Encodes test sequences at a constant QP and prints a Markdown table: encode speed (median of
${RUNS} runs, time inside encode() only), kb/s, mean Y-PSNR and YUV-PSNR (6:1:1) of the
reconstruction, and the share of I4x4, I16x16 and PCM macroblocks. Progress goes to stderr.

Options
      --sequences DIR  folder of .y4m clips; default $H264_SEQUENCES, else ../shared/sequences
                       beside the repository
      --only NAMES     clips to run, comma-separated, with or without .y4m; default
                       ${DEFAULT_CLIPS.join(',')}
      --frames N       at most N frames of each clip; default ${DEFAULT_FRAMES}
      --qp N           constant quantiser, 0 to 51; default ${DEFAULT_QP}
      --json FILE      also write the results as JSON
`;

const OPTIONS = {
  sequences: { kind: 'string' },
  only: { kind: 'string' },
  frames: { kind: 'integer', min: 1 },
  qp: { kind: 'integer', min: 0, max: 51 },
  json: { kind: 'string' },
  help: { kind: 'boolean', short: 'h' },
} as const;

export interface BenchResult {
  /** File name without .y4m. */
  clip: string;
  width: number;
  height: number;
  frames: number;
  /** The clip's frame rate, used for kb/s. */
  fpsNum: number;
  fpsDen: number;
  qp: number;
  /** Encode speed in frames per second of each run, and their median. */
  fpsRuns: number[];
  fps: number;
  /** Bytes of the whole stream, identical in every run. */
  bytes: number;
  kbps: number;
  psnrY: number;
  /** (6 Y + U + V) / 8 per frame, averaged over frames. */
  psnrYuv: number;
  /** Shares of the coded macroblocks, 0..1. */
  mbShares: { i4x4: number; i16x16: number; pcm: number };
}

export interface BenchReport {
  qp: number;
  runs: number;
  maxFrames: number;
  sequences: string;
  node: string;
  cpu: string;
  results: BenchResult[];
}

export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { options: o, positionals } = parseArgs(argv, OPTIONS);
  if (o.help) {
    io.stdout.write(BENCH_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument ${positionals[0]} (bench takes options only: --only NAME)`);
  const dir = sequencesDir(o.sequences);
  const clips = o.only === undefined ? [...DEFAULT_CLIPS] : o.only.split(',').map((n) => n.trim().replace(/\.y4m$/, ''));
  if (clips.some((c) => c === '')) throw new CliError(`--only needs clip names separated by commas, got ${JSON.stringify(o.only)}`);
  for (const clip of clips) {
    if (!existsSync(join(dir, `${clip}.y4m`))) {
      const there = readdirSync(dir).filter((f) => f.endsWith('.y4m')).map((f) => f.slice(0, -4)).sort();
      throw new CliError(`no clip ${clip}.y4m in ${dir}; there are: ${there.join(', ') || 'none'}`);
    }
  }
  const qp = o.qp ?? DEFAULT_QP;
  const maxFrames = o.frames ?? DEFAULT_FRAMES;

  const results: BenchResult[] = [];
  for (const clip of clips) {
    const { header, frames } = await loadClip(join(dir, `${clip}.y4m`), maxFrames);
    io.stderr.write(`bench: ${clip}: ${frames.length} frames of ${header.width}x${header.height}, ${RUNS} runs at QP ${qp}\n`);
    results.push(benchClip(clip, header, frames, qp));
  }

  io.stdout.write(markdownTable(results));
  if (o.json !== undefined) {
    const report: BenchReport = {
      qp, runs: RUNS, maxFrames, sequences: dir, node: process.version, cpu: `${cpus()[0]?.model ?? 'unknown'} (${arch()})`, results,
    };
    try {
      await writeFile(o.json, JSON.stringify(report, null, 2) + '\n');
    } catch (e) {
      throw new CliError(`cannot write --json ${o.json}: ${(e as Error).message}`);
    }
  }
  return 0;
}

/** --sequences, else $H264_SEQUENCES, else ../shared/sequences beside the repository. */
function sequencesDir(given: string | undefined): string {
  const fromEnv = process.env.H264_SEQUENCES;
  const dir = given !== undefined ? resolve(given) : fromEnv ? resolve(fromEnv) : resolve(repoRoot(), '../shared/sequences');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const from = given !== undefined ? ' (--sequences)' : fromEnv ? ' (from H264_SEQUENCES)' : ': use --sequences DIR or set H264_SEQUENCES';
    throw new CliError(`test sequences not found at ${dir}${from}`);
  }
  return dir;
}

/**
 * The repository root: the nearest folder above this module holding h264-studio's package.json
 * (main/cli/ in the source, dist/main/cli/ when built).
 */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'h264-studio') return dir;
    } catch {
      // none here
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json of h264-studio not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

async function loadClip(path: string, maxFrames: number): Promise<{ header: Y4mReader['header']; frames: Uint8Array[] }> {
  let reader: Y4mReader;
  try {
    reader = await Y4mReader.open(path);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  try {
    const frames = await reader.readFrames(maxFrames);
    if (frames.length === 0) throw new CliError(`${path} holds no whole frame`);
    return { header: reader.header, frames };
  } catch (e) {
    if (e instanceof Y4mError) throw new CliError(`${path}: ${e.message}`);
    throw e;
  } finally {
    await reader.close();
  }
}

function benchClip(clip: string, header: Y4mReader['header'], frames: Uint8Array[], qp: number): BenchResult {
  const { width, height, fpsNum, fpsDen } = header;
  // The encoder signals whole frames per second; kb/s below uses the clip's exact rate.
  const fps = Math.min(240, Math.max(1, Math.round(fpsNum / fpsDen)));
  const cw = width >> 1, ch = height >> 1, lumaBytes = width * height;
  const fpsRuns: number[] = [];
  let bytes = -1, psnrY = 0, psnrYuv = 0;
  const mbs = { i4x4: 0, i16x16: 0, pcm: 0 };

  for (let run = 0; run < RUNS; run++) {
    let encoder: H264Encoder;
    try {
      encoder = new H264Encoder(width, height, { fps, qp });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ERR_INVALID_ARG') throw new CliError(`cannot encode ${clip} (${width}x${height}): ${(e as Error).message}`);
      throw e;
    }
    let ms = 0, runBytes = 0;
    for (const data of frames) {
      const t0 = performance.now();
      const au = encoder.encode({ width, height, format: 'i420', data });
      ms += performance.now() - t0;
      runBytes += au.length;
      if (run > 0) continue;
      // Quality and mode statistics once: the encoder is deterministic (checked by the bytes).
      const recon = encoder.reconstructed().data;
      const y = capped(psnrPlane(data, recon, width, height));
      const u = capped(psnrPlane(data.subarray(lumaBytes), recon.subarray(lumaBytes), cw, ch));
      const v = capped(psnrPlane(data.subarray(lumaBytes + cw * ch), recon.subarray(lumaBytes + cw * ch), cw, ch));
      psnrY += y;
      psnrYuv += (6 * y + u + v) / 8;
      const s = encoder.stats();
      mbs.i4x4 += s.mbI4x4;
      mbs.i16x16 += s.mbI16x16;
      mbs.pcm += s.mbPcm;
    }
    encoder.close();
    if (run === 0) bytes = runBytes;
    else if (runBytes !== bytes) throw new Error(`bench: ${clip} gave ${bytes} bytes in run 1 and ${runBytes} in run ${run + 1}: the encoder is not deterministic`);
    fpsRuns.push(frames.length / Math.max(ms / 1000, 1e-9));
  }

  const n = frames.length, totalMbs = mbs.i4x4 + mbs.i16x16 + mbs.pcm;
  return {
    clip, width, height, frames: n, fpsNum, fpsDen, qp,
    fpsRuns,
    fps: median(fpsRuns),
    bytes,
    kbps: (bytes * 8) / (n * fpsDen / fpsNum) / 1000,
    psnrY: psnrY / n,
    psnrYuv: psnrYuv / n,
    mbShares: { i4x4: mbs.i4x4 / totalMbs, i16x16: mbs.i16x16 / totalMbs, pcm: mbs.pcm / totalMbs },
  };
}

function capped(psnr: number): number {
  return Math.min(PERFECT_PSNR, psnr);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function markdownTable(results: readonly BenchResult[]): string {
  const pct = (share: number) => `${(100 * share).toFixed(1)}%`;
  const rows = [
    `| clip | resolution | frames | QP | fps (median of ${RUNS}) | kb/s | Y-PSNR (dB) | YUV-PSNR (dB) | I4x4 | I16x16 | PCM |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...results.map((r) => `| ${r.clip} | ${r.width}x${r.height} | ${r.frames} | ${r.qp} | ${r.fps.toFixed(2)} | ${r.kbps.toFixed(1)} | ` +
      `${r.psnrY.toFixed(2)} | ${r.psnrYuv.toFixed(2)} | ${pct(r.mbShares.i4x4)} | ${pct(r.mbShares.i16x16)} | ${pct(r.mbShares.pcm)} |`),
  ];
  return rows.join('\n') + '\n';
}
