/**
 * The bench's rate-control section (issue 5): our encoder at a bitrate target, 'cbr' (the default
 * one-second VBV) and 'vbr', against x264 at the same target on the same clip. Each run is judged
 * from what was produced, not from what the encoder says of itself: the achieved average bitrate,
 * the largest sliding one-second window, VBV underflows counted by an independent leaky bucket over
 * the frame sizes, the QP range seen against the bounds, frames in against frames decoded, and
 * Y-PSNR of the ffmpeg-decoded stream against the source.
 *
 * The 720p clips are short (19 and 30 frames), so they are looped to 20 s: in memory for our
 * encoder, and piped to x264's stdin as one looped y4m (never written out: 800 MB).
 *
 * Our encodes run in worker threads (main/bench/rate-control-worker.ts) so that two can run at once
 * on two cores: a run at 720p takes minutes. Pure orchestration and measuring; report.ts renders.
 */
import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { H264Encoder, type EncoderOptions, type PresetName } from '../../encoder/index.js';
import { decodeWithFfmpeg } from '../media/ffmpeg-decode.js';
import { psnrPlane } from '../media/metrics.js';
import { Y4mReader } from '../media/y4m.js';
import { BenchFailure } from './encoders.js';
import type { ClipInfo } from './run.js';

export type RateControlMode = 'cbr' | 'vbr';

/** IDR every GOP frames, for us and x264, as in the rest of the bench. */
export const RC_GOP = 30;
/** QP bounds of every run but one: wide, so that they never stop a run reaching its target (150 kb/s needs QPs above 40). */
export const RC_QP_BOUNDS = [10, 51] as const;
/** The leaky bucket starts this full (x264's --vbv-init default, and our encoder's). */
export const VBV_INITIAL_FILL = 0.9;

/** The targets of issue 5. */
export const RC_TARGETS = {
  /** Average bitrate within ±3% of the target. */
  averageErrorPct: 3,
  /** cbr: no 1-second window above 1.2 times the target. */
  maxWindow: 1.2,
  /** Y-PSNR at most this far below x264's at the same target. */
  psnrBelowX264: 0.3,
} as const;

/** One run of the section as planned: a clip (looped to `seconds`), a preset, a mode and a target. */
export interface RateControlRunSpec {
  /** File name of the clip without .y4m. */
  clip: string;
  /** Name in the tables: `foreman`, `flower-20s`. */
  label: string;
  /** Length of the run; a shorter clip is looped to it. */
  seconds: number;
  preset: PresetName;
  mode: RateControlMode;
  /** Target, bits per second. */
  bitrate: number;
  qpMin: number;
  qpMax: number;
}

function specs(clip: string, label: string, seconds: number, preset: PresetName, targets: [RateControlMode, number][]): RateControlRunSpec[] {
  return targets.map(([mode, bitrate]) => ({ clip, label, seconds, preset, mode, bitrate, qpMin: RC_QP_BOUNDS[0], qpMax: RC_QP_BOUNDS[1] }));
}

/**
 * The default runs: 150 kb/s to 8 Mb/s over CIF and 720p, all with 'balanced', the default preset
 * (what the studio and the CLI use unless told otherwise). A 720p loop of 600 frames takes about 2
 * to 4 minutes, so the section takes about 18 minutes on two cores. Last, one run with narrow QP
 * bounds, to show they hold while the target is still met.
 */
export const DEFAULT_RC_RUNS: readonly RateControlRunSpec[] = [
  ...specs('foreman_cif_352x288', 'foreman', 10, 'balanced', [
    ['cbr', 150_000], ['vbr', 150_000], ['cbr', 500_000], ['vbr', 500_000], ['cbr', 1_500_000], ['vbr', 1_500_000],
  ]),
  ...specs('flower_720p_1280x720', 'flower-20s', 20, 'balanced', [['cbr', 1_000_000], ['cbr', 4_000_000], ['vbr', 4_000_000], ['cbr', 8_000_000]]),
  ...specs('office_720p_1280x720', 'office-20s', 20, 'balanced', [['cbr', 500_000], ['vbr', 500_000], ['cbr', 2_000_000]]),
  { clip: 'foreman_cif_352x288', label: 'foreman', seconds: 10, preset: 'balanced', mode: 'cbr', bitrate: 500_000, qpMin: 28, qpMax: 36 },
];

