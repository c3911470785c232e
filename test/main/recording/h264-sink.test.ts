/**
 * The raw .h264 recorder against real ffprobe/ffmpeg: the file is exactly the encoder's access
 * units, decodes cleanly, and the failure cases (existing file, unwritable path, full disk) give
 * one clear error and lose nothing already written. Crash and mid-recording disk-full behaviour,
 * run in a child process with both sinks, is in mp4-sink.test.ts.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedFrame, StreamInfo } from '../../../main/engine/types.js';
import { RecordingError, createH264Sink } from '../../../main/recording/h264-sink.js';
import { decodeFile, encodeClip, probeVideo } from '../../helpers/probe.js';

const W = 160, H = 120, FPS = 30, GOP = 15, FRAMES = 150;
const INFO: StreamInfo = { width: W, height: H, fps: FPS };

let dir: string;
let clip: EncodedFrame[];
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-h264-sink-'));
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

describe('createH264Sink', () => {
  it('records exactly the encoder output, which ffprobe and ffmpeg -xerror read as the clip', async () => {
    const file = path('clip.h264');
    const sink = createH264Sink(file);
    expect(sink.kind).toBe('h264');
    expect(sink.path).toBe(file);
    await sink.start(INFO);
    let expected = 0;
    for (const frame of clip) {
      await sink.write(frame);
      expected += frame.data.byteLength;
      // One write per frame, nothing held back: the file holds every frame write() resolved for.
      expect(sink.bytesWritten).toBe(expected);
      expect((await stat(file)).size).toBe(expected);
    }
    await sink.close();

    expect(await readFile(file)).toEqual(Buffer.concat(clip.map((f) => f.data)));
    const probed = await probeVideo(file);
    expect(probed).toMatchObject({ formatName: 'h264', codecName: 'h264', width: W, height: H, frames: FRAMES });
    expect((await decodeFile(file)).frames).toBe(FRAMES);
  });

  it('runs start, writes and close in call order when the caller does not wait for each', async () => {
    const file = path('unawaited.h264');
    const sink = createH264Sink(file);
    const calls = [sink.start(INFO), ...clip.slice(0, 30).map((f) => sink.write(f)), sink.close()];
    await Promise.all(calls);
    expect(await readFile(file)).toEqual(Buffer.concat(clip.slice(0, 30).map((f) => f.data)));
  });

  it('refuses a first frame that is not a keyframe and still starts on the next keyframe', async () => {
    const file = path('late-start.h264');
    const sink = createH264Sink(file);
    await sink.start(INFO);
    const e = await rejection(sink.write(clip[1]!));
    expect(e.message).toBe(`h264 recording ${file} must start on a keyframe: frame 1 is not one`);
    expect((await stat(file)).size).toBe(0);

    // Joined at the second GOP, as a recording started mid-stream does.
    const tail = clip.slice(GOP);
    for (const frame of tail) await sink.write(frame);
    await sink.close();
    expect((await decodeFile(file)).frames).toBe(tail.length);
  });

  it('refuses to replace an existing file, leaving it untouched, and replaces it with overwrite', async () => {
    const file = path('existing.h264');
    await writeFile(file, 'an earlier recording');
    const sink = createH264Sink(file);
    const e = await rejection(sink.start(INFO));
    expect(e.message).toBe(`cannot create ${file}: it already exists (choose another name, or allow overwriting)`);
    expect(e.code).toBe('EEXIST');
    expect(await readFile(file, 'utf8')).toBe('an earlier recording');
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe('an earlier recording');

    const replacing = createH264Sink(file, { overwrite: true });
    await replacing.start(INFO);
    await replacing.write(clip[0]!);
    await replacing.close();
    expect(await readFile(file)).toEqual(Buffer.from(clip[0]!.data));
  });

  it('names the problem with an unwritable path', async () => {
    const missing = path('no-such-folder/clip.h264');
    const e1 = await rejection(createH264Sink(missing).start(INFO));
    expect(e1.message).toBe(`cannot create ${missing}: the folder ${path('no-such-folder')} does not exist`);
    expect(e1.code).toBe('ENOENT');

    await writeFile(path('a-file'), '');
    const underFile = path('a-file/clip.h264');
    const e2 = await rejection(createH264Sink(underFile).start(INFO));
    expect(e2.message).toBe(`cannot create ${underFile}: a part of the path is not a folder`);

    const e3 = await rejection(createH264Sink(dir, { overwrite: true }).start(INFO));
    expect(e3.message).toBe(`cannot create ${dir}: it is a folder`);
  });

  it('rejects with a clear error when the disk is full (/dev/full), and keeps rejecting', async () => {
    const sink = createH264Sink('/dev/full', { overwrite: true });
    await sink.start(INFO); // opening /dev/full works; every write fails with ENOSPC
    const e = await rejection(sink.write(clip[0]!));
    expect(e.message).toBe('disk full while writing /dev/full after 0 bytes');
    expect(e.code).toBe('ENOSPC');
    expect(sink.bytesWritten).toBe(0);
    expect(await rejection(sink.write(clip[1]!))).toBe(e);
    await sink.close();
    await sink.close();
  });

  it('says what is wrong when used out of order, and closes idempotently', async () => {
    const file = path('order.h264');
    const sink = createH264Sink(file);
    expect((await rejection(sink.write(clip[0]!))).message).toBe(`h264 recording ${file} is not started`);
    await sink.start(INFO);
    expect((await rejection(sink.start(INFO))).message).toBe(`h264 recording ${file} was already started`);
    await sink.write(clip[0]!);
    await Promise.all([sink.close(), sink.close()]);
    await sink.close();
    expect((await rejection(sink.write(clip[1]!))).message).toBe(`h264 recording ${file} is closed`);
    expect((await stat(file)).size).toBe(clip[0]!.data.byteLength);
  });
});
