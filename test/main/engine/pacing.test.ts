import { describe, expect, it } from 'vitest';
import { Pacer, systemClock } from '../../../main/engine/pacing.js';
import { ManualClock, isSettled } from '../../helpers/manual-clock.js';

describe('Pacer', () => {
  it('makes frame 0 due at the first wait and frame i at i / fps after it', async () => {
    const clock = new ManualClock();
    clock.time = 5000;
    const pacer = new Pacer(25, clock);
    expect(await pacer.wait(0)).toBe(true);
    const second = pacer.wait(1);
    expect(await isSettled(second)).toBe(false);
    expect(clock.sleeps).toEqual([40]);
    clock.advance(39);
    expect(await isSettled(second)).toBe(false);
    clock.advance(1);
    expect(await second).toBe(true);
  });

  it('lets a late reader catch up at once and keeps the schedule (no drift)', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(10, clock);
    await pacer.wait(0);
    clock.advance(250); // the reader comes back late: frames 1 and 2 are overdue
    expect(await pacer.wait(1)).toBe(true);
    expect(await pacer.wait(2)).toBe(true);
    expect(clock.sleeps).toEqual([]);
    const third = pacer.wait(3);
    expect(clock.sleeps).toEqual([50]); // due at 300 ms, not 250 + 100
    clock.advance(50);
    expect(await third).toBe(true);
  });

  it('starts the schedule at begin() when that comes before the first wait', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(10, clock);
    pacer.begin();
    clock.advance(30);
    const first = pacer.wait(1);
    expect(clock.sleeps).toEqual([70]);
    clock.advance(70);
    expect(await first).toBe(true);
  });

  it('ends a pending wait and every later one with false on stop()', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer(1, clock);
    await pacer.wait(0);
    const pending = pacer.wait(1);
    pacer.stop();
    expect(await pending).toBe(false);
    expect(await pacer.wait(0)).toBe(false);
    expect(clock.sleeping).toBe(0);
    pacer.stop();
  });

  it('paces on the system clock with timers (real time, generous bounds)', async () => {
    const pacer = new Pacer(100, systemClock);
    const start = performance.now();
    for (let i = 0; i < 6; i++) await pacer.wait(i);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(45); // frame 5 is due 50 ms after frame 0
    expect(elapsed).toBeLessThan(2000);
  });

  it('cancels a system-clock sleep on stop() without waiting it out', async () => {
    const pacer = new Pacer(1, systemClock);
    await pacer.wait(0);
    const start = performance.now();
    const pending = pacer.wait(1); // due in one second
    pacer.stop();
    expect(await pending).toBe(false);
    expect(performance.now() - start).toBeLessThan(500);
  });
});
