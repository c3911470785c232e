/**
 * H.264 over RTP against RFC 3550 (the RTP header) and RFC 6184 (packetization-mode 1): packets
 * checked byte by byte where the bytes follow from the RFC's figures, round trips through the
 * depacketizer for random access units at and around every size boundary, loss and malformed
 * input, and a real encoder stream carried over RTP that ffmpeg decodes at its strictest.
 */
import { describe, expect, it } from 'vitest';
import { H264Encoder } from '../../../encoder/index.js';
import {
  H264Depacketizer,
  H264Packetizer,
  RTP_HEADER_BYTES,
  concatBytes,
  RtpError,
  nalUnitType,
  parseRtpPacket,
  rtpTimestamp90k,
  splitAnnexB,
} from '../../../main/rtsp/h264-rtp.js';
import { decodeWithFfmpeg } from '../../helpers/decoders.js';
import { thrown } from '../../helpers/errors.js';
import { SYNTHETIC_KINDS, prng, syntheticImage } from '../../helpers/synthetic.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const SC4 = [0, 0, 0, 1];
const SC3 = [0, 0, 1];

const concat = (parts: ArrayLike<number>[]): Uint8Array => concatBytes(parts.map((p) => Uint8Array.from(p)));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** An Annex-B stream of `nals`, each behind a 4-byte start code (the depacketizer's output form). */
function annexB4(nals: Uint8Array[]): Uint8Array {
  return concat(nals.flatMap((n) => [SC4, n]));
}

/**
 * A NAL unit of exactly `size` bytes with header byte `header` and random content that is a valid
 * NAL unit payload (7.4.1): zeros are frequent so 00 00 03 emulation sequences are common, any
 * byte 0..3 after two zeros becomes 03 (so no start code or 00 00 00 can occur inside), and the
 * last byte is not 00.
 */
function randomNal(header: number, size: number, rnd: () => number): Uint8Array {
  const nal = new Uint8Array(size);
  nal[0] = header;
  for (let i = 1; i < size; i++) {
    const r = rnd();
    nal[i] = r % 3 === 0 ? 0 : (r >>> 8) & 0xff;
    if (i >= 2 && nal[i - 2] === 0 && nal[i - 1] === 0 && nal[i]! <= 3) nal[i] = 3;
  }
  if (size > 1 && nal[size - 1] === 0) nal[size - 1] = 0x80;
  return nal;
}

interface RtpFields {
  seq: number;
  ts: number;
  marker?: boolean;
  ssrc?: number;
  pt?: number;
}

/** An RTP packet built straight from RFC 3550 Figure 1 (no CSRC, extension or padding). */
function rtp({ seq, ts, marker = false, ssrc = 0x0a0b0c0d, pt = 96 }: RtpFields, payload: ArrayLike<number>): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  const view = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = (marker ? 0x80 : 0) | pt;
  view.setUint16(2, seq);
  view.setUint32(4, ts);
  view.setUint32(8, ssrc);
  p.set(payload, 12);
  return p;
}

function expectRtpError(fn: () => unknown, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e, e.message).toBeInstanceOf(RtpError);
  expect(e.name).toBe('RtpError');
  for (const f of fragments) expect(e.message).toContain(f);
}

function expectThrows(fn: () => unknown, cls: typeof RangeError | typeof TypeError, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.constructor, e.message).toBe(cls);
  for (const f of fragments) expect(e.message).toContain(f);
}

describe('splitAnnexB (H.264 B.1)', () => {
  it('finds NAL units behind 3- and 4-byte start codes and drops zero_byte and trailing_zero_8bits', () => {
    const a = bytes(0x67, 0x42, 0x00, 0x00, 0x03, 0x00, 0x1f);
    const b = bytes(0x68, 0xce);
    const c = bytes(0x65, 0x88, 0x00, 0x00, 0x03, 0x01, 0x84);
    const stream = concat([[0, 0], SC4, a, SC3, b, [0, 0], SC4, c, [0, 0, 0]]);
    const units = splitAnnexB(stream);
    expect(units).toEqual([a, b, c]);
    // Subarrays of the input, not copies.
    expect(units[0]!.buffer).toBe(stream.buffer);
  });

  it('keeps 00 00 03 emulation prevention sequences inside a NAL unit', () => {
    const nal = bytes(0x06, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x02, 0x80);
    expect(splitAnnexB(concat([SC3, nal]))).toEqual([nal]);
  });

  it('gives [] for empty input, zeros only, and a start code with nothing after it', () => {
    expect(splitAnnexB(new Uint8Array(0))).toEqual([]);
    expect(splitAnnexB(new Uint8Array(7))).toEqual([]);
    expect(splitAnnexB(bytes(0, 0, 0, 1))).toEqual([]);
    expect(splitAnnexB(bytes(0, 0, 1, 0, 0, 1, 0x09, 0xf0))).toEqual([bytes(0x09, 0xf0)]);
  });

  it('rejects bytes other than zeros before the first start code', () => {
    expectThrows(() => splitAnnexB(bytes(0x12, 0, 0, 1, 0x65)), RangeError, 'start code', '0x12 at byte 0');
    expectThrows(() => splitAnnexB(bytes(0, 0x67, 0x42)), RangeError, '0x67 at byte 1');
    expectThrows(() => splitAnnexB('x' as unknown as Uint8Array), TypeError, 'Uint8Array', '"x"');
  });

  it('nalUnitType is the low 5 bits of the header (7.3.1)', () => {
    expect(nalUnitType(bytes(0x67))).toBe(7);
    expect(nalUnitType(bytes(0x65, 1))).toBe(5);
    expect(nalUnitType(bytes(0x9c))).toBe(28);
    expectThrows(() => nalUnitType(new Uint8Array(0)), RangeError, '0 bytes');
  });
});

