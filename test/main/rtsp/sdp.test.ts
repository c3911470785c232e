/**
 * The session description (RFC 8866) with the H.264 parameters of RFC 6184 8.1/8.2.1: exact text
 * for the parameter sets of a real encoder stream (base64 and hex computed here with Buffer,
 * independently of the module), profile-level-id against the SPS bytes, and the parser on our own
 * descriptions and on others' forms.
 */
import { describe, expect, it } from 'vitest';
import { H264Encoder } from '../../../encoder/index.js';
import { nalUnitType, splitAnnexB } from '../../../main/rtsp/h264-rtp.js';
import {
  SdpError,
  type SdpOptions,
  buildSdp,
  h264Fmtp,
  parseFmtp,
  parseSdp,
  parseSpropParameterSets,
  profileLevelId,
} from '../../../main/rtsp/sdp.js';
import { thrown } from '../../helpers/errors.js';
import { syntheticImage } from '../../helpers/synthetic.js';

function expectThrows(fn: () => unknown, cls: typeof RangeError | typeof TypeError | typeof SdpError, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.constructor, e.message).toBe(cls);
  for (const f of fragments) expect(e.message).toContain(f);
}

/** SPS and PPS of a real 320x240 stream, as the encoder writes them (emulation prevention included). */
function realParameterSets(): { sps: Uint8Array; pps: Uint8Array } {
  const enc = new H264Encoder(320, 240, { gop: 5 });
  const nals = splitAnnexB(enc.encode(syntheticImage('gradient-diagonal', 320, 240)));
  enc.close();
  const sps = nals.find((n) => nalUnitType(n) === 7)!;
  const pps = nals.find((n) => nalUnitType(n) === 8)!;
  return { sps, pps };
}

const { sps, pps } = realParameterSets();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('profileLevelId (RFC 6184 8.1)', () => {
  it('is profile_idc, the constraint flags byte and level_idc of the SPS in hex', () => {
    // Baseline (66 = 0x42), constraint_set0+1 (0xc0), level 3.1 (31 = 0x1f).
    expect(profileLevelId(Uint8Array.of(0x67, 0x42, 0xc0, 0x1f))).toBe('42c01f');
    // High (100 = 0x64), no flags, level 4.0 (40 = 0x28), followed by more SPS bytes.
    expect(profileLevelId(Uint8Array.of(0x27, 0x64, 0x00, 0x28, 0xac, 0xd9))).toBe('640028');
    expect(profileLevelId(sps)).toBe(Buffer.from(sps.subarray(1, 4)).toString('hex'));
    expect(sps[1]).toBe(66); // the encoder writes Baseline
  });

  it('throws RangeError for something that is not an SPS of at least 4 bytes', () => {
    expectThrows(() => profileLevelId(pps), RangeError, 'sequence parameter set', 'nal_unit_type 8');
    expectThrows(() => profileLevelId(Uint8Array.of(0x67, 0x42, 0xc0)), RangeError, 'at least 4 bytes', 'got 3');
    expectThrows(() => profileLevelId(new Uint8Array(0)), RangeError, 'empty');
    expectThrows(() => profileLevelId('6742c01f' as unknown as Uint8Array), TypeError, 'Uint8Array');
  });
});

describe('h264Fmtp (RFC 6184 8.2.1)', () => {
  it('gives packetization-mode, profile-level-id and the parameter sets in base64', () => {
    const plid = Buffer.from(sps.subarray(1, 4)).toString('hex');
    expect(h264Fmtp(sps, pps)).toBe(`packetization-mode=1;profile-level-id=${plid};sprop-parameter-sets=${b64(sps)},${b64(pps)}`);
  });

  it('base64-encodes every length remainder with the right padding (RFC 4648 4)', () => {
    for (let n = 4; n < 10; n++) {
      const s = Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x67 : (i * 89) & 0xff));
      const p = Uint8Array.from({ length: n - 2 }, (_, i) => (i === 0 ? 0x68 : 0xf0 | i));
      expect(h264Fmtp(s, p)).toContain(`sprop-parameter-sets=${b64(s)},${b64(p)}`);
    }
  });

  it('throws RangeError when the PPS is not a PPS', () => {
    expectThrows(() => h264Fmtp(sps, sps), RangeError, 'pps', 'picture parameter set', 'nal_unit_type 7');
  });
});

