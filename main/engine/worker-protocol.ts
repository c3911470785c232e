/**
 * The encoder worker's message protocol: what the engine (EncoderClient) and the worker entry
 * (encoder-worker.ts) say to each other, and the two small transport interfaces they say it over.
 *
 * Transport-agnostic on purpose: under Node the worker is a worker_thread, under Electron the same
 * entry runs in a utilityProcess. Only the adapters differ (`WorkerPort` on the worker's side,
 * `WorkerChannel` on the engine's side); every message here is structured-clonable plain data.
 *
 * Ordering: the worker handles messages one at a time in the order they were posted, and answers
 * every 'frame' exactly once ('encoded', or 'error' with request 'frame'), in order. So a
 * setBitrate() posted between two frames applies from the second one, and the engine counts the
 * frames in flight without matching ids.
 */
import type { EncoderOptions, FrameStats, ResolvedOptions } from '../../encoder/index.js';

// ---- engine -> worker -------------------------------------------------------------------------

/** Creates the encoder. Answered by 'ready', or by a non-fatal 'error' (request 'init') for bad options. */
export interface InitMessage {
  type: 'init';
  width: number;
  height: number;
  options: EncoderOptions;
}

/** One I420 frame to encode. `data`'s buffer is in the transfer list when the transport allows. */
export interface FrameMessage {
  type: 'frame';
  index: number;
  timestampUs: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export interface RequestKeyframeMessage {
  type: 'requestKeyframe';
}

export interface SetBitrateMessage {
  type: 'setBitrate';
  bps: number;
}

export interface SetQpRangeMessage {
  type: 'setQpRange';
  min: number;
  max: number;
}

/** Closes the encoder after every frame posted before it; answered by 'closed', then the worker ends. */
export interface CloseMessage {
  type: 'close';
}

/**
 * TEST ONLY: makes the worker fail the ways a real bug or a killed worker would, so tests can
 * check that the engine survives it. 'throw': an exception escapes the message handler (the worker
 * reports it as a fatal 'error' and exits with 1); 'exit': the worker exits at once with code 7;
 * 'uncaught': an exception is thrown outside any handler (the transport reports it). Nothing in the
 * engine sends it; EncoderClient exposes it only as `simulateCrashForTest()`.
 */
export interface CrashMessage {
  type: 'crash';
  how: CrashKind;
}
export type CrashKind = 'throw' | 'exit' | 'uncaught';

export type ToWorker =
  | InitMessage
  | FrameMessage
  | RequestKeyframeMessage
  | SetBitrateMessage
  | SetQpRangeMessage
  | CloseMessage
  | CrashMessage;

// ---- worker -> engine -------------------------------------------------------------------------

/** The encoder exists: the level it chose and the options it resolved (defaults filled in). */
export interface ReadyMessage {
  type: 'ready';
  levelIdc: number;
  options: ResolvedOptions;
}

/** One access unit. `data`'s buffer is transferred; so is `input` (the frame's buffer, for reuse). */
export interface EncodedMessage {
  type: 'encoded';
  index: number;
  timestampUs: number;
  /** Annex-B access unit (SPS and PPS before each IDR). */
  data: Uint8Array;
  keyframe: boolean;
  stats: FrameStats;
  /**
   * The frame's pixels handed back so the engine can pool frame buffers (memory stays flat).
   * Null where the transport copies instead of transferring: sending a copy back would cost more
   * than allocating a new buffer.
   */
  input: Uint8Array | null;
}

/**
 * Codes of errors made by the worker or the engine (the encoder's own are EncoderErrorCode:
 * ERR_INVALID_ARG, ERR_INVALID_IMAGE, ERR_ENCODER_CLOSED, passed through unchanged).
 */
export type WorkerErrorCode =
  /** A message the protocol does not allow now (a frame before init, a second init). */
  | 'ERR_WORKER_PROTOCOL'
  /** An exception escaped the worker's handler: a bug, never a user mistake. Always fatal. */
  | 'ERR_WORKER_INTERNAL'
  /** The worker ended while frames were in flight, or without being asked to. Always fatal. */
  | 'ERR_WORKER_EXITED'
  /** The worker entry could not be found or started. Always fatal. */
  | 'ERR_WORKER_START';

/**
 * Something went wrong. Not fatal: the request failed (bad options, a bad frame, a bitrate out of
 * range) and the worker carries on. Fatal: the worker is ending; nothing more will come but 'exit'.
 */
export interface ErrorMessage {
  type: 'error';
  /** The request it answers ('frame' for a frame that failed), or null when it answers none. */
  request: ToWorker['type'] | null;
  /** The thrown error's class name ('RangeError', 'TypeError', 'Error'), so the engine can rebuild it. */
  name: string;
  message: string;
  code: string;
  fatal: boolean;
  /** For request 'frame': the frame's index. (Its buffer is not handed back: errors are rare.) */
  index?: number;
  /** For ERR_WORKER_INTERNAL: where the bug is (never sent for a user's mistake). */
  stack?: string;
}

/** The encoder is closed; the worker ends next (exit code 0). */
export interface ClosedMessage {
  type: 'closed';
}

export type FromWorker = ReadyMessage | EncodedMessage | ErrorMessage | ClosedMessage;

// ---- transports -------------------------------------------------------------------------------

/**
 * The worker's side of the transport: worker_threads' parentPort (encoder-worker.ts) now,
 * Electron's process.parentPort in a utilityProcess later.
 */
export interface WorkerPort {
  /**
   * True when `transfer` moves ArrayBuffers without copying them (worker_threads). Electron's
   * utilityProcess parentPort copies every ArrayBuffer (it transfers only MessagePorts), so its
   * adapter says false and the worker does not send input buffers back.
   */
  readonly transfers: boolean;
  postMessage(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Installs the one handler of messages from the engine. */
  onMessage(handler: (message: ToWorker) => void): void;
  /** Stops listening so the worker can end on its own (exit code 0) once its last message is out. */
  close(): void;
  /** Ends the worker (its thread or process) at once with this code. */
  exit(code: number): void;
}

/**
 * The engine's side of the transport: a handle on one running worker. encoder-client.ts adapts a
 * worker_threads Worker; the desktop app adapts an Electron UtilityProcess the same way.
 */
export interface WorkerChannel {
  /** As WorkerPort.transfers. */
  readonly transfers: boolean;
  postMessage(message: ToWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** An error the transport saw (an uncaught exception in the worker, an entry that failed to load). Followed by exit. */
  onError(handler: (error: Error) => void): void;
  /** The worker has ended, for whatever reason. Called exactly once. */
  onExit(handler: (code: number) => void): void;
  /** Kills the worker now; onExit follows. */
  terminate(): void;
}

/**
 * The buffer of `view` when it can be transferred without harming anyone: an ArrayBuffer (not
 * shared) that the view covers exactly. A view into a larger buffer (a slice of Node's Buffer
 * pool, a frame inside a file's bytes) is not: transferring would detach the rest.
 */
export function ownedBuffer(view: Uint8Array): ArrayBuffer | null {
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer)) return null;
  return view.byteOffset === 0 && view.byteLength === buffer.byteLength && buffer.byteLength > 0 ? buffer : null;
}
