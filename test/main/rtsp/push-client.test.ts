// The RTSP push client against a real server that takes published streams: GStreamer's
// rtsp-server in RECORD mode (test/helpers/gst-rtsp-record-server.py), which writes what it
// receives to a file that ffmpeg then decodes. A live stream from the real encoder, published at
// real-time pace; the server's failures are real too (refused connections, a wrong password, a
// server killed and restarted, a server that stops reading).
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { H264Encoder, type EncoderImage } from '../../../encoder/index.js';
import { decodeWithFfmpeg } from '../../../main/media/ffmpeg-decode.js';
import { nalUnitType, splitAnnexB } from '../../../main/rtsp/h264-rtp.js';
import { LiveStream } from '../../../main/rtsp/live-stream.js';
import { RtspPushClient, backoffDelay, type PushState, type RtspPushOptions } from '../../../main/rtsp/push-client.js';
import { motionClip } from '../../helpers/synthetic-motion.js';

const W = 160, H = 128, FPS = 30;
/** Debian's python, which has gi (python3-gi, gir1.2-gst-rtsp-server-1.0); `python3` on PATH may be another. */
const PYTHON = '/usr/bin/python3';
const HELPER = fileURLToPath(new URL('../../helpers/gst-rtsp-record-server.py', import.meta.url));
/** Two seconds of a textured scene panning, looped: P frames that carry real motion. */
const IMAGES: EncoderImage[] = motionClip({ kind: 'pan', direction: 'se', speed: 1.75 }, W, H, 2 * FPS);

