/**
 * RTCP (RFC 3550 6) against the RFC's packet figures: NTP timestamps, the SR + SDES (+ BYE)
 * compound packets field by field, and the parser on our packets, hand-built receiver reports and
 * malformed input.
 */
import { describe, expect, it } from 'vitest';
import {
  NTP_UNIX_OFFSET_SECONDS,
  RtcpError,
  type SenderReportInfo,
  goodbye,
  ntpTimestamp,
  parseRtcp,
  senderReport,
} from '../../../main/rtsp/rtcp.js';
import { thrown } from '../../helpers/errors.js';
import { prng } from '../../helpers/synthetic.js';

function expectRtcpError(fn: () => unknown, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e, e.message).toBeInstanceOf(RtcpError);
  for (const f of fragments) expect(e.message).toContain(f);
}

function expectThrows(fn: () => unknown, cls: typeof RangeError | typeof TypeError, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.constructor, e.message).toBe(cls);
  for (const f of fragments) expect(e.message).toContain(f);
}

const word = (p: Uint8Array, at: number) => new DataView(p.buffer, p.byteOffset).getUint32(at);

/** 2023-11-14 22:13:20.500 UTC: 1 700 000 000 s after the Unix epoch, plus half a second. */
const INFO: SenderReportInfo = {
  ssrc: 0x12345678,
  unixMs: 1_700_000_000_500,
  rtpTimestamp: 0xdeadbeef,
  packetCount: 5,
  octetCount: 1000,
  cname: 'studio@host', // 11 bytes
};

describe('ntpTimestamp (RFC 3550 4)', () => {
  it('counts seconds from 1900 and the fraction in 1/2^32 s', () => {
    expect(NTP_UNIX_OFFSET_SECONDS).toBe(2_208_988_800); // 70 years with 17 leap days: (70 * 365 + 17) * 86400
    expect(ntpTimestamp(0)).toEqual({ seconds: 0x83aa7e80, fraction: 0 }); // 2208988800 = 0x83AA7E80
    expect(ntpTimestamp(1500)).toEqual({ seconds: 0x83aa7e81, fraction: 0x8000_0000 });
    expect(ntpTimestamp(250)).toEqual({ seconds: 0x83aa7e80, fraction: 0x4000_0000 });
    // 1 ms = 2^32 / 1000 = 4294967.296 -> 4294967.
    expect(ntpTimestamp(1)).toEqual({ seconds: 0x83aa7e80, fraction: 4_294_967 });
    // 1700000000 + 2208988800 = 3908988800 = 0xE8FE6F80.
    expect(ntpTimestamp(INFO.unixMs)).toEqual({ seconds: 0xe8fe6f80, fraction: 0x8000_0000 });
  });

  it('carries a fraction that rounds up to a whole second, and wraps in 2036', () => {
    expect(ntpTimestamp(999.9999999999)).toEqual({ seconds: 0x83aa7e81, fraction: 0 });
    // 2^32 - 2208988800 = 2085978496 s after 1970 is 2036-02-07 06:28:16 UTC, NTP era 1 second 0.
    expect(ntpTimestamp(2_085_978_496_000)).toEqual({ seconds: 0, fraction: 0 });
    expect(ntpTimestamp(2_085_978_497_500)).toEqual({ seconds: 1, fraction: 0x8000_0000 });
  });

  it('rejects non-finite times and times before 1900', () => {
    expectThrows(() => ntpTimestamp(NaN), RangeError, 'unixMs', 'NaN');
    expectThrows(() => ntpTimestamp(-2_208_988_800_001), RangeError, 'NTP epoch', '-2208988800001');
  });
});

