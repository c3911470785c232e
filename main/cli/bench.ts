/**
 * `h264-studio bench`: our encoder against x264 and OpenH264 on the shared test sequences, in one
 * run — rate-distortion curves and BD-rate, speed, peak memory, rate control — written as a report folder
 * (report.md, results.json, one RD plot per clip). The method and the anchors' command lines
 * follow ../shared/BENCHMARKS.md; main/bench/ holds the measuring and the rendering.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, release, totalmem, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BenchFailure, ENCODERS, OURS_ID, REFERENCE_ID, commandTemplate, missingTools, toolVersions } from '../bench/encoders.js';
import { type BenchResults, type MachineInfo, SECTIONS, type Section, plotFileName, rateControlTable, rdPlot, renderReport, rtspTable, summaryTable } from '../bench/report.js';
import { type RtspLatencyResults, runRtspLatency } from '../bench/rtsp-latency.js';
import { DEFAULT_RC_RUNS, type RateControlResults, runRateControl } from '../bench/rate-control.js';
import { type ClipInfo, type ClipJob, runBench } from '../bench/run.js';
import { Y4mError, Y4mReader } from '../media/y4m.js';
import { CliError, parseArgs, parseInteger, suggestion } from './args.js';
import type { CliIo } from './index.js';

/** Rate-distortion curves by default: foreman CIF and flower 720p, as in BENCHMARKS.md. */
export const DEFAULT_CURVE_CLIPS = ['foreman_cif_352x288', 'flower_720p_1280x720'] as const;
/** Speed by default: one clip per resolution. */
export const DEFAULT_SPEED_CLIPS = ['foreman_cif_352x288', 'flower_720p_1280x720', 'street_1080p_1920x1080'] as const;
export const DEFAULT_QPS = [22, 27, 32, 37] as const;
export const SPEED_QP = 27;
export const GOP = 30;
export const DEFAULT_RUNS = 3;
/** Frames of each clip for the curves (foreman's first 100, as BENCHMARKS.md; the others are shorter). */
const CURVE_FRAMES = 100;
const DEFAULT_OUT = 'bench-report';
/** How long the rate-control section takes alone, on two cores. */
const RATE_CONTROL_MINUTES = 12;

/**
 * The sustained-speed run: the 720p speed clip looped to 150 frames (5 s, five GOPs). Our encoder
 * is JavaScript: a 30-frame run in a fresh process is mostly V8 compiling it (the first I frame
 * takes about three times as long as a warm one), which a live encode only pays in its first
 * second. The anchors run the same looped clip.
 */
export const SUSTAINED_SPEED = { clip: 'flower_720p_1280x720', frames: 150 } as const;

/**
 * Frames for speed by size, so that each resolution takes seconds rather than minutes with our
 * encoder: 60 up to CIF, 30 up to 720p, 10 above.
 */
function speedFrames(width: number, height: number): number {
  const samples = width * height;
  return samples <= 352 * 288 ? 60 : samples <= 1280 * 720 ? 30 : 10;
}

