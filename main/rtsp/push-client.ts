/**
 * Pushing the live stream to an RTSP server that takes publishing (MediaMTX, GStreamer's
 * rtsp-server, Wowza...): the client side of RFC 2326's recording, over one TCP connection.
 *
 *   OPTIONS   <url>                     what the server is (10.1)
 *   ANNOUNCE  <url>  + SDP              the stream's description, SPS and PPS included (10.3)
 *   SETUP     <url>/trackID=0           Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record (10.4, 12.39)
 *   RECORD    <url>  Session, Range     media flows from now on (10.11)
 *   ... RTP on channel 0, RTCP sender reports on channel 1, interleaved (10.12) ...
 *   GET_PARAMETER every half session timeout: the session stays alive (10.8, 12.37)
 *   TEARDOWN  <url>                     when stopped or when the stream ends (10.7)
 *
 * What it promises the user: it keeps trying. A refused connection, a server restart, a rejected
 * password or garbage on the wire put it in 'waiting' with the reason, and it tries again after a
 * backoff that doubles (with jitter, so that many pushers do not come back in step) up to a cap,
 * and is reset once pushing has gone well for a while. Media starts at an IDR (which it asks the
 * encoder for), and when the server cannot keep up the socket's queue is bounded: past
 * `queueBytes` of unsent data it skips to the next IDR rather than buffering without end. Nothing
 * a server sends makes it throw.
 *
 * Protocol decisions are here; the socket is node:net, used directly.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, isIPv6, type Socket } from 'node:net';
import { AuthError, authorizationFor, type Credentials } from './auth.js';
import { H264Packetizer, rtpTimestamp90k } from './h264-rtp.js';
import type { LiveFrame, LiveStream } from './live-stream.js';
import {
  RtspHeaders, RtspMessageReader, RtspParseError, interleavedFrame, parseRtspUrl, parseSession, parseTransport,
  serializeRequest, serializeResponse, type RtspMessage, type RtspResponse, type TransportSpec,
} from './message.js';
import { goodbye, senderReport, type SenderReportInfo } from './rtcp.js';
import { buildSdp } from './sdp.js';

export interface RtspPushOptions {
  /** rtsp://[user:password@]host[:port]/path — credentials percent-decoded from the URL. */
  url: string;
  stream: LiveStream;
  /** First retry delay, ms; default 1000. */
  minBackoffMs?: number;
  /** Retry delays double up to this, ms; default 30 000 (each with +-20 % jitter). */
  maxBackoffMs?: number;
  /** How long connecting and each response may take, ms; default 10 000. */
  timeoutMs?: number;
  /** Largest RTP packet, header included; default 1400. */
  mtu?: number;
  /** Unsent bytes allowed on the socket before frames are skipped to the next IDR; default 4 MiB. */
  queueBytes?: number;
}

export type PushState = 'connecting' | 'pushing' | 'waiting' | 'stopped';

export interface RtspPushStats {
  /** Access units sent as RTP. */
  framesSent: number;
  /** RTP and RTCP bytes written, interleaving headers included. */
  bytesSent: number;
  /** Connection attempts after the first (each retry after a failure). */
  reconnects: number;
  /** Why the last connection failed, or null while none has. */
  lastError: string | null;
  /** Access units skipped because the server did not take data fast enough (see queueBytes). */
  framesSkipped: number;
}

const TRACK = 'trackID=0';
const USER_AGENT = 'H264 Studio';
/** RFC 3550 6.2: "the recommended minimum fixed interval is 5 seconds". */
const SENDER_REPORT_INTERVAL_MS = 5000;
/** RFC 2326 12.37: without a timeout parameter, "the default is 60 seconds". */
const DEFAULT_SESSION_TIMEOUT_S = 60;
/** Pushing for this long counts as success: the next failure starts again from minBackoffMs. */
const BACKOFF_RESET_AFTER_MS = 10_000;
/** TEARDOWN on stop waits at most this long for the server's answer (a dead server must not hold up a shutdown). */
const TEARDOWN_WAIT_MS = 2000;