describe('H264Packetizer (RFC 6184 packetization-mode 1)', () => {
  const SPS = bytes(0x67, 0x42, 0xc0, 0x1f, 0xda, 0x00, 0x00, 0x03, 0x01, 0x80);
  const PPS = bytes(0x68, 0xce, 0x3c, 0x80);
  /** An IDR slice of 3000 bytes: header 0x65 (F 0, NRI 3, type 5), then 2999 non-zero bytes. */
  const IDR = new Uint8Array(3000).map((_, i) => (i === 0 ? 0x65 : (i % 251) + 1));

  it('sends SPS+PPS as one STAP-A and an IDR as FU-A fragments, byte for byte, with the sequence wrapping', () => {
    const p = new H264Packetizer({ ssrc: 0x11223344, mtu: 1400, initialSequence: 65534 });
    expect(p.payloadType).toBe(96);
    // AUD (dropped), SPS, PPS behind a 3-byte start code, IDR, trailing zeros.
    const au = concat([SC4, [0x09, 0xf0], SC4, SPS, SC3, PPS, SC3, IDR, [0, 0]]);
    const packets = p.packetize(au, 0x01020304);
    expect(packets.map((x) => x.length)).toEqual([
      // STAP-A: RTP header 12 + STAP-A header 1 + (2 + 10) + (2 + 4)
      31,
      // FU-A: 12 + FU indicator 1 + FU header 1 + 1386 bytes (1400 - 14), twice; 2999 - 2 * 1386 = 227 left
      1400, 1400, 12 + 2 + 227,
    ]);
    const header = (seq: number, marker: boolean) => [
      0x80, // V=2, P=0, X=0, CC=0
      (marker ? 0x80 : 0) | 96, // M, PT
      seq >> 8, seq & 0xff,
      0x01, 0x02, 0x03, 0x04, // timestamp
      0x11, 0x22, 0x33, 0x44, // SSRC
    ];
    // STAP-A NAL header: F = OR of F bits (0), NRI = max NRI (3, both 0x6x) -> 0x60 | 24 = 0x78 (RFC 6184 5.7).
    expect(packets[0]).toEqual(concat([header(65534, false), [0x78, 0x00, 10], SPS, [0x00, 4], PPS]));
    // FU indicator: F and NRI of 0x65 with type 28 -> 0x60 | 28 = 0x7c; FU header S|E|R|type: 0x85, 0x05, 0x45 (5.8).
    expect(packets[1]).toEqual(concat([header(65535, false), [0x7c, 0x85], IDR.subarray(1, 1387)]));
    expect(packets[2]).toEqual(concat([header(0, false), [0x7c, 0x05], IDR.subarray(1387, 2773)]));
    expect(packets[3]).toEqual(concat([header(1, true), [0x7c, 0x45], IDR.subarray(2773)]));
    expect(p.sequence).toBe(2);
    expect(p.packetCount).toBe(4);
    // Payload octets only (RFC 3550 6.4.1): 19 + 1388 + 1388 + 229.
    expect(p.octetCount).toBe(3024);
    expect(p.sps).toEqual(SPS);
    expect(p.pps).toEqual(PPS);
  });

  it('sets the STAP-A F bit when any unit has it and NRI to the largest (RFC 6184 5.7)', () => {
    const p = new H264Packetizer({ ssrc: 1, initialSequence: 0 });
    // SPS NRI 1 (0x27), PPS NRI 1 (0x28), SEI with F=1 and NRI 0 (0x86), then a P slice with NRI 1.
    const sps = bytes(0x27, 0x42, 0x00, 0x1e), pps = bytes(0x28, 0xce), sei = bytes(0x86, 0x05, 0x80), slice = bytes(0x21, 0x9a, 0x10);
    const packets = p.packetize(annexB4([sps, pps, sei, slice]), 0);
    expect(packets).toHaveLength(2);
    expect(packets[0]![12]).toBe(0x80 | 0x20 | 24);
    expect(packets[1]!.subarray(12)).toEqual(slice);
    expect(packets.map((x) => x[1]! >> 7)).toEqual([0, 1]);
  });

  it('aggregates only what fits: greedy runs of leading non-VCL units at a 100-byte MTU', () => {
    const rnd = prng(3);
    const sps = randomNal(0x67, 50, rnd), pps = randomNal(0x68, 40, rnd), sei = randomNal(0x06, 30, rnd), idr = randomNal(0x65, 60, rnd);
    const packets = new H264Packetizer({ ssrc: 1, mtu: 100, initialSequence: 0 }).packetize(annexB4([sps, pps, sei, idr]), 0);
    // 88 payload bytes: SPS + PPS would take 1 + 52 + 42 = 95, so SPS goes alone; PPS + SEI take 1 + 42 + 32 = 75.
    expect(packets.map((x) => x[12]! & 0x1f)).toEqual([7, 24, 5]);
    expect(packets[1]!.length).toBe(12 + 75);
    for (const x of packets) expect(x.length).toBeLessThanOrEqual(100);
  });

  it('sends a NAL unit of exactly MTU - 12 bytes alone, and one byte more as two FU-As', () => {
    const rnd = prng(4);
    const p = new H264Packetizer({ ssrc: 1, mtu: 1400, initialSequence: 0 });
    const fits = randomNal(0x41, 1388, rnd);
    const single = p.packetize(annexB4([fits]), 0);
    expect(single.map((x) => x.length)).toEqual([1400]);
    expect(single[0]!.subarray(12)).toEqual(fits);
    const over = randomNal(0x41, 1389, rnd);
    const split = p.packetize(annexB4([over]), 3000);
    // 1388 payload bytes after the header: 1386 in the first fragment, 2 in the second.
    expect(split.map((x) => x.length)).toEqual([1400, 12 + 2 + 2]);
    expect(split.map((x) => x[13]! & 0xc0)).toEqual([0x80, 0x40]);
    expect(split.map((x) => x[12])).toEqual([0x40 | 28, 0x40 | 28]);
  });

  it('sends the remembered SPS and PPS ahead of an IDR that comes without them', () => {
    const p = new H264Packetizer({ ssrc: 1, initialSequence: 0 });
    const idr = bytes(0x65, 0x88, 0x84);
    // No parameter set seen yet: nothing to add.
    expect(p.packetize(annexB4([idr]), 0)).toHaveLength(1);
    expect(p.sps).toBeNull();
    p.packetize(annexB4([SPS, PPS, idr]), 3000);
    const slice = bytes(0x41, 0x9a);
    expect(p.packetize(annexB4([slice]), 6000).map((x) => x.subarray(12))).toEqual([slice]);
    const again = p.packetize(annexB4([bytes(0x09, 0x10), idr]), 9000);
    expect(again).toHaveLength(2);
    expect(again[0]!.subarray(12)).toEqual(concat([[0x78, 0, SPS.length], SPS, [0, PPS.length], PPS]));
    expect(again[1]!.subarray(12)).toEqual(idr);
    // A new SPS with the IDR but no PPS: the remembered PPS goes after the new SPS.
    const sps2 = bytes(0x67, 0x64, 0x00, 0x28, 0xac);
    const withSps = p.packetize(annexB4([sps2, idr]), 12000);
    expect(withSps[0]!.subarray(12)).toEqual(concat([[0x78, 0, sps2.length], sps2, [0, PPS.length], PPS]));
    expect(p.sps).toEqual(sps2);
  });

  it('remembers copies of the parameter sets, not views of a buffer the caller reuses', () => {
    const p = new H264Packetizer({ ssrc: 1, initialSequence: 0 });
    const au = annexB4([SPS, PPS, bytes(0x65, 0x88)]);
    p.packetize(au, 0);
    au.fill(0xee);
    expect(p.sps).toEqual(SPS);
    expect(p.pps).toEqual(PPS);
  });

  it('starts at a random sequence number when none is given (RFC 3550 5.1)', () => {
    const starts = new Set(Array.from({ length: 20 }, () => new H264Packetizer({ ssrc: 1 }).sequence));
    for (const s of starts) expect(Number.isInteger(s) && s >= 0 && s <= 65535).toBe(true);
    expect(starts.size).toBeGreaterThan(1);
  });

  it('rejects bad options and access units, naming the value', () => {
    expectThrows(() => new H264Packetizer({ ssrc: -1 }), RangeError, 'ssrc', '0 to 4294967295', 'got -1');
    expectThrows(() => new H264Packetizer({ ssrc: 2 ** 32 }), RangeError, 'ssrc', 'got 4294967296');
    expectThrows(() => new H264Packetizer({ ssrc: 1.5 }), TypeError, 'ssrc', 'got 1.5');
    expectThrows(() => new H264Packetizer({ ssrc: 1, payloadType: 128 }), RangeError, 'payloadType', '0 to 127', 'got 128');
    expectThrows(() => new H264Packetizer({ ssrc: 1, mtu: 99 }), RangeError, 'mtu', '100 to 65535', 'got 99');
    expectThrows(() => new H264Packetizer({ ssrc: 1, mtu: 65536 }), RangeError, 'mtu', 'got 65536');
    expectThrows(() => new H264Packetizer({ ssrc: 1, initialSequence: 65536 }), RangeError, 'initialSequence', 'got 65536');
    const p = new H264Packetizer({ ssrc: 1, initialSequence: 7 });
    expectThrows(() => p.packetize(new Uint8Array(0), 0), RangeError, 'at least one NAL unit', 'got 0 bytes');
    expectThrows(() => p.packetize(annexB4([bytes(0x09, 0xf0)]), 0), RangeError, 'at least one NAL unit');
    expectThrows(() => p.packetize(annexB4([bytes(0x41, 1), bytes(0x78, 1)]), 0), RangeError, 'nal_unit_type 24', 'NAL unit 1');
    expectThrows(() => p.packetize(annexB4([bytes(0x00, 1)]), 0), RangeError, 'nal_unit_type 0');
    expectThrows(() => p.packetize(annexB4([bytes(0x41, 1)]), -1), RangeError, 'rtpTimestamp', 'got -1');
    expectThrows(() => p.packetize(annexB4([bytes(0x41, 1)]), 2 ** 32), RangeError, 'rtpTimestamp');
    expectThrows(() => p.packetize([0, 0, 1, 0x41] as unknown as Uint8Array, 0), TypeError, 'accessUnit', 'Uint8Array');
    // Nothing was sent by the failed calls.
    expect(p.sequence).toBe(7);
    expect(p.packetCount).toBe(0);
  });
});

