/**
 * The embedded RTSP server (RFC 2326, RTSP 1.0): one live H.264 stream at one path, played over
 * RTP/AVP/TCP interleaved or RTP/AVP unicast UDP (RFC 3550, payload per RFC 6184).
 *
 * What it promises viewers:
 * - A joiner sees a picture at once: it starts on the cached IDR when that is fresh, else on the
 *   next IDR, which it asks the encoder for (rate-limited by LiveStream, so a crowd joining does
 *   not become a run of IDRs).
 * - One slow viewer never holds up the others: a TCP viewer whose socket holds more than
 *   `viewerQueueBytes` unsent is cut back (it gets nothing more until the next IDR, which it asks
 *   for) and, if it cannot take data for `stalledAfterMs`, disconnected. Memory stays bounded by
 *   that queue per viewer. UDP has no queue to grow: the kernel drops what a viewer cannot take.
 * - Sessions time out after `sessionTimeoutS` without RTSP requests or RTCP from the viewer
 *   (announced in the Session header, RFC 2326 12.37).
 *
 * And what it promises the machine: it listens on loopback unless told otherwise, and anywhere
 * else only with credentials (Digest, RFC 7616; Basic only if asked); nothing a client sends can
 * crash it: malformed requests get 400 and the connection is closed, oversized ones 413, unknown
 * methods 501, a wrong session 454; every handler's failure is caught and answered with 500.
 * UDP media goes only to the address the SETUP came from, never to a `destination` the request
 * names (RFC 2326 12.39 leaves the choice to the server; a server that obeyed would be a
 * reflector for anyone to aim at a third party).
 *
 * Protocol decisions are here; the sockets are node:net and node:dgram, used directly.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { RtspAuthenticator, type Credentials } from './auth.js';
import { H264Packetizer, rtpTimestamp90k } from './h264-rtp.js';
import type { LiveFrame, LiveStream } from './live-stream.js';
import {
  RtspHeaders, RtspMessageReader, RtspParseError, formatTransport, interleavedFrame, parseSession, parseTransport,
  serializeResponse, type RtspRequest, type TransportSpec,
} from './message.js';
import { goodbye, senderReport, type SenderReportInfo } from './rtcp.js';
import { buildSdp } from './sdp.js';

export interface RtspServerOptions {
  /** The stream it serves. */
  stream: LiveStream;
  /** TCP port; default 8554 (the port MediaMTX and GStreamer's examples use: 554 needs root); 0 picks a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. Any non-loopback address requires `credentials`. */
  host?: string;
  /** Path of the stream; default /live. */
  path?: string;
  /** When set, every request but OPTIONS must authenticate (Digest; Basic too with allowBasic). */
  credentials?: Credentials;
  allowBasic?: boolean;
  /** Digest realm; default "H264 Studio". */
  realm?: string;
  /** Seconds without a request or RTCP before a session ends; default 60. */
  sessionTimeoutS?: number;
  /** Open connections at most; more get 503 and are closed. Default 64. */
  maxConnections?: number;
  /** Unsent bytes a TCP viewer may hold before it is cut back to the next IDR; default 4 MiB. */
  viewerQueueBytes?: number;
  /** A TCP viewer that cannot take data for this long (ms) is disconnected; default 10 000. */
  stalledAfterMs?: number;
  /** Milliseconds between RTCP sender reports to each viewer; default 5000 (RFC 3550 6.2's minimum interval). */
  senderReportIntervalMs?: number;
  /** How long DESCRIBE waits for the stream's first keyframe (its SPS and PPS) before 503; default 5000 ms. */
  describeWaitMs?: number;
  /** MTU for RTP packets (header included); default 1400. */
  mtu?: number;
}

/** A configuration the server refuses (before it listens): one line naming the value. */
export class RtspServerError extends Error {
  override readonly name = 'RtspServerError';
}

export interface RtspServerStats {
  connections: number;
  sessions: number;
  /** Sessions playing now. */
  viewers: number;
  /** Viewers ever played. */
  viewersTotal: number;
  /** Times a slow TCP viewer was cut back to the next IDR. */
  cutbacks: number;
  /** Viewers disconnected because they stalled. */
  stalledDisconnects: number;
  /** RTP and RTCP bytes sent (with interleaving headers on TCP). */
  bytesSent: number;
}

type Transport =
  | { kind: 'tcp'; rtpChannel: number; rtcpChannel: number }
  | { kind: 'udp'; address: string; rtpPort: number; rtcpPort: number };

