/**
 * A clip on disk as a frame source: .y4m (size and rate from its header) or raw I420 .yuv (size
 * and rate from the caller). Streams one frame per read through a FileHandle, never the whole file
 * (a 720p clip is hundreds of MB), and can loop: the file restarts at its first frame while the
 * index and timestamps keep counting, so a looping clip looks like one endless stream.
 *
 * A file that ends part way through a frame is played up to its last whole frame and the leftover
 * bytes are reported (`trailingBytes`, `warnings`), as `encode` warns about them; a file without one
 * whole frame is an error.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MAX_FRAME_LINE, Y4mError, parseY4mHeader } from '../media/y4m.js';
import { Pacer, type Clock } from './pacing.js';
import type { FrameSource, SourceInfo, VideoFrame } from './types.js';
import { fileErrorReason } from '../media/file-errors.js';
import { FramePool } from './frame-pool.js';

export interface FileSourceOptions {
  /** Restart at the first frame at the end of the file (default false). */
  loop?: boolean;
  /** Frame size of a raw .yuv file (required for raw; for a .y4m it must match the header if given). */
  size?: { width: number; height: number };
  /** Whole frames per second, 1..240: required for raw, overrides a .y4m header's rate. */
  fps?: number;
  /** Paced at the clip's rate on the wall clock (default false: frames as fast as they are read). */
  live?: boolean;
  /** The clock pacing a live source (tests inject one). */
  clock?: Clock;
}

export interface FileSource extends FrameSource {
  readonly path: string;
  readonly format: 'y4m' | 'yuv';
  /** The exact frame rate as a ratio (a y4m's F30000:1001); info.fps is num / den. */
  readonly rate: { num: number; den: number };
  /** Whole frames in one pass of the file: known at open for raw, after the first pass for y4m. */
  readonly frameCount: number | null;
  /** Bytes after the last whole frame: known at open for raw, after the first pass for y4m. */
  readonly trailingBytes: number;
  /** Things a user should hear about that do not stop playback (a truncated last frame). */
  readonly warnings: readonly string[];
}

/** A problem with the file or the options, in one line that names the file. */
export class FileSourceError extends Error {
  override name = 'FileSourceError';
}

/** Same limits as the encoder: even sides from 16 to 8688 (level 5.1). */
const MIN_SIDE = 16, MAX_SIDE = 8688;
const FRAME = new TextEncoder().encode('FRAME');
const Y4M_MAGIC = 'YUV4MPEG2';


function checkSize(what: string, width: number, height: number): void {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < MIN_SIDE || v > MAX_SIDE || v % 2 !== 0) {
      throw new FileSourceError(`${what}: ${name} must be an even integer from ${MIN_SIDE} to ${MAX_SIDE}, got ${v}`);
    }
  }
}

function checkFps(path: string, fps: unknown): number {
  if (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > 240) {
    throw new FileSourceError(`${path}: fps must be an integer from 1 to 240, got ${String(fps)}`);
  }
  return fps;
}

/** Where the frames are and how to find the next one. */
interface Layout {
  format: 'y4m' | 'yuv';
  width: number;
  height: number;
  frameBytes: number;
  /** Offset of the first frame (its FRAME line for y4m). */
  firstFrame: number;
  rate: { num: number; den: number };
}

