/**
 * Wall-clock pacing for live sources (test pattern, a file played at its rate): frame i is due
 * `i / fps` seconds after the first read. The schedule is absolute, so a late read returns at once
 * and the next ones still fall on their slots: lateness never accumulates into drift.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Time as the pacer sees it; tests inject one they advance by hand. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after `ms` milliseconds, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  // A timer, not a busy wait; an abort (the source closing) ends the wait early. Node truncates
  // a fractional delay, which would wake the reader a fraction of a millisecond before its frame.
  sleep: (ms, signal) => sleep(Math.ceil(ms), undefined, { signal }).catch(() => {}),
};

export class Pacer {
  private start: number | undefined;
  private readonly stopper = new AbortController();

  constructor(private readonly fps: number, private readonly clock: Clock = systemClock) {}

  /** Starts the schedule (frame 0 due now) unless it has started already. */
  begin(): void {
    this.start ??= this.clock.now();
  }

  /** Waits until frame `index` is due. Resolves false when stop() came first. */
  async wait(index: number): Promise<boolean> {
    if (this.stopper.signal.aborted) return false;
    this.begin();
    const due = this.start! + (index * 1000) / this.fps;
    const early = due - this.clock.now();
    if (early > 0) await this.clock.sleep(early, this.stopper.signal);
    return !this.stopper.signal.aborted;
  }

  /** Ends every pending and future wait (with false). Idempotent. */
  stop(): void {
    this.stopper.abort();
  }
}
