import { describe, expect, it } from 'vitest';
import { GLYPHS, createTestPattern, formatClock, textLayout } from '../../../main/engine/test-pattern.js';
import type { FrameSource, VideoFrame } from '../../../main/engine/types.js';
import { ManualClock, isSettled } from '../../helpers/manual-clock.js';

/** 75% bars, BT.601 (Y, Cb, Cr), as the pattern documents. */
const BARS = [[180, 128, 128], [162, 44, 142], [131, 156, 44], [112, 72, 58], [84, 184, 198], [65, 100, 212], [35, 212, 114]];

async function frameAt(source: FrameSource, index: number): Promise<VideoFrame> {
  for (;;) {
    const frame = (await source.read())!;
    if (frame.index === index) return frame;
  }
}

/** Reads the overlay back with the font it was drawn with: one string per line. */
function readText(frame: VideoFrame, chars: number[]): string[] {
  const l = textLayout(frame.width, frame.height), s = l.scale;
  return chars.map((count, line) => {
    let text = '';
    for (let i = 0; i < count; i++) {
      const rows: number[] = [];
      for (let py = 0; py < 7; py++) {
        let bits = 0;
        for (let px = 0; px < 5; px++) {
          const x = l.textX + i * l.charStep + px * s + (s >> 1), y = l.textY + line * l.lineStep + py * s + (s >> 1);
          bits = (bits << 1) | (frame.data[y * frame.width + x]! > 128 ? 1 : 0);
        }
        rows.push(bits);
      }
      const match = Object.entries(GLYPHS).find(([, glyph]) => glyph.every((r, k) => r === rows[k]));
      text += match ? match[0] : '?';
    }
    return text;
  });
}

/** Fraction of 16x16 luma blocks that differ between two frames. */
function changedBlocks(a: VideoFrame, b: VideoFrame): number {
  let changed = 0, total = 0;
  for (let by = 0; by + 16 <= a.height; by += 16) {
    for (let bx = 0; bx + 16 <= a.width; bx += 16) {
      total++;
      search: for (let y = by; y < by + 16; y++) {
        for (let x = bx; x < bx + 16; x++) {
          if (a.data[y * a.width + x] !== b.data[y * a.width + x]) {
            changed++;
            break search;
          }
        }
      }
    }
  }
  return changed / total;
}

describe('createTestPattern: validation', () => {
  it('refuses sizes that are odd, too small or too large, naming the value', () => {
    expect(() => createTestPattern({ width: 321, height: 240, fps: 30 })).toThrow(new RangeError('test pattern width must be even (4:2:0 chroma), got 321'));
    expect(() => createTestPattern({ width: 320, height: 14, fps: 30 })).toThrow(/^test pattern height must be an integer from 16 to 4096, got 14$/);
    expect(() => createTestPattern({ width: 4098, height: 240, fps: 30 })).toThrow(RangeError);
    expect(() => createTestPattern({ width: 4098, height: 240, fps: 30 })).toThrow(/got 4098/);
    expect(() => createTestPattern({ width: 320.5, height: 240, fps: 30 })).toThrow(/got 320.5/);
    expect(() => createTestPattern({ width: '320' as unknown as number, height: 240, fps: 30 })).toThrow(TypeError);
  });

  it('refuses rates outside 1..240 or not whole, naming the value', () => {
    for (const fps of [0, 241, 29.97, -1, NaN]) {
      expect(() => createTestPattern({ width: 64, height: 64, fps })).toThrow(RangeError);
      expect(() => createTestPattern({ width: 64, height: 64, fps })).toThrow(`test pattern fps must be an integer from 1 to 240, got ${fps}`);
    }
  });

  it('accepts the extremes', async () => {
    for (const [width, height, fps] of [[16, 16, 1], [4096, 16, 240], [16, 4096, 240]] as const) {
      const source = createTestPattern({ width, height, fps, live: false });
      // Frames across the box's travel, so it reaches the edges of these thin frames.
      for (let i = 0; i < 50; i++) expect((await source.read())!.data.length).toBe((width * height * 3) / 2);
    }
  });
});