const dir = mkdtempSync(join(tmpdir(), 'push-client-'));
const processes = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => {
  // Whatever a failed test left running: no GStreamer server outlives the suite.
  for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ peers and helpers

interface GstServer {
  port: number;
  out: string;
  lines: string[];
  /** Resolves with the first stdout line matching `re` (also one already printed). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): Promise<void>;
  proc: ChildProcess;
}

async function gstServer(o: { out: string; port?: number; user?: string; password?: string; sessionTimeoutS?: number }): Promise<GstServer> {
  const args = [HELPER, '--port', String(o.port ?? 0), '--out', o.out];
  if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
  if (o.sessionTimeoutS !== undefined) args.push('--session-timeout', String(o.sessionTimeoutS));
  // stdin stays open: the helper exits when it closes, so a crashed test run leaves no server.
  const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  processes.add(proc);
  const lines: string[] = [];
  let stderr = '';
  const watchers = new Set<() => void>();
  let rest = '';
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const w of [...watchers]) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => {
    for (const w of [...watchers]) w();
    resolve();
  }));
  const waitFor = (re: RegExp, timeoutMs = 10_000): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no line matching ${re} from the GStreamer server within ${timeoutMs} ms; it printed ${JSON.stringify(lines)}, stderr ${JSON.stringify(stderr)}`)), timeoutMs);
    const check = (): void => {
      const line = lines.find((l) => re.test(l));
      if (line !== undefined) done(null, line);
      else if (proc.exitCode !== null || proc.signalCode !== null) done(new Error(`the GStreamer server exited (${proc.exitCode ?? proc.signalCode}) before printing ${re}; stderr ${JSON.stringify(stderr)}`));
    };
    const done = (e: Error | null, line?: string): void => {
      clearTimeout(timer);
      watchers.delete(check);
      if (e) reject(e);
      else resolve(line!);
    };
    watchers.add(check);
    check();
  });
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    await exited;
  };
  const port = Number((await waitFor(/^ready \d+$/)).split(' ')[1]);
  cleanups.push(() => kill('SIGKILL'));
  return { port, out: o.out, lines, waitFor, kill, proc };
}

/**
 * A live stream as the engine makes one: frames encoded by the real encoder as they are published,
 * at `intervalMs`, with wall-clock timestamps; keyframe requests reach the encoder. `fillerBytes`
 * appends a filler data NAL unit (H.264 7.3.2.7, which decoders discard) to each access unit, to
 * make a lot of data out of small pictures.
 */
class Feeder {
  readonly stream: LiveStream;
  private readonly encoder = new H264Encoder(W, H, { gop: 10, fps: FPS });
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  private readonly t0 = performance.now();

  constructor(private readonly intervalMs = 1000 / FPS, private readonly fillerBytes = 0) {
    this.stream = new LiveStream({ requestKeyframe: () => this.encoder.requestKeyframe() });
    this.stream.start({ width: W, height: H, fps: FPS });
    cleanups.push(() => this.close());
  }

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      let data = this.encoder.encode(IMAGES[this.index % IMAGES.length]!);
      const keyframe = this.encoder.stats().keyframe;
      if (this.fillerBytes > 0) {
        // nal_unit_type 12 (filler data), 0xFF bytes, rbsp_trailing_bits: H.264 7.3.2.7, 7.4.1.2.3
        // (filler may follow the primary coded picture's VCL NAL units).
        const filler = new Uint8Array(5 + this.fillerBytes + 1).fill(0xff);
        filler.set([0, 0, 0, 1, 0x0c]);
        filler[filler.length - 1] = 0x80;
        const joined = new Uint8Array(data.length + filler.length);
        joined.set(data);
        joined.set(filler, data.length);
        data = joined;
      }
      this.index++;
      this.stream.publish({ data, keyframe, timestampUs: Math.round((performance.now() - this.t0) * 1000) });
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.pause();
    this.encoder.close();
  }
}

type StateEvent = [PushState, string | undefined];

function pushClient(options: Omit<RtspPushOptions, 'stream'>, stream: LiveStream): { client: RtspPushClient; events: StateEvent[] } {
  const client = new RtspPushClient({ timeoutMs: 5000, ...options, stream });
  const events: StateEvent[] = [];
  client.on('state', (state: PushState, detail?: string) => events.push([state, detail]));
  cleanups.push(() => client.stop());
  return { client, events };
}

/** Resolves when `emitter` emits `event` with `predicate` true of its arguments (or of nothing, checked at once). */
function when<T extends unknown[]>(emitter: EventEmitter, event: string, predicate: (...args: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const listener = (...args: unknown[]): void => {
      if (!predicate(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    emitter.on(event, listener);
  });
}

const state = (client: RtspPushClient, want: PushState, detail?: RegExp, timeoutMs?: number): Promise<StateEvent> =>
  when<StateEvent>(client, 'state', (s, d) => s === want && (!detail || detail.test(d ?? '')), `state ${want}${detail ? ` ${detail}` : ''}`, timeoutMs);

/** Resolves once the client has sent `n` frames (checked as each frame is published). */
const framesSent = (client: RtspPushClient, stream: LiveStream, n: number, timeoutMs?: number): Promise<unknown> =>
  when(stream, 'frame', () => client.stats().framesSent >= n, `${n} frames sent`, timeoutMs);

/** A port nothing listens on: bound by the system, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Exp-Golomb reader over a NAL unit's RBSP (emulation prevention bytes removed, H.264 7.4.1). */
class RbspReader {
  private readonly bytes: number[] = [];
  private pos = 8; // past the NAL unit header

  constructor(nal: Uint8Array) {
    for (let i = 0; i < nal.length; i++) {
      if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
      this.bytes.push(nal[i]!);
    }
  }

  u(n: number): number {
    let v = 0;
    for (let k = 0; k < n; k++, this.pos++) v = v * 2 + ((this.bytes[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
    return v;
  }

  /** ue(v), 9.1 */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) zeros++;
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -k / 2;
  }
}

/**
 * Checks that a recording holds whole access units with none missing after its first IDR, then
 * decodes it with ffmpeg and returns the number of pictures. ffmpeg conceals a missing reference
 * picture rather than failing, so the gap check reads frame_num itself: with
 * gaps_in_frame_num_value_allowed_flag 0, each reference picture after an IDR has "frame_num ...
 * equal to (PrevRefFrameNum + 1) % MaxFrameNum" (H.264 7.4.3); the encoder's pictures are all
 * reference pictures, so any other value means an access unit was lost on the way.
 */
async function checkRecording(path: string): Promise<number> {
  const h264 = readFileSync(path);
  let log2MaxFrameNum = 0, gapsAllowed = false, separateColourPlane = false;
  const pictures: { idr: boolean; frameNum: number }[] = [];
  for (const nal of splitAnnexB(h264)) {
    const type = nalUnitType(nal);
    const r = new RbspReader(nal);
    if (type === 7) {
      // seq_parameter_set_data(), 7.3.2.1.1
      const profileIdc = r.u(8);
      r.u(16); // constraint flags, reserved_zero_2bits, level_idc
      r.ue(); // seq_parameter_set_id
      if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profileIdc)) {
        if (r.ue() === 3) separateColourPlane = r.u(1) === 1; // chroma_format_idc
        r.ue(); r.ue(); r.u(1); // bit depths, qpprime_y_zero_transform_bypass_flag
        expect(r.u(1), 'seq_scaling_matrix_present_flag').toBe(0);
      }
      log2MaxFrameNum = r.ue() + 4; // log2_max_frame_num_minus4
      const pocType = r.ue();
      if (pocType === 0) r.ue();
      else if (pocType === 1) {
        r.u(1); r.se(); r.se();
        for (let n = r.ue(); n > 0; n--) r.se();
      }
      r.ue(); // max_num_ref_frames
      gapsAllowed = r.u(1) === 1;
    } else if (type === 1 || type === 5) {
      // slice_header(), 7.3.3: the first slice of each picture
      if (r.ue() !== 0) continue; // first_mb_in_slice
      r.ue(); r.ue(); // slice_type, pic_parameter_set_id
      if (separateColourPlane) r.u(2);
      expect(log2MaxFrameNum, 'an SPS before the first slice').toBeGreaterThan(0);
      pictures.push({ idr: type === 5, frameNum: r.u(log2MaxFrameNum) });
    }
  }
  expect(gapsAllowed).toBe(false);
  expect(pictures.length).toBeGreaterThan(0);
  expect(pictures[0]!.idr, 'the recording starts with an IDR').toBe(true);
  const gaps = pictures.flatMap((p, i) => (i > 0 && !p.idr && p.frameNum !== (pictures[i - 1]!.frameNum + 1) % 2 ** log2MaxFrameNum ? [i] : []));
  expect(gaps, 'pictures whose reference picture is missing').toEqual([]);
  const { frames } = await decodeWithFfmpeg(h264, { width: W, height: H });
  expect(frames.length).toBe(pictures.length);
  return frames.length;
}

// ------------------------------------------------------------------ tests

describe('RtspPushClient options', () => {
  const stream = new LiveStream();

  it('refuses URLs it cannot push to, naming them', () => {
    expect(() => new RtspPushClient({ url: 'rtsps://example.test/live', stream })).toThrow(/rtsps:\/\/example\.test\/live.*not supported/);
    expect(() => new RtspPushClient({ url: 'http://example.test/live', stream })).toThrow(RangeError);
    expect(() => new RtspPushClient({ url: 'http://example.test/live', stream })).toThrow(/http:\/\/example\.test\/live/);
    expect(() => new RtspPushClient({ url: 'not a url', stream })).toThrow(/not a url/);
    // The password stays out of the message.
    expect(() => new RtspPushClient({ url: 'rtsps://me:secret@example.test/live', stream })).toThrow(/^(?!.*secret)/);
  });

  it('refuses option values out of range, naming them', () => {
    const url = 'rtsp://127.0.0.1:8554/live';
    expect(() => new RtspPushClient({ url, stream, minBackoffMs: 0 })).toThrow(/minBackoffMs must be a positive number, got 0/);
    expect(() => new RtspPushClient({ url, stream, minBackoffMs: 500, maxBackoffMs: 100 })).toThrow(/maxBackoffMs must be at least minBackoffMs \(500\), got 100/);
    expect(() => new RtspPushClient({ url, stream, mtu: 50 })).toThrow(/mtu must be from 100 to 65535 bytes, got 50/);
    expect(() => new RtspPushClient({ url, stream, queueBytes: 1.5 })).toThrow(/queueBytes must be a positive integer, got 1.5/);
    expect(new RtspPushClient({ url, stream }).state).toBe('stopped');
  });

  it('backs off by doubling from the minimum up to the maximum, within +-20 %', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, 1000, 30_000, 0.5))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000]);
    expect(backoffDelay(0, 1000, 30_000, 0)).toBe(800);
    expect(backoffDelay(2, 1000, 30_000, 0.999_999)).toBe(4800);
    // At the cap, jitter only goes down: "up to maxBackoffMs".
    expect(backoffDelay(10, 1000, 30_000, 0.999_999)).toBe(30_000);
    expect(backoffDelay(10, 1000, 30_000, 0)).toBe(24_000);
    expect(backoffDelay(5000, 1000, 30_000, 0.5)).toBe(30_000);
  });
});

