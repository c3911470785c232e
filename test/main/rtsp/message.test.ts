// RTSP messages as real clients write them (ffmpeg's libavformat, live555 inside VLC, GStreamer's
// rtspsrc, and a push client's RECORD session), read whole, split at every byte, pipelined and
// mixed with interleaved data; every refusal with the status the server must send; serialising;
// the Transport and Session headers and rtsp:// URLs. A seeded fuzz run closes it: random bytes
// and mutated requests never escape as anything but RtspParseError nor grow the buffer past the
// limits.
import { describe, expect, it } from 'vitest';
import {
  type RtspMessage,
  type RtspReaderLimits,
  type TransportSpec,
  RtspHeaderError,
  RtspHeaders,
  RtspMessageReader,
  RtspParseError,
  STATUS_REASONS,
  TransportError,
  formatTransport,
  interleavedFrame,
  maxBufferedBytes,
  parseRtspUrl,
  parseSession,
  parseTransport,
  serializeRequest,
  serializeResponse,
} from '../../../main/rtsp/message.js';
import { thrown } from '../../helpers/errors.js';
import { prng } from '../../helpers/synthetic.js';

const text = new TextEncoder();
const bytes = (s: string): Uint8Array => text.encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A message head from its lines, CRLF-terminated, then the body. */
function msg(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const URL_ = 'rtsp://192.168.1.20:8554/live';
const LAVF = 'User-Agent: Lavf59.27.100';
const LIVE555 = 'User-Agent: LibVLC/3.0.18 (LIVE555 Streaming Media v2021.08.24)';
const GST = 'User-Agent: GStreamer/1.22.0';

const SDP = [
  'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=H264 Studio', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=tool:libavformat 59.27.100',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkAoD2wEQAAAwABAAADADwPFi5I,aMuMsg==; profile-level-id=42C01E',
  'a=control:streamid=0', '',
].join('\r\n');

const PARAMETERS = 'barparam: barstuff\r\n';

/** What each client sends, in the order it sends it. Header order and spelling as the clients write them. */
const CLIENTS = {
  // ffmpeg -rtsp_transport tcp -i rtsp://... (libavformat/rtsp.c, rtspdec.c)
  ffmpeg: [
    msg([`OPTIONS ${URL_} RTSP/1.0`, 'CSeq: 1', LAVF]),
    msg([`DESCRIBE ${URL_} RTSP/1.0`, 'Accept: application/sdp', 'CSeq: 2', LAVF]),
    msg([`SETUP ${URL_}/trackID=0 RTSP/1.0`, 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'CSeq: 3', LAVF]),
    msg([`PLAY ${URL_}/ RTSP/1.0`, 'Range: npt=0.000-', 'CSeq: 4', LAVF, 'Session: 1F2E3D4C5B6A7988']),
    msg([`TEARDOWN ${URL_}/ RTSP/1.0`, 'CSeq: 5', LAVF, 'Session: 1F2E3D4C5B6A7988']),
  ],
  // ffmpeg -f rtsp -rtsp_transport tcp rtsp://... (libavformat/rtspenc.c): the push client's session
  ffmpegPush: [
    msg([`ANNOUNCE ${URL_} RTSP/1.0`, 'Content-Type: application/sdp', 'CSeq: 2', LAVF, `Content-Length: ${bytes(SDP).length}`], SDP),
    msg([`SETUP ${URL_}/streamid=0 RTSP/1.0`, 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record', 'CSeq: 3', LAVF]),
    msg([`RECORD ${URL_} RTSP/1.0`, 'Range: npt=0.000-', 'CSeq: 4', LAVF, 'Session: 5A5A5A5A']),
  ],
  // VLC (live555 RTSPClient)
  live555: [
    msg([`OPTIONS ${URL_} RTSP/1.0`, 'CSeq: 2', LIVE555]),
    msg([`DESCRIBE ${URL_} RTSP/1.0`, 'CSeq: 3', LIVE555, 'Accept: application/sdp']),
    msg([`SETUP ${URL_}/trackID=0 RTSP/1.0`, 'CSeq: 4', LIVE555, 'Transport: RTP/AVP;unicast;client_port=52170-52171']),
    msg([`PLAY ${URL_}/ RTSP/1.0`, 'CSeq: 5', LIVE555, 'Session: 4A3B2C1D', 'Range: npt=0.000-']),
    msg([`GET_PARAMETER ${URL_}/ RTSP/1.0`, 'CSeq: 6', LIVE555, 'Session: 4A3B2C1D']),
    msg([`PAUSE ${URL_}/ RTSP/1.0`, 'CSeq: 7', LIVE555, 'Session: 4A3B2C1D']),
    msg([`TEARDOWN ${URL_}/ RTSP/1.0`, 'CSeq: 8', LIVE555, 'Session: 4A3B2C1D']),
  ],
  // gst-launch-1.0 rtspsrc location=rtsp://...
  gstreamer: [
    msg([`OPTIONS ${URL_} RTSP/1.0`, 'CSeq: 1', GST, 'Date: Wed, 05 Mar 2025 10:00:00 GMT']),
    msg([`DESCRIBE ${URL_} RTSP/1.0`, 'CSeq: 2', GST, 'Accept: application/sdp', 'Date: Wed, 05 Mar 2025 10:00:00 GMT']),
    msg([
      `SETUP ${URL_}/trackID=0 RTSP/1.0`, 'CSeq: 3', GST,
      'Transport: RTP/AVP;unicast;client_port=40000-40001;mode="PLAY",RTP/AVP/TCP;unicast;interleaved=0-1;mode="PLAY"',
      'Date: Wed, 05 Mar 2025 10:00:00 GMT',
    ]),
    msg([`PLAY ${URL_}/ RTSP/1.0`, 'CSeq: 4', GST, 'Range: npt=0-', 'Session: 4A3B2C1D', 'Date: Wed, 05 Mar 2025 10:00:00 GMT']),
    msg([`SET_PARAMETER ${URL_}/ RTSP/1.0`, 'CSeq: 5', GST, 'Session: 4A3B2C1D', 'Content-Type: text/parameters', `Content-Length: ${PARAMETERS.length}`], PARAMETERS),
  ],
  // A server redirecting a client (RFC 2326 10.10): a request the client's reader meets.
  server: [msg([`REDIRECT ${URL_} RTSP/1.0`, 'CSeq: 732', 'Location: rtsp://bigserver.com:8001', 'Range: clock=19960213T143205Z-'])],
};

const RESPONSES = [
  msg(['RTSP/1.0 200 OK', 'CSeq: 1', 'Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER, ANNOUNCE, RECORD']),
  msg(['RTSP/1.0 200 OK', 'CSeq: 2', `Content-Base: ${URL_}/`, 'Content-Type: application/sdp', `Content-Length: ${bytes(SDP).length}`], SDP),
  msg(['RTSP/1.0 401 Unauthorized', 'CSeq: 2', 'WWW-Authenticate: Digest realm="H264 Studio", nonce="abc", algorithm=MD5']),
  msg(['RTSP/1.0 200 OK', 'CSeq: 3', 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D', 'Session: 5A5A5A5A;timeout=60']),
];

/** Messages as plain data, for comparing runs. */
function plain(messages: RtspMessage[]): unknown[] {
  return messages.map((m) => (m.kind === 'interleaved' ? { ...m, data: Array.from(m.data) } : { ...m, headers: m.headers.entries(), body: str(m.body) }));
}

function readAll(input: Uint8Array | string, limits?: RtspReaderLimits): RtspMessage[] {
  return new RtspMessageReader(limits).push(typeof input === 'string' ? bytes(input) : input);
}

function readOne<K extends RtspMessage['kind']>(input: string, kind: K): Extract<RtspMessage, { kind: K }> {
  const all = readAll(input);
  expect(all).toHaveLength(1);
  expect(all[0]!.kind).toBe(kind);
  return all[0] as Extract<RtspMessage, { kind: K }>;
}

/** Feeds `input`, which must fail; returns the error. */
function refusal(input: Uint8Array | string, limits?: RtspReaderLimits): RtspParseError {
  const e = thrown(() => readAll(input, limits));
  expect(e).toBeInstanceOf(RtspParseError);
  return e as RtspParseError;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('RtspMessageReader: requests real clients send', () => {
  it('reads every method of RFC 2326 (10.1-10.11)', () => {
    const all = Object.values(CLIENTS).flat().map((m) => readOne(m, 'request'));
    const methods = new Set(all.map((r) => r.method));
    expect([...methods].sort()).toEqual(
      ['ANNOUNCE', 'DESCRIBE', 'GET_PARAMETER', 'OPTIONS', 'PAUSE', 'PLAY', 'RECORD', 'REDIRECT', 'SETUP', 'SET_PARAMETER', 'TEARDOWN'],
    );
    for (const r of all) {
      expect(r.version).toBe('RTSP/1.0');
      expect(r.headers.get('cseq')).toMatch(/^\d+$/);
    }
  });

  it("reads ffmpeg's DESCRIBE and its TCP SETUP", () => {
    const [, describeReq, setup] = CLIENTS.ffmpeg.map((m) => readOne(m, 'request'));
    expect(describeReq).toMatchObject({ method: 'DESCRIBE', uri: URL_, version: 'RTSP/1.0' });
    expect(describeReq!.headers.entries()).toEqual([['Accept', 'application/sdp'], ['CSeq', '2'], ['User-Agent', 'Lavf59.27.100']]);
    expect(describeReq!.body).toHaveLength(0);
    expect(setup!.uri).toBe(`${URL_}/trackID=0`);
    expect(parseTransport(setup!.headers.get('TRANSPORT')!)).toEqual([
      { transport: 'RTP/AVP/TCP', lowerTransport: 'TCP', profile: 'AVP', unicast: true, multicast: false, interleaved: [0, 1], other: {} },
    ]);
  });

  it("reads ffmpeg's ANNOUNCE with its SDP body and the RECORD SETUP", () => {
    const [announce, setup] = CLIENTS.ffmpegPush.map((m) => readOne(m, 'request'));
    expect(announce!.method).toBe('ANNOUNCE');
    expect(announce!.headers.get('content-type')).toBe('application/sdp');
    expect(str(announce!.body)).toBe(SDP);
    expect(parseTransport(setup!.headers.get('transport')!)[0]).toMatchObject({ lowerTransport: 'TCP', interleaved: [0, 1], mode: 'record' });
  });

  it("reads live555's UDP SETUP and the session in its PLAY", () => {
    const [, , setup, play] = CLIENTS.live555.map((m) => readOne(m, 'request'));
    expect(parseTransport(setup!.headers.get('Transport')!)).toEqual([
      { transport: 'RTP/AVP', lowerTransport: 'UDP', profile: 'AVP', unicast: true, multicast: false, clientPort: [52170, 52171], other: {} },
    ]);
    expect(parseSession(play!.headers.get('session')!)).toEqual({ id: '4A3B2C1D' });
  });

  it("reads GStreamer's SETUP offering UDP then TCP, with quoted modes", () => {
    const setup = readOne(CLIENTS.gstreamer[2]!, 'request');
    const offers = parseTransport(setup.headers.get('transport')!);
    expect(offers.map((o) => [o.lowerTransport, o.mode, o.clientPort, o.interleaved])).toEqual([
      ['UDP', 'play', [40000, 40001], undefined],
      ['TCP', 'play', undefined, [0, 1]],
    ]);
  });

  it('reads a request with a body and one without Content-Length as bodiless (RFC 2326 12.14)', () => {
    const set = readOne(CLIENTS.gstreamer[4]!, 'request');
    expect(str(set.body)).toBe(PARAMETERS);
    const [a, b] = readAll(msg(['GET_PARAMETER * RTSP/1.0', 'CSeq: 9']) + msg(['OPTIONS * RTSP/1.0', 'CSeq: 10']));
    expect(a).toMatchObject({ method: 'GET_PARAMETER', uri: '*', body: new Uint8Array(0) });
    expect(b).toMatchObject({ method: 'OPTIONS' });
  });

  it('reads responses, with an SDP body, for the push client', () => {
    const [options, describeRes, unauthorized, setup] = RESPONSES.map((r) => readOne(r, 'response'));
    expect(options).toMatchObject({ version: 'RTSP/1.0', status: 200, reason: 'OK' });
    expect(options!.headers.get('public')!.split(', ')).toContain('RECORD');
    expect(str(describeRes!.body)).toBe(SDP);
    expect(unauthorized).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(unauthorized!.headers.get('www-authenticate')).toBe('Digest realm="H264 Studio", nonce="abc", algorithm=MD5');
    expect(parseSession(setup!.headers.get('session')!)).toEqual({ id: '5A5A5A5A', timeout: 60 });
    expect(parseTransport(setup!.headers.get('transport')!)[0]!.ssrc).toBe(0x1a2b3c4d);
  });

  it('reads a status line with an empty reason phrase, with or without its space', () => {
    expect(readOne(msg(['RTSP/1.0 299 ', 'CSeq: 1']), 'response')).toMatchObject({ status: 299, reason: '' });
    expect(readOne(msg(['RTSP/1.0 299', 'CSeq: 1']), 'response')).toMatchObject({ status: 299, reason: '' });
  });
});

describe('RtspMessageReader: framing', () => {
  const frameA = interleavedFrame(0, Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
  const frameB = interleavedFrame(1, Uint8Array.of(0x80, 0xc8, 0x00, 0x06, 0x24, 0x0d, 0x0a));
  const conversation = concat(
    bytes(CLIENTS.ffmpegPush[0]!), bytes(RESPONSES[1]!), frameA, bytes(CLIENTS.gstreamer[4]!), frameB,
    interleavedFrame(255, new Uint8Array(0)), bytes(CLIENTS.live555[3]!), bytes(RESPONSES[3]!), frameA,
  );

  it('reads requests, responses and interleaved frames pipelined in one chunk', () => {
    const all = readAll(conversation);
    expect(all.map((m) => (m.kind === 'interleaved' ? `$${m.channel}:${m.data.length}` : m.kind === 'request' ? m.method : m.status))).toEqual([
      'ANNOUNCE', 200, '$0:300', 'SET_PARAMETER', '$1:7', '$255:0', 'PLAY', 200, '$0:300',
    ]);
    const rtcp = all[4] as Extract<RtspMessage, { kind: 'interleaved' }>;
    // '$', CR and LF inside interleaved data are data, not framing.
    expect(Array.from(rtcp.data)).toEqual([0x80, 0xc8, 0x00, 0x06, 0x24, 0x0d, 0x0a]);
  });

  it('gives the same messages when the bytes are split at any boundary', () => {
    const whole = plain(readAll(conversation));
    for (let cut = 0; cut <= conversation.length; cut++) {
      const reader = new RtspMessageReader();
      const got = [...reader.push(conversation.subarray(0, cut)), ...reader.push(conversation.subarray(cut))];
      expect(plain(got), `split at ${cut}`).toEqual(whole);
      expect(reader.buffered).toBe(0);
    }
  });

  it('gives the same messages fed one byte at a time, holding only the unfinished message', () => {
    const reader = new RtspMessageReader();
    const got: RtspMessage[] = [];
    for (let i = 0; i < conversation.length; i++) {
      got.push(...reader.push(conversation.subarray(i, i + 1)));
      expect(reader.buffered).toBeLessThanOrEqual(maxBufferedBytes());
    }
    expect(plain(got)).toEqual(plain(readAll(conversation)));
  });

  it('copies bodies and data out, so a reused input buffer cannot change them', () => {
    const input = bytes(CLIENTS.ffmpegPush[0]!);
    const [m] = readAll(input) as [Extract<RtspMessage, { kind: 'request' }>];
    input.fill(0);
    expect(str(m.body)).toBe(SDP);
  });

  it('skips empty lines before a request (RFC 2616 4.1), CRLF or bare LF', () => {
    const all = readAll(`\r\n\n\r\n${CLIENTS.ffmpeg[0]}\r\n\r\n${CLIENTS.ffmpeg[1]}`);
    expect(all.map((m) => (m as { method: string }).method)).toEqual(['OPTIONS', 'DESCRIBE']);
  });

  it('accepts bare LF line endings (RFC 7826 20.2.2 robustness)', () => {
    const r = readOne('SETUP rtsp://h/live RTSP/1.0\nCSeq: 3\nTransport: RTP/AVP;unicast;client_port=5000-5001\n\n', 'request');
    expect(r.headers.entries()).toEqual([['CSeq', '3'], ['Transport', 'RTP/AVP;unicast;client_port=5000-5001']]);
  });

  it('joins obsolete folded lines into the value (RFC 7230 3.2.4) and trims optional whitespace', () => {
    const r = readOne(msg(['OPTIONS * RTSP/1.0', 'CSeq:   7  ', 'X-Long: one', ' two', '\tthree', 'Empty:', 'User-Agent:\tx\t']), 'request');
    expect(r.headers.entries()).toEqual([['CSeq', '7'], ['X-Long', 'one two three'], ['Empty', ''], ['User-Agent', 'x']]);
  });

  it('reads UTF-8 in header values (RFC 2326 4.1)', () => {
    expect(readOne(msg(['OPTIONS * RTSP/1.0', 'CSeq: 1', 'User-Agent: Kamera – Küche']), 'request').headers.get('user-agent')).toBe('Kamera – Küche');
  });

  it('reads an interleaved frame of 65535 bytes and one of 0', () => {
    const data = Uint8Array.from({ length: 65535 }, (_, i) => (i * 7) & 0xff);
    const [big, empty] = readAll(concat(interleavedFrame(3, data), interleavedFrame(4, new Uint8Array(0)))) as Extract<RtspMessage, { kind: 'interleaved' }>[];
    expect(big!.channel).toBe(3);
    expect(big!.data).toEqual(data);
    expect(empty).toEqual({ kind: 'interleaved', channel: 4, data: new Uint8Array(0) });
  });

  it('takes a body of exactly maxBodyBytes and a head of exactly maxHeaderBytes', () => {
    const body = 'x'.repeat(100);
    expect(readAll(msg(['ANNOUNCE rtsp://h/a RTSP/1.0', 'CSeq: 1', 'Content-Length: 100'], body), { maxBodyBytes: 100 })).toHaveLength(1);
    const head = msg(['OPTIONS * RTSP/1.0', 'CSeq: 1', 'X-Pad: ']);
    const exact = head.replace('X-Pad: ', `X-Pad: ${'p'.repeat(200 - head.length)}`);
    expect(bytes(exact).length).toBe(200);
    expect(readAll(exact, { maxHeaderBytes: 200 })).toHaveLength(1);
    expect(refusal(exact.replace('X-Pad: ', 'X-Pad: p'), { maxHeaderBytes: 200 }).status).toBe(413);
  });

  it('waits for the byte after a trailing CR before deciding', () => {
    const reader = new RtspMessageReader();
    expect(reader.push(bytes('OPTIONS * RTSP/1.0\r'))).toEqual([]);
    expect(reader.push(bytes('\nCSeq: 1\r'))).toEqual([]);
    expect(reader.push(bytes('\n\r'))).toEqual([]);
    expect(reader.push(bytes('\n'))).toHaveLength(1);
    expect(reader.buffered).toBe(0);
  });
});

describe('RtspMessageReader: refusals', () => {
  const cases: [string, string, number, string?][] = [
    ['an HTTP request', msg(['GET / HTTP/1.1', 'Host: camera']), 400],
    ['RTSP/2.0', msg(['OPTIONS * RTSP/2.0', 'CSeq: 1']), 505, '1'],
    ['RTSP/1.1', msg(['PLAY rtsp://h/live RTSP/1.1', 'CSeq: 4']), 505, '4'],
    ['a lower-case version', msg(['OPTIONS * rtsp/1.0', 'CSeq: 1']), 400, '1'],
    ['a method that is not a token', msg(['DESC(RIBE rtsp://h/ RTSP/1.0', 'CSeq: 2']), 400, '2'],
    ['two spaces in the request line', msg(['DESCRIBE  rtsp://h/ RTSP/1.0', 'CSeq: 2']), 400, '2'],
    ['a request line without version', msg(['DESCRIBE rtsp://h/', 'CSeq: 2']), 400, '2'],
    ['an empty URI', msg(['OPTIONS  RTSP/1.0', 'CSeq: 2']), 400, '2'],
    ['a space in the URI', msg(['DESCRIBE rtsp://h/a b RTSP/1.0', 'CSeq: 2']), 400, '2'],
    ['a header without colon', msg(['OPTIONS * RTSP/1.0', 'CSeq: 5', 'Accept application/sdp']), 400, '5'],
    ['whitespace before the colon (RFC 7230 3.2.4)', msg(['OPTIONS * RTSP/1.0', 'CSeq: 5', 'Accept : application/sdp']), 400, '5'],
    ['an empty header name', msg(['OPTIONS * RTSP/1.0', 'CSeq: 5', ': x']), 400, '5'],
    ['a continuation line first', msg(['OPTIONS * RTSP/1.0', ' folded', 'CSeq: 5']), 400, '5'],
    ['a NUL in a value', msg(['OPTIONS * RTSP/1.0', 'CSeq: 6', 'User-Agent: a\0b']), 400, '6'],
    ['an escape character', msg(['OPTIONS * RTSP/1.0', 'CSeq: 6', 'User-Agent: \x1b[31m']), 400, '6'],
    ['DEL', msg(['OPTIONS * RTSP/1.0', 'CSeq: 6', 'User-Agent: \x7f']), 400, '6'],
    ['a bare CR', 'OPTIONS * RTSP/1.0\r\nCSeq: 6\r\nX: a\rb\r\n\r\n', 400, '6'],
    ['a negative Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: -1']), 400, '7'],
    ['a signed Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: +5']), 400, '7'],
    ['a hex Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: 0x10']), 400, '7'],
    ['an exponent Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: 1e3']), 400, '7'],
    ['a list Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: 5, 5']), 400, '7'],
    ['an empty Content-Length', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length:']), 400, '7'],
    ['conflicting Content-Lengths', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: 5', 'Content-Length: 6'], 'abcdef'), 400, '7'],
    ['a body over maxBodyBytes', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 8', 'Content-Length: 65537']), 413, '8'],
    ['a Content-Length beyond any integer', msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 8', `Content-Length: ${'9'.repeat(400)}`]), 413, '8'],
    ['too many header fields', msg(['OPTIONS * RTSP/1.0', 'CSeq: 9', ...Array.from({ length: 64 }, (_, i) => `X-${i}: y`)]), 413, '9'],
    ['a bad status code', msg(['RTSP/1.0 20 OK', 'CSeq: 1']), 400, '1'],
    ['a status line with a bad version', msg(['RTSP/one 200 OK', 'CSeq: 1']), 400, '1'],
  ];

  it.each(cases)('refuses %s', (_name, input, status, cseq) => {
    const e = refusal(input);
    expect(e.status, e.message).toBe(status);
    expect(e.cseq).toBe(cseq);
  });

  it('names what was wrong and what was expected', () => {
    expect(refusal(msg(['OPTIONS * RTSP/2.0', 'CSeq: 1'])).message).toBe('RTSP version RTSP/2.0 is not supported: expected RTSP/1.0');
    expect(refusal(msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'Content-Length: 0x10'])).message).toBe('invalid Content-Length "0x10": expected decimal digits');
    expect(refusal(msg(['OPTIONS * RTSP/1.0', 'X: \0'])).message).toBe('control character 0x00 at byte 23 of the header section');
  });

  it('keeps the same Content-Length given twice (RFC 7230 3.3.2)', () => {
    const r = readOne(msg(['ANNOUNCE rtsp://h/ RTSP/1.0', 'CSeq: 7', 'Content-Length: 3', 'content-length: 003'], 'abc'), 'request');
    expect(str(r.body)).toBe('abc');
  });

  it('refuses invalid UTF-8 in the head (RFC 2326 4.1)', () => {
    const e = refusal(concat(bytes('OPTIONS * RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: '), Uint8Array.of(0xc3, 0x28), bytes('\r\n\r\n')));
    expect([e.status, e.cseq]).toEqual([400, '3']);
  });

  it('leaves cseq out when CSeq itself is broken or given twice differently', () => {
    expect(refusal(msg(['OPTIONS * RTSP/2.0', 'CSeq: one'])).cseq).toBeUndefined();
    expect(refusal(msg(['OPTIONS * RTSP/2.0', 'CSeq: 1', 'CSeq: 2'])).cseq).toBeUndefined();
  });

  it('refuses a header section over the limit as soon as it passes it, without waiting for its end', () => {
    const reader = new RtspMessageReader({ maxHeaderBytes: 1000 });
    const start = 'OPTIONS * RTSP/1.0\r\nCSeq: 12\r\nX-Flood: ';
    expect(reader.push(bytes(start + 'a'.repeat(1000 - start.length)))).toEqual([]);
    expect(reader.buffered).toBe(1000);
    const e = thrown(() => reader.push(bytes('a'))) as RtspParseError;
    expect([e.status, e.cseq, e.message]).toEqual([413, '12', 'header section longer than 1000 bytes']);
  });

  it('refuses binary garbage (a TLS ClientHello) at its first byte, not after 8 KB', () => {
    const reader = new RtspMessageReader();
    const e = thrown(() => reader.push(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00))) as RtspParseError;
    expect(e.status).toBe(400);
  });

  it('stays failed: every later push throws the same error and nothing is held', () => {
    const reader = new RtspMessageReader();
    const e = thrown(() => reader.push(bytes(msg(['OPTIONS * RTSP/2.0', 'CSeq: 1']))));
    expect(reader.buffered).toBe(0);
    expect(reader.error).toBe(e);
    expect(thrown(() => reader.push(bytes(CLIENTS.ffmpeg[0]!)))).toBe(e);
    expect(thrown(() => reader.push(new Uint8Array(0)))).toBe(e);
  });

  it('refuses a request that follows a good one in the same chunk', () => {
    const e = refusal(CLIENTS.ffmpeg[0]! + msg(['OPTIONS * RTSP/1.0', 'CSeq: 2', 'Bad Header: x']));
    expect([e.status, e.cseq]).toEqual([400, '2']);
  });

  it('refuses limits that are not positive integers', () => {
    expect(thrown(() => new RtspMessageReader({ maxBodyBytes: -1 })).message).toBe('maxBodyBytes must be a positive integer, got -1');
    expect(thrown(() => new RtspMessageReader({ maxHeaderBytes: 1.5 }))).toBeInstanceOf(RangeError);
  });
});

