import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingFileError, expandPattern, openExclusive, reservePath } from '../../../main/recording/file-naming.js';
import { isRoot, runAsNobody } from '../../helpers/as-nobody.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-naming-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `d${++n}`);
  await mkdir(dir);
  return dir;
}

/** 2 January 2024, 03:04:05 local time (tests hold in any time zone). */
const date = new Date(2024, 0, 2, 3, 4, 5);

async function rejection(promise: Promise<unknown>): Promise<RecordingFileError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(RecordingFileError);
    return e as RecordingFileError;
  }
  throw new Error('expected a rejection');
}

describe('expandPattern', () => {
  it('expands the date tokens in local time', () => {
    expect(expandPattern('studio-%Y%m%d-%H%M%S.mp4', date)).toBe('studio-20240102-030405.mp4');
    expect(expandPattern('%Y/%m/%d %H.%M.%S 100%%', date)).toBe('2024/01/02 03.04.05 100%');
    expect(expandPattern('plain.h264', date)).toBe('plain.h264');
  });

  it('expands in UTC when asked', () => {
    expect(expandPattern('%Y-%m-%dT%H%M%S', new Date(Date.UTC(1999, 11, 31, 23, 59, 58)), { utc: true })).toBe('1999-12-31T235958');
  });

  it('appends the extension unless the name has it already; {ext} places it', () => {
    expect(expandPattern('studio-%Y', date, 'mp4')).toBe('studio-2024.mp4');
    expect(expandPattern('studio-%Y', date, '.h264')).toBe('studio-2024.h264');
    expect(expandPattern('studio-%Y.MP4', date, 'mp4')).toBe('studio-2024.MP4');
    expect(expandPattern('{ext}/studio-%Y.{ext}', date, { ext: 'h264' })).toBe('h264/studio-2024.h264');
    expect(expandPattern('studio.mp4', date, 'h264')).toBe('studio.mp4.h264');
  });

  it('puts in the preset name, made safe for a file name, and a counter', () => {
    expect(expandPattern('{preset}-%H%M.mp4', date, { preset: 'QVGA 15 fps 1.5 Mb/s' })).toBe('QVGA-15-fps-1.5-Mb-s-0304.mp4');
    expect(expandPattern('{preset}.mp4', date, { preset: '../..\\x:y*' })).toBe('x-y.mp4');
    expect(expandPattern('take-{n}', date, { n: 7, ext: 'mp4' })).toBe('take-7.mp4');
  });

  it('refuses unknown tokens, missing values and bad input with a RangeError naming them', () => {
    expect(() => expandPattern('a-%q', date)).toThrow(new RangeError('unknown token "%q" in file name pattern "a-%q": expected one of %Y %m %d %H %M %S %% {ext} {preset} {n}'));
    expect(() => expandPattern('a-%', date)).toThrow('unknown token "%" in file name pattern "a-%"');
    expect(() => expandPattern('a-{date}', date)).toThrow('unknown token "{date}"');
    expect(() => expandPattern('a-{preset}', date)).toThrow('file name pattern "a-{preset}" uses {preset} but no preset name was given');
    expect(() => expandPattern('a-{preset}', date, { preset: '///' })).toThrow(RangeError);
    expect(() => expandPattern('a-{n}', date)).toThrow('uses {n} but no counter was given');
    expect(() => expandPattern('a.{ext}', date)).toThrow('uses {ext} but no extension was given');
    expect(() => expandPattern('a', date, 'm/p4')).toThrow('file extension must be letters and digits, e.g. "mp4", got "m/p4"');
    expect(() => expandPattern('a', new Date(NaN))).toThrow('file name date is invalid');
    expect(() => expandPattern('recordings/', date)).toThrow('gives no file name');
  });
});

