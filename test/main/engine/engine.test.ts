// The engine against a real encoder worker, real sinks and ffprobe/ffmpeg (issue 6, "Studio
// engine"): backpressure (a live source drops and counts, a file source waits), recordings that
// start on a keyframe, and statistics that add up. The worker runs from a fresh build (a worker
// thread cannot run TypeScript); a spy on its transport counts the frames at the encoder.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type EngineError, type EngineOptions, type EngineStats } from '../../../main/engine/engine.js';
import { openFileSource } from '../../../main/engine/file-source.js';
import { createTestPattern } from '../../../main/engine/test-pattern.js';
import type { EncodedFrame, FrameSource, Sink } from '../../../main/engine/types.js';
import { createH264Sink } from '../../../main/recording/h264-sink.js';
import { createMp4Sink } from '../../../main/recording/mp4-sink.js';
import { buildCli } from '../../helpers/build-cli.js';
import { patternFrames, tapSink, type TappedSink, WorkerSpy, writeY4m } from '../../helpers/engine.js';
import { decodeFile, probePackets, probeVideo } from '../../helpers/probe.js';

let dir: string;
let workerEntry: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-engine-'));
  await buildCli(path('build'));
  workerEntry = path('build/dist/main/engine/encoder-worker.js');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  engine: Engine;
  spy: WorkerSpy;
  frames: EncodedFrame[];
  errors: EngineError[];
  statsEvents: EngineStats[];
  ends: number;
}

/** An engine on a spied worker, with everything it says collected. */
function engineOn(source: FrameSource, options: Omit<EngineOptions, 'source' | 'encoder'> & { encoder?: EngineOptions['encoder'] } = {}): Run {
  const spy = new WorkerSpy();
  const engine = new Engine({
    source, encoder: { preset: 'realtime' }, ...options, encoderClient: { workerEntry, spawn: spy.spawn },
  });
  const run: Run = { engine, spy, frames: [], errors: [], statsEvents: [], ends: 0 };
  engine.on('frame', (f) => run.frames.push(f));
  engine.on('error', (e) => run.errors.push(e));
  engine.on('stats', (s) => run.statsEvents.push(s));
  engine.on('end', () => run.ends++);
  return run;
}

/** The figures at the end: every input frame was encoded or dropped, and the events agree. */
function expectStatsAddUp(run: Run, input: number): EngineStats {
  const s = run.engine.stats();
  expect(s.inputFrames).toBe(input);
  expect(s.encodedFrames + s.droppedFrames).toBe(s.inputFrames);
  expect(s.encodedFrames).toBe(run.frames.length);
  expect(s.keyframes).toBe(run.frames.filter((f) => f.keyframe).length);
  expect(run.ends).toBe(1);
  // The last 'stats' event is the final figures.
  expect(run.statsEvents[run.statsEvents.length - 1]).toMatchObject({ inputFrames: s.inputFrames, encodedFrames: s.encodedFrames, droppedFrames: s.droppedFrames });
  return s;
}