describe('senderReport (RFC 3550 6.4.1 SR + 6.5 SDES)', () => {
  it('writes an SR with no report blocks, then an SDES with the CNAME, field by field', () => {
    const p = senderReport(INFO);
    // SR: 4 header + 4 SSRC + 20 sender info = 28 bytes = 7 words -> length 6.
    // SDES: 4 header + 4 SSRC + CNAME item (1 type + 1 length + 11) = 21, + 3 null octets = 24 = 6 words -> length 5.
    expect(p.length).toBe(28 + 24);
    expect([...p.subarray(0, 4)]).toEqual([0x80, 200, 0, 6]); // V=2 P=0 RC=0, PT=SR, length 6
    expect(word(p, 4)).toBe(0x12345678); // SSRC of sender
    expect(word(p, 8)).toBe(0xe8fe6f80); // NTP seconds
    expect(word(p, 12)).toBe(0x8000_0000); // NTP fraction: .5 s
    expect(word(p, 16)).toBe(0xdeadbeef); // RTP timestamp
    expect(word(p, 20)).toBe(5); // sender's packet count
    expect(word(p, 24)).toBe(1000); // sender's octet count
    const sdes = p.subarray(28);
    expect([...sdes.subarray(0, 4)]).toEqual([0x81, 202, 0, 5]); // V=2 P=0 SC=1, PT=SDES, length 5
    expect(word(sdes, 4)).toBe(0x12345678);
    expect([...sdes.subarray(8)]).toEqual([1, 11, ...Buffer.from('studio@host'), 0, 0, 0]); // CNAME, END + padding
  });

  it('terminates the CNAME list with 1 to 4 null octets, to a 32-bit boundary', () => {
    // Item bytes 2 + n after the 8-byte header+SSRC: n = 2 -> 4 nulls ... n = 5 -> 1 null.
    for (const [cname, nulls] of [['ab', 4], ['abc', 3], ['abcd', 2], ['abcde', 1]] as const) {
      const sdes = senderReport({ ...INFO, cname }).subarray(28);
      expect(sdes.length % 4).toBe(0);
      expect(sdes.length).toBe(8 + 2 + cname.length + nulls);
      expect(sdes.subarray(10 + cname.length).every((b) => b === 0)).toBe(true);
      expect(sdes[3]).toBe(sdes.length / 4 - 1);
    }
  });

  it('encodes the CNAME as UTF-8 and writes the counts modulo 2^32 (they wrap, 6.4.1)', () => {
    const p = senderReport({ ...INFO, cname: 'café@h', packetCount: 2 ** 32 + 7, octetCount: 2 ** 40 + 3 });
    expect(word(p, 20)).toBe(7);
    expect(word(p, 24)).toBe(3);
    expect(p[28 + 9]).toBe(7); // 'é' is two bytes
    expect(parseRtcp(p)[1]!.cname).toBe('café@h');
  });

  it('rejects a bad field, naming it', () => {
    expectThrows(() => senderReport({ ...INFO, ssrc: 2 ** 32 }), RangeError, 'ssrc', '4294967296');
    expectThrows(() => senderReport({ ...INFO, rtpTimestamp: -1 }), RangeError, 'rtpTimestamp', '-1');
    expectThrows(() => senderReport({ ...INFO, packetCount: 1.5 }), TypeError, 'packetCount', '1.5');
    expectThrows(() => senderReport({ ...INFO, cname: '' }), RangeError, 'cname', '1..255 bytes', 'got 0 bytes');
    expectThrows(() => senderReport({ ...INFO, cname: 'x'.repeat(256) }), RangeError, 'cname', 'got 256 bytes');
    expectThrows(() => senderReport({ ...INFO, unixMs: Infinity }), RangeError, 'unixMs');
  });
});

describe('goodbye (RFC 3550 6.6)', () => {
  it('appends a BYE with the reason, padded to 32 bits, as the last packet', () => {
    const p = goodbye(INFO, 'stream ended'); // 12 bytes: 1 + 12 = 13 -> padded to 16
    const bye = p.subarray(28 + 24);
    // 4 header + 4 SSRC + 16 = 24 bytes -> length 5.
    expect([...bye.subarray(0, 4)]).toEqual([0x81, 203, 0, 5]);
    expect(word(bye, 4)).toBe(0x12345678);
    expect([...bye.subarray(8)]).toEqual([12, ...Buffer.from('stream ended'), 0, 0, 0]);
    expect(p.subarray(0, 52)).toEqual(senderReport(INFO));
  });

  it('leaves the reason out when there is none: BYE of 8 bytes, length 1', () => {
    for (const p of [goodbye(INFO), goodbye(INFO, '')]) {
      expect(p.length).toBe(52 + 8);
      expect([...p.subarray(52)]).toEqual([0x81, 203, 0, 1, 0x12, 0x34, 0x56, 0x78]);
    }
    // A reason of 3 bytes fills its word exactly: no padding.
    expect(goodbye(INFO, 'end').length).toBe(52 + 12);
    expectThrows(() => goodbye(INFO, 'é'.repeat(128)), RangeError, 'reason', 'got 256 bytes');
  });
});

