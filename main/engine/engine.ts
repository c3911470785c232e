/**
 * The studio engine: pulls frames from a source, encodes them in a worker, hands every access unit
 * to the recording sinks. Plain Node (Electron only wires it up).
 *
 * Backpressure: at most `maxInFlight` frames are with the encoder, and at most `maxSinkBacklog`
 * bytes of access units wait for any one sink (a slow disk, a stalled network share). A live source
 * (camera, test pattern) runs on its own clock, so a frame that arrives while the encoder is full
 * or a recording is that far behind is dropped and counted: every recording stays whole, only with
 * fewer frames, and memory stays flat. A file source is waited for instead (for a free slot, for a
 * recording to catch up, and for a new encoder after one died): nothing is dropped.
 *
 * Recording starts on a keyframe: a sink added mid-stream asks the encoder for one and receives
 * frames from that IDR on. A sink whose write fails (disk full, I/O error) is closed, reported in
 * an 'error' event, and dropped; the engine and the other sinks go on. A worker that dies is
 * reported the same way; the engine closes its sinks (what they hold stays playable), counts the
 * frames it held as dropped, and restartEncoder() starts a new worker in the same process.
 */
import { EventEmitter } from 'node:events';
import type { EncoderOptions } from '../../encoder/index.js';
import { EncoderClient, type EncoderClientOptions, type EncoderWorkerError } from './encoder-client.js';
import type { EncodedFrame, FrameSource, Sink, StreamInfo, VideoFrame } from './types.js';

/** The default bound on the raw frames at the encoder, in bytes. */
const MAX_IN_FLIGHT_BYTES = 48 << 20;

/** The default bound on the access units waiting for one sink, in bytes. */
const MAX_SINK_BACKLOG_BYTES = 8 << 20;

export interface EngineOptions {
  source: FrameSource;
  /** Encoder options (size comes from the source). */
  encoder: EncoderOptions;
  /**
   * Frames at the encoder at once (queued in the worker or being encoded). Default: one second of
   * frames, at least 3, and no more than 48 MiB of them (16 at 1080p): enough to ride out the
   * worker's first frames (its JIT warms up: each of the first two takes 150-500 ms on a loaded
   * 2-core machine, so half a second dropped frames at QVGA 15 fps) and a slow frame now and then,
   * little enough to keep memory flat. A file source (not live) waits for the encoder instead: 4.
   */
  maxInFlight?: number;
  /**
   * Bytes of access units that may wait for one sink's writes (a disk that stalls for a moment).
   * Beyond it, input frames wait (file source) or are dropped (live source) until the sink catches
   * up. Default 8 MiB: 16 s at 4 Mb/s, many more than a healthy disk ever holds back.
   */
  maxSinkBacklog?: number;
  /** Stop after this many input frames (a recording of N seconds = fps * N). Default: until stop(). */
  maxFrames?: number;
  /** How the encoder worker is started (its entry, its transport); default: the built worker in a worker_thread. */
  encoderClient?: EncoderClientOptions;
}

