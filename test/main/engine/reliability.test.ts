// What a recording survives (issue 6, "Reliability"), checked with real ffprobe/ffmpeg: the real
// `record` process killed with SIGKILL or running into a file size limit, and in-process engines
// whose disk fills up or whose encoder worker is killed. The CLI and the worker run from a fresh
// build; the CLI needs node_modules next to it for mediabunny.
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type EngineError } from '../../../main/engine/engine.js';
import { openFileSource } from '../../../main/engine/file-source.js';
import { createTestPattern } from '../../../main/engine/test-pattern.js';
import { createH264Sink } from '../../../main/recording/h264-sink.js';
import { createMp4Sink } from '../../../main/recording/mp4-sink.js';
import { buildCli } from '../../helpers/build-cli.js';
import { accessUnitStarts, patternFrames, recordSummary, runCliProcess, tapSink, WorkerSpy, writeY4m } from '../../helpers/engine.js';
import { decodeFile, mp4Boxes, probeVideo } from '../../helpers/probe.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The default preset: QVGA at 15 fps, an IDR a second, fragments of a second. */
const FPS = 15;

let dir: string;
let cli: string;
let workerEntry: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-reliability-'));
  cli = await buildCli(path('build'));
  await symlink(join(ROOT, 'node_modules'), path('build/node_modules'), 'dir');
  workerEntry = path('build/dist/main/engine/encoder-worker.js');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const types = (boxes: { type: string }[]) => boxes.map((b) => b.type).join(' ');

