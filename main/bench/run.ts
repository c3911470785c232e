/**
 * The bench's measurements: rate-distortion curves (every encoder at each QP, every stream decoded
 * by ffmpeg and measured against the source) and speed (every encoder on the same clip, runs
 * alternating between encoders, medians). Pure orchestration: what to run comes in a BenchPlan,
 * everything measured goes out in BenchResults; the report is drawn from those alone.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeWithFfmpeg } from '../media/ffmpeg-decode.js';
import { psnrPlane, ssimPlane } from '../media/metrics.js';
import { Y4mReader } from '../media/y4m.js';
import { BD_MIN_POINTS, bdRate } from './bd-rate.js';
import { BenchFailure, type BenchEncoder, type FpsKind, REFERENCE_ID, runEncode } from './encoders.js';

/** What a plane with zero error counts as in a mean (as in `encode` and x264). */
export const PERFECT_PSNR = 100;

export interface ClipInfo {
  /** File name without .y4m. */
  name: string;
  path: string;
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Whole frames in the file. */
  totalFrames: number;
}

export interface ClipJob {
  clip: ClipInfo;
  /** Frames used from the start of the clip. */
  frames: number;
  /**
   * Play the clip over and over to `frames` when it is shorter (a speed run long enough to show
   * the sustained rate). Without it, `frames` must not exceed the clip.
   */
  loop?: boolean;
}

export interface BenchPlan {
  curves: ClipJob[];
  speed: ClipJob[];
  qps: number[];
  speedQp: number;
  gop: number;
  runs: number;
  encoders: readonly BenchEncoder[];
  /** Our CLI's entry script (bin/h264-studio.js). */
  cli: string;
  /** Scratch folder for trimmed clips and streams. */
  workDir: string;
  log: (line: string) => void;
}

export interface CurvePoint {
  encoder: string;
  qp: number;
  bytes: number;
  kbps: number;
  /** Means over frames of per-frame PSNR (each capped at PERFECT_PSNR) and SSIM (Y). */
  psnrY: number;
  psnrU: number;
  psnrV: number;
  /** Mean over frames of (6 Y + U + V) / 8 of the frame's PSNRs. */
  psnrYuv: number;
  ssimY: number;
  fps: number;
  fpsKind: FpsKind;
  pipelineFps?: number;
  perFrame: { psnrY: number[]; psnrU: number[]; psnrV: number[]; ssimY: number[] };
}

export interface BdRateEntry {
  encoder: string;
  /** Percent against the reference; null when it cannot be computed (see `note`). */
  psnrY: number | null;
  psnrYuv: number | null;
  note?: string;
}

export interface ClipCurves {
  clip: string;
  width: number;
  height: number;
  frames: number;
  fpsNum: number;
  fpsDen: number;
  points: CurvePoint[];
  reference: string;
  bdRate: BdRateEntry[];
}

export interface SpeedEntry {
  encoder: string;
  fpsKind: FpsKind;
  /** Per run, in run order. */
  fps: number[];
  medianFps: number;
  /** OpenH264: fps from the pipeline's own run time (see EncodeOutcome.pipelineFps). */
  pipelineFps?: number[];
  medianPipelineFps?: number;
  wallSeconds: number[];
  /** Largest peak RSS over the runs. */
  maxRssKiB: number;
}

export interface ClipSpeed {
  clip: string;
  width: number;
  height: number;
  frames: number;
  /** Frames of the clip the run plays (fewer than `frames` when looped). */
  sourceFrames: number;
  qp: number;
  runs: number;
  entries: SpeedEntry[];
  /** ratios[ours][other] = median fps of ours / median fps of other, for each of our presets. */
  ratios: Record<string, Record<string, number>>;
}

export interface Measurements {
  curves: ClipCurves[];
  speed: ClipSpeed[];
}

export async function runBench(plan: BenchPlan): Promise<Measurements> {
  const total = plan.curves.length * plan.qps.length * plan.encoders.length + plan.speed.length * plan.runs * plan.encoders.length;
  let done = 0;
  const t0 = performance.now();
  const progress = (text: string) => {
    done++;
    const elapsed = (performance.now() - t0) / 1000;
    plan.log(`bench: [${done}/${total}, ${formatElapsed(elapsed)}] ${text}`);
  };
  const curves: ClipCurves[] = [];
  for (const job of plan.curves) curves.push(await measureCurves(plan, job, progress));
  const speed: ClipSpeed[] = [];
  for (const job of plan.speed) speed.push(await measureSpeed(plan, job, progress));
  return { curves, speed };
}