export interface RateControlPlan {
  runs: readonly RateControlRunSpec[];
  clips: ReadonlyMap<string, ClipInfo>;
  /** At most this many frames per run (quick runs); default: the run's length. */
  maxFrames?: number;
  /** Encodes at once (ours in worker threads, x264 processes). */
  jobs: number;
  /**
   * The built rate-control-worker.js that runs our encodes in worker threads (dist/main/bench/ of
   * the CLI the bench uses); null runs them in this thread, one at a time.
   */
  worker: string | null;
  /** Scratch folder for x264's streams (and ours when a stream fails to decode). */
  workDir: string;
  log: (line: string) => void;
}

// ------------------------------------------------------------------ measures over frame sizes

export interface LeakyBucketResult {
  /** Frames larger than the fill when they were removed. */
  underflows: number;
  /** Index of each such frame. */
  underflowFrames: number[];
  /** Lowest fill left after removing a frame, in bits (negative at an underflow). */
  minFill: number;
}

/**
 * An independent VBV check (the decoder's coded picture buffer, H.264 Annex C, at a constant
 * arrival rate): a bucket of `bufferBits` starts at `initialFill` of its size; before each frame
 * it gains bitrate / fps bits, capped at its size; then the frame's bits are removed. A frame
 * larger than the fill underflows (a real decoder would have to wait for it); the bucket is then
 * taken as empty, as x264 does, so that one deep underflow counts once.
 */
export function leakyBucket(frameBits: readonly number[], bitrate: number, fps: number, bufferBits: number, initialFill = VBV_INITIAL_FILL): LeakyBucketResult {
  const perFrame = bitrate / fps;
  let fill = initialFill * bufferBits, minFill = Infinity;
  const underflowFrames: number[] = [];
  frameBits.forEach((bits, i) => {
    fill = Math.min(bufferBits, fill + perFrame);
    fill -= bits;
    minFill = Math.min(minFill, fill);
    if (fill < 0) {
      underflowFrames.push(i);
      fill = 0;
    }
  });
  return { underflows: underflowFrames.length, underflowFrames, minFill: frameBits.length > 0 ? minFill : initialFill * bufferBits };
}

/**
 * The largest sum of `window` consecutive frame sizes (sliding one frame at a time) as a ratio of
 * what the target allows over that time, and the first frame of that window. Fewer frames than a
 * window: all of them, against their own duration.
 */
