/**
 * The studio engine: pulls frames from a source, encodes them in a worker, hands every access unit
 * to the recording sinks. Plain Node (Electron only wires it up).
 *
 * Backpressure: at most `maxInFlight` frames are with the encoder. A live source (camera, test
 * pattern) runs on its own clock, so a frame that arrives while the encoder is full is dropped and
 * counted; memory stays flat. A file source is waited for instead: nothing is dropped.
 *
 * Recording starts on a keyframe: a sink added mid-stream asks the encoder for one and receives
 * frames from that IDR on. A sink whose write fails (disk full, I/O error) is closed, reported in
 * an 'error' event, and dropped; the engine and the other sinks go on. A worker that dies is
 * reported the same way; the engine closes its sinks (what they hold stays playable) and
 * restartEncoder() starts a new worker in the same process.
 */
import { EventEmitter } from 'node:events';
import type { EncoderOptions } from '../../encoder/index.js';
import { EncoderClient } from './encoder-client.js';
import type { EncodedFrame, FrameSource, Sink, StreamInfo, VideoFrame } from './types.js';

export interface EngineOptions {
  source: FrameSource;
  /** Encoder options (size comes from the source). */
  encoder: EncoderOptions;
  /**
   * Frames at the encoder at once (queued in the worker or being encoded). Default: half a
   * second of frames, 3 to 15: enough to ride out the worker's first, slower frames (and a
   * slow frame now and then) without dropping, little enough to keep memory flat.
   */
  maxInFlight?: number;
  /** Stop after this many input frames (a recording of N seconds = fps * N). Default: until stop(). */
  maxFrames?: number;
}

export interface EngineStats {
  elapsedMs: number;
  /** Frames read from the source, encoded, and dropped because the encoder was behind. */
  inputFrames: number;
  encodedFrames: number;
  droppedFrames: number;
  keyframes: number;
  /** Over the last second: input and encoded frames per second, bits per second of output. */
  inputFps: number;
  encodedFps: number;
  bitrate: number;
  /** The last encoded frame's mean QP and encode time. */
  qp: number;
  encodeMs: number;
  /** Bytes all sinks have written. */
  bytesWritten: number;
}

export type EngineErrorScope = 'source' | 'encoder' | 'sink';

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(readonly scope: EngineErrorScope, message: string, readonly sink: Sink | null = null) {
    super(message);
  }
}

interface SinkState {
  sink: Sink;
  /** Waiting for the next keyframe before its first write. */
  started: boolean;
  /** Writes go one after another: the chain's tail. */
  tail: Promise<void>;
  failed: boolean;
}

interface EngineEvents {
  frame: [EncodedFrame];
  stats: [EngineStats];
  error: [EngineError];
  end: [];
}

