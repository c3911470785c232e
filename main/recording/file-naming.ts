/**
 * Recording file names: a pattern such as `studio-%Y%m%d-%H%M%S.mp4` expanded with a date, and
 * files created so that an existing recording is never overwritten unless the caller says so.
 * The file is created exclusively ('wx'), so there is no gap between "does it exist?" and "create
 * it" in which another recorder could slip in.
 *
 * Tokens: %Y (year, 4 digits), %m %d %H %M %S (2 digits), %% (a '%'); {ext} (the extension),
 * {preset} (a preset name, made file-name safe), {n} (a counter, see reservePath).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';

export interface PatternValues {
  /**
   * The file's extension ('mp4' or '.mp4'): replaces {ext}; without {ext} in the pattern it is
   * appended unless the name already ends with it.
   */
  ext?: string;
  /** Replaces {preset}; characters other than letters, digits, '.', '_' and '-' become '-'. */
  preset?: string;
  /** Replaces {n}. */
  n?: number;
  /** Date tokens in UTC rather than local time. */
  utc?: boolean;
}

const TOKENS = '%Y %m %d %H %M %S %% {ext} {preset} {n}';

/** A name safe in a file name on every platform: no separators, no reserved characters. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
}

function normaliseExt(ext: string): string {
  const e = ext.startsWith('.') ? ext.slice(1) : ext;
  if (!/^[A-Za-z0-9]+$/.test(e)) throw new RangeError(`file extension must be letters and digits, e.g. "mp4", got ${JSON.stringify(ext)}`);
  return e;
}

/**
 * Expands a file name pattern. `values` may be just the extension. Throws RangeError for an unknown
 * token, an invalid date, or a {preset}/{n} with no value.
 */
export function expandPattern(pattern: string, date: Date, values: string | PatternValues = {}): string {
  const v: PatternValues = typeof values === 'string' ? { ext: values } : values;
  if (Number.isNaN(date.getTime())) throw new RangeError('file name date is invalid');
  const ext = v.ext === undefined ? undefined : normaliseExt(v.ext);
  const two = (n: number) => String(n).padStart(2, '0');
  const utc = v.utc ?? false;
  const fields: Record<string, () => string> = {
    Y: () => String(utc ? date.getUTCFullYear() : date.getFullYear()).padStart(4, '0'),
    m: () => two((utc ? date.getUTCMonth() : date.getMonth()) + 1),
    d: () => two(utc ? date.getUTCDate() : date.getDate()),
    H: () => two(utc ? date.getUTCHours() : date.getHours()),
    M: () => two(utc ? date.getUTCMinutes() : date.getMinutes()),
    S: () => two(utc ? date.getUTCSeconds() : date.getSeconds()),
    '%': () => '%',
  };
  let usedExt = false;
  const name = pattern.replace(/%(.?)|\{(\w+)\}/gs, (token, field: string | undefined, word: string | undefined) => {
    if (field !== undefined) {
      const f = fields[field];
      if (!f) throw new RangeError(`unknown token ${JSON.stringify(token)} in file name pattern ${JSON.stringify(pattern)}: expected one of ${TOKENS}`);
      return f();
    }
    if (word === 'ext') {
      if (ext === undefined) throw new RangeError(`file name pattern ${JSON.stringify(pattern)} uses {ext} but no extension was given`);
      usedExt = true;
      return ext;
    }
    if (word === 'preset') {
      const p = v.preset === undefined ? '' : safe(v.preset);
      if (p === '') throw new RangeError(`file name pattern ${JSON.stringify(pattern)} uses {preset} but no preset name was given`);
      return p;
    }
    if (word === 'n') {
      if (v.n === undefined || !Number.isInteger(v.n) || v.n < 0) throw new RangeError(`file name pattern ${JSON.stringify(pattern)} uses {n} but no counter was given`);
      return String(v.n);
    }
    throw new RangeError(`unknown token ${JSON.stringify(token)} in file name pattern ${JSON.stringify(pattern)}: expected one of ${TOKENS}`);
  });
  const withExt = ext !== undefined && !usedExt && !name.toLowerCase().endsWith(`.${ext.toLowerCase()}`) ? `${name}.${ext}` : name;
  if (basename(withExt) === '' || /[\\/]$/.test(withExt)) throw new RangeError(`file name pattern ${JSON.stringify(pattern)} gives no file name`);
  return withExt;
}