async function readAt(file: FileHandle, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let total = 0;
  while (total < length) {
    const { bytesRead } = await file.read(buffer, offset + total, length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}

type FrameRead = { data: Uint8Array; next: number } | { data: null; tail: number };

/**
 * Reads files one frame at a time. A y4m frame is its FRAME line (usually just "FRAME\n", but
 * parameters are legal) then the planes; raw frames follow one another.
 */
class FrameReader {
  /** Buffers handed back by the consumer (recycle()), filled again by frame(). */
  readonly pool: FramePool;
  /** Grows (doubling, up to MAX_FRAME_LINE) for FRAME lines with long parameters. */
  private lineBuf = new Uint8Array(64);

  constructor(private readonly file: FileHandle, private readonly path: string, private readonly layout: Layout) {
    this.pool = new FramePool(layout.frameBytes);
  }

  /**
   * The length of the FRAME line at `position` including its newline, or -(bytes left) when the
   * file ends inside what can still be a FRAME line (a truncated tail; 0 at the very end).
   */
  async frameLine(position: number): Promise<number> {
    let length = 0;
    for (;;) {
      if (length === this.lineBuf.length) {
        if (length >= MAX_FRAME_LINE) throw new FileSourceError(`${this.path}: the FRAME line at byte ${position} is longer than ${MAX_FRAME_LINE} bytes`);
        const grown = new Uint8Array(Math.min(MAX_FRAME_LINE, 2 * length));
        grown.set(this.lineBuf);
        this.lineBuf = grown;
      }
      const got = await readAt(this.file, this.lineBuf, length, this.lineBuf.length - length, position + length);
      const nl = this.lineBuf.subarray(length, length + got).indexOf(0x0a);
      const end = nl >= 0 ? length + nl : length + got;
      // "FRAME", then the newline or a space before parameters.
      for (let i = 0; i < Math.min(end, FRAME.length + 1); i++) {
        const ok = i < FRAME.length ? this.lineBuf[i] === FRAME[i] : this.lineBuf[i] === 0x20;
        if (!ok) throw new FileSourceError(`${this.path}: y4m frame marker missing at byte ${position} (is the file damaged?)`);
      }
      if (nl >= 0) {
        if (end < FRAME.length) throw new FileSourceError(`${this.path}: y4m frame marker missing at byte ${position} (is the file damaged?)`);
        return end + 1;
      }
      length += got;
      if (got === 0 || length < this.lineBuf.length) return -length;
    }
  }

  /**
   * The frame at `position` and where the next one starts, or null at the end of the file
   * (`tail`: bytes from `position` to the end when they are not a whole frame).
   */
  async frame(position: number): Promise<FrameRead> {
    let start = position;
    if (this.layout.format === 'y4m') {
      const line = await this.frameLine(position);
      if (line <= 0) return { data: null, tail: -line };
      start += line;
    }
    const data = this.pool.take();
    const got = await readAt(this.file, data, 0, data.length, start);
    if (got < data.length) {
      this.pool.give(data);
      return { data: null, tail: start - position + got };
    }
    return { data, next: start + data.length };
  }
}

async function readLayout(file: FileHandle, path: string, fileBytes: number, options: FileSourceOptions): Promise<Layout> {
  const head = new Uint8Array(Math.min(1024, fileBytes));
  await readAt(file, head, 0, head.length, 0);
  const isY4m = new TextDecoder().decode(head.subarray(0, Y4M_MAGIC.length)) === Y4M_MAGIC;
  const ext = extname(path).toLowerCase();
  if (isY4m || ext === '.y4m' || !options.size) {
    let header;
    try {
      header = parseY4mHeader(head);
    } catch (e) {
      if (!(e instanceof Y4mError)) throw e;
      const hint = !isY4m && ext !== '.y4m' ? ' (a raw I420 .yuv file needs its size and fps)' : '';
      throw new FileSourceError(`${path}: ${e.message}${hint}`);
    }
    const { width, height } = header;
    checkSize(path, width, height);
    if (options.size && (options.size.width !== width || options.size.height !== height)) {
      throw new FileSourceError(`${path}: the clip is ${width}x${height}, not the ${options.size.width}x${options.size.height} asked for`);
    }
    const rate = options.fps === undefined ? { num: header.fpsNum, den: header.fpsDen } : { num: checkFps(path, options.fps), den: 1 };
    return { format: 'y4m', width, height, frameBytes: header.frameBytes, firstFrame: header.headerBytes, rate };
  }
  const { width, height } = options.size;
  checkSize(`${path}: size`, width, height);
  if (options.fps === undefined) throw new FileSourceError(`${path}: a raw I420 file needs fps (raw video carries no frame rate)`);
  return { format: 'yuv', width, height, frameBytes: (width * height * 3) / 2, firstFrame: 0, rate: { num: checkFps(path, options.fps), den: 1 } };
}

/** Opens a clip. Rejects with FileSourceError naming the file and what is wrong. */
export async function openFileSource(path: string, options: FileSourceOptions = {}): Promise<FileSource> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new FileSourceError(`cannot open ${path}: ${fileErrorReason(e)}`);
  }
  try {
    const st = await file.stat();
    if (st.isDirectory()) throw new FileSourceError(`cannot open ${path}: it is a directory`);
    const layout = await readLayout(file, path, st.size, options);
    const reader = new FrameReader(file, path, layout);
    // At least one whole frame, or there is nothing to play (and a loop would spin).
    const first = await reader.frame(layout.firstFrame);
    if (!first.data) {
      throw new FileSourceError(`${path} is shorter than one frame: ${st.size} bytes, a ${layout.width}x${layout.height} ${layout.format} frame needs ${layout.firstFrame + (layout.format === 'y4m' ? 6 : 0) + layout.frameBytes}`);
    }
    return new OpenFileSource(file, path, layout, reader, first, st.size, options);
  } catch (e) {
    await file.close().catch(() => {});
    if (e instanceof FileSourceError) throw e;
    throw new FileSourceError(`cannot read ${path}: ${fileErrorReason(e)}`);
  }
}

