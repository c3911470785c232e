/**
 * The engine's handle on one encoder worker (encoder-worker.ts): posts frames and controls, turns
 * the replies into events, and survives the worker dying.
 *
 *   const enc = await EncoderClient.start(640, 480, { fps: 30, bitrate: 2_000_000 });
 *   enc.on('encoded', (frame, recycled) => ...);   // EncodedFrame, and the input buffer back
 *   enc.on('error', (e) => ...);                    // e.fatal: the worker is gone, start a new one
 *   enc.encode(videoFrame);                         // videoFrame.data is transferred: do not reuse
 *   await enc.close();                              // after every frame posted before it
 *
 * The worker entry is the built file encoder-worker.js next to this module (dist/main/engine/):
 * run from TypeScript source (vitest) there is none, so tests build first and pass `workerEntry`.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncoderOptions, ResolvedOptions } from '../../encoder/index.js';
import type { EncodedFrame, VideoFrame } from './types.js';
import {
  type CrashKind, type ErrorMessage, type FromWorker, type ToWorker, type WorkerChannel, type WorkerErrorCode, ownedBuffer,
} from './worker-protocol.js';

/** An error from the encoder worker or about it. */
export interface EncoderWorkerError extends Error {
  /** The encoder's code (ERR_INVALID_ARG, ERR_INVALID_IMAGE, ERR_ENCODER_CLOSED) or a WorkerErrorCode. */
  code: string;
  /** True when the worker is gone: start a new EncoderClient. False: one request failed, the worker carries on. */
  fatal: boolean;
  /** For a frame the encoder rejected: its index (the frame is not in flight any more). */
  index?: number;
}

export interface EncoderClientEvents {
  /** An access unit, and the input frame's buffer handed back for reuse (null where the transport copies). */
  encoded: [frame: EncodedFrame, recycled: Uint8Array | null];
  /** Emitted only when someone listens (a fatal error is also kept in `failure`). */
  error: [error: EncoderWorkerError];
  /** The worker has ended, for whatever reason; after any 'error' about it. */
  exit: [code: number];
}

export interface EncoderClientOptions {
  /** The worker entry (path or URL). Default: encoder-worker.js next to this module. */
  workerEntry?: string | URL;
  /**
   * Starts the worker on a transport. Default: a worker_thread. The desktop app passes its
   * utilityProcess adapter here (utilityProcess.fork(entry): postMessage, on('message'),
   * on('exit'), kill()); nothing else changes.
   */
  spawn?: (entry: URL) => WorkerChannel;
}

/** The built worker entry next to this module: dist/main/engine/encoder-worker.js in a build. */
export function defaultWorkerEntry(): URL {
  return new URL('./encoder-worker.js', import.meta.url);
}

/**
 * The encoder worker's young generation, in MiB (V8's two semi-spaces and the new large-object
 * space). At 12 V8 starts the worker at its largest new space, 8 MiB, so the space has nowhere to
 * grow: left at Node's default (48) it starts at the same 8 MiB and may double later, and an hour
 * into a 720p soak RSS stepped up by 8.8 MB at once outside the main heap. 720p encodes as fast
 * with 12 as with the default.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/** The worker_threads transport: frame and access-unit buffers move without a copy. */
