/**
 * RTCP for a sender (RFC 3550 6): the compound packets an RTP sender sends (SR + SDES CNAME, and
 * SR + SDES + BYE at the end), and a parser that splits any compound packet (the receiver reports
 * clients send back, our own packets in tests). Pure: bytes in, bytes out.
 */
import { concatBytes } from './h264-rtp.js';

/** Seconds from the NTP epoch (1900-01-01 00:00 UTC, RFC 3550 4) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** RTCP packet types (RFC 3550 12.1). */
export const RtcpPacketType = {
  SenderReport: 200,
  ReceiverReport: 201,
  SourceDescription: 202,
  Goodbye: 203,
  ApplicationDefined: 204,
} as const;

/** SDES item types (RFC 3550 6.5): END ends a chunk's item list, CNAME is the canonical end-point name. */
const SDES_END = 0;
const SDES_CNAME = 1;

const TWO_POW_32 = 0x1_0000_0000;
/** Header (V, P, count, PT, length) and the sender's SSRC. */
const HEADER_BYTES = 4;
/** SR: header, SSRC and the 20-byte sender info (RFC 3550 6.4.1). */
const SR_BYTES = 28;
/** One reception report block of an SR or RR (RFC 3550 6.4.1). */
const REPORT_BLOCK_BYTES = 24;

