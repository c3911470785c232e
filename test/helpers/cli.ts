/** Runs the CLI in-process with captured streams, as a terminal user would meet it. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../main/cli/index.js';

export interface CliRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export async function runCli(argv: string[], stdin: Uint8Array = new Uint8Array(0)): Promise<CliRun> {
  const out: Buffer[] = [], err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(Buffer.from(chunk));
      done();
    },
  });
  const code = await main(argv, { stdout: sink(out), stderr: sink(err), stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
}
