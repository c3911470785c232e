/**
 * The MP4 recorder: fragmented MP4 (ISO/IEC 14496-12 8.8, movie fragments) written with mediabunny.
 *
 * Layout: ftyp, moov (with mvex, no samples), then one moof + mdat pair per fragment of about
 * `fragmentSeconds`, and an mfra index when closed. A fragment is a self-contained unit: after a
 * crash the file plays up to its last complete fragment, so at most about one fragment is lost.
 *
 * Why a StreamTarget over our own file handle instead of mediabunny's FilePathTarget:
 * - FilePathTarget writes through a chunked StreamTarget (16 MiB chunks by default): a crash would
 *   lose up to 16 MiB, far more than a fragment. Here `chunked: false`, so each fragment reaches the
 *   file as soon as mediabunny completes it (fragmented output is written in order, never seeking
 *   back: "Data will be written monotonically" — IsobmffOutputFormatOptions.fastStart).
 * - FilePathTarget opens with 'w' and would truncate an existing recording; here 'wx'.
 * - StreamTarget hands chunks to the stream without waiting and keeps a failure until its next
 *   flush. Here every write() that completes a fragment waits until the file holds all of it, so a
 *   full disk rejects the write() that hit it, and the file is cut back to its last whole fragment.
 *
 * Fragments start on keyframes only (mediabunny closes a fragment at the first keyframe at least
 * `minimumFragmentDuration` after its start), so the fragment length is about
 * max(fragmentSeconds, GOP duration): with a GOP longer than a second, fragments are a GOP long.
 */
import type { FileHandle } from 'node:fs/promises';
import { EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, Output, StreamTarget, type StreamTargetChunk } from 'mediabunny';
import type { EncodedFrame, Sink, StreamInfo } from '../engine/types.js';
import {
  type RecordingFileOptions,
  RecordingError,
  SerialQueue,
  openRecordingFile,
  recordingWriteError,
  truncateQuietly,
  writeFully,
} from './h264-sink.js';

export interface Mp4SinkOptions extends RecordingFileOptions {
  /** Shortest fragment, in seconds (a fragment ends at the first keyframe after it). Default 1. */
  fragmentSeconds?: number;
}

/** NAL unit types — H.264 (08/2021) Table 7-1. */
const NAL_SPS = 7;
const NAL_PPS = 8;

/** The NAL units of an Annex-B byte stream (B.1.1), without their start codes. */
export function annexBNalUnits(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      // A zero_byte before the start code prefix (B.1.2) belongs to the start code, not the unit.
      if (start >= 0) units.push(data.subarray(start, data[i - 1] === 0 && i - 1 >= start ? i - 1 : i));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.length) units.push(data.subarray(start));
  return units;
}

/**
 * The RFC 6381 codec string of an AVC stream from its SPS: "avc1." then profile_idc, the byte of
 * constraint_set flags and level_idc as hex (ISO/IEC 14496-15 AVCDecoderConfigurationRecord's
 * AVCProfileIndication, profile_compatibility, AVCLevelIndication). These are the first three bytes
 * of seq_parameter_set_data() (7.3.2.1.1), fixed-length and before any emulation prevention can
 * occur (profile_idc is never 0), so no bit reader is needed.
 */
export function avcCodecString(sps: Uint8Array): string {
  if (sps.length < 4 || (sps[0]! & 0x1f) !== NAL_SPS) throw new RangeError('not an SPS NAL unit');
  const hex = (b: number) => b.toString(16).padStart(2, '0').toUpperCase();
  return `avc1.${hex(sps[1]!)}${hex(sps[2]!)}${hex(sps[3]!)}`;
}

class Mp4Sink implements Sink {
  readonly kind = 'mp4';
  readonly path: string;
  private readonly options: Mp4SinkOptions;
  private file: FileHandle | null = null;
  private output: Output | null = null;
  private source: EncodedVideoPacketSource | null = null;
  private info: StreamInfo | null = null;
  private state: 'new' | 'recording' | 'closed' = 'new';
  private closing: Promise<void> | null = null;
  private failure: RecordingError | null = null;
  private frames = 0;
  private firstUs = 0;
  private lastSlot = -1;
  /** Bytes mediabunny has produced so far (end of its furthest write). */
  private produced = 0;
  /** Bytes on file: everything before this offset has been written. */
  private written = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly queue = new SerialQueue();