describe('record, killed or out of space', () => {
  it('SIGKILL mid-recording: the .h264 decodes up to its last whole frame, the .mp4 up to its last fragment', async () => {
    const KILL_AT = Math.round(2.5 * FPS); // frames on disk: mid-way through the third fragment
    let polls = 0;
    let timer: NodeJS.Timeout | undefined;
    const run = await runCliProcess(cli, ['record', '--seconds', '30', '-o', 'killed.mp4', '-o', 'killed.h264'], {
      cwd: dir,
      onSpawn: (kill) => {
        // Watch the raw recording grow (it holds every frame as soon as it is written).
        timer = setInterval(() => {
          polls++;
          readFile(path('killed.h264')).then((data) => {
            if (accessUnitStarts(data).length >= KILL_AT) {
              clearInterval(timer);
              kill('SIGKILL');
            }
          }, () => undefined);
        }, 50);
      },
    }).finally(() => clearInterval(timer));
    expect(run.signal, run.stderr).toBe('SIGKILL');
    expect(polls).toBeGreaterThan(0);

    // .h264: every access unit but the last (which the kill may have cut) is whole and decodes strictly.
    const h264 = await readFile(path('killed.h264'));
    const starts = accessUnitStarts(h264);
    const whole = starts.length - 1;
    expect(whole).toBeGreaterThanOrEqual(KILL_AT - 1);
    await writeFile(path('killed-whole.h264'), h264.subarray(0, starts[starts.length - 1]));
    const raw = await decodeFile(path('killed-whole.h264'));
    expect(raw.frames).toBe(whole);
    expect((await decodeFile(path('killed.h264'), { strict: false })).frames).toBeGreaterThanOrEqual(whole);

    // .mp4: ftyp, moov, whole fragments, maybe a torn one, no index. The whole fragments decode
    // strictly, to the same pictures, and hold all but about the last second.
    const mp4 = await readFile(path('killed.mp4'));
    const { boxes, complete } = mp4Boxes(mp4);
    expect(types(boxes.slice(0, 2))).toBe('ftyp moov');
    const end = boxes[boxes.length - 1]!.type === 'mdat' ? complete : boxes[boxes.length - 1]!.start;
    await writeFile(path('killed-whole.mp4'), mp4.subarray(0, end));
    const fragments = await decodeFile(path('killed-whole.mp4'));
    expect(fragments.frames).toBeGreaterThanOrEqual(FPS);
    expect(fragments.frames).toBeGreaterThanOrEqual(whole - 1.2 * FPS);
    expect(fragments.checksums).toEqual(raw.checksums.slice(0, fragments.frames));
    // A player given the file as it is plays at least that much.
    const played = await decodeFile(path('killed.mp4'), { strict: false });
    expect(played.code).toBe(0);
    expect(played.frames).toBeGreaterThanOrEqual(fragments.frames);
  });

  it('file size limit: each recording stops with a clear message, what is on disk plays, and the command ends', async () => {
    const LIMIT = 100_000; // bytes: about two seconds of the test pattern, mid-frame and mid-fragment
    const run = await runCliProcess(cli, ['record', '--seconds', '20', '-o', 'full.h264', '-o', 'full.mp4'], {
      cwd: dir, wrapper: ['prlimit', `--fsize=${LIMIT}`],
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const h264Error = /^h264-studio: recording to full\.h264 stopped: file size limit reached while writing full\.h264 after (\d+) bytes$/m.exec(run.stderr);
    const mp4Error = /^h264-studio: recording to full\.mp4 stopped: file size limit reached while writing full\.mp4 after (\d+) bytes$/m.exec(run.stderr);
    expect(h264Error, run.stderr).not.toBeNull();
    expect(mp4Error, run.stderr).not.toBeNull();
    // With both recordings stopped there is nothing left to do: the command ends long before 20 s.
    const summary = recordSummary(run.stdout);
    expect(summary.frames).toBeLessThan(10 * FPS);

    // .h264: cut back to its last whole access unit; all of it decodes.
    const h264Kept = Number(h264Error![1]);
    expect((await stat(path('full.h264'))).size).toBe(h264Kept);
    expect(h264Kept).toBeGreaterThan(LIMIT / 2);
    const raw = await decodeFile(path('full.h264'));
    expect(raw.frames).toBe(accessUnitStarts(await readFile(path('full.h264'))).length);
    // .mp4: cut back to its last whole fragment; all of it decodes, to the same pictures.
    const mp4Kept = Number(mp4Error![1]);
    const mp4 = await readFile(path('full.mp4'));
    expect(mp4.length).toBe(mp4Kept);
    const { boxes, complete } = mp4Boxes(mp4);
    expect(complete).toBe(mp4Kept);
    expect(types(boxes)).toMatch(/^ftyp moov( moof mdat)+$/);
    const fragments = await decodeFile(path('full.mp4'));
    expect(fragments.frames % FPS).toBe(0);
    expect(fragments.frames).toBeGreaterThanOrEqual(FPS);
    expect(fragments.checksums).toEqual(raw.checksums.slice(0, fragments.frames));
  });
});

describe('engine', () => {
  it('disk full on one recording: an error for that sink, the others record every frame, the engine ends normally', async () => {
    const FRAMES = 45;
    await writeY4m(path('clip.y4m'), await patternFrames(160, 120, 30, FRAMES), 30);
    const engine = new Engine({
      source: await openFileSource(path('clip.y4m')), encoder: { preset: 'realtime', gop: 15 }, encoderClient: { workerEntry },
    });
    const errors: EngineError[] = [];
    let ends = 0;
    engine.on('error', (e) => errors.push(e));
    engine.on('end', () => ends++);
    const full = tapSink(createH264Sink('/dev/full', { overwrite: true }));
    const mp4 = tapSink(createMp4Sink(path('beside-full.mp4')));
    const h264 = tapSink(createH264Sink(path('beside-full.h264')));
    await engine.start();
    for (const sink of [mp4, full, h264]) engine.addSink(sink);
    await engine.whenDone();

    expect(errors.map((e) => [e.scope, e.message, e.sink])).toEqual([
      ['sink', 'recording to /dev/full stopped: disk full while writing /dev/full after 0 bytes', full],
    ]);
    expect(ends).toBe(1);
    expect(full.closed).toBe(1);
    await full.whenClosed;
    const s = engine.stats();
    expect(s).toMatchObject({ inputFrames: FRAMES, encodedFrames: FRAMES, droppedFrames: 0 });
    expect(mp4.frames.length).toBe(FRAMES);
    expect(h264.frames.length).toBe(FRAMES);
    const [a, b] = await Promise.all([decodeFile(path('beside-full.mp4')), decodeFile(path('beside-full.h264'))]);
    expect(a.frames).toBe(FRAMES);
    expect(a.checksums).toEqual(b.checksums);
    expect(s.bytesWritten).toBe((await stat(path('beside-full.mp4'))).size + (await stat(path('beside-full.h264'))).size);
  });

  it('encoder worker killed mid-stream: an encoder error, the recordings finished and playable, and a new one after restartEncoder()', async () => {
    const KILL_AFTER = 40, AFTER_RESTART = 30;
    // A camera-like source: live, on its own clock.
    const source = createTestPattern({ width: 160, height: 120, fps: 30 });
    const spy = new WorkerSpy();
    const engine = new Engine({ source, encoder: { preset: 'realtime', gop: 15 }, encoderClient: { workerEntry, spawn: spy.spawn } });
    const errors: EngineError[] = [];
    let encoded = 0, ends = 0;
    const crashed = new Promise<void>((resolvePromise) => engine.on('error', (e) => { errors.push(e); resolvePromise(); }));
    let afterRestart: (() => void) | null = null;
    const enough = new Promise<void>((resolvePromise) => { afterRestart = resolvePromise; });
    let restartedAt = -1;
    // Killed as a frame goes to it: that frame is lost with the worker.
    spy.killOnFrame = () => encoded >= KILL_AFTER;
    engine.on('frame', () => {
      encoded++;
      if (restartedAt >= 0 && encoded - restartedAt >= AFTER_RESTART) afterRestart?.();
    });
    engine.on('end', () => ends++);
    const h264 = tapSink(createH264Sink(path('crash.h264')));
    const mp4 = tapSink(createMp4Sink(path('crash.mp4')));
    await engine.start();
    engine.addSink(h264);
    engine.addSink(mp4);

    await crashed;
    expect(errors.length).toBe(1);
    expect(errors[0]!.scope).toBe('encoder');
    expect(errors[0]!.message).toMatch(/^encoder worker exited with code \d+ while 1 frame was in flight/);
    // The recordings were finished as they stood: whole, playable files.
    await Promise.all([h264.whenClosed, mp4.whenClosed]);
    expect(h264.frames.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(mp4.frames.length).toBe(h264.frames.length);
    const [raw, boxed] = await Promise.all([decodeFile(path('crash.h264')), decodeFile(path('crash.mp4'))]);
    expect(raw.frames).toBe(h264.frames.length);
    expect(boxed.checksums).toEqual(raw.checksums);
    expect(types(mp4Boxes(await readFile(path('crash.mp4'))).boxes)).toMatch(/^ftyp moov( moof mdat)+ mfra$/);

    // A new worker, a new recording.
    await engine.restartEncoder();
    expect(spy.channels.length).toBe(2);
    restartedAt = encoded;
    const again = tapSink(createMp4Sink(path('after-restart.mp4')));
    engine.addSink(again);
    await enough;
    await engine.stop();
    expect(ends).toBe(1);
    expect(errors.length).toBe(1);
    expect(again.frames[0]!.keyframe).toBe(true);
    expect(again.frames.length).toBeGreaterThanOrEqual(AFTER_RESTART - 1);
    const probed = await probeVideo(path('after-restart.mp4'));
    expect(probed).toMatchObject({ width: 160, height: 120, frames: again.frames.length });
    expect((await decodeFile(path('after-restart.mp4'))).frames).toBe(again.frames.length);
    // Frames lost with the worker count as dropped: the figures still add up.
    const s = engine.stats();
    expect(s.encodedFrames).toBe(encoded);
    expect(s.encodedFrames + s.droppedFrames).toBe(s.inputFrames);
  });

  it('a file source waits through a dead encoder: after restartEncoder() it goes on, only the frames the worker held are lost', async () => {
    const FRAMES = 60, KILL_AFTER = 20;
    await writeY4m(path('wait.y4m'), await patternFrames(160, 120, 30, FRAMES), 30);
    const spy = new WorkerSpy();
    const engine = new Engine({
      source: await openFileSource(path('wait.y4m')), encoder: { preset: 'realtime', gop: 15 }, maxInFlight: 2,
      encoderClient: { workerEntry, spawn: spy.spawn },
    });
    const errors: EngineError[] = [];
    let encoded = 0;
    const crashed = new Promise<void>((resolvePromise) => engine.on('error', (e) => { errors.push(e); resolvePromise(); }));
    engine.on('frame', () => encoded++);
    spy.killOnFrame = () => encoded >= KILL_AFTER;
    const before = tapSink(createH264Sink(path('wait-before.h264')));
    await engine.start();
    engine.addSink(before);
    await crashed;
    const lost = Number(/while (\d+) frames? (?:was|were) in flight/.exec(errors[0]!.message)?.[1]);
    expect(lost, errors[0]!.message).toBeGreaterThanOrEqual(1);
    await engine.restartEncoder();
    const after = tapSink(createH264Sink(path('wait-after.h264')));
    engine.addSink(after);
    await engine.whenDone(); // the end of the file

    expect(errors.length).toBe(1);
    const s = engine.stats();
    expect(s).toMatchObject({ inputFrames: FRAMES, encodedFrames: FRAMES - lost, droppedFrames: lost });
    // Every frame read after the crash waited for the new encoder and was recorded.
    expect(before.frames.length + lost + after.frames.length).toBe(FRAMES);
    expect(after.frames.map((f) => f.index)).toEqual([...Array(after.frames.length).keys()].map((i) => FRAMES - after.frames.length + i));
    expect((await decodeFile(path('wait-before.h264'))).frames).toBe(before.frames.length);
    expect((await decodeFile(path('wait-after.h264'))).frames).toBe(after.frames.length);
  });

  it('restartEncoder() on a running engine: the recording goes on through the new worker, without an error', async () => {
    const RESTART_AT = 20, STOP_AT = 45;
    const spy = new WorkerSpy();
    const engine = new Engine({
      source: createTestPattern({ width: 160, height: 120, fps: 30 }), encoder: { preset: 'realtime', gop: 15 },
      encoderClient: { workerEntry, spawn: spy.spawn },
    });
    const errors: EngineError[] = [];
    engine.on('error', (e) => errors.push(e));
    let encoded = 0;
    let restarted: Promise<void> | null = null;
    const enough = new Promise<void>((resolvePromise) => engine.on('frame', () => {
      if (++encoded === RESTART_AT) restarted = engine.restartEncoder();
      if (encoded === STOP_AT) resolvePromise();
    }));
    const sink = tapSink(createMp4Sink(path('through-restart.mp4')));
    await engine.start();
    engine.addSink(sink);
    await enough;
    await restarted;
    await engine.stop();

    expect(errors).toEqual([]);
    expect(spy.channels.length).toBe(2);
    expect(sink.closed).toBe(1);
    // stop() lets the worker finish the frames it holds: STOP_AT and those.
    expect(sink.frames.length).toBe(encoded);
    expect(encoded).toBeGreaterThanOrEqual(STOP_AT);
    // One recording across both workers, decoding strictly: the new worker starts on an IDR.
    expect(sink.frames[RESTART_AT]!.keyframe).toBe(true);
    expect((await decodeFile(path('through-restart.mp4'))).frames).toBe(encoded);
    const s = engine.stats();
    expect(s.encodedFrames + s.droppedFrames).toBe(s.inputFrames);
  });
});