describe('parseRtcp (RFC 3550 6.1, A.2)', () => {
  it('splits our compound packets and decodes the SR, CNAME and reason', () => {
    expect(parseRtcp(goodbye(INFO, 'stream ended'))).toEqual([
      {
        packetType: 200, ssrc: 0x12345678, count: 0, length: 6,
        senderReport: { ntpSeconds: 0xe8fe6f80, ntpFraction: 0x8000_0000, rtpTimestamp: 0xdeadbeef, packetCount: 5, octetCount: 1000 },
      },
      { packetType: 202, ssrc: 0x12345678, count: 1, length: 5, cname: 'studio@host' },
      { packetType: 203, ssrc: 0x12345678, count: 1, length: 5, reason: 'stream ended' },
    ]);
  });

  it('reads a receiver report with a report block, a padded APP packet, and unknown types', () => {
    const rr = [
      0x81, 201, 0, 7, // V=2 RC=1, RR, (8 + 24) / 4 - 1 = 7
      0xaa, 0xbb, 0xcc, 0xdd, // reporter SSRC
      0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0, 0, 0x10, 0x00, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, // report block
    ];
    const fb = [0x81, 205, 0, 2, 0, 0, 0, 9, 0, 0, 0, 10]; // generic NACK-like transport feedback (RFC 4585), kept as is
    // APP with subtype 3, name "test", 4 data bytes, then 4 bytes of padding (P set, count 4 last).
    const app = [0xa3, 204, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd, 0x74, 0x65, 0x73, 0x74, 1, 2, 3, 4, 0, 0, 0, 4];
    expect(parseRtcp(Uint8Array.from([...rr, ...fb, ...app]))).toEqual([
      { packetType: 201, ssrc: 0xaabbccdd, count: 1, length: 7 },
      { packetType: 205, ssrc: 9, count: 1, length: 2 },
      { packetType: 204, ssrc: 0xaabbccdd, count: 3, length: 4 },
    ]);
  });

  it('takes an SDES with several chunks and a BYE for two sources without a reason', () => {
    const sdes = [
      0x82, 202, 0, 5, // SC=2, (4 + 12 + 8) / 4 - 1 = 5
      0, 0, 0, 1, 1, 2, 0x61, 0x62, 0, 0, 0, 0, // chunk 1: SSRC 1, CNAME "ab", END + 3 null octets
      0, 0, 0, 2, 2, 1, 0x78, 0, // chunk 2: SSRC 2, NAME "x", END (already on a 32-bit boundary)
    ];
    const bye = [0x82, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
    expect(parseRtcp(Uint8Array.from([...sdes, ...bye]))).toEqual([
      { packetType: 202, ssrc: 1, count: 2, length: 5, cname: 'ab' },
      { packetType: 203, ssrc: 1, count: 2, length: 2 },
    ]);
  });

  it('throws RtcpError naming the problem in malformed input', () => {
    const good = senderReport(INFO);
    const edit = (at: number, value: number, p = good) => Uint8Array.from(p, (b, i) => (i === at ? value : b));
    expectRtcpError(() => parseRtcp(new Uint8Array(0)), 'got 0 bytes');
    expectRtcpError(() => parseRtcp(good.subarray(0, 3)), '3 bytes left', '4-byte header');
    expectRtcpError(() => parseRtcp(edit(0, 0x40)), 'packet 0', 'version must be 2', 'got 1');
    expectRtcpError(() => parseRtcp(edit(28, 0xc1)), 'packet 1 (at byte 28)', 'version must be 2', 'got 3');
    expectRtcpError(() => parseRtcp(edit(3, 20)), 'length field says 20 (84 bytes)', 'past the end of the 52-byte');
    expectRtcpError(() => parseRtcp(good.subarray(0, 50)), 'past the end');
    expectRtcpError(() => parseRtcp(Uint8Array.from([...good, 0x80, 200])), '2 bytes left');
    // An SR claiming one report block in 28 bytes.
    expectRtcpError(() => parseRtcp(edit(0, 0x81)), 'an SR with 1 report blocks needs 52 bytes', 'has 28');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x80, 200, 0, 1, 0, 0, 0, 1])), 'SR with 0 report blocks needs 28 bytes');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x81, 201, 0, 1, 0, 0, 0, 1])), 'an RR with 1 report blocks needs 32 bytes');
    // Padding on the first of two packets (6.4.1), a padding count of 0, and one reaching into the header.
    expectRtcpError(() => parseRtcp(edit(0, 0xa0)), 'padding is allowed only on the last packet');
    const sdesOnly = good.subarray(28);
    expectRtcpError(() => parseRtcp(edit(0, 0xa1, sdesOnly)), 'padding count must be 1..20', 'got 0');
    expectRtcpError(() => parseRtcp(edit(23, 21, edit(0, 0xa1, sdesOnly))), 'got 21');
    // SDES: an item running past the end, a chunk without END, a chunk past the end.
    expectRtcpError(() => parseRtcp(edit(9, 40, sdesOnly)), 'SDES item of type 1', 'past the end');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 0x61, 0x62])), 'without its END item');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x82, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0])), 'SDES chunk 1 of 2');
    // BYE: more sources than fit, a reason past the end.
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x83, 203, 0, 1, 0, 0, 0, 1])), 'a BYE for 3 sources needs 16 bytes');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x81, 203, 0, 2, 0, 0, 0, 1, 9, 0x61, 0, 0])), 'reason of 9 bytes');
    expectRtcpError(() => parseRtcp(Uint8Array.from([0x80, 204, 0, 1, 0, 0, 0, 1])), 'APP packet', 'needs 12 bytes');
    expectThrows(() => parseRtcp([0x80] as unknown as Uint8Array), TypeError, 'Uint8Array');
  });

  it('random and truncated input gives summaries or RtcpError, never another error', () => {
    const rnd = prng(7);
    const good = goodbye(INFO, 'bye');
    let errors = 0;
    for (let n = 0; n < 3000; n++) {
      const p = n % 2 ? good.slice(0, rnd() % (good.length + 1)) : Uint8Array.from({ length: rnd() % 64 }, () => rnd() & 0xff);
      if (n % 2 === 0 && p.length > 0) p[0] = 0x80 | (p[0]! & 0x3f);
      for (let k = 0; k < rnd() % 3; k++) if (p.length > 0) p[rnd() % p.length] = rnd() & 0xff;
      try {
        parseRtcp(p);
      } catch (e) {
        expect(e, (e as Error).message).toBeInstanceOf(RtcpError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
