/**
 * YUV4MPEG2 (.y4m): a one-line header `YUV4MPEG2 W<w> H<h> F<num>:<den> [I.. A.. C..]`, then per
 * frame `FRAME[ params]\n` and the planes. Only 8-bit 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2
 * or no C tag) is accepted: that is what the encoder takes. A header without an F tag is read as
 * 30:1 (the format leaves the rate to the header, and 30 fps is what ffmpeg and the encoder assume
 * too); callers that care pass their own rate.
 *
 * A file that ends part way through a frame (a copy or a capture cut short) is not an error: the
 * whole frames before it are read and the leftover bytes are reported (`trailingBytes`), so a
 * caller can warn. That holds wherever the cut falls, in the frame data or in its FRAME line.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface Y4mHeader {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Bytes of the header line including its newline: where the first FRAME starts. */
  headerBytes: number;
  /** Bytes of one I420 frame (no FRAME line). */
  frameBytes: number;
}

const CHROMA_420 = new Set(['420', '420jpeg', '420paldv', '420mpeg2']);

/**
 * Longest FRAME line accepted, newline included. FRAME parameters are legal but in practice a
 * few bytes; a line this long means the file is not y4m (or the size in the header is wrong).
 */
export const MAX_FRAME_LINE = 64 * 1024;
/** Largest width or height accepted: beyond any H.264 level (8688 at level 5.1) with room to spare. */
export const MAX_Y4M_DIMENSION = 16384;

const FRAME_TAG = [0x46, 0x52, 0x41, 0x4d, 0x45]; // "FRAME"

export class Y4mError extends Error {
  override name = 'Y4mError';
}

/** A positive decimal integer written as digits only (no sign, exponent, hex or blanks). */
function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** Parses the header line from the start of a file. Throws Y4mError naming what is wrong. */
export function parseY4mHeader(bytes: Uint8Array): Y4mHeader {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0 || nl > 1024) throw new Y4mError('not a YUV4MPEG2 file: no header line in the first 1024 bytes');
  const line = new TextDecoder().decode(bytes.subarray(0, nl));
  const [magic, ...params] = line.split(' ');
  if (magic !== 'YUV4MPEG2') throw new Y4mError(`not a YUV4MPEG2 file: it starts with ${JSON.stringify(line.slice(0, 12))}`);
  // The tags as written, so that an error shows what the file says (`Wx`), not what it parsed to.
  let widthText: string | undefined, heightText: string | undefined;
  let fpsNum = 30, fpsDen = 1;
  for (const p of params) {
    const tag = p[0], value = p.slice(1);
    if (tag === 'W') widthText = value;
    else if (tag === 'H') heightText = value;
    else if (tag === 'F') {
      const [n, d, extra] = value.split(':');
      const num = positiveInteger(n), den = positiveInteger(d);
      if (num === undefined || den === undefined || extra !== undefined) throw new Y4mError(`y4m frame rate F${value} is not a positive ratio`);
      fpsNum = num; fpsDen = den;
    } else if (tag === 'C') {
      if (!CHROMA_420.has(value)) throw new Y4mError(`y4m colour space C${value} is not supported: expected 8-bit 4:2:0 (C420)`);
    } else if (tag === 'I' && value !== 'p' && value !== '?') {
      throw new Y4mError(`y4m interlacing I${value} is not supported: expected progressive (Ip)`);
    }
  }
  const width = positiveInteger(widthText), height = positiveInteger(heightText);
  if (width === undefined || height === undefined) {
    const show = (tag: string, text: string | undefined) => (text === undefined ? `no ${tag} tag` : `${tag}${text}`);
    throw new Y4mError(`y4m header has no valid size: ${show('W', widthText)} ${show('H', heightText)}`);
  }
  if (width > MAX_Y4M_DIMENSION || height > MAX_Y4M_DIMENSION) {
    throw new Y4mError(`y4m size ${width}x${height} is too large: at most ${MAX_Y4M_DIMENSION} on each side`);
  }
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  return { width, height, fpsNum, fpsDen, headerBytes: nl + 1, frameBytes: width * height + 2 * cw * ch };
}

/**
 * Checks the FRAME line at bytes[0..length) (`nl`: index of its newline, or -1 when the bytes
 * end first). Returns true when the line is whole, false when the bytes end inside what can
 * still be a FRAME line (a truncated tail); throws when it is not a FRAME line. `position` is
 * its offset in the file, for the message.
 */
