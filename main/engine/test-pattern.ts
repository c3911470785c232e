/**
 * A synthetic live source: scrolling colour bars, moving diagonal stripes, a grey ramp and a
 * bouncing checkered box, with the frame number and the frame's time (HH:MM:SS.mmm) written in a
 * built-in 5x7 bitmap font. Everything moves with the frame's timestamp, not its index, so a clip
 * looks the same at any frame rate, and there is enough texture and motion for the encoder's
 * search and rate control to have real work.
 *
 * Drawing is row copies from templates built once (bars, stripes, ramp, box rows), plus two small
 * rectangles, so a 1080p frame costs about a memcpy of the frame: far under a frame time.
 */
import { Pacer, type Clock } from './pacing.js';
import type { FrameSource, SourceInfo, VideoFrame } from './types.js';
import { FramePool } from './frame-pool.js';

export interface TestPatternOptions {
  /** Even, 16..4096. */
  width: number;
  /** Even, 16..4096. */
  height: number;
  /** Whole frames per second, 1..240. */
  fps: number;
  /** Paced at fps on the wall clock from the first read (default true); false: as fast as asked. */
  live?: boolean;
  /** The clock pacing a live pattern (tests inject one). */
  clock?: Clock;
}

export const TEST_PATTERN_MAX_SIDE = 4096;

/**
 * 5x7 glyphs, one number per row, the most significant of 5 bits the leftmost pixel. Digits and
 * the clock's separators are all the overlay writes.
 */