describe('rtpTimestamp90k (RFC 6184 5.1: 90 kHz)', () => {
  it('counts 90 ticks a millisecond from the base, rounded, modulo 2^32', () => {
    expect(rtpTimestamp90k(0, 1234)).toBe(1234);
    expect(rtpTimestamp90k(1_000_000, 0)).toBe(90_000);
    // 30 fps frame times rounded to microseconds still land on multiples of 3000: 33333 us * 0.09 = 2999.97.
    expect(rtpTimestamp90k(33_333, 0)).toBe(3000);
    expect(rtpTimestamp90k(66_667, 0)).toBe(6000);
    expect(rtpTimestamp90k(1_000_000, 2 ** 32 - 45_000)).toBe(45_000);
    expect(rtpTimestamp90k(-1_000_000, 0)).toBe(2 ** 32 - 90_000);
    // 13.3 hours of microseconds: 2^32 ticks later the timestamp is back at the base.
    expect(rtpTimestamp90k((2 ** 32 / 90_000) * 1e6, 5)).toBe(5);
  });

  it('rejects a non-finite time and a base outside 32 bits', () => {
    expectThrows(() => rtpTimestamp90k(NaN, 0), RangeError, 'timestampUs', 'NaN');
    expectThrows(() => rtpTimestamp90k(0, 2 ** 32), RangeError, 'base', 'got 4294967296');
  });
});