export function maxWindow(frameBytes: readonly number[], bitrate: number, fps: number, window = Math.round(fps)): { ratio: number; start: number } {
  const n = Math.min(window, frameBytes.length);
  if (n === 0) return { ratio: 0, start: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += frameBytes[i]!;
  let best = sum, start = 0;
  for (let i = n; i < frameBytes.length; i++) {
    sum += frameBytes[i]! - frameBytes[i - n]!;
    if (sum > best) {
      best = sum;
      start = i - n + 1;
    }
  }
  return { ratio: (best * 8) / (bitrate * n / fps), start };
}

/**
 * Sizes in bytes of the access units of an Annex-B stream, each counted from its first start code
 * (zero_byte included) to the next access unit's. A new access unit starts (7.4.1.2.3) at an
 * access unit delimiter, SEI, SPS or PPS (types 6..9) that follows a slice, or at a slice with
 * first_mb_in_slice = 0 (its ue(v) coded as a single 1 bit) that follows a slice; x264 and our
 * encoder send no other NAL unit types, and one picture per access unit.
 */
export function accessUnitSizes(stream: Uint8Array): number[] {
  const starts: number[] = [];
  let afterVcl = true;
  for (let i = 0; i + 3 < stream.length; i++) {
    if (stream[i] !== 0 || stream[i + 1] !== 0 || stream[i + 2] !== 1) continue;
    const header = stream[i + 3]!, type = header & 0x1f;
    const vcl = type === 1 || type === 5;
    const firstMbZero = vcl && i + 4 < stream.length && (stream[i + 4]! & 0x80) !== 0;
    if (afterVcl && ((type >= 6 && type <= 9) || firstMbZero)) starts.push(i > 0 && stream[i - 1] === 0 ? i - 1 : i);
    afterVcl = vcl;
    i += 3;
  }
  return starts.map((s, k) => (starts[k + 1] ?? stream.length) - s);
}

/** Mean Y-PSNR of decoded frames against the (looped) source; a perfect frame counts as 100 dB. */
function meanPsnrY(source: readonly Uint8Array[], decoded: readonly Uint8Array[], width: number, height: number): number {
  let sum = 0;
  for (let i = 0; i < decoded.length; i++) sum += Math.min(100, psnrPlane(source[i % source.length]!, decoded[i]!, width, height));
  return sum / decoded.length;
}

// ------------------------------------------------------------------ our encoder

/** What an encode of ours needs: plain data, so it can be posted to a worker thread. */
export interface OursJob {
  /** The .y4m and how many of its frames to use (looped). */
  source: string;
  sourceFrames: number;
  frames: number;
  width: number;
  height: number;
  options: EncoderOptions;
}

export interface OursOutcome {
  stream: Uint8Array;
  /** Per frame, from encode() and stats(). */
  bytes: number[];
  types: string;
  qpAvg: number[];
  qpMin: number[];
  qpMax: number[];
  psnrY: number[];
  encodeMs: number[];
  sceneCuts: number;
  reencoded: number;
  /** The VBV size the encoder resolved (its default: one second of the bitrate). */
  vbvBuffer: number;
}

/** Reads the source and encodes it, looped to `frames` (in a worker thread, or in this one). */
export async function encodeLooped(job: OursJob): Promise<OursOutcome> {
  const reader = await Y4mReader.open(job.source);
  let source: Uint8Array[];
  try {
    source = await reader.readFrames(job.sourceFrames);
  } finally {
    await reader.close();
  }
  if (source.length !== job.sourceFrames) throw new Error(`${job.source}: read ${source.length} frames, expected ${job.sourceFrames}`);
  const { width, height } = job;
  const encoder = new H264Encoder(width, height, job.options);
  const out: OursOutcome = {
    stream: new Uint8Array(0), bytes: [], types: '', qpAvg: [], qpMin: [], qpMax: [], psnrY: [], encodeMs: [], sceneCuts: 0, reencoded: 0,
    vbvBuffer: encoder.options.vbvBuffer,
  };
  const units: Uint8Array[] = [];
  for (let i = 0; i < job.frames; i++) {
    const au = encoder.encode({ width, height, format: 'i420', data: source[i % source.length]! });
    const s = encoder.stats();
    units.push(au);
    out.bytes.push(au.length);
    out.types += s.type;
    out.qpAvg.push(s.qpAvg);
    out.qpMin.push(s.qpMin);
    out.qpMax.push(s.qpMax);
    out.psnrY.push(s.psnrY ?? Number.NaN);
    out.encodeMs.push(s.encodeMs);
    if (s.sceneCut) out.sceneCuts++;
    if (s.reencoded) out.reencoded++;
  }
  encoder.close();
  out.stream = new Uint8Array(out.bytes.reduce((a, b) => a + b, 0));
  let pos = 0;
  for (const u of units) {
    out.stream.set(u, pos);
    pos += u.length;
  }
  return out;
}

function encodeInWorker(worker: string, job: OursJob): Promise<OursOutcome> {
  return new Promise((resolve, reject) => {
    const w = new Worker(worker, { workerData: job });
    let settled = false;
    w.on('message', (m: OursOutcome) => {
      settled = true;
      resolve(m);
    });
    w.on('error', (e) => {
      settled = true;
      reject(e);
    });
    w.on('exit', (code) => {
      if (!settled) reject(new Error(`the encoder's worker thread exited with ${code} and no result`));
    });
  });
}

// ------------------------------------------------------------------ x264

/**
 * How x264 runs: `zero-lookahead` under the constraint issue 5 sets our encoder (each frame's bits
 * decided when it arrives: `--tune zerolatency`, whose --rc-lookahead 0 and --no-mbtree are what
 * matter here); `lookahead` as x264 runs by default, with a 40-frame lookahead and its macroblock
 * tree, which live encoding cannot have. Our Y-PSNR is judged against both.
 */
export type X264Variant = 'zero-lookahead' | 'lookahead';

/**
 * x264 at the same target with the bench's reference settings (BENCHMARKS.md: baseline, preset
 * medium, IDR every 30 frames, one thread): ABR, plus a VBV of one second at the target for the
 * cbr runs, and `--tune zerolatency` for the zero-lookahead variant. The lookahead variant is the
 * setting whose overshoot (+3.3% to +5.2%) the rate-control issue quotes. `--tune psnr` would
 * switch off its AQ and psy-rd and gain it about 0.5 dB of Y-PSNR; neither variant uses it.
 */
export function x264Command(mode: RateControlMode, kbps: number | 'K', frames: number | 'N', output: string, variant: X264Variant): string[] {
  return [
    'x264', '--profile', 'baseline', '--preset', 'medium', ...(variant === 'zero-lookahead' ? ['--tune', 'zerolatency'] : []), '--bitrate', `${kbps}`,
    ...(mode === 'cbr' ? ['--vbv-maxrate', `${kbps}`, '--vbv-bufsize', `${kbps}`] : []),
    '--keyint', `${RC_GOP}`, '--min-keyint', `${RC_GOP}`, '--threads', '1', '--frames', `${frames}`,
    '--demuxer', 'y4m', '-o', output, '-',
  ];
}

/** Runs x264 with the clip's header and `frames` looped frames written to its stdin. */
function runX264(args: string[], header: Uint8Array, source: readonly Uint8Array[], frames: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new Error(`cannot run ${args[0]}: ${e.message}`)));
    child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
    // x264 stops reading after --frames; a write it no longer takes fails with EPIPE, which its
    // exit status reports.
    let stopped = false;
    child.stdin.on('error', () => (stopped = true));
    const frameLine = Buffer.from('FRAME\n');
    const write = (chunk: Uint8Array) => new Promise<void>((done) => {
      if (stopped || child.stdin.write(chunk)) done();
      else {
        const go = () => {
          child.stdin.off('close', go);
          child.stdin.off('drain', go);
          done();
        };
        child.stdin.once('drain', go);
        child.stdin.once('close', go);
      }
    });
    void (async () => {
      await write(header);
      for (let i = 0; i < frames && !stopped; i++) {
        await write(frameLine);
        await write(source[i % source.length]!);
      }
      child.stdin.end();
    })();
  });
}