class OpenFileSource implements FileSource {
  readonly info: SourceInfo;
  readonly format: 'y4m' | 'yuv';
  readonly rate: { num: number; den: number };
  readonly warnings: string[] = [];
  frameCount: number | null = null;
  trailingBytes = 0;
  private position: number;
  private framesThisPass = 0;
  private index = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly pacer: Pacer | null;
  private readonly loop: boolean;
  /** Reads run one after another (a y4m frame's offset depends on the one before). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: FileHandle,
    readonly path: string,
    private readonly layout: Layout,
    private readonly reader: FrameReader,
    /** The first frame, read at open to check there is one: the first read() hands it out. */
    private prefetched: FrameRead | undefined,
    fileBytes: number,
    options: FileSourceOptions,
  ) {
    const { width, height, rate } = layout;
    this.format = layout.format;
    this.rate = rate;
    this.position = layout.firstFrame;
    this.loop = options.loop ?? false;
    const live = options.live ?? false;
    const fps = rate.num / rate.den;
    this.pacer = live ? new Pacer(fps, options.clock) : null;
    if (layout.format === 'yuv') {
      this.frameCount = Math.floor(fileBytes / layout.frameBytes);
      this.noteTail(fileBytes % layout.frameBytes);
    }
    this.info = { width, height, fps, live, description: `file ${basename(path)}${this.loop ? ' (looping)' : ''}` };
  }

  private noteTail(bytes: number): void {
    this.trailingBytes = bytes;
    if (bytes > 0) {
      const hint = this.format === 'yuv' ? ' (is the size right?)' : '';
      this.warnings.push(`${this.path} ends with ${bytes} bytes that are not a whole ${this.layout.width}x${this.layout.height} frame: ignored${hint}`);
    }
  }

  read(): Promise<VideoFrame | null> {
    const result = this.queue.then(() => this.readNext());
    this.queue = result.catch(() => {});
    return result;
  }

  private async readNext(): Promise<VideoFrame | null> {
    if (this.closed) return null;
    this.pacer?.begin();
    const data = await this.nextData();
    if (data === null) return null;
    const index = this.index++;
    if (this.pacer && !(await this.pacer.wait(index))) return null;
    if (this.closed) return null;
    const timestampUs = Math.round((index * 1e6 * this.rate.den) / this.rate.num);
    return { width: this.layout.width, height: this.layout.height, data, timestampUs, index };
  }

  /** The next frame's bytes, restarting the file when looping; null at the end or once closed. */
  private async nextData(): Promise<Uint8Array | null> {
    for (;;) {
      let got = this.prefetched;
      this.prefetched = undefined;
      if (!got) {
        try {
          got = await this.reader.frame(this.position);
        } catch (e) {
          if (this.closed) return null;
          if (e instanceof FileSourceError) throw e;
          throw new FileSourceError(`cannot read ${this.path}: ${fileErrorReason(e)}`);
        }
      }
      if (got.data) {
        this.position = got.next;
        this.framesThisPass++;
        return got.data;
      }
      if (this.frameCount === null) {
        this.frameCount = this.framesThisPass;
        this.noteTail(got.tail);
      }
      if (!this.loop) return null;
      if (this.framesThisPass === 0) throw new FileSourceError(`${this.path} has no whole frame any more (was it truncated while playing?)`);
      this.position = this.layout.firstFrame;
      this.framesThisPass = 0;
    }
  }

  recycle(data: Uint8Array): void {
    this.reader.pool.give(data);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.pacer?.stop();
      // A read in flight finishes (it sees `closed` and resolves null) before the handle goes.
      await this.queue;
      await this.file.close();
    })();
    return this.closing;
  }
}