describe('parseRtpPacket (RFC 3550 5.1)', () => {
  it('reads every header field and skips CSRCs, the header extension and padding', () => {
    const packet = bytes(
      0x80 | 0x20 | 0x10 | 2, // V=2, P, X, CC=2
      0x80 | 97, // M, PT 97
      0x12, 0x34, // sequence
      0xfe, 0xdc, 0xba, 0x98, // timestamp
      0x01, 0x02, 0x03, 0x04, // SSRC
      0xa0, 0, 0, 1, 0xa0, 0, 0, 2, // CSRC x2
      0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00, // extension: profile 0xbede, 1 word (5.3.1)
      0x41, 0x9a, 0x01, 0x02, 0x03, // payload
      0x00, 0x00, 0x03, // padding, its count (3) last
    );
    const h = parseRtpPacket(packet);
    expect(h).toMatchObject({
      version: 2, padding: true, extension: true, csrcCount: 2, marker: true, payloadType: 97,
      sequence: 0x1234, timestamp: 0xfedcba98, ssrc: 0x01020304,
    });
    expect(h.payload).toEqual(bytes(0x41, 0x9a, 0x01, 0x02, 0x03));
  });

  it('throws RtpError for a short packet, another version, and CSRCs, extension or padding past the end', () => {
    const base = rtp({ seq: 1, ts: 2 }, [0x41, 0x01]);
    expectRtpError(() => parseRtpPacket(base.subarray(0, 11)), '12-byte fixed header', 'got 11 bytes');
    expectRtpError(() => parseRtpPacket(Uint8Array.from(base, (b, i) => (i === 0 ? 0x40 : b))), 'version must be 2', 'got 1');
    expectRtpError(() => parseRtpPacket(Uint8Array.from(base, (b, i) => (i === 0 ? 0x81 : b))), '1 CSRCs', '16 header bytes', 'got 14 bytes');
    expectRtpError(() => parseRtpPacket(Uint8Array.from(base, (b, i) => (i === 0 ? 0x90 : b))), 'header extension', 'past the end');
    expectRtpError(() => parseRtpPacket(concat([[0x90], base.subarray(1, 12), [0, 0, 0, 9]])), 'extension of 9 words', 'past the end');
    expectRtpError(() => parseRtpPacket(concat([[0xa0], base.subarray(1), [0]])), 'padding count must be at least 1', 'got 0');
    expectRtpError(() => parseRtpPacket(concat([[0xa0], base.subarray(1), [9]])), 'padding of 9 bytes');
  });
});

