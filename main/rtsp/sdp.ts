/**
 * The session description (RFC 8866) an RTSP server returns to DESCRIBE for one H.264 video stream,
 * with the H.264 parameters of RFC 6184 8.1 mapped to SDP as 8.2.1 says; and a small parser for
 * the descriptions a client meets (ours, ffmpeg's, a camera's).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { nalUnitType } from './h264-rtp.js';

/** A malformed session description: the message names the line and what was expected. */
export class SdpError extends Error {
  override readonly name = 'SdpError';
}

const NAL_SPS = 7;
const NAL_PPS = 8;
const DEFAULT_PAYLOAD_TYPE = 96;
const DEFAULT_SESSION_NAME = 'H264 Studio';
const TOOL = 'H264 Studio';

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function checkNal(name: string, v: unknown, type: number, typeName: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array holding a ${typeName} NAL unit, got ${describe(v)}`);
  if (v.length === 0 || nalUnitType(v) !== type) {
    throw new RangeError(`${name} must be a ${typeName} NAL unit (nal_unit_type ${type}), got ${v.length === 0 ? 'an empty array' : `nal_unit_type ${nalUnitType(v)}`}`);
  }
  return v;
}

/**
 * profile-level-id (RFC 6184 8.1): "A base16 representation of the following three bytes in the
 * sequence parameter set NAL unit": profile_idc, the byte of constraint_set flags (profile-iop) and
 * level_idc, i.e. the three bytes after the NAL unit header (H.264 7.3.2.1.1). Lower-case hex.
 * Throws RangeError when `sps` is not an SPS (nal_unit_type 7) or is shorter than 4 bytes.
 */
export function profileLevelId(sps: Uint8Array): string {
  checkNal('sps', sps, NAL_SPS, 'sequence parameter set');
  if (sps.length < 4) throw new RangeError(`sps must hold at least 4 bytes (header, profile_idc, constraint flags, level_idc), got ${sps.length}`);
  let hex = '';
  for (let i = 1; i <= 3; i++) hex += sps[i]!.toString(16).padStart(2, '0');
  return hex;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 with padding (RFC 4648 4), the encoding sprop-parameter-sets uses (RFC 6184 8.1). */
function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[v >>> 18]! + BASE64[(v >>> 12) & 63]! + BASE64[(v >>> 6) & 63]! + BASE64[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += BASE64[v >>> 18]! + BASE64[(v >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64[v >>> 18]! + BASE64[(v >>> 12) & 63]! + BASE64[(v >>> 6) & 63]! + '=';
  }
  return out;
}

/** Strict base64 decoding (RFC 4648 4): whole quanta, padding only at the end. Throws SdpError. */
function unbase64(text: string, what: string): Uint8Array {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SdpError(`${what} must be base64 (RFC 4648 4) in whole 4-character groups, got ${JSON.stringify(text)}`);
  }
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = text[i + k]!;
      v = (v << 6) | (c === '=' ? 0 : BASE64.indexOf(c));
    }
    for (let shift = 16; shift >= 0 && o < out.length; shift -= 8) out[o++] = (v >>> shift) & 0xff;
  }
  return out;
}

/**
 * The a=fmtp parameters of our stream (RFC 6184 8.1, mapped to SDP by 8.2.1):
 * packetization-mode=1 (non-interleaved, 6.3: single NAL unit packets, STAP-A, FU-A),
 * profile-level-id from the SPS, and sprop-parameter-sets, the SPS and PPS NAL units in base64 "as
 * they are in the stream", emulation prevention bytes and NAL unit header included.
 */
export function h264Fmtp(sps: Uint8Array, pps: Uint8Array): string {
  const id = profileLevelId(sps);
  checkNal('pps', pps, NAL_PPS, 'picture parameter set');
  return `packetization-mode=1;profile-level-id=${id};sprop-parameter-sets=${base64(sps)},${base64(pps)}`;
}

export interface SdpOptions {
  /** o= sess-id: a numeric string (RFC 8866 5.2). */
  sessionId: string;
  /** o= sess-version, numeric; default the same as sessionId. */
  sessionVersion?: string;
  /** The server's address for o=: an IPv4 or IPv6 literal (IN IP4 / IN IP6 follows from it). */
  originAddress: string;
  /** s= ; default "H264 Studio". */
  sessionName?: string;
  sps: Uint8Array;
  pps: Uint8Array;
  /** RTP payload type, dynamic (RFC 3551 6: 96..127); default 96. */
  payloadType?: number;
  /** Media-level a=control, e.g. "trackID=0" (RFC 2326 C.1.1). */
  control: string;
  /** Informational: a=framesize (3GPP TS 26.234, needs both) and a=framerate (RFC 8866 6.13). */
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * SDP text is "text" in RFC 8866 9's grammar: one or more bytes, none of them NUL, CR or LF. Throws
 * RangeError naming the field.
 */
function checkText(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string, got ${describe(v)}`);
  if (v.length === 0 || /[\0\r\n]/.test(v)) {
    throw new RangeError(`${name} must be non-empty text without NUL, CR or LF (RFC 8866 9, byte-string), got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkDigits(name: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw new RangeError(`${name} must be a numeric string (RFC 8866 5.2), got ${describe(v)}`);
  return v;
}

function checkPositive(name: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${describe(v)}`);
  }
  return v;
}

