/**
 * The fragmented MP4 recorder against real ffprobe/ffmpeg: right size, frame count, timestamps and
 * duration; the same pictures as the raw stream; fragments of about a second; clear errors. Then
 * both recorders in a child process the way the engine runs them, killed with SIGKILL mid-recording
 * and run against a file size limit, to check what is left on disk plays.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedFrame, StreamInfo } from '../../../main/engine/types.js';
import { RecordingError } from '../../../main/recording/h264-sink.js';
import { annexBNalUnits, avcCodecString, createMp4Sink, retainedSamples } from '../../../main/recording/mp4-sink.js';
import { buildCli } from '../../helpers/build-cli.js';
import { decodeFile, encodeClip, mp4Boxes, probePackets, probeVideo } from '../../helpers/probe.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const W = 160, H = 120, FPS = 30, GOP = 15, FRAMES = 150;
const INFO: StreamInfo = { width: W, height: H, fps: FPS };

let dir: string;
let clip: EncodedFrame[];
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-mp4-sink-'));
  clip = encodeClip({ width: W, height: H, fps: FPS, gop: GOP, frames: FRAMES });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<RecordingError> {
  const e = await p.then(() => null, (error: unknown) => error);
  if (e === null) throw new Error('expected a rejection, but it resolved');
  expect(e).toBeInstanceOf(RecordingError);
  return e as RecordingError;
}

async function record(file: string, frames: EncodedFrame[], options: Parameters<typeof createMp4Sink>[1] = {}): Promise<void> {
  const sink = createMp4Sink(file, options);
  await sink.start(INFO);
  for (const frame of frames) await sink.write(frame);
  await sink.close();
  expect(sink.bytesWritten).toBe((await stat(file)).size);
}

const types = (boxes: { type: string }[]) => boxes.map((b) => b.type).join(' ');

describe('avcCodecString and annexBNalUnits', () => {
  it('read profile, constraint flags and level from the SPS of the first keyframe', () => {
    const units = annexBNalUnits(clip[0]!.data);
    expect(units.map((u) => u[0]! & 0x1f)).toEqual([7, 8, 5]); // SPS, PPS, IDR slice
    expect(avcCodecString(units[0]!)).toMatch(/^avc1\.[0-9A-F]{6}$/);
    expect(avcCodecString(Uint8Array.of(0x67, 0x42, 0xc0, 0x1e))).toBe('avc1.42C01E');
    expect(annexBNalUnits(Uint8Array.of(0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2))).toEqual([Uint8Array.of(0x67, 1), Uint8Array.of(0x68, 2)]);
  });
});

describe('createMp4Sink', () => {
  it('records a 5 s clip that ffprobe and ffmpeg -xerror read with the right size, frames, times and duration', async () => {
    const file = path('clip.mp4');
    await record(file, clip);

    const probed = await probeVideo(file);
    expect(probed).toMatchObject({ codecName: 'h264', width: W, height: H, frames: FRAMES });
    expect(probed.formatName).toContain('mp4');
    expect(Math.abs(probed.duration! - FRAMES / FPS)).toBeLessThanOrEqual(1 / FPS);

    const packets = await probePackets(file);
    expect(packets.length).toBe(FRAMES);
    packets.forEach((p, i) => {
      expect(p.pts).toBeCloseTo(i / FPS, 5);
      expect(p.duration).toBeCloseTo(1 / FPS, 5);
      expect(p.keyframe).toBe(i % GOP === 0);
    });

    // The same pictures as the raw stream.
    const raw = path('clip.h264');
    await writeFile(raw, Buffer.concat(clip.map((f) => f.data)));
    const [fromMp4, fromRaw] = await Promise.all([decodeFile(file), decodeFile(raw)]);
    expect(fromMp4.frames).toBe(FRAMES);
    expect(fromMp4.checksums).toEqual(fromRaw.checksums);

    // ftyp, moov, one moof + mdat per second, the mfra index.
    const { boxes, complete } = mp4Boxes(await readFile(file));
    expect(complete).toBe((await stat(file)).size);
    expect(types(boxes)).toBe(['ftyp', 'moov', ...Array<string>(5).fill('moof mdat'), 'mfra'].join(' '));
  });

  it('a fragment torn by a crash mid-write leaves the fragments before it playable', async () => {
    const file = path('whole.mp4');
    await record(file, clip);
    const data = await readFile(file);
    const { boxes } = mp4Boxes(data);
    const fourthMdat = boxes.filter((b) => b.type === 'mdat')[3]!;
    const torn = path('torn.mp4');
    await writeFile(torn, data.subarray(0, fourthMdat.start + (fourthMdat.size >> 1)));
    // A player (ffmpeg without -xerror) plays the three whole seconds and what it can of the fourth.
    const played = await decodeFile(torn, { strict: false });
    expect(played.code).toBe(0);
    expect(played.frames).toBeGreaterThanOrEqual(3 * FPS);
    expect(played.frames).toBeLessThan(4 * FPS);
  });

  it('runs start, writes and close in call order when the caller does not wait for each', async () => {
    const file = path('unawaited.mp4');
    const sink = createMp4Sink(file);
    await Promise.all([sink.start(INFO), ...clip.slice(0, 45).map((f) => sink.write(f)), sink.close()]);
    const raw = path('unawaited.h264');
    await writeFile(raw, Buffer.concat(clip.slice(0, 45).map((f) => f.data)));
    expect((await decodeFile(file)).checksums).toEqual((await decodeFile(raw)).checksums);
  });

  it('makes fragments of fragmentSeconds', async () => {
    const file = path('two-second-fragments.mp4');
    await record(file, clip, { fragmentSeconds: 2 });
    const { boxes } = mp4Boxes(await readFile(file));
    expect(boxes.filter((b) => b.type === 'moof').length).toBe(3); // 0-2 s, 2-4 s, 4-5 s
    expect((await decodeFile(file)).frames).toBe(FRAMES);
  });

  it('keeps one sample description per written fragment, not one per frame, and still indexes every fragment', async () => {
    // Ten times the clip (50 s, 50 fragments of 1 s): what the muxer keeps for the mfra index.
    const file = path('long.mp4');
    const sink = createMp4Sink(file);
    await sink.start(INFO);
    for (let round = 0; round < 10; round++) {
      for (const f of clip) await sink.write({ ...f, index: round * FRAMES + f.index, timestampUs: f.timestampUs + round * (FRAMES / FPS) * 1e6 });
    }
    // mediabunny's internals are as expected (else the trimming is off: this says so).
    const retained = retainedSamples(sink);
    expect(retained).not.toBeNull();
    // 49 fragments written: all but the last trimmed to one sample each (the last is trimmed when
    // the next begins), the 50th still open. Untrimmed, it would be 1470.
    expect(retained!).toBeLessThanOrEqual(48 + FPS);
    await sink.close();
    const { boxes } = mp4Boxes(await readFile(file));
    expect(boxes.filter((b) => b.type === 'moof').length).toBe(50);
    // The mfra index (tfra, version 1) points at every moof, with the fragment's first time.
    const bytes = await readFile(file);
    const at = bytes.lastIndexOf(Buffer.from('tfra'));
    const entries = bytes.readUInt32BE(at + 16);
    expect(entries).toBe(50);
    for (let k = 0; k < entries; k++) {
      const o = at + 20 + k * 28;
      const time = Number(bytes.readBigUInt64BE(o)), moof = Number(bytes.readBigUInt64BE(o + 8));
      expect(bytes.toString('latin1', moof + 4, moof + 8)).toBe('moof');
      expect(time).toBe(k * FPS); // timescale: the frame rate
    }
    expect((await decodeFile(file)).frames).toBe(10 * FRAMES);
  });

  it('puts live timestamps on the frame grid: jitter snaps to it, a gap stays a gap', async () => {
    const file = path('live.mp4');
    // A source clock 5 s off zero with up to 8 ms of jitter (frame times are taken relative to the
    // first frame, itself jittered: under half a frame in all), and 100 ms missing before frame 40.
    const live = clip.slice(0, 60).map((f, i) => ({
      ...f,
      timestampUs: 5_000_000 + Math.round((i * 1e6) / FPS) + ((i * 7919) % 17 - 8) * 1000 + (i >= 40 ? 100_000 : 0),
    }));
    await record(file, live);
    const packets = await probePackets(file);
    expect(packets.map((p) => Math.round(p.pts * FPS))).toEqual(live.map((_, i) => i + (i >= 40 ? 3 : 0)));
    const probed = await probeVideo(file);
    expect(probed.frames).toBe(60);
    expect(Math.abs(probed.duration! - 63 / FPS)).toBeLessThanOrEqual(1 / FPS); // 60 frames and the 3 missing
  });

  it('refuses a first frame that is not a keyframe, or a keyframe without SPS and PPS', async () => {
    const file = path('late-start.mp4');
    const sink = createMp4Sink(file);
    await sink.start(INFO);
    expect((await rejection(sink.write(clip[1]!))).message).toBe(`mp4 recording ${file} must start on a keyframe: frame 1 is not one`);

    const idrOnly = annexBNalUnits(clip[0]!.data).filter((u) => (u[0]! & 0x1f) === 5);
    const bare = { ...clip[0]!, data: Buffer.concat(idrOnly.flatMap((u) => [Buffer.of(0, 0, 0, 1), u])) };
    expect((await rejection(sink.write(bare))).message).toBe(`mp4 recording ${file}: the first keyframe (frame 0) carries no SPS and PPS`);

    for (const frame of clip.slice(GOP, 3 * GOP)) await sink.write(frame);
    await sink.close();
    const probed = await probeVideo(file);
    expect(probed.frames).toBe(2 * GOP);
    expect(Math.abs(probed.duration! - (2 * GOP) / FPS)).toBeLessThanOrEqual(1 / FPS);
  });

  it('refuses to replace an existing file, leaving it untouched, and names an unwritable path', async () => {
    const file = path('existing.mp4');
    await writeFile(file, 'an earlier recording');
    const e = await rejection(createMp4Sink(file).start(INFO));
    expect(e.message).toBe(`cannot create ${file}: it already exists (choose another name, or allow overwriting)`);
    expect(await readFile(file, 'utf8')).toBe('an earlier recording');

    await record(file, clip.slice(0, GOP), { overwrite: true });
    expect((await probeVideo(file)).frames).toBe(GOP);

    const missing = path('no-such-folder/clip.mp4');
    const e2 = await rejection(createMp4Sink(missing).start(INFO));
    expect(e2.message).toBe(`cannot create ${missing}: the folder ${path('no-such-folder')} does not exist`);
    expect(e2.code).toBe('ENOENT');
  });

  it('rejects with a clear error when the disk is full (/dev/full), and keeps rejecting', async () => {
    const sink = createMp4Sink('/dev/full', { overwrite: true });
    // start() writes the ftyp box, so it is the first to meet the full disk.
    const e = await rejection(sink.start(INFO));
    expect(e.message).toBe('disk full while writing /dev/full after 0 bytes');
    expect(e.code).toBe('ENOSPC');
    expect(await rejection(sink.write(clip[0]!))).toBe(e);
    await sink.close();
    await sink.close();
  });

  it('closes idempotently, and an empty recording closes without error', async () => {
    const file = path('empty.mp4');
    const sink = createMp4Sink(file);
    expect((await rejection(sink.write(clip[0]!))).message).toBe(`mp4 recording ${file} is not started`);
    await sink.start(INFO);
    await Promise.all([sink.close(), sink.close()]);
    await sink.close();
    expect((await rejection(sink.write(clip[0]!))).message).toBe(`mp4 recording ${file} is closed`);
    expect(() => createMp4Sink(file, { fragmentSeconds: 0 })).toThrow('fragmentSeconds must be a positive number, got 0');
  });
});

/**
 * A recorder process like the engine's: both sinks fed the same frames. It reads the clip from
 * `<clip>` + `<clip>.json`, records to `<out>.h264` and `<out>.mp4`, optionally paced at the clip's
 * frame rate, and prints one JSON line per frame (what each sink's write() did and its bytesWritten)
 * and one when both are closed. It carries on after a sink fails, as the engine does.
 */
