// The bench's rate-control section: the leaky-bucket checker, the window and access-unit measures
// on hand-made inputs, then the whole machinery in a quick run (60 frames of foreman at one target,
// ours in a worker thread of a fresh build, x264 for real, both decoded by ffmpeg).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264Encoder } from '../../encoder/index.js';
import {
  type RateControlResults, accessUnitSizes, evaluateChecks, leakyBucket, maxWindow, runRateControl,
} from '../../main/bench/rate-control.js';
import { rateControlMisses, rateControlTable } from '../../main/bench/report.js';
import type { ClipInfo } from '../../main/bench/run.js';
import { Y4mReader } from '../../main/media/y4m.js';
import { buildCli } from '../helpers/build-cli.js';
import { runCli } from '../helpers/cli.js';
import { sequencesDir } from '../helpers/sequences.js';
import { syntheticImage } from '../helpers/synthetic.js';

// 1000 bits arrive per frame; the bucket holds 30 000 and starts at 27 000.
const RATE = 30_000, FPS = 30, BUCKET = 30_000;

describe('leakyBucket', () => {
  it('does not underflow when every frame fits the fill, down to exactly empty', () => {
    // Frame 0 meets 27 000 + 1000 and takes all of it; then each frame takes exactly what arrives.
    expect(leakyBucket([28_000, 1000, 1000, 1000], RATE, FPS, BUCKET)).toEqual({ underflows: 0, underflowFrames: [], minFill: 0 });
    // Exactly the bitrate forever.
    expect(leakyBucket(new Array<number>(3000).fill(1000), RATE, FPS, BUCKET).underflows).toBe(0);
  });

  it('counts a frame one bit larger than the fill', () => {
    const r = leakyBucket([28_001, 1000, 1000], RATE, FPS, BUCKET);
    // After the underflow the bucket counts as empty, so the frames after it fit again.
    expect(r).toEqual({ underflows: 1, underflowFrames: [0], minFill: -1 });
  });

  it('caps the fill at the bucket size', () => {
    // Ten empty frames fill the bucket to its 30 000 (not 37 000): a frame of 31 000 underflows.
    expect(leakyBucket([...new Array<number>(10).fill(0), 31_000], RATE, FPS, BUCKET).underflowFrames).toEqual([10]);
    expect(leakyBucket([...new Array<number>(10).fill(0), 30_000], RATE, FPS, BUCKET).underflows).toBe(0);
  });

  it('finds where a stream 1% over the bitrate runs the bucket dry', () => {
    // After frame i the fill is 27 000 - 10 (i + 1): below zero from frame 2700 on, every frame.
    const r = leakyBucket(new Array<number>(2710).fill(1010), RATE, FPS, BUCKET);
    expect(r.underflowFrames[0]).toBe(2700);
    expect(r.underflows).toBeGreaterThan(1);
  });
});

describe('maxWindow', () => {
  it('is 1 for a constant stream at the target and finds the heaviest second', () => {
    const frames = new Array<number>(90).fill(100); // 100 bytes x 30 fps = 24 kb/s
    expect(maxWindow(frames, 24_000, 30)).toEqual({ ratio: 1, start: 0 });
    frames[50] = 3100; // +3000 bytes in the seconds holding frame 50: 1.25x
    const r = maxWindow(frames, 24_000, 30);
    expect(r.ratio).toBeCloseTo(1 + 3000 / 3000, 12);
    expect(r.start).toBe(21);
  });

  it('measures a stream shorter than a second against its own duration', () => {
    expect(maxWindow([200, 200], 24_000, 30).ratio).toBeCloseTo(2, 12);
  });
});

describe('accessUnitSizes', () => {
  it('splits our stream exactly where encode() returned each frame', () => {
    const W = 64, H = 48;
    const encoder = new H264Encoder(W, H, { gop: 3, bitrate: 200_000, rateControl: 'cbr' });
    const sizes: number[] = [];
    const units: Uint8Array[] = [];
    for (let i = 0; i < 7; i++) {
      // Noise: every picture new, so IDRs (with SPS and PPS) come by scene cut as well as by GOP.
      const au = encoder.encode(syntheticImage('noise', W, H, i + 1));
      sizes.push(au.length);
      units.push(au);
    }
    expect(accessUnitSizes(Buffer.concat(units))).toEqual(sizes);
  });
});