describe('Engine', () => {
  it('drops and counts the frames of a live source faster than the encoder, with the frames at the encoder bounded', async () => {
    // 240 fps of QVGA: several times what the encoder does on one core, with its warm-up on top.
    const source = createTestPattern({ width: 320, height: 240, fps: 240 });
    const run = engineOn(source, { maxInFlight: 2, maxFrames: 120, encoder: { preset: 'balanced' } });
    const sink = tapSink(createH264Sink(path('fast-live.h264')));
    await run.engine.start();
    run.engine.addSink(sink);
    await run.engine.whenDone();

    expect(run.errors).toEqual([]);
    const s = expectStatsAddUp(run, 120);
    expect(s.droppedFrames).toBeGreaterThan(0);
    expect(s.encodedFrames).toBeGreaterThan(0);
    // Never more than maxInFlight frames at the worker: the rest were dropped, not queued.
    expect(run.spy.maxInFlight).toBe(2);
    expect(run.spy.posted).toBe(s.encodedFrames);
    // What was encoded is in the recording, in order, and decodes.
    expect(sink.frames.map((f) => f.index)).toEqual(run.frames.map((f) => f.index));
    expect(run.frames.every((f, i) => i === 0 || f.index > run.frames[i - 1]!.index)).toBe(true);
    expect((await decodeFile(path('fast-live.h264'))).frames).toBe(s.encodedFrames);
    expect(s.bytesWritten).toBe((await stat(path('fast-live.h264'))).size);
  });

  it('waits for the encoder with a file source: nothing dropped, every frame recorded', async () => {
    const FRAMES = 45;
    await writeY4m(path('clip.y4m'), await patternFrames(160, 120, 30, FRAMES), 30);
    const source = await openFileSource(path('clip.y4m'));
    expect(source.info.live).toBe(false);
    const run = engineOn(source, { maxInFlight: 2, encoder: { preset: 'balanced', gop: 15 } });
    await run.engine.start();
    run.engine.addSink(createH264Sink(path('file.h264')));
    run.engine.addSink(createMp4Sink(path('file.mp4')));
    await run.engine.whenDone(); // the source's end ends the engine

    expect(run.errors).toEqual([]);
    const s = expectStatsAddUp(run, FRAMES);
    expect(s.droppedFrames).toBe(0);
    expect(run.spy.maxInFlight).toBeLessThanOrEqual(2);
    expect(run.frames.map((f) => f.index)).toEqual([...Array(FRAMES).keys()]);
    expect(s.keyframes).toBe(3);
    const [raw, mp4] = await Promise.all([decodeFile(path('file.h264')), decodeFile(path('file.mp4'))]);
    expect(raw.frames).toBe(FRAMES);
    expect(mp4.checksums).toEqual(raw.checksums);
    expect(await probeVideo(path('file.mp4'))).toMatchObject({ width: 160, height: 120, frames: FRAMES });
    expect(s.bytesWritten).toBe((await stat(path('file.h264'))).size + (await stat(path('file.mp4'))).size);
  });

  it('starts a sink added mid-stream on a keyframe it asks the encoder for', async () => {
    const FPS = 30, FRAMES = 90, ADD_AT = 30, MAX_IN_FLIGHT = 3;
    // A GOP longer than the run: the only keyframes are the first and the one the new sink asks for.
    const source = createTestPattern({ width: 160, height: 120, fps: FPS, live: false });
    const run = engineOn(source, { maxInFlight: MAX_IN_FLIGHT, maxFrames: FRAMES, encoder: { preset: 'realtime', gop: 1000 } });
    const first = tapSink(createH264Sink(path('first.h264')));
    const late = tapSink(createMp4Sink(path('late.mp4')));
    run.engine.on('frame', (f) => { if (f.index === ADD_AT) run.engine.addSink(late); });
    await run.engine.start();
    run.engine.addSink(first);
    await run.engine.whenDone();

    expect(run.errors).toEqual([]);
    const s = expectStatsAddUp(run, FRAMES);
    expect(s.droppedFrames).toBe(0);
    const keyframes = run.frames.filter((f) => f.keyframe).map((f) => f.index);
    expect(keyframes.length, String(keyframes)).toBe(2);
    expect(keyframes[0]).toBe(0);
    // The request goes with the next frame posted: at most the frames already at the encoder come first.
    const idr = keyframes[1]!;
    expect(idr).toBeGreaterThan(ADD_AT);
    expect(idr).toBeLessThanOrEqual(ADD_AT + MAX_IN_FLIGHT + 1);

    expect(first.frames.length).toBe(FRAMES);
    expect(late.started).toEqual([{ width: 160, height: 120, fps: FPS }]);
    expect(late.frames[0]).toEqual({ index: idr, keyframe: true });
    expect(late.frames.map((f) => f.index)).toEqual(run.frames.filter((f) => f.index >= idr).map((f) => f.index));
    expect(late.closed).toBe(1);

    // The late recording plays on its own: a keyframe first, FRAMES - idr frames from time 0.
    const packets = await probePackets(path('late.mp4'));
    expect(packets.length).toBe(FRAMES - idr);
    expect(packets[0]).toMatchObject({ pts: 0, keyframe: true });
    const probed = await probeVideo(path('late.mp4'));
    expect(probed.frames).toBe(FRAMES - idr);
    expect(Math.abs(probed.duration! - (FRAMES - idr) / FPS)).toBeLessThanOrEqual(1 / FPS);
    // Its pictures are the first recording's from the IDR on.
    const [whole, tail] = await Promise.all([decodeFile(path('first.h264')), decodeFile(path('late.mp4'))]);
    expect(whole.frames).toBe(FRAMES);
    expect(tail.checksums).toEqual(whole.checksums.slice(idr));
  });
});