// ------------------------------------------------------------------ results

export interface SideResult {
  bytes: number;
  kbps: number;
  /** Achieved against the target, percent. */
  errorPct: number;
  /** Largest 1-second window, as a ratio of the target; `maxWindowStart` its first frame. */
  maxWindow: number;
  maxWindowStart: number;
  /** cbr runs: frames the leaky bucket saw underflow; null for vbr (no VBV). */
  underflows: number | null;
  underflowFrames: number[] | null;
  /** Frames the stream decoded to (ffmpeg). */
  framesOut: number;
  /** Mean Y-PSNR of the decoded frames against the source. */
  psnrY: number;
  fps: number;
  /** Bytes of each access unit. */
  frameBytes: number[];
}

export interface OursResult extends SideResult {
  framesIn: number;
  /** Lowest and highest QP_Y of any macroblock (stats().qpMin, qpMax). */
  qpSeenMin: number;
  qpSeenMax: number;
  /** Mean over frames of stats().qpAvg. */
  qpAvg: number;
  /** Mean of stats().psnrY (against the encoder's reconstruction): equals psnrY when ffmpeg decodes exactly that. */
  psnrYRecon: number;
  encodeSeconds: number;
  idrFrames: number;
  sceneCuts: number;
  reencoded: number;
  /** stats().qpAvg of each frame, 2 decimals. */
  frameQp: number[];
}