export const BENCH_USAGE = `Usage: h264-studio bench [options]

Measures our encoder (every preset) against x264 and OpenH264 on the test sequences, one thread
each, and writes a report folder: report.md, results.json and a rate-distortion plot (SVG) per
clip. Needs x264, ffmpeg, GNU time and GStreamer's openh264enc (Debian packages x264, ffmpeg,
time, gstreamer1.0-tools, gstreamer1.0-plugins-bad: bash scripts/setup-bench-deps.sh installs
them; npm run bench runs it first).

  Quality   fixed-QP curves (QP ${DEFAULT_QPS.join(', ')}, IDR every ${GOP} frames, first ${CURVE_FRAMES} frames at most) on
            ${DEFAULT_CURVE_CLIPS.join(', ')}; every stream decoded by ffmpeg with
            strict error detection; Y-PSNR, YUV-PSNR (6:1:1), SSIM; BD-rate against x264
            baseline medium
  Speed     fps at QP ${SPEED_QP} on ${DEFAULT_SPEED_CLIPS.join(', ')}
            (60, 30, 10 frames), and the sustained rate on ${SUSTAINED_SPEED.clip} looped
            to ${SUSTAINED_SPEED.frames} frames; median of ${DEFAULT_RUNS} runs alternating between encoders;
            ours ÷ each anchor
  Memory    peak RSS of each encoding process, from the speed runs
  Rate control
            ours (cbr, vbr) and x264 at the same bitrate, 150 kb/s to 8 Mb/s, on foreman
            (10 s) and on flower and office 720p looped to 20 s: achieved bitrate, largest
            1-second window, VBV underflows, QP range, Y-PSNR (about ${RATE_CONTROL_MINUTES} minutes alone)
  RTSP      latency from the encoder's output to a viewer's last packet on loopback, 720p30
            2 Mb/s, 1 and 20 viewers over TCP and one over UDP, and the time from PLAY to a
            joiner's first frame (under a minute)

Progress goes to stderr, the summary tables to stdout. The default run takes about ${8 + RATE_CONTROL_MINUTES} minutes on
two cores.

Options
      --sequences DIR  folder of .y4m clips; default $H264_SEQUENCES, else ../shared/sequences
                       beside the repository
      --sections LIST  parts to run, comma-separated: ${SECTIONS.join(', ')}; default all
      --only NAMES     clips to run, comma-separated, with or without .y4m: curves and speed on
                       each of them, and the rate-control runs that use them
      --all            curves on every clip in the folder (speed on the default clips)
      --frames N       at most N frames of each clip, for curves and speed, and of each
                       rate-control run (a quick look: the targets are set for the full length)
      --qps LIST       QPs of the curves, comma-separated; default ${DEFAULT_QPS.join(',')} (BD-rate needs 4)
      --runs N         speed runs per encoder; default ${DEFAULT_RUNS}
      --jobs N         rate-control encodes run at once; default the number of cores
      --out DIR        report folder; default ${DEFAULT_OUT}
`;

const OPTIONS = {
  sequences: { kind: 'string' },
  only: { kind: 'string' },
  all: { kind: 'boolean' },
  frames: { kind: 'integer', min: 1 },
  qps: { kind: 'string' },
  runs: { kind: 'integer', min: 1, max: 99 },
  sections: { kind: 'string' },
  jobs: { kind: 'integer', min: 1, max: 64 },
  out: { kind: 'string' },
  // Not in the usage: our CLI's entry script for the encodes (tests run a fresh build of the
  // source); default bin/h264-studio.js of this repository.
  'encoder-cli': { kind: 'string' },
  help: { kind: 'boolean', short: 'h' },
} as const;

