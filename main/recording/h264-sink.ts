/**
 * The raw Annex-B recorder: a .h264 file holding exactly what the encoder emits, access unit after
 * access unit. Each write() hands one whole access unit to the file system before it resolves, so
 * a crash (even SIGKILL) loses at most the access unit being written; a write that fails part-way
 * (disk full, file size limit, I/O error) is cut back to the last whole access unit, so the file
 * always ends where a decoder can stop cleanly.
 *
 * Also the file handling both recorders share: opening without clobbering, writing all of a
 * buffer, and turning system errors into one clear line naming the file.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EncodedFrame, Sink, StreamInfo } from '../engine/types.js';

export interface RecordingFileOptions {
  /** Replace an existing file. Default false: an existing file is an error and stays untouched. */
  overwrite?: boolean;
}

/** A recorder's error: one line for the user, the system error code (`ENOSPC`, `EEXIST`, ...) when there is one. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
  readonly code: string | undefined;

  constructor(message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Opens `path` for a new recording: 'wx' (create, fail if it exists) unless `overwrite`, so an
 * existing file is never truncated by accident.
 */
export async function openRecordingFile(path: string, options: RecordingFileOptions = {}): Promise<FileHandle> {
  try {
    return await open(path, options.overwrite ? 'w' : 'wx');
  } catch (e) {
    const code = errnoCode(e);
    const reason =
      code === 'EEXIST' ? 'it already exists (choose another name, or allow overwriting)'
      : code === 'ENOENT' ? `the folder ${dirname(path)} does not exist`
      : code === 'ENOTDIR' ? 'a part of the path is not a folder'
      : code === 'EISDIR' ? 'it is a folder'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EROFS' ? 'read-only file system'
      : code === 'ENOSPC' ? 'disk full'
      : (e as Error).message;
    throw new RecordingError(`cannot create ${path}: ${reason}`, code, e);
  }
}

/** The error for a write to `path` that failed after `kept` bytes of the recording were safely written. */
export function recordingWriteError(path: string, kept: number, error: unknown): RecordingError {
  const code = errnoCode(error);
  const what =
    code === 'ENOSPC' ? 'disk full while writing'
    : code === 'EFBIG' ? 'file size limit reached while writing'
    : code === 'EDQUOT' ? 'disk quota exceeded while writing'
    : code === 'EIO' ? 'I/O error while writing'
    : `cannot write (${(error as Error).message})`;
  return new RecordingError(`${what} ${path} after ${kept} bytes`, code, error);
}

/**
 * Writes all of `data` at `position` (null: at the file's current position). One write(2) may take
 * only part of a buffer (a disk filling up, a file size limit), so it loops until every byte is in
 * or a call fails.
 */
export async function writeFully(file: FileHandle, data: Uint8Array, position: number | null): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    const { bytesWritten } = await file.write(data, done, data.byteLength - done, position === null ? null : position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('the file system took no bytes'), { code: 'EIO' });
    done += bytesWritten;
  }
}

/**
 * Cuts a file back to `length` bytes after a failed write, so it ends on whole units. Best effort:
 * a device (/dev/full) or a pipe cannot be truncated, and then there is nothing to cut anyway.
 */
export async function truncateQuietly(file: FileHandle, length: number): Promise<void> {
  try {
    await file.truncate(length);
  } catch {
    // not a regular file: nothing to cut
  }
}

/**
 * Runs a sink's steps one after another in call order, whatever each one's outcome, so a write()
 * issued before the previous one settled (or a close() behind pending writes) waits its turn.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step, step);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export type H264SinkOptions = RecordingFileOptions;

class H264Sink implements Sink {
  readonly kind = 'h264';
  readonly path: string;
  private readonly options: H264SinkOptions;
  private file: FileHandle | null = null;
  private written = 0;
  private frames = 0;
  private failure: RecordingError | null = null;
  private state: 'new' | 'recording' | 'closed' = 'new';
  private closing: Promise<void> | null = null;
  private readonly queue = new SerialQueue();

  constructor(path: string, options: H264SinkOptions) {
    this.path = path;
    this.options = options;
  }

  get bytesWritten(): number {
    return this.written;
  }

  start(info: StreamInfo): Promise<void> {
    return this.queue.run(() => this.begin(info));
  }

  private async begin(_info: StreamInfo): Promise<void> {
    if (this.state !== 'new') throw new RecordingError(`h264 recording ${this.path} ${this.state === 'closed' ? 'is closed' : 'was already started'}`);
    this.file = await openRecordingFile(this.path, this.options);
    this.state = 'recording';
  }

  write(frame: EncodedFrame): Promise<void> {
    return this.queue.run(() => this.append(frame));
  }

  private async append(frame: EncodedFrame): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.state !== 'recording') {
      throw new RecordingError(`h264 recording ${this.path} is ${this.state === 'new' ? 'not started' : 'closed'}`);
    }
    if (this.frames === 0 && !frame.keyframe) {
      throw new RecordingError(`h264 recording ${this.path} must start on a keyframe: frame ${frame.index} is not one`);
    }
    const file = this.file!;
    try {
      // Appended at the file's position: a FIFO or a device works as well as a regular file.
      await writeFully(file, frame.data, null);
    } catch (e) {
      await truncateQuietly(file, this.written);
      this.failure = recordingWriteError(this.path, this.written, e);
      throw this.failure;
    }
    this.written += frame.data.byteLength;
    this.frames++;
  }

  close(): Promise<void> {
    this.closing ??= this.queue.run(async () => {
      const file = this.file;
      this.state = 'closed';
      this.file = null;
      if (file) await file.close();
    });
    return this.closing;
  }
}

/**
 * A recorder writing the encoder's Annex-B access units to `path` as they come (one write per
 * frame, nothing held back). The file is created by start(): an existing file is an error unless
 * `overwrite`. The first frame must be a keyframe. A failed write rejects with a RecordingError
 * ("disk full while writing PATH after N bytes"), leaves the N bytes of whole access units in
 * place, and every later write rejects with the same error.
 */
export function createH264Sink(path: string, options: H264SinkOptions = {}): Sink {
  return new H264Sink(path, options);
}
