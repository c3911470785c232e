// The CI soak (issue 6): the QVGA version of `npm run soak`. scripts/soak.mjs runs in its own
// process against a fresh build (dist/ may be stale; the encoder worker runs only from built
// files), so the memory it samples is that of the process running the engine, encoder worker
// included, and nothing of vitest's. 480 s of video at 15 fps = 7200 frames of the QVGA clip,
// looped, through both recorders as fast as the encoder goes (about 21 s on two cores). It was one
// minute until the SIMD kernels made that a 7-s run, over before the 10-s warm-up ended; then four,
// until the kernels of 2026-11-22 made those a 10.5-s run, one sample past the warm-up.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../helpers/build-cli.js';
import { runTool } from '../helpers/decoders.js';
import { probePackets, probeVideo } from '../helpers/probe.js';
import { sequencesDir } from '../helpers/sequences.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = 480, FPS = 15, FRAMES = SECONDS * FPS;
const W = 320, H = 240;

/** What scripts/soak.mjs prints with --json (the parts asserted here). */
interface SoakResult {
  width: number;
  height: number;
  fps: number;
  videoSeconds: number;
  wallSeconds: number;
  encodeFps: number;
  droppedFrames: number;
  keyframes: number;
  frames: Record<string, number | null>;
  memory: {
    samplesAfterWarmup: number;
    rss: { min: number; max: number; ratio: number } | null;
    heapUsed: { min: number; max: number; ratio: number } | null;
    rssSlopeMbPerMin: number;
  };
  checks: { name: string; ok: boolean; detail: string }[];
  ok: boolean;
}

let dir: string;
let result: SoakResult;
let code: number | null;
let stderr: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-soak-'));
  const build = join(dir, 'build');
  await buildCli(build);
  await symlink(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir'); // mediabunny, for the built sinks
  const run = await runTool(process.execPath, [
    '--no-memory-reducer', join(ROOT, 'scripts', 'soak.mjs'), '--dist', join(build, 'dist'), '--json',
    '--source', join(sequencesDir(), 'cars_qvga_320x240.y4m'), '--fps', String(FPS), '--seconds', String(SECONDS),
    // The process warms up (JIT, heap sizing) for about 10 s of wall time, whatever the frame
    // size; with the frame pool a minute of QVGA now encodes in about 20 s, so the default 20-s
    // warm-up left no samples. Count from 10 s, sampling every 0.25 s.
    '--preset', 'realtime', '--sample-seconds', '0.25', '--warmup-seconds', '10', '--out', join(dir, 'out'),
  ]);
  code = run.code;
  stderr = run.stderr;
  try {
    result = JSON.parse(run.stdout.toString('utf8')) as SoakResult;
  } catch {
    throw new Error(`the soak printed no JSON (exit ${run.code ?? run.signal}):\n${run.stderr}`);
  }
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('soak: eight minutes of QVGA from a looping file, as fast as the encoder goes', () => {
  it('encodes every frame once, in order, dropping none', () => {
    expect(result.videoSeconds).toBe(SECONDS);
    for (const [what, n] of Object.entries(result.frames)) expect(n, what).toBe(FRAMES);
    expect(result.droppedFrames).toBe(0);
    const failed = result.checks.filter((c) => !c.ok && !c.name.startsWith('rss'));
    expect(failed, stderr).toEqual([]);
  });

  it('keeps RSS within 10% after warm-up', () => {
    const { rss, samplesAfterWarmup } = result.memory;
    expect(samplesAfterWarmup).toBeGreaterThanOrEqual(3);
    expect(rss).not.toBeNull();
    expect(rss!.ratio, JSON.stringify(result.memory)).toBeLessThanOrEqual(1.1);
    expect(code, stderr).toBe(0);
  });

  it('leaves an .h264 and an .mp4 that ffprobe reads whole', async () => {
    for (const name of ['soak.h264', 'soak.mp4']) {
      const probed = await probeVideo(join(dir, 'out', name));
      expect({ codec: probed.codecName, width: probed.width, height: probed.height, frames: probed.frames }, name)
        .toEqual({ codec: 'h264', width: W, height: H, frames: FRAMES });
    }
    const packets = await probePackets(join(dir, 'out', 'soak.mp4'));
    expect(packets).toHaveLength(FRAMES);
    // On the frame grid, strictly increasing: packet i at i / fps.
    packets.forEach((p, i) => expect(p.pts, `packet ${i}`).toBeCloseTo(i / FPS, 4));
    expect(packets.filter((p) => p.keyframe)).toHaveLength(result.keyframes);
  });
});
