/**
 * For the RTSP tests: streams to serve (our encoder on the test pattern, paced in real time, or a
 * pre-encoded loop), a minimal RTSP client of our own for what real players cannot show (the
 * exact responses, time to first frame, a viewer that stops reading), and the real players run
 * as processes with a deadline.
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { H264Encoder, type EncoderOptions } from '../../encoder/index.js';
import { encodeTestPattern } from '../../main/bench/rtsp-latency.js';
import { createTestPattern } from '../../main/engine/test-pattern.js';
import { H264Depacketizer, nalUnitType, splitAnnexB } from '../../main/rtsp/h264-rtp.js';
import type { LiveFrame, LiveStream } from '../../main/rtsp/live-stream.js';
import { RtspMessageReader, serializeRequest, type RtspResponse } from '../../main/rtsp/message.js';

/** A free TCP port on loopback (bound, read, released: good enough on a test machine). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Test-pattern frames encoded ahead of time: a loop the publisher replays (the bench's). */
export const preEncode = encodeTestPattern;

/**
 * Publishes into a LiveStream at `fps`, by wall clock (late ticks catch up, never drift). Either
 * encodes the test pattern live (honouring keyframe requests, as the engine does) or replays a
 * pre-encoded loop whose first frame is an IDR (requests then wait for the loop's next IDR).
 */
export class TestPublisher {
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  private startedAt = 0;
  private keyframeWanted = false;
  private readonly encoder: H264Encoder | null;
  private readonly source: ReturnType<typeof createTestPattern> | null;
  keyframeRequests = 0;
  /** Times the publisher fell more than 3 frames behind its clock and skipped ahead. */
  lateTicks = 0;
  readonly published: LiveFrame[] = [];

  constructor(
    private readonly stream: LiveStream,
    private readonly o: { width: number; height: number; fps: number; encoder?: EncoderOptions; loop?: { data: Uint8Array; keyframe: boolean }[]; keep?: boolean },
  ) {
    this.encoder = o.loop ? null : new H264Encoder(o.width, o.height, { fps: o.fps, preset: 'realtime', ...o.encoder });
    this.source = o.loop ? null : createTestPattern({ width: o.width, height: o.height, fps: o.fps, live: false });
  }

  /** For LiveStream's requestKeyframe option. */
  readonly requestKeyframe = (): void => {
    this.keyframeRequests++;
    this.keyframeWanted = true;
  };

  start(): void {
    this.stream.start({ width: this.o.width, height: this.o.height, fps: this.o.fps });
    this.startedAt = performance.now();
    // One frame per timer tick, so sockets and players' deadlines get their turn between frames
    // (a loop of awaits on ready promises would never yield to them). Behind by more than a few
    // frames (a loaded machine), the clock moves on, as a live source drops frames.
    const tick = async (): Promise<void> => {
      if (this.timer === null) return;
      await this.publishNext();
      if (this.timer === null) return;
      const late = performance.now() - (this.startedAt + (this.index * 1000) / this.o.fps);
      if (late > (3 * 1000) / this.o.fps) {
        this.startedAt += late;
        this.lateTicks++;
      }
      const next = this.startedAt + (this.index * 1000) / this.o.fps;
      this.timer = setTimeout(() => void tick(), Math.max(0, next - performance.now()));
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  /** Publishes one frame now (tests that drive the stream by hand). */
  async publishNext(): Promise<LiveFrame> {
    let frame: LiveFrame;
    const timestampUs = Math.round((this.index * 1e6) / this.o.fps);
    if (this.o.loop) {
      const f = this.o.loop[this.index % this.o.loop.length]!;
      frame = { data: f.data, keyframe: f.keyframe, timestampUs };
    } else {
      const raw = (await this.source!.read())!;
      if (this.keyframeWanted) {
        this.encoder!.requestKeyframe();
        this.keyframeWanted = false;
      }
      const data = this.encoder!.encode({ width: this.o.width, height: this.o.height, format: 'i420', data: raw.data });
      frame = { data, keyframe: this.encoder!.keyframe(), timestampUs };
    }
    this.index++;
    if (this.o.keep) this.published.push(frame);
    this.stream.publish(frame);
    return frame;
  }

  get framesPublished(): number {
    return this.index;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async close(): Promise<void> {
    this.stop();
    this.encoder?.close();
    await this.source?.close();
  }
}

export interface ReceivedUnit {
  /** Annex-B access unit as reassembled. */
  accessUnit: Uint8Array;
  timestamp: number;
  /** performance.now() when its last packet arrived. */
  at: number;
  idr: boolean;
}

/**
 * A bare RTSP client over one TCP connection: requests in order, responses back, interleaved RTP
 * on channel 0 reassembled into access units. `pauseReading()` makes it a stalled viewer.
 */
export class RawRtspClient {
  readonly socket: Socket;
  private readonly reader = new RtspMessageReader({ maxBodyBytes: 1 << 20 });
  private readonly waiting: ((r: RtspResponse) => void)[] = [];
  private cseq = 0;
  readonly depacketizer = new H264Depacketizer();
  readonly units: ReceivedUnit[] = [];
  readonly rtcp: Uint8Array[] = [];
  interleavedBytes = 0;
  /** Sequence number and timestamp of the first RTP packet received. */
  firstRtp: { sequence: number; timestamp: number } | null = null;
  closed = false;
  private readonly connected: Promise<void>;
  private unitWaiters: (() => void)[] = [];

  /** `localAddress`: the address to connect from (any of 127.0.0.0/8 on Linux's loopback). */
  constructor(port: number, host = '127.0.0.1', localAddress?: string) {
    this.socket = connect({ port, host, ...(localAddress === undefined ? {} : { localAddress }) });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.unitWaiters) w();
    });
    this.socket.on('data', (chunk: Buffer) => {
      for (const m of this.reader.push(chunk)) {
        if (m.kind === 'response') this.waiting.shift()?.(m);
        else if (m.kind === 'interleaved') {
          this.interleavedBytes += m.data.length + 4;
          if (m.channel === 1) this.rtcp.push(m.data);
          else if (m.channel === 0) {
            if (this.firstRtp === null && m.data.length >= 12) {
              this.firstRtp = { sequence: (m.data[2]! << 8) | m.data[3]!, timestamp: new DataView(m.data.buffer, m.data.byteOffset).getUint32(4) };
            }
            const done = this.depacketizer.push(m.data);
            if (done) {
              const idr = splitAnnexB(done.accessUnit).some((n) => nalUnitType(n) === 5);
              this.units.push({ accessUnit: done.accessUnit, timestamp: done.timestamp, at: performance.now(), idr });
              const w = this.unitWaiters;
              this.unitWaiters = [];
              for (const f of w) f();
            }
          }
        }
      }
    });
  }

