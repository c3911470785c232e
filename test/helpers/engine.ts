/**
 * For the engine and `record` tests: a transport spy on the encoder worker, a sink wrapper that
 * notes what it was given, a y4m writer, and the built CLI run as its own process.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { spawnWorkerThread } from '../../main/engine/encoder-client.js';
import type { WorkerChannel } from '../../main/engine/worker-protocol.js';
import type { EncodedFrame, Sink, StreamInfo, VideoFrame } from '../../main/engine/types.js';
import { createTestPattern } from '../../main/engine/test-pattern.js';

/**
 * Starts real worker threads and watches their traffic: frames posted and answered, so the
 * number at the encoder at any moment (and its peak) is observed, not taken from the engine.
 */
export class WorkerSpy {
  readonly channels: WorkerChannel[] = [];
  /** Frames posted to the current worker and not yet answered; the highest it reached. */
  inFlight = 0;
  maxInFlight = 0;
  posted = 0;
  /**
   * Called as each frame is about to go to the worker. Returning true terminates the worker
   * instead, and the frame never reaches it, so it is lost in flight with the worker. Terminating
   * right after the post raced with the encoder: a fast one could answer before it died.
   */
  killOnFrame: (() => boolean) | null = null;

  readonly spawn = (entry: URL): WorkerChannel => {
    const channel = spawnWorkerThread(entry);
    this.channels.push(channel);
    this.inFlight = 0;
    return {
      transfers: channel.transfers,
      postMessage: (message, transfer) => {
        if (message.type === 'frame') {
          this.posted++;
          this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
          if (this.killOnFrame?.()) {
            this.killOnFrame = null;
            channel.terminate();
            return;
          }
        }
        channel.postMessage(message, transfer);
      },
      onMessage: (handler) => channel.onMessage((message) => {
        if (message.type === 'encoded' || (message.type === 'error' && message.request === 'frame')) this.inFlight--;
        handler(message);
      }),
      onError: (handler) => channel.onError(handler),
      onExit: (handler) => channel.onExit(handler),
      terminate: () => channel.terminate(),
    };
  };

  /** The worker started last. */
  get current(): WorkerChannel {
    const channel = this.channels[this.channels.length - 1];
    if (!channel) throw new Error('no encoder worker was started');
    return channel;
  }
}

export interface TappedSink extends Sink {
  /** What write() was given, in order. */
  readonly frames: { index: number; keyframe: boolean }[];
  readonly started: StreamInfo[];
  closed: number;
  /** Resolves when the first close() has finished. */
  readonly whenClosed: Promise<void>;
}

/** Wraps a real sink, noting every call on the way through. */
export function tapSink(sink: Sink): TappedSink {
  let closed!: () => void;
  const whenClosed = new Promise<void>((resolve) => { closed = resolve; });
  const tapped: TappedSink = {
    kind: sink.kind,
    path: sink.path,
    get bytesWritten() { return sink.bytesWritten; },
    frames: [],
    started: [],
    closed: 0,
    whenClosed,
    start(info: StreamInfo) {
      tapped.started.push(info);
      return sink.start(info);
    },
    write(frame: EncodedFrame) {
      tapped.frames.push({ index: frame.index, keyframe: frame.keyframe });
      return sink.write(frame);
    },
    close() {
      tapped.closed++;
      return sink.close().finally(closed);
    },
  };
  return tapped;
}

/** A 4:2:0 .y4m clip (C420jpeg: the engine's I420) of `frames`. */
export async function writeY4m(path: string, frames: readonly VideoFrame[], fps: number): Promise<void> {
  const { width, height } = frames[0]!;
  const parts: Uint8Array[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const f of frames) parts.push(Buffer.from('FRAME\n'), f.data);
  await writeFile(path, Buffer.concat(parts));
}

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs the command under this (e.g. prlimit --fsize=N). */
  wrapper?: string[];
  /** Called with the process once it has started (to kill it). */
  onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void;
}

/** Runs `node <bin> ...argv` as a user would, with its output collected. */
export function runCliProcess(bin: string, argv: readonly string[], options: RunOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const command = [...(options.wrapper ?? []), process.execPath, bin, ...argv];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.((signal) => child.kill(signal));
  });
}

/** The record command's last line: "recorded N frames (S s of video, D dropped) in T s: ...". */
export function recordSummary(stdout: string): { frames: number; dropped: number } {
  const m = /^recorded (\d+) frames \([\d.]+ s of video, (\d+) dropped\)/m.exec(stdout);
  if (!m) throw new Error(`no summary line in the record command's output:\n${stdout}`);
  return { frames: Number(m[1]), dropped: Number(m[2]) };
}

/**
 * Where each access unit of an Annex-B stream starts (7.4.1.2.3: non-VCL units before a picture's
 * first slice belong to it; a slice with first_mb_in_slice = 0, ue(v) '1', starts a new picture).
 */
export function accessUnitStarts(data: Uint8Array): number[] {
  const starts: number[] = [];
  let afterVcl = true;
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
    const at = i > 0 && data[i - 1] === 0 ? i - 1 : i;
    const type = data[i + 3]! & 0x1f;
    const vcl = type === 1 || type === 5;
    const firstSlice = vcl && i + 4 < data.length && (data[i + 4]! & 0x80) !== 0;
    if (afterVcl && (!vcl || firstSlice)) starts.push(at);
    afterVcl = vcl;
    i += 3;
  }
  return starts;
}

/** `count` frames of the (not live) test pattern, as a source would hand them out. */
export async function patternFrames(width: number, height: number, fps: number, count: number): Promise<VideoFrame[]> {
  const source = createTestPattern({ width, height, fps, live: false });
  const frames: VideoFrame[] = [];
  for (let i = 0; i < count; i++) frames.push((await source.read())!);
  await source.close();
  return frames;
}