describe('openExclusive', () => {
  it('creates a new file for writing', async () => {
    const path = join(await freshDir(), 'new.mp4');
    const file = await openExclusive(path);
    await file.write(new Uint8Array([1, 2, 3]));
    await file.close();
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
  });

  it('never touches an existing file unless told to overwrite it', async () => {
    const path = join(await freshDir(), 'taken.mp4');
    await writeFile(path, 'precious');
    const e = await rejection(openExclusive(path));
    expect([e.code, e.path, e.message]).toEqual(['EEXIST', path, `${path} already exists (it was not overwritten)`]);
    expect(await readFile(path, 'utf8')).toBe('precious');
    const file = await openExclusive(path, { overwrite: true });
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('names a missing directory', async () => {
    const dir = join(await freshDir(), 'missing');
    const path = join(dir, 'x.mp4');
    const e = await rejection(openExclusive(path));
    expect([e.code, e.message]).toEqual(['ENOENT', `cannot create ${path}: directory ${dir} does not exist`]);
  });

  it('names a path that is a directory or goes through a file', async () => {
    const dir = await freshDir();
    expect((await rejection(openExclusive(dir, { overwrite: true }))).message).toBe(`cannot create ${dir}: it is a directory`);
    await writeFile(join(dir, 'file'), '');
    const through = join(dir, 'file', 'x.mp4');
    expect((await rejection(openExclusive(through))).message).toBe(`cannot create ${through}: a part of the path is not a directory`);
  });

  // Root writes through mode bits: as root (CI) the open runs as user 65534.
  it.skipIf(process.platform === 'win32')('names a directory it may not write', async () => {
    const dir = await freshDir();
    await chmod(dir, 0o555);
    const message = `cannot create ${join(dir, 'x.mp4')}: directory ${dir} is not writable`;
    try {
      if (isRoot) {
        await chmod(root, 0o755);
        const r = await runAsNobody('main/recording/file-naming.js', `await mod.openExclusive(${JSON.stringify(join(dir, 'x.mp4'))}); return 'created';`);
        expect([r.code, r.error]).toEqual(['EACCES', message]);
      } else {
        const e = await rejection(openExclusive(join(dir, 'x.mp4')));
        expect([e.code, e.message]).toEqual(['EACCES', message]);
      }
    } finally {
      await chmod(dir, 0o700);
    }
  });
});

describe('reservePath', () => {
  it('expands the pattern in `dir` and creates the file', async () => {
    const dir = await freshDir();
    const { path, file } = await reservePath('studio-%Y%m%d-%H%M%S', { dir, date, ext: 'mp4' });
    await file.close();
    expect(path).toBe(join(dir, 'studio-20240102-030405.mp4'));
    expect(await readdir(dir)).toEqual(['studio-20240102-030405.mp4']);
  });

  it('refuses a taken name unless asked for a unique one or to overwrite', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'take.mp4'), 'first');
    expect((await rejection(reservePath('take.mp4', { dir }))).code).toBe('EEXIST');
    const over = await reservePath('take.mp4', { dir, overwrite: true });
    await over.file.close();
    expect(over.path).toBe(join(dir, 'take.mp4'));
    expect(await readFile(over.path, 'utf8')).toBe('');
  });

  it('adds -1, -2, ... before the extension for a unique name', async () => {
    const dir = await freshDir();
    const paths = [];
    for (let i = 0; i < 3; i++) {
      const { path, file } = await reservePath('clip-%H%M.mp4', { dir, date, unique: true });
      await file.close();
      paths.push(path);
    }
    expect(paths).toEqual(['clip-0304.mp4', 'clip-0304-1.mp4', 'clip-0304-2.mp4'].map((name) => join(dir, name)));
  });

  it('counts {n} up from n (default 1) for a unique name', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'take-1.h264'), '');
    await writeFile(join(dir, 'take-2.h264'), '');
    const { path, file } = await reservePath('take-{n}', { dir, ext: 'h264', unique: true });
    await file.close();
    expect(path).toBe(join(dir, 'take-3.h264'));
    const from10 = await reservePath('take-{n}', { dir, ext: 'h264', unique: true, n: 10 });
    await from10.file.close();
    expect(from10.path).toBe(join(dir, 'take-10.h264'));
  });

  it('gives up after maxAttempts names, naming the pattern', async () => {
    const dir = await freshDir();
    for (const name of ['a.mp4', 'a-1.mp4', 'a-2.mp4']) await writeFile(join(dir, name), '');
    const e = await rejection(reservePath('a.mp4', { dir, unique: true, maxAttempts: 3 }));
    expect([e.code, e.message]).toEqual(['EEXIST', `cannot find a free name for ${join(dir, 'a.mp4')}: 3 names tried are all taken`]);
  });

  it('gives two concurrent reservations two files', async () => {
    const dir = await freshDir();
    const both = await Promise.all([0, 1].map(() => reservePath('same.mp4', { dir, unique: true })));
    await Promise.all(both.map((r) => r.file.close()));
    expect(both.map((r) => r.path).sort()).toEqual([join(dir, 'same-1.mp4'), join(dir, 'same.mp4')]);
  });

  it('passes on errors other than a taken name, even when unique', async () => {
    const dir = join(await freshDir(), 'gone');
    const e = await rejection(reservePath('x.mp4', { dir, unique: true }));
    expect([e.code, e.message]).toEqual(['ENOENT', `cannot create ${join(dir, 'x.mp4')}: directory ${dir} does not exist`]);
  });
});