const CHILD = `
import { readFile } from 'node:fs/promises';
import { createH264Sink } from './dist/main/recording/h264-sink.js';
import { createMp4Sink } from './dist/main/recording/mp4-sink.js';

const [clipPath, out, pacing] = process.argv.slice(2);
const { info, frames } = JSON.parse(await readFile(clipPath + '.json', 'utf8'));
const bytes = await readFile(clipPath);
const sinks = { h264: createH264Sink(out + '.h264'), mp4: createMp4Sink(out + '.mp4') };
const report = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
for (const sink of Object.values(sinks)) await sink.start(info);
const t0 = performance.now();
for (const f of frames) {
  if (pacing === 'paced') {
    const wait = t0 + (f.index * 1000) / info.fps - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const frame = { data: bytes.subarray(f.offset, f.offset + f.length), keyframe: f.keyframe, timestampUs: f.timestampUs, index: f.index };
  const line = { frame: f.index };
  for (const [kind, sink] of Object.entries(sinks)) {
    line[kind] = await sink.write(frame).then(() => 'ok', (e) => e.message);
    line[kind + 'Bytes'] = sink.bytesWritten;
  }
  report(line);
  if (line.h264 !== 'ok' && line.mp4 !== 'ok') break;
}
for (const sink of Object.values(sinks)) await sink.close();
report({ closed: true, h264Bytes: sinks.h264.bytesWritten, mp4Bytes: sinks.mp4.bytesWritten });
`;