describe('buildSdp (RFC 8866)', () => {
  const options: SdpOptions = { sessionId: '1700000000', originAddress: '192.0.2.7', sps, pps, control: 'trackID=0' };

  it('writes the exact description, CRLF line endings, lines in RFC 8866 5 order', () => {
    const plid = Buffer.from(sps.subarray(1, 4)).toString('hex');
    expect(buildSdp(options)).toBe(
      'v=0\r\n' +
        'o=- 1700000000 1700000000 IN IP4 192.0.2.7\r\n' +
        's=H264 Studio\r\n' +
        'c=IN IP4 0.0.0.0\r\n' +
        't=0 0\r\n' +
        'a=tool:H264 Studio\r\n' +
        'a=control:*\r\n' +
        'a=range:npt=now-\r\n' +
        'm=video 0 RTP/AVP 96\r\n' +
        'a=rtpmap:96 H264/90000\r\n' +
        `a=fmtp:96 packetization-mode=1;profile-level-id=${plid};sprop-parameter-sets=${b64(sps)},${b64(pps)}\r\n` +
        'a=control:trackID=0\r\n',
    );
  });

  it('uses IN IP6 for an IPv6 origin, and the optional name, version, payload type, frame rate and size', () => {
    const text = buildSdp({
      ...options, originAddress: '2001:db8::7', sessionVersion: '2', sessionName: 'Bench camera', payloadType: 97,
      width: 320, height: 240, fps: 30000 / 1001,
    });
    const lines = text.split('\r\n');
    expect(lines.pop()).toBe(''); // the last line ends with CRLF too
    expect(lines[1]).toBe('o=- 1700000000 2 IN IP6 2001:db8::7');
    expect(lines[2]).toBe('s=Bench camera');
    expect(lines[3]).toBe('c=IN IP6 ::');
    expect(lines.slice(8)).toEqual([
      'm=video 0 RTP/AVP 97',
      'a=rtpmap:97 H264/90000',
      `a=fmtp:97 ${h264Fmtp(sps, pps)}`,
      'a=control:trackID=0',
      'a=framerate:29.97',
      'a=framesize:97 320-240',
    ]);
    expect(buildSdp({ ...options, fps: 25 })).toContain('\r\na=framerate:25\r\n');
  });

  it('rejects bad options, naming the value', () => {
    expectThrows(() => buildSdp({ ...options, sessionId: '12a' }), RangeError, 'sessionId', 'numeric', '"12a"');
    expectThrows(() => buildSdp({ ...options, sessionVersion: '' }), RangeError, 'sessionVersion');
    expectThrows(() => buildSdp({ ...options, originAddress: 'camera.local' }), RangeError, 'originAddress', '"camera.local"');
    expectThrows(() => buildSdp({ ...options, originAddress: 'fe80::1%eth0' }), RangeError, 'originAddress');
    expectThrows(() => buildSdp({ ...options, payloadType: 95 }), RangeError, 'payloadType', '96..127', 'got 95');
    expectThrows(() => buildSdp({ ...options, control: 'track\r\na=evil' }), RangeError, 'control', 'CR or LF');
    expectThrows(() => buildSdp({ ...options, sessionName: '' }), RangeError, 'sessionName', 'non-empty');
    expectThrows(() => buildSdp({ ...options, width: 320 }), RangeError, 'width and height', 'together');
    expectThrows(() => buildSdp({ ...options, width: 320, height: 0 }), RangeError, 'height', 'got 0');
    expectThrows(() => buildSdp({ ...options, fps: -1 }), RangeError, 'fps', 'got -1');
    expectThrows(() => buildSdp({ ...options, sps: pps }), RangeError, 'sps');
  });
});