  constructor(path: string, options: Mp4SinkOptions) {
    const seconds = options.fragmentSeconds ?? 1;
    if (!(seconds > 0) || !Number.isFinite(seconds)) throw new RangeError(`fragmentSeconds must be a positive number, got ${seconds}`);
    this.path = path;
    this.options = options;
  }

  get bytesWritten(): number {
    return this.written;
  }

  start(info: StreamInfo): Promise<void> {
    return this.queue.run(() => this.begin(info));
  }

  private async begin(info: StreamInfo): Promise<void> {
    if (this.state !== 'new') throw new RecordingError(`mp4 recording ${this.path} ${this.state === 'closed' ? 'is closed' : 'was already started'}`);
    const file = await openRecordingFile(this.path, this.options);
    this.file = file;
    this.info = info;
    this.state = 'recording';

    const writable = new WritableStream<StreamTargetChunk>({
      write: async (chunk) => {
        if (this.failure) throw this.failure;
        try {
          await writeFully(file, chunk.data, chunk.position);
        } catch (e) {
          // Chunks arrive in file order (fragmented output is monotonic): everything before this
          // one is whole fragments, the last of which may be followed by a torn one. Cut it off.
          await truncateQuietly(file, chunk.position);
          this.fail(recordingWriteError(this.path, chunk.position, e));
          throw this.failure;
        }
        this.written = Math.max(this.written, chunk.position + chunk.data.byteLength);
        this.wake();
      },
    });
    const target = new StreamTarget(writable, { chunked: false });
    target.on('write', ({ end }) => {
      this.produced = Math.max(this.produced, end);
    });
    // A keyframe closes a fragment once its start is `fragmentSeconds` away; timestamps on a frame
    // grid land exactly there, half a frame of slack keeps a rounding error from doubling a fragment.
    const fragmentSeconds = this.options.fragmentSeconds ?? 1;
    this.output = new Output({
      format: new Mp4OutputFormat({
        fastStart: 'fragmented', minimumFragmentDuration: Math.max(0, fragmentSeconds - 0.5 / info.fps),
        // Each new fragment: forget what the written ones no longer need (see trimWrittenFragments).
        onMoof: () => trimWrittenFragments(this.output),
      }),
      target,
    });
    this.source = new EncodedVideoPacketSource('avc');
    this.output.addVideoTrack(this.source, { frameRate: info.fps });
    await this.guard(this.output.start()); // writes ftyp
  }

  write(frame: EncodedFrame): Promise<void> {
    return this.queue.run(() => this.append(frame));
  }

  private async append(frame: EncodedFrame): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.state !== 'recording') {
      throw new RecordingError(`mp4 recording ${this.path} is ${this.state === 'new' ? 'not started' : 'closed'}`);
    }
    const info = this.info!;
    let meta: EncodedVideoChunkMetadata | undefined;
    if (this.frames === 0) {
      if (!frame.keyframe) throw new RecordingError(`mp4 recording ${this.path} must start on a keyframe: frame ${frame.index} is not one`);
      // mediabunny builds the avcC (AVCDecoderConfigurationRecord) from the SPS and PPS of this
      // first Annex-B packet when no description is given, and converts every packet to 4-byte
      // length prefixes; it needs the codec string and size to go with it.
      const units = annexBNalUnits(frame.data);
      const sps = units.find((u) => (u[0]! & 0x1f) === NAL_SPS);
      if (!sps || !units.some((u) => (u[0]! & 0x1f) === NAL_PPS)) {
        throw new RecordingError(`mp4 recording ${this.path}: the first keyframe (frame ${frame.index}) carries no SPS and PPS`);
      }
      meta = { decoderConfig: { codec: avcCodecString(sps), codedWidth: info.width, codedHeight: info.height } };
      this.firstUs = frame.timestampUs;
    }
    // Times on the frame grid (the track's timescale is the frame rate): the nearest slot to the
    // frame's own time, never the slot of an earlier frame.
    const slot = Math.max(Math.round(((frame.timestampUs - this.firstUs) * info.fps) / 1e6), this.lastSlot + 1);
    const packet = new EncodedPacket(frame.data, frame.keyframe ? 'key' : 'delta', slot / info.fps, 1 / info.fps);
    await this.guard(this.source!.add(packet, meta));
    this.lastSlot = slot;
    this.frames++;
  }

  close(): Promise<void> {
    this.closing ??= this.queue.run(() => this.finish());
    return this.closing;
  }

  private async finish(): Promise<void> {
    const { file, output } = this;
    const wasRecording = this.state === 'recording';
    this.state = 'closed';
    try {
      if (output && wasRecording && !this.failure && this.frames > 0) {
        await this.guard(output.finalize()); // the last fragment and the mfra index
      } else if (output) {
        // Nothing to finish (no frame, or the file already failed): release mediabunny's state.
        await output.cancel().catch(() => undefined);
      }
    } finally {
      this.file = null;
      if (file) await file.close();
    }
  }

  /**
   * Runs one mediabunny step and then waits until the file holds everything it produced. The
   * muxer flushes its writer before start(), add() and finalize() resolve (it holds samples of the
   * open fragment itself, not written bytes), so this waits for at most one fragment's writes.
   * Failures of the file come out as the RecordingError naming it.
   */
  private async guard(step: Promise<void>): Promise<void> {
    try {
      await step;
    } catch (e) {
      if (this.failure) throw this.failure;
      throw new RecordingError(`cannot record ${this.path}: ${(e as Error).message}`, undefined, e);
    }
    if (this.written >= this.produced) return;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.wake();
    });
  }

  private fail(error: RecordingError): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    if (!this.failure && this.written < this.produced) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
  }
}

