// The RTSP server with our own bare client: every response the protocol asks for, the bad input a
// server meets on a network, sessions and their timeout, late joiners and stalled viewers. The
// real players (ffmpeg, GStreamer) are in server-players.test.ts.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationFor } from '../../../main/rtsp/auth.js';
import { LiveStream } from '../../../main/rtsp/live-stream.js';
import { parseSdp } from '../../../main/rtsp/sdp.js';
import { RtspServer, RtspServerError } from '../../../main/rtsp/server.js';
import { prng } from '../../helpers/synthetic.js';
import { RawRtspClient, TestPublisher, preEncode } from '../../helpers/rtsp.js';

const W = 160, H = 96, FPS = 30;

interface Fixture {
  stream: LiveStream;
  publisher: TestPublisher;
  server: RtspServer;
  url: string;
}

async function serve(o: { gop?: number; server?: Partial<ConstructorParameters<typeof RtspServer>[0]>; keep?: boolean } = {}): Promise<Fixture> {
  const stream = new LiveStream({ requestKeyframe: () => publisher.requestKeyframe() });
  const publisher = new TestPublisher(stream, { width: W, height: H, fps: FPS, encoder: { gop: o.gop ?? 30 }, keep: o.keep });
  const server = new RtspServer({ stream, port: 0, ...o.server });
  await server.listen();
  publisher.start();
  // The stream is ready once the first keyframe is out. Tests that SETUP without a DESCRIBE first
  // (which would wait for it) got 503 when a loaded machine had not yet run the publisher's first
  // tick: wait for it here, as a real player's DESCRIBE does.
  for (const until = performance.now() + 10_000; !stream.ready;) {
    if (performance.now() > until) throw new Error('the test publisher sent no keyframe within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { stream, publisher, server, url: server.url };
}

const open: { fixtures: Fixture[]; clients: RawRtspClient[] } = { fixtures: [], clients: [] };

async function fixture(o: Parameters<typeof serve>[0] = {}): Promise<Fixture> {
  const f = await serve(o);
  open.fixtures.push(f);
  return f;
}

function client(port: number): RawRtspClient {
  const c = new RawRtspClient(port);
  open.clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of open.clients.splice(0)) c.close();
  for (const f of open.fixtures.splice(0)) {
    await f.publisher.close();
    await f.server.close();
  }
});