export interface EngineStats {
  elapsedMs: number;
  /**
   * Frames read from the source, encoded, and dropped (the encoder was behind, refused them, or
   * they were lost with a worker that died or was replaced): at the end, input = encoded + dropped.
   */
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
  /** Bytes of access units waiting for the slowest sink (0 when every recording keeps up). */
  sinkBacklogBytes: number;
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
  /** Bytes handed to the chain and not yet written. */
  backlog: number;
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
  private readonly maxSinkBacklog: number;
  private readonly maxFrames: number;
  private readonly clientOptions: EncoderClientOptions;
  private client: EncoderClient | null = null;
  private readonly sinks: SinkState[] = [];
  private running = false;
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Resolves when a slot at the encoder frees up (file sources wait on it). */
  private slotWaiter: (() => void) | null = null;
  private startedAt = 0;
  private readonly counters = { input: 0, encoded: 0, dropped: 0, keyframes: 0, qp: 0, encodeMs: 0 };
  /**
   * Sinks no longer recording (removed, failed, or ended with the encoder). Their bytesWritten is
   * read live: an MP4 sink writes its last fragment and index in close(), after it left the list.
   */
  private readonly retired: Sink[] = [];
  /**
   * A keyframe is on its way from the current worker (its first frame is one, or one was asked
   * for): a sink added now starts on it, no need to ask again.
   */
  private keyframeComing = false;
  /** Frames posted to the current worker and not answered yet: lost (dropped) if it ends. */
  private atEncoder = 0;
  /** Sinks closing after a failure or with a dead encoder: finish() waits for them. */
  private readonly closings: Promise<unknown>[] = [];
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
    const { width, height, fps } = options.source.info;
    // A file source waits for the encoder anyway: a few frames keep the worker busy. A live one
    // needs room to ride out slow frames.
    this.maxInFlight = options.maxInFlight ?? (options.source.info.live
      ? Math.max(3, Math.min(Math.round(fps), Math.floor(MAX_IN_FLIGHT_BYTES / (width * height * 1.5))))
      : 4);
    this.maxSinkBacklog = options.maxSinkBacklog ?? MAX_SINK_BACKLOG_BYTES;
    this.maxFrames = options.maxFrames ?? Infinity;
    this.clientOptions = options.encoderClient ?? {};
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
    const old = this.client;
    this.client = null;
    if (old) {
      // Replaced on purpose: the frames it holds are lost, and its end is no news.
      old.removeAllListeners('encoded');
      old.removeAllListeners('error');
      this.counters.dropped += this.atEncoder;
      this.atEncoder = 0;
      void old.terminate();
    }
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
    this.sinks.push({ sink, started: false, tail: Promise.resolve(), backlog: 0, failed: false });
    this.requestKeyframe();
  }

  /**
   * Asks the encoder for an IDR as soon as it can (a live viewer joining, a viewer cut back after
   * falling behind). Rate limiting is the caller's: every call that finds no keyframe already on
   * its way asks the encoder once.
   */
  requestKeyframe(): void {
    if (this.client?.running && !this.keyframeComing) {
      this.client.requestKeyframe();
      this.keyframeComing = true;
    }
  }

  /** Finishes one sink's file and removes it; the engine goes on. */
  async removeSink(sink: Sink): Promise<void> {
    const i = this.sinks.findIndex((s) => s.sink === sink);
    if (i < 0) return;
    const [state] = this.sinks.splice(i, 1);
    this.retired.push(sink);
    await state!.tail;
    await sink.close();
  }

  /** Stops the source, lets the encoder finish the frames it has, finalises every sink. */
  async stop(): Promise<void> {
    // Never started: nothing to finish (whenDone() would otherwise wait for a start that never comes).
    if (!this.running && this.loop === null) return;
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
      bytesWritten: [...this.sinks.map((st) => st.sink), ...this.retired].reduce((s, sink) => s + sink.bytesWritten, 0),
      sinkBacklogBytes: this.sinks.reduce((m, st) => Math.max(m, st.failed ? 0 : st.backlog), 0),
    };
  }

  // ---- internals -------------------------------------------------------------------------

  private trim(now: number): void {
    while (this.recentInput.length > 0 && this.recentInput[0]! < now - 1000) this.recentInput.shift();
    while (this.recentEncoded.length > 0 && this.recentEncoded[0]!.t < now - 1000) this.recentEncoded.shift();
  }

  private async startEncoder(): Promise<void> {
    const { width, height, fps } = this.source.info;
    const client = await EncoderClient.start(width, height, { fps, ...this.encoderOptions }, this.clientOptions);
    client.on('encoded', (frame: EncodedFrame, recycled: Uint8Array | null) => {
      this.onEncoded(frame);
      // The worker hands the input buffer back: the source fills it again (flat memory).
      if (recycled !== null) this.source.recycle?.(recycled);
    });
    client.on('error', (error: EncoderWorkerError) => this.onEncoderError(client, error));
    this.client = client;
    this.atEncoder = 0;
    this.keyframeComing = true; // a new encoder starts with an IDR
    this.slotWaiter?.(); // a file source waiting for an encoder goes on
  }

  private async pull(): Promise<void> {
    try {
      while (!this.stopping && this.counters.input < this.maxFrames) {
        const frame = await this.source.read();
        if (frame === null) break;
        this.counters.input++;
        this.recentInput.push(performance.now());
        // A file is waited for, never dropped: for a free slot, for a recording to catch up, or for
        // a new encoder after one died (without one, a source that needs no I/O would also spin
        // here and starve the event loop).
        while (!this.source.info.live && !this.stopping && !this.hasSlot()) {
          await new Promise<void>((resolve) => { this.slotWaiter = resolve; });
          this.slotWaiter = null;
        }
        if (!this.hasSlot()) {
          this.counters.dropped++; // live and the encoder or a recording behind, or no encoder (it died), or stopping
          continue;
        }
        this.send(this.client!, frame);
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

  private hasSlot(): boolean {
    return this.client !== null && this.client.running && this.client.inFlight < this.maxInFlight
      && this.sinks.every((st) => st.failed || st.backlog < this.maxSinkBacklog);
  }

  private send(client: EncoderClient, frame: VideoFrame): void {
    client.encode(frame);
    this.atEncoder++;
  }

  private onEncoded(frame: EncodedFrame): void {
    const c = this.counters;
    this.atEncoder--;
    c.encoded++;
    if (frame.keyframe) {
      c.keyframes++;
      this.keyframeComing = false;
    }
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
      const bytes = frame.data.byteLength;
      state.backlog += bytes;
      state.tail = state.tail
        .then(() => state.sink.write(frame))
        .catch((e: unknown) => this.onSinkError(state, e))
        .finally(() => {
          state.backlog -= bytes;
          // A source held back by this sink's backlog goes on.
          if (state.backlog < this.maxSinkBacklog) this.slotWaiter?.();
        });
    }
    this.slotWaiter?.();
  }

  private onSinkError(state: SinkState, e: unknown): void {
    if (state.failed) return;
    state.failed = true;
    const i = this.sinks.indexOf(state);
    if (i >= 0) {
      this.sinks.splice(i, 1);
      this.retired.push(state.sink); // else already retired (being removed or finished)
    }
    this.emit('error', new EngineError('sink', `recording to ${state.sink.path ?? state.sink.kind} stopped: ${(e as Error).message}`, state.sink));
    // What was written stays: close what can be closed (the file may be half a frame long).
    this.closings.push(state.sink.close().catch(() => undefined));
  }

  private onEncoderError(client: EncoderClient, error: EncoderWorkerError): void {
    if (client !== this.client) return;
    if (!error.fatal) {
      if (error.index !== undefined) {
        // The encoder refused that frame: it is not at the encoder any more.
        this.atEncoder--;
        this.counters.dropped++;
      }
      this.emit('error', new EngineError('encoder', error.message));
      this.slotWaiter?.();
      return;
    }
    this.client = null;
    this.counters.dropped += this.atEncoder; // lost with the worker
    this.atEncoder = 0;
    this.emit('error', new EngineError('encoder', error.message));
    // Recordings end here, playable up to what they hold.
    const sinks = this.sinks.splice(0);
    for (const state of sinks) {
      this.retired.push(state.sink);
      this.closings.push(state.tail.then(() => state.sink.close()).catch(() => undefined));
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
        this.retired.push(state.sink);
        await state.tail;
        try {
          await state.sink.close();
        } catch (e) {
          this.emit('error', new EngineError('sink', `finishing ${state.sink.path ?? state.sink.kind} failed: ${(e as Error).message}`, state.sink));
        }
      }
      await Promise.all(this.closings);
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
