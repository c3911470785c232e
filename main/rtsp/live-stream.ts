/**
 * The publishing side of the RTSP server: one live H.264 stream as the engine produces it. It
 * remembers what a viewer needs to start (the parameter sets for DESCRIBE, the access units since
 * the last IDR for a late joiner), asks the encoder for keyframes at a bounded rate, and maps the
 * stream's microsecond timestamps to wall-clock time for RTCP sender reports. No sockets: the
 * server (server.ts) subscribes to it.
 */
import { EventEmitter } from 'node:events';
import { nalUnitType, splitAnnexB } from './h264-rtp.js';

/** One access unit of the live stream (EncodedFrame's fields the server needs). */
export interface LiveFrame {
  /** Annex-B access unit, as the encoder returned it. */
  data: Uint8Array;
  keyframe: boolean;
  /** Presentation time in microseconds. */
  timestampUs: number;
}

export interface LiveStreamInfo {
  width: number;
  height: number;
  fps: number;
}

export interface LiveStreamOptions {
  /** Asks the encoder for an IDR (the engine's requestKeyframe). */
  requestKeyframe?: () => void;
  /**
   * At most one keyframe request per this many milliseconds, however many viewers join or fall
   * behind: a crowd joining at once must not turn the stream into a run of IDRs. Default 500.
   */
  keyframeIntervalMs?: number;
  /**
   * A joiner starts with the cached access units from the last IDR when that IDR is at most this
   * old (ms): they go out at once, a short burst. Older, and the joiner waits for the next IDR
   * (which it asks for): a long burst would put the player that far behind live. Default 300.
   */
  maxBurstMs?: number;
  /** Cap on the cached access units since the last IDR, in bytes. Default 8 MiB. */
  maxCacheBytes?: number;
  /** Wall clock in ms (tests). Default performance.timeOrigin + performance.now(). */
  now?: () => number;
}

/** Wall-clock milliseconds that only go forward (RTCP maps them to NTP time). */
function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Events: 'frame' (LiveFrame) for each access unit published, 'ready' once the parameter sets are
 * known (DESCRIBE waits for it), 'end' when the stream ends.
 */
export class LiveStream extends EventEmitter {
  private info_: LiveStreamInfo | null = null;
  private sps_: Uint8Array | null = null;
  private pps_: Uint8Array | null = null;
  /** The last IDR access unit and every one after it, while under maxCacheBytes. */
  private gop: LiveFrame[] = [];
  private gopBytes = 0;
  /** Wall time the cached IDR was published. */
  private gopStartedAt = -Infinity;
  private lastRequestAt = -Infinity;
  private keyframeRequests = 0;
  /** Wall time and stream time of the last frame: maps one to the other. */
  private lastFrameAt = 0;
  private lastTimestampUs = 0;
  private frames = 0;
  private ended_ = false;
  private readonly requestKeyframe_: (() => void) | undefined;
  private readonly keyframeIntervalMs: number;
  private readonly maxBurstMs: number;
  private readonly maxCacheBytes: number;
  readonly now: () => number;

  constructor(options: LiveStreamOptions = {}) {
    super();
    this.requestKeyframe_ = options.requestKeyframe;
    this.keyframeIntervalMs = options.keyframeIntervalMs ?? 500;
    this.maxBurstMs = options.maxBurstMs ?? 300;
    this.maxCacheBytes = options.maxCacheBytes ?? 8 << 20;
    this.now = options.now ?? wallClock;
  }

  get info(): LiveStreamInfo | null {
    return this.info_;
  }

  get sps(): Uint8Array | null {
    return this.sps_;
  }

  get pps(): Uint8Array | null {
    return this.pps_;
  }

  /** True once SPS and PPS are known: the stream can be described. */
  get ready(): boolean {
    return this.sps_ !== null && this.pps_ !== null;
  }

  get ended(): boolean {
    return this.ended_;
  }

  get framesPublished(): number {
    return this.frames;
  }

  /** Starts (or restarts, after an encoder restart) the stream: its size and rate. */
  start(info: LiveStreamInfo): void {
    this.info_ = { ...info };
    this.ended_ = false;
  }

  /** One access unit from the encoder, in order. */
  publish(frame: LiveFrame): void {
    const now = this.now();
    if (frame.keyframe) {
      this.takeParameterSets(frame.data);
      this.gop = [];
      this.gopBytes = 0;
      this.gopStartedAt = now;
    }
    if (this.gop.length > 0 || frame.keyframe) {
      if (this.gopBytes + frame.data.length <= this.maxCacheBytes) {
        this.gop.push(frame);
        this.gopBytes += frame.data.length;
      } else {
        // Too long a GOP to keep: joiners wait for (and ask for) the next IDR.
        this.gop = [];
        this.gopBytes = 0;
        this.gopStartedAt = -Infinity;
      }
    }
    this.lastFrameAt = now;
    this.lastTimestampUs = frame.timestampUs;
    this.frames++;
    this.emit('frame', frame);
  }

  /** The stream is over (recording stopped): viewers are told with RTCP BYE. */
  end(): void {
    if (this.ended_) return;
    this.ended_ = true;
    this.emit('end');
  }

  /**
   * What a viewer starting now receives first: the cached access units from a fresh IDR (sent at
   * once), or [] when it must wait for the next IDR, which this then asks for.
   */
  joinFrames(): LiveFrame[] {
    if (this.gop.length > 0 && this.now() - this.gopStartedAt <= this.maxBurstMs) return [...this.gop];
    this.askForKeyframe();
    return [];
  }

  /**
   * Asks the encoder for an IDR unless one was asked for less than keyframeIntervalMs ago: that
   * one serves this caller too.
   */
  askForKeyframe(): void {
    const now = this.now();
    if (now - this.lastRequestAt < this.keyframeIntervalMs) return;
    this.lastRequestAt = now;
    this.keyframeRequests++;
    this.requestKeyframe_?.();
  }

  /** Keyframes asked of the encoder so far. */
  get keyframesRequested(): number {
    return this.keyframeRequests;
  }

  /**
   * The stream time (µs) that corresponds to wall time `wallMs`, extrapolated from the last frame:
   * RTCP sender reports pair an NTP time with an RTP time (RFC 3550 6.4.1).
   */
  timestampAt(wallMs: number): number {
    if (this.frames === 0) return 0;
    return this.lastTimestampUs + Math.max(0, wallMs - this.lastFrameAt) * 1000;
  }

  private takeParameterSets(au: Uint8Array): void {
    let changed = false;
    for (const nal of splitAnnexB(au)) {
      const type = nalUnitType(nal);
      if (type === 7 && !sameBytes(nal, this.sps_)) {
        this.sps_ = nal.slice();
        changed = true;
      } else if (type === 8 && !sameBytes(nal, this.pps_)) {
        this.pps_ = nal.slice();
        changed = true;
      }
    }
    if (changed && this.ready) this.emit('ready');
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