describe('RtspServer requests', () => {
  it('answers OPTIONS with the methods it takes', async () => {
    const f = await fixture();
    const r = await client(f.server.port).request('OPTIONS', '*');
    expect(r.status).toBe(200);
    expect(r.headers.get('cseq')).toBe('1');
    expect(r.headers.get('public')!.split(/,\s*/)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER']);
  });

  it('describes the stream: SDP with the SPS and PPS the encoder sent, and a Content-Base', async () => {
    const f = await fixture();
    const r = await client(f.server.port).request('DESCRIBE', f.url, { Accept: 'application/sdp' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/sdp');
    expect(r.headers.get('content-base')).toBe(`${f.url}/`);
    const sdp = parseSdp(Buffer.from(r.body).toString());
    expect(sdp.media).toHaveLength(1);
    const m = sdp.media[0]!;
    expect(m).toMatchObject({ type: 'video', port: 0, proto: 'RTP/AVP', formats: ['96'] });
    expect(m.attributes.rtpmap).toEqual(['96 H264/90000']);
    expect(m.attributes.control).toEqual(['trackID=0']);
    const fmtp = m.attributes.fmtp![0]!;
    const sprop = /sprop-parameter-sets=([^;]+)/.exec(fmtp)![1]!.split(',').map((b) => Buffer.from(b, 'base64'));
    expect(sprop[0]!.equals(Buffer.from(f.stream.sps!))).toBe(true);
    expect(sprop[1]!.equals(Buffer.from(f.stream.pps!))).toBe(true);
    // profile-level-id: the SPS's profile_idc, constraint flags and level_idc (RFC 6184 8.1).
    expect(fmtp).toContain(`profile-level-id=${Buffer.from(f.stream.sps!.subarray(1, 4)).toString('hex')}`);
    expect(fmtp).toContain('packetization-mode=1');
  });

  it('waits for the first keyframe before describing, and says 503 when none comes', async () => {
    const stream = new LiveStream();
    const server = new RtspServer({ stream, port: 0, describeWaitMs: 300 });
    await server.listen();
    try {
      const c = client(server.port);
      const r = await c.request('DESCRIBE', server.url);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('2');
    } finally {
      await server.close();
    }
  });

  it('answers what it does not take: 404 wrong path, 405 ANNOUNCE, 501 unknown, 454 no session, 461 multicast', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    expect((await c.request('DESCRIBE', `rtsp://127.0.0.1:${f.server.port}/other`)).status).toBe(404);
    const announce = await c.request('ANNOUNCE', f.url);
    expect(announce.status).toBe(405);
    expect(announce.headers.get('allow')).toContain('DESCRIBE');
    expect((await c.request('RECORD', f.url)).status).toBe(405);
    expect((await c.request('FROBNICATE', f.url)).status).toBe(501);
    expect((await c.request('PLAY', f.url)).status).toBe(454);
    expect((await c.request('PLAY', f.url, { Session: 'DEADBEEF' })).status).toBe(454);
    expect((await c.request('TEARDOWN', f.url, { Session: '12345678' })).status).toBe(454);
    expect((await c.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP;multicast;port=5000-5001' })).status).toBe(461);
    expect((await c.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' })).status).toBe(461);
    expect((await c.request('SETUP', `${f.url}/trackID=0`)).status).toBe(461);
    // The connection still works after all that.
    expect((await c.request('OPTIONS', '*')).status).toBe(200);
  });

  it('sets up TCP and UDP sessions with the Transport the client gets, and tears them down', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    const tcp = await c.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    expect(tcp.status).toBe(200);
    expect(tcp.headers.get('transport')).toMatch(/^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}$/);
    const [id, timeout] = tcp.headers.get('session')!.split(';');
    expect(id).toMatch(/^[0-9A-F]{16}$/);
    expect(timeout).toBe('timeout=60');
    // Without interleaved= the server picks the channels: the next free pair on this connection.
    const c2 = client(f.server.port);
    const udp = await c2.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40000-40001;destination=10.1.2.3' });
    expect(udp.status).toBe(200);
    const [rtpPort, rtcpPort] = f.server.udpPorts;
    expect(rtcpPort).toBe(rtpPort + 1);
    // The destination parameter is not echoed: media goes to the address the request came from.
    expect(udp.headers.get('transport')).toMatch(new RegExp(`^RTP/AVP;unicast;client_port=40000-40001;server_port=${rtpPort}-${rtcpPort};ssrc=[0-9A-F]{8}$`));
    expect(f.server.stats().sessions).toBe(2);
    const down = await c.request('TEARDOWN', f.url, { Session: id! });
    expect(down.status).toBe(200);
    expect(f.server.stats().sessions).toBe(1);
    expect((await c.request('PLAY', f.url, { Session: id! })).status).toBe(454);
  });

  it('plays over TCP from an IDR, with RTP-Info naming the first packet', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    const { response } = await c.play(f.url);
    expect(response.status).toBe(200);
    await c.waitForUnits(20);
    expect(c.units[0]!.idr).toBe(true);
    // seq and rtptime of RTP-Info are those of the first packet the client got (RFC 2326 12.33).
    const info = /^url=(.+);seq=(\d+);rtptime=(\d+)$/.exec(response.headers.get('rtp-info')!)!;
    expect(info[1]).toBe(`${f.url}/trackID=0`);
    // The stream had just started: the joiner got the cached IDR, whose time RTP-Info names exactly.
    expect(Number(info[2])).toBe(c.firstRtp!.sequence);
    expect(Number(info[3])).toBe(c.firstRtp!.timestamp);
    expect(c.depacketizer.lost).toBe(0);
    // Consecutive frames 1/30 s apart on the 90 kHz clock.
    for (let i = 1; i < 20; i++) expect((c.units[i]!.timestamp - c.units[i - 1]!.timestamp) >>> 0).toBe(3000);
    expect(f.server.viewers).toBe(1);
  });

  it('pauses and plays again from the next IDR', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    const { session } = await c.play(f.url);
    await c.waitForUnits(3);
    expect((await c.request('PAUSE', f.url, { Session: session })).status).toBe(200);
    expect(f.server.viewers).toBe(0);
    const paused = c.units.length;
    await new Promise((r) => setTimeout(r, 200));
    // At most what was in flight when PAUSE was answered.
    expect(c.units.length - paused).toBeLessThanOrEqual(1);
    const before = c.units.length;
    expect((await c.request('PLAY', f.url, { Session: session })).status).toBe(200);
    await c.waitForUnits(before + 5);
    expect(c.units[before]!.idr).toBe(true);
  });

  it('sends RTCP sender reports and BYE on the interleaved RTCP channel', async () => {
    const f = await fixture({ server: { senderReportIntervalMs: 100 } });
    const c = client(f.server.port);
    const { session } = await c.play(f.url);
    await c.waitForUnits(10);
    expect(c.rtcp.length).toBeGreaterThanOrEqual(2);
    // Compound packets starting with an SR (RFC 3550 6.1).
    for (const p of c.rtcp) expect(p[1]).toBe(200);
    const count = c.rtcp.length;
    await c.request('TEARDOWN', f.url, { Session: session });
    await new Promise((r) => setTimeout(r, 50));
    const last = c.rtcp[c.rtcp.length - 1]!;
    expect(c.rtcp.length).toBe(count + 1);
    // SR + SDES + BYE: the BYE (203) is the last packet of the compound one.
    expect(Buffer.from(last).includes(Buffer.from([0x81, 203]))).toBe(true);
  });

  it('ends a session after its timeout without activity, and keeps one alive with GET_PARAMETER', async () => {
    const f = await fixture({ server: { sessionTimeoutS: 1 } });
    const idle = client(f.server.port);
    const kept = client(f.server.port);
    const a = await idle.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40002-40003' });
    const b = await kept.request('SETUP', `${f.url}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40004-40005' });
    expect(a.headers.get('session')).toMatch(/;timeout=1$/);
    const keptId = b.headers.get('session')!.split(';')[0]!;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 400));
      expect((await kept.request('GET_PARAMETER', f.url, { Session: keptId })).status).toBe(200);
    }
    expect(f.server.stats().sessions).toBe(1);
    expect((await kept.request('TEARDOWN', f.url, { Session: keptId })).status).toBe(200);
  });
});

describe('RtspServer against bad input', () => {
  it('answers a malformed request with 400 and closes the connection', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    const response = c.nextResponse();
    await c.raw('DESCRIBE rtsp://x/live RTSP/1.0\r\nCSeq: 7\r\nContent-Length: banana\r\n\r\n');
    const r = await response;
    expect(r.status).toBe(400);
    expect(r.headers.get('cseq')).toBe('7');
    await new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
  });

  it('refuses an oversized request with 413 as soon as the head passes the limit', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    const response = c.nextResponse();
    await c.raw(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Filler: ${'a'.repeat(20_000)}`);
    expect((await response).status).toBe(413);
  });

  it('answers RTSP/2.0 with 505 and a request without CSeq with 400', async () => {
    const f = await fixture();
    const c = client(f.server.port);
    let response = c.nextResponse();
    await c.raw('OPTIONS * RTSP/1.0\r\n\r\n');
    expect((await response).status).toBe(400);
    const c2 = client(f.server.port);
    response = c2.nextResponse();
    await c2.raw('OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n');
    expect((await response).status).toBe(505);
  });

  it('survives random bytes and mutated requests on many connections, then still serves', async () => {
    const f = await fixture();
    const errors: Error[] = [];
    f.server.on('error', (e: Error) => errors.push(e));
    const rnd = prng(2026);
    const valid = [
      `DESCRIBE ${f.url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n`,
      `SETUP ${f.url}/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
      `PLAY ${f.url} RTSP/1.0\r\nCSeq: 4\r\nSession: 0123456789ABCDEF\r\nRange: npt=0.000-\r\n\r\n`,
      `SETUP ${f.url}/trackID=0 RTSP/1.0\r\nCSeq: 5\r\nTransport: RTP/AVP;unicast;client_port=1-2\r\n\r\n`,
    ];
    const inputs: Buffer[] = [];
    for (let i = 0; i < 60; i++) inputs.push(randomBytes(1 + (rnd() % 3000)));
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(valid[i % valid.length]!);
      for (let k = 0, n = 1 + (rnd() % 6); k < n; k++) {
        const at = rnd() % b.length;
        const op = rnd() % 3;
        if (op === 0) b[at] = rnd() & 0xff;
        else if (op === 1) b[at] = [0x0d, 0x0a, 0x3a, 0x20, 0x24, 0x3b, 0x2d, 0x3d][rnd() % 8]!;
        else b[at] = 0x30 + (rnd() % 10);
      }
      inputs.push(b);
    }
    // Transports with hostile values: huge channels, port 0, reversed ranges.
    for (const t of ['RTP/AVP/TCP;interleaved=254-255', 'RTP/AVP/TCP;interleaved=300-301', 'RTP/AVP;unicast;client_port=0-1', 'RTP/AVP;unicast;client_port=70000-70001', ';;;', 'RTP/AVP/TCP;interleaved=9-8']) {
      inputs.push(Buffer.from(`SETUP ${f.url}/trackID=0 RTSP/1.0\r\nCSeq: 9\r\nTransport: ${t}\r\n\r\n`));
    }
    // Ten connections at a time, each sending one input and reading whatever comes back.
    for (let i = 0; i < inputs.length; i += 10) {
      await Promise.all(inputs.slice(i, i + 10).map((bytes) => new Promise<void>((resolve) => {
        const s = connect(f.server.port, '127.0.0.1', () => {
          s.write(bytes);
          setTimeout(() => s.destroy(), 30);
        });
        s.on('error', () => undefined);
        s.on('data', () => undefined);
        s.on('close', () => resolve());
      })));
    }
    expect(errors).toEqual([]);
    const c = client(f.server.port);
    await c.play(f.url);
    await c.waitForUnits(3);
    expect(c.units[0]!.idr).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(f.server.stats().connections).toBe(1);
  });

  it('refuses to listen beyond loopback without credentials, and bad paths and ports', () => {
    const stream = new LiveStream();
    expect(() => new RtspServer({ stream, host: '0.0.0.0' })).toThrow(new RtspServerError('listening on 0.0.0.0 lets other machines watch: it needs a user name and a password'));
    expect(() => new RtspServer({ stream, host: '0.0.0.0', credentials: { user: 'u', password: 'p' } })).not.toThrow();
    expect(() => new RtspServer({ stream, path: 'live' })).toThrow(/the stream path must start with \//);
    expect(() => new RtspServer({ stream, path: '/a b' })).toThrow(RtspServerError);
    expect(() => new RtspServer({ stream, port: 70000 })).toThrow('the RTSP port must be an integer from 0 to 65535, got 70000');
    expect(() => new RtspServer({ stream, host: 'example.com' })).toThrow(/must be an IP address/);
    expect(() => new RtspServer({ stream, credentials: { user: 'a:b', password: 'p' } })).toThrow(/must not contain ":"/);
  });

  it('names the port in use', async () => {
    const f = await fixture();
    const other = new RtspServer({ stream: new LiveStream(), port: f.server.port });
    await expect(other.listen()).rejects.toThrow(`port ${f.server.port} on 127.0.0.1 is in use: choose another port`);
  });
});

describe('RtspServer authentication', () => {
  const credentials = { user: 'viewer', password: 'pässwörd' };

  it('asks for Digest credentials and plays with the right ones only', async () => {
    const f = await fixture({ server: { credentials } });
    const c = client(f.server.port);
    // OPTIONS reveals nothing: open to all.
    expect((await c.request('OPTIONS', '*')).status).toBe(200);
    const challenge = await c.request('DESCRIBE', f.url);
    expect(challenge.status).toBe(401);
    const offers = challenge.headers.getAll('www-authenticate');
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatch(/^Digest realm="H264 Studio", nonce="[^"]+", algorithm=MD5$/);
    const wrong = authorizationFor('DESCRIBE', f.url, offers, { user: 'viewer', password: 'nope' });
    expect((await c.request('DESCRIBE', f.url, { Authorization: wrong })).status).toBe(401);
    const right = (method: string, uri: string) => authorizationFor(method, uri, offers, credentials);
    expect((await c.request('DESCRIBE', f.url, { Authorization: right('DESCRIBE', f.url) })).status).toBe(200);
    // Every later request carries its own response.
    const setup = await c.request('SETUP', `${f.url}/trackID=0`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Authorization: right('SETUP', `${f.url}/trackID=0`),
    });
    expect(setup.status).toBe(200);
    const session = setup.headers.get('session')!.split(';')[0]!;
    expect((await c.request('PLAY', f.url, { Session: session })).status).toBe(401);
    expect(c.interleavedBytes).toBe(0);
    expect((await c.request('PLAY', f.url, { Session: session, Authorization: right('PLAY', f.url) })).status).toBe(200);
    await c.waitForUnits(3);
    expect(c.units[0]!.idr).toBe(true);
  });

  it('takes an answer only from the address its nonce went to, and only for the URL it names', async () => {
    const f = await fixture({ server: { credentials } });
    const c = client(f.server.port);
    const offers = (await c.request('DESCRIBE', f.url)).headers.getAll('www-authenticate');
    const answer = authorizationFor('DESCRIBE', f.url, offers, credentials);
    // Replayed from another address (127.0.0.2 reaches the loopback server too): a new challenge.
    const elsewhere = new RawRtspClient(f.server.port, '127.0.0.1', '127.0.0.2');
    const replayed = await elsewhere.request('DESCRIBE', f.url, { Authorization: answer });
    expect(replayed.status).toBe(401);
    // That address gets its own nonce, which works from there.
    const own = authorizationFor('DESCRIBE', f.url, replayed.headers.getAll('www-authenticate'), credentials);
    expect((await elsewhere.request('DESCRIBE', f.url, { Authorization: own })).status).toBe(200);
    elsewhere.socket.destroy();
    // An answer computed for another URL does not open this one.
    const other = authorizationFor('DESCRIBE', `${f.url}/../other`, offers, credentials);
    expect((await c.request('DESCRIBE', f.url, { Authorization: other })).status).toBe(401);
    expect((await c.request('DESCRIBE', f.url, { Authorization: answer })).status).toBe(200);
  });

  it('offers Basic too only when asked, and takes it then', async () => {
    const f = await fixture({ server: { credentials, allowBasic: true } });
    const c = client(f.server.port);
    const r = await c.request('DESCRIBE', f.url);
    expect(r.headers.getAll('www-authenticate').map((v) => v.split(' ')[0])).toEqual(['Digest', 'Basic']);
    const basic = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    expect((await c.request('DESCRIBE', f.url, { Authorization: basic })).status).toBe(200);
    const g = await fixture({ server: { credentials } });
    expect((await client(g.server.port).request('DESCRIBE', g.url, { Authorization: basic })).status).toBe(401);
  });
});

describe('RtspServer viewers', () => {
  it('starts a late joiner on an IDR it asks for, without waiting for the GOP', async () => {
    // One IDR every 10 s: a joiner that waited for it would wait seconds.
    const f = await fixture({ gop: 300 });
    await new Promise((r) => setTimeout(r, 1500));
    const before = f.publisher.keyframeRequests;
    const c = client(f.server.port);
    const { at } = await c.play(f.url);
    await c.waitForUnits(1);
    expect(c.units[0]!.idr).toBe(true);
    expect(f.publisher.keyframeRequests).toBe(before + 1);
    // A forced IDR comes within a frame or two of the request: far from the 8.5 s to the GOP's next.
    expect(c.units[0]!.at - at).toBeLessThan(3000);
  });

  it('asks the encoder for one IDR however many viewers join at once', async () => {
    const f = await fixture({ gop: 300 });
    await new Promise((r) => setTimeout(r, 1000));
    const before = f.publisher.keyframeRequests;
    const viewers = Array.from({ length: 8 }, () => client(f.server.port));
    await Promise.all(viewers.map((v) => v.play(f.url)));
    await Promise.all(viewers.map((v) => v.waitForUnits(5)));
    for (const v of viewers) expect(v.units[0]!.idr).toBe(true);
    expect(f.publisher.keyframeRequests - before).toBe(1);
    expect(f.server.viewers).toBe(8);
  });

  it('cuts a stalled viewer back to the next IDR, then drops it, while another loses nothing', async () => {
    // A heavy loop (720p at QP 10, about 100 kB a frame) published fast fills any socket.
    const loop = await preEncode(1280, 720, 6, { fps: 30, gop: 3, qpMin: 10, qpMax: 10, rateControl: 'cqp', qp: 10, preset: 'realtime' });
    const stream = new LiveStream();
    const server = new RtspServer({ stream, port: 0, viewerQueueBytes: 256 << 10, stalledAfterMs: 1000 });
    await server.listen();
    const publisher = new TestPublisher(stream, { width: 1280, height: 720, fps: 30, loop });
    open.fixtures.push({ stream, publisher, server, url: server.url });
    stream.start({ width: 1280, height: 720, fps: 30 });
    await publisher.publishNext();
    const good = client(server.port), stalled = client(server.port);
    await good.play(server.url);
    await stalled.play(server.url);
    stalled.pauseReading();
    let maxQueued = 0;
    const serverSide = () => [...(server as unknown as { connections: Set<{ socket: { writableLength: number } }> }).connections];
    // Up to 60 MB in a few seconds: far beyond what a paused reader and the kernel buffers take.
    for (let i = 0; i < 600 && !(server.stats().stalledDisconnects > 0); i++) {
      await publisher.publishNext();
      for (const c of serverSide()) maxQueued = Math.max(maxQueued, c.socket.writableLength);
      await new Promise((r) => setTimeout(r, 10));
      if (i % 10 === 0) await good.waitForUnits(good.units.length); // let the good viewer read
    }
    const sent = publisher.framesPublished;
    expect(server.stats().cutbacks).toBeGreaterThanOrEqual(1);
    expect(server.stats().stalledDisconnects).toBe(1);
    // Bounded: the queue limit plus at most one access unit written before the check.
    const largest = Math.max(...loop.map((u) => u.data.length)) * 1.02 + 4096;
    expect(maxQueued).toBeLessThanOrEqual((256 << 10) + largest);
    // The good viewer joined on the cached first IDR: it has every frame, none lost.
    await good.waitForUnits(sent);
    expect(good.depacketizer.lost).toBe(0);
    expect(good.units.length).toBe(sent);
    expect(server.stats().connections).toBe(1);
  });
});