describe('H264Depacketizer: round trips', () => {
  it('gives back exactly the NAL units of random access units of many sizes, MTUs, start codes and wraps', () => {
    const rnd = prng(2024);
    const mtus = [100, 101, 576, 1400, 1500, 9000];
    let ts = 2 ** 32 - 3000 * 5;
    let checked = 0;
    for (const mtu of mtus) {
      const p = new H264Packetizer({ ssrc: 0xcafe0000 + mtu, mtu, initialSequence: 65500 });
      const d = new H264Depacketizer();
      const max = mtu - RTP_HEADER_BYTES, chunk = max - 2;
      // Sizes at and around every boundary: fits alone, one over, exact multiples of the FU-A chunk.
      const edges = [1, 2, max - 1, max, max + 1, 1 + chunk, 2 + chunk, 1 + 2 * chunk, 2 + 2 * chunk, 1 + 5 * chunk];
      for (let n = 0; n < 60; n++) {
        const size = () => {
          const r = rnd() % 4;
          return r === 0 ? edges[rnd() % edges.length]! : r === 1 ? 1 + (rnd() % 64) : r === 2 ? 1 + (rnd() % 3000) : 1 + (rnd() % 40_000);
        };
        const nals: Uint8Array[] = [];
        const sent: Uint8Array[] = [];
        if (n === 0 || rnd() % 4 === 0) nals.push(bytes(0x09, 0x10)); // AUD: dropped by the packetizer
        const idr = n === 0 || rnd() % 5 === 0;
        if (idr) {
          nals.push(randomNal(0x67, 4 + (rnd() % (n % 7 === 0 ? max : 40)), rnd), randomNal(0x68, 2 + (rnd() % 8), rnd));
          if (rnd() % 2) nals.push(randomNal(0x06, size(), rnd));
        }
        const slices = 1 + (rnd() % 4);
        for (let s = 0; s < slices; s++) nals.push(randomNal(idr ? 0x65 : 0x41 | ((rnd() % 3) << 5), size(), rnd));
        for (const nal of nals) if (nalUnitType(nal) !== 9) sent.push(nal);
        // Random start codes (3 or 4 bytes) and trailing zeros.
        const stream = concat(nals.flatMap((nal) => [rnd() % 2 ? SC3 : SC4, nal, rnd() % 3 === 0 ? [0, 0] : []]));

        const seq0 = p.sequence;
        const packets = p.packetize(stream, ts);
        // Checked in bulk (one expect per access unit): tens of thousands of packets go through here.
        const problems: string[] = [];
        let result: ReturnType<H264Depacketizer['push']> = null;
        packets.forEach((x, i) => {
          const h = parseRtpPacket(x);
          if (x.length > mtu) problems.push(`packet ${i}: ${x.length} bytes > mtu`);
          if (h.sequence !== ((seq0 + i) & 0xffff)) problems.push(`packet ${i}: sequence ${h.sequence}`);
          if (h.timestamp !== ts) problems.push(`packet ${i}: timestamp ${h.timestamp}`);
          if (h.marker !== (i === packets.length - 1)) problems.push(`packet ${i}: marker ${h.marker}`);
          const out = d.push(x);
          if (i < packets.length - 1 && out !== null) problems.push(`packet ${i}: an access unit before the last packet`);
          result = out ?? result;
        });
        expect(problems, `mtu ${mtu}, access unit ${n}`).toEqual([]);
        expect(result!.timestamp).toBe(ts);
        expect(sameBytes(result!.accessUnit, annexB4(sent)), `mtu ${mtu}, access unit ${n}: reassembled bytes`).toBe(true);
        ts = (ts + 3000) % 2 ** 32;
        checked++;
      }
      expect(d.lost).toBe(0);
      expect(d.flush()).toBeNull();
    }
    expect(checked).toBe(mtus.length * 60);
  });
});

