// The bench's RTSP section: its viewers (worker threads of a fresh build) play the replayed 720p
// stream and time it. Two seconds per run here; the bench runs ten.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rtspTable } from '../../main/bench/report.js';
import { type RtspLatencyResults, runRtspLatency } from '../../main/bench/rtsp-latency.js';
import { buildCli } from '../helpers/build-cli.js';

describe('runRtspLatency, quick', () => {
  let dir: string, results: RtspLatencyResults;
  const log: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264-studio-rtsp-bench-'));
    const cli = await buildCli(join(dir, 'build'));
    results = await runRtspLatency({
      worker: join(dirname(cli), '..', 'dist', 'main', 'bench', 'rtsp-client-worker.js'), seconds: 2, log: (l) => log.push(l),
    });
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('times every frame of every viewer, who all start on an IDR and lose nothing', () => {
    expect(results).toMatchObject({ status: 'measured', width: 1280, height: 720, fps: 30, bitrate: 2_000_000, seconds: 2, targetMs: 50 });
    expect(results.runs.map((r) => [r.viewers, r.transport])).toEqual([[1, 'tcp'], [1, 'udp'], [20, 'tcp']]);
    for (const r of results.runs) {
      // Two seconds at 30 fps per viewer: every frame after the first sender report is timed (a
      // publisher that fell behind on a loaded machine catches up with a few frames at once).
      expect(r.frames + r.cachedFrames).toBeGreaterThanOrEqual(r.viewers * 50);
      expect(r.frames + r.cachedFrames).toBeLessThanOrEqual(r.viewers * 75);
      // The cache holds less than 300 ms of frames: at most 9 at 30 fps (plus the one not timed).
      expect(r.cachedFrames).toBeLessThanOrEqual(r.viewers * 10);
      expect(r.lost).toBe(0);
      expect(r.firstIsIdr).toBe(true);
      // Latency is positive (a packet arrives after it was sent) and ordered.
      expect(r.p50Ms).toBeGreaterThan(0);
      expect(r.p50Ms).toBeLessThanOrEqual(r.p95Ms);
      expect(r.p95Ms).toBeLessThanOrEqual(r.p99Ms);
      expect(r.p99Ms).toBeLessThanOrEqual(r.maxMs);
      expect(r.firstFrameMedianMs).toBeGreaterThanOrEqual(0);
      expect(r.firstFrameMedianMs).toBeLessThanOrEqual(r.firstFrameMaxMs);
    }
    expect(log[0]).toMatch(/^bench: rtsp: encoding one second of 1280x720/);
  });

  it('renders a row per run', () => {
    const lines = rtspTable(results).split('\n');
    expect(lines).toHaveLength(2 + results.runs.length);
    expect(lines[0]).toBe('| viewers | transport | frames timed | from the join cache | lost packets | p50 ms | p95 ms | p99 ms | max ms | first frame ms (median / max) | first frame an IDR |');
    expect(lines[2]).toMatch(/^\| 1 \| TCP \| \d+ \| \d+ \| 0 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ [✓✗] \| \d+ \/ \d+ \| yes \|$/);
  });
});