describe('createTestPattern: frames', () => {
  it('describes itself and is live by default', () => {
    const info = createTestPattern({ width: 640, height: 480, fps: 30 }).info;
    expect(info).toEqual({ width: 640, height: 480, fps: 30, live: true, description: 'test pattern 640x480 at 30 fps' });
    expect(createTestPattern({ width: 640, height: 480, fps: 30, live: false }).info.live).toBe(false);
  });

  it('gives I420 frames with consecutive indices and timestamps index * 1e6 / fps (to the microsecond)', async () => {
    const source = createTestPattern({ width: 320, height: 240, fps: 30, live: false });
    const frames = [];
    for (let i = 0; i < 4; i++) frames.push((await source.read())!);
    expect(frames.map((f) => [f.width, f.height, f.data.length, f.index])).toEqual([0, 1, 2, 3].map((i) => [320, 240, 115200, i]));
    expect(frames.map((f) => f.timestampUs)).toEqual([0, 33333, 66667, 100000]);
    // Each frame has its own buffer (ownership passes with it).
    expect(frames[0]!.data.buffer).not.toBe(frames[1]!.data.buffer);
  });

  it('is deterministic: the same index gives the same picture', async () => {
    const a = createTestPattern({ width: 160, height: 120, fps: 25, live: false });
    const b = createTestPattern({ width: 160, height: 120, fps: 25, live: false });
    expect((await frameAt(a, 40)).data).toEqual((await frameAt(b, 40)).data);
  });

  it('draws the 75% colour bars across the top at frame 0', async () => {
    const frame = (await createTestPattern({ width: 640, height: 480, fps: 30, live: false }).read())!;
    const { width, height, data } = frame;
    const y = height >> 3, cy = y >> 1, cw = width >> 1;
    BARS.forEach(([Y, U, V], k) => {
      const x = Math.floor(((k + 0.5) * width) / 7), cx = x >> 1;
      expect([data[y * width + x], data[width * height + cy * cw + cx], data[(width * height * 5) / 4 + cy * cw + cx]]).toEqual([Y, U, V]);
    });
  });

  it('moves: most of the picture changes from one frame to the next, and keeps changing', async () => {
    const source = createTestPattern({ width: 320, height: 240, fps: 15, live: false });
    let previous = (await source.read())!;
    for (let i = 1; i < 10; i++) {
      const frame = (await source.read())!;
      expect(changedBlocks(previous, frame)).toBeGreaterThan(0.5);
      previous = frame;
    }
  });

  it('moves with time, not frame count: the same moment looks the same at 15 and 30 fps', async () => {
    const at15 = await frameAt(createTestPattern({ width: 320, height: 240, fps: 15, live: false }), 15);
    const at30 = await frameAt(createTestPattern({ width: 320, height: 240, fps: 30, live: false }), 30);
    // Only the frame counter differs (000015 against 000030).
    expect(changedBlocks(at15, at30)).toBeLessThan(0.05);
  });

  it('writes the frame number and its time in the overlay', async () => {
    const frame = await frameAt(createTestPattern({ width: 160, height: 120, fps: 240, live: false }), 299);
    expect(readText(frame, [6, 12])).toEqual(['000299', '00:00:01.245']);
    const hd = await frameAt(createTestPattern({ width: 1280, height: 720, fps: 30, live: false }), 31);
    expect(readText(hd, [6, 12])).toEqual(['000031', '00:00:01.033']);
  });

  it('formats the clock as HH:MM:SS.mmm, hours past 99 included', () => {
    expect(formatClock(0)).toBe('00:00:00.000');
    expect(formatClock(3_723_004_999)).toBe('01:02:03.004');
    expect(formatClock(360_000_000_000)).toBe('100:00:00.000');
  });

  it('keeps the overlay inside the frame and scales it with the height', () => {
    for (const [w, h] of [[320, 240], [640, 480], [1920, 1080], [96, 64]]) {
      const l = textLayout(w, h);
      expect(l.x % 2 + l.y % 2 + l.width % 2 + l.height % 2).toBe(0);
      expect(l.x + l.width).toBeLessThanOrEqual(w);
      expect(l.y + l.height).toBeLessThanOrEqual(h);
    }
    expect(textLayout(320, 240).scale).toBe(2);
    expect(textLayout(1920, 1080).scale).toBe(9);
  });

  it('draws a 1080p frame in well under a frame time (30 fps: 33 ms)', async () => {
    const source = createTestPattern({ width: 1920, height: 1080, fps: 30, live: false });
    for (let i = 0; i < 5; i++) await source.read(); // warm up
    const start = performance.now();
    for (let i = 0; i < 30; i++) await source.read();
    // About 4 ms on a laptop; the bound leaves room for a loaded test machine.
    expect((performance.now() - start) / 30).toBeLessThan(33);
  });
});

describe('createTestPattern: pacing', () => {
  it('paces a live pattern at fps from the first read', async () => {
    const clock = new ManualClock();
    const source = createTestPattern({ width: 64, height: 48, fps: 20, clock });
    expect((await source.read())!.index).toBe(0);
    const second = source.read();
    expect(await isSettled(second)).toBe(false);
    clock.advance(50);
    expect((await second)!.index).toBe(1);
    clock.advance(500); // a slow consumer: overdue frames come at once, then the schedule holds
    for (let i = 2; i <= 11; i++) expect((await source.read())!.index).toBe(i);
    const next = source.read();
    expect(await isSettled(next)).toBe(false);
    expect(clock.sleeps.at(-1)).toBe(50);
    clock.advance(50);
    expect((await next)!.timestampUs).toBe(600_000);
  });

  it('gives frames as fast as asked when not live', async () => {
    const clock = new ManualClock();
    const source = createTestPattern({ width: 64, height: 48, fps: 1, live: false, clock });
    for (let i = 0; i < 5; i++) await source.read();
    expect(clock.sleeps).toEqual([]);
  });

  it('resolves a pending read with null on close, and every read after it', async () => {
    const clock = new ManualClock();
    const source = createTestPattern({ width: 64, height: 48, fps: 1, clock });
    await source.read();
    const pending = source.read();
    await source.close();
    expect(await pending).toBeNull();
    expect(await source.read()).toBeNull();
    await source.close();
    expect(clock.sleeping).toBe(0);
  });
});
