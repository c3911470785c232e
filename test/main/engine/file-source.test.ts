import { chmod, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSourceError, openFileSource, type FileSource } from '../../../main/engine/file-source.js';
import type { VideoFrame } from '../../../main/engine/types.js';
import { isRoot, runAsNobody } from '../../helpers/as-nobody.js';
import { ManualClock, isSettled } from '../../helpers/manual-clock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const W = 32, H = 16, FRAME_BYTES = (W * H * 3) / 2;
const text = (s: string) => Buffer.from(s, 'latin1');

/** A frame whose every byte depends on its index and position, so swaps and offsets show. */
function frameBytes(index: number, width = W, height = H): Uint8Array {
  return Uint8Array.from({ length: (width * height * 3) / 2 }, (_, i) => (i * 7 + index * 31) & 0xff);
}

interface Y4mOptions {
  rate?: string;
  width?: number;
  height?: number;
  /** The FRAME line of frame i. */
  frameLine?: (i: number) => string;
  tail?: Uint8Array;
}

/** Writes a .y4m of `count` frames (frameBytes(0..count-1)) and returns its path. */
async function writeY4m(name: string, count: number, o: Y4mOptions = {}): Promise<string> {
  const width = o.width ?? W, height = o.height ?? H;
  const parts: Uint8Array[] = [text(`YUV4MPEG2 W${width} H${height} F${o.rate ?? '30:1'} Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < count; i++) parts.push(text(o.frameLine?.(i) ?? 'FRAME\n'), frameBytes(i, width, height));
  if (o.tail) parts.push(o.tail);
  const path = join(dir, name);
  await writeFile(path, Buffer.concat(parts));
  return path;
}

async function writeRaw(name: string, count: number, extra = 0): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([...Array.from({ length: count }, (_, i) => frameBytes(i)), new Uint8Array(extra)]));
  return path;
}

async function readAll(source: FileSource, max = 1000): Promise<VideoFrame[]> {
  const frames: VideoFrame[] = [];
  for (let f = await source.read(); f && frames.length < max; f = await source.read()) frames.push(f);
  return frames;
}

async function openError(path: string, options?: Parameters<typeof openFileSource>[1]): Promise<Error> {
  try {
    const source = await openFileSource(path, options);
    await source.close();
  } catch (e) {
    expect(e).toBeInstanceOf(FileSourceError);
    return e as Error;
  }
  throw new Error(`expected ${path} to be refused`);
}

/** The files this process holds open (Linux: /proc/self/fd). */
async function openFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  return (await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))).filter(Boolean);
}

describe('openFileSource: y4m', () => {
  it('takes size and rate from the header and reads every frame in order, then null', async () => {
    const path = await writeY4m('five.y4m', 5);
    const source = await openFileSource(path);
    expect(source.info).toEqual({ width: W, height: H, fps: 30, live: false, description: 'file five.y4m' });
    expect(source.format).toBe('y4m');
    expect(source.frameCount).toBeNull(); // not known until the end
    const frames = await readAll(source);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    expect(frames.map((f) => f.timestampUs)).toEqual([0, 33333, 66667, 100000, 133333]);
    frames.forEach((f, i) => {
      expect([f.width, f.height]).toEqual([W, H]);
      expect(f.data).toEqual(frameBytes(i));
    });
    expect(await source.read()).toBeNull();
    expect([source.frameCount, source.trailingBytes, source.warnings]).toEqual([5, 0, []]);
    await source.close();
  });

  it('keeps a fractional rate exact in the timestamps (F30000:1001)', async () => {
    const source = await openFileSource(await writeY4m('ntsc.y4m', 4, { rate: '30000:1001' }));
    expect(source.info.fps).toBeCloseTo(29.97, 2);
    expect(source.rate).toEqual({ num: 30000, den: 1001 });
    expect((await readAll(source)).map((f) => f.timestampUs)).toEqual([0, 33367, 66733, 100100]);
    await source.close();
  });

  it('lets fps override the header rate', async () => {
    const source = await openFileSource(await writeY4m('rate.y4m', 2), { fps: 10 });
    expect([source.info.fps, source.rate]).toEqual([10, { num: 10, den: 1 }]);
    expect((await readAll(source)).map((f) => f.timestampUs)).toEqual([0, 100_000]);
    await source.close();
  });

  it('reads FRAME lines with parameters, long ones included', async () => {
    const path = await writeY4m('params.y4m', 3, { frameLine: (i) => (i === 1 ? `FRAME X${'y'.repeat(5000)}\n` : 'FRAME Ixyz\n') });
    const source = await openFileSource(path);
    expect((await readAll(source)).map((f) => f.data)).toEqual([0, 1, 2].map((i) => frameBytes(i)));
    await source.close();
  });

  it('plays a file cut short up to its last whole frame and warns about the rest', async () => {
    const path = await writeY4m('cut.y4m', 3, { tail: Buffer.concat([text('FRAME\n'), new Uint8Array(100)]) });
    const source = await openFileSource(path);
    expect(await readAll(source)).toHaveLength(3);
    expect(source.trailingBytes).toBe(106);
    expect(source.warnings).toEqual([`${path} ends with 106 bytes that are not a whole 32x16 frame: ignored`]);
    await source.close();
  });

  it('loops: restarts at the first frame while index and timestamps keep counting', async () => {
    const path = await writeY4m('loop.y4m', 3, { tail: text('FRA') });
    const source = await openFileSource(path, { loop: true });
    expect(source.info.description).toBe('file loop.y4m (looping)');
    const frames = await readAll(source, 8);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(frames.map((f) => f.data)).toEqual([0, 1, 2, 0, 1, 2, 0, 1].map((i) => frameBytes(i)));
    expect(frames.map((f) => f.timestampUs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => Math.round((i * 1e6) / 30)));
    // The truncated tail is reported once, not once per pass.
    expect([source.frameCount, source.warnings.length]).toEqual([3, 1]);
    await source.close();
  });

  it('loops a one-frame file', async () => {
    const source = await openFileSource(await writeY4m('one.y4m', 1), { loop: true });
    expect((await readAll(source, 4)).map((f) => f.index)).toEqual([0, 1, 2, 3]);
    await source.close();
  });

  it('gives concurrent reads consecutive frames', async () => {
    const source = await openFileSource(await writeY4m('concurrent.y4m', 3));
    const frames = await Promise.all([source.read(), source.read(), source.read(), source.read()]);
    expect(frames.map((f) => f?.index ?? null)).toEqual([0, 1, 2, null]);
    expect(frames[2]!.data).toEqual(frameBytes(2));
    await source.close();
  });
});

describe('openFileSource: raw I420', () => {
  it('needs size and fps, and reads frames back to back', async () => {
    const path = await writeRaw('clip.yuv', 3);
    const source = await openFileSource(path, { size: { width: W, height: H }, fps: 25 });
    expect(source.info).toEqual({ width: W, height: H, fps: 25, live: false, description: 'file clip.yuv' });
    expect([source.format, source.frameCount, source.trailingBytes]).toEqual(['yuv', 3, 0]);
    const frames = await readAll(source);
    expect(frames.map((f) => f.data)).toEqual([0, 1, 2].map((i) => frameBytes(i)));
    expect(frames.map((f) => f.timestampUs)).toEqual([0, 40_000, 80_000]);
    await source.close();
  });

  it('loops', async () => {
    const source = await openFileSource(await writeRaw('loop.yuv', 2), { size: { width: W, height: H }, fps: 25, loop: true });
    const frames = await readAll(source, 5);
    expect(frames.map((f) => f.data)).toEqual([0, 1, 0, 1, 0].map((i) => frameBytes(i)));
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    await source.close();
  });

  it('warns at open about bytes that are not a whole frame (a wrong size, usually)', async () => {
    const path = await writeRaw('odd.yuv', 2, 100);
    const source = await openFileSource(path, { size: { width: W, height: H }, fps: 25 });
    expect(source.trailingBytes).toBe(100);
    expect(source.warnings).toEqual([`${path} ends with 100 bytes that are not a whole 32x16 frame: ignored (is the size right?)`]);
    expect(await readAll(source)).toHaveLength(2);
    await source.close();
  });

  it('refuses raw video without size or fps, or with a bad size or rate', async () => {
    const path = await writeRaw('bare.yuv', 2);
    expect((await openError(path)).message).toMatch(/bare\.yuv: not a YUV4MPEG2 file.*\(a raw I420 \.yuv file needs its size and fps\)/);
    expect((await openError(path, { size: { width: W, height: H } })).message).toBe(`${path}: a raw I420 file needs fps (raw video carries no frame rate)`);
    expect((await openError(path, { size: { width: 33, height: H }, fps: 25 })).message).toBe(`${path}: size: width must be an even integer from 16 to 8688, got 33`);
    expect((await openError(path, { size: { width: W, height: H }, fps: 0 })).message).toBe(`${path}: fps must be an integer from 1 to 240, got 0`);
    expect((await openError(path, { size: { width: W, height: H }, fps: 29.97 })).message).toContain('got 29.97');
  });
});

describe('openFileSource: errors', () => {
  it('names a missing file', async () => {
    const path = join(dir, 'nope.y4m');
    expect((await openError(path)).message).toBe(`cannot open ${path}: no such file`);
  });

  it('names a directory', async () => {
    const path = join(dir, 'folder.y4m');
    await mkdir(path);
    expect((await openError(path)).message).toBe(`cannot open ${path}: it is a directory`);
  });

  it('refuses a file that is not y4m', async () => {
    const path = join(dir, 'notes.y4m');
    await writeFile(path, 'hello world\n');
    expect((await openError(path)).message).toBe(`${path}: not a YUV4MPEG2 file: it starts with "hello world"`);
    // A .y4m name is held to y4m even with a size given.
    expect((await openError(path, { size: { width: W, height: H }, fps: 25 })).message).toContain('not a YUV4MPEG2 file');
  });

  it('refuses a file shorter than one frame', async () => {
    const header = await writeY4m('empty.y4m', 0);
    expect((await openError(header)).message).toMatch(/empty\.y4m is shorter than one frame: \d+ bytes, a 32x16 y4m frame needs \d+/);
    const cut = await writeY4m('half.y4m', 0, { tail: Buffer.concat([text('FRAME\n'), new Uint8Array(FRAME_BYTES - 1)]) });
    expect((await openError(cut)).message).toContain('is shorter than one frame');
    const raw = await writeRaw('short.yuv', 0, FRAME_BYTES - 1);
    expect((await openError(raw, { size: { width: W, height: H }, fps: 25 })).message).toBe(`${raw} is shorter than one frame: ${FRAME_BYTES - 1} bytes, a 32x16 yuv frame needs ${FRAME_BYTES}`);
    const zero = join(dir, 'zero.yuv');
    await writeFile(zero, '');
    expect((await openError(zero, { size: { width: W, height: H }, fps: 25 })).message).toContain('is shorter than one frame: 0 bytes');
  });

  it('refuses a y4m whose size the studio cannot take, or that differs from the size asked for', async () => {
    expect((await openError(await writeY4m('odd-size.y4m', 1, { width: 33 }))).message).toMatch(/odd-size\.y4m: width must be an even integer from 16 to 8688, got 33$/);
    const path = await writeY4m('sized.y4m', 1);
    expect((await openError(path, { size: { width: 64, height: 48 } })).message).toBe(`${path}: the clip is 32x16, not the 64x48 asked for`);
  });

  it('rejects the read that meets a damaged frame marker, naming the byte', async () => {
    const path = await writeY4m('damaged.y4m', 3, { frameLine: (i) => (i === 2 ? 'FRAMX\n' : 'FRAME\n') });
    const source = await openFileSource(path);
    await source.read();
    await source.read();
    const headerBytes = 'YUV4MPEG2 W32 H16 F30:1 Ip A1:1 C420jpeg\n'.length;
    await expect(source.read()).rejects.toThrow(`${path}: y4m frame marker missing at byte ${headerBytes + 2 * (6 + FRAME_BYTES)} (is the file damaged?)`);
    await source.close();
  });

  // Root reads through mode bits: as root (CI) the open runs as user 65534.
  it.skipIf(process.platform === 'win32')('names an unreadable file', async () => {
    const path = await writeY4m('locked.y4m', 1);
    await chmod(path, 0o000);
    if (isRoot) {
      await chmod(dir, 0o755);
      const r = await runAsNobody('main/engine/file-source.js', `await mod.openFileSource(${JSON.stringify(path)}); return 'opened';`);
      expect(r.error).toBe(`cannot open ${path}: permission denied`);
    } else {
      expect((await openError(path)).message).toBe(`cannot open ${path}: permission denied`);
    }
  });
});

describe('openFileSource: live and close', () => {
  it('is not live by default: frames as fast as read', async () => {
    const clock = new ManualClock();
    const source = await openFileSource(await writeY4m('fast.y4m', 3), { loop: true, clock });
    expect(await readAll(source, 10)).toHaveLength(10);
    expect(clock.sleeps).toEqual([]);
    await source.close();
  });

  it('paces a live file at its rate from the first read, across loops', async () => {
    const clock = new ManualClock();
    const source = await openFileSource(await writeY4m('live.y4m', 2, { rate: '10:1' }), { loop: true, live: true, clock });
    expect(source.info.live).toBe(true);
    expect((await source.read())!.index).toBe(0);
    for (let i = 1; i <= 4; i++) {
      const next = source.read();
      await clock.whenSleeping();
      expect(await isSettled(next)).toBe(false);
      clock.advance(100);
      expect((await next)!.index).toBe(i);
    }
    expect(clock.sleeps).toEqual([100, 100, 100, 100]);
    await source.close();
  });

  it('resolves a pending live read with null on close; reads after close give null; close is idempotent', async () => {
    const clock = new ManualClock();
    const source = await openFileSource(await writeY4m('closing.y4m', 2, { rate: '1:1' }), { live: true, clock });
    await source.read();
    const pending = source.read();
    await clock.whenSleeping();
    await Promise.all([source.close(), source.close()]);
    expect(await pending).toBeNull();
    expect(await source.read()).toBeNull();
    await source.close();
  });

  it.skipIf(process.platform !== 'linux')('releases the file handle on close', async () => {
    const path = await writeY4m('handle.y4m', 2);
    const source = await openFileSource(path);
    await source.read();
    expect(await openFiles()).toContain(path);
    await source.close();
    expect(await openFiles()).not.toContain(path);
  });

  it.skipIf(process.platform !== 'linux')('releases the file handle when open fails', async () => {
    const path = await writeY4m('refused.y4m', 1, { width: 34, height: 17 });
    await openError(path);
    expect(await openFiles()).not.toContain(path);
  });
});