interface Session {
  id: string;
  /** The connection that set it up: it carries the media when interleaved. */
  conn: Connection;
  transport: Transport;
  state: 'ready' | 'playing';
  packetizer: H264Packetizer;
  /** Random offset of this session's RTP timestamps (RFC 3550 5.1). */
  rtpBase: number;
  lastActivity: number;
  /** Nothing is sent until an IDR (a new viewer, or one cut back). */
  waitingKeyframe: boolean;
  /** Since when a TCP viewer's queue has been over the limit, or null. */
  behindSince: number | null;
  lastReportAt: number;
  cname: string;
}

interface Connection {
  socket: Socket;
  reader: RtspMessageReader;
  sessions: Set<Session>;
  lastActivity: number;
  /** Requests are answered in order; DESCRIBE may wait for the stream. */
  queue: Promise<void>;
  closed: boolean;
}

const METHODS = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER'];
/** Methods of RFC 2326 this server knows but does not take (it plays; it is not recorded to). */
const NOT_ALLOWED = ['ANNOUNCE', 'RECORD', 'REDIRECT'];
const TRACK = 'trackID=0';
const SERVER = 'H264 Studio';
/** Sessions one connection may hold (one media: one is what a player needs). */
const MAX_SESSIONS_PER_CONNECTION = 4;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface ReplyInit {
  headers?: Record<string, string | number>;
  body?: string;
  close?: boolean;
}

export class RtspServer extends EventEmitter {
  private readonly stream: LiveStream;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly path: string;
  private readonly auth: RtspAuthenticator | null;
  private readonly sessionTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly viewerQueueBytes: number;
  private readonly stalledAfterMs: number;
  private readonly reportIntervalMs: number;
  private readonly describeWaitMs: number;
  private readonly mtu: number;
  private tcp: Server | null = null;
  private rtpSocket: UdpSocket | null = null;
  private rtcpSocket: UdpSocket | null = null;
  private readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, Session>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly counters = { viewersTotal: 0, cutbacks: 0, stalledDisconnects: 0, bytesSent: 0 };
  private viewersNow = 0;
  private readonly onFrame = (frame: LiveFrame): void => this.deliverToAll(frame);
  private readonly onEnd = (): void => this.endAll();