/** a=framerate's value: "Decimal representations of fractional values ... are allowed" (RFC 8866 6.13); 3 decimals at most. */
function frameRateText(fps: number): string {
  return String(Math.round(fps * 1000) / 1000);
}

/**
 * The SDP for one H.264 stream, with CRLF line endings (RFC 8866 5: "The sequence CRLF (0x0d0a) is
 * used to end a line") and the lines in the order 5 requires:
 *
 *   v=0                                       5.1
 *   o=- <sess-id> <sess-version> IN IP4 <addr> 5.2 ("-": no user IDs)
 *   s=H264 Studio                             5.3
 *   c=IN IP4 0.0.0.0                          5.7; RFC 2326 C.1.7: the client picks the destination in SETUP
 *   t=0 0                                     5.9: permanent, unbounded (live)
 *   a=tool:H264 Studio                        6.3
 *   a=control:*                               RFC 2326 C.1.1: aggregate control at the request URL
 *   a=range:npt=now-                          RFC 2326 C.1.5: a live stream, no seeking
 *   m=video 0 RTP/AVP 96                      5.14; port 0: the transport is set up by SETUP
 *   a=rtpmap:96 H264/90000                    6.6; RFC 6184 8.2.1
 *   a=fmtp:96 packetization-mode=1;...        6.15; RFC 6184 8.2.1
 *   a=control:trackID=0                       RFC 2326 C.1.1
 *   [a=framerate:30]                          6.13
 *   [a=framesize:96 640-480]                  3GPP TS 26.234 (what 3GPP players and VLC read)
 *
 * c= and o= use IN IP6 (c=IN IP6 ::) when originAddress is IPv6. Throws TypeError/RangeError naming
 * a bad option.
 */
