/** Shared by the bench files: tinybench options and a describe() group that carries its costs. */
import { bench, describe, type BenchOptions } from 'vitest';
import type { KernelCost } from './kernel-report.js';

/** Long enough for a stable mean, short enough for the whole run to stay under a minute. */
export const OPTIONS: BenchOptions = { time: 400, warmupTime: 100 };

export type Entry = [name: string, cost: KernelCost, fn: () => void];

/** One describe() group; its meta tells kernel-report.ts what each bench call does. */
export function group(title: string, entries: Entry[], options = OPTIONS): void {
  const kernelCosts = Object.fromEntries(entries.map(([name, cost]) => [name, cost]));
  describe(title, { meta: { kernelCosts } }, () => {
    for (const [name, , fn] of entries) bench(name, fn, options);
  });
}