  /** Sends raw bytes (broken requests). */
  async raw(bytes: Uint8Array | string): Promise<void> {
    await this.connected;
    this.socket.write(bytes);
  }

  /** The next response on the connection (after raw()). */
  nextResponse(): Promise<RtspResponse> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async request(method: string, uri: string, headers: Record<string, string | number> = {}): Promise<RtspResponse> {
    await this.connected;
    const response = this.nextResponse();
    this.socket.write(serializeRequest({ method, uri, headers: { CSeq: ++this.cseq, 'User-Agent': 'h264-studio-test', ...headers } }));
    return response;
  }

  /** DESCRIBE, SETUP over TCP, PLAY: resolves with the PLAY response and its time. */
  async play(url: string, headers: Record<string, string> = {}): Promise<{ response: RtspResponse; at: number; session: string }> {
    const d = await this.request('DESCRIBE', url, { Accept: 'application/sdp', ...headers });
    if (d.status !== 200) throw new Error(`DESCRIBE ${url}: ${d.status} ${d.reason}`);
    const base = d.headers.get('content-base') ?? `${url}/`;
    const s = await this.request('SETUP', `${base}trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', ...headers });
    if (s.status !== 200) throw new Error(`SETUP: ${s.status} ${s.reason}`);
    const session = s.headers.get('session')!.split(';')[0]!;
    const response = await this.request('PLAY', url, { Session: session, Range: 'npt=0.000-', ...headers });
    return { response, at: performance.now(), session };
  }

  /** Resolves when at least `n` access units have arrived (or the connection closed). */
  async waitForUnits(n: number): Promise<void> {
    while (this.units.length < n && !this.closed) await new Promise<void>((resolve) => this.unitWaiters.push(resolve));
  }

  pauseReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface PlayerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a player process, killed after `deadlineMs` (a hang fails the test, not CI). */
export function runPlayer(file: string, args: readonly string[], deadlineMs: number): Promise<PlayerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/**
 * ffmpeg reading `seconds` of the stream over `transport`, decoding every frame strictly, one
 * framecrc line per frame on stdout. `copy` skips decoding (many clients on two cores) and writes
 * the H.264 it received as Annex-B instead: count it with accessUnitSizes, decode it afterwards.
 * (Raw H.264 output, not framecrc: ffmpeg's stream copy of any H.264 over RTP leaves the first
 * packet without a pts, GStreamer's RTSP server included, which framecrc warns about.)
 */
export function ffmpegPlay(url: string, transport: 'tcp' | 'udp', seconds: number, o: { copy?: boolean; deadlineMs?: number } = {}): Promise<PlayerRun> {
  return runPlayer('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'warning', '-xerror', ...(o.copy ? [] : ['-err_detect', '+crccheck+bitstream+buffer+explode']),
    '-rtsp_transport', transport, '-i', url, '-t', String(seconds), '-map', '0:v:0',
    ...(o.copy ? ['-c', 'copy', '-f', 'h264'] : ['-f', 'framecrc']), '-',
  ], o.deadlineMs ?? (seconds + 15) * 1000);
}

/** Frames in ffmpeg's framecrc output (lines that are not comments). */
export function framecrcCount(stdout: Buffer): number {
  return stdout.toString('utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
}

/**
 * GStreamer's rtspsrc ! rtph264depay ! h264parse ! avdec_h264, over `protocols` (tcp or udp),
 * until `frames` decoded frames have passed (identity eos-after), raw I420 to stdout.
 */
export function gstreamerPlay(url: string, protocols: 'tcp' | 'udp', frames: number, o: { user?: string; password?: string; deadlineMs?: number } = {}): Promise<PlayerRun> {
  const auth = o.user !== undefined ? [`user-id=${o.user}`, `user-pw=${o.password ?? ''}`] : [];
  return runPlayer('gst-launch-1.0', [
    '-q', 'rtspsrc', `location=${url}`, `protocols=${protocols}`, 'latency=0', ...auth,
    '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', '!', 'videoconvert', '!', 'video/x-raw,format=I420',
    // identity sends EOS in place of its eos-after'th buffer: one more lets `frames` through.
    '!', 'identity', `eos-after=${frames + 1}`, '!', 'fdsink', 'fd=1',
  ], o.deadlineMs ?? 30_000);
}
