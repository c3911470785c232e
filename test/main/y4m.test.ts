import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_LINE, Y4mError, Y4mReader, parseY4m, parseY4mHeader, y4mHeaderLine } from '../../main/media/y4m.js';
import { runCli } from '../helpers/cli.js';

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

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** `FRAME Xxxx…\n` of exactly `length` bytes, newline included. */
function frameLine(length: number): string {
  return 'FRAME X' + 'x'.repeat(length - 8) + '\n';
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

  it('defaults the rate to 30:1 when there is no F tag (documented)', () => {
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
    expect(headerError('YUV4MPEG2 W16 H16 F30:1:2\n')).toBe('y4m frame rate F30:1:2 is not a positive ratio');
    expect(headerError('YUV4MPEG2 W16 H16 F0x1E:1\n')).toBe('y4m frame rate F0x1E:1 is not a positive ratio');
    expect(headerError('YUV4MPEG2 W16 H16 C422\n')).toBe('y4m colour space C422 is not supported: expected 8-bit 4:2:0 (C420)');
    expect(headerError('YUV4MPEG2 W16 H16 C420p10\n')).toMatch(/C420p10 is not supported/);
    expect(headerError('YUV4MPEG2 W16 H16 It\n')).toBe('y4m interlacing It is not supported: expected progressive (Ip)');
    expect(headerError('YUV4MPEG2 H16 F30:1\n')).toBe('y4m header has no valid size: no W tag H16');
    expect(headerError('YUV4MPEG2 W16\n')).toBe('y4m header has no valid size: W16 no H tag');
    expect(headerError('YUV4MPEG2 W0 H16\n')).toBe('y4m header has no valid size: W0 H16');
    expect(headerError('YUV4MPEG2 W16 H1.5\n')).toBe('y4m header has no valid size: W16 H1.5');
  });

  it('shows a size that is not a number as written, never NaN', () => {
    expect(headerError('YUV4MPEG2 Wx H16\n')).toBe('y4m header has no valid size: Wx H16');
    expect(headerError('YUV4MPEG2 W H16\n')).toBe('y4m header has no valid size: W H16');
    // Number() would read these as 16, 1000 and 16; a y4m size is plain digits.
    expect(headerError('YUV4MPEG2 W0x10 H16\n')).toBe('y4m header has no valid size: W0x10 H16');
    expect(headerError('YUV4MPEG2 W1e3 H16\n')).toBe('y4m header has no valid size: W1e3 H16');
    expect(headerError('YUV4MPEG2 W-16 H16\n')).toBe('y4m header has no valid size: W-16 H16');
    expect(headerError('YUV4MPEG2 W16 Habc\n')).toBe('y4m header has no valid size: W16 Habc');
  });

  it('throws errors named Y4mError', () => {
    expect(String(new Y4mError('x'))).toBe('Y4mError: x');
    const error = (() => {
      try {
        parseY4mHeader(text('YUV4MPEG2 Wx H16\n'));
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a Y4mError');
    })();
    expect(error).toBeInstanceOf(Y4mError);
    expect(error.name).toBe('Y4mError');
    expect(error.stack).toMatch(/^Y4mError: y4m header has no valid size: Wx H16\n/);
  });
});