/** A recording file that could not be created; `code` is the system's (EEXIST, EACCES, ENOENT, ...). */
export class RecordingFileError extends Error {
  override name = 'RecordingFileError';
  constructor(message: string, readonly code: string | undefined, readonly path: string) {
    super(message);
  }
}

function createError(path: string, error: unknown, overwrite: boolean): RecordingFileError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const dir = dirname(resolve(path));
  const why = code === 'EEXIST' ? null
    : code === 'ENOENT' ? `directory ${dir} does not exist`
    : code === 'EACCES' || code === 'EPERM' ? (overwrite ? 'permission denied' : `directory ${dir} is not writable`)
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'ENOTDIR' ? 'a part of the path is not a directory'
    : code === 'EROFS' ? 'read-only file system'
    : code === 'ENOSPC' ? 'no space left on device'
    : error instanceof Error ? error.message : String(error);
  return new RecordingFileError(why === null ? `${path} already exists (it was not overwritten)` : `cannot create ${path}: ${why}`, code, path);
}

/**
 * Creates `path` for writing. Without `overwrite` an existing file is never touched: rejects with
 * RecordingFileError code 'EEXIST'. With it, an existing file is truncated.
 */
export async function openExclusive(path: string, options: { overwrite?: boolean } = {}): Promise<FileHandle> {
  const overwrite = options.overwrite ?? false;
  try {
    return await open(path, overwrite ? 'w' : 'wx');
  } catch (e) {
    throw createError(path, e, overwrite);
  }
}

export interface ReserveOptions extends PatternValues {
  /** The date the pattern is expanded with (default now). */
  date?: Date;
  /** Directory a relative pattern is resolved in (default the working directory). */
  dir?: string;
  /** Truncate an existing file of that name rather than refuse it. */
  overwrite?: boolean;
  /**
   * When the name is taken, try the next one: {n} counts up from `n` (default 1) if the pattern
   * has it, else `-1`, `-2`, ... go before the extension. Default false (taken = EEXIST error).
   */
  unique?: boolean;
  /** How many names `unique` tries before giving up (default 1000). */
  maxAttempts?: number;
}

export interface ReservedFile {
  path: string;
  /** Open for writing; the caller closes it. */
  file: FileHandle;
}

/** `name` with `-k` before its extension: clip.mp4 -> clip-2.mp4. */
function withSuffix(name: string, k: number): string {
  const ext = extname(basename(name));
  return `${name.slice(0, name.length - ext.length)}-${k}${ext}`;
}

/** Expands `pattern` and creates the file, never overwriting unless asked (see ReserveOptions). */
export async function reservePath(pattern: string, options: ReserveOptions = {}): Promise<ReservedFile> {
  const { date = new Date(), dir, overwrite = false, unique = false, maxAttempts = 1000 } = options;
  const counted = /\{n\}/.test(pattern);
  const first = options.n ?? 1;
  const nameAt = (attempt: number): string => {
    const name = expandPattern(pattern, date, { ...options, n: counted ? first + attempt : options.n });
    const full = counted || attempt === 0 ? name : withSuffix(name, attempt);
    return dir === undefined ? full : join(dir, full);
  };
  for (let attempt = 0; ; attempt++) {
    const path = nameAt(attempt);
    try {
      return { path, file: await openExclusive(path, { overwrite }) };
    } catch (e) {
      if (!(e instanceof RecordingFileError) || e.code !== 'EEXIST' || !unique) throw e;
      if (attempt + 1 >= maxAttempts) {
        throw new RecordingFileError(`cannot find a free name for ${nameAt(0)}: ${maxAttempts} names tried are all taken`, 'EEXIST', nameAt(0));
      }
    }
  }
}