describe('RtspHeaders', () => {
  it('looks names up case-insensitively and keeps their spelling and order', () => {
    const h = new RtspHeaders([['CSeq', '1'], ['WWW-Authenticate', 'Digest a=1'], ['www-authenticate', 'Basic realm="x"']]);
    expect(h.get('cseq')).toBe('1');
    expect(h.get('Www-Authenticate')).toBe('Digest a=1');
    expect(h.getAll('WWW-AUTHENTICATE')).toEqual(['Digest a=1', 'Basic realm="x"']);
    expect(h.has('Session')).toBe(false);
    expect(h.entries()).toEqual([['CSeq', '1'], ['WWW-Authenticate', 'Digest a=1'], ['www-authenticate', 'Basic realm="x"']]);
  });

  it('set replaces every field of the name in place of the first; append adds; delete removes all', () => {
    const h = new RtspHeaders({ CSeq: 1, Session: 'a', 'Content-Type': 'x' });
    h.append('session', 'b').set('SESSION', 'c');
    expect(h.entries()).toEqual([['CSeq', '1'], ['SESSION', 'c'], ['Content-Type', 'x']]);
    h.set('Date', 'now').delete('content-type');
    expect(h.entries()).toEqual([['CSeq', '1'], ['SESSION', 'c'], ['Date', 'now']]);
    expect(new RtspHeaders(h).entries()).toEqual(h.entries());
    expect(h.size).toBe(3);
  });

  it('entries() are copies', () => {
    const h = new RtspHeaders({ CSeq: 1 });
    h.entries()[0]![1] = '2';
    expect(h.get('cseq')).toBe('1');
  });

  it('refuses names that are not tokens and values that would inject a line', () => {
    const h = new RtspHeaders();
    expect(thrown(() => h.set('Bad Name', 'x')).message).toBe('header name must be a token (RFC 2616 2.2), got "Bad Name"');
    expect(thrown(() => h.append('X', 'a\r\nSession: forged')).message).toBe(
      'header X must not contain control characters (CR, LF, NUL, ...), got "a\\r\\nSession: forged"',
    );
    expect(thrown(() => h.set('Content-Length', Number.NaN))).toBeInstanceOf(TypeError);
    expect(h.size).toBe(0);
  });
});