interface ChildLine {
  frame?: number;
  h264?: string;
  mp4?: string;
  h264Bytes: number;
  mp4Bytes: number;
  closed?: boolean;
}

interface ChildRun {
  lines: ChildLine[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

describe('both sinks in a recorder process', () => {
  let build: string;
  let clipFile: string;

  beforeAll(async () => {
    build = path('build');
    await buildCli(build);
    await symlink(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir'); // mediabunny
    await writeFile(join(build, 'recorder.mjs'), CHILD);
    clipFile = path('clip.bin');
    let offset = 0;
    const frames = clip.map((f) => {
      const entry = { offset, length: f.data.byteLength, keyframe: f.keyframe, timestampUs: f.timestampUs, index: f.index };
      offset += f.data.byteLength;
      return entry;
    });
    await writeFile(clipFile, Buffer.concat(clip.map((f) => f.data)));
    await writeFile(`${clipFile}.json`, JSON.stringify({ info: INFO, frames }));
  });

  /** Runs the recorder (under `wrapper`, e.g. prlimit), calling `onLine` for every line it prints. */
  function runRecorder(out: string, pacing: 'paced' | 'fast', wrapper: string[] = [], onLine?: (line: ChildLine, kill: () => void) => void): Promise<ChildRun> {
    return new Promise((resolvePromise, reject) => {
      const argv = [...wrapper, process.execPath, join(build, 'recorder.mjs'), clipFile, out, pacing];
      const child = spawn(argv[0]!, argv.slice(1), { cwd: build, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: ChildLine[] = [];
      let pending = '', stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = JSON.parse(pending.slice(0, nl)) as ChildLine;
          pending = pending.slice(nl + 1);
          lines.push(line);
          onLine?.(line, () => child.kill('SIGKILL'));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => resolvePromise({ lines, code, signal, stderr }));
    });
  }

  it('SIGKILL mid-recording: the .h264 decodes up to its last frame, the .mp4 up to its last fragment', async () => {
    const out = path('killed');
    const KILL_AFTER = 85; // frames reported written (about 2.8 s at 30 fps), mid-fragment
    let reported = -1;
    const run = await runRecorder(out, 'paced', [], (line, kill) => {
      if (line.frame === undefined || line.h264 !== 'ok' || line.mp4 !== 'ok') return;
      reported = line.frame;
      if (reported + 1 >= KILL_AFTER) kill();
    });
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const written = reported + 1;
    expect(written).toBeGreaterThanOrEqual(KILL_AFTER);

    // .h264: every frame whose write() resolved is there byte for byte and decodes strictly; a
    // frame caught mid-write may follow, so the whole file is decoded leniently.
    const h264 = await readFile(`${out}.h264`);
    const complete = Buffer.concat(clip.slice(0, written).map((f) => f.data));
    expect(h264.subarray(0, complete.length).equals(complete)).toBe(true);
    await writeFile(`${out}-complete.h264`, complete);
    expect((await decodeFile(`${out}-complete.h264`)).frames).toBe(written);
    expect((await decodeFile(`${out}.h264`, { strict: false })).frames).toBeGreaterThanOrEqual(written);

    // .mp4: no index, maybe a torn last fragment. Its whole fragments decode strictly, and a player
    // gets at least everything written but the last ~1 s.
    const mp4 = await readFile(`${out}.mp4`);
    const { boxes, complete: end } = mp4Boxes(mp4);
    expect(types(boxes.slice(0, 2))).toBe('ftyp moov');
    const whole = boxes[boxes.length - 1]!.type === 'mdat' ? end : boxes[boxes.length - 1]!.start;
    await writeFile(`${out}-complete.mp4`, mp4.subarray(0, whole));
    const strict = await decodeFile(`${out}-complete.mp4`);
    const lenient = await decodeFile(`${out}.mp4`, { strict: false });
    expect(lenient.frames).toBeGreaterThanOrEqual(strict.frames);
    expect(strict.frames / FPS).toBeGreaterThanOrEqual(written / FPS - 1.2);
    expect(strict.times).toEqual(strict.times.map((_, i) => i / FPS).map((t) => expect.closeTo(t, 5)));
    expect((await probeVideo(`${out}.mp4`)).frames).toBeGreaterThanOrEqual(strict.frames);
  });

  it('file size limit mid-recording: each sink reports it, the process carries on, and what is on disk plays', async () => {
    const out = path('limited');
    // Bytes: the clip's first 2.5 s and half the next frame, so the limit is hit mid-frame and in
    // the third one-second fragment, whatever the encoder's frame sizes: two fragments fit.
    const at = Math.round(2.5 * FPS);
    const LIMIT = clip.slice(0, at).reduce((n, f) => n + f.data.byteLength, 0) + (clip[at]!.data.byteLength >> 1);
    const run = await runRecorder(out, 'fast', ['prlimit', `--fsize=${LIMIT}`]);
    expect(run.code, run.stderr).toBe(0);
    const last = run.lines[run.lines.length - 1]!;
    expect(last.closed).toBe(true);
    const frameLines = run.lines.filter((l) => l.frame !== undefined);

    // .h264: cut back to the last whole access unit, all of which decode.
    const h264Ok = frameLines.filter((l) => l.h264 === 'ok').length;
    const h264Size = clip.slice(0, h264Ok).reduce((n, f) => n + f.data.byteLength, 0);
    const h264Error = frameLines.find((l) => l.h264 !== 'ok')!.h264;
    expect(h264Error).toBe(`file size limit reached while writing ${out}.h264 after ${h264Size} bytes`);
    expect(frameLines.slice(h264Ok).every((l) => l.h264 === h264Error)).toBe(true);
    expect((await stat(`${out}.h264`)).size).toBe(h264Size);
    expect(last.h264Bytes).toBe(h264Size);
    expect((await decodeFile(`${out}.h264`)).frames).toBe(h264Ok);

    // .mp4: cut back to the last whole fragment, which decodes strictly.
    const mp4Error = frameLines.find((l) => l.mp4 !== 'ok')!.mp4!;
    const kept = Number(/after (\d+) bytes$/.exec(mp4Error)?.[1]);
    expect(mp4Error).toBe(`file size limit reached while writing ${out}.mp4 after ${kept} bytes`);
    const mp4 = await readFile(`${out}.mp4`);
    expect(mp4.length).toBe(kept);
    expect(last.mp4Bytes).toBe(kept);
    const { boxes, complete } = mp4Boxes(mp4);
    expect(complete).toBe(kept);
    expect(types(boxes)).toBe('ftyp moov moof mdat moof mdat');
    const decoded = await decodeFile(`${out}.mp4`);
    expect(decoded.frames).toBe(2 * FPS);
    expect(frameLines.filter((l) => l.mp4 === 'ok').length).toBeGreaterThanOrEqual(decoded.frames);
  });
});
