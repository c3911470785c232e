import { defineConfig } from 'vitest/config';

// Test projects by area (STYLE.md: "Vitest projects by folder"). The conformance sweep spawns real
// decoders, so tests get generous timeouts; speed is measured by `npm run bench`, never by tests.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'encoder', include: ['test/encoder/**/*.test.ts'] } },
      { extends: true, test: { name: 'main', include: ['test/main/**/*.test.ts'] } },
    ],
  },
});