export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { options: o, positionals } = parseArgs(argv, OPTIONS);
  if (o.help) {
    io.stdout.write(BENCH_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument ${positionals[0]} (bench takes options only: --only NAME)`);
  if (o.only !== undefined && o.all) throw new CliError('--only and --all cannot be used together');
  const qps = o.qps === undefined ? [...DEFAULT_QPS] : parseQps(o.qps);
  const runs = o.runs ?? DEFAULT_RUNS;
  const sections = o.sections === undefined ? [...SECTIONS] : parseSections(o.sections);
  const started = new Date();
  const t0 = performance.now();

  const dir = sequencesDir(o.sequences);
  const only = o.only === undefined ? undefined : clipNames(o.only);
  const curveNames = !sections.includes('quality') ? [] : only ?? (o.all ? allClips(dir) : [...DEFAULT_CURVE_CLIPS]);
  const speedNames = !sections.includes('speed') ? [] : only ?? [...DEFAULT_SPEED_CLIPS];
  const rcRuns = !sections.includes('rate-control') ? [] : DEFAULT_RC_RUNS.filter((r) => only === undefined || only.includes(r.clip));
  const rcClips = [...new Set(DEFAULT_RC_RUNS.map((r) => r.clip))];
  if (sections.length === 1 && sections[0] === 'rate-control' && rcRuns.length === 0) {
    throw new CliError(`no rate-control run uses ${only!.join(', ')}: they run on ${rcClips.join(', ')}`);
  }
  const clips = new Map<string, ClipInfo>();
  for (const name of new Set([...curveNames, ...speedNames, ...rcRuns.map((r) => r.clip)])) clips.set(name, await clipInfo(dir, name));
  const out = resolve(o.out ?? DEFAULT_OUT);
  const cli = o['encoder-cli'] !== undefined ? resolve(o['encoder-cli']) : join(repoRoot(), 'bin', 'h264-studio.js');
  if (!existsSync(cli)) throw new CliError(`our encoder's CLI ${cli} does not exist`);
  // Rate control runs our encoder in worker threads, from the build that CLI runs.
  const worker = join(dirname(cli), '..', 'dist', 'main', 'bench', 'rate-control-worker.js');
  if (rcRuns.length > 0 && !existsSync(worker)) throw new CliError(`${worker} does not exist: run npm run build`);
  const rtspWorker = join(dirname(cli), '..', 'dist', 'main', 'bench', 'rtsp-client-worker.js');
  // The RTSP section uses no clip: --only (a look at some clips) leaves it out unless named.
  const runRtsp = sections.includes('rtsp') && (o.sections !== undefined || only === undefined);
  if (runRtsp && !existsSync(rtspWorker)) throw new CliError(`${rtspWorker} does not exist: run npm run build`);

  const missing = await missingTools();
  if (missing.what.length > 0) {
    throw new CliError(`the bench needs ${missing.what.join(', ')}: run bash scripts/setup-bench-deps.sh as root (npm run bench does), ` +
      `or apt-get install --no-install-recommends ${missing.packages.join(' ')}`);
  }
  try {
    await mkdir(out, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the report folder ${out}: ${(e as Error).message}`);
  }

  const job = (name: string, frames: number): ClipJob => {
    const clip = clips.get(name)!;
    return { clip, frames: Math.min(clip.totalFrames, o.frames ?? frames) };
  };
  const workDir = await mkdtemp(join(tmpdir(), 'h264-studio-bench-'));
  let measurements, rateControl: RateControlResults | undefined, rtsp: RtspLatencyResults | undefined;
  const log = (line: string) => io.stderr.write(line + '\n');
  try {
    measurements = await runBench({
      curves: curveNames.map((n) => job(n, CURVE_FRAMES)),
      speed: [
        ...speedNames.map((n) => job(n, speedFrames(clips.get(n)!.width, clips.get(n)!.height))),
        // Not with --frames, which asks for short runs.
        ...(speedNames.includes(SUSTAINED_SPEED.clip) && o.frames === undefined
          ? [{ clip: clips.get(SUSTAINED_SPEED.clip)!, frames: SUSTAINED_SPEED.frames, loop: true }] : []),
      ],
      qps, speedQp: SPEED_QP, gop: GOP, runs, encoders: ENCODERS, cli, workDir, log,
    });
    if (rcRuns.length > 0) {
      rateControl = await runRateControl({
        runs: rcRuns, clips, maxFrames: o.frames, jobs: o.jobs ?? cpus().length, worker, workDir, log,
      });
    }
    if (runRtsp) rtsp = await runRtspLatency({ worker: rtspWorker, log });
  } catch (e) {
    if (e instanceof BenchFailure) {
      // The streams stay for a look at what failed.
      io.stderr.write(`h264-studio: bench failed: ${e.message}\n(work files kept in ${workDir})\n`);
      return 1;
    }
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
  await rm(workDir, { recursive: true, force: true });

  const results: BenchResults = {
    format: 4,
    startedAt: started.toISOString().replace(/\.\d+Z$/, 'Z'),
    runtimeSeconds: (performance.now() - t0) / 1000,
    command: ['h264-studio', 'bench', ...argv].join(' '),
    machine: machineInfo(),
    tools: await toolVersions(),
    settings: { sections, sequences: dir, qps, speedQp: SPEED_QP, gop: GOP, runs, reference: REFERENCE_ID, ours: OURS_ID },
    encoders: ENCODERS.map((e) => ({ ...e, command: commandTemplate(e) })),
    ...measurements,
    rateControl: rateControl ?? {
      status: 'not run',
      note: !sections.includes('rate-control') ? 'Not among --sections.' : `Its runs use ${rcClips.join(', ')}, none of which --only names.`,
    },
    rtsp: rtsp ?? { status: 'not run', note: sections.includes('rtsp') ? 'It uses no clip, and --only was given: add --sections rtsp.' : 'Not among --sections.' },
  };
  try {
    for (const c of results.curves) await writeFile(join(out, plotFileName(c.clip)), rdPlot(results, c));
    await writeFile(join(out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
    await writeFile(join(out, 'report.md'), renderReport(results));
  } catch (e) {
    throw new CliError(`cannot write the report into ${out}: ${(e as Error).message}`);
  }
  if (results.curves.length > 0 || results.speed.length > 0) io.stdout.write(summaryTable(results) + '\n');
  if (rateControl) io.stdout.write(`${results.curves.length > 0 || results.speed.length > 0 ? '\n' : ''}${rateControlTable(rateControl)}\n`);
  if (rtsp) io.stdout.write(`${results.curves.length > 0 || results.speed.length > 0 || rateControl ? '\n' : ''}${rtspTable(rtsp)}\n`);
  const shown = relative(process.cwd(), out) || '.';
  io.stderr.write(`bench: done in ${(results.runtimeSeconds / 60).toFixed(1)} min; report in ${shown}/report.md\n`);
  return 0;
}

function clipNames(text: string): string[] {
  const names = text.split(',').map((n) => n.trim().replace(/\.y4m$/, ''));
  if (names.some((c) => c === '')) throw new CliError(`--only needs clip names separated by commas, got ${JSON.stringify(text)}`);
  return [...new Set(names)];
}

function parseSections(text: string): Section[] {
  const names = text.split(',').map((n) => n.trim());
  for (const n of names) {
    if (!(SECTIONS as readonly string[]).includes(n)) {
      throw new CliError(`--sections takes ${SECTIONS.join(', ')}, got ${JSON.stringify(n)}${suggestion(n, SECTIONS, '')}`);
    }
  }
  return SECTIONS.filter((s) => names.includes(s));
}

function parseQps(text: string): number[] {
  const qps = text.split(',').map((q) => parseInteger('--qps', q.trim(), { min: 0, max: 51 }));
  if (new Set(qps).size !== qps.length) throw new CliError(`--qps lists a QP twice: ${text}`);
  return qps.sort((a, b) => a - b);
}

function allClips(dir: string): string[] {
  const names = readdirSync(dir).filter((f) => f.endsWith('.y4m')).map((f) => f.slice(0, -4)).sort();
  if (names.length === 0) throw new CliError(`no .y4m clips in ${dir}`);
  return names;
}

/** A clip's size, rate and exact number of whole frames (read through once). */
async function clipInfo(dir: string, name: string): Promise<ClipInfo> {
  const path = join(dir, `${name}.y4m`);
  if (!existsSync(path)) {
    const there = readdirSync(dir).filter((f) => f.endsWith('.y4m')).map((f) => f.slice(0, -4)).sort();
    throw new CliError(`no clip ${name}.y4m in ${dir}; there are: ${there.join(', ') || 'none'}`);
  }
  let reader: Y4mReader;
  try {
    reader = await Y4mReader.open(path);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  try {
    let totalFrames = 0;
    while (await reader.next()) totalFrames++;
    if (totalFrames === 0) throw new CliError(`${path} holds no whole frame`);
    const { width, height, fpsNum, fpsDen } = reader.header;
    return { name, path, width, height, fpsNum, fpsDen, totalFrames };
  } catch (e) {
    if (e instanceof Y4mError) throw new CliError(`${path}: ${e.message}`);
    throw e;
  } finally {
    await reader.close();
  }
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

function machineInfo(): MachineInfo {
  let os = `${process.platform} ${release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) os = `${pretty[1]} (Linux ${release()})`;
  } catch {
    // not Linux, or no os-release
  }
  return {
    cpu: `${cpus()[0]?.model.trim() ?? 'unknown'} (${arch()})`,
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    os,
    node: process.version,
    commit: gitState(),
  };
}

/** The commit the encoder was built from, with "+ local changes" when the tree differs. */
function gitState(): string {
  try {
    const root = repoRoot();
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? `commit ${commit}` : `commit ${commit} + local changes`;
  } catch {
    return 'an unknown commit (not a git checkout)';
  }
}