function checkFrameLine(bytes: Uint8Array, length: number, nl: number, position: number): boolean {
  const end = nl < 0 ? length : nl;
  // "FRAME", then the end of the line or a space before parameters.
  for (let i = 0; i < Math.min(end, FRAME_TAG.length); i++) {
    if (bytes[i] !== FRAME_TAG[i]) throw new Y4mError(`y4m frame marker missing at byte ${position}`);
  }
  if (end > FRAME_TAG.length && bytes[FRAME_TAG.length] !== 0x20) throw new Y4mError(`y4m frame marker missing at byte ${position}`);
  if (nl < 0 ? length >= MAX_FRAME_LINE : nl + 1 > MAX_FRAME_LINE) {
    throw new Y4mError(`y4m FRAME line at byte ${position} is longer than ${MAX_FRAME_LINE} bytes`);
  }
  if (nl < 0) return false;
  if (nl < FRAME_TAG.length) throw new Y4mError(`y4m frame marker missing at byte ${position}`);
  return true;
}

/** Reads frames one at a time from a .y4m file without loading it whole. */
export class Y4mReader {
  private position: number;
  /** Grows (doubling, up to MAX_FRAME_LINE) for FRAME lines with long parameters. */
  private lineBuf = new Uint8Array(256);
  private tail = 0;

  private constructor(private readonly file: FileHandle, readonly header: Y4mHeader) {
    this.position = header.headerBytes;
  }

  static async open(path: string): Promise<Y4mReader> {
    const file = await open(path, 'r');
    try {
      const head = new Uint8Array(1024);
      const { bytesRead } = await file.read(head, 0, head.length, 0);
      return new Y4mReader(file, parseY4mHeader(head.subarray(0, bytesRead)));
    } catch (e) {
      await file.close();
      throw e;
    }
  }

  /**
   * Bytes at the end of the file that are not a whole frame (with its FRAME line): 0 until
   * next() has returned null, and 0 after it when the file ends cleanly.
   */
  get trailingBytes(): number {
    return this.tail;
  }

  /** The next frame's I420 bytes (a new buffer each call), or null at the end of the file. */
  async next(): Promise<Uint8Array | null> {
    if (this.tail > 0) return null;
    let length = 0, nl = -1;
    for (;;) {
      if (length === this.lineBuf.length) {
        if (length >= MAX_FRAME_LINE) break;
        const grown = new Uint8Array(Math.min(MAX_FRAME_LINE, 2 * length));
        grown.set(this.lineBuf);
        this.lineBuf = grown;
      }
      const { bytesRead } = await this.file.read(this.lineBuf, length, this.lineBuf.length - length, this.position + length);
      if (bytesRead === 0) break;
      const found = this.lineBuf.subarray(length, length + bytesRead).indexOf(0x0a);
      if (found >= 0) nl = length + found;
      length += bytesRead;
      if (nl >= 0) break;
    }
    if (length === 0) return null;
    if (!checkFrameLine(this.lineBuf, length, nl, this.position)) {
      this.tail = length;
      return null;
    }
    const frame = new Uint8Array(this.header.frameBytes);
    const got = (await this.file.read(frame, 0, frame.length, this.position + nl + 1)).bytesRead;
    if (got < frame.length) {
      this.tail = nl + 1 + got;
      return null;
    }
    this.position += nl + 1 + frame.length;
    return frame;
  }

  /** Up to `maxFrames` whole frames from the current position (fewer at the end of the file). */
  async readFrames(maxFrames = Infinity): Promise<Uint8Array[]> {
    const frames: Uint8Array[] = [];
    while (frames.length < maxFrames) {
      const frame = await this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

export interface ParsedY4m {
  header: Y4mHeader;
  /** Every whole frame, as views into the input. */
  frames: Uint8Array[];
  /** Bytes after the last whole frame that are not a whole frame (a truncated tail), else 0. */
  trailingBytes: number;
}

/** Reads a whole .y4m held in memory (small test clips, stdin). */
export function parseY4m(bytes: Uint8Array): ParsedY4m {
  const header = parseY4mHeader(bytes);
  const frames: Uint8Array[] = [];
  let pos = header.headerBytes;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    const line = bytes.subarray(pos, nl < 0 ? bytes.length : nl + 1);
    if (!checkFrameLine(line, line.length, nl < 0 ? -1 : nl - pos, pos)) break;
    const start = nl + 1;
    if (start + header.frameBytes > bytes.length) break;
    frames.push(bytes.subarray(start, start + header.frameBytes));
    pos = start + header.frameBytes;
  }
  return { header, frames, trailingBytes: bytes.length - pos };
}

/** The header line for writing a .y4m (reconstructions, decoded output). */
export function y4mHeaderLine(width: number, height: number, fpsNum: number, fpsDen = 1): string {
  return `YUV4MPEG2 W${width} H${height} F${fpsNum}:${fpsDen} Ip A1:1 C420jpeg\n`;
}