/**
 * A sink that writes through `sink` after `delayMs` per frame (a disk that cannot keep up), and
 * records the largest backlog the engine reported while it waited.
 */
function slowSink(sink: Sink, delayMs: number, engine: () => Engine): TappedSink & { maxBacklog: number } {
  const tapped = tapSink(sink);
  const slow = Object.assign(tapped, { maxBacklog: 0 });
  const write = tapped.write.bind(tapped);
  slow.write = async (frame: EncodedFrame) => {
    slow.maxBacklog = Math.max(slow.maxBacklog, engine().stats().sinkBacklogBytes);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return write(frame);
  };
  return slow;
}

describe('Engine with a recording slower than the encoder', () => {
  const BACKLOG = 40_000; // bytes: a few QVGA intra frames

  it('drops and counts live frames while the recording is behind; what it holds is whole and the backlog stays bounded', async () => {
    const source = createTestPattern({ width: 320, height: 240, fps: 30 });
    const run = engineOn(source, { maxFrames: 60, maxInFlight: 3, maxSinkBacklog: BACKLOG, encoder: { preset: 'realtime', gop: 10, rateControl: 'cqp', qp: 20 } });
    const sink = slowSink(createH264Sink(path('slow-live.h264')), 150, () => run.engine);
    await run.engine.start();
    run.engine.addSink(sink);
    await run.engine.whenDone();

    expect(run.errors).toEqual([]);
    const s = expectStatsAddUp(run, 60);
    // 150 ms a frame against 33 ms between frames: most input frames wait for a disk that is behind.
    expect(s.droppedFrames).toBeGreaterThan(20);
    // The backlog passes the bound by at most the frames already at the encoder when it was reached.
    const largestFrame = Math.max(...run.frames.map((f) => f.data.byteLength));
    expect(sink.maxBacklog).toBeGreaterThan(0);
    expect(sink.maxBacklog).toBeLessThan(BACKLOG + 4 * largestFrame);
    expect(s.sinkBacklogBytes).toBe(0);
    // Every encoded frame reached the file, in order, and decodes.
    expect(sink.frames.map((f) => f.index)).toEqual(run.frames.map((f) => f.index));
    expect((await decodeFile(path('slow-live.h264'))).frames).toBe(s.encodedFrames);
  });

  it('waits for the recording with a file source: nothing dropped, the backlog bounded', async () => {
    const FRAMES = 60, LIMIT = 3_000;
    await writeY4m(path('slow.y4m'), await patternFrames(160, 120, 30, FRAMES), 30);
    const source = await openFileSource(path('slow.y4m'));
    const run = engineOn(source, { maxInFlight: 2, maxSinkBacklog: LIMIT, encoder: { preset: 'realtime', gop: 30, rateControl: 'cqp', qp: 20 } });
    const sink = slowSink(createMp4Sink(path('slow-file.mp4')), 30, () => run.engine);
    await run.engine.start();
    run.engine.addSink(sink);
    await run.engine.whenDone();

    expect(run.errors).toEqual([]);
    const s = expectStatsAddUp(run, FRAMES);
    expect(s.droppedFrames).toBe(0);
    // Past the limit by at most the frames at the encoder when it was reached (maxInFlight), far
    // below the whole stream, which an unbounded queue would have held.
    const sizes = run.frames.map((f) => f.data.byteLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(sink.maxBacklog).toBeGreaterThan(0);
    expect(sink.maxBacklog).toBeLessThan(LIMIT + 2 * Math.max(...sizes));
    expect(sink.maxBacklog).toBeLessThan(total / 3);
    expect(await probeVideo(path('slow-file.mp4'))).toMatchObject({ width: 160, height: 120, frames: FRAMES });
  });
});

describe('Engine.stop() before start()', () => {
  it('resolves at once and leaves the source open for whoever owns it', async () => {
    const source = createTestPattern({ width: 64, height: 48, fps: 30, live: false });
    const engine = new Engine({ source, encoder: { preset: 'realtime' } });
    await engine.stop();
    expect(engine.stats().inputFrames).toBe(0);
    expect(await source.read()).not.toBeNull();
    await source.close();
  });
});
