/**
 * The studio engine's contracts: sources produce frames, the encoder worker turns them into
 * access units, sinks record them. Plain Node; Electron only wires these up later.
 *
 *   FrameSource --read()--> engine (bounded queue, drops when live) --> encoder worker
 *        --> EncodedFrame --> every Sink (raw .h264, fragmented .mp4, later RTSP)
 */
import type { FrameStats } from '../../encoder/index.js';

/** One frame of video: tightly packed I420 (Y, then Cb and Cr at half size), with its time. */
export interface VideoFrame {
  width: number;
  height: number;
  /** width * height * 3 / 2 bytes. Ownership passes with the frame (it may be transferred). */
  data: Uint8Array;
  /** Presentation time in microseconds from the source's first frame. */
  timestampUs: number;
  /** Index of the frame in its source, from 0. */
  index: number;
}

export interface SourceInfo {
  width: number;
  height: number;
  /** Nominal frame rate (frames per second). */
  fps: number;
  /** True for sources that run on their own clock (camera, test pattern): late frames are dropped, not waited for. */
  live: boolean;
  /** What a user would call it: "test pattern 640x480 at 30 fps", "file clip.y4m (looping)". */
  description: string;
}

/** A pull-based source of frames. */
export interface FrameSource {
  readonly info: SourceInfo;
  /**
   * The next frame, or null when the source has ended (a looping file or a live source ends only
   * when closed). A live source resolves when its next frame is due (paced by its own clock).
   */
  read(): Promise<VideoFrame | null>;
  /** Stops the source; a pending read() resolves with null. Idempotent. */
  close(): Promise<void>;
  /**
   * Hands back a frame buffer the consumer is done with (the encoder worker returns each one), so
   * the source can fill it again instead of allocating. Optional for sources.
   */
  recycle?(data: Uint8Array): void;
}

/** One encoded frame: a complete Annex-B access unit, in decoding (= presentation) order. */
export interface EncodedFrame {
  data: Uint8Array;
  keyframe: boolean;
  timestampUs: number;
  /** Index of the input frame it came from. */
  index: number;
  stats: FrameStats;
}

/** What a sink is told before the first frame (which is always a keyframe). */
export interface StreamInfo {
  width: number;
  height: number;
  fps: number;
}

/** A recorder output: raw .h264, fragmented .mp4 (and later RTSP). */
export interface Sink {
  /** 'h264', 'mp4', ... */
  readonly kind: string;
  /** The file it writes, when it writes one. */
  readonly path: string | null;
  /** Bytes handed to the file system so far. */
  readonly bytesWritten: number;
  start(info: StreamInfo): Promise<void>;
  /** Appends one access unit. Rejects (with a clear Error) when the file cannot take it: disk full, I/O error. */
  write(frame: EncodedFrame): Promise<void>;
  /** Finishes the file (the last fragment, the index) and closes it. Idempotent. */
  close(): Promise<void>;
}

/** A recording preset: what a user picks in the studio or with `record --preset NAME`. */
export interface StudioPreset {
  name: string;
  width: number;
  height: number;
  fps: number;
  /** Frames per IDR. */
  gop: number;
  /** Target bits per second. */
  bitrate: number;
  qpMin: number;
  qpMax: number;
  /** Encoder speed preset. */
  encoderPreset: 'realtime' | 'balanced' | 'quality';
  /** Built in, or loaded from the user's presets file. */
  builtIn: boolean;
}