describe('H264Depacketizer: loss, order and reserved types', () => {
  const sps = bytes(0x67, 0x42, 0xc0, 0x1f), pps = bytes(0x68, 0xce, 0x3c, 0x80);
  const stap = concat([[0x78, 0, 4], sps, [0, 4], pps]);

  it('drops an FU-A whose middle fragment is lost, keeps the rest of the access unit, counts the loss', () => {
    const d = new H264Depacketizer();
    expect(d.push(rtp({ seq: 10, ts: 900 }, stap))).toBeNull();
    expect(d.push(rtp({ seq: 11, ts: 900 }, [0x7c, 0x85, 1, 2, 3]))).toBeNull();
    // seq 12 (FU-A middle) lost
    const out = d.push(rtp({ seq: 13, ts: 900, marker: true }, [0x7c, 0x45, 7, 8]));
    expect(out).toEqual({ accessUnit: annexB4([sps, pps]), timestamp: 900 });
    expect(d.lost).toBe(1);
  });

  it('ends an access unit at the next timestamp when its marker packet is lost', () => {
    const d = new H264Depacketizer();
    const a = bytes(0x41, 0x9a, 0x01), b = bytes(0x41, 0x9b, 0x02), c = bytes(0x41, 0x9c, 0x03);
    expect(d.push(rtp({ seq: 20, ts: 1000 }, a))).toBeNull();
    // seq 21 (marker of ts 1000) lost; seq 22 starts ts 4000.
    expect(d.push(rtp({ seq: 22, ts: 4000 }, b))).toEqual({ accessUnit: annexB4([a]), timestamp: 1000 });
    expect(d.push(rtp({ seq: 23, ts: 4000, marker: true }, c))).toEqual({ accessUnit: annexB4([b, c]), timestamp: 4000 });
    expect(d.lost).toBe(1);
  });

  it('holds the second access unit when one packet completes two, for the next push or flush()', () => {
    const d = new H264Depacketizer();
    const a = bytes(0x41, 0x01), b = bytes(0x41, 0x02), c = bytes(0x41, 0x03);
    d.push(rtp({ seq: 1, ts: 100 }, a));
    // The marker packet of ts 100 is lost; seq 3 is a whole access unit of ts 200.
    expect(d.push(rtp({ seq: 3, ts: 200, marker: true }, b))).toEqual({ accessUnit: annexB4([a]), timestamp: 100 });
    expect(d.push(rtp({ seq: 4, ts: 300, marker: true }, c))).toEqual({ accessUnit: annexB4([b]), timestamp: 200 });
    expect(d.flush()).toEqual({ accessUnit: annexB4([c]), timestamp: 300 });
    expect(d.flush()).toBeNull();
  });

  it('flush() gives the incomplete access unit at the end of a stream', () => {
    const d = new H264Depacketizer();
    const a = bytes(0x41, 0x01);
    d.push(rtp({ seq: 1, ts: 100 }, a));
    d.push(rtp({ seq: 2, ts: 100 }, [0x5c, 0x81, 9, 9])); // an FU-A start that never ends
    expect(d.flush()).toEqual({ accessUnit: annexB4([a]), timestamp: 100 });
  });

  it('ignores duplicate and late packets (RFC 6184 7) and counts only gaps', () => {
    const d = new H264Depacketizer();
    const a = bytes(0x41, 0x01), b = bytes(0x41, 0x02), c = bytes(0x41, 0x03);
    d.push(rtp({ seq: 30, ts: 10 }, a));
    expect(d.push(rtp({ seq: 30, ts: 10 }, a))).toBeNull(); // duplicate
    d.push(rtp({ seq: 32, ts: 10 }, c)); // 31 missing
    expect(d.push(rtp({ seq: 31, ts: 10 }, b))).toBeNull(); // arrives late: dropped
    expect(d.push(rtp({ seq: 33, ts: 10, marker: true }, b))).toEqual({ accessUnit: annexB4([a, c, b]), timestamp: 10 });
    expect(d.lost).toBe(1);
  });

  it('follows the sequence number through 65535 -> 0 without counting a loss', () => {
    const d = new H264Depacketizer();
    d.push(rtp({ seq: 65535, ts: 5 }, [0x7c, 0x81, 0xaa]));
    const out = d.push(rtp({ seq: 0, ts: 5, marker: true }, [0x7c, 0x41, 0xbb]));
    expect(out!.accessUnit).toEqual(annexB4([bytes(0x61, 0xaa, 0xbb)]));
    expect(d.lost).toBe(0);
  });

  it('discards FU-A fragments whose start it never saw, and restarts on a new start', () => {
    const d = new H264Depacketizer();
    d.push(rtp({ seq: 1, ts: 5 }, [0x7c, 0x05, 1, 2])); // middle without a start (joined mid-NAL)
    d.push(rtp({ seq: 2, ts: 5 }, [0x7c, 0x45, 3])); // its end
    d.push(rtp({ seq: 3, ts: 5 }, [0x7c, 0x85, 4])); // start, never ended
    d.push(rtp({ seq: 4, ts: 5 }, [0x7c, 0x85, 5])); // a new start replaces it
    d.push(rtp({ seq: 5, ts: 5 }, [0x7c, 0x05])); // an empty fragment is allowed (5.8)
    const out = d.push(rtp({ seq: 6, ts: 5, marker: true }, [0x7c, 0x45, 6]));
    expect(out!.accessUnit).toEqual(annexB4([bytes(0x65, 5, 6)]));
    expect(d.lost).toBe(0);
  });

  it('drops an FU-A left open by the marker packet', () => {
    const d = new H264Depacketizer();
    d.push(rtp({ seq: 1, ts: 5 }, [0x41, 1]));
    const out = d.push(rtp({ seq: 2, ts: 5, marker: true }, [0x7c, 0x85, 4]));
    expect(out!.accessUnit).toEqual(annexB4([bytes(0x41, 1)]));
    d.push(rtp({ seq: 3, ts: 8 }, [0x7c, 0x45, 5])); // the end of that FU-A, in the next access unit: nothing to continue
    expect(d.push(rtp({ seq: 4, ts: 8, marker: true }, [0x41, 2]))!.accessUnit).toEqual(annexB4([bytes(0x41, 2)]));
  });

  it('ignores reserved payload types 0, 30 and 31 (RFC 6184 5.4: "MUST be ignored by a receiver")', () => {
    const d = new H264Depacketizer();
    expect(d.push(rtp({ seq: 1, ts: 5 }, [0x1e, 1, 2]))).toBeNull();
    expect(d.push(rtp({ seq: 2, ts: 5 }, concat([[0x78, 0, 2, 0x00, 0x11, 0, 2], [0x41, 0x22]])))).toBeNull();
    expect(d.push(rtp({ seq: 3, ts: 5 }, [0x7c, 0x9f, 1]))).toBeNull(); // an FU-A of type 31
    expect(d.push(rtp({ seq: 4, ts: 5, marker: true }, [0x1f, 1]))!.accessUnit).toEqual(annexB4([bytes(0x41, 0x22)]));
  });

  it('returns nothing for a marker that ends an access unit with no NAL unit left', () => {
    const d = new H264Depacketizer();
    expect(d.push(rtp({ seq: 1, ts: 5, marker: true }, [0x00, 1]))).toBeNull();
    expect(d.flush()).toBeNull();
  });
});