describe('RtspPushClient against GStreamer rtsp-server (RECORD)', () => {
  it('announces, sets up and records with Digest credentials; the recording decodes; the stream\'s end tears down', async () => {
    const out = join(dir, 'digest.h264');
    // A 2 s session timeout: the keep-alive has to come every second for the session to live.
    const server = await gstServer({ out, user: 'studio', password: 'p@ss:word', sessionTimeoutS: 2 });
    const feeder = new Feeder();
    const { client, events } = pushClient({ url: `rtsp://studio:p%40ss%3Aword@127.0.0.1:${server.port}/push` }, feeder.stream);
    client.start();
    // No SPS/PPS yet: it waits for the stream before connecting.
    expect(client.state).toBe('waiting');
    expect(events[0]![1]).toMatch(/first keyframe/);
    const pushing = state(client, 'pushing');
    feeder.start();
    await pushing;
    await server.waitFor(/^record$/);
    expect(feeder.stream.keyframesRequested).toBeGreaterThanOrEqual(1);
    await framesSent(client, feeder.stream, 75);
    const stopped = state(client, 'stopped');
    feeder.stream.end();
    await stopped;
    feeder.pause();
    await server.waitFor(/^teardown$/);
    await server.waitFor(/^closed$/);
    expect(events.map(([s]) => s)).toEqual(['waiting', 'connecting', 'pushing', 'stopped']);
    expect(server.lines.filter((l) => /^keepalive /.test(l)).length).toBeGreaterThanOrEqual(2);
    const sent = client.stats().framesSent;
    const decoded = await checkRecording(out);
    // GStreamer's jitter buffer holds the last ~200 ms when the session ends: the rest is there.
    expect(decoded).toBeGreaterThanOrEqual(sent - 15);
    expect(decoded).toBeLessThanOrEqual(sent);
    expect(client.stats()).toMatchObject({ reconnects: 0, lastError: null, framesSkipped: 0 });
    expect(client.stats().bytesSent).toBeGreaterThan(0);
    await client.stop(); // idempotent
    expect(client.state).toBe('stopped');
  });

  it('reports a wrong password as 401, sends nothing, and keeps retrying', async () => {
    const out = join(dir, 'wrong-password.h264');
    const server = await gstServer({ out, user: 'studio', password: 'right' });
    const feeder = new Feeder();
    feeder.start();
    const { client } = pushClient({ url: `rtsp://studio:wrong@127.0.0.1:${server.port}/push`, minBackoffMs: 100, maxBackoffMs: 400 }, feeder.stream);
    const first = state(client, 'waiting', /401/);
    client.start();
    const [, detail] = await first;
    expect(detail).toMatch(/^401 Unauthorized: wrong user or password; retrying in \d+ ms$/);
    // It tries again (the server may be reconfigured), with the same verdict.
    await state(client, 'connecting');
    await state(client, 'waiting', /401 Unauthorized: wrong user or password/);
    expect(client.stats()).toMatchObject({ framesSent: 0, lastError: '401 Unauthorized: wrong user or password' });
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
    await client.stop();
    expect(server.lines).not.toContain('announce');
    expect(server.lines).not.toContain('record');
    expect(existsSync(out) ? readFileSync(out).length : 0).toBe(0);
  });

  it('says so when the server wants credentials the URL does not have', async () => {
    const server = await gstServer({ out: join(dir, 'no-credentials.h264'), user: 'studio', password: 'right' });
    const feeder = new Feeder();
    feeder.start();
    const { client } = pushClient({ url: `rtsp://127.0.0.1:${server.port}/push`, minBackoffMs: 100 }, feeder.stream);
    const waiting = state(client, 'waiting', /401/);
    client.start();
    expect((await waiting)[1]).toMatch(/^401 Unauthorized: the server wants a user name and password \(rtsp:\/\/USER:PASSWORD@host\/path\); retrying in/);
  });

  it('waits with "connection refused" while no server listens, backing off by doubling', async () => {
    const port = await freePort();
    const feeder = new Feeder();
    feeder.start();
    const min = 100;
    const { client, events } = pushClient({ url: `rtsp://127.0.0.1:${port}/push`, minBackoffMs: min, maxBackoffMs: 10_000 }, feeder.stream);
    client.start();
    await when<StateEvent>(client, 'state', () => events.filter(([s]) => s === 'waiting').length >= 5, 'five retries');
    const waits = events.filter(([s, d]) => s === 'waiting' && !/first keyframe/.test(d ?? '')).map(([, d]) => d!);
    expect(waits.length).toBeGreaterThanOrEqual(4);
    const delays = waits.slice(0, 4).map((d) => {
      expect(d).toMatch(new RegExp(`^connection refused by 127\\.0\\.0\\.1:${port}; retrying in `));
      const m = /retrying in (\d+) ms$|retrying in ([\d.]+) s$/.exec(d)!;
      return m[1] !== undefined ? Number(m[1]) : Number(m[2]) * 1000;
    });
    delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0.8 * min * 2 ** n - 50);
      expect(d).toBeLessThanOrEqual(1.2 * min * 2 ** n + 50);
    });
    expect(client.stats().lastError).toBe(`connection refused by 127.0.0.1:${port}`);
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(3);
    await client.stop();
    expect(client.state).toBe('stopped');
  });

  it('reconnects when the server is killed mid-push and comes back on the same port', async () => {
    const first = await gstServer({ out: join(dir, 'before-kill.h264') });
    const feeder = new Feeder();
    feeder.start();
    const { client } = pushClient({ url: `rtsp://127.0.0.1:${first.port}/push`, minBackoffMs: 100, maxBackoffMs: 500 }, feeder.stream);
    client.start();
    await state(client, 'pushing');
    await framesSent(client, feeder.stream, 15);
    const waiting = state(client, 'waiting');
    await first.kill('SIGKILL');
    const [, why] = await waiting;
    expect(why).toMatch(/^(the server closed the connection|the server reset the connection); retrying in \d+ ms$/);
    const sentBefore = client.stats().framesSent;

    const out = join(dir, 'after-restart.h264');
    const second = await gstServer({ out, port: first.port });
    await state(client, 'pushing');
    await second.waitFor(/^record$/);
    await framesSent(client, feeder.stream, sentBefore + 45);
    await client.stop();
    expect(client.state).toBe('stopped');
    await second.waitFor(/^teardown$/);
    await second.waitFor(/^closed$/);
    feeder.pause();
    const sentAfter = client.stats().framesSent - sentBefore;
    const decoded = await checkRecording(out);
    expect(decoded).toBeGreaterThanOrEqual(sentAfter - 15);
    expect(decoded).toBeLessThanOrEqual(sentAfter);
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('skips to the next IDR while the server does not read, and the recording still decodes', async () => {
    const out = join(dir, 'stalled.h264');
    const server = await gstServer({ out });
    // ~50 KB access units every 5 ms: 10 MB/s, enough to fill the socket buffers within a second.
    const feeder = new Feeder(5, 50_000);
    feeder.start();
    const { client } = pushClient({ url: `rtsp://127.0.0.1:${server.port}/push`, queueBytes: 256 << 10 }, feeder.stream);
    client.start();
    await state(client, 'pushing');
    await framesSent(client, feeder.stream, 20);
    server.proc.kill('SIGSTOP');
    try {
      await when(feeder.stream, 'frame', () => client.stats().framesSkipped >= 5, 'frames skipped', 15_000);
    } finally {
      server.proc.kill('SIGCONT');
    }
    const requested = feeder.stream.keyframesRequested;
    const resumedFrom = client.stats().framesSent;
    await framesSent(client, feeder.stream, resumedFrom + 30, 15_000);
    expect(feeder.stream.keyframesRequested).toBeGreaterThanOrEqual(requested);
    expect(client.state).toBe('pushing');
    await client.stop();
    feeder.pause();
    await server.waitFor(/^closed$/);
    // What went out resumed at an IDR: every access unit written decodes, none half-sent.
    const decoded = await checkRecording(out);
    expect(decoded).toBeGreaterThan(20);
    expect(decoded).toBeLessThanOrEqual(client.stats().framesSent);
  });
});

