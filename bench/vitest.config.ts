import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import KernelReport from './kernel-report.js';

// The kernel micro-benchmarks: `npm run bench:kernels` builds dist/ and runs `vitest bench --run`
// with this config. Kept apart from vitest.config.ts so `npm test` never runs them. The encoder
// is benchmarked as Node loads it from dist/, outside Vitest's module runner (bench/encoder.ts
// says why); one bench file at a time, so benches do not compete for the CPU.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: [],
    fileParallelism: false,
    server: { deps: { external: [/\/dist\/encoder\//] } },
    benchmark: {
      include: ['bench/**/*.bench.ts'],
      reporters: ['default', new KernelReport()],
    },
  },
});
