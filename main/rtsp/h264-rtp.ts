/**
 * H.264 over RTP: the RFC 3550 RTP header and the RFC 6184 payload format in packetization-mode 1
 * (non-interleaved: single NAL unit packets, STAP-A and FU-A, 6.3). Pure: bytes in, bytes out; the
 * RTSP server and client put the packets on sockets or interleave them on the RTSP connection.
 *
 *   encoder access unit (Annex-B) --splitAnnexB--> NAL units --H264Packetizer--> RTP packets
 *   RTP packets --H264Depacketizer--> access unit (Annex-B) --> decoder, recorder, tests
 */
import { randomInt } from 'node:crypto';

/** The fixed RTP header: V, P, X, CC, M, PT, sequence number, timestamp, SSRC (RFC 3550 5.1). */
export const RTP_HEADER_BYTES = 12;

/** nal_unit_type values this module treats specially (H.264 Table 7-1, RFC 6184 Table 1). */
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const STAP_A = 24;
const STAP_B = 25;
const MTAP16 = 26;
const MTAP24 = 27;
const FU_A = 28;
const FU_B = 29;

/** FU indicator + FU header in front of every fragment (RFC 6184 5.8, Figure 14). */
const FU_A_OVERHEAD = 2;
/** STAP-A NAL header (RFC 6184 5.7.1, Figure 4) and the 16-bit size of each aggregation unit (Figure 6). */
const STAP_A_HEADER = 1;
const STAP_A_UNIT_SIZE = 2;

/**
 * The largest packet: RTP interleaved on the RTSP connection carries a 16-bit length (RFC 2326
 * 10.12), and the RFC 6184 5.7 aggregation unit size is 16 bits too.
 */
const MAX_MTU = 65535;
const MIN_MTU = 100;

/**
 * A reassembled access unit larger than this is refused: far above the largest level 5.1 picture
 * (Table A-1: MaxFS 36864 macroblocks of at most 384 + a few bytes each, about 14 MB), so only a
 * broken or hostile stream of FU-As without an end reaches it.
 */
const MAX_ACCESS_UNIT_BYTES = 32 * 1024 * 1024;

const START_CODE = Uint8Array.of(0, 0, 0, 1);
const TWO_POW_32 = 0x1_0000_0000;

/** A malformed RTP packet or H.264 payload: the message says which field is wrong and what was expected. */
export class RtpError extends Error {
  override readonly name = 'RtpError';
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `a ${v.constructor.name} of ${v.length} bytes`;
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v);
}

function checkInteger(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const what = typeof v === 'number' && Number.isInteger(v) ? RangeError : TypeError;
    throw new what(`${name} must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  return v;
}

function checkBytes(name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(v)}`);
  return v;
}

/**
 * The NAL units of an Annex-B byte stream (H.264 B.1), as subarrays of `stream` without their
 * start codes. A start code is 00 00 01, optionally preceded by a zero_byte; trailing_zero_8bits
 * and the zero_byte of the next start code are cut from the end of each NAL unit, which is safe
 * because "the last byte of the NAL unit shall not be equal to 0x00" (7.4.1). Emulation
 * prevention (7.4.1) guarantees 00 00 01 never occurs inside a NAL unit. Empty input gives [].
 * Throws RangeError when something other than leading_zero_8bits (B.2) precedes the first start code.
 */
export function splitAnnexB(stream: Uint8Array): Uint8Array[] {
  checkBytes('stream', stream);
  const s = stream, n = s.length;
  const units: Uint8Array[] = [];
  let start = -1;
  const emit = (end: number) => {
    while (end > start && s[end - 1] === 0) end--;
    if (end > start) units.push(s.subarray(start, end));
  };
  let i = 0;
  while (i + 2 < n) {
    const c = s[i + 2]!;
    // A byte above 1 at i + 2 rules out a start code at i, i + 1 and i + 2 at once.
    if (c > 1) {
      i += 3;
    } else if (c === 1 && s[i] === 0 && s[i + 1] === 0) {
      if (start >= 0) emit(i);
      else checkLeadingZeros(s, i);
      start = i + 3;
      i += 3;
    } else {
      i++;
    }
  }
  if (start >= 0) emit(n);
  else checkLeadingZeros(s, n);
  return units;
}

