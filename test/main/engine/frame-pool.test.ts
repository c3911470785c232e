/** FramePool and the sources that use it: recycled buffers are reused and filled completely. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSource } from '../../../main/engine/file-source.js';
import { FramePool } from '../../../main/engine/frame-pool.js';
import { createTestPattern } from '../../../main/engine/test-pattern.js';

describe('FramePool', () => {
  it('hands back what it was given, up to its limit, and only buffers of its size', () => {
    const pool = new FramePool(12, 2);
    const a = pool.take(), b = pool.take();
    expect(a.length).toBe(12);
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b);
    pool.give(new Uint8Array(12)); // over the limit
    pool.give(new Uint8Array(13)); // another size
    pool.give(new Uint8Array(24).subarray(0, 12)); // a view into a larger buffer
    expect(pool.size).toBe(2);
    expect([pool.take(), pool.take()]).toEqual(expect.arrayContaining([a, b]));
    expect(pool.size).toBe(0);
  });
});

describe('sources reuse recycled buffers and overwrite every byte', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'h264-pool-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('test pattern: a recycled, dirty buffer gets the same picture as a fresh one', async () => {
    const fresh = createTestPattern({ width: 64, height: 48, fps: 30, live: false });
    const reused = createTestPattern({ width: 64, height: 48, fps: 30, live: false });
    const first = (await reused.read())!;
    await fresh.read();
    first.data.fill(0xab);
    reused.recycle!(first.data);
    const again = (await reused.read())!;
    expect(again.data).toBe(first.data);
    expect(again.data).toEqual((await fresh.read())!.data);
  });

  it('file source: a recycled buffer is filled with the next frame', async () => {
    const w = 16, h = 16, frameBytes = (w * h * 3) / 2;
    const parts: Uint8Array[] = [new TextEncoder().encode(`YUV4MPEG2 W${w} H${h} F30:1 C420\n`)];
    for (let i = 0; i < 3; i++) parts.push(new TextEncoder().encode('FRAME\n'), new Uint8Array(frameBytes).fill(10 + i));
    const path = join(dir, 'clip.y4m');
    await writeFile(path, Buffer.concat(parts));
    const source = await openFileSource(path);
    const f0 = (await source.read())!;
    const f1 = (await source.read())!;
    f0.data.fill(0xee);
    source.recycle!(f0.data);
    const f2 = (await source.read())!;
    expect(f2.data).toBe(f0.data);
    expect(f2.data.every((v) => v === 12)).toBe(true);
    expect(f1.data.every((v) => v === 11)).toBe(true);
    await source.close();
  });
});