describe('parseSdp', () => {
  it('reads back what buildSdp writes', () => {
    const text = buildSdp({ sessionId: '42', originAddress: '10.0.0.1', sps, pps, control: 'trackID=0', fps: 30, width: 320, height: 240 });
    const parsed = parseSdp(text);
    expect(parsed.sessionAttributes).toEqual({ tool: ['H264 Studio'], control: ['*'], range: ['npt=now-'] });
    expect(parsed.media).toHaveLength(1);
    const m = parsed.media[0]!;
    expect(m).toMatchObject({ type: 'video', port: 0, proto: 'RTP/AVP', formats: ['96'] });
    expect(m.attributes).toEqual({
      rtpmap: ['96 H264/90000'],
      fmtp: [`96 ${h264Fmtp(sps, pps)}`],
      control: ['trackID=0'],
      framerate: ['30'],
      framesize: ['96 320-240'],
    });
    const fmtp = parseFmtp(m.attributes.fmtp![0]!);
    expect(fmtp.format).toBe('96');
    expect(fmtp.parameters['packetization-mode']).toBe('1');
    expect(fmtp.parameters['profile-level-id']).toBe(profileLevelId(sps));
    expect(parseSpropParameterSets(fmtp.parameters['sprop-parameter-sets']!)).toEqual([sps, pps]);
  });

  it('reads descriptions written by others: LF endings, flags, several media, port counts', () => {
    const text = [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=No Name',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'a=tool:libavformat 59.27.100',
      'a=recvonly',
      'm=video 5004/2 RTP/AVP 96 97',
      'b=AS:800',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 Packetization-Mode=1; profile-level-id=42C01E; sprop-parameter-sets=Z0LAHtoCgL/lwFqDAwMg,aM48gA==',
      'a=control:streamid=0',
      'a=sendonly',
      'm=audio 0 RTP/AVP 97',
      'a=rtpmap:97 MPEG4-GENERIC/48000/2',
      'a=control:streamid=1',
      '',
    ].join('\n');
    const parsed = parseSdp(text);
    expect(parsed.sessionAttributes).toEqual({ tool: ['libavformat 59.27.100'], recvonly: [''] });
    expect(parsed.media.map((m) => [m.type, m.port, m.proto, m.formats])).toEqual([
      ['video', 5004, 'RTP/AVP', ['96', '97']],
      ['audio', 0, 'RTP/AVP', ['97']],
    ]);
    expect(parsed.media[0]!.attributes.sendonly).toEqual(['']);
    expect(parsed.media[1]!.attributes.control).toEqual(['streamid=1']);
    const fmtp = parseFmtp(parsed.media[0]!.attributes.fmtp![0]!);
    expect(fmtp.parameters).toEqual({ 'packetization-mode': '1', 'profile-level-id': '42C01E', 'sprop-parameter-sets': 'Z0LAHtoCgL/lwFqDAwMg,aM48gA==' });
    const [s, p] = parseSpropParameterSets(fmtp.parameters['sprop-parameter-sets']!);
    expect(Buffer.from(s!).equals(Buffer.from('Z0LAHtoCgL/lwFqDAwMg', 'base64'))).toBe(true);
    expect([...p!]).toEqual([0x68, 0xce, 0x3c, 0x80]);
  });

  it('throws SdpError naming the line for malformed descriptions', () => {
    expectThrows(() => parseSdp(''), SdpError, 'v=0', 'empty');
    expectThrows(() => parseSdp('v=1\r\n'), SdpError, 'line 1', 'must start with v=0');
    expectThrows(() => parseSdp('o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n'), SdpError, 'line 1');
    expectThrows(() => parseSdp('v=0\r\ns = x\r\n'), SdpError, 'line 2', '"s = x"', '<type>=<value>');
    expectThrows(() => parseSdp('v=0\r\n\r\ns=x\r\n'), SdpError, 'line 2');
    expectThrows(() => parseSdp('v=0\r\nm=video abc RTP/AVP 96\r\n'), SdpError, 'line 2', 'port from 0 to 65535');
    expectThrows(() => parseSdp('v=0\r\nm=video 70000 RTP/AVP 96\r\n'), SdpError, 'line 2');
    expectThrows(() => parseSdp('v=0\r\nm=video 0 RTP/AVP\r\n'), SdpError, 'line 2', '<fmt>');
    expectThrows(() => parseSdp('v=0\r\na=\r\n'), SdpError, 'line 2', 'a=<attribute>');
    expectThrows(() => parseSdp('v=0\r\na=bad name:1\r\n'), SdpError, 'line 2');
    expectThrows(() => parseFmtp('96'), SdpError, '<format> <parameters>');
    expectThrows(() => parseSpropParameterSets('Z0LAHg,aM48gA=='), SdpError, 'entry 0', 'base64');
    expectThrows(() => parseSpropParameterSets('Z0LAHg==,'), SdpError, 'entry 1');
    expectThrows(() => parseSpropParameterSets('Z0L=AHg='), SdpError, 'entry 0');
  });
});