  constructor(options: RtspServerOptions) {
    super();
    this.stream = options.stream;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 8554;
    const path = options.path ?? '/live';
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path) || path.includes('//') || (path.length > 1 && path.endsWith('/'))) {
      throw new RtspServerError(`the stream path must start with / and hold only letters, digits and . _ ~ - /, got ${JSON.stringify(path)}`);
    }
    this.path = path;
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65535) {
      throw new RtspServerError(`the RTSP port must be an integer from 0 to 65535, got ${this.requestedPort}`);
    }
    if (isIP(this.host) === 0 && this.host !== 'localhost') {
      throw new RtspServerError(`the listening address must be an IP address (127.0.0.1, 0.0.0.0, ::), got ${JSON.stringify(this.host)}`);
    }
    const creds = options.credentials;
    if (creds && (creds.user === '' || creds.password === '')) throw new RtspServerError('the user name and the password must not be empty');
    if (creds && creds.user.includes(':')) throw new RtspServerError(`the user name must not contain ":", got ${JSON.stringify(creds.user)}`);
    if (!isLoopback(this.host) && !creds) {
      throw new RtspServerError(`listening on ${this.host} lets other machines watch: it needs a user name and a password`);
    }
    this.auth = creds ? new RtspAuthenticator({ realm: options.realm ?? SERVER, credentials: creds, allowBasic: options.allowBasic ?? false }) : null;
    this.sessionTimeoutMs = (options.sessionTimeoutS ?? 60) * 1000;
    this.maxConnections = options.maxConnections ?? 64;
    this.viewerQueueBytes = options.viewerQueueBytes ?? 4 << 20;
    this.stalledAfterMs = options.stalledAfterMs ?? 10_000;
    this.reportIntervalMs = options.senderReportIntervalMs ?? 5000;
    this.describeWaitMs = options.describeWaitMs ?? 5000;
    this.mtu = options.mtu ?? 1400;
  }

  /** Starts listening (TCP for RTSP, a UDP pair for RTP/RTCP). Rejects with a clear message when the port is taken. */
  async listen(): Promise<void> {
    if (this.tcp) throw new Error('the RTSP server is already listening');
    const tcp = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (e: NodeJS.ErrnoException) => reject(new RtspServerError(
        e.code === 'EADDRINUSE' ? `port ${this.requestedPort} on ${this.host} is in use: choose another port`
        : e.code === 'EACCES' ? `no permission to listen on port ${this.requestedPort} (ports below 1024 need root)`
        : e.code === 'EADDRNOTAVAIL' ? `${this.host} is not an address of this machine`
        : `cannot listen on ${this.host}:${this.requestedPort}: ${e.message}`)));
      tcp.listen(this.requestedPort, this.host, () => resolve());
    });
    tcp.on('error', (e) => this.emit('error', e));
    this.tcp = tcp;
    try {
      await this.bindUdp();
    } catch (e) {
      await new Promise<void>((r) => tcp.close(() => r()));
      this.tcp = null;
      throw e;
    }
    this.stream.on('frame', this.onFrame);
    this.stream.on('end', this.onEnd);
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  /** The TCP port listened on. */
  get port(): number {
    const a = this.tcp?.address();
    return a && typeof a === 'object' ? a.port : this.requestedPort;
  }

  /** The URL players open (the loopback address when listening on all interfaces). */
  get url(): string {
    const shown = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    return `rtsp://${isIP(shown) === 6 ? `[${shown}]` : shown}:${this.port}${this.path}`;
  }

  get viewers(): number {
    return this.viewersNow;
  }

  /** The UDP ports RTP and RTCP leave from (server_port of the Transport header). */
  get udpPorts(): [number, number] {
    return [this.rtpSocket?.address().port ?? 0, this.rtcpSocket?.address().port ?? 0];
  }

  stats(): RtspServerStats {
    return { connections: this.connections.size, sessions: this.sessions.size, viewers: this.viewersNow, ...this.counters };
  }

  /** Says goodbye to every viewer (RTCP BYE), closes every connection and the sockets. */
  async close(): Promise<void> {
    this.stream.off('frame', this.onFrame);
    this.stream.off('end', this.onEnd);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const s of [...this.sessions.values()]) this.endSession(s, true);
    const tcp = this.tcp;
    this.tcp = null;
    const closing = tcp ? new Promise<void>((r) => tcp.close(() => r())) : Promise.resolve();
    for (const c of [...this.connections]) {
      c.socket.end();
      // A peer that does not read its last bytes must not keep the server open.
      setTimeout(() => c.socket.destroy(), 1000).unref();
    }
    await closing;
    for (const u of [this.rtpSocket, this.rtcpSocket]) {
      if (u) await new Promise<void>((r) => u.close(() => r()));
    }
    this.rtpSocket = this.rtcpSocket = null;
  }

  // ---------------------------------------------------------------- sockets

  private async bindUdp(): Promise<void> {
    const type = isIP(this.host) === 6 ? 'udp6' : 'udp4';
    const address = this.host === 'localhost' ? '127.0.0.1' : this.host;
    const bind = (port: number): Promise<UdpSocket> => new Promise((resolve, reject) => {
      const u = createSocket(type);
      u.once('error', reject);
      u.bind(port, address, () => {
        u.off('error', reject);
        resolve(u);
      });
    });
    // RTP on an even port and RTCP on the next one (RFC 3550 11), as players expect of server_port.
    for (let attempt = 0; attempt < 20; attempt++) {
      const rtp = await bind(0);
      const port = rtp.address().port;
      if (port % 2 === 0 && port < 65535) {
        try {
          const rtcp = await bind(port + 1);
          this.attachUdp(rtp, rtcp);
          return;
        } catch {
          // The odd port is taken: try another pair.
        }
      }
      await new Promise<void>((r) => rtp.close(() => r()));
    }
    // No adjacent pair found: any two ports still work (server_port names both).
    this.attachUdp(await bind(0), await bind(0));
  }

  private attachUdp(rtp: UdpSocket, rtcp: UdpSocket): void {
    this.rtpSocket = rtp;
    this.rtcpSocket = rtcp;
    rtp.on('error', (e) => this.emit('error', e));
    rtcp.on('error', (e) => this.emit('error', e));
    // Receiver reports keep a UDP session alive (RFC 2326 12.37: RTCP counts as activity).
    rtcp.on('message', (_msg, rinfo) => this.touchUdp(rinfo.address, rinfo.port));
    rtp.on('message', (_msg, rinfo) => this.touchUdp(rinfo.address, rinfo.port));
  }

  private touchUdp(address: string, port: number): void {
    const now = this.stream.now();
    for (const s of this.sessions.values()) {
      const t = s.transport;
      if (t.kind === 'udp' && sameAddress(t.address, address) && (t.rtcpPort === port || t.rtpPort === port)) s.lastActivity = now;
    }
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // ECONNRESET and the like: 'close' follows and cleans up.
    const conn: Connection = {
      socket, reader: new RtspMessageReader(), sessions: new Set(), lastActivity: this.stream.now(), queue: Promise.resolve(), closed: false,
    };
    if (this.connections.size >= this.maxConnections) {
      socket.end(serializeResponse({ status: 503, headers: { Server: SERVER } }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('close', () => this.onClose(conn));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.closed) return;
    conn.lastActivity = this.stream.now();
    let messages;
    try {
      messages = conn.reader.push(chunk);
    } catch (e) {
      if (e instanceof RtspParseError) {
        const headers: Record<string, string> = { Server: SERVER };
        if (e.cseq !== undefined) headers.CSeq = e.cseq;
        conn.queue = conn.queue.then(() => this.send(conn, e.status, { headers, close: true }));
        conn.closed = true;
        return;
      }
      throw e;
    }
    for (const m of messages) {
      if (m.kind === 'interleaved') {
        // RTCP receiver reports from a TCP viewer: activity of its sessions.
        for (const s of conn.sessions) s.lastActivity = conn.lastActivity;
      } else if (m.kind === 'request') {
        conn.queue = conn.queue.then(() => this.handle(conn, m)).catch((e: unknown) => {
          this.emit('error', e instanceof Error ? e : new Error(String(e)));
          return this.send(conn, 500, { headers: { CSeq: m.headers.get('cseq') ?? '0' }, close: true });
        });
      }
      // A response from a client: nothing asked it for one; ignored.
    }
  }

  private onClose(conn: Connection): void {
    conn.closed = true;
    this.connections.delete(conn);
    for (const s of [...conn.sessions]) {
      // Interleaved media dies with its connection; a UDP session lives on until TEARDOWN or its timeout.
      if (s.transport.kind === 'tcp') this.endSession(s, false);
      else conn.sessions.delete(s);
    }
  }

  private send(conn: Connection, status: number, init: ReplyInit = {}): void {
    if (conn.socket.destroyed) return;
    const bytes = serializeResponse({ status, headers: init.headers, body: init.body });
    if (init.close) {
      conn.closed = true;
      conn.socket.end(bytes);
      setTimeout(() => conn.socket.destroy(), 1000).unref();
    } else {
      conn.socket.write(bytes);
    }
  }

  // ---------------------------------------------------------------- requests

  private async handle(conn: Connection, req: RtspRequest): Promise<void> {
    if (conn.socket.destroyed) return;
    const cseq = req.headers.get('cseq');
    const headers: Record<string, string | number> = { CSeq: cseq ?? '0', Server: SERVER };
    const reply = (status: number, init: ReplyInit = {}) => this.send(conn, status, { ...init, headers: { ...headers, ...init.headers } });
    // CSeq is required in every request and response (RFC 2326 12.17).
    if (cseq === undefined || !/^\d{1,9}$/.test(cseq.trim())) return reply(400, { close: cseq === undefined ? false : true });
    headers.CSeq = cseq.trim();

    const method = req.method;
    if (method === 'OPTIONS') return reply(200, { headers: { Public: METHODS.join(', ') } });
    if (NOT_ALLOWED.includes(method)) return reply(405, { headers: { Allow: METHODS.join(', ') } });
    if (!METHODS.includes(method)) return reply(501, { headers: { Public: METHODS.join(', ') } });

    if (this.auth) {
      // Nonces are bound to the client's address, answers to the request's URI (auth.ts).
      const client = plainAddress(conn.socket.remoteAddress ?? '');
      const verdict = this.auth.verify(method, req.headers.get('authorization'), { uri: req.uri, client });
      if (verdict !== 'ok') {
        const h = new RtspHeaders(Object.entries(headers).map(([k, v]) => [k, String(v)]));
        for (const c of this.auth.challenge(verdict === 'stale', client)) h.append('WWW-Authenticate', c);
        if (!conn.socket.destroyed) conn.socket.write(serializeResponse({ status: 401, headers: h }));
        return;
      }
    }

    // The session, when the request names one (RFC 2326 12.37).
    let session: Session | undefined;
    const sessionHeader = req.headers.get('session');
    if (sessionHeader !== undefined) {
      let id: string;
      try {
        id = parseSession(sessionHeader).id;
      } catch {
        return reply(454);
      }
      session = this.sessions.get(id);
      if (!session) return reply(454);
      session.lastActivity = this.stream.now();
      headers.Session = `${session.id};timeout=${this.sessionTimeoutMs / 1000}`;
    }

    switch (method) {
      case 'DESCRIBE': return this.describe(conn, req, reply);
      case 'SETUP': return this.setup(conn, req, session, headers, reply);
      case 'PLAY': return this.play(conn, req, session, reply);
      case 'PAUSE': {
        if (!session) return reply(454);
        if (session.state === 'playing') this.setState(session, 'ready');
        return reply(200);
      }
      case 'TEARDOWN': {
        if (!session) return reply(454);
        this.endSession(session, true);
        return reply(200);
      }
      case 'GET_PARAMETER':
        // An empty GET_PARAMETER is the keep-alive players send (RFC 2326 10.8).
        return reply(200);
      case 'SET_PARAMETER':
        return reply(req.body.length === 0 ? 200 : 451);
    }
  }

  /** The stream's path from a Request-URI (absolute rtsp:// URL or absolute path), or null. */
  private pathOf(uri: string): string | null {
    let path: string;
    const m = /^rtsps?:\/\/[^/?#]*(\/[^?#]*)?/i.exec(uri);
    if (m) path = m[1] ?? '/';
    else if (uri.startsWith('/')) path = uri.replace(/[?#].*$/, '');
    else return null;
    try {
      path = decodeURIComponent(path);
    } catch {
      return null;
    }
    while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    return path;
  }

  private async describe(conn: Connection, req: RtspRequest, reply: (status: number, init?: ReplyInit) => void): Promise<void> {
    if (this.pathOf(req.uri) !== this.path) return reply(404);
    if (!this.stream.ready && !this.stream.ended) {
      // The encoder's first keyframe carries the SPS and PPS the SDP needs: wait for it a little.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.stream.off('ready', done);
          conn.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, this.describeWaitMs);
        this.stream.on('ready', done);
        conn.socket.on('close', done);
      });
    }
    const { sps, pps } = this.stream;
    if (!sps || !pps || this.stream.ended) return reply(503, { headers: { 'Retry-After': 2 } });
    const info = this.stream.info;
    const local = conn.socket.localAddress ?? this.host;
    const sdp = buildSdp({
      sessionId: String(randomInt(1, 2 ** 47)), originAddress: plainAddress(local), sps, pps, control: TRACK,
      ...(info ? { width: info.width, height: info.height, fps: info.fps } : {}),
    });
    // Content-Base: the control URL below is relative to it (RFC 2326 C.1.1).
    const base = /^rtsps?:\/\//i.test(req.uri) ? req.uri.replace(/[?#].*$/, '').replace(/\/*$/, '/') : `rtsp://${hostForUrl(local)}:${this.port}${this.path}/`;
    return reply(200, { headers: { 'Content-Base': base, 'Content-Type': 'application/sdp' }, body: sdp });
  }

  private setup(
    conn: Connection, req: RtspRequest, existing: Session | undefined, headers: Record<string, string | number>,
    reply: (status: number, init?: ReplyInit) => void,
  ): void {
    const path = this.pathOf(req.uri);
    if (path !== `${this.path}/${TRACK}` && path !== this.path) return reply(404);
    // One media: a second SETUP on a session would change its transport mid-stream.
    if (existing) return reply(459);
    if (!this.stream.ready) return reply(503, { headers: { 'Retry-After': 2 } });
    if (conn.sessions.size >= MAX_SESSIONS_PER_CONNECTION) return reply(453);
    const header = req.headers.get('transport');
    if (header === undefined) return reply(461);
    let offers: TransportSpec[];
    try {
      offers = parseTransport(header);
    } catch {
      return reply(400);
    }
    let chosen: { transport: Transport; spec: TransportSpec } | null = null;
    for (const offer of offers) {
      if (!/^RTP\/AVP(\/(TCP|UDP))?$/i.test(offer.transport) || offer.multicast) continue;
      if (offer.mode !== undefined && offer.mode !== 'play') continue;
      if (offer.lowerTransport === 'TCP') {
        const channels = offer.interleaved ?? this.freeChannels(conn);
        if (!channels || this.channelsTaken(conn, channels)) continue;
        chosen = {
          transport: { kind: 'tcp', rtpChannel: channels[0], rtcpChannel: channels[1] },
          spec: { ...offer, transport: 'RTP/AVP/TCP', unicast: true, multicast: false, interleaved: channels, other: {} },
        };
        break;
      }
      if (!offer.clientPort) continue;
      const address = plainAddress(conn.socket.remoteAddress ?? '');
      if (!address) continue;
      const [rtpPort, rtcpPort] = offer.clientPort;
      if (rtpPort < 1 || rtpPort > 65535 || rtcpPort < 1 || rtcpPort > 65535) continue;
      chosen = {
        transport: { kind: 'udp', address, rtpPort, rtcpPort },
        spec: {
          transport: offer.transport, lowerTransport: 'UDP', profile: offer.profile, unicast: true, multicast: false,
          clientPort: offer.clientPort, serverPort: this.udpPorts, other: {},
        },
      };
      break;
    }
    if (!chosen) return reply(461);
    const ssrc = randomBytes(4).readUInt32BE(0);
    const session: Session = {
      id: randomBytes(8).toString('hex').toUpperCase(),
      conn, transport: chosen.transport, state: 'ready',
      packetizer: new H264Packetizer({ ssrc, mtu: this.mtu }),
      rtpBase: randomBytes(4).readUInt32BE(0),
      lastActivity: this.stream.now(), waitingKeyframe: true, behindSince: null, lastReportAt: -Infinity,
      cname: `h264-studio-${randomBytes(4).toString('hex')}`,
    };
    this.sessions.set(session.id, session);
    conn.sessions.add(session);
    headers.Session = `${session.id};timeout=${this.sessionTimeoutMs / 1000}`;
    return reply(200, { headers: { Transport: formatTransport({ ...chosen.spec, ssrc }) } });
  }

  private freeChannels(conn: Connection): [number, number] | null {
    for (let ch = 0; ch < 254; ch += 2) if (!this.channelsTaken(conn, [ch, ch + 1])) return [ch, ch + 1];
    return null;
  }

  private channelsTaken(conn: Connection, channels: [number, number]): boolean {
    for (const s of conn.sessions) {
      const t = s.transport;
      if (t.kind === 'tcp' && (channels.includes(t.rtpChannel) || channels.includes(t.rtcpChannel))) return true;
    }
    return false;
  }

  private play(conn: Connection, req: RtspRequest, session: Session | undefined, reply: (status: number, init?: ReplyInit) => void): void {
    if (!session) return reply(454);
    const path = this.pathOf(req.uri);
    if (path !== this.path && path !== `${this.path}/${TRACK}`) return reply(404);
    if (session.transport.kind === 'tcp' && session.conn !== conn) return reply(455);
    const startFrames = session.state === 'playing' ? [] : this.stream.joinFrames();
    // RTP-Info: the sequence number and RTP time the first packet will carry (RFC 2326 12.33), so
    // that the player's jitter buffer starts from the right place.
    const next = startFrames[0]?.timestampUs ?? this.stream.timestampAt(this.stream.now());
    const control = /^rtsps?:\/\//i.test(req.uri)
      ? `${req.uri.replace(/[?#].*$/, '').replace(/\/*$/, '')}${path === this.path ? `/${TRACK}` : ''}` : `${this.path}/${TRACK}`;
    const rtpInfo = `url=${control};seq=${session.packetizer.sequence};rtptime=${rtpTimestamp90k(next, session.rtpBase)}`;
    reply(200, { headers: { Range: 'npt=0.000-', 'RTP-Info': rtpInfo } });
    if (session.state === 'playing') return;
    session.waitingKeyframe = true;
    this.setState(session, 'playing');
    // The burst after the reply: on TCP the response must come before the media.
    for (const f of startFrames) this.deliver(session, f);
  }

  private setState(session: Session, state: Session['state']): void {
    const was = session.state;
    session.state = state;
    if (was !== 'playing' && state === 'playing') {
      this.counters.viewersTotal++;
      this.viewersNow++;
      this.emit('viewers', this.viewersNow);
    } else if (was === 'playing' && state !== 'playing') {
      this.viewersNow--;
      this.emit('viewers', this.viewersNow);
    }
  }

  private endSession(session: Session, sayGoodbye: boolean): void {
    if (!this.sessions.delete(session.id)) return;
    if (sayGoodbye && session.state === 'playing' && session.packetizer.packetCount > 0) {
      this.sendRtcp(session, goodbye(this.reportInfo(session), 'session ended'));
    }
    this.setState(session, 'ready');
    session.conn.sessions.delete(session);
  }

  private endAll(): void {
    // The stream is over: viewers get BYE (RFC 3550 6.6) and their sessions end.
    for (const s of [...this.sessions.values()]) this.endSession(s, true);
  }

  // ---------------------------------------------------------------- media

  private deliverToAll(frame: LiveFrame): void {
    for (const s of this.sessions.values()) if (s.state === 'playing') this.deliver(s, frame);
  }

  private deliver(s: Session, frame: LiveFrame): void {
    const now = this.stream.now();
    const t = s.transport;
    if (t.kind === 'tcp') {
      const socket = s.conn.socket;
      if (socket.destroyed) return;
      if (socket.writableLength > this.viewerQueueBytes) {
        // Behind: what is queued goes out whole; nothing more until an IDR once it drains.
        if (!s.waitingKeyframe) {
          s.waitingKeyframe = true;
          this.counters.cutbacks++;
        }
        s.behindSince ??= now;
        if (now - s.behindSince > this.stalledAfterMs) {
          this.counters.stalledDisconnects++;
          socket.destroy();
        }
        return;
      }
      s.behindSince = null;
    }
    if (s.waitingKeyframe) {
      if (!frame.keyframe) {
        this.stream.askForKeyframe();
        return;
      }
      s.waitingKeyframe = false;
    }
    const packets = s.packetizer.packetize(frame.data, rtpTimestamp90k(frame.timestampUs, s.rtpBase));
    if (t.kind === 'tcp') {
      const bytes = interleaved(t.rtpChannel, packets);
      s.conn.socket.write(bytes);
      this.counters.bytesSent += bytes.length;
    } else {
      for (const p of packets) {
        this.rtpSocket?.send(p, t.rtpPort, t.address);
        this.counters.bytesSent += p.length;
      }
    }
    if (now - s.lastReportAt >= this.reportIntervalMs) {
      s.lastReportAt = now;
      this.sendRtcp(s, senderReport(this.reportInfo(s)));
    }
  }

  private reportInfo(s: Session): SenderReportInfo {
    const now = this.stream.now();
    return {
      ssrc: s.packetizer.ssrc, unixMs: now, rtpTimestamp: rtpTimestamp90k(this.stream.timestampAt(now), s.rtpBase),
      packetCount: s.packetizer.packetCount, octetCount: s.packetizer.octetCount, cname: s.cname,
    };
  }

  private sendRtcp(s: Session, packet: Uint8Array): void {
    const t = s.transport;
    if (t.kind === 'tcp') {
      if (s.conn.socket.destroyed) return;
      const bytes = interleavedFrame(t.rtcpChannel, packet);
      s.conn.socket.write(bytes);
      this.counters.bytesSent += bytes.length;
    } else {
      this.rtcpSocket?.send(packet, t.rtcpPort, t.address);
      this.counters.bytesSent += packet.length;
    }
  }

  /** Ends sessions and connections silent for longer than the session timeout. */
  private sweep(): void {
    const now = this.stream.now();
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastActivity > this.sessionTimeoutMs) this.endSession(s, true);
    }
    for (const c of [...this.connections]) {
      if (c.sessions.size === 0 && now - c.lastActivity > this.sessionTimeoutMs) c.socket.destroy();
    }
  }
}

/** The packets as '$' channel length data frames (RFC 2326 10.12), one after another in one buffer: one write per access unit. */
function interleaved(channel: number, packets: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of packets) n += 4 + p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of packets) {
    out[o] = 0x24; // '$'
    out[o + 1] = channel;
    out[o + 2] = p.length >> 8;
    out[o + 3] = p.length & 0xff;
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** An address as the socket gives it, an IPv4-mapped IPv6 one (::ffff:a.b.c.d) as plain IPv4. */
function plainAddress(address: string): string {
  return address.replace(/^::ffff:/, '');
}

function sameAddress(a: string, b: string): boolean {
  return plainAddress(a) === plainAddress(b);
}

function hostForUrl(address: string): string {
  const a = plainAddress(address);
  return isIP(a) === 6 ? `[${a}]` : a;
}