describe('parseY4m (in memory)', () => {
  it('returns every whole frame', () => {
    const frames = [0, 1, 2].map((i) => frameBytes(6, 4, i));
    const parsed = parseY4m(y4m('YUV4MPEG2 W6 H4 F25:1\n', frames));
    expect(parsed.header.width).toBe(6);
    expect(parsed.frames).toEqual(frames);
    expect(parsed.trailingBytes).toBe(0);
  });

  it('skips FRAME parameters', () => {
    const frames = [frameBytes(4, 4, 0), frameBytes(4, 4, 1)];
    expect(parseY4m(y4m('YUV4MPEG2 W4 H4\n', frames, 'FRAME Ip XYSCSS=420JPEG\n')).frames).toEqual(frames);
  });

  it('drops a truncated last frame and says how many bytes it left', () => {
    const bytes = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0), frameBytes(4, 4, 1)]);
    // header 16 bytes, then 6 + 24 per frame: the second frame's 30 bytes lose 5.
    const parsed = parseY4m(bytes.subarray(0, bytes.length - 5));
    expect(parsed.frames).toEqual([frameBytes(4, 4, 0)]);
    expect(parsed.trailingBytes).toBe(25);
  });

  it('treats a file cut inside a FRAME line as truncated too, not as damaged', () => {
    const whole = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)]);
    for (const tail of ['F', 'FRA', 'FRAME', 'FRAME Ip XYSCSS']) {
      const parsed = parseY4m(concat(whole, text(tail)));
      expect(parsed.frames, tail).toEqual([frameBytes(4, 4, 0)]);
      expect(parsed.trailingBytes, tail).toBe(tail.length);
    }
    // A header and a cut first FRAME line: no frames, the cut line left over.
    expect(parseY4m(text('YUV4MPEG2 W4 H4\nFRA'))).toMatchObject({ frames: [], trailingBytes: 3 });
  });

  it('refuses data where a frame marker should be', () => {
    const bytes = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)], 'JUNK\n');
    expect(() => parseY4m(bytes)).toThrow(new Y4mError('y4m frame marker missing at byte 16'));
  });

  it('checks the whole FRAME marker, not its first letter', () => {
    for (const line of ['FRAMX\n', 'FOO\n', 'FRAM\n', 'FRAMEX\n', 'FRAME_Ip\n', '\n', 'frame\n']) {
      const bytes = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)], line);
      expect(() => parseY4m(bytes), JSON.stringify(line)).toThrow(new Y4mError('y4m frame marker missing at byte 16'));
    }
    // A cut tail that cannot be the start of a FRAME line is damage, not truncation.
    const whole = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)]);
    expect(() => parseY4m(concat(whole, text('FX')))).toThrow(new Y4mError('y4m frame marker missing at byte 46'));
  });

  it('accepts long FRAME parameter lines up to MAX_FRAME_LINE bytes', () => {
    const frames = [frameBytes(4, 4, 0), frameBytes(4, 4, 1)];
    for (const length of [300, 5000, MAX_FRAME_LINE]) {
      expect(parseY4m(y4m('YUV4MPEG2 W4 H4\n', frames, frameLine(length))).frames, String(length)).toEqual(frames);
    }
    expect(() => parseY4m(y4m('YUV4MPEG2 W4 H4\n', frames, frameLine(MAX_FRAME_LINE + 1))))
      .toThrow(new Y4mError(`y4m FRAME line at byte 16 is longer than ${MAX_FRAME_LINE} bytes`));
    // Without a newline within the bound it is refused as well, not taken for a truncated tail.
    const whole = y4m('YUV4MPEG2 W4 H4\n', frames);
    expect(() => parseY4m(concat(whole, text(frameLine(MAX_FRAME_LINE + 10).slice(0, -1)))))
      .toThrow(new Y4mError(`y4m FRAME line at byte ${whole.length} is longer than ${MAX_FRAME_LINE} bytes`));
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

  it('stops before a truncated last frame and reports its bytes', async () => {
    const bytes = y4m('YUV4MPEG2 W8 H8\n', [frameBytes(8, 8, 0), frameBytes(8, 8, 1), frameBytes(8, 8, 2)]);
    const reader = await Y4mReader.open(await file('cut.y4m', bytes.subarray(0, bytes.length - 1)));
    expect(await reader.next()).toEqual(frameBytes(8, 8, 0));
    expect(reader.trailingBytes).toBe(0); // not known before the end is reached
    expect(await readAll(reader)).toEqual([frameBytes(8, 8, 1)]);
    expect(reader.trailingBytes).toBe(6 + 96 - 1);
    expect(await reader.next()).toBeNull();
    expect(reader.trailingBytes).toBe(6 + 96 - 1);
    await reader.close();
  });

  it('reports no trailing bytes for a file that ends cleanly', async () => {
    const reader = await Y4mReader.open(await file('clean.y4m', y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)])));
    expect(await readAll(reader)).toHaveLength(1);
    expect(reader.trailingBytes).toBe(0);
    await reader.close();
  });

  it('treats a file cut inside a FRAME line as truncated, not as damaged', async () => {
    const whole = y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)]);
    for (const [i, tail] of ['F', 'FRAME', 'FRAME Ip', 'FRAME ' + 'x'.repeat(1000)].entries()) {
      const reader = await Y4mReader.open(await file(`cut-line-${i}.y4m`, concat(whole, text(tail))));
      expect(await readAll(reader)).toEqual([frameBytes(4, 4, 0)]);
      expect(reader.trailingBytes).toBe(tail.length);
      await reader.close();
    }
  });

  it('checks the whole FRAME marker', async () => {
    for (const [i, line] of ['FRAMX\n', 'FRAM\n', 'FRAMEX\n', 'F\n'].entries()) {
      const reader = await Y4mReader.open(await file(`marker-${i}.y4m`, y4m('YUV4MPEG2 W4 H4\n', [frameBytes(4, 4, 0)], line)));
      await expect(reader.next(), line).rejects.toThrow(new Y4mError('y4m frame marker missing at byte 16'));
      await reader.close();
    }
  });

  it('accepts FRAME lines longer than its first read, up to MAX_FRAME_LINE bytes', async () => {
    const frames = [frameBytes(4, 4, 0), frameBytes(4, 4, 1), frameBytes(4, 4, 2)];
    for (const length of [255, 256, 257, 300, 4097, MAX_FRAME_LINE]) {
      const reader = await Y4mReader.open(await file(`long-${length}.y4m`, y4m('YUV4MPEG2 W4 H4\n', frames, frameLine(length))));
      expect(await readAll(reader), String(length)).toEqual(frames);
      expect(reader.trailingBytes).toBe(0);
      await reader.close();
    }
    const reader = await Y4mReader.open(await file('too-long.y4m', y4m('YUV4MPEG2 W4 H4\n', frames, frameLine(MAX_FRAME_LINE + 1))));
    await expect(reader.next()).rejects.toThrow(new Y4mError(`y4m FRAME line at byte 16 is longer than ${MAX_FRAME_LINE} bytes`));
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

describe('h264-studio encode: a truncated y4m', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264-studio-y4m-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const W = 32, H = 16;
  const clip = (tail: Uint8Array) => concat(y4m(y4mHeaderLine(W, H, 30), [frameBytes(W, H, 0), frameBytes(W, H, 1)]), tail);

  const run = runCli;

  const SUMMARY = /^encoded 2 frames \(32x16 at 30 fps\): \d+ bytes/;

  it('warns on one stderr line about a file cut inside a frame, and encodes the whole ones', async () => {
    const input = join(dir, 'cut-data.y4m');
    await writeFile(input, clip(concat(text('FRAME\n'), frameBytes(W, H, 2).subarray(0, 100))));
    const r = await run(['encode', '--input', input, '--output', join(dir, 'cut-data.h264')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`h264-studio: warning: ${input} ends with 106 bytes that are not a whole 32x16 frame: ignored\n`);
    expect(r.stdout.toString()).toMatch(SUMMARY);
  });

  it('warns the same way about a file cut inside a FRAME line', async () => {
    const input = join(dir, 'cut-line.y4m');
    await writeFile(input, clip(text('FRAM')));
    const r = await run(['encode', '--input', input, '--output', join(dir, 'cut-line.h264')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`h264-studio: warning: ${input} ends with 4 bytes that are not a whole 32x16 frame: ignored\n`);
    expect(r.stdout.toString()).toMatch(SUMMARY);
  });

  it('says nothing about a file that ends cleanly', async () => {
    const input = join(dir, 'clean.y4m');
    await writeFile(input, clip(new Uint8Array(0)));
    const r = await run(['encode', '--input', input, '--output', join(dir, 'clean.h264')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toMatch(SUMMARY);
  });

  it('warns about y4m on stdin cut inside a FRAME line instead of refusing it', async () => {
    const r = await run(['encode', '--input', '-', '--output', join(dir, 'stdin.h264')], clip(text('FRAME I')));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('h264-studio: warning: stdin ends with 7 bytes that are not a whole 32x16 frame: ignored\n');
    expect(r.stdout.toString()).toMatch(SUMMARY);
  });
});

describe('parseY4mHeader size bound', () => {
  it('refuses absurd sizes with a clear error instead of an allocation failure', () => {
    const header = new TextEncoder().encode('YUV4MPEG2 W100000 H100000 F30:1\n');
    expect(() => parseY4mHeader(header)).toThrow(Y4mError);
    expect(() => parseY4mHeader(header)).toThrow('y4m size 100000x100000 is too large: at most 16384 on each side');
  });
});