export const GLYPHS: Readonly<Record<string, readonly number[]>> = {
  '0': [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
  '1': [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
  '2': [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
  '3': [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
  '4': [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
  '5': [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
  '6': [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
  '7': [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
  '8': [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
  '9': [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
  ':': [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000],
  '.': [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100],
};
const GLYPH_W = 5, GLYPH_H = 7;
/** Glyph advance and line advance, in font pixels. */
const CELL_W = 6, LINE_H = 9;
/** The longest line: the clock, HH:MM:SS.mmm (longer once past 99 hours; it is clipped). */
const TEXT_CHARS = 12;

/** 75% colour bars, BT.601 limited range: white, yellow, cyan, green, magenta, red, blue. */
const BARS = [
  [180, 128, 128], [162, 44, 142], [131, 156, 44], [112, 72, 58],
  [84, 184, 198], [65, 100, 212], [35, 212, 114],
] as const;
const BOX_A = [170, 50, 190] as const;
const BOX_B = [50, 200, 110] as const;
const TEXT_BG = 16, TEXT_FG = 235;

/** Where the overlay sits: a black box at the bottom left, two lines of text inside. */
export interface TextLayout {
  /** Top-left corner of the box (even). */
  x: number;
  y: number;
  /** Box size before clipping to the frame (even). */
  width: number;
  height: number;
  /** Frame pixels per font pixel. */
  scale: number;
  /** Top-left of the first glyph of line 0; line n starts `n * LINE_H * scale` lower. */
  textX: number;
  textY: number;
  /** Glyph advance and line advance in frame pixels. */
  charStep: number;
  lineStep: number;
}

export function textLayout(width: number, height: number): TextLayout {
  let scale = Math.max(1, Math.round(height / 120));
  const boxWidth = (s: number) => even((TEXT_CHARS * CELL_W - 1) * s + 2 * s + 1);
  while (scale > 1 && boxWidth(scale) + 4 * scale > width) scale--;
  const margin = even(2 * scale);
  const boxHeight = even((LINE_H + GLYPH_H) * scale + 2 * scale + 1);
  const y = Math.max(0, even(height - margin - boxHeight));
  return {
    x: margin, y, width: boxWidth(scale), height: boxHeight, scale,
    textX: margin + scale, textY: y + scale, charStep: CELL_W * scale, lineStep: LINE_H * scale,
  };
}

/** Rounds down to even (4:2:0 chroma alignment). */
function even(v: number): number {
  return Math.floor(v / 2) * 2;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** A triangle wave: 0 .. range .. 0 as p runs over 2 * range. */
function bounce(p: number, range: number): number {
  if (range <= 0) return 0;
  const m = mod(p, 2 * range);
  return m <= range ? m : 2 * range - m;
}

/** HH:MM:SS.mmm of a time in microseconds. */
export function formatClock(timestampUs: number): string {
  const ms = Math.floor(timestampUs / 1000);
  const two = (v: number) => String(v).padStart(2, '0');
  const h = Math.floor(ms / 3_600_000), m = Math.floor(ms / 60_000) % 60, s = Math.floor(ms / 1000) % 60;
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms % 1000).padStart(3, '0')}`;
}

function checkInteger(name: string, v: unknown, min: number, max: number, mustBeEven: boolean): number {
  if (typeof v !== 'number') throw new TypeError(`test pattern ${name} must be a number, got ${v === null ? 'null' : typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`test pattern ${name} must be an integer from ${min} to ${max}, got ${v}`);
  if (mustBeEven && v % 2 !== 0) throw new RangeError(`test pattern ${name} must be even (4:2:0 chroma), got ${v}`);
  return v;
}

/** Draws frames; everything per size is built once here, so a frame is mostly row copies. */
class PatternPainter {
  private readonly cw: number;
  private readonly ch: number;
  private readonly barsEnd: number;
  private readonly stripesEnd: number;
  private readonly period: number;
  /** Two periods of the bars (luma, chroma) so a scrolled row is one subarray. */
  private readonly barsY: Uint8Array;
  private readonly barsU: Uint8Array;
  private readonly barsV: Uint8Array;
  /** One row plus one period of the stripes, so a shifted row is one subarray. */
  private readonly stripesY: Uint8Array;
  private readonly stripesU: Uint8Array;
  private readonly rampY: Uint8Array;
  private readonly box: number;
  /** The box's rows: [luma row of even cells, of odd cells], then chroma likewise. */
  private readonly boxY: [Uint8Array, Uint8Array];
  private readonly boxU: [Uint8Array, Uint8Array];
  private readonly boxV: [Uint8Array, Uint8Array];
  private readonly cell: number;
  readonly layout: TextLayout;

  constructor(private readonly width: number, private readonly height: number, private readonly fps: number) {
    const w = width, cw = (this.cw = w >> 1);
    this.ch = height >> 1;
    this.barsEnd = even(height / 2);
    this.stripesEnd = even((height * 4) / 5);

    this.barsY = new Uint8Array(2 * w);
    for (let x = 0; x < 2 * w; x++) this.barsY[x] = BARS[Math.floor(((x % w) * 7) / w)]![0];
    this.barsU = new Uint8Array(2 * cw);
    this.barsV = new Uint8Array(2 * cw);
    for (let x = 0; x < 2 * cw; x++) {
      const bar = BARS[Math.floor((((x % cw) * 2) * 7) / w)]!;
      this.barsU[x] = bar[1];
      this.barsV[x] = bar[2];
    }

    // Diagonal stripes, a sinusoid of `period` pixels along x + y; chroma follows at half size.
    const period = (this.period = 2 * Math.max(8, Math.round(w / 60)));
    this.stripesY = new Uint8Array(w + period);
    for (let i = 0; i < this.stripesY.length; i++) this.stripesY[i] = 126 + Math.round(90 * Math.sin((2 * Math.PI * i) / period));
    this.stripesU = new Uint8Array(cw + period / 2);
    for (let i = 0; i < this.stripesU.length; i++) this.stripesU[i] = 128 + Math.round(60 * Math.cos((4 * Math.PI * i) / period));

    this.rampY = new Uint8Array(w);
    for (let x = 0; x < w; x++) this.rampY[x] = 16 + Math.floor((x * 219) / (w - 1));

    const box = (this.box = Math.max(8, even(Math.min(w, height) / 5)));
    const cell = (this.cell = Math.max(2, even(box / 8)));
    const row = (n: number, step: number, first: number, second: number) =>
      Uint8Array.from({ length: n }, (_, x) => ((Math.floor(x / step) & 1) === 0 ? first : second));
    this.boxY = [row(box, cell, BOX_A[0], BOX_B[0]), row(box, cell, BOX_B[0], BOX_A[0])];
    this.boxU = [row(box / 2, cell / 2, BOX_A[1], BOX_B[1]), row(box / 2, cell / 2, BOX_B[1], BOX_A[1])];
    this.boxV = [row(box / 2, cell / 2, BOX_A[2], BOX_B[2]), row(box / 2, cell / 2, BOX_B[2], BOX_A[2])];

    this.layout = textLayout(width, height);
  }

  /** Pixels travelled at `perSecond` pixels a second by frame `index` (timestamp based). */
  private travel(index: number, perSecond: number): number {
    return Math.floor((index * perSecond) / this.fps);
  }

  /** Paints frame `index` into `data` (every sample is written), or into a new buffer. */
  draw(index: number, timestampUs: number, data: Uint8Array = new Uint8Array(this.width * this.height + 2 * this.cw * this.ch)): Uint8Array {
    const { width: w, height: h, cw, ch } = this;
    const Y = data.subarray(0, w * h), U = data.subarray(w * h, w * h + cw * ch), V = data.subarray(w * h + cw * ch);

    // Bars scroll left, one width every 8 seconds (even steps keep chroma aligned).
    const shift = mod(2 * this.travel(index, w / 16), w);
    for (let y = 0; y < this.barsEnd; y++) Y.set(this.barsY.subarray(shift, shift + w), y * w);
    for (let y = 0; y < this.barsEnd >> 1; y++) {
      U.set(this.barsU.subarray(shift >> 1, (shift >> 1) + cw), y * cw);
      V.set(this.barsV.subarray(shift >> 1, (shift >> 1) + cw), y * cw);
    }

    // Stripes move right, a quarter width a second; V is a static vertical ramp under them.
    const phase = 2 * this.travel(index, w / 8), period = this.period;
    for (let y = this.barsEnd; y < this.stripesEnd; y++) {
      const o = mod(y - phase, period);
      Y.set(this.stripesY.subarray(o, o + w), y * w);
    }
    const bandRows = (this.stripesEnd - this.barsEnd) >> 1;
    for (let y = this.barsEnd >> 1, r = 0; y < this.stripesEnd >> 1; y++, r++) {
      const o = mod(y - (phase >> 1), period >> 1);
      U.set(this.stripesU.subarray(o, o + cw), y * cw);
      V.fill(64 + Math.floor((r * 128) / Math.max(1, bandRows)), y * cw, (y + 1) * cw);
    }

    for (let y = this.stripesEnd; y < h; y++) Y.set(this.rampY, y * w);
    U.fill(128, (this.stripesEnd >> 1) * cw);
    V.fill(128, (this.stripesEnd >> 1) * cw);

    // The box bounces, starting from the centre.
    const box = this.box, rangeX = w - box, rangeY = h - box;
    const bx = even(bounce((rangeX >> 1) + this.travel(index, w / 3), rangeX));
    const by = even(bounce((rangeY >> 1) + this.travel(index, h / 2), rangeY));
    for (let r = 0; r < box; r++) Y.set(this.boxY[Math.floor(r / this.cell) & 1]!, (by + r) * w + bx);
    for (let r = 0; r < box >> 1; r++) {
      const parity = Math.floor((2 * r) / this.cell) & 1, at = ((by >> 1) + r) * cw + (bx >> 1);
      U.set(this.boxU[parity]!, at);
      V.set(this.boxV[parity]!, at);
    }

    this.drawText(Y, U, V, [String(index).padStart(6, '0'), formatClock(timestampUs)]);
    return data;
  }

  /** Luma rectangle, clipped to the frame. */
  private fillY(Y: Uint8Array, x: number, y: number, rw: number, rh: number, value: number): void {
    const x0 = Math.max(0, x), x1 = Math.min(this.width, x + rw);
    if (x1 <= x0) return;
    for (let r = Math.max(0, y); r < Math.min(this.height, y + rh); r++) Y.fill(value, r * this.width + x0, r * this.width + x1);
  }

  private drawText(Y: Uint8Array, U: Uint8Array, V: Uint8Array, lines: string[]): void {
    const l = this.layout, s = l.scale;
    this.fillY(Y, l.x, l.y, l.width, l.height, TEXT_BG);
    const cx0 = l.x >> 1, cx1 = Math.min(this.cw, (l.x + l.width) >> 1);
    for (let r = l.y >> 1; r < Math.min(this.ch, (l.y + l.height) >> 1); r++) {
      U.fill(128, r * this.cw + cx0, r * this.cw + cx1);
      V.fill(128, r * this.cw + cx0, r * this.cw + cx1);
    }
    lines.forEach((text, line) => {
      for (let i = 0; i < text.length; i++) {
        const glyph = GLYPHS[text[i]!]!;
        const gx = l.textX + i * l.charStep, gy = l.textY + line * l.lineStep;
        if (gx >= this.width) break;
        for (let py = 0; py < GLYPH_H; py++) {
          const bits = glyph[py]!;
          for (let px = 0; px < GLYPH_W; px++) {
            if ((bits >> (GLYPH_W - 1 - px)) & 1) this.fillY(Y, gx + px * s, gy + py * s, s, s, TEXT_FG);
          }
        }
      }
    });
  }
}

/** A live (by default) test pattern source. Throws RangeError/TypeError naming a bad size or rate. */
export function createTestPattern(options: TestPatternOptions): FrameSource {
  const width = checkInteger('width', options.width, 16, TEST_PATTERN_MAX_SIDE, true);
  const height = checkInteger('height', options.height, 16, TEST_PATTERN_MAX_SIDE, true);
  const fps = checkInteger('fps', options.fps, 1, 240, false);
  const live = options.live ?? true;
  const painter = new PatternPainter(width, height, fps);
  const pool = new FramePool(width * height + 2 * (width >> 1) * (height >> 1));
  const pacer = live ? new Pacer(fps, options.clock) : null;
  const info: SourceInfo = { width, height, fps, live, description: `test pattern ${width}x${height} at ${fps} fps` };
  let next = 0, closed = false;

  return {
    info,
    async read(): Promise<VideoFrame | null> {
      if (closed) return null;
      // The index is taken now, so reads issued together get consecutive frames and slots.
      const index = next++;
      if (pacer && !(await pacer.wait(index))) return null;
      if (closed) return null;
      const timestampUs = Math.round((index * 1e6) / fps);
      return { width, height, data: painter.draw(index, timestampUs, pool.take()), timestampUs, index };
    },
    recycle(data: Uint8Array): void {
      pool.give(data);
    },
    async close(): Promise<void> {
      closed = true;
      pacer?.stop();
    },
  };
}