/**
 * The delay before retry number `failures` (0 for the first): minMs doubled per earlier failure,
 * at most maxMs, times a jitter factor in [0.8, 1.2) drawn from `random` (a number in [0, 1)),
 * then capped at maxMs again. Rounded to whole milliseconds.
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(failures, 52));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random)));
}

/** A delay as a person reads it: "250 ms", "1.5 s", "30 s". */
function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

/** Why one connection ended; `message` is the one line shown to the user. */
class PushFailure extends Error {
  override readonly name = 'PushFailure';
}

/** A socket error as a person reads it. */
function socketFailure(e: NodeJS.ErrnoException, where: string): PushFailure {
  switch (e.code) {
    case 'ECONNREFUSED': return new PushFailure(`connection refused by ${where}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return new PushFailure(`host not found: ${where}`);
    case 'ETIMEDOUT': return new PushFailure(`no answer from ${where}`);
    case 'ECONNRESET':
    case 'EPIPE': return new PushFailure('the server reset the connection');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH': return new PushFailure(`${where} is unreachable`);
    default: return new PushFailure(`${where}: ${e.message}`);
  }
}

/** What a failed response means for someone pushing, beyond its status line. */
function statusHint(method: string, status: number): string {
  if (status === 404) return ' (no such path on the server)';
  if ((status === 405 || status === 501) && (method === 'ANNOUNCE' || method === 'RECORD')) return ' (the server does not take published streams)';
  if (status === 461) return ' (the server does not take RTP over TCP)';
  if (status === 454) return ' (the server dropped the session)';
  return '';
}

/** The URL with any user:password@ taken out: credentials go in Authorization, never on the wire in the Request-URI. */
function withoutUserinfo(url: string): string {
  return url.replace(/^(rtsps?:\/\/)[^/?#]*@/i, '$1');
}

/** The URL with the password hidden, for messages. */
/** The URL with its password replaced by ***, for messages and logs. */
export function redacted(url: string): string {
  return url.replace(/^(rtsps?:\/\/[^/?#:@]*):[^/?#]*@/i, '$1:***@');
}

function positive(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

interface Pending {
  resolve: (response: RtspResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The media side of a connection once RECORD succeeded. */
interface Media {
  session: string;
  rtpChannel: number;
  rtcpChannel: number;
  packetizer: H264Packetizer;
  /** Random offset of the RTP timestamps (RFC 3550 5.1). */
  rtpBase: number;
  cname: string;
  /** Nothing is sent until an IDR: at the start, and after skipping. */
  waitingKeyframe: boolean;
  /** Waiting because the queue overflowed (the frames count as skipped), not because media just started. */
  skipping: boolean;
  lastReportAt: number;
  keepAlive: NodeJS.Timeout;
  keepAliveMethod: 'GET_PARAMETER' | 'OPTIONS';
}

/**
 * One TCP connection to the server: requests matched to their responses by CSeq (RFC 2326 12.17),
 * interleaved data from the server (its RTCP receiver reports) read and dropped.
 */
class Connection {
  readonly socket: Socket;
  private readonly reader = new RtspMessageReader();
  private readonly pending = new Map<number, Pending>();
  private cseq = 0;
  private failure: PushFailure | null = null;
  media: Media | null = null;

  constructor(
    host: string, port: number, private readonly timeoutMs: number,
    /** Called once, with the reason, when the connection fails (not when close() ends it). */
    private readonly onFailure: (failure: PushFailure) => void,
  ) {
    const where = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.socket = connect({ host, port });
    this.socket.setNoDelay(true);
    const connectTimer = setTimeout(() => this.fail(new PushFailure(`no answer from ${where} within ${formatDelay(timeoutMs)}`)), timeoutMs);
    this.socket.once('connect', () => clearTimeout(connectTimer));
    this.socket.once('close', () => clearTimeout(connectTimer));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(socketFailure(e, where)));
    this.socket.on('close', () => this.fail(new PushFailure('the server closed the connection')));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Resolves once connected; rejects with the failure otherwise. */
  opened(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.socket.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('close', () => reject(this.failure ?? new PushFailure('the server closed the connection')));
    });
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Sends a request; resolves with its response, rejects when none comes within the timeout or the connection fails. */
  request(method: string, uri: string, headers: Record<string, string>, body?: string): Promise<RtspResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const cseq = ++this.cseq;
    const h = new RtspHeaders({ CSeq: cseq, 'User-Agent': USER_AGENT, ...headers });
    const bytes = serializeRequest({ method, uri, headers: h, ...(body !== undefined ? { body } : {}) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        const failure = new PushFailure(`no response to ${method} within ${formatDelay(this.timeoutMs)}`);
        reject(failure);
        this.fail(failure);
      }, this.timeoutMs);
      this.pending.set(cseq, { resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.failure && !this.socket.destroyed) this.socket.write(bytes);
  }

  /** Ends the connection without reporting a failure; resolves once the socket is closed. */
  close(): Promise<void> {
    this.failure ??= new PushFailure('the connection was closed');
    this.rejectAll(this.failure);
    if (this.socket.destroyed) return Promise.resolve();
    if (this.socket.connecting) {
      // Nothing was said yet: there is no one to say goodbye to.
      this.socket.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A server that never closes its side must not hold up the shutdown.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  private fail(failure: PushFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.rejectAll(failure);
    this.socket.destroy();
    this.onFailure(failure);
  }

  private rejectAll(failure: PushFailure): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(failure);
    }
    this.pending.clear();
  }

  private receive(chunk: Buffer): void {
    if (this.failure) return;
    let messages: RtspMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch (e) {
      const why = e instanceof RtspParseError ? e.message : String(e);
      this.fail(new PushFailure(`the server sent something that is not RTSP (${why})`));
      return;
    }
    for (const m of messages) {
      if (this.failure) return;
      if (m.kind === 'response') this.answered(m);
      else if (m.kind === 'request') this.serverRequest(m.method, m.headers.get('cseq'));
      // Interleaved data from the server is its RTCP (receiver reports): nothing to act on.
    }
  }

  private answered(response: RtspResponse): void {
    const value = response.headers.get('cseq')?.trim();
    // RFC 2326 12.17: the response carries the request's CSeq. One without it is taken as the
    // answer to the oldest request still open (servers answer in order); one naming no open
    // request (a late answer after a timeout) is dropped.
    const cseq = value !== undefined && /^\d+$/.test(value) ? Number(value) : this.pending.keys().next().value;
    if (cseq === undefined) return;
    const p = this.pending.get(cseq);
    if (!p) return;
    this.pending.delete(cseq);
    clearTimeout(p.timer);
    p.resolve(response);
  }

  /**
   * RFC 2326 allows a server to send requests too (OPTIONS as its own keep-alive, 10.1). The
   * keep-alive kinds are answered; anything else (REDIRECT, SET_PARAMETER...) is declined.
   */
  private serverRequest(method: string, cseq: string | undefined): void {
    const ok = method === 'OPTIONS' || method === 'GET_PARAMETER';
    this.write(serializeResponse({ status: ok ? 200 : 501, headers: { CSeq: cseq ?? '0', 'User-Agent': USER_AGENT } }));
  }
}

/**
 * Events: 'state' (state: PushState, detail?: string) on every change; for 'waiting' the detail
 * is why (the error) and when the next attempt is.
 */
export class RtspPushClient extends EventEmitter {
  private readonly stream: LiveStream;
  /** The Request-URI of ANNOUNCE, RECORD and TEARDOWN: the URL without credentials. */
  private readonly url: string;
  private readonly trackUrl: string;
  private readonly host: string;
  private readonly port: number;
  private readonly credentials: Credentials | null;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly mtu: number;
  private readonly queueBytes: number;

  private state_: PushState = 'stopped';
  private started = false;
  private stopping: Promise<void> | null = null;
  private connection: Connection | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Failures since pushing last went well: the exponent of the backoff. */
  private failures = 0;
  private pushingSince: number | null = null;
  /** WWW-Authenticate values of the last 401, answered in every request after it (RFC 7235 4.2). */
  private challenges: string[] | null = null;
  /** nc of Digest (RFC 7616 3.4): counts the requests made with one nonce. */
  private nonceCount = 0;
  private readonly counters = { framesSent: 0, bytesSent: 0, reconnects: 0, framesSkipped: 0 };
  private lastError: string | null = null;

  private readonly onReady = (): void => this.connectNow();
  private readonly onFrame = (frame: LiveFrame): void => this.deliver(frame);
  private readonly onEnd = (): void => void this.stop();

  constructor(options: RtspPushOptions) {
    super();
    const url = options.url;
    if (typeof url !== 'string') throw new RangeError(`url must be an rtsp:// URL string, got ${String(url)}`);
    if (/^rtsps:/i.test(url)) {
      throw new RangeError(`cannot push to ${redacted(url)}: rtsps:// (RTSP over TLS) is not supported; use an rtsp:// URL`);
    }
    const parsed = parseRtspUrl(url); // RangeError naming the URL when it is not one
    if (parsed.scheme !== 'rtsp') throw new RangeError(`cannot push to ${redacted(url)}: expected an rtsp:// URL`);
    if (parsed.port < 1) throw new RangeError(`cannot push to ${redacted(url)}: the port must be from 1 to 65535, got ${parsed.port}`);
    this.host = parsed.host;
    this.port = parsed.port;
    this.credentials = parsed.user !== undefined ? { user: parsed.user, password: parsed.password ?? '' } : null;
    this.url = withoutUserinfo(url);
    // The stream's control URL: the SDP's a=control:trackID=0 under the aggregate URL (RFC 2326 C.1.1).
    this.trackUrl = `${this.url.replace(/\/+$/, '')}/${TRACK}`;
    this.stream = options.stream;
    this.minBackoffMs = positive('minBackoffMs', options.minBackoffMs, 1000, false);
    this.maxBackoffMs = positive('maxBackoffMs', options.maxBackoffMs, 30_000, false);
    if (this.maxBackoffMs < this.minBackoffMs) {
      throw new RangeError(`maxBackoffMs must be at least minBackoffMs (${this.minBackoffMs}), got ${this.maxBackoffMs}`);
    }
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000, false);
    this.mtu = positive('mtu', options.mtu, 1400, true);
    // The packetizer's bounds: 100 bytes leaves room for headers; 65535 is what an interleaved frame's 16-bit length holds.
    if (this.mtu < 100 || this.mtu > 65535) throw new RangeError(`mtu must be from 100 to 65535 bytes, got ${this.mtu}`);
    this.queueBytes = positive('queueBytes', options.queueBytes, 4 << 20, true);
  }

  get state(): PushState {
    return this.state_;
  }

  stats(): RtspPushStats {
    return { ...this.counters, lastError: this.lastError };
  }

  /** Starts pushing (once the stream has its parameter sets), and keeps at it until stop(). */
  start(): void {
    if (this.stopping) throw new Error('this push client was stopped: create a new one to push again');
    if (this.started) return;
    this.started = true;
    this.stream.on('end', this.onEnd);
    if (this.stream.ended) {
      void this.stop();
      return;
    }
    this.connectNow();
  }

  /** TEARDOWN when pushing, then closes; resolves when done; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  // ---------------------------------------------------------------- connection lifecycle

  private setState(state: PushState, detail?: string): void {
    if (state === this.state_ && detail === undefined) return;
    this.state_ = state;
    this.emit('state', state, detail);
  }

  private connectNow(): void {
    if (this.stopping || this.connection) return;
    this.retryTimer = null;
    if (!this.stream.ready) {
      // ANNOUNCE's SDP carries the SPS and PPS (RFC 6184 8.2.1 sprop-parameter-sets): wait for them.
      this.stream.off('ready', this.onReady);
      this.stream.once('ready', this.onReady);
      this.setState('waiting', "waiting for the stream's first keyframe (its SPS and PPS go into the SDP)");
      return;
    }
    this.setState('connecting');
    const conn = new Connection(this.host, this.port, this.timeoutMs, (failure) => this.failed(conn, failure.message));
    this.connection = conn;
    this.handshake(conn).catch((e: unknown) => {
      this.failed(conn, e instanceof PushFailure ? e.message : `unexpected error: ${(e as Error).message ?? String(e)}`);
    });
  }

  private async handshake(conn: Connection): Promise<void> {
    await conn.opened();
    // OPTIONS first (RFC 2326 10.1): it finds a server that wants credentials before the SDP is sent.
    const options = await this.call(conn, 'OPTIONS', this.url);
    const methods = options.headers.get('public');
    // GET_PARAMETER is the keep-alive RFC 2326 10.8 suggests; a server that does not list it
    // (but lists what it takes) gets OPTIONS, which every server answers.
    const keepAliveMethod = methods !== undefined && !/\bGET_PARAMETER\b/i.test(methods) ? 'OPTIONS' : 'GET_PARAMETER';

    const { sps, pps, info } = this.stream;
    if (!sps || !pps) throw new PushFailure('the stream lost its parameter sets');
    const local = (conn.socket.localAddress ?? '0.0.0.0').replace(/^::ffff:/, '');
    const sdp = buildSdp({
      sessionId: String(randomInt(1, 2 ** 47)), originAddress: local, sps, pps, control: TRACK,
      ...(info ? { width: info.width, height: info.height, fps: info.fps } : {}),
    });
    const announce = await this.call(conn, 'ANNOUNCE', this.url, { 'Content-Type': 'application/sdp' }, sdp);
    // A server may open the session at ANNOUNCE (as in RFC 2326 10.3's example); SETUP then joins it.
    const announced = announce.headers.get('session');
    let joined: string | undefined;
    try {
      joined = announced === undefined ? undefined : parseSession(announced).id;
    } catch {
      joined = undefined; // SETUP's answer is the one that has to be right
    }

    // mode=record: the client sends the media (RFC 2326 12.39 "mode"); channels 0-1 carry RTP and RTCP.
    const setup = await this.call(conn, 'SETUP', this.trackUrl, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record', ...(joined !== undefined ? { Session: joined } : {}),
    });
    const sessionHeader = setup.headers.get('session');
    if (sessionHeader === undefined) throw new PushFailure('the server answered SETUP without a Session header (RFC 2326 12.37)');
    let session: { id: string; timeout?: number };
    try {
      session = parseSession(sessionHeader);
    } catch (e) {
      throw new PushFailure(`the server's Session header cannot be read: ${(e as Error).message}`);
    }
    // RFC 2326 12.39: the server may pick other channels than asked; its answer is what counts.
    let channels: [number, number] = [0, 1];
    const transport = setup.headers.get('transport');
    if (transport !== undefined) {
      let spec: TransportSpec | undefined;
      try {
        spec = parseTransport(transport)[0];
      } catch (e) {
        throw new PushFailure(`the server's Transport header cannot be read: ${(e as Error).message}`);
      }
      if (spec && spec.lowerTransport !== 'TCP') throw new PushFailure(`the server chose ${spec.transport}, not RTP over this TCP connection`);
      if (spec?.interleaved) channels = spec.interleaved;
    }

    await this.call(conn, 'RECORD', this.url, { Session: session.id, Range: 'npt=0.000-' });
    this.startMedia(conn, session.id, session.timeout ?? DEFAULT_SESSION_TIMEOUT_S, channels, keepAliveMethod);
  }

  /**
   * A request, answered with credentials when the server asks (RFC 2326 11.3.2, 401): the first
   * 401 is answered by repeating the request once with an Authorization header; the header then
   * goes with every later request. A second 401 for the same request means the credentials were
   * rejected. Any other non-2xx status fails the connection.
   */
  private async call(conn: Connection, method: string, uri: string, headers: Record<string, string> = {}, body?: string): Promise<RtspResponse> {
    for (let attempt = 0; ; attempt++) {
      const h = { ...headers };
      const sentAuthorization = this.challenges !== null && this.credentials !== null;
      if (sentAuthorization) h.Authorization = this.authorization(method, uri);
      const response = await conn.request(method, uri, h, body);
      if (conn !== this.connection) throw new PushFailure('the connection was closed');
      if (response.status >= 200 && response.status < 300) return response;
      const status = `${response.status} ${response.reason || 'Unauthorized'}`;
      if (response.status !== 401) throw new PushFailure(`${method} failed: ${response.status} ${response.reason}${statusHint(method, response.status)}`);
      if (!this.credentials) throw new PushFailure(`${status}: the server wants a user name and password (rtsp://USER:PASSWORD@host/path)`);
      const challenges = response.headers.getAll('www-authenticate');
      if (challenges.length === 0) throw new PushFailure(`${status} without a WWW-Authenticate challenge (RFC 2326 11.3.2)`);
      // RFC 7616 3.3: stale=true means the credentials were right and only the nonce was old.
      const stale = challenges.some((c) => /\bstale\s*=\s*"?true"?/i.test(c));
      if (attempt > 0 && sentAuthorization && !stale) throw new PushFailure(`${status}: wrong user or password`);
      if (attempt > 0) throw new PushFailure(`${status}: the server keeps asking for credentials`);
      this.challenges = challenges;
      this.nonceCount = 0;
    }
  }

  private authorization(method: string, uri: string): string {
    try {
      return authorizationFor(method, uri, this.challenges!, this.credentials!, ++this.nonceCount);
    } catch (e) {
      if (e instanceof AuthError) throw new PushFailure(`401 Unauthorized: ${e.message}`);
      throw e;
    }
  }

  private startMedia(conn: Connection, session: string, timeoutS: number, channels: [number, number], keepAliveMethod: Media['keepAliveMethod']): void {
    if (conn !== this.connection || this.stopping) return;
    const media: Media = {
      session,
      rtpChannel: channels[0],
      rtcpChannel: channels[1],
      packetizer: new H264Packetizer({ ssrc: randomBytes(4).readUInt32BE(0), mtu: this.mtu }),
      rtpBase: randomBytes(4).readUInt32BE(0),
      cname: `h264-studio-${randomBytes(4).toString('hex')}`,
      waitingKeyframe: true,
      skipping: false,
      lastReportAt: -Infinity,
      // RFC 2326 12.37: the session ends after `timeout` seconds without a request; half of it leaves room for a slow answer.
      keepAlive: setInterval(() => this.keepAlive(conn), Math.max(1, timeoutS) * 500),
      keepAliveMethod,
    };
    conn.media = media;
    this.pushingSince = this.stream.now();
    this.stream.on('frame', this.onFrame);
    // Media starts at an IDR: ask for one now rather than wait out the GOP.
    this.stream.askForKeyframe();
    this.setState('pushing');
  }

  private keepAlive(conn: Connection): void {
    const media = conn.media;
    if (!media || conn !== this.connection) return;
    const method = media.keepAliveMethod;
    this.call(conn, method, this.url, { Session: media.session }).catch((e: unknown) => {
      if (conn !== this.connection) return;
      // GET_PARAMETER is optional (RFC 2326 10.8): a server that refuses it gets OPTIONS from now on.
      if (method === 'GET_PARAMETER' && e instanceof PushFailure && /failed: (405|501) /.test(e.message)) {
        media.keepAliveMethod = 'OPTIONS';
        return;
      }
      this.failed(conn, e instanceof PushFailure ? e.message : String(e));
    });
  }

  /** Ends a connection that failed and schedules the next attempt. */
  private failed(conn: Connection, detail: string): void {
    if (conn !== this.connection || this.stopping) return;
    this.connection = null;
    this.stopMedia(conn);
    void conn.close();
    this.lastError = detail;
    const now = this.stream.now();
    if (this.pushingSince !== null && now - this.pushingSince >= BACKOFF_RESET_AFTER_MS) this.failures = 0;
    this.pushingSince = null;
    const delay = backoffDelay(this.failures++, this.minBackoffMs, this.maxBackoffMs, Math.random());
    this.retryTimer = setTimeout(() => {
      this.counters.reconnects++;
      this.connectNow();
    }, delay);
    this.setState('waiting', `${detail}; retrying in ${formatDelay(delay)}`);
  }

  private stopMedia(conn: Connection): void {
    this.stream.off('frame', this.onFrame);
    if (conn.media) clearInterval(conn.media.keepAlive);
  }

  private async shutdown(): Promise<void> {
    this.stream.off('ready', this.onReady);
    this.stream.off('end', this.onEnd);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const conn = this.connection;
    if (conn) {
      this.stopMedia(conn);
      const media = conn.media;
      if (media && !conn.failed) {
        try {
          // RFC 3550 6.6: a sender leaving says BYE; then the session ends (RFC 2326 10.7).
          if (media.packetizer.packetCount > 0) this.sendRtcp(conn, media, goodbye(this.reportInfo(media), 'stream ended'));
          await Promise.race([
            conn.request('TEARDOWN', this.url, {
              Session: media.session,
              ...(this.challenges && this.credentials ? { Authorization: this.authorization('TEARDOWN', this.url) } : {}),
            }),
            new Promise((resolve) => setTimeout(resolve, Math.min(this.timeoutMs, TEARDOWN_WAIT_MS)).unref()),
          ]);
        } catch {
          // The server is gone or refused: the connection closes all the same.
        }
      }
      this.connection = null;
      await conn.close();
    }
    this.pushingSince = null;
    this.setState('stopped');
  }

  // ---------------------------------------------------------------- media

  private deliver(frame: LiveFrame): void {
    const conn = this.connection;
    const media = conn?.media;
    if (!conn || !media || conn.failed) return;
    try {
      if (conn.socket.writableLength > this.queueBytes) {
        // The server is not taking data as fast as it comes: what is queued goes out whole (the
        // packets of an access unit are never split), and nothing more until an IDR once it drains.
        media.waitingKeyframe = true;
        media.skipping = true;
        this.counters.framesSkipped++;
        this.stream.askForKeyframe();
        return;
      }
      if (media.waitingKeyframe) {
        if (!frame.keyframe) {
          if (media.skipping) this.counters.framesSkipped++;
          this.stream.askForKeyframe(); // rate-limited by the stream
          return;
        }
        media.waitingKeyframe = false;
        media.skipping = false;
      }
      const packets = media.packetizer.packetize(frame.data, rtpTimestamp90k(frame.timestampUs, media.rtpBase));
      const bytes = Buffer.concat(packets.map((p) => interleavedFrame(media.rtpChannel, p)));
      conn.write(bytes);
      this.counters.framesSent++;
      this.counters.bytesSent += bytes.length;
      const now = this.stream.now();
      if (now - media.lastReportAt >= SENDER_REPORT_INTERVAL_MS) {
        // RFC 3550 6.4.1: the SR ties the RTP clock to wall time, which the server needs to
        // timestamp what it records.
        media.lastReportAt = now;
        this.sendRtcp(conn, media, senderReport(this.reportInfo(media)));
      }
    } catch (e) {
      // An access unit the packetizer refuses (a broken encoder output) must not take the client down.
      this.failed(conn, `cannot send a frame: ${(e as Error).message}`);
    }
  }

  private reportInfo(media: Media): SenderReportInfo {
    const now = this.stream.now();
    return {
      ssrc: media.packetizer.ssrc, unixMs: now, rtpTimestamp: rtpTimestamp90k(this.stream.timestampAt(now), media.rtpBase),
      packetCount: media.packetizer.packetCount, octetCount: media.packetizer.octetCount, cname: media.cname,
    };
  }

  private sendRtcp(conn: Connection, media: Media, packet: Uint8Array): void {
    const bytes = interleavedFrame(media.rtcpChannel, packet);
    conn.write(bytes);
    this.counters.bytesSent += bytes.length;
  }
}