function formatElapsed(seconds: number): string {
  const m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * The first `frames` frames of a clip as their own .y4m in the work folder (the header line
 * copied as it is, so x264 sees the same tags as in the original), and those frames; a looped
 * job's clip is repeated to that length.
 */
async function trimClip(plan: BenchPlan, job: ClipJob): Promise<{ path: string; frames: Uint8Array[]; sourceFrames: number }> {
  const reader = await Y4mReader.open(job.clip.path);
  let frames: Uint8Array[];
  try {
    frames = await reader.readFrames(job.frames);
  } finally {
    await reader.close();
  }
  const sourceFrames = frames.length;
  if (job.loop && sourceFrames > 0) frames = Array.from({ length: job.frames }, (_, i) => frames[i % sourceFrames]!);
  if (frames.length !== job.frames) throw new BenchFailure(`${job.clip.path}: read ${frames.length} frames, expected ${job.frames}`);
  const header = new Uint8Array(reader.header.headerBytes);
  const original = await open(job.clip.path, 'r');
  try {
    await original.read(header, 0, header.length, 0);
  } finally {
    await original.close();
  }
  const path = join(plan.workDir, `${job.clip.name}-${job.frames}f${job.loop ? '-looped' : ''}.y4m`);
  const file = await open(path, 'w');
  try {
    await file.write(header);
    const frameLine = Buffer.from('FRAME\n');
    for (const f of frames) {
      await file.write(frameLine);
      await file.write(f);
    }
  } finally {
    await file.close();
  }
  return { path, frames, sourceFrames };
}

async function measureCurves(plan: BenchPlan, job: ClipJob, progress: (text: string) => void): Promise<ClipCurves> {
  const { clip, frames: n } = job;
  const { path: input, frames: source } = await trimClip(plan, job);
  const seconds = (n * clip.fpsDen) / clip.fpsNum;
  const points: CurvePoint[] = [];
  for (const qp of plan.qps) {
    for (const encoder of plan.encoders) {
      const output = join(plan.workDir, `${clip.name}-${encoder.id}-qp${qp}.h264`);
      const outcome = await runEncode({
        encoder, input, frames: n, qp, gop: plan.gop, output, statsFile: join(plan.workDir, 'stats.txt'), cli: plan.cli,
      });
      const stream = await readFile(output);
      let decoded: Uint8Array[];
      try {
        decoded = (await decodeWithFfmpeg(stream, { width: clip.width, height: clip.height, expectedFrames: n })).frames;
      } catch (e) {
        throw new BenchFailure(`the stream of ${encoder.label} at QP ${qp} on ${clip.name} does not decode cleanly (kept at ${output}): ${(e as Error).message}`);
      }
      const q = measureQuality(source, decoded, clip.width, clip.height);
      const point: CurvePoint = {
        encoder: encoder.id, qp, bytes: outcome.bytes, kbps: (outcome.bytes * 8) / seconds / 1000,
        ...q.means, fps: outcome.fps, fpsKind: outcome.fpsKind,
        ...(outcome.pipelineFps !== undefined && { pipelineFps: outcome.pipelineFps }),
        perFrame: q.perFrame,
      };
      points.push(point);
      progress(`${clip.name} QP ${qp} ${encoder.label}: ${point.kbps.toFixed(1)} kb/s, Y-PSNR ${point.psnrY.toFixed(2)} dB, ` +
        `SSIM ${point.ssimY.toFixed(4)}, ${point.fps.toFixed(1)} fps`);
    }
  }
  return {
    clip: clip.name, width: clip.width, height: clip.height, frames: n, fpsNum: clip.fpsNum, fpsDen: clip.fpsDen,
    points, reference: REFERENCE_ID, bdRate: bdRates(plan, points),
  };
}

/** Per-frame and mean PSNR (Y, U, V, 6:1:1) and SSIM (Y) of decoded frames against the source. */
export function measureQuality(source: readonly Uint8Array[], decoded: readonly Uint8Array[], width: number, height: number) {
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1, lumaBytes = width * height, chromaBytes = cw * ch;
  const perFrame = { psnrY: [] as number[], psnrU: [] as number[], psnrV: [] as number[], ssimY: [] as number[] };
  const capped = (v: number) => Math.min(PERFECT_PSNR, v);
  for (let i = 0; i < source.length; i++) {
    const a = source[i]!, b = decoded[i]!;
    perFrame.psnrY.push(capped(psnrPlane(a, b, width, height)));
    perFrame.psnrU.push(capped(psnrPlane(a.subarray(lumaBytes), b.subarray(lumaBytes), cw, ch)));
    perFrame.psnrV.push(capped(psnrPlane(a.subarray(lumaBytes + chromaBytes), b.subarray(lumaBytes + chromaBytes), cw, ch)));
    perFrame.ssimY.push(ssimPlane(a, b, width, height));
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const yuv = perFrame.psnrY.map((y, i) => (6 * y + perFrame.psnrU[i]! + perFrame.psnrV[i]!) / 8);
  return {
    means: { psnrY: mean(perFrame.psnrY), psnrU: mean(perFrame.psnrU), psnrV: mean(perFrame.psnrV), psnrYuv: mean(yuv), ssimY: mean(perFrame.ssimY) },
    perFrame,
  };
}

function bdRates(plan: BenchPlan, points: CurvePoint[]): BdRateEntry[] {
  const curveOf = (id: string, quality: 'psnrY' | 'psnrYuv') => points.filter((p) => p.encoder === id).map((p) => ({ rate: p.kbps, quality: p[quality] }));
  if (!plan.encoders.some((e) => e.id === REFERENCE_ID)) return [];
  return plan.encoders.map((e): BdRateEntry => {
    if (plan.qps.length < BD_MIN_POINTS) return { encoder: e.id, psnrY: null, psnrYuv: null, note: `needs ${BD_MIN_POINTS} QPs, got ${plan.qps.length}` };
    const value = (quality: 'psnrY' | 'psnrYuv') => {
      try {
        const v = bdRate(curveOf(REFERENCE_ID, quality), curveOf(e.id, quality));
        return Number.isNaN(v) ? null : v;
      } catch {
        return null;
      }
    };
    const psnrY = value('psnrY'), psnrYuv = value('psnrYuv');
    return { encoder: e.id, psnrY, psnrYuv, ...((psnrY === null || psnrYuv === null) && { note: 'no common quality range, or qualities that fit no cubic' }) };
  });
}

async function measureSpeed(plan: BenchPlan, job: ClipJob, progress: (text: string) => void): Promise<ClipSpeed> {
  const { clip, frames: n } = job;
  const { path: input, sourceFrames } = await trimClip(plan, job);
  const entries = new Map<string, SpeedEntry>();
  // Alternate: every encoder once per run, so a slow spell of a shared machine touches all of them.
  for (let run = 1; run <= plan.runs; run++) {
    for (const encoder of plan.encoders) {
      const outcome = await runEncode({
        encoder, input, frames: n, qp: plan.speedQp, gop: plan.gop, output: join(plan.workDir, 'speed.h264'),
        statsFile: join(plan.workDir, 'stats.txt'), cli: plan.cli,
      });
      let e = entries.get(encoder.id);
      if (!e) {
        e = { encoder: encoder.id, fpsKind: outcome.fpsKind, fps: [], medianFps: 0, wallSeconds: [], maxRssKiB: 0 };
        entries.set(encoder.id, e);
      }
      e.fps.push(outcome.fps);
      e.wallSeconds.push(outcome.wallSeconds);
      e.maxRssKiB = Math.max(e.maxRssKiB, outcome.maxRssKiB);
      if (outcome.pipelineFps !== undefined) (e.pipelineFps ??= []).push(outcome.pipelineFps);
      progress(`speed ${clip.name} run ${run}/${plan.runs} ${encoder.label}: ${outcome.fps.toFixed(2)} fps, ${(outcome.maxRssKiB / 1024).toFixed(0)} MiB`);
    }
  }
  for (const e of entries.values()) {
    e.medianFps = median(e.fps);
    if (e.pipelineFps) e.medianPipelineFps = median(e.pipelineFps);
  }
  const ratios: Record<string, Record<string, number>> = {};
  for (const ours of plan.encoders.filter((e) => e.kind === 'ours')) {
    const r: Record<string, number> = {};
    for (const other of plan.encoders) if (other.id !== ours.id) r[other.id] = entries.get(ours.id)!.medianFps / entries.get(other.id)!.medianFps;
    ratios[ours.id] = r;
  }
  return {
    clip: clip.name, width: clip.width, height: clip.height, frames: n, sourceFrames, qp: plan.speedQp, runs: plan.runs,
    entries: [...entries.values()], ratios,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