describe('H264Depacketizer: malformed packets throw RtpError', () => {
  const cases: [string, Uint8Array, string[]][] = [
    ['a short packet', bytes(0x80, 96, 0, 1), ['fixed header']],
    ['an empty payload', rtp({ seq: 1, ts: 0 }, []), ['1-byte NAL unit header', 'got 0 bytes']],
    ['an STAP-A with no unit', rtp({ seq: 1, ts: 0 }, [0x78]), ['no aggregation unit']],
    ['an STAP-A ending inside a size', rtp({ seq: 1, ts: 0 }, [0x78, 0, 2, 0x67, 1, 0]), ['inside the size of aggregation unit 1']],
    ['an STAP-A unit of size 0', rtp({ seq: 1, ts: 0 }, [0x78, 0, 0]), ['size 0']],
    ['an STAP-A unit past the end', rtp({ seq: 1, ts: 0 }, [0x78, 0, 9, 0x67, 1]), ['9 bytes runs past the end']],
    ['a nested STAP-A', rtp({ seq: 1, ts: 0 }, [0x78, 0, 2, 0x7c, 0x85]), ['MUST NOT be nested']],
    ['an FU-A of one byte', rtp({ seq: 1, ts: 0 }, [0x7c]), ['FU indicator and FU header', 'got 1 byte']],
    ['an FU-A with S and E', rtp({ seq: 1, ts: 0 }, [0x7c, 0xc5, 1]), ['both the Start and End bits']],
    ['an FU-A of an STAP', rtp({ seq: 1, ts: 0 }, [0x7c, 0x98, 1]), ['type 24', 'MUST NOT be fragmented']],
    ['an STAP-B', rtp({ seq: 1, ts: 0 }, [0x79, 0, 0]), ['STAP-B', 'not allowed']],
    ['an MTAP16', rtp({ seq: 1, ts: 0 }, [0x7a, 0, 0]), ['MTAP16']],
    ['an MTAP24', rtp({ seq: 1, ts: 0 }, [0x7b, 0, 0]), ['MTAP24']],
    ['an FU-B', rtp({ seq: 1, ts: 0 }, [0x7d, 0x85, 0, 0]), ['FU-B']],
  ];
  for (const [what, packet, fragments] of cases) {
    it(`${what}`, () => {
      const d = new H264Depacketizer();
      expectRtpError(() => d.push(packet), ...fragments);
      // The depacketizer carries on with the next good packet.
      expect(d.push(rtp({ seq: 2, ts: 0, marker: true }, [0x41, 1]))!.accessUnit).toEqual(annexB4([bytes(0x41, 1)]));
    });
  }

  it('a packet of another SSRC', () => {
    const d = new H264Depacketizer();
    d.push(rtp({ seq: 1, ts: 0, ssrc: 7 }, [0x41, 1]));
    expectRtpError(() => d.push(rtp({ seq: 2, ts: 0, ssrc: 8 }, [0x41, 1])), 'SSRC 8', 'SSRC 7');
  });

  it('an FU-A fragment of another NAL unit type than the one it continues', () => {
    const d = new H264Depacketizer();
    d.push(rtp({ seq: 1, ts: 0 }, [0x7c, 0x85, 1]));
    expectRtpError(() => d.push(rtp({ seq: 2, ts: 0 }, [0x7c, 0x41, 2])), 'header 0x61', 'header 0x65');
  });

  it('random and mutated packets give access units or RtpError, never another error', () => {
    const rnd = prng(99);
    const p = new H264Packetizer({ ssrc: 5, mtu: 200, initialSequence: 0 });
    const good: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      good.push(...p.packetize(annexB4([randomNal(0x67, 12, rnd), randomNal(0x68, 4, rnd), randomNal(0x65, 1 + (rnd() % 900), rnd)]), i * 3000));
    }
    let rtpErrors = 0, units = 0;
    const feed = (d: H264Depacketizer, packet: Uint8Array) => {
      try {
        if (d.push(packet)) units++;
      } catch (e) {
        expect(e, (e as Error).message).toBeInstanceOf(RtpError);
        rtpErrors++;
      }
    };
    const d = new H264Depacketizer();
    for (let n = 0; n < 4000; n++) {
      const src = good[rnd() % good.length]!;
      const m = src.slice(0, rnd() % 4 === 0 ? rnd() % (src.length + 1) : src.length);
      // Mutate bytes, mostly in the RTP and payload headers, but keep the SSRC so the stream goes on.
      for (let k = 0; k < 1 + (rnd() % 4); k++) {
        const at = rnd() % 3 === 0 ? 12 + (rnd() % 4) : rnd() % Math.max(1, m.length);
        if (at < m.length && (at < 8 || at > 11)) m[at] = rnd() & 0xff;
      }
      feed(d, m);
    }
    for (let n = 0; n < 2000; n++) {
      const random = Uint8Array.from({ length: rnd() % 48 }, () => rnd() & 0xff);
      if (random.length > 0 && rnd() % 2) random[0] = 0x80 | (random[0]! & 0x3f);
      feed(new H264Depacketizer(), random);
    }
    expect(rtpErrors).toBeGreaterThan(100);
    expect(units).toBeGreaterThan(0);
  });
});