/** A TCP server that is not an RTSP server: `onSocket` decides what it says (garbage, or nothing). */
async function notRtspServer(onSocket: (socket: Socket) => void): Promise<{ port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return { port: (server.address() as { port: number }).port, sockets };
}

describe('RtspPushClient against a server that is not one', () => {
  it('reports garbage as not RTSP and retries, without throwing', async () => {
    const { port, sockets } = await notRtspServer((socket) => socket.write(Buffer.from('HTTP/1.1 200 OK\r\n\x00\x01\x02 garbage\r\n\r\n')));
    const feeder = new Feeder();
    feeder.start();
    const { client } = pushClient({ url: `rtsp://127.0.0.1:${port}/push`, minBackoffMs: 50, maxBackoffMs: 100 }, feeder.stream);
    const waiting = state(client, 'waiting', /not RTSP/);
    client.start();
    expect((await waiting)[1]).toMatch(/^the server sent something that is not RTSP \(.+\); retrying in \d+ ms$/);
    await state(client, 'waiting', /not RTSP/);
    expect(sockets.size).toBeGreaterThanOrEqual(2);
    await client.stop();
  });

  it('gives up on a server that never answers after timeoutMs, and stops at once while connecting', async () => {
    const { port } = await notRtspServer(() => undefined);
    const feeder = new Feeder();
    feeder.start();
    const { client } = pushClient({ url: `rtsp://127.0.0.1:${port}/push`, timeoutMs: 300, minBackoffMs: 50, maxBackoffMs: 100 }, feeder.stream);
    const waiting = state(client, 'waiting');
    client.start();
    expect((await waiting)[1]).toMatch(/^no response to OPTIONS within 300 ms; retrying in \d+ ms$/);
    await state(client, 'connecting');
    const t0 = performance.now();
    await client.stop();
    expect(performance.now() - t0).toBeLessThan(250);
    expect(client.state).toBe('stopped');
    expect(client.stats().lastError).toBe('no response to OPTIONS within 300 ms');
  });
});