export function buildSdp(options: SdpOptions): string {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const sessionId = checkDigits('sessionId', options.sessionId);
  const sessionVersion = options.sessionVersion === undefined ? sessionId : checkDigits('sessionVersion', options.sessionVersion);
  const address = options.originAddress;
  // A zone index (fe80::1%eth0) means nothing to another host and is not in RFC 8866's IP6-address grammar.
  const ip6 = typeof address === 'string' && !address.includes('%') && isIPv6(address);
  if (!ip6 && !(typeof address === 'string' && isIPv4(address))) {
    throw new RangeError(`originAddress must be an IPv4 or IPv6 literal, got ${describe(address)}`);
  }
  const sessionName = checkText('sessionName', options.sessionName ?? DEFAULT_SESSION_NAME);
  const control = checkText('control', options.control);
  const pt = options.payloadType ?? DEFAULT_PAYLOAD_TYPE;
  if (typeof pt !== 'number' || !Number.isInteger(pt) || pt < 96 || pt > 127) {
    throw new RangeError(`payloadType must be a dynamic RTP payload type, 96..127 (RFC 3551 6), got ${describe(pt)}`);
  }
  const fmtp = h264Fmtp(options.sps, options.pps);
  const { width, height, fps } = options;
  if ((width === undefined) !== (height === undefined)) {
    throw new RangeError(`width and height must be given together, got width ${describe(width)} and height ${describe(height)}`);
  }
  const addrType = ip6 ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${sessionId} ${sessionVersion} IN ${addrType} ${address}`,
    `s=${sessionName}`,
    `c=IN ${addrType} ${ip6 ? '::' : '0.0.0.0'}`,
    't=0 0',
    `a=tool:${TOOL}`,
    'a=control:*',
    'a=range:npt=now-',
    `m=video 0 RTP/AVP ${pt}`,
    `a=rtpmap:${pt} H264/90000`,
    `a=fmtp:${pt} ${fmtp}`,
    `a=control:${control}`,
  ];
  if (fps !== undefined) lines.push(`a=framerate:${frameRateText(checkPositive('fps', fps, false))}`);
  if (width !== undefined) lines.push(`a=framesize:${pt} ${checkPositive('width', width, true)}-${checkPositive('height', height, true)}`);
  return lines.map((line) => `${line}\r\n`).join('');
}

export interface SdpMedia {
  /** "video", "audio", ... */
  type: string;
  port: number;
  /** "RTP/AVP", ... */
  proto: string;
  formats: string[];
  /** a= lines of the media section by name; a flag (a=recvonly) has the value "". */
  attributes: Record<string, string[]>;
}

export interface ParsedSdp {
  /** a= lines before the first m= line, by name. */
  sessionAttributes: Record<string, string[]>;
  media: SdpMedia[];
}

/**
 * A minimal SDP parser (RFC 8866) for our tests and RTSP clients: every line must be
 * <type>=<value> with a one-letter type (5), the first must be v=0 (5.1); a= lines (5.13) are
 * collected by name at session or media level, m= lines (5.14) open media sections. Other lines are
 * checked for form only. Lines may end in CRLF or, as 5 asks parsers to tolerate, a bare LF.
 * Throws SdpError naming the line.
 */
export function parseSdp(text: string): ParsedSdp {
  if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${describe(text)}`);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the last line's own line ending
  const sessionAttributes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const media: SdpMedia[] = [];
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `SDP line ${index + 1} ${JSON.stringify(line)}`;
    const m = /^([a-zA-Z])=(.*)$/.exec(line);
    if (!m) throw new SdpError(`${where}: expected <type>=<value> with a one-letter type (RFC 8866 5)`);
    const [, type, value] = m as unknown as [string, string, string];
    if (index === 0 && line !== 'v=0') throw new SdpError(`${where}: an SDP description must start with v=0 (RFC 8866 5.1)`);
    if (type === 'm') {
      media.push(parseMediaLine(value, where));
    } else if (type === 'a') {
      const colon = value.indexOf(':');
      const name = colon < 0 ? value : value.slice(0, colon);
      // att-field is a token (RFC 8866 9): no spaces, not empty.
      if (!/^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/.test(name)) throw new SdpError(`${where}: expected a=<attribute> or a=<attribute>:<value> (RFC 8866 5.13)`);
      const target = media.length > 0 ? media[media.length - 1]!.attributes : sessionAttributes;
      (target[name] ??= []).push(colon < 0 ? '' : value.slice(colon + 1));
    }
  });
  if (lines.length === 0) throw new SdpError('an SDP description must start with v=0 (RFC 8866 5.1), got empty text');
  return { sessionAttributes, media };
}

/** m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 5.14). */
function parseMediaLine(value: string, where: string): SdpMedia {
  const parts = value.split(' ');
  const portField = /^([0-9]{1,5})(?:\/[0-9]+)?$/.exec(parts[1] ?? '');
  const port = portField ? Number(portField[1]) : NaN;
  if (parts.length < 4 || parts.some((p) => p === '') || !(port <= 65535)) {
    throw new SdpError(`${where}: expected m=<media> <port> <proto> <fmt> ... with a port from 0 to 65535 (RFC 8866 5.14)`);
  }
  return { type: parts[0]!, port, proto: parts[2]!, formats: parts.slice(3), attributes: Object.create(null) as Record<string, string[]> };
}

/**
 * An a=fmtp value (RFC 8866 6.15: "<format> <format specific parameters>") with RFC 6184's
 * parameters split at ";" into name=value pairs (8.2.1). Names are lower-cased (media type
 * parameter names are case-insensitive, RFC 6838 4.3); a bare name gets the value "".
 */
export function parseFmtp(value: string): { format: string; parameters: Record<string, string> } {
  if (typeof value !== 'string') throw new TypeError(`value must be a string, got ${describe(value)}`);
  const m = /^(\S+) (.*)$/.exec(value.trim());
  if (!m) throw new SdpError(`a=fmtp value must be "<format> <parameters>" (RFC 8866 6.15), got ${JSON.stringify(value)}`);
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of m[2]!.split(';')) {
    const p = pair.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    parameters[(eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase()] = eq < 0 ? '' : p.slice(eq + 1).trim();
  }
  return { format: m[1]!, parameters };
}

/**
 * The NAL units of a sprop-parameter-sets value (RFC 6184 8.1: comma-separated base64 of parameter
 * set NAL units). Throws SdpError for bad base64 or an empty entry.
 */
export function parseSpropParameterSets(value: string): Uint8Array[] {
  if (typeof value !== 'string') throw new TypeError(`value must be a string, got ${describe(value)}`);
  return value.split(',').map((entry, i) => unbase64(entry.trim(), `sprop-parameter-sets entry ${i}`));
}