export interface X264Result extends SideResult {
  command: string;
}

/** Each target of issue 5: true met, false missed, null does not apply (vbr has no VBV). */
export interface RateControlChecks {
  average: boolean;
  window: boolean | null;
  underflow: boolean | null;
  qpBounds: boolean;
  frameCount: boolean;
  /** Y-PSNR against x264 with zero lookahead, and against x264 as it runs by default. */
  psnr: boolean;
  psnrLookahead: boolean;
}

export interface RateControlRun {
  id: string;
  clip: string;
  label: string;
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Frames of the clip that are looped. */
  sourceFrames: number;
  frames: number;
  preset: PresetName;
  mode: RateControlMode;
  bitrate: number;
  /** cbr: the VBV size (the encoder's default, one second of the bitrate); null for vbr. */
  vbvBuffer: number | null;
  qpMin: number;
  qpMax: number;
  ours: OursResult;
  /** x264 with zero lookahead, as ours: the first reference of the Y-PSNR target. */
  x264: X264Result;
  /**
   * x264 as it runs by default (40-frame lookahead, macroblock tree): the setting whose overshoot
   * the issue quotes, so "x264's ABR" in its quality target may mean it; judged too.
   */
  x264Lookahead: X264Result;
  checks: RateControlChecks;
}

export interface RateControlResults {
  status: 'measured';
  gop: number;
  jobs: number;
  vbvInitialFill: number;
  targets: typeof RC_TARGETS;
  runtimeSeconds: number;
  runs: RateControlRun[];
}

export function runId(spec: RateControlRunSpec): string {
  const wide = spec.qpMin === RC_QP_BOUNDS[0] && spec.qpMax === RC_QP_BOUNDS[1];
  return `${spec.label}-${formatBitrate(spec.bitrate)}-${spec.mode}${wide ? '' : `-qp${spec.qpMin}-${spec.qpMax}`}`;
}

/** 150k, 1.5M, 8M. */
export function formatBitrate(bps: number): string {
  return bps >= 1e6 ? `${Number((bps / 1e6).toPrecision(3))}M` : `${Number((bps / 1e3).toPrecision(3))}k`;
}

export function evaluateChecks(run: Pick<RateControlRun, 'mode' | 'qpMin' | 'qpMax' | 'ours' | 'x264' | 'x264Lookahead'>): RateControlChecks {
  const { ours } = run, cbr = run.mode === 'cbr';
  return {
    average: Math.abs(ours.errorPct) <= RC_TARGETS.averageErrorPct,
    window: cbr ? ours.maxWindow <= RC_TARGETS.maxWindow : null,
    underflow: cbr ? ours.underflows === 0 : null,
    qpBounds: ours.qpSeenMin >= run.qpMin && ours.qpSeenMax <= run.qpMax,
    frameCount: ours.framesOut === ours.framesIn && ours.frameBytes.length === ours.framesIn,
    psnr: ours.psnrY >= run.x264.psnrY - RC_TARGETS.psnrBelowX264,
    psnrLookahead: ours.psnrY >= run.x264Lookahead.psnrY - RC_TARGETS.psnrBelowX264,
  };
}

// ------------------------------------------------------------------ orchestration

interface PreparedRun {
  spec: RateControlRunSpec;
  id: string;
  clip: ClipInfo;
  fps: number;
  sourceFrames: number;
  frames: number;
}

