/**
 * The `h264-studio` command line. main() returns the exit code and never calls process.exit, so
 * tests run it in-process with captured streams; bin/h264-studio.js is the process wrapper.
 *
 * Exit codes: 0 success; 1 an internal error (a bug: the stack is printed); 2 a user mistake
 * (bad argument, unreadable input, invalid encoder option, malformed y4m: one line, no stack).
 */
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { Y4mError } from '../media/y4m.js';
import { CliError, suggestion } from './args.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
}

export const USAGE = `Usage: h264-studio <command> [options]

Commands
  encode     encode a .y4m or raw I420 clip to an H.264 stream, at a target bitrate
             (cbr or vbr) or a constant QP
  record     record the test pattern or a file to .mp4 and/or .h264 through the encoder
  serve      publish the test pattern or a file live over RTSP (embedded server, or push)
  presets    list the recording presets (built-in and your own)
  bench      measure encode speed, bitrate and PSNR on the test sequences
  help       show this help, or a command's: h264-studio help encode

Options
  -h, --help     show this help
  --version      show the version
`;

/** Commands are loaded when used, so --help and --version do not load the encoder. */
const COMMANDS: Record<string, () => Promise<{ run: (argv: readonly string[], io: CliIo) => Promise<number>; usage: string }>> = {
  encode: async () => {
    const m = await import('./encode.js');
    return { run: m.encodeCommand, usage: m.ENCODE_USAGE };
  },
  record: async () => {
    const m = await import('./record.js');
    return { run: m.recordCommand, usage: m.RECORD_USAGE };
  },
  serve: async () => {
    const m = await import('./record.js');
    return { run: m.serveCommand, usage: m.SERVE_USAGE };
  },
  presets: async () => {
    const m = await import('./record.js');
    return { run: m.presetsCommand, usage: m.PRESETS_USAGE };
  },
  bench: async () => {
    const m = await import('./bench.js');
    return { run: m.benchCommand, usage: m.BENCH_USAGE };
  },
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      io.stderr.write(USAGE);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = rest[0];
      if (command === 'help' && topic !== undefined) {
        const load = COMMANDS[topic];
        if (!load) throw unknownCommand(topic);
        io.stdout.write((await load()).usage);
      } else {
        io.stdout.write(USAGE);
      }
      return 0;
    }
    if (command === '--version') {
      io.stdout.write(`h264-studio ${await version()}\n`);
      return 0;
    }
    const load = COMMANDS[command];
    if (!load) throw unknownCommand(command);
    return await (await load()).run(rest, io);
  } catch (error) {
    if (isUserError(error)) {
      io.stderr.write(`h264-studio: ${(error as Error).message}\n`);
      return 2;
    }
    // The reader of our stdout went away (`h264-studio encode -o - ... | head -c 100`): it wanted
    // no more, so stop quietly.
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
    io.stderr.write(`h264-studio: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return 1;
  }
}

function unknownCommand(command: string): CliError {
  const hint = command.startsWith('-') ? suggestion(command.replace(/^-+/, ''), ['help', 'version']) : suggestion(command, Object.keys(COMMANDS), '');
  return new CliError(`unknown command ${JSON.stringify(command)}${hint}: run h264-studio --help for usage`);
}

/**
 * A mistake the user can fix: our own CliError, a malformed y4m, or the encoder rejecting an
 * option or image (its validation errors carry a code, encoder/errors.ts).
 */
function isUserError(error: unknown): boolean {
  if (error instanceof CliError || error instanceof Y4mError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return (error instanceof RangeError || error instanceof TypeError) && (code === 'ERR_INVALID_ARG' || code === 'ERR_INVALID_IMAGE');
}

/** The version in package.json: two levels up from main/cli/ in the source, three from dist/main/cli/. */
async function version(): Promise<string> {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'h264-studio' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  throw new Error('package.json of h264-studio not found above ' + import.meta.url);
}