export function spawnWorkerThread(entry: URL): WorkerChannel {
  const worker = new Worker(entry, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  const errorHandlers: ((error: Error) => void)[] = [];
  worker.on('error', (e) => errorHandlers.forEach((h) => h(e)));
  // A reply that cannot be deserialised would leave a frame in flight for ever: end the worker instead.
  worker.on('messageerror', (e) => {
    const error = new Error(`a message from the encoder worker could not be read: ${e.message}`);
    errorHandlers.forEach((h) => h(error));
    void worker.terminate();
  });
  return {
    transfers: true,
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (handler) => worker.on('message', handler),
    onError: (handler) => errorHandlers.push(handler),
    onExit: (handler) => worker.once('exit', handler),
    terminate: () => void worker.terminate(),
  };
}

function workerError(message: string, code: WorkerErrorCode | string, fatal: boolean, name = 'Error'): EncoderWorkerError {
  const error = name === 'RangeError' ? new RangeError(message) : name === 'TypeError' ? new TypeError(message) : new Error(message);
  return Object.assign(error, { code, fatal });
}

function framesWere(n: number): string {
  return `${n} frame${n === 1 ? ' was' : 's were'}`;
}

type Phase = 'starting' | 'running' | 'closing' | 'exited';

export class EncoderClient extends EventEmitter<EncoderClientEvents> {
  readonly width: number;
  readonly height: number;

  private readonly channel: WorkerChannel;
  private ready_: { levelIdc: number; options: Readonly<ResolvedOptions> } | null = null;
  private failure_: EncoderWorkerError | null = null;
  private exitCode_: number | null = null;
  private phase: Phase = 'starting';
  private pending = 0;
  private terminated = false;
  private closedByWorker = false;
  /** Why the worker is ending, as the worker or the transport said (reported at exit). */
  private reason: Error | null = null;
  /** A bad init: start() rejects with it. */
  private initError: EncoderWorkerError | null = null;
  private readonly exited: Promise<void>;
  private readonly ready: Promise<void>;
  private settleReady: { resolve: () => void; reject: (e: Error) => void } | null = null;

  private constructor(width: number, height: number, channel: WorkerChannel) {
    super();
    this.width = width;
    this.height = height;
    this.channel = channel;
    this.ready = new Promise((resolve, reject) => { this.settleReady = { resolve, reject }; });
    this.exited = new Promise((resolve) => {
      channel.onExit((code) => {
        this.exitedWith(code);
        resolve();
      });
    });
    channel.onMessage((msg) => this.received(msg));
    channel.onError((e) => { this.reason ??= e; });
  }

  /**
   * Starts a worker and creates its encoder. Resolves once the encoder exists; rejects with the
   * encoder's own RangeError/TypeError (message and code) for bad sizes or options, or with an
   * ERR_WORKER_START error when the worker cannot start. The worker is gone when it rejects.
   */
  static async start(width: number, height: number, options: EncoderOptions = {}, clientOptions: EncoderClientOptions = {}): Promise<EncoderClient> {
    const entry = clientOptions.workerEntry === undefined ? defaultWorkerEntry()
      : typeof clientOptions.workerEntry === 'string' ? pathToFileURL(clientOptions.workerEntry) : clientOptions.workerEntry;
    if (entry.protocol === 'file:' && !existsSync(fileURLToPath(entry))) {
      throw workerError(
        `the encoder worker entry ${fileURLToPath(entry)} does not exist: run \`npm run build\` and use dist/, or pass workerEntry` +
          (entry.pathname.endsWith('.js') && import.meta.url.endsWith('.ts') ? ' (this module runs from TypeScript source)' : ''),
        'ERR_WORKER_START', true,
      );
    }
    const client = new EncoderClient(width, height, (clientOptions.spawn ?? spawnWorkerThread)(entry));
    try {
      client.post({ type: 'init', width, height, options });
    } catch (e) {
      // options that cannot be cloned (a function, a symbol): no worker to keep.
      client.ready.catch(() => {});
      await client.terminate();
      throw workerError(`options cannot be sent to the encoder worker: ${(e as Error).message}`, 'ERR_INVALID_ARG', false, 'TypeError');
    }
    await client.ready;
    return client;
  }

  /** level_idc the encoder chose (Table A-1). */
  get levelIdc(): number {
    return this.ready_!.levelIdc;
  }

  /** The encoder's options with the defaults filled in. */
  get options(): Readonly<ResolvedOptions> {
    return this.ready_!.options;
  }

  /** The error that ended the worker, or null. Set before 'error' and 'exit' are emitted. */
  get failure(): EncoderWorkerError | null {
    return this.failure_;
  }

  /** The worker's exit code once it has ended, else null. */
  get exitCode(): number | null {
    return this.exitCode_;
  }

  /** Frames posted and not yet answered ('encoded' or a non-fatal 'error' with their index). */
  get inFlight(): number {
    return this.pending;
  }

  /** True until close() or terminate() is called or the worker dies: encode() and the controls are accepted. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /**
   * Posts one frame. Its buffer is transferred when frame.data covers a whole ArrayBuffer
   * (frame.data is then empty here: take a new buffer, or reuse the one 'encoded' hands back);
   * a view into a larger buffer is copied instead. Throws (the frame stays the caller's) when the
   * client is not running; a frame the encoder rejects comes back as a non-fatal 'error'.
   */
  encode(frame: VideoFrame): void {
    this.checkRunning('encode');
    const owned = ownedBuffer(frame.data);
    const data = owned ? frame.data : frame.data.slice();
    const msg: ToWorker = { type: 'frame', index: frame.index, timestampUs: frame.timestampUs, width: frame.width, height: frame.height, data };
    this.post(msg, this.channel.transfers ? [data.buffer as ArrayBuffer] : []);
    this.pending++;
  }

  /** Makes the next frame posted an IDR frame. */
  requestKeyframe(): void {
    this.checkRunning('requestKeyframe');
    this.post({ type: 'requestKeyframe' });
  }

  /** A new target bitrate from the next frame posted; one the encoder rejects comes back as a non-fatal 'error'. */
  setBitrate(bps: number): void {
    this.checkRunning('setBitrate');
    this.post({ type: 'setBitrate', bps });
  }

  /** New QP bounds from the next frame posted; bad ones come back as a non-fatal 'error'. */
  setQpRange(min: number, max: number): void {
    this.checkRunning('setQpRange');
    this.post({ type: 'setQpRange', min, max });
  }

  /**
   * Finishes: every frame posted before is encoded (its 'encoded' event comes first), then the
   * encoder closes and the worker ends. Resolves when it has ended, also when it died on the way
   * (that is reported as 'error' and `failure`, never as a rejection). Idempotent.
   */
  close(): Promise<void> {
    if (this.phase === 'running') {
      this.phase = 'closing';
      this.post({ type: 'close' });
    }
    return this.exited;
  }

  /** Kills the worker now. Frames in flight are lost ('error', fatal). Resolves when it has ended. */
  terminate(): Promise<void> {
    if (this.phase !== 'exited') {
      if (this.phase !== 'starting') this.phase = 'closing';
      this.terminated = true;
      this.channel.terminate();
    }
    return this.exited;
  }

  /** TEST ONLY (worker-protocol.ts CrashMessage): makes the worker fail as a bug or a kill would. */
  simulateCrashForTest(how: CrashKind): void {
    this.post({ type: 'crash', how });
  }

  private checkRunning(what: string): void {
    if (this.phase === 'running') return;
    const state = this.phase === 'closing' ? 'is closing' : `has exited (code ${this.exitCode})`;
    throw workerError(`${what}: the encoder worker ${state}; start a new EncoderClient`, 'ERR_ENCODER_CLOSED', false);
  }

  private post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.channel.postMessage(msg, transfer);
  }

  private received(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.ready_ = { levelIdc: msg.levelIdc, options: Object.freeze(msg.options) };
        if (this.phase === 'starting') this.phase = 'running';
        this.settleReady?.resolve();
        this.settleReady = null;
        return;
      case 'encoded': {
        this.pending--;
        const frame: EncodedFrame = { data: msg.data, keyframe: msg.keyframe, timestampUs: msg.timestampUs, index: msg.index, stats: msg.stats };
        this.emit('encoded', frame, msg.input);
        return;
      }
      case 'error':
        this.errorReceived(msg);
        return;
      case 'closed':
        this.closedByWorker = true;
        return;
    }
  }

  private errorReceived(msg: ErrorMessage): void {
    const error = workerError(msg.message, msg.code, msg.fatal, msg.name);
    if (msg.fatal) {
      // The worker exits next: reported once, with the frames lost, at exit.
      if (msg.stack) error.stack = msg.stack;
      this.reason = error;
      return;
    }
    if (msg.request === 'init') {
      this.initError = error;
      void this.terminate();
      return;
    }
    if (msg.request === 'frame') {
      this.pending--;
      error.index = msg.index;
    }
    this.report(error);
  }

  private exitedWith(code: number): void {
    const lost = this.pending;
    const wasStarting = this.phase === 'starting';
    this.phase = 'exited';
    this.exitCode_ = code;
    this.pending = 0;
    if (wasStarting) {
      const why = this.reason ? `: ${this.reason.message}` : '';
      this.settleReady?.reject(this.initError ?? workerError(`the encoder worker exited with code ${code} before it was ready${why}`, 'ERR_WORKER_START', true));
      this.settleReady = null;
      return;
    }
    const cleanClose = this.closedByWorker && code === 0;
    if (lost > 0 || !(cleanClose || this.terminated)) {
      const how = this.terminated && !this.reason ? 'was terminated' : `exited with code ${code}`;
      const during = lost > 0 ? ` while ${framesWere(lost)} in flight` : '';
      const why = this.reason ? `: ${this.reason.message}` : '';
      const internal = (this.reason as Partial<EncoderWorkerError> | null)?.code === 'ERR_WORKER_INTERNAL';
      const error = workerError(`encoder worker ${how}${during}${why}`, internal ? 'ERR_WORKER_INTERNAL' : 'ERR_WORKER_EXITED', true);
      if (this.reason?.stack) error.stack = `${error.name}: ${error.message}\n--- in the worker ---\n${this.reason.stack}`;
      this.failure_ = error;
      this.report(error);
    }
    this.emit('exit', code);
  }

  /** 'error' without a listener would throw out of a transport callback (an uncaught exception): only emit to listeners. */
  private report(error: EncoderWorkerError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