function checkLeadingZeros(s: Uint8Array, end: number): void {
  for (let j = 0; j < end; j++) {
    if (s[j] !== 0) {
      throw new RangeError(`an Annex-B stream must start with a start code (00 00 01) after zero bytes only, got 0x${hex2(s[j]!)} at byte ${j}`);
    }
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** nal_unit_type (H.264 7.3.1): the low 5 bits of the NAL unit header. */
export function nalUnitType(nal: Uint8Array): number {
  checkBytes('nal', nal);
  if (nal.length === 0) throw new RangeError('a NAL unit must hold at least its 1-byte header, got 0 bytes');
  return nal[0]! & 0x1f;
}

/** VCL NAL units: coded slices and slice data partitions (H.264 7.4.1.2.3, nal_unit_type 1..5). */
function isVcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

/** NAL unit types a sender can put in packetization-mode 1: 1..23 (RFC 6184 Table 1 and 5.4). */
function isSendable(type: number): boolean {
  return type >= 1 && type <= 23;
}

export interface H264PacketizerOptions {
  /** Synchronization source, 32-bit unsigned (RFC 3550 5.1). */
  ssrc: number;
  /** Default 96; 0..127. */
  payloadType?: number;
  /** Largest RTP packet in bytes, header included; default 1400; 100..65535. */
  mtu?: number;
  /** 0..65535; default random, as RFC 3550 5.1 asks ("SHOULD be random (unpredictable)"). */
  initialSequence?: number;
}

/**
 * Turns access units into RTP packets (RFC 6184, packetization-mode 1). Holds the sequence number,
 * the RFC 3550 6.4.1 sender counts, and the last SPS and PPS seen so that every IDR can be joined.
 */
export class H264Packetizer {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly mtu: number;
  private seq: number;
  private packets = 0;
  private octets = 0;
  private lastSps: Uint8Array | null = null;
  private lastPps: Uint8Array | null = null;

  constructor(options: H264PacketizerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.ssrc = checkInteger('ssrc', options.ssrc, 0, TWO_POW_32 - 1);
    this.payloadType = checkInteger('payloadType', options.payloadType ?? 96, 0, 127);
    this.mtu = checkInteger('mtu', options.mtu ?? 1400, MIN_MTU, MAX_MTU);
    this.seq = options.initialSequence === undefined ? randomInt(0, 65536) : checkInteger('initialSequence', options.initialSequence, 0, 65535);
  }

  /** Sequence number the next packet will carry. */
  get sequence(): number {
    return this.seq;
  }

  /**
   * Packets sent so far (RFC 3550 6.4.1 sender's packet count). The true total: senderReport()
   * writes it modulo 2^32, the way the field wraps.
   */
  get packetCount(): number {
    return this.packets;
  }

  /** Payload octets sent so far, RTP headers excluded (RFC 3550 6.4.1 sender's octet count); the true total, as packetCount. */
  get octetCount(): number {
    return this.octets;
  }

  /** The last sequence parameter set seen (null until one is). */
  get sps(): Uint8Array | null {
    return this.lastSps;
  }

  /** The last picture parameter set seen (null until one is). */
  get pps(): Uint8Array | null {
    return this.lastPps;
  }

  /**
   * One access unit (Annex-B, as the encoder returns it) -> its RTP packets, in order, each a
   * complete packet (header + payload).
   *
   * Non-VCL NAL units ahead of the first slice (SPS, PPS, SEI) that fit one packet together go in
   * one STAP-A (RFC 6184 5.7.1); any other NAL unit that fits goes alone (5.6); a larger one goes
   * in FU-A fragments (5.8). Access unit delimiters are dropped: they carry nothing a receiver
   * needs, and the marker bit already ends the access unit. An access unit with an IDR slice but
   * no SPS or PPS gets the last ones seen, so a client can start at any IDR (RFC 6184 8.4 allows
   * repeating parameter sets in band). Throws RangeError for an access unit holding no NAL unit to
   * send, or a nal_unit_type that has no place in an RTP stream (0 and 24..31, RFC 6184 Table 1).
   */
  packetize(accessUnit: Uint8Array, rtpTimestamp: number): Uint8Array[] {
    checkBytes('accessUnit', accessUnit);
    checkInteger('rtpTimestamp', rtpTimestamp, 0, TWO_POW_32 - 1);
    const nals: Uint8Array[] = [];
    let hasIdr = false, hasSps = false, hasPps = false;
    for (const nal of splitAnnexB(accessUnit)) {
      const type = nal[0]! & 0x1f;
      if (type === NAL_AUD) continue;
      if (!isSendable(type)) {
        throw new RangeError(`nal_unit_type ${type} cannot be sent in RTP (RFC 6184 Table 1 reserves 0 and 24..31), in NAL unit ${nals.length} of the access unit`);
      }
      // Copies: the caller may reuse the access unit's buffer for the next frame.
      if (type === NAL_SPS) {
        hasSps = true;
        this.lastSps = nal.slice();
      } else if (type === NAL_PPS) {
        hasPps = true;
        this.lastPps = nal.slice();
      } else if (type === NAL_IDR) {
        hasIdr = true;
      }
      nals.push(nal);
    }
    if (nals.length === 0) {
      throw new RangeError(`an access unit must hold at least one NAL unit besides access unit delimiters, got ${accessUnit.length} bytes without one`);
    }
    if (hasIdr) this.insertParameterSets(nals, hasSps, hasPps);

    const packets: Uint8Array[] = [];
    const maxPayload = this.mtu - RTP_HEADER_BYTES;
    let firstVcl = nals.findIndex((nal) => isVcl(nal[0]! & 0x1f));
    if (firstVcl < 0) firstVcl = nals.length;
    for (let i = 0; i < nals.length;) {
      // The longest run of leading non-VCL NAL units that fits one STAP-A.
      let end = i, size = STAP_A_HEADER;
      while (end < firstVcl && size + STAP_A_UNIT_SIZE + nals[end]!.length <= maxPayload) {
        size += STAP_A_UNIT_SIZE + nals[end]!.length;
        end++;
      }
      if (end - i >= 2) {
        packets.push(this.stapA(nals.slice(i, end), size, rtpTimestamp));
        i = end;
        continue;
      }
      const nal = nals[i++]!;
      if (nal.length <= maxPayload) {
        const p = this.header(nal.length, rtpTimestamp);
        p.set(nal, RTP_HEADER_BYTES);
        packets.push(p);
      } else {
        this.fuA(nal, maxPayload, rtpTimestamp, packets);
      }
    }
    // RFC 6184 5.1: "Set for the very last packet of the access unit indicated by the RTP timestamp".
    packets[packets.length - 1]![1]! |= 0x80;
    this.packets += packets.length;
    for (const p of packets) this.octets += p.length - RTP_HEADER_BYTES;
    return packets;
  }

  /**
   * Puts the remembered SPS first and the remembered PPS right after the access unit's last SPS
   * (so the PPS follows the SPS it refers to), each only when the access unit lacks it.
   */
  private insertParameterSets(nals: Uint8Array[], hasSps: boolean, hasPps: boolean): void {
    if (!hasSps && this.lastSps) nals.unshift(this.lastSps);
    if (!hasPps && this.lastPps) {
      let at = 0;
      for (let k = 0; k < nals.length && !isVcl(nals[k]![0]! & 0x1f); k++) if ((nals[k]![0]! & 0x1f) === NAL_SPS) at = k + 1;
      nals.splice(at, 0, this.lastPps);
    }
  }

  /** A packet with its RTP header written (RFC 3550 5.1: V=2, no padding, extension or CSRC, marker clear) and room for the payload. */
  private header(payloadBytes: number, timestamp: number): Uint8Array {
    const p = new Uint8Array(RTP_HEADER_BYTES + payloadBytes);
    p[0] = 0x80; // V=2, P=0, X=0, CC=0
    p[1] = this.payloadType; // M=0 (set on the last packet later), PT
    p[2] = this.seq >>> 8;
    p[3] = this.seq & 0xff;
    p[4] = timestamp >>> 24;
    p[5] = (timestamp >>> 16) & 0xff;
    p[6] = (timestamp >>> 8) & 0xff;
    p[7] = timestamp & 0xff;
    p[8] = this.ssrc >>> 24;
    p[9] = (this.ssrc >>> 16) & 0xff;
    p[10] = (this.ssrc >>> 8) & 0xff;
    p[11] = this.ssrc & 0xff;
    this.seq = (this.seq + 1) & 0xffff; // RFC 3550 5.1: the 16-bit sequence number wraps
    return p;
  }

  /**
   * STAP-A (RFC 6184 5.7.1): "The F bit MUST be cleared if all F bits of the aggregated NAL units
   * are zero; otherwise, it MUST be set. The value of NRI MUST be the maximum of all the NAL units
   * carried in the aggregation packet" (5.7).
   */
  private stapA(units: Uint8Array[], payloadBytes: number, timestamp: number): Uint8Array {
    const p = this.header(payloadBytes, timestamp);
    let f = 0, nri = 0, o = RTP_HEADER_BYTES + STAP_A_HEADER;
    for (const nal of units) {
      f |= nal[0]! & 0x80;
      nri = Math.max(nri, nal[0]! & 0x60);
      p[o] = nal.length >>> 8;
      p[o + 1] = nal.length & 0xff;
      p.set(nal, o + STAP_A_UNIT_SIZE);
      o += STAP_A_UNIT_SIZE + nal.length;
    }
    p[RTP_HEADER_BYTES] = f | nri | STAP_A;
    return p;
  }

  /**
   * FU-A fragments (RFC 6184 5.8): the FU indicator carries F and NRI of the NAL unit header with
   * type 28, the FU header the S and E bits and the NAL unit's type; the header byte itself is not
   * sent. Fragments are as large as the MTU allows. A NAL unit that reaches here is longer than one
   * payload, so it always takes at least two fragments: S and E are never set together (5.8).
   */
  private fuA(nal: Uint8Array, maxPayload: number, timestamp: number, packets: Uint8Array[]): void {
    const indicator = (nal[0]! & 0xe0) | FU_A;
    const type = nal[0]! & 0x1f;
    const chunk = maxPayload - FU_A_OVERHEAD;
    for (let o = 1; o < nal.length; o += chunk) {
      const n = Math.min(chunk, nal.length - o);
      const p = this.header(FU_A_OVERHEAD + n, timestamp);
      p[RTP_HEADER_BYTES] = indicator;
      p[RTP_HEADER_BYTES + 1] = (o === 1 ? 0x80 : 0) | (o + n === nal.length ? 0x40 : 0) | type;
      p.set(nal.subarray(o, o + n), RTP_HEADER_BYTES + FU_A_OVERHEAD);
      packets.push(p);
    }
  }
}

/**
 * The 90 kHz RTP timestamp (RFC 6184 5.1: "A 90 kHz clock rate MUST be used") of a frame at
 * `timestampUs` microseconds, offset by `base` (RFC 3550 5.1: the initial value "SHOULD be random"),
 * modulo 2^32. Rounded to the nearest tick, so frame times rounded to whole microseconds still land
 * on exact multiples (30 fps: 33333 us -> 3000 ticks).
 */
export function rtpTimestamp90k(timestampUs: number, base: number): number {
  if (typeof timestampUs !== 'number' || !Number.isFinite(timestampUs)) {
    throw new RangeError(`timestampUs must be a finite number of microseconds, got ${describe(timestampUs)}`);
  }
  checkInteger('base', base, 0, TWO_POW_32 - 1);
  const ticks = Math.round((timestampUs * 9) / 100);
  const t = (base + ticks) % TWO_POW_32;
  return t < 0 ? t + TWO_POW_32 : t;
}

export interface RtpHeader {
  version: number;
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** The payload: after the CSRCs and any header extension, before any padding. A view into the packet. */
  payload: Uint8Array;
}

/**
 * An RTP packet's header (RFC 3550 5.1), skipping the CSRC list, a header extension (5.3.1) and
 * padding. Throws RtpError for a packet shorter than its header, a version other than 2, or a
 * CSRC list, extension or padding running past the end.
 */
export function parseRtpPacket(packet: Uint8Array): RtpHeader {
  checkBytes('packet', packet);
  const n = packet.length;
  if (n < RTP_HEADER_BYTES) throw new RtpError(`an RTP packet must hold at least the ${RTP_HEADER_BYTES}-byte fixed header (RFC 3550 5.1), got ${n} bytes`);
  const b0 = packet[0]!, b1 = packet[1]!;
  const version = b0 >>> 6;
  if (version !== 2) throw new RtpError(`RTP version must be 2 (RFC 3550 5.1), got ${version}`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + 4 * csrcCount;
  if (offset > n) throw new RtpError(`an RTP packet with ${csrcCount} CSRCs needs ${offset} header bytes, got ${n} bytes`);
  if (extension) {
    // RFC 3550 5.3.1: 16 bits defined by profile, 16-bit length in 32-bit words after these four bytes.
    if (offset + 4 > n) throw new RtpError(`the RTP header extension starts at byte ${offset}, past the end of a ${n}-byte packet`);
    const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    offset += 4 + 4 * words;
    if (offset > n) throw new RtpError(`the RTP header extension of ${words} words ends at byte ${offset}, past the end of a ${n}-byte packet`);
  }
  let end = n;
  if (padding) {
    // RFC 3550 5.1: "The last octet of the padding contains a count of how many padding octets should be ignored, including itself".
    const count = packet[n - 1]!;
    if (count === 0) throw new RtpError('the RTP padding count must be at least 1 (it counts itself, RFC 3550 5.1), got 0');
    if (count > n - offset) throw new RtpError(`the RTP padding of ${count} bytes runs into the ${offset}-byte header of a ${n}-byte packet`);
    end = n - count;
  }
  return {
    version,
    padding,
    extension,
    csrcCount,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: (packet[2]! << 8) | packet[3]!,
    timestamp: ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0,
    ssrc: ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0,
    payload: packet.subarray(offset, end),
  };
}

/** What H264Depacketizer.push() and flush() return: an access unit as Annex-B and its RTP timestamp. */
export interface DepacketizedAccessUnit {
  accessUnit: Uint8Array;
  timestamp: number;
}

/**
 * Reassembles access units from the H.264 RTP packets of one SSRC (RFC 6184 7.1, packetization
 * modes 0 and 1: single NAL unit packets, STAP-A, FU-A). Packets are expected in sequence order (RTP
 * over the RTSP connection, or UDP on a path that does not reorder): a packet older than the last
 * one is a duplicate or arrived too late, and is dropped as RFC 6184 7 asks ("duplicated or
 * outdated RTP packets ... are removed"). A gap in sequence numbers counts the missing packets
 * and discards a fragmented NAL unit it interrupts (5.8: "If a fragmentation unit is lost, the
 * receiver SHOULD discard all following fragmentation units ... corresponding to the same
 * fragmented NAL unit"); the access unit keeps its other NAL units.
 */
export class H264Depacketizer {
  private ssrc: number | null = null;
  private expected: number | null = null;
  private lostPackets = 0;
  /** NAL units (copies) of the access unit being assembled, their bytes, and its timestamp. */
  private nals: Uint8Array[] = [];
  private nalBytes = 0;
  private open = false;
  private timestamp = 0;
  /** The fragmented NAL unit being reassembled: its header byte, then the FU payloads (copies), and their bytes. */
  private fragments: Uint8Array[] | null = null;
  private fragmentBytes = 0;
  /** Access units completed and not yet returned (at most one waits after a push). */
  private readonly ready: DepacketizedAccessUnit[] = [];

  /** Packets missing by sequence number so far (gaps), duplicates and late packets not included. */
  get lost(): number {
    return this.lostPackets;
  }

  /**
   * Feeds one RTP packet. Returns an access unit as Annex-B (each NAL unit preceded by 00 00 00 01)
   * when one is complete: at the packet carrying the marker bit, or at the first packet of the next
   * timestamp when the marker packet was lost. When one packet completes two (the marker of the
   * previous access unit was lost and this packet is a whole access unit), the second is returned
   * by the next push() or by flush(). Throws RtpError for a malformed packet, a payload structure
   * packetization-mode 1 does not allow, or another SSRC; such a packet adds nothing to the access unit.
   */
  push(packet: Uint8Array): DepacketizedAccessUnit | null {
    const rtp = parseRtpPacket(packet);
    if (this.ssrc === null) this.ssrc = rtp.ssrc;
    else if (rtp.ssrc !== this.ssrc) {
      throw new RtpError(`RTP packet of SSRC ${rtp.ssrc} in a stream of SSRC ${this.ssrc}: one depacketizer takes one SSRC`);
    }
    // Parsed before any state changes, so a malformed payload leaves the depacketizer as it was.
    const payload = parsePayload(rtp.payload);

    if (this.expected !== null) {
      const gap = (rtp.sequence - this.expected) & 0xffff;
      // A distance in the upper half of the sequence space is a packet from the past (RFC 3550 A.1 uses the same split).
      if (gap >= 0x8000) return this.ready.shift() ?? null;
      if (gap > 0) {
        this.lostPackets += gap;
        this.dropFragments();
      }
    }
    this.expected = (rtp.sequence + 1) & 0xffff;

    if (this.open && rtp.timestamp !== this.timestamp) this.finish();
    this.open = true;
    this.timestamp = rtp.timestamp;

    if (payload.kind === 'nals') {
      for (const nal of payload.nals) this.addNal(nal.slice());
    } else if (payload.kind === 'fragment') {
      this.addFragment(payload);
    }
    if (rtp.marker) this.finish();
    return this.ready.shift() ?? null;
  }

  /**
   * The access unit held back, or the one being assembled (incomplete: its marker packet has not
   * come), for the end of a stream. Null when there is none.
   */
  flush(): DepacketizedAccessUnit | null {
    if (this.ready.length === 0) this.finish();
    return this.ready.shift() ?? null;
  }

  private addFragment(fu: FragmentPayload): void {
    if (fu.start) {
      // A new start while one is open: the open one lost its end (a gap in sequence numbers would have dropped it already).
      this.fragments = [Uint8Array.of(fu.header)];
      this.fragmentBytes = 1;
    } else if (this.fragments) {
      const first = this.fragments[0]![0]!;
      if ((first & 0x7f) !== (fu.header & 0x7f)) {
        this.dropFragments();
        throw new RtpError(`FU-A fragment with NAL header 0x${hex2(fu.header)} continues a fragmented NAL unit with header 0x${hex2(first)} (RFC 6184 5.8: the fragments carry the NRI and type of one NAL unit)`);
      }
    } else {
      return; // its start was lost: nothing to continue
    }
    this.fragments.push(fu.data.slice());
    this.fragmentBytes += fu.data.length;
    this.checkSize();
    if (fu.end) {
      const nal = concatBytes(this.fragments);
      this.dropFragments();
      this.addNal(nal);
    }
  }

  private dropFragments(): void {
    this.fragments = null;
    this.fragmentBytes = 0;
  }

  private addNal(nal: Uint8Array): void {
    this.nals.push(nal);
    this.nalBytes += nal.length;
    this.checkSize();
  }

  private checkSize(): void {
    const bytes = this.nalBytes + this.fragmentBytes;
    if (bytes > MAX_ACCESS_UNIT_BYTES) {
      this.nals = [];
      this.nalBytes = 0;
      this.dropFragments();
      throw new RtpError(`access unit at RTP timestamp ${this.timestamp} passed ${MAX_ACCESS_UNIT_BYTES} bytes (${bytes}) without ending; dropped`);
    }
  }

  /** Ends the access unit being assembled; a fragmented NAL unit without its end is dropped. */
  private finish(): void {
    this.dropFragments();
    if (this.nals.length > 0) {
      const parts: Uint8Array[] = [];
      for (const nal of this.nals) parts.push(START_CODE, nal);
      this.ready.push({ accessUnit: concatBytes(parts), timestamp: this.timestamp });
    }
    this.nals = [];
    this.nalBytes = 0;
    this.open = false;
  }
}

interface FragmentPayload {
  kind: 'fragment';
  start: boolean;
  end: boolean;
  /** The reconstructed NAL unit header: F and NRI from the FU indicator, the type from the FU header. */
  header: number;
  data: Uint8Array;
}

type ParsedPayload = { kind: 'nals'; nals: Uint8Array[] } | FragmentPayload | { kind: 'ignored' };

/** Reserved payload types: "MUST be ignored by a receiver" (RFC 6184 5.4). */
function isReserved(type: number): boolean {
  return type === 0 || type === 30 || type === 31;
}

/** One RTP payload of the H.264 format (RFC 6184 5.2) -> the NAL units or fragment it carries. */
function parsePayload(p: Uint8Array): ParsedPayload {
  if (p.length === 0) throw new RtpError('an H.264 RTP payload must hold at least its 1-byte NAL unit header (RFC 6184 5.2), got 0 bytes');
  const type = p[0]! & 0x1f;
  if (isReserved(type)) return { kind: 'ignored' };
  if (type <= 23) return { kind: 'nals', nals: [p] }; // single NAL unit packet (5.6)
  if (type === STAP_A) return { kind: 'nals', nals: parseStapA(p) };
  if (type === FU_A) return parseFuA(p);
  const name = type === STAP_B ? 'STAP-B' : type === MTAP16 ? 'MTAP16' : type === MTAP24 ? 'MTAP24' : type === FU_B ? 'FU-B' : `type ${type}`;
  throw new RtpError(`${name} (payload type ${type}) is not allowed in packetization-mode 0 or 1 (RFC 6184 6.3 allows single NAL unit packets, STAP-A and FU-A)`);
}

/** STAP-A (RFC 6184 5.7.1): after the header byte, aggregation units of a 16-bit size and that many NAL unit bytes. */
function parseStapA(p: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let o = STAP_A_HEADER;
  if (p.length === STAP_A_HEADER) throw new RtpError('STAP-A holds no aggregation unit; it needs at least one (RFC 6184 5.7.1)');
  while (o < p.length) {
    if (o + STAP_A_UNIT_SIZE > p.length) throw new RtpError(`STAP-A ends inside the size of aggregation unit ${nals.length} (byte ${o} of ${p.length})`);
    const size = (p[o]! << 8) | p[o + 1]!;
    o += STAP_A_UNIT_SIZE;
    // The size counts the NAL unit header (Figure 6), so 0 cannot be a NAL unit.
    if (size === 0) throw new RtpError(`STAP-A aggregation unit ${nals.length} has size 0; a NAL unit holds at least its header (RFC 6184 5.7.1)`);
    if (o + size > p.length) throw new RtpError(`STAP-A aggregation unit ${nals.length} of ${size} bytes runs past the end of the ${p.length}-byte payload`);
    const nal = p.subarray(o, o + size);
    const type = nal[0]! & 0x1f;
    if (type >= 24 && type <= 29) throw new RtpError(`STAP-A aggregation unit ${nals.length} is itself a payload structure (type ${type}); aggregation packets MUST NOT be nested (RFC 6184 5.7)`);
    if (!isReserved(type)) nals.push(nal);
    o += size;
  }
  return nals;
}

/** FU-A (RFC 6184 5.8): FU indicator, FU header (S, E, R, type), then the fragment (which MAY be empty). */
function parseFuA(p: Uint8Array): FragmentPayload | { kind: 'ignored' } {
  if (p.length < FU_A_OVERHEAD) throw new RtpError(`an FU-A needs its FU indicator and FU header (RFC 6184 5.8), got ${p.length} byte`);
  const indicator = p[0]!, fuHeader = p[1]!;
  const start = (fuHeader & 0x80) !== 0, end = (fuHeader & 0x40) !== 0;
  const type = fuHeader & 0x1f;
  if (start && end) throw new RtpError('an FU-A has both the Start and End bits set; "the Start bit and End bit MUST NOT both be set to one in the same FU header" (RFC 6184 5.8)');
  if (type >= 24 && type <= 29) throw new RtpError(`an FU-A fragments a payload structure (type ${type}); "STAPs and MTAPs MUST NOT be fragmented. FUs MUST NOT be nested" (RFC 6184 5.8)`);
  if (isReserved(type)) return { kind: 'ignored' };
  return { kind: 'fragment', start, end, header: (indicator & 0xe0) | type, data: p.subarray(FU_A_OVERHEAD) };
}

/** The bytes of `parts` one after the other, in a new array of its own (not a pooled Buffer). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const part of parts) n += part.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
