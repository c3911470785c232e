import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Y4mError, Y4mReader, parseY4m, parseY4mHeader, y4mHeaderLine } from '../../main/media/y4m.js';

const text = (s: string) => new TextEncoder().encode(s);

/** A frame whose every byte depends on its index and position, so swaps and offsets show. */
function frameBytes(width: number, height: number, index: number): Uint8Array {
  const n = width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + index * 31) & 0xff);
}

function y4m(header: string, frames: Uint8Array[], frameLine = 'FRAME\n'): Uint8Array {
  const parts = [text(header), ...frames.flatMap((f) => [text(frameLine), f])];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function headerError(line: string): string {
  try {
    parseY4mHeader(text(line));
  } catch (e) {
    expect(e).toBeInstanceOf(Y4mError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(line)} to be refused`);
}

describe('parseY4mHeader', () => {
  it('reads size, rate and where the first frame starts', () => {
    const line = 'YUV4MPEG2 W64 H48 F30000:1001 Ip A1:1 C420jpeg\n';
    expect(parseY4mHeader(text(line + 'FRAME\n'))).toEqual({
      width: 64, height: 48, fpsNum: 30000, fpsDen: 1001, headerBytes: line.length, frameBytes: 64 * 48 * 3 / 2,
    });
  });

  it('accepts every 8-bit 4:2:0 colour space tag, or none', () => {
    for (const c of ['C420', 'C420jpeg', 'C420paldv', 'C420mpeg2', '']) {
      expect(parseY4mHeader(text(`YUV4MPEG2 W16 H16 F25:1 ${c}\n`)).frameBytes).toBe(384);
    }
  });

  it('defaults the rate to 30:1 when there is no F tag', () => {
    const h = parseY4mHeader(text('YUV4MPEG2 W16 H16\n'));
    expect([h.fpsNum, h.fpsDen]).toEqual([30, 1]);
  });

  it('rounds chroma planes up for odd sizes', () => {
    expect(parseY4mHeader(text('YUV4MPEG2 W5 H3 F1:1\n')).frameBytes).toBe(5 * 3 + 2 * 3 * 2);
  });

  it('round-trips the header line it writes', () => {
    const h = parseY4mHeader(text(y4mHeaderLine(320, 240, 24000, 1001)));
    expect(h).toMatchObject({ width: 320, height: 240, fpsNum: 24000, fpsDen: 1001 });
    expect(y4mHeaderLine(8, 8, 25)).toBe('YUV4MPEG2 W8 H8 F25:1 Ip A1:1 C420jpeg\n');
  });

  it('names what is wrong', () => {
    expect(headerError('RIFF....WAVEfmt \n')).toBe('not a YUV4MPEG2 file: it starts with "RIFF....WAVE"');
    expect(headerError('YUV4MPEG2 W16 H16')).toBe('not a YUV4MPEG2 file: no header line in the first 1024 bytes');
    expect(headerError('YUV4MPEG2 W16 H16 ' + 'X'.repeat(1100) + '\n')).toMatch(/no header line in the first 1024 bytes/);
    expect(headerError('YUV4MPEG2 W16 H16 F30\n')).toBe('y4m frame rate F30 is not a positive ratio');
    expect(headerError('YUV4MPEG2 W16 H16 F0:1\n')).toBe('y4m frame rate F0:1 is not a positive ratio');
    expect(headerError('YUV4MPEG2 W16 H16 F30:0\n')).toBe('y4m frame rate F30:0 is not a positive ratio');
    expect(headerError('YUV4MPEG2 W16 H16 C422\n')).toBe('y4m colour space C422 is not supported: expected 8-bit 4:2:0 (C420)');
    expect(headerError('YUV4MPEG2 W16 H16 C420p10\n')).toMatch(/C420p10 is not supported/);
    expect(headerError('YUV4MPEG2 W16 H16 It\n')).toBe('y4m interlacing It is not supported: expected progressive (Ip)');
    expect(headerError('YUV4MPEG2 H16 F30:1\n')).toBe('y4m header has no valid size: W0 H16');
    expect(headerError('YUV4MPEG2 W16 H1.5\n')).toBe('y4m header has no valid size: W16 H1.5');
    expect(headerError('YUV4MPEG2 Wx H16\n')).toBe('y4m header has no valid size: WNaN H16');
  });
});

describe('parseY4m (in memory)', () => {
  it('returns every whole frame', () => {
    const frames = [0, 1, 2].map((i) => frameBytes(6, 4, i));
    const parsed = parseY4m(y4m('YUV4MPEG2 W6 H4 F25:1\n', frames));
    expect(parsed.header.width).toBe(6);
    expect(parsed.frames).toEqual(frames);
  });

  it('skips FRAME parameters', () => {
    const frames = [frameBytes(4, 4, 0), frameBytes(4, 4, 1)];
    expect(parseY4m(y4m('YUV4MPEG2 W4 H4\n', frames, 'FRAME Ip XYSCSS=420JPEG\n')).frames).toEqual(frames);
  });

  it('drops a truncated last frame', () => {
    const bytes = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0), frameBytes(4, 4, 1)]);
    expect(parseY4m(bytes.subarray(0, bytes.length - 5)).frames).toEqual([frameBytes(4, 4, 0)]);
  });

  it('refuses data where a frame marker should be', () => {
    const bytes = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)], 'JUNK\n');
    expect(() => parseY4m(bytes)).toThrow(new Y4mError('y4m frame marker missing at byte 16'));
  });
});

describe('Y4mReader (streaming from a file)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264-studio-y4m-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  }

  async function readAll(reader: Y4mReader): Promise<Uint8Array[]> {
    const frames: Uint8Array[] = [];
    for (let f = await reader.next(); f !== null; f = await reader.next()) frames.push(f);
    return frames;
  }

  it('reads frames one by one, then null', async () => {
    const frames = [0, 1, 2, 3].map((i) => frameBytes(10, 6, i));
    const reader = await Y4mReader.open(await file('clip.y4m', y4m('YUV4MPEG2 W10 H6 F24:1 Ip C420jpeg\n', frames)));
    try {
      expect(reader.header).toMatchObject({ width: 10, height: 6, fpsNum: 24, fpsDen: 1, frameBytes: 90 });
      expect(await readAll(reader)).toEqual(frames);
      expect(await reader.next()).toBeNull();
    } finally {
      await reader.close();
    }
  });

  it('hands out a new buffer per frame', async () => {
    const reader = await Y4mReader.open(await file('two.y4m', y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0), frameBytes(4, 4, 1)])));
    const a = await reader.next(), b = await reader.next();
    await reader.close();
    expect(a).not.toBe(b);
    expect(a).toEqual(frameBytes(4, 4, 0));
  });

  it('skips FRAME parameters', async () => {
    const frames = [frameBytes(4, 2, 0), frameBytes(4, 2, 1)];
    const reader = await Y4mReader.open(await file('params.y4m', y4m('YUV4MPEG2 W4 H2\n', frames, 'FRAME Ip\n')));
    expect(await readAll(reader)).toEqual(frames);
    await reader.close();
  });

  it('reads a header-only file as no frames', async () => {
    const reader = await Y4mReader.open(await file('empty.y4m', text('YUV4MPEG2 W4 H4 F30:1\n')));
    expect(await reader.next()).toBeNull();
    await reader.close();
  });

  it('stops before a truncated last frame', async () => {
    const bytes = y4m('YUV4MPEG2 W8 H8\n', [frameBytes(8, 8, 0), frameBytes(8, 8, 1), frameBytes(8, 8, 2)]);
    const reader = await Y4mReader.open(await file('cut.y4m', bytes.subarray(0, bytes.length - 1)));
    expect(await readAll(reader)).toEqual([frameBytes(8, 8, 0), frameBytes(8, 8, 1)]);
    expect(await reader.next()).toBeNull();
    await reader.close();
  });

  it('refuses a file that is not y4m, and one whose frame marker is damaged', async () => {
    await expect(Y4mReader.open(await file('not.y4m', text('hello world\n')))).rejects.toThrow(Y4mError);
    const bad = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0), frameBytes(4, 4, 1)]);
    bad[16 + 6 + 24] = 0x58; // the second FRAME becomes XRAME
    const reader = await Y4mReader.open(await file('bad.y4m', bad));
    expect(await reader.next()).toEqual(frameBytes(4, 4, 0));
    await expect(reader.next()).rejects.toThrow(new Y4mError('y4m frame marker missing at byte 46'));
    await reader.close();
  });

  it('passes on a missing file as the fs error', async () => {
    await expect(Y4mReader.open(join(dir, 'nope.y4m'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