describe('runRateControl, quick', () => {
  let dir: string, results: RateControlResults;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264-studio-rc-'));
    // Ours runs in a worker thread of a fresh build, as in the bench (dist/ may be stale).
    const cli = await buildCli(join(dir, 'build'));
    const path = join(sequencesDir(), 'foreman_cif_352x288.y4m');
    const reader = await Y4mReader.open(path);
    const { width, height, fpsNum, fpsDen } = reader.header;
    await reader.close();
    const clip: ClipInfo = { name: 'foreman_cif_352x288', path, width, height, fpsNum, fpsDen, totalFrames: 300 };
    results = await runRateControl({
      runs: [{ clip: clip.name, label: 'foreman', seconds: 10, preset: 'realtime', mode: 'cbr', bitrate: 500_000, qpMin: 10, qpMax: 51 }],
      clips: new Map([[clip.name, clip]]), maxFrames: 60, jobs: 2,
      worker: join(dirname(cli), '..', 'dist', 'main', 'bench', 'rate-control-worker.js'), workDir: dir, log: () => {},
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures ours and both x264 variants with sane figures', () => {
    expect(results.status).toBe('measured');
    expect(results.runs).toHaveLength(1);
    const r = results.runs[0]!;
    expect(r).toMatchObject({ id: 'foreman-500k-cbr', frames: 60, sourceFrames: 60, vbvBuffer: 500_000, qpMin: 10, qpMax: 51 });
    for (const side of [r.ours, r.x264, r.x264Lookahead]) {
      expect(side.frameBytes).toHaveLength(60);
      expect(side.frameBytes.reduce((a, b) => a + b, 0)).toBe(side.bytes);
      expect(side.kbps).toBeCloseTo((side.bytes * 8) / 2 / 1000, 9);
      expect(side.errorPct).toBeCloseTo((side.kbps / 500 - 1) * 100, 9);
      // Two seconds of foreman: within a third of the target, at a plausible quality.
      expect(Math.abs(side.errorPct)).toBeLessThan(33);
      expect(side.psnrY).toBeGreaterThan(30);
      expect(side.psnrY).toBeLessThan(45);
      expect(side.framesOut).toBe(60);
      expect(side.maxWindow).toBeGreaterThan(0.5);
      expect(side.maxWindow).toBeLessThan(3);
      // The counts are the checker's over the stream's own frame sizes.
      expect(side.underflows).toBe(leakyBucket(side.frameBytes.map((b) => b * 8), 500_000, 30, 500_000).underflows);
      expect(side.fps).toBeGreaterThan(0);
    }
    // ffmpeg decodes exactly the encoder's reconstruction.
    expect(r.ours.psnrY).toBeCloseTo(r.ours.psnrYRecon, 9);
    expect(r.ours.framesIn).toBe(60);
    expect(r.ours.idrFrames).toBeGreaterThanOrEqual(2);
    expect(r.ours.qpSeenMin).toBeGreaterThanOrEqual(10);
    expect(r.ours.qpSeenMax).toBeLessThanOrEqual(51);
    expect(r.ours.frameQp).toHaveLength(60);
    // The judged x264 decides each frame's bits when it arrives, as ours; the other is x264's default.
    expect(r.x264.command).toBe('x264 --profile baseline --preset medium --tune zerolatency --bitrate 500 --vbv-maxrate 500 ' +
      '--vbv-bufsize 500 --keyint 30 --min-keyint 30 --threads 1 --frames 60 --demuxer y4m -o OUT.h264 -');
    expect(r.x264Lookahead.command).toBe('x264 --profile baseline --preset medium --bitrate 500 --vbv-maxrate 500 ' +
      '--vbv-bufsize 500 --keyint 30 --min-keyint 30 --threads 1 --frames 60 --demuxer y4m -o OUT.h264 -');
    // Two different encodes (the lookahead changes x264's QPs), each decoded on its own.
    expect(r.x264.frameBytes).not.toEqual(r.x264Lookahead.frameBytes);
    expect(r.checks).toEqual(evaluateChecks(r));
    expect(r.checks.qpBounds).toBe(true);
    expect(r.checks.frameCount).toBe(true);
    // results.json holds it as is.
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });

  it('renders one table row with a mark per target', () => {
    const lines = rateControlTable(results).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| run \| preset \| frames \| target kb\/s \| ours kb\/s \(error\) \|/);
    const cells = lines[2]!.split(' | ');
    expect(cells[0]).toBe('| foreman cbr');
    expect(cells.slice(1, 4)).toEqual(['realtime', '60', '500']);
    expect(cells[4]).toMatch(/^\d+\.\d \([+−]\d+\.\d%\) [✓✗]$/);
    expect(cells[8]).toMatch(/^\d+ \(\d+\) [✓✗]$/);
    expect(cells[9]).toMatch(/^\d+–\d+ \[10, 51\] ✓$/);
    expect(cells[10]).toBe('60 → 60 ✓');
    // Y-PSNR ours, x264, their difference with its mark, then x264 with lookahead, ours minus it and its mark.
    const r0 = results.runs[0]!;
    expect(cells.slice(11, 15)).toEqual([
      r0.ours.psnrY.toFixed(2), r0.x264.psnrY.toFixed(2), expect.stringMatching(/^[+−]\d+\.\d\d [✓✗]$/) as unknown as string,
      expect.stringMatching(new RegExp(`^${r0.x264Lookahead.psnrY.toFixed(2)} \\([+−]\\d+\\.\\d\\d\\) [✓✗]$`)) as unknown as string,
    ]);
    expect(cells[13]!.endsWith(r0.checks.psnr ? '✓' : '✗')).toBe(true);
    expect(cells[14]!.endsWith(r0.checks.psnrLookahead ? '✓' : '✗')).toBe(true);
    const r = results.runs[0]!;
    expect(rateControlMisses(r).length).toBe(Object.values(r.checks).filter((c) => c === false).length);
  });
});

describe('h264-studio bench --sections', () => {
  const bench = (...args: string[]) => runCli(['bench', '--sequences', sequencesDir(), ...args]);

  it('names a wrong section, and a rate-control run on clips it does not use', async () => {
    expect((await bench('--sections', 'rate-contrl')).stderr)
      .toBe('h264-studio: --sections takes quality, speed, rate-control, rtsp, got "rate-contrl" (did you mean rate-control?)\n');
    expect(await bench('--sections', 'rate-control', '--only', 'cars_qvga_320x240')).toMatchObject({
      code: 2,
      stderr: 'h264-studio: no rate-control run uses cars_qvga_320x240: they run on foreman_cif_352x288, flower_720p_1280x720, office_720p_1280x720\n',
    });
  });
});
