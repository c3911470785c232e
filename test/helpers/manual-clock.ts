/** A Clock (main/engine/pacing.ts) that moves only when a test advances it: pacing without real waits. */
import type { Clock } from '../../main/engine/pacing.js';

interface Sleeper {
  until: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  time = 0;
  /** Every sleep asked for, in milliseconds. */
  readonly sleeps: number[] = [];
  private sleepers: Sleeper[] = [];
  private onSleep: (() => void)[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    const done = new Promise<void>((resolve) => {
      const sleeper = { until: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
    for (const notify of this.onSleep.splice(0)) notify();
    return done;
  }

  /** How many sleeps are waiting. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Resolves once someone is asleep on this clock (observed, not waited for by time). */
  whenSleeping(): Promise<void> {
    return this.sleepers.length > 0 ? Promise.resolve() : new Promise((resolve) => this.onSleep.push(resolve));
  }

  /** Moves time on and wakes every sleep that is due. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.until <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.until > this.time);
    for (const s of due) s.resolve();
  }
}

/** Whether `promise` has settled once pending callbacks and I/O polls have run. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}