describe('H.264 RTP with the real encoder', () => {
  const W = 160, H = 120, N = 14, GOP = 5;

  /** The encoder's access units for N frames of changing synthetic content, and which are IDR. */
  function encode(): { units: Uint8Array[]; keyframes: boolean[] } {
    const enc = new H264Encoder(W, H, { gop: GOP });
    const units: Uint8Array[] = [], keyframes: boolean[] = [];
    for (let i = 0; i < N; i++) {
      units.push(enc.encode(syntheticImage(SYNTHETIC_KINDS[i % SYNTHETIC_KINDS.length]!, W, H, i + 1)));
      keyframes.push(enc.keyframe());
    }
    enc.close();
    return { units, keyframes };
  }

  it('carries a real stream over RTP: byte-identical access units, and ffmpeg decodes every frame', async () => {
    const { units, keyframes } = encode();
    expect(keyframes.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    let decodedStream: Uint8Array | null = null;
    for (const mtu of [100, 1400, 9000]) {
      const p = new H264Packetizer({ ssrc: 0x5eed, mtu, initialSequence: 65530 });
      const d = new H264Depacketizer();
      const out: Uint8Array[] = [];
      let fragments = 0;
      units.forEach((au, i) => {
        const packets = p.packetize(au, rtpTimestamp90k((i * 1e6) / 30, 1000));
        for (const x of packets) {
          expect(x.length).toBeLessThanOrEqual(mtu);
          if ((x[12]! & 0x1f) === 28) fragments++;
          const r = d.push(x);
          if (r) out.push(r.accessUnit);
        }
      });
      expect(fragments, `mtu ${mtu}: some NAL units are fragmented`).toBeGreaterThan(0);
      expect(d.lost).toBe(0);
      // The encoder writes 4-byte start codes and no AUD, so the reassembly is the encoder's bytes.
      expect(out).toEqual(units);
      if (mtu === 1400) decodedStream = concat(out);
    }
    const decoded = await decodeWithFfmpeg(decodedStream!, { width: W, height: H, expectedFrames: N });
    expect(decoded.frames).toHaveLength(N);
  });

  it('puts the parameter sets back in front of IDRs sent without them, so a client can join at any IDR', async () => {
    const { units, keyframes } = encode();
    const [sps, pps] = splitAnnexB(units[0]!);
    expect([nalUnitType(sps!), nalUnitType(pps!)]).toEqual([7, 8]);
    // An encoder that sends SPS and PPS once: strip them from every later IDR.
    const stripped = units.map((au, i) => (i > 0 && keyframes[i] ? annexB4(splitAnnexB(au).filter((n) => nalUnitType(n) !== 7 && nalUnitType(n) !== 8)) : au));
    const p = new H264Packetizer({ ssrc: 9, initialSequence: 0 });
    const packetsByAu = stripped.map((au, i) => p.packetize(au, i * 3000));
    const laterIdrs = keyframes.map((k, i) => (k && i > 0 ? i : -1)).filter((i) => i > 0);
    expect(laterIdrs.length).toBeGreaterThanOrEqual(2);
    for (const i of laterIdrs) {
      // First packet of the IDR: an STAP-A holding exactly the SPS and PPS.
      expect(packetsByAu[i]![0]!.subarray(12)).toEqual(concat([[0x78 | (sps![0]! & 0x80), 0, sps!.length], sps!, [0, pps!.length], pps!]));
    }
    // A client joining at the second IDR: packets from there on, through a fresh depacketizer.
    const join = laterIdrs[0]!;
    const d = new H264Depacketizer();
    const out: Uint8Array[] = [];
    for (const packets of packetsByAu.slice(join)) for (const x of packets) {
      const r = d.push(x);
      if (r) out.push(r.accessUnit);
    }
    expect(out).toEqual(units.slice(join));
    const decoded = await decodeWithFfmpeg(concat(out), { width: W, height: H, expectedFrames: N - join });
    expect(decoded.frames).toHaveLength(N - join);
  });
});