export class Engine extends EventEmitter<EngineEvents> {
  private readonly source: FrameSource;
  private readonly encoderOptions: EncoderOptions;
  private readonly maxInFlight: number;
  private readonly maxFrames: number;
  private client: EncoderClient | null = null;
  private readonly sinks: SinkState[] = [];
  private running = false;
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Resolves when a slot at the encoder frees up (file sources wait on it). */
  private slotWaiter: (() => void) | null = null;
  private startedAt = 0;
  private readonly counters = { input: 0, encoded: 0, dropped: 0, keyframes: 0, bytes: 0, qp: 0, encodeMs: 0 };
  /** Timestamps (ms) and sizes of recent events, for per-second rates. */
  private readonly recentInput: number[] = [];
  private readonly recentEncoded: { t: number; bits: number }[] = [];
  private statsTimer: NodeJS.Timeout | null = null;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(options: EngineOptions) {
    super();
    this.source = options.source;
    this.encoderOptions = options.encoder;
    this.maxInFlight = options.maxInFlight ?? Math.min(15, Math.max(3, Math.round(options.source.info.fps / 2)));
    this.maxFrames = options.maxFrames ?? Infinity;
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  get info(): StreamInfo {
    const { width, height, fps } = this.source.info;
    return { width, height, fps };
  }

  /** Starts the encoder worker and the pull loop. Rejects with the encoder's message for bad options. */
  async start(): Promise<void> {
    if (this.running) throw new Error('the engine is already running');
    await this.startEncoder();
    this.running = true;
    this.startedAt = performance.now();
    this.statsTimer = setInterval(() => this.emit('stats', this.stats()), 1000);
    this.statsTimer.unref();
    this.loop = this.pull();
  }

  /** A new encoder worker after the last one died (or to change nothing but the process). */
  async restartEncoder(): Promise<void> {
    if (this.client) this.client.terminate();
    this.client = null;
    await this.startEncoder();
  }

  /** Resolves when the engine has stopped (stop(), maxFrames reached, or the source ended). */
  whenDone(): Promise<void> {
    return this.done;
  }

  /**
   * Adds a recording sink: it receives frames from the next keyframe on (the engine asks the
   * encoder for one). A failing start() or write() is reported as an 'error' event for that sink.
   */
  addSink(sink: Sink): void {
    this.sinks.push({ sink, started: false, tail: Promise.resolve(), failed: false });
    if (this.client?.running) this.client.requestKeyframe();
  }

  /** Finishes one sink's file and removes it; the engine goes on. */
  async removeSink(sink: Sink): Promise<void> {
    const i = this.sinks.findIndex((s) => s.sink === sink);
    if (i < 0) return;
    const [state] = this.sinks.splice(i, 1);
    await state!.tail;
    await sink.close();
    this.counters.bytes += sink.bytesWritten;
  }

  /** Stops the source, lets the encoder finish the frames it has, finalises every sink. */
  async stop(): Promise<void> {
    if (!this.running) return this.done;
    this.stopping = true;
    await this.source.close();
    this.slotWaiter?.();
    await this.loop;
    await this.finish();
    return this.done;
  }

  stats(): EngineStats {
    const now = performance.now();
    this.trim(now);
    const bits = this.recentEncoded.reduce((s, e) => s + e.bits, 0);
    const c = this.counters;
    return {
      elapsedMs: this.running || this.startedAt ? now - this.startedAt : 0,
      inputFrames: c.input,
      encodedFrames: c.encoded,
      droppedFrames: c.dropped,
      keyframes: c.keyframes,
      inputFps: this.recentInput.length,
      encodedFps: this.recentEncoded.length,
      bitrate: bits,
      qp: c.qp,
      encodeMs: c.encodeMs,
      bytesWritten: this.sinks.reduce((s, st) => s + st.sink.bytesWritten, 0) + c.bytes,
    };
  }

  // ---- internals -------------------------------------------------------------------------

  private trim(now: number): void {
    while (this.recentInput.length > 0 && this.recentInput[0]! < now - 1000) this.recentInput.shift();
    while (this.recentEncoded.length > 0 && this.recentEncoded[0]!.t < now - 1000) this.recentEncoded.shift();
  }

  private async startEncoder(): Promise<void> {
    const { width, height, fps } = this.source.info;
    const client = await EncoderClient.start(width, height, { fps, ...this.encoderOptions });
    client.on('encoded', (frame: EncodedFrame) => this.onEncoded(frame));
    client.on('error', (error: Error & { fatal?: boolean }) => this.onEncoderError(client, error));
    this.client = client;
  }

  private async pull(): Promise<void> {
    try {
      while (!this.stopping && this.counters.input < this.maxFrames) {
        const frame = await this.source.read();
        if (frame === null) break;
        this.counters.input++;
        this.recentInput.push(performance.now());
        const client = this.client;
        if (client === null) {
          this.counters.dropped++; // no encoder (it died): the frame has nowhere to go
          continue;
        }
        if (client.inFlight >= this.maxInFlight) {
          if (this.source.info.live) {
            this.counters.dropped++;
            continue;
          }
          await new Promise<void>((resolve) => { this.slotWaiter = resolve; });
          this.slotWaiter = null;
          if (this.stopping || this.client !== client) { this.counters.dropped++; continue; }
        }
        this.send(client, frame);
      }
    } catch (e) {
      this.emit('error', new EngineError('source', `the source failed: ${(e as Error).message}`));
    }
    if (!this.stopping) {
      // The source ended or maxFrames was reached: finish on our own.
      this.stopping = true;
      void this.finish();
    }
  }

  private send(client: EncoderClient, frame: VideoFrame): void {
    client.encode(frame);
  }

  private onEncoded(frame: EncodedFrame): void {
    const c = this.counters;
    c.encoded++;
    if (frame.keyframe) c.keyframes++;
    c.qp = frame.stats.qpAvg;
    c.encodeMs = frame.stats.encodeMs;
    this.recentEncoded.push({ t: performance.now(), bits: frame.data.length * 8 });
    this.emit('frame', frame);
    for (const state of this.sinks) {
      if (state.failed) continue;
      if (!state.started) {
        if (!frame.keyframe) continue;
        state.started = true;
        state.tail = state.tail.then(() => state.sink.start(this.info));
      }
      state.tail = state.tail.then(() => state.sink.write(frame)).catch((e: unknown) => this.onSinkError(state, e));
    }
    this.slotWaiter?.();
  }

  private onSinkError(state: SinkState, e: unknown): void {
    if (state.failed) return;
    state.failed = true;
    const i = this.sinks.indexOf(state);
    if (i >= 0) this.sinks.splice(i, 1);
    this.counters.bytes += state.sink.bytesWritten;
    this.emit('error', new EngineError('sink', `recording to ${state.sink.path ?? state.sink.kind} stopped: ${(e as Error).message}`, state.sink));
    // What was written stays: close what can be closed (the file may be half a frame long).
    void state.sink.close().catch(() => undefined);
  }

  private onEncoderError(client: EncoderClient, error: Error & { fatal?: boolean }): void {
    if (error.fatal === false) {
      this.emit('error', new EngineError('encoder', error.message));
      this.slotWaiter?.();
      return;
    }
    if (this.client === client) this.client = null;
    this.emit('error', new EngineError('encoder', error.message));
    // Recordings end here, playable up to what they hold.
    const sinks = this.sinks.splice(0);
    for (const state of sinks) {
      this.counters.bytes += state.sink.bytesWritten;
      void state.tail.then(() => state.sink.close()).catch(() => undefined);
    }
    this.slotWaiter?.();
  }

  private finishing: Promise<void> | null = null;

  private finish(): Promise<void> {
    this.finishing ??= (async () => {
      // close() lets the worker encode what it holds ('encoded' events first), then ends it.
      const client = this.client;
      if (client) await client.close();
      this.client = null;
      const sinks = this.sinks.splice(0);
      for (const state of sinks) {
        await state.tail;
        this.counters.bytes += state.sink.bytesWritten;
        try {
          await state.sink.close();
        } catch (e) {
          this.emit('error', new EngineError('sink', `finishing ${state.sink.path ?? state.sink.kind} failed: ${(e as Error).message}`, state.sink));
        }
      }
      await this.source.close();
      if (this.statsTimer) clearInterval(this.statsTimer);
      this.running = false;
      this.emit('stats', this.stats());
      this.emit('end');
      this.resolveDone();
    })();
    return this.finishing;
  }
}
