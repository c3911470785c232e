/**
 * Asserting the encoder's boundary errors (STYLE.md "Errors": name the exact value and what was
 * expected), the way test/encoder/api.test.ts does.
 */
import { expect } from 'vitest';

export type ErrorClass = typeof RangeError | typeof TypeError;

/** Runs fn, which must throw; returns what it threw. */
export function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: unknown };
  }
  throw new Error('expected a throw, but none came');
}

/**
 * fn throws exactly `cls` (not a subclass of Error standing in for it) with `code`, and the message
 * contains each fragment: the expectation and the offending value, as the user wrote it.
 */
export function expectError(fn: () => unknown, cls: ErrorClass, code: string, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.constructor, e.message).toBe(cls);
  expect(e.code, e.message).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
}