/**
 * A recorder writing fragmented MP4 to `path` (fragments of about `fragmentSeconds`, default 1).
 * start() creates the file (an existing one is an error unless `overwrite`) and writes its header;
 * the first frame must be a keyframe carrying SPS and PPS. Times come from EncodedFrame.timestampUs
 * relative to the first frame, on the StreamInfo.fps grid. A write() that completes a fragment
 * resolves once the fragment is on file; one that fails rejects with a RecordingError ("disk full
 * while writing PATH after N bytes"), the file keeps its whole fragments, and every later write
 * rejects with the same error. close() writes the last fragment and the index.
 */
/**
 * What mediabunny's muxer keeps of each written fragment (1.61, isobmff-muxer.js): its chunk, with
 * the description of every sample, for the mfra index written on close. The index needs only the
 * first sample's time of each fragment (the tfra box: time, moof offset, traf number), but the
 * whole list stays: about 180 bytes a frame, 20 MB an hour at 30 fps, which a recording that runs
 * for hours must not grow by. So the samples after the first are dropped once a fragment is out.
 * These are mediabunny's internals: if their shape is not what this expects (another version),
 * nothing is touched, and the recorder's test of its retained memory fails and says so.
 */
interface MuxerInternals {
  finalizedChunks?: { samples?: unknown[] }[];
  trimmedChunks?: number;
}

function muxerOf(output: Output | null): MuxerInternals | null {
  const muxer = (output as unknown as { _muxer?: MuxerInternals } | null)?._muxer;
  return muxer && Array.isArray(muxer.finalizedChunks) ? muxer : null;
}

/** Sample descriptions the muxer holds for written fragments (null: not the internals expected). */
export function retainedSamples(sink: Sink): number | null {
  const muxer = muxerOf((sink as unknown as { output?: Output | null }).output ?? null);
  if (!muxer) return null;
  let n = 0;
  for (const c of muxer.finalizedChunks!) n += Array.isArray(c.samples) ? c.samples.length : 0;
  return n;
}

function trimWrittenFragments(output: Output | null): void {
  const muxer = muxerOf(output);
  if (!muxer) return;
  const chunks = muxer.finalizedChunks!;
  // Called as a fragment's moof is written: its own chunk is not yet among the finalized ones.
  for (let i = muxer.trimmedChunks ?? 0; i < chunks.length; i++) {
    const samples = chunks[i]!.samples;
    if (Array.isArray(samples) && samples.length > 1) samples.length = 1;
  }
  muxer.trimmedChunks = chunks.length;
}

export function createMp4Sink(path: string, options: Mp4SinkOptions = {}): Sink {
  return new Mp4Sink(path, options);
}
