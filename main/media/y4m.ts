/**
 * YUV4MPEG2 (.y4m): a one-line header `YUV4MPEG2 W<w> H<h> F<num>:<den> [I.. A.. C..]`, then per
 * frame `FRAME[ params]\n` and the planes. Only 8-bit 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2
 * or no C tag) is accepted: that is what the encoder takes.
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

export class Y4mError extends Error {}

/** Parses the header line from the start of a file. Throws Y4mError naming what is wrong. */
export function parseY4mHeader(bytes: Uint8Array): Y4mHeader {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0 || nl > 1024) throw new Y4mError('not a YUV4MPEG2 file: no header line in the first 1024 bytes');
  const line = new TextDecoder().decode(bytes.subarray(0, nl));
  const [magic, ...params] = line.split(' ');
  if (magic !== 'YUV4MPEG2') throw new Y4mError(`not a YUV4MPEG2 file: it starts with ${JSON.stringify(line.slice(0, 12))}`);
  let width = 0, height = 0, fpsNum = 30, fpsDen = 1;
  for (const p of params) {
    const tag = p[0], value = p.slice(1);
    if (tag === 'W') width = Number(value);
    else if (tag === 'H') height = Number(value);
    else if (tag === 'F') {
      const [n, d] = value.split(':').map(Number);
      if (!Number.isInteger(n) || !Number.isInteger(d) || n! <= 0 || d! <= 0) throw new Y4mError(`y4m frame rate F${value} is not a positive ratio`);
      fpsNum = n!; fpsDen = d!;
    } else if (tag === 'C') {
      if (!CHROMA_420.has(value)) throw new Y4mError(`y4m colour space C${value} is not supported: expected 8-bit 4:2:0 (C420)`);
    } else if (tag === 'I' && value !== 'p' && value !== '?') {
      throw new Y4mError(`y4m interlacing I${value} is not supported: expected progressive (Ip)`);
    }
  }
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Y4mError(`y4m header has no valid size: W${width} H${height}`);
  }
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  return { width, height, fpsNum, fpsDen, headerBytes: nl + 1, frameBytes: width * height + 2 * cw * ch };
}

/** Reads frames one at a time from a .y4m file without loading it whole. */
export class Y4mReader {
  private position: number;
  private readonly lineBuf = new Uint8Array(256);

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

  /** The next frame's I420 bytes (a new buffer each call), or null at the end of the file. */
  async next(): Promise<Uint8Array | null> {
    const { bytesRead } = await this.file.read(this.lineBuf, 0, this.lineBuf.length, this.position);
    if (bytesRead === 0) return null;
    const nl = this.lineBuf.subarray(0, bytesRead).indexOf(0x0a);
    const tag = new TextDecoder().decode(this.lineBuf.subarray(0, Math.min(5, bytesRead)));
    if (nl < 0 || tag !== 'FRAME') throw new Y4mError(`y4m frame marker missing at byte ${this.position}`);
    const frame = new Uint8Array(this.header.frameBytes);
    const got = (await this.file.read(frame, 0, frame.length, this.position + nl + 1)).bytesRead;
    if (got < frame.length) return null; // a truncated last frame is not a frame
    this.position += nl + 1 + frame.length;
    return frame;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** Reads a whole .y4m held in memory (small test clips, stdin). */
export function parseY4m(bytes: Uint8Array): { header: Y4mHeader; frames: Uint8Array[] } {
  const header = parseY4mHeader(bytes);
  const frames: Uint8Array[] = [];
  let pos = header.headerBytes;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0 || bytes[pos] !== 0x46 /* F */) throw new Y4mError(`y4m frame marker missing at byte ${pos}`);
    const start = nl + 1;
    if (start + header.frameBytes > bytes.length) break;
    frames.push(bytes.subarray(start, start + header.frameBytes));
    pos = start + header.frameBytes;
  }
  return { header, frames };
}

/** The header line for writing a .y4m (reconstructions, decoded output). */
export function y4mHeaderLine(width: number, height: number, fpsNum: number, fpsDen = 1): string {
  return `YUV4MPEG2 W${width} H${height} F${fpsNum}:${fpsDen} Ip A1:1 C420jpeg\n`;
}
