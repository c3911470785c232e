/** Running an external program (ffmpeg, x264, gst-launch-1.0) with its output collected. */
import { spawn } from 'node:child_process';

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a program with `input` streamed to its stdin and stdout collected in chunks, so outputs of
 * hundreds of megabytes (1080p, tens of frames) need no maxBuffer. Resolves whatever the exit
 * status: callers decide what counts as failure. A program that exits before reading all its input
 * makes stdin fail with EPIPE; that is reported through its exit status and stderr, not thrown.
 */
export function runTool(file: string, args: readonly string[], input?: Uint8Array, env?: NodeJS.ProcessEnv): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') reject(e);
    });
    child.on('error', (e) => reject(new Error(`cannot run ${file}: ${e.message}`)));
    child.on('close', (code, signal) => {
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code, signal });
    });
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}
