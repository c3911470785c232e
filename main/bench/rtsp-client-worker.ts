/**
 * One RTSP viewer for the bench's RTSP section, in a worker thread of its own (its own event loop,
 * so that it reads packets as a separate player would). It plays `url` over TCP (interleaved) or
 * UDP, reassembles access units, and times each against the moment the server was handed it.
 *
 * That moment comes from the stream itself, as a receiver would work it out: the bench gives each
 * access unit the timestamp of its publishing on the wall clock, so the RTCP sender report's pair
 * (NTP time, RTP time) (RFC 3550 6.4.1) converts any RTP timestamp back to when it was published.
 * Worker threads share the process's clock: performance.timeOrigin + performance.now().
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { H264Depacketizer, nalUnitType, splitAnnexB } from '../rtsp/h264-rtp.js';
import { RtspMessageReader, serializeRequest, type RtspResponse } from '../rtsp/message.js';
import { NTP_UNIX_OFFSET_SECONDS, parseRtcp } from '../rtsp/rtcp.js';

export interface RtspClientJob {
  url: string;
  port: number;
  transport: 'tcp' | 'udp';
  /** How long to watch after the first frame. */
  seconds: number;
}

export interface RtspClientResult {
  /**
   * Milliseconds from publishing to the last packet, per access unit published after PLAY was
   * answered (and after the first sender report): the frames a joiner gets from the server's cache
   * of the last GOP were published before it asked, so their age is not the server's latency.
   */
  latenciesMs: number[];
  /** Access units from that cache (published before PLAY's response). */
  cachedFrames: number;
  /** PLAY's response to the first whole access unit, ms. */
  firstFrameMs: number;
  firstIsIdr: boolean;
  frames: number;
  lost: number;
}

const wallMs = (): number => performance.timeOrigin + performance.now();

async function run(job: RtspClientJob): Promise<RtspClientResult> {
  const socket = connect(job.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new RtspMessageReader({ maxBodyBytes: 1 << 20 });
  const waiting: ((r: RtspResponse) => void)[] = [];
  const depacketizer = new H264Depacketizer();
  let mapping: { wall: number; rtp: number } | null = null;
  const latencies: number[] = [];
  let frames = 0, firstAt = 0, firstIsIdr = false, cachedFrames = 0;
  // When PLAY's response arrived: read where it is parsed, before any packet after it.
  let playAt = Infinity, responses = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });

  const onRtcp = (data: Uint8Array): void => {
    for (const p of parseRtcp(data)) {
      const sr = p.senderReport;
      if (sr) mapping = { wall: (sr.ntpSeconds - NTP_UNIX_OFFSET_SECONDS) * 1000 + (sr.ntpFraction / 2 ** 32) * 1000, rtp: sr.rtpTimestamp };
    }
  };
  const onRtp = (data: Uint8Array): void => {
    const done = depacketizer.push(data);
    if (!done) return;
    const at = wallMs();
    if (frames === 0) {
      firstAt = at;
      firstIsIdr = splitAnnexB(done.accessUnit).some((n) => nalUnitType(n) === 5);
    }
    frames++;
    if (mapping) {
      // RTP time difference, as a signed 32-bit distance (wraps), at 90 kHz.
      const published = mapping.wall + ((done.timestamp - mapping.rtp) | 0) / 90;
      if (published >= playAt) latencies.push(at - published);
      else cachedFrames++;
    }
    if (at - firstAt >= job.seconds * 1000) finish();
  };

  socket.on('data', (chunk: Buffer) => {
    for (const m of reader.push(chunk)) {
      if (m.kind === 'response') {
        // DESCRIBE, SETUP, then PLAY.
        if (++responses === 3) playAt = wallMs();
        waiting.shift()?.(m);
      }
      else if (m.kind === 'interleaved') (m.channel === 0 ? onRtp : onRtcp)(m.data);
    }
  });
  let cseq = 0;
  const request = (method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> => {
    const r = new Promise<RtspResponse>((resolve) => waiting.push(resolve));
    socket.write(serializeRequest({ method, uri, headers: { CSeq: ++cseq, ...headers } }));
    return r;
  };

  let rtp: UdpSocket | null = null, rtcp: UdpSocket | null = null;
  let transport = 'RTP/AVP/TCP;unicast;interleaved=0-1';
  if (job.transport === 'udp') {
    [rtp, rtcp] = await udpPair();
    rtp.on('message', (m) => onRtp(m));
    rtcp.on('message', (m) => onRtcp(m));
    transport = `RTP/AVP;unicast;client_port=${rtp.address().port}-${rtcp.address().port}`;
  }
  const describe = await request('DESCRIBE', job.url, { Accept: 'application/sdp' });
  if (describe.status !== 200) throw new Error(`DESCRIBE: ${describe.status} ${describe.reason}`);
  const setup = await request('SETUP', `${describe.headers.get('content-base') ?? `${job.url}/`}trackID=0`, { Transport: transport });
  if (setup.status !== 200) throw new Error(`SETUP: ${setup.status} ${setup.reason}`);
  const session = setup.headers.get('session')!.split(';')[0]!;
  const play = await request('PLAY', job.url, { Session: session });
  if (play.status !== 200) throw new Error(`PLAY: ${play.status} ${play.reason}`);
  await finished;
  await request('TEARDOWN', job.url, { Session: session });
  socket.destroy();
  rtp?.close();
  rtcp?.close();
  return { latenciesMs: latencies, cachedFrames, firstFrameMs: firstAt - playAt, firstIsIdr, frames, lost: depacketizer.lost };
}

/** Two UDP sockets on adjacent ports, RTP on the even one (RFC 3550 11). */
async function udpPair(): Promise<[UdpSocket, UdpSocket]> {
  const bind = (port: number): Promise<UdpSocket> => new Promise((resolve, reject) => {
    const u = createSocket('udp4');
    u.once('error', reject);
    u.bind(port, '127.0.0.1', () => resolve(u));
  });
  for (;;) {
    const a = await bind(0);
    const p = a.address().port;
    if (p % 2 === 0) {
      try {
        return [a, await bind(p + 1)];
      } catch {
        // taken: another pair
      }
    }
    a.close();
  }
}

run(workerData as RtspClientJob).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: (e as Error).message }),
);