/** A malformed RTCP packet or an invalid argument for one: the message says what is wrong and what was expected. */
export class RtcpError extends Error {
  override readonly name = 'RtcpError';
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function checkInteger(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${describe(v)}`);
  if (v < min || v > max) throw new RangeError(`${name} must be from ${min} to ${max}, got ${v}`);
  return v;
}

/**
 * NTP timestamp (RFC 3550 4: seconds since 1900 in the upper 32 bits, the fraction of a second in
 * the lower 32) of a wall-clock time in milliseconds since the Unix epoch. The seconds wrap modulo
 * 2^32, as NTP's era does in 2036 ("the wrap around ... will be handled in the same way", 4).
 */
export function ntpTimestamp(unixMs: number): { seconds: number; fraction: number } {
  if (typeof unixMs !== 'number' || !Number.isFinite(unixMs)) throw new RangeError(`unixMs must be a finite number of milliseconds, got ${describe(unixMs)}`);
  if (unixMs < -NTP_UNIX_OFFSET_SECONDS * 1000) throw new RangeError(`unixMs must not be before the NTP epoch (1900, ${-NTP_UNIX_OFFSET_SECONDS * 1000} ms), got ${unixMs}`);
  let whole = Math.floor(unixMs / 1000);
  // Rounded to the nearest 1/2^32 s; a millisecond part that rounds up to a whole second carries.
  let fraction = Math.round(((unixMs - whole * 1000) / 1000) * TWO_POW_32);
  if (fraction >= TWO_POW_32) {
    whole++;
    fraction -= TWO_POW_32;
  }
  return { seconds: (whole + NTP_UNIX_OFFSET_SECONDS) % TWO_POW_32, fraction };
}

export interface SenderReportInfo {
  /** The sender's SSRC, as in its RTP packets. */
  ssrc: number;
  /** Wall-clock time of the report, ms since the Unix epoch. */
  unixMs: number;
  /** The same instant in RTP timestamp units (RFC 3550 6.4.1). */
  rtpTimestamp: number;
  /** Packets and payload octets sent so far; written modulo 2^32 ("the count wraps around", 6.4.1). */
  packetCount: number;
  octetCount: number;
  /** Canonical name (RFC 3550 6.5.1), e.g. "studio@192.0.2.7": 1..255 bytes of UTF-8. */
  cname: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 of an SDES item or BYE reason: 8-bit length field, so at most 255 bytes (RFC 3550 6.5, 6.6). */
function text(name: string, value: unknown, minBytes: number): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  const bytes = encoder.encode(value);
  if (bytes.length < minBytes || bytes.length > 255) {
    throw new RangeError(`${name} must be ${minBytes}..255 bytes of UTF-8 (RFC 3550 6.5: an 8-bit length), got ${bytes.length} bytes`);
  }
  return bytes;
}

function checkInfo(info: SenderReportInfo): Uint8Array {
  if (typeof info !== 'object' || info === null) throw new TypeError(`info must be an object, got ${describe(info)}`);
  checkInteger('ssrc', info.ssrc, 0, TWO_POW_32 - 1);
  checkInteger('rtpTimestamp', info.rtpTimestamp, 0, TWO_POW_32 - 1);
  checkInteger('packetCount', info.packetCount, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('octetCount', info.octetCount, 0, Number.MAX_SAFE_INTEGER);
  return text('cname', info.cname, 1);
}

/** Header word: V=2, P=0, the 5-bit count, PT, and the length in 32-bit words minus one (RFC 3550 6.4.1). */
function writeHeader(view: DataView, offset: number, count: number, packetType: number, bytes: number): void {
  view.setUint8(offset, 0x80 | count);
  view.setUint8(offset + 1, packetType);
  view.setUint16(offset + 2, bytes / 4 - 1);
}

/** SR with no report blocks (RFC 3550 6.4.1): the sender sends but receives nothing to report on. */
function srBytes(info: SenderReportInfo): Uint8Array {
  const out = new Uint8Array(SR_BYTES);
  const view = new DataView(out.buffer);
  const ntp = ntpTimestamp(info.unixMs);
  writeHeader(view, 0, 0, RtcpPacketType.SenderReport, SR_BYTES); // RC = 0
  view.setUint32(4, info.ssrc); // SSRC of sender
  view.setUint32(8, ntp.seconds); // NTP timestamp, most significant word
  view.setUint32(12, ntp.fraction); // NTP timestamp, least significant word
  view.setUint32(16, info.rtpTimestamp); // RTP timestamp
  view.setUint32(20, info.packetCount % TWO_POW_32); // sender's packet count
  view.setUint32(24, info.octetCount % TWO_POW_32); // sender's octet count
  return out;
}

/**
 * SDES with one chunk holding the CNAME (RFC 3550 6.5): "The list of items in each chunk MUST be
 * terminated by one or more null octets ... followed by null octets to the next 32-bit boundary",
 * so the chunk gets 1..4 null octets.
 */
function sdesBytes(ssrc: number, cname: Uint8Array): Uint8Array {
  const items = 2 + cname.length;
  const nulls = 4 - ((4 + items) % 4);
  const bytes = HEADER_BYTES + 4 + items + nulls;
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, 1, RtcpPacketType.SourceDescription, bytes); // SC = 1
  view.setUint32(4, ssrc); // SSRC/CSRC_1
  out[8] = SDES_CNAME;
  out[9] = cname.length;
  out.set(cname, 10);
  return out;
}

/** BYE for one SSRC with an optional reason (RFC 3550 6.6), "padded with null octets to the next 32-bit boundary". */
function byeBytes(ssrc: number, reason: Uint8Array | null): Uint8Array {
  const reasonBytes = reason ? (1 + reason.length + 3) & ~3 : 0;
  const bytes = HEADER_BYTES + 4 + reasonBytes;
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, 1, RtcpPacketType.Goodbye, bytes); // SC = 1
  view.setUint32(4, ssrc);
  if (reason) {
    out[8] = reason.length;
    out.set(reason, 9);
  }
  return out;
}


/**
 * A compound RTCP packet: an SR with no report blocks (RFC 3550 6.4.1) and an SDES with the CNAME
 * (6.5.1), as 6.1 requires ("Each individual RTCP packet ... MUST contain a report packet ... [and]
 * an SDES packet containing a CNAME item"). Throws TypeError/RangeError naming a bad field.
 */
export function senderReport(info: SenderReportInfo): Uint8Array {
  const cname = checkInfo(info);
  return concatBytes([srBytes(info), sdesBytes(info.ssrc, cname)]);
}

/**
 * The compound packet that ends a session: SR, SDES CNAME, then BYE (RFC 3550 6.6; 6.1: "BYE
 * should be the last packet sent with a given SSRC/CSRC"), with an optional reason (at most 255
 * bytes of UTF-8; an empty reason is left out).
 */
export function goodbye(info: SenderReportInfo, reason?: string): Uint8Array {
  const cname = checkInfo(info);
  const why = reason === undefined || reason === '' ? null : text('reason', reason, 1);
  return concatBytes([srBytes(info), sdesBytes(info.ssrc, cname), byeBytes(info.ssrc, why)]);
}

/** The sender info of an SR (RFC 3550 6.4.1). */
export interface SenderReportFields {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpPacketSummary {
  /** 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP; other types are kept as they are. */
  packetType: number;
  /** The first SSRC: the sender of an SR, RR or APP, the first chunk of an SDES or BYE (null when SC is 0). */
  ssrc: number | null;
  /** The 5-bit count field: report blocks (RC), chunks or sources (SC), or APP's subtype. */
  count: number;
  /** The header's length field: the packet's size in 32-bit words minus one, padding included (RFC 3550 6.4.1). */
  length: number;
  /** Present when packetType is 200. */
  senderReport?: SenderReportFields;
  /** SDES: the CNAME of the first chunk, when it has one. */
  cname?: string;
  /** BYE: the reason for leaving, when one is given. */
  reason?: string;
}

/**
 * Splits a compound RTCP packet into its packets (RFC 3550 6.1 and the validity checks of A.2):
 * each has version 2, a length (in 32-bit words minus one) that stays inside the compound packet,
 * padding only on the last packet, and a body long enough for its count. Decodes SR sender info,
 * the CNAME of an SDES and the reason of a BYE. Does not insist that the first packet be an SR or
 * RR (A.2), so reduced-size RTCP (RFC 5506) parses too. Throws RtcpError naming the problem.
 */
export function parseRtcp(packet: Uint8Array): RtcpPacketSummary[] {
  if (!(packet instanceof Uint8Array)) throw new TypeError(`packet must be a Uint8Array, got ${describe(packet)}`);
  if (packet.length === 0) throw new RtcpError('an RTCP packet must hold at least one 4-byte header, got 0 bytes');
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const out: RtcpPacketSummary[] = [];
  let o = 0;
  while (o < packet.length) {
    const which = `RTCP packet ${out.length} (at byte ${o})`;
    if (o + HEADER_BYTES > packet.length) throw new RtcpError(`${which}: ${packet.length - o} bytes left, less than a 4-byte header`);
    const b0 = packet[o]!;
    const version = b0 >>> 6;
    if (version !== 2) throw new RtcpError(`${which}: version must be 2 (RFC 3550 6.4.1), got ${version}`);
    const count = b0 & 0x1f;
    const packetType = packet[o + 1]!;
    const length = view.getUint16(o + 2);
    const bytes = (length + 1) * 4;
    if (o + bytes > packet.length) {
      throw new RtcpError(`${which}: its length field says ${length} (${bytes} bytes), past the end of the ${packet.length}-byte compound packet`);
    }
    let end = o + bytes;
    if (b0 & 0x20) {
      // RFC 3550 6.4.1: "padding MUST only be added to the last individual packet".
      if (end !== packet.length) throw new RtcpError(`${which}: padding is allowed only on the last packet of a compound packet (RFC 3550 6.4.1)`);
      const pad = packet[end - 1]!;
      if (pad === 0 || pad > bytes - HEADER_BYTES) {
        throw new RtcpError(`${which}: padding count must be 1..${bytes - HEADER_BYTES} (it counts itself and stays after the header), got ${pad}`);
      }
      end -= pad;
    }
    out.push(summarize(packet, view, o, end, { packetType, count, length }, which));
    o += bytes;
  }
  return out;
}

/** The fields of one packet whose body runs from o + 4 to end (padding removed). */
function summarize(
  p: Uint8Array,
  view: DataView,
  o: number,
  end: number,
  head: { packetType: number; count: number; length: number },
  which: string,
): RtcpPacketSummary {
  const { packetType, count } = head;
  const need = (bytes: number, what: string) => {
    if (end - o < bytes) throw new RtcpError(`${which}: ${what} needs ${bytes} bytes, the packet has ${end - o}`);
  };
  const summary: RtcpPacketSummary = { ...head, ssrc: null };
  switch (packetType) {
    case RtcpPacketType.SenderReport:
      need(SR_BYTES + count * REPORT_BLOCK_BYTES, `an SR with ${count} report blocks`);
      summary.ssrc = view.getUint32(o + 4);
      summary.senderReport = {
        ntpSeconds: view.getUint32(o + 8),
        ntpFraction: view.getUint32(o + 12),
        rtpTimestamp: view.getUint32(o + 16),
        packetCount: view.getUint32(o + 20),
        octetCount: view.getUint32(o + 24),
      };
      break;
    case RtcpPacketType.ReceiverReport:
      need(8 + count * REPORT_BLOCK_BYTES, `an RR with ${count} report blocks`);
      summary.ssrc = view.getUint32(o + 4);
      break;
    case RtcpPacketType.SourceDescription: {
      let c = o + HEADER_BYTES;
      for (let chunk = 0; chunk < count; chunk++) {
        if (c + 4 > end) throw new RtcpError(`${which}: SDES chunk ${chunk} of ${count} starts past the end of the packet`);
        if (chunk === 0) summary.ssrc = view.getUint32(c);
        c += 4;
        // Items until END (type 0); the chunk then pads to the next 32-bit boundary (RFC 3550 6.5).
        for (;;) {
          if (c >= end) throw new RtcpError(`${which}: SDES chunk ${chunk} ends without its END item (RFC 3550 6.5)`);
          const type = p[c]!;
          if (type === SDES_END) break;
          if (c + 2 > end || c + 2 + p[c + 1]! > end) throw new RtcpError(`${which}: SDES item of type ${type} in chunk ${chunk} runs past the end of the packet`);
          const len = p[c + 1]!;
          if (type === SDES_CNAME && chunk === 0 && summary.cname === undefined) summary.cname = decoder.decode(p.subarray(c + 2, c + 2 + len));
          c += 2 + len;
        }
        c = o + ((c - o + 4) & ~3);
      }
      break;
    }
    case RtcpPacketType.Goodbye: {
      need(HEADER_BYTES + 4 * count, `a BYE for ${count} sources`);
      if (count > 0) summary.ssrc = view.getUint32(o + 4);
      const r = o + HEADER_BYTES + 4 * count;
      if (r < end) {
        const len = p[r]!;
        if (r + 1 + len > end) throw new RtcpError(`${which}: the BYE reason of ${len} bytes runs past the end of the packet`);
        summary.reason = decoder.decode(p.subarray(r + 1, r + 1 + len));
      }
      break;
    }
    case RtcpPacketType.ApplicationDefined:
      need(12, 'an APP packet (header, SSRC, name)');
      summary.ssrc = view.getUint32(o + 4);
      break;
    default:
      // Unknown types are kept (A.2 leaves them to the application); their first word is usually an SSRC.
      if (end - o >= 8) summary.ssrc = view.getUint32(o + 4);
  }
  return summary;
}