/** A clip's header line as written (x264 sees the original tags) and its first frames. */
interface LoadedClip {
  header: Uint8Array;
  frames: Uint8Array[];
}

export async function runRateControl(plan: RateControlPlan): Promise<RateControlResults> {
  const t0 = performance.now();
  const prepared = plan.runs.map((spec): PreparedRun => {
    const clip = plan.clips.get(spec.clip);
    if (!clip) throw new Error(`rate control: clip ${spec.clip} was not given`);
    const fps = clip.fpsNum / clip.fpsDen;
    const frames = Math.min(Math.round(spec.seconds * fps), plan.maxFrames ?? Infinity);
    return { spec, id: runId(spec), clip, fps, frames, sourceFrames: Math.min(clip.totalFrames, frames) };
  });
  // Each clip once, as many frames as its longest run loops.
  const need = new Map<string, number>();
  for (const r of prepared) need.set(r.clip.name, Math.max(need.get(r.clip.name) ?? 0, r.sourceFrames));
  const loaded = new Map<string, LoadedClip>();
  for (const [name, count] of need) loaded.set(name, await loadClip(plan.clips.get(name)!, count));

  const ours = new Map<string, OursResult>(), x264 = new Map<string, X264Result>(), x264Lookahead = new Map<string, X264Result>();
  // Decoding a 720p run holds its 600 frames (830 MB): one decode at a time.
  let decodeQueue = Promise.resolve();
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const p = decodeQueue.then(f);
    decodeQueue = p.then(() => undefined, () => undefined);
    return p;
  };

  const describe = (r: PreparedRun) => `${r.spec.label} ${formatBitrate(r.spec.bitrate)} ${r.spec.mode}` +
    (r.id.includes('-qp') ? ` QP ${r.spec.qpMin}-${r.spec.qpMax}` : '');
  const tasks: { cost: number; run: () => Promise<string> }[] = [];
  for (const r of prepared) {
    const samples = r.frames * r.clip.width * r.clip.height;
    tasks.push({ cost: samples * PRESET_COST[r.spec.preset], run: async () => {
      const res = await measureOurs(plan, r, loaded.get(r.clip.name)!, exclusive);
      ours.set(r.id, res);
      return `${describe(r)} ours ${r.spec.preset}: ${summary(res)}, QP ${res.qpSeenMin}–${res.qpSeenMax}, ${res.fps.toFixed(1)} fps`;
    } });
    for (const variant of ['zero-lookahead', 'lookahead'] as const) {
      tasks.push({ cost: samples * PRESET_COST.x264, run: async () => {
        const res = await measureX264(plan, r, loaded.get(r.clip.name)!, variant, exclusive);
        (variant === 'lookahead' ? x264Lookahead : x264).set(r.id, res);
        return `${describe(r)} x264 ${variant}: ${summary(res)}`;
      } });
    }
  }
  // Longest first, so that the last encodes to finish are short ones.
  tasks.sort((a, b) => b.cost - a.cost);
  let done = 0;
  const next = async (): Promise<void> => {
    for (let task = tasks.shift(); task; task = tasks.shift()) {
      const line = await task.run();
      done++;
      plan.log(`bench: rate control [${done}/${3 * prepared.length}, ${elapsed(t0)}] ${line}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.jobs, tasks.length)) }, next));

  const runs = prepared.map((r): RateControlRun => {
    const o = ours.get(r.id)!, x = x264.get(r.id)!;
    const base = {
      id: r.id, clip: r.clip.name, label: r.spec.label, width: r.clip.width, height: r.clip.height, fpsNum: r.clip.fpsNum, fpsDen: r.clip.fpsDen,
      sourceFrames: r.sourceFrames, frames: r.frames, preset: r.spec.preset, mode: r.spec.mode, bitrate: r.spec.bitrate,
      vbvBuffer: r.spec.mode === 'cbr' ? r.spec.bitrate : null, qpMin: r.spec.qpMin, qpMax: r.spec.qpMax, ours: o, x264: x,
      x264Lookahead: x264Lookahead.get(r.id)!,
    };
    return { ...base, checks: evaluateChecks(base) };
  });
  return {
    status: 'measured', gop: RC_GOP, jobs: plan.jobs, vbvInitialFill: VBV_INITIAL_FILL, targets: RC_TARGETS,
    runtimeSeconds: (performance.now() - t0) / 1000, runs,
  };
}

/** Relative cost per sample of an encode, to start the longest first (measured at 720p). */
const PRESET_COST: Record<PresetName | 'x264', number> = { realtime: 1, balanced: 1.6, quality: 5, x264: 0.15 };

function summary(r: SideResult): string {
  const sign = r.errorPct >= 0 ? '+' : '−';
  return `${r.kbps.toFixed(1)} kb/s (${sign}${Math.abs(r.errorPct).toFixed(1)}%), max 1-s ${r.maxWindow.toFixed(2)}×` +
    `${r.underflows === null ? '' : `, ${r.underflows} underflows`}, ${r.psnrY.toFixed(2)} dB`;
}

function elapsed(t0: number): string {
  const s = (performance.now() - t0) / 1000;
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

async function loadClip(clip: ClipInfo, count: number): Promise<LoadedClip> {
  const reader = await Y4mReader.open(clip.path);
  try {
    const frames = await reader.readFrames(count);
    if (frames.length !== count) throw new BenchFailure(`${clip.path}: read ${frames.length} frames, expected ${count}`);
    const header = new Uint8Array(reader.header.headerBytes);
    const file = await open(clip.path, 'r');
    try {
      await file.read(header, 0, header.length, 0);
    } finally {
      await file.close();
    }
    return { header, frames };
  } finally {
    await reader.close();
  }
}

/** The figures every stream gets: bitrate, window, bucket, decode and PSNR. */
async function measureStream(
  r: PreparedRun, src: LoadedClip, stream: Uint8Array, frameBytes: number[], vbvBuffer: number, who: string, keep: string,
  exclusive: <T>(f: () => Promise<T>) => Promise<T>,
): Promise<Omit<SideResult, 'fps'>> {
  const { bitrate } = r.spec;
  const bytes = stream.length;
  const kbps = (bytes * 8) / (r.frames / r.fps) / 1000;
  const window = maxWindow(frameBytes, bitrate, r.fps);
  const bucket = r.spec.mode === 'cbr' ? leakyBucket(frameBytes.map((b) => b * 8), bitrate, r.fps, vbvBuffer) : null;
  const { framesOut, psnrY } = await exclusive(async () => {
    let decoded: Uint8Array[];
    try {
      decoded = (await decodeWithFfmpeg(stream, { width: r.clip.width, height: r.clip.height })).frames;
    } catch (e) {
      await writeFile(keep, stream);
      throw new BenchFailure(`the stream of ${who} for ${r.id} does not decode cleanly (kept at ${keep}): ${(e as Error).message}`);
    }
    return { framesOut: decoded.length, psnrY: meanPsnrY(src.frames, decoded, r.clip.width, r.clip.height) };
  });
  return {
    bytes, kbps, errorPct: (kbps * 1000 / bitrate - 1) * 100, maxWindow: window.ratio, maxWindowStart: window.start,
    underflows: bucket ? bucket.underflows : null, underflowFrames: bucket ? bucket.underflowFrames : null,
    framesOut, psnrY, frameBytes,
  };
}

async function measureOurs(plan: RateControlPlan, r: PreparedRun, src: LoadedClip, exclusive: <T>(f: () => Promise<T>) => Promise<T>): Promise<OursResult> {
  if (!Number.isInteger(r.fps)) throw new BenchFailure(`${r.clip.name}: our encoder takes an integer frame rate, the clip has ${r.clip.fpsNum}:${r.clip.fpsDen}`);
  const job: OursJob = {
    source: r.clip.path, sourceFrames: r.sourceFrames, frames: r.frames, width: r.clip.width, height: r.clip.height,
    options: {
      fps: r.fps, gop: RC_GOP, preset: r.spec.preset, rateControl: r.spec.mode, bitrate: r.spec.bitrate,
      qpMin: r.spec.qpMin, qpMax: r.spec.qpMax, psnr: true,
    },
  };
  let o: OursOutcome;
  try {
    o = plan.worker ? await encodeInWorker(plan.worker, job) : await encodeLooped(job);
  } catch (e) {
    throw new BenchFailure(`our encoder failed on ${r.id}: ${(e as Error).message}`);
  }
  const parsed = accessUnitSizes(o.stream);
  // The stream's own access units must be what encode() returned, frame by frame.
  const frameBytes = parsed.length === o.bytes.length && parsed.every((b, i) => b === o.bytes[i]) ? o.bytes : parsed;
  // The bucket of the report is one second of the target: what the encoder must have resolved.
  if (r.spec.mode === 'cbr' && o.vbvBuffer !== r.spec.bitrate) throw new BenchFailure(`our encoder's VBV for ${r.id} is ${o.vbvBuffer} bits, expected ${r.spec.bitrate}`);
  const m = await measureStream(r, src, o.stream, frameBytes, o.vbvBuffer, `ours ${r.spec.preset}`, join(plan.workDir, `rc-${r.id}-ours.h264`), exclusive);
  const encodeSeconds = o.encodeMs.reduce((a, b) => a + b, 0) / 1000;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    ...m, fps: r.frames / Math.max(encodeSeconds, 1e-9), framesIn: r.frames,
    qpSeenMin: Math.min(...o.qpMin), qpSeenMax: Math.max(...o.qpMax), qpAvg: mean(o.qpAvg),
    psnrYRecon: mean(o.psnrY.map((p) => Math.min(100, p))), encodeSeconds,
    idrFrames: [...o.types].filter((t) => t === 'I').length, sceneCuts: o.sceneCuts, reencoded: o.reencoded,
    frameQp: o.qpAvg.map((q) => Math.round(q * 100) / 100),
  };
}

async function measureX264(
  plan: RateControlPlan, r: PreparedRun, src: LoadedClip, variant: X264Variant, exclusive: <T>(f: () => Promise<T>) => Promise<T>,
): Promise<X264Result> {
  const output = join(plan.workDir, `rc-${r.id}-x264-${variant}.h264`);
  const args = x264Command(r.spec.mode, Math.round(r.spec.bitrate / 1000), r.frames, output, variant);
  const shown = args.join(' ');
  const x = await runX264(args, src.header, src.frames, r.frames);
  const lines = x.stderr.trim().split('\n').slice(-8).join('\n  ');
  if (x.code !== 0) throw new BenchFailure(`x264 failed (exit ${x.code}) on ${r.id}: ${shown}\n  ${lines}`);
  // "encoded 600 frames, 31.52 fps, 4012.35 kb/s"
  const e = /encoded (\d+) frames, ([\d.]+) fps/.exec(x.stderr);
  if (!e) throw new BenchFailure(`x264 printed no "encoded N frames, X fps" line: ${shown}\n  ${lines}`);
  if (Number(e[1]) !== r.frames) throw new BenchFailure(`x264 encoded ${e[1]} frames of ${r.id}, expected ${r.frames}: ${shown}`);
  const stream = await readFile(output);
  const m = await measureStream(r, src, stream, accessUnitSizes(stream), r.spec.bitrate, `x264 ${variant}`, output, exclusive);
  if (m.framesOut !== r.frames) throw new BenchFailure(`x264's stream of ${r.id} decodes to ${m.framesOut} frames, expected ${r.frames}`);
  return { ...m, fps: Number(e[2]), command: shown.replace(output, 'OUT.h264') };
}
