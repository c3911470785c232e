/**
 * The engine's RTSP outputs: a Sink that feeds a LiveStream (which an RtspServer serves and an
 * RtspPushClient sends on). The engine starts a sink on a keyframe, so the stream's first access
 * unit carries the SPS and PPS that DESCRIBE and ANNOUNCE need.
 */
import type { EncodedFrame, Sink, StreamInfo } from '../engine/types.js';
import type { LiveStream } from './live-stream.js';

export class LiveStreamSink implements Sink {
  readonly kind = 'rtsp';
  readonly path = null;
  /** Nothing goes to a file (the server's stats count what went to viewers). */
  readonly bytesWritten = 0;

  constructor(private readonly stream: LiveStream) {}

  async start(info: StreamInfo): Promise<void> {
    this.stream.start(info);
  }

  async write(frame: EncodedFrame): Promise<void> {
    this.stream.publish({ data: frame.data, keyframe: frame.keyframe, timestampUs: frame.timestampUs });
  }

  async close(): Promise<void> {
    this.stream.end();
  }
}