describe('serializeResponse / serializeRequest', () => {
  it('writes the status line with the standard reason, the headers in order, CRLF endings', () => {
    expect(str(serializeResponse({ status: 454, headers: { CSeq: 5, Server: 'H264 Studio' } }))).toBe(
      'RTSP/1.0 454 Session Not Found\r\nCSeq: 5\r\nServer: H264 Studio\r\n\r\n',
    );
    expect(str(serializeResponse({ status: 200, reason: 'Fine', headers: new RtspHeaders([['CSeq', '1']]) }))).toBe('RTSP/1.0 200 Fine\r\nCSeq: 1\r\n\r\n');
  });

  it('sets Content-Length from the body, whatever the caller wrote, and leaves it out without a body', () => {
    const sdp = str(serializeResponse({ status: 200, headers: { CSeq: 2, 'content-length': 999, 'Content-Type': 'application/sdp' }, body: SDP }));
    expect(sdp).toBe(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: ${bytes(SDP).length}\r\nContent-Type: application/sdp\r\n\r\n${SDP}`);
    expect(str(serializeResponse({ status: 200, headers: { CSeq: 3, 'Content-Length': 10 } }))).toBe('RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n');
    expect(str(serializeResponse({ status: 200, body: 'ü' }))).toBe('RTSP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nü');
  });

  it('does not change the caller’s headers', () => {
    const headers = new RtspHeaders({ CSeq: 1 });
    serializeResponse({ status: 200, headers, body: 'x' });
    expect(headers.entries()).toEqual([['CSeq', '1']]);
  });

  it('has the reason phrases of RFC 2326 7.1.1', () => {
    expect([200, 400, 401, 404, 405, 413, 454, 455, 459, 461, 500, 501, 503, 505].map((s) => `${s} ${STATUS_REASONS[s]}`)).toEqual([
      '200 OK', '400 Bad Request', '401 Unauthorized', '404 Not Found', '405 Method Not Allowed', '413 Request Entity Too Large',
      '454 Session Not Found', '455 Method Not Valid in This State', '459 Aggregate Operation Not Allowed', '461 Unsupported Transport',
      '500 Internal Server Error', '501 Not Implemented', '503 Service Unavailable', '505 RTSP Version Not Supported',
    ]);
    expect(Object.keys(STATUS_REASONS)).toHaveLength(44);
  });

  it('refuses a status without a reason phrase, a bad status, and a reason that breaks the line', () => {
    expect(thrown(() => serializeResponse({ status: 299 })).message).toBe('status 299 has no standard reason phrase: pass reason');
    expect(thrown(() => serializeResponse({ status: 2000, reason: 'x' })).message).toBe('status must be a 3-digit integer (RFC 2326 7.1.1), got 2000');
    expect(thrown(() => serializeResponse({ status: 200, reason: 'OK\r\nX: y' }))).toBeInstanceOf(TypeError);
  });

  it('writes requests, and refuses a method or URI that would break the request line', () => {
    expect(str(serializeRequest({ method: 'SETUP', uri: `${URL_}/trackID=0`, headers: { CSeq: 3, Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' } }))).toBe(
      `SETUP ${URL_}/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n`,
    );
    expect(thrown(() => serializeRequest({ method: 'GET /', uri: '*' }))).toBeInstanceOf(TypeError);
    expect(thrown(() => serializeRequest({ method: 'PLAY', uri: 'rtsp://h/a b' })).message).toBe(
      'Request-URI must be non-empty without spaces or control characters, got "rtsp://h/a b"',
    );
    expect(thrown(() => serializeRequest({ method: 'PLAY', uri: '' }))).toBeInstanceOf(TypeError);
  });

  it('round trips: what is serialised reads back the same', () => {
    const body = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const req = serializeRequest({ method: 'ANNOUNCE', uri: URL_, headers: { CSeq: 2, 'Content-Type': 'application/sdp', 'User-Agent': 'H264 Studio' }, body });
    const res = serializeResponse({ status: 401, headers: new RtspHeaders([['CSeq', '2'], ['WWW-Authenticate', 'Digest realm="x"'], ['WWW-Authenticate', 'Basic realm="x"']]) });
    const [r, s] = readAll(concat(req, res)) as [Extract<RtspMessage, { kind: 'request' }>, Extract<RtspMessage, { kind: 'response' }>];
    expect(r).toMatchObject({ method: 'ANNOUNCE', uri: URL_, version: 'RTSP/1.0', body });
    expect(r.headers.entries()).toEqual([['CSeq', '2'], ['Content-Type', 'application/sdp'], ['User-Agent', 'H264 Studio'], ['Content-Length', '1000']]);
    expect(s).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(s.headers.getAll('www-authenticate')).toEqual(['Digest realm="x"', 'Basic realm="x"']);
    for (const original of [...Object.values(CLIENTS).flat(), ...RESPONSES]) {
      const m = readOne(original, original.startsWith('RTSP/') ? 'response' : 'request');
      const again = m.kind === 'request'
        ? serializeRequest({ method: m.method, uri: m.uri, headers: m.headers, body: m.body })
        : serializeResponse({ status: m.status, reason: m.reason, headers: m.headers, body: m.body });
      expect(str(again)).toBe(original);
    }
  });
});

describe('interleavedFrame', () => {
  it("writes '$', the channel, a 16-bit big-endian length and the data (RFC 2326 10.12)", () => {
    expect(Array.from(interleavedFrame(1, Uint8Array.of(9, 8, 7)))).toEqual([0x24, 1, 0, 3, 9, 8, 7]);
    expect(Array.from(interleavedFrame(255, new Uint8Array(0x1234)).subarray(0, 4))).toEqual([0x24, 255, 0x12, 0x34]);
  });

  it('refuses a channel outside 0..255 and data over 65535 bytes', () => {
    expect(thrown(() => interleavedFrame(256, new Uint8Array(1))).message).toBe('interleaved channel must be an integer in 0..255, got 256');
    expect(thrown(() => interleavedFrame(-1, new Uint8Array(1)))).toBeInstanceOf(RangeError);
    expect(thrown(() => interleavedFrame(0.5, new Uint8Array(1)))).toBeInstanceOf(RangeError);
    expect(thrown(() => interleavedFrame(0, new Uint8Array(65536))).message).toBe('interleaved data must be at most 65535 bytes (16-bit length), got 65536');
  });
});

describe('parseTransport / formatTransport', () => {
  it('reads ports and channels as ranges, a single one as n and n + 1 (RFC 2326 12.39)', () => {
    expect(parseTransport('RTP/AVP;unicast;client_port=5000')[0]!.clientPort).toEqual([5000, 5001]);
    expect(parseTransport('RTP/AVP/TCP;interleaved=4')[0]!.interleaved).toEqual([4, 5]);
    expect(parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971')[0]).toMatchObject({ clientPort: [5000, 5001], serverPort: [6970, 6971] });
  });

  it('reads every parameter of RFC 2326 12.39 and keeps the ones it does not know', () => {
    const [spec] = parseTransport(
      'RTP/AVP/UDP;multicast;destination=224.2.0.1;source=10.0.0.2;ttl=16;port=3456-3457;layers=2;append;ssrc=0000BEEF;mode="PLAY,RECORD";x-vendor="a;b"',
    );
    expect(spec).toEqual({
      transport: 'RTP/AVP/UDP', lowerTransport: 'UDP', profile: 'AVP', unicast: false, multicast: true,
      destination: '224.2.0.1', source: '10.0.0.2', ttl: 16, ssrc: 0xbeef, mode: 'play,record',
      other: { port: '3456-3457', layers: '2', append: true, 'x-vendor': '"a;b"' },
    } satisfies TransportSpec);
  });

  it('reads names and lower transports case-insensitively, keeps the transport as written, allows spaces and empty elements', () => {
    const specs = parseTransport(' rtp/avp/tcp ; UNICAST ; Interleaved = 2-3 , , RTP/SAVP;Unicast;Client_Port=7000-7001; ');
    expect(specs.map((s) => [s.transport, s.lowerTransport, s.profile, s.unicast, s.interleaved ?? s.clientPort])).toEqual([
      ['rtp/avp/tcp', 'TCP', 'avp', true, [2, 3]],
      ['RTP/SAVP', 'UDP', 'SAVP', true, [7000, 7001]],
    ]);
  });

  it('reads a lone "destination" as a parameter without value', () => {
    expect(parseTransport('RTP/AVP;unicast;destination;client_port=1-2')[0]!.other).toEqual({ destination: true });
  });

  it.each([
    ['', 'empty Transport header'],
    ['RTP', 'invalid transport "RTP"'],
    ['RTP/AVP/SCTP;unicast', 'invalid lower transport "SCTP"'],
    ['RTP/AVP/TCP/X', 'invalid transport "RTP/AVP/TCP/X"'],
    ['RTP/AVP;client_port=abc', 'invalid client_port=abc'],
    ['RTP/AVP;client_port=', 'invalid client_port='],
    ['RTP/AVP;client_port', 'invalid client_port='],
    ['RTP/AVP;client_port=70000-70001', 'invalid client_port=70000-70001'],
    ['RTP/AVP;client_port=65535', 'invalid client_port=65535'],
    ['RTP/AVP;client_port=5001-5000', 'invalid client_port=5001-5000'],
    ['RTP/AVP/TCP;interleaved=300-301', 'invalid interleaved=300-301'],
    ['RTP/AVP/TCP;interleaved=0-1-2', 'invalid interleaved=0-1-2'],
    ['RTP/AVP;ssrc=XYZ', 'invalid ssrc=XYZ'],
    ['RTP/AVP;ssrc=123456789', 'invalid ssrc=123456789'],
    ['RTP/AVP;ttl=256', 'invalid ttl=256'],
    ['RTP/AVP;unicast;multicast', 'unicast and multicast are mutually exclusive'],
    ['RTP/AVP;unicast=yes', 'unicast takes no value'],
    ['RTP/AVP;client_port=1-2;client_port=3-4', 'parameter client_port is given twice'],
    ['RTP/AVP;mode="PLAY', 'unterminated quoted string'],
    ['RTP/AVP;mode=', 'parameter mode needs a value'],
    ['RTP/AVP;mode="PL AY"', 'invalid mode="PL AY"'],
    ['RTP/AVP;bad name=1', 'invalid parameter "bad name=1"'],
  ])('refuses %j', (value, message) => {
    const e = thrown(() => parseTransport(value));
    expect(e).toBeInstanceOf(TransportError);
    expect(e).toBeInstanceOf(RtspHeaderError);
    expect((e as TransportError).header).toBe('Transport');
    expect(e.message).toContain(message);
  });

  it('writes the server replies of RFC 2326 12.39: ssrc as 8 hex digits', () => {
    const udp = parseTransport('RTP/AVP;unicast;client_port=5000-5001')[0]!;
    expect(formatTransport({ ...udp, serverPort: [6970, 6971], ssrc: 0x1a2b3c4d })).toBe('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D');
    const tcp = parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1')[0]!;
    expect(formatTransport(tcp)).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(formatTransport({ ...tcp, ssrc: 0xbeef, mode: 'record' })).toBe('RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0000BEEF;mode=record');
  });

  it('round trips: parse(format(spec)) is spec, and format(parse(s)) is s for canonical values', () => {
    const canonical = [
      'RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D',
      'RTP/AVP/TCP;unicast;interleaved=0-1',
      'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record',
      'RTP/AVP/UDP;multicast;destination=224.2.0.1;ttl=127;ssrc=00000000;mode="play,record";port=3456-3457;append',
      'RTP/AVPF;unicast;source=192.168.1.2;client_port=0-1',
    ];
    for (const value of canonical) {
      const [spec] = parseTransport(value);
      expect(formatTransport(spec!)).toBe(value);
      expect(parseTransport(formatTransport(spec!))).toEqual([spec]);
    }
    const offers = parseTransport(canonical.join(','));
    expect(offers.map(formatTransport)).toEqual(canonical);
  });

  it('refuses to write what would not read back', () => {
    const tcp = parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1')[0]!;
    expect(thrown(() => formatTransport({ ...tcp, lowerTransport: 'UDP' })).message).toBe('transport RTP/AVP/TCP does not match lowerTransport UDP');
    expect(thrown(() => formatTransport({ ...tcp, interleaved: [0, 256] })).message).toBe('interleaved must be a pair of integers 0 <= a <= b <= 255, got 0-256');
    expect(thrown(() => formatTransport({ ...tcp, ssrc: 2 ** 32 }))).toBeInstanceOf(RangeError);
    expect(thrown(() => formatTransport({ ...tcp, other: { x: 'a;b' } }))).toBeInstanceOf(RangeError);
    expect(thrown(() => formatTransport({ ...tcp, multicast: true }))).toBeInstanceOf(RangeError);
  });
});

describe('parseSession', () => {
  it('reads the id and the timeout (RFC 2326 12.37)', () => {
    expect(parseSession('47112344')).toEqual({ id: '47112344' });
    expect(parseSession('1F2E3D4C5B6A7988;timeout=60')).toEqual({ id: '1F2E3D4C5B6A7988', timeout: 60 });
    expect(parseSession(' a$b-c_d.e+f ; Timeout = 5 ; x=1')).toEqual({ id: 'a$b-c_d.e+f', timeout: 5 });
  });

  it('refuses an empty or invalid id and a timeout that is not seconds', () => {
    for (const bad of ['', ';timeout=5', 'a b', 'abc/def']) {
      const e = thrown(() => parseSession(bad));
      expect(e).toBeInstanceOf(RtspHeaderError);
      expect(e.message).toContain('invalid session id');
    }
    expect(thrown(() => parseSession('abc;timeout=-1')).message).toBe('invalid timeout "-1" in Session: expected seconds (delta-seconds)');
  });
});

describe('parseRtspUrl', () => {
  it('splits host, port and path with query; 554 by default (RFC 2326 3.2), 322 for rtsps (RFC 7826 4.2)', () => {
    expect(parseRtspUrl('rtsp://camera.local/live')).toEqual({ scheme: 'rtsp', host: 'camera.local', port: 554, path: '/live' });
    expect(parseRtspUrl('rtsp://10.0.0.5:8554/live/stream?token=1')).toEqual({ scheme: 'rtsp', host: '10.0.0.5', port: 8554, path: '/live/stream?token=1' });
    expect(parseRtspUrl('rtsps://[::1]/x')).toEqual({ scheme: 'rtsps', host: '::1', port: 322, path: '/x' });
    expect(parseRtspUrl('RTSP://h')).toEqual({ scheme: 'rtsp', host: 'h', port: 554, path: '/' });
  });

  it('percent-decodes user and password', () => {
    expect(parseRtspUrl('rtsp://admin:s%40cr%3At%20%C3%BC@10.0.0.5/live')).toMatchObject({ host: '10.0.0.5', user: 'admin', password: 's@cr:t ü' });
    expect(parseRtspUrl('rtsp://viewer@h/')).toEqual({ scheme: 'rtsp', host: 'h', port: 554, path: '/', user: 'viewer' });
  });

  it('refuses other schemes and broken URLs, naming the URL but not the password', () => {
    expect(thrown(() => parseRtspUrl('http://h/live')).message).toBe('invalid RTSP URL "http://h/live": expected the rtsp:// or rtsps:// scheme');
    expect(thrown(() => parseRtspUrl('rtspu://h/live'))).toBeInstanceOf(RangeError);
    expect(thrown(() => parseRtspUrl('rtsp:/h/live')).message).toBe('invalid RTSP URL "rtsp:/h/live": expected a host');
    expect(thrown(() => parseRtspUrl('rtsp://h:99999/')).message).toBe('invalid RTSP URL "rtsp://h:99999/": expected rtsp://host[:port]/path');
    expect(thrown(() => parseRtspUrl('camera')).message).toContain('"camera"');
    const e = thrown(() => parseRtspUrl('rtsp://u:hunter2@h:1x/'));
    expect(e.message).not.toContain('hunter2');
    expect(e.message).toContain('u:***@');
    expect(thrown(() => parseRtspUrl('rtsp://u:%zz@h/')).message).toBe('invalid RTSP URL "rtsp://u:***@h/": user or password has a malformed percent-encoding');
  });
});

describe('RtspMessageReader: fuzz (seeded, deterministic)', () => {
  const SMALL: RtspReaderLimits = { maxHeaderBytes: 300, maxBodyBytes: 400, maxHeaders: 8 };
  const LIMITS: RtspReaderLimits[] = [{}, SMALL];
  const PIECES = ['RTSP/1.0', ' ', '\r\n', '\n', '\r', ':', 'CSeq: 1', 'Content-Length: ', '12', '999999', '$', '\0', 'OPTIONS', '*',
    'rtsp://h/a', '\t', 'RTSP/2.0', 'Transport: RTP/AVP', '"', 'é', '200 OK', '\x7f'];
  const CORPUS = [
    ...[...Object.values(CLIENTS).flat(), ...RESPONSES].map(bytes),
    interleavedFrame(0, Uint8Array.from({ length: 40 }, (_, i) => i)), interleavedFrame(1, Uint8Array.of(0x80, 0xc9, 0, 1)),
  ];

  /** Runs `input` whole and in random pieces; both must agree and neither may break a rule. Counts the outcomes. */
  function check(input: Uint8Array, limits: RtspReaderLimits, rand: () => number, seen: Map<string, number>): void {
    const bound = maxBufferedBytes(limits);
    const outcome = (pieces: Uint8Array[]): { messages: RtspMessage[]; error?: RtspParseError } => {
      const reader = new RtspMessageReader(limits);
      const messages: RtspMessage[] = [];
      for (const piece of pieces) {
        try {
          messages.push(...reader.push(piece));
        } catch (e) {
          if (!(e instanceof RtspParseError)) throw e;
          expect([400, 413, 505]).toContain(e.status);
          expect(reader.buffered).toBe(0);
          expect(thrown(() => reader.push(Uint8Array.of(0x0a)))).toBe(e);
          return { messages, error: e };
        }
        expect(reader.buffered).toBeLessThanOrEqual(bound);
      }
      return { messages };
    };
    const whole = outcome([input]);
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < input.length;) {
      const n = 1 + (rand() % 64);
      pieces.push(input.subarray(at, at + n));
      at += n;
    }
    const split = outcome(pieces);
    for (const m of whole.messages) seen.set(m.kind, (seen.get(m.kind) ?? 0) + 1);
    const end = whole.error ? String(whole.error.status) : 'clean';
    seen.set(end, (seen.get(end) ?? 0) + 1);
    if (whole.error) {
      expect(split.error?.status).toBe(whole.error.status);
      expect(split.error?.message).toBe(whole.error.message);
    } else {
      expect(split.error).toBeUndefined();
      expect(plain(split.messages)).toEqual(plain(whole.messages));
    }
  }

  /** Every way a run can end, and every kind of message, must show up: a fuzz stuck on one refusal tests little. */
  function expectCoverage(seen: Map<string, number>, outcomes: string[]): void {
    for (const o of outcomes) expect(seen.get(o) ?? 0, `${o} in ${JSON.stringify([...seen])}`).toBeGreaterThan(20);
  }

  it('reads 3000 random byte streams without any other exception or unbounded buffering', () => {
    const rand = prng(0x5eed);
    const seen = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const parts: Uint8Array[] = [];
      const count = rand() % 12;
      for (let i = 0; i < count; i++) {
        switch (rand() % 6) {
          case 0: parts.push(Uint8Array.from({ length: 1 + (rand() % 8) }, () => rand() & 0xff)); break;
          case 1: parts.push(CORPUS[rand() % CORPUS.length]!); break;
          case 2: { // an interleaved header whose length may run past the input
            const length = rand() % 3 === 0 ? rand() & 0xffff : rand() % 16;
            parts.push(Uint8Array.of(0x24, rand() & 0xff, length >> 8, length & 0xff), new Uint8Array(rand() % 20));
            break;
          }
          case 3: // a head of random lines
            parts.push(bytes(`${['OPTIONS * RTSP/1.0', 'RTSP/1.0 200 OK', 'PLAY rtsp://h/ RTSP/1.' + (rand() % 3)][rand() % 3]}\r\n`));
            for (let l = rand() % 12; l > 0; l--) parts.push(bytes(`X-${rand() % 9}: ${'v'.repeat(rand() % 40)}${['\r\n', '\n'][rand() % 2]}`));
            parts.push(bytes(rand() % 4 === 0 ? '' : '\r\n'));
            break;
          default:
            for (let p = rand() % 6; p >= 0; p--) parts.push(bytes(PIECES[rand() % PIECES.length]!));
        }
      }
      if (n % 100 === 0) parts.push(bytes('X'.repeat(20_000))); // a flood with no line end
      check(concat(...parts), LIMITS[n % 2]!, rand, seen);
    }
    expectCoverage(seen, ['request', 'response', 'interleaved', 'clean', '400', '413', '505']);
  });

  it('reads 3000 mutations of real requests and responses the same way', () => {
    const rand = prng(0xc0ffee);
    const seen = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const base = Array.from(CORPUS[rand() % CORPUS.length]!);
      const edits = 1 + (rand() % 3);
      for (let e = 0; e < edits; e++) {
        const at = rand() % (base.length + 1);
        switch (rand() % 7) {
          case 0: base[at] = rand() & 0xff; break; // a random byte
          case 1: base.splice(at, 1); break; // one byte dropped
          case 2: base.splice(at, 0, [0x0d, 0x0a, 0x00, 0x20, 0x3a, 0x24, 0x09][rand() % 7]!); break; // a delimiter inserted
          case 3: base.splice(at, 0, ...base.slice(at, at + (rand() % 50))); break; // a stretch repeated
          case 4: base.splice(at, rand() % 20); break; // a stretch cut
          case 5: { // a digit changed: versions, CSeq, Content-Length, ports, interleaved lengths
            const digits = base.flatMap((b, i) => (b >= 0x30 && b <= 0x39 ? [i] : []));
            if (digits.length) base[digits[rand() % digits.length]!] = 0x30 + (rand() % 10);
            break;
          }
          default: base.splice(at, 0, ...bytes(`Content-Length: ${rand() % 3 === 0 ? '99999999' : rand() % 40}\r\n`)); break;
        }
      }
      // The mutated message, then an intact one: what follows a mutation is read too.
      check(concat(Uint8Array.from(base), CORPUS[n % CORPUS.length]!), LIMITS[n % 2]!, rand, seen);
    }
    expectCoverage(seen, ['request', 'response', 'interleaved', 'clean', '400', '413', '505']);
  });
});
