#!/usr/bin/env -S node --no-memory-reducer
// The h264-studio command: runs the compiled CLI (dist/, built by `npm run build`, which
// `npm install` runs through the prepare script). All logic lives in main/cli/index.ts.
//
// --no-memory-reducer (a V8 flag, read when the process starts): V8's memory reducer shrinks the
// heaps whenever allocation slows and lets them grow back, so a recording's RSS swings by 8 to
// 10 MB over minutes although nothing leaks. A recorder that runs for hours wants its memory flat;
// the ordinary collector still runs. `npm run soak` measures the engine with the same flag. env -S
// (coreutils 8.30+, macOS) splits the line; npm's Windows shims read the flag from it too.
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/cli/index.js', import.meta.url);

let cli;
try {
  cli = await import(entry.href);
} catch (error) {
  // Only a missing build gets the friendly line; a broken build is a real error with its stack.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(fileURLToPath(entry))) throw error;
  process.stderr.write('h264-studio: not built yet: run npm install (or npm run build)\n');
  process.exitCode = 1;
}

if (cli) {
  // A reader that closes early (`h264-studio encode -o - ... | head -c 1000`) is not an error:
  // main() stops when its pending write fails, and nothing is printed.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.exitCode = await cli.main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    // Touching process.stdin opens it; only commands reading `-` need it.
    get stdin() {
      return process.stdin;
    },
  });
}
