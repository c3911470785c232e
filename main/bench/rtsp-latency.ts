/**
 * The bench's RTSP section (issue 7): latency from an access unit leaving the encoder (handed to
 * the server, as the engine does when encode() returns) to a viewer holding its last packet, on
 * loopback at 720p30 and 2 Mb/s, with 1 and 20 viewers over TCP and one over UDP; and the time from
 * PLAY to a viewer's first whole frame.
 *
 * Our encoder does not yet run 720p in real time, so one second of 720p (one GOP) is encoded ahead
 * and replayed at 30 fps, each access unit timestamped with the moment it is published. Viewers
 * run in worker threads (rtsp-client-worker.ts) and convert RTP time back to that moment through
 * the RTCP sender reports, as a receiver would.
 */
import { Worker } from 'node:worker_threads';
import { H264Encoder, type EncoderOptions } from '../../encoder/index.js';
import { createTestPattern } from '../engine/test-pattern.js';
import { LiveStream } from '../rtsp/live-stream.js';
import { RtspServer } from '../rtsp/server.js';
import type { RtspClientJob, RtspClientResult } from './rtsp-client-worker.js';

export const RTSP_LATENCY_TARGET_MS = 50;

export interface RtspLatencyRun {
  viewers: number;
  transport: 'tcp' | 'udp';
  /** Access units timed (all viewers). */
  frames: number;
  /** Access units viewers got from the server's cache of the last GOP on joining: not timed. */
  cachedFrames: number;
  lost: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** PLAY to the first whole frame, over the viewers: median and worst. */
  firstFrameMedianMs: number;
  firstFrameMaxMs: number;
  /** Every viewer's first frame was an IDR. */
  firstIsIdr: boolean;
}

export interface RtspLatencyResults {
  status: 'measured';
  width: number;
  height: number;
  fps: number;
  bitrate: number;
  seconds: number;
  targetMs: number;
  runs: RtspLatencyRun[];
}

export interface RtspLatencyPlan {
  /** The built client worker (dist/main/bench/rtsp-client-worker.js). */
  worker: string;
  seconds?: number;
  log: (line: string) => void;
}

const W = 1280, H = 720, FPS = 30, BITRATE = 2_000_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runRtspLatency(plan: RtspLatencyPlan): Promise<RtspLatencyResults> {
  const seconds = plan.seconds ?? 10;
  plan.log(`bench: rtsp: encoding one second of ${W}x${H} at ${BITRATE / 1e6} Mb/s to replay`);
  const loop = await encodeTestPattern(W, H, FPS, { fps: FPS, gop: FPS, bitrate: BITRATE, preset: 'realtime' });

  const runs: RtspLatencyRun[] = [];
  for (const [viewers, transport] of [[1, 'tcp'], [1, 'udp'], [20, 'tcp']] as const) {
    runs.push(await measure(plan, loop, viewers, transport, seconds));
    const r = runs[runs.length - 1]!;
    plan.log(`bench: rtsp: ${viewers} ${transport} viewer(s): p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms; first frame ${r.firstFrameMedianMs.toFixed(0)} ms`);
  }
  return { status: 'measured', width: W, height: H, fps: FPS, bitrate: BITRATE, seconds, targetMs: RTSP_LATENCY_TARGET_MS, runs };
}

/** `frames` of the test pattern encoded ahead of time (a loop to replay; the RTSP tests use it too). */
export async function encodeTestPattern(width: number, height: number, frames: number, options: EncoderOptions): Promise<{ data: Uint8Array; keyframe: boolean }[]> {
  const source = createTestPattern({ width, height, fps: options.fps ?? 30, live: false });
  const encoder = new H264Encoder(width, height, options);
  const out: { data: Uint8Array; keyframe: boolean }[] = [];
  for (let i = 0; i < frames; i++) {
    const f = (await source.read())!;
    out.push({ data: encoder.encode({ width, height, format: 'i420', data: f.data }), keyframe: encoder.keyframe() });
  }
  encoder.close();
  await source.close();
  return out;
}

async function measure(plan: RtspLatencyPlan, loop: { data: Uint8Array; keyframe: boolean }[], viewers: number, transport: 'tcp' | 'udp', seconds: number): Promise<RtspLatencyRun> {
  let next = 0;
  // A joiner asks for an IDR: the replay jumps to its loop's start (an IDR), as the encoder would make one.
  const stream = new LiveStream({ requestKeyframe: () => { next = 0; } });
  const server = new RtspServer({ stream, port: 0, senderReportIntervalMs: 1000 });
  await server.listen();
  stream.start({ width: W, height: H, fps: FPS });
  const t0 = performance.now();
  let index = 0;
  let timer: NodeJS.Timeout | null = null;
  const tick = (): void => {
    const due = Math.floor(((performance.now() - t0) * FPS) / 1000) + 1;
    while (index < due) {
      const f = loop[next % loop.length]!;
      next++;
      index++;
      // The timestamp is the publishing moment itself (µs of the wall clock): RTP time maps back to it.
      stream.publish({ data: f.data, keyframe: f.keyframe, timestampUs: Math.round((performance.timeOrigin + performance.now()) * 1000) });
    }
    timer = setTimeout(tick, Math.max(0, t0 + (index * 1000) / FPS - performance.now()));
  };
  tick();
  try {
    const job: RtspClientJob = { url: server.url, port: server.port, transport, seconds };
    const results = await Promise.all(Array.from({ length: viewers }, () => runWorker(plan.worker, job)));
    const all = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const first = results.map((r) => r.firstFrameMs).sort((a, b) => a - b);
    return {
      viewers, transport, frames: all.length, cachedFrames: results.reduce((s, r) => s + r.cachedFrames, 0), lost: results.reduce((s, r) => s + r.lost, 0),
      p50Ms: percentile(all, 50), p95Ms: percentile(all, 95), p99Ms: percentile(all, 99), maxMs: all[all.length - 1] ?? NaN,
      firstFrameMedianMs: percentile(first, 50), firstFrameMaxMs: first[first.length - 1]!, firstIsIdr: results.every((r) => r.firstIsIdr),
    };
  } finally {
    if (timer) clearTimeout(timer);
    await server.close();
  }
}

function runWorker(path: string, job: RtspClientJob): Promise<RtspClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path, { workerData: job });
    worker.once('message', (m: { ok: true; result: RtspClientResult } | { ok: false; error: string }) => {
      void worker.terminate();
      if (m.ok) resolve(m.result);
      else reject(new Error(`RTSP viewer: ${m.error}`));
    });
    worker.once('error', reject);
  });
}
