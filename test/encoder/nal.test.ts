/**
 * nalUnit() against H.264 (08/2021) 7.3.1 / 7.4.1 (emulation prevention) and B.1.1 (start code).
 * The decoder side is written here from the nal_unit() syntax: scanning the NAL unit, whenever the
 * next 24 bits are 0x000003, two zero bytes go to the RBSP and the emulation_prevention_three_byte is
 * dropped.
 */
import { describe, expect, it } from 'vitest';
import { NalUnitType, nalUnit } from '../../encoder/common/nal.js';
import { prng } from '../helpers/synthetic.js';

const START_CODE = [0, 0, 0, 1];

/** nal_unit() — 7.3.1, from the byte after the header: rbsp_byte / emulation_prevention_three_byte. */
function unescape(body: Uint8Array): number[] {
  const rbsp: number[] = [];
  let i = 0;
  while (i < body.length) {
    if (i + 2 < body.length && body[i] === 0 && body[i + 1] === 0 && body[i + 2] === 3) {
      rbsp.push(0, 0); // rbsp_byte[i++], rbsp_byte[i++]
      i += 3; // emulation_prevention_three_byte
    } else {
      rbsp.push(body[i]!);
      i++;
    }
  }
  return rbsp;
}

/** The NAL unit minus start code and header byte. */
function body(unit: Uint8Array): Uint8Array {
  return unit.subarray(5);
}

function escaped(payload: number[]): number[] {
  const unit = nalUnit(1, NalUnitType.Slice, Uint8Array.from(payload));
  expect([...unit.subarray(0, 4)]).toEqual(START_CODE);
  return [...body(unit)];
}

describe('nal_unit header — 7.3.1', () => {
  it.each([NalUnitType.Slice, NalUnitType.Idr, NalUnitType.Sei, NalUnitType.Sps, NalUnitType.Pps, NalUnitType.Aud])(
    'type %i: start code, forbidden_zero_bit 0, nal_ref_idc, nal_unit_type', (type) => {
      for (let refIdc = 0; refIdc < 4; refIdc++) {
        const unit = nalUnit(refIdc, type, Uint8Array.of(0x80));
        expect([...unit]).toEqual([...START_CODE, refIdc * 32 + type, 0x80]);
        const h = unit[4]!;
        expect(h >> 7).toBe(0); // forbidden_zero_bit f(1)
        expect((h >> 5) & 3).toBe(refIdc); // nal_ref_idc u(2)
        expect(h & 31).toBe(type); // nal_unit_type u(5)
      }
    });

  it('keeps the spec numbers of Table 7-1', () => {
    expect([NalUnitType.Slice, NalUnitType.Idr, NalUnitType.Sei, NalUnitType.Sps, NalUnitType.Pps, NalUnitType.Aud])
      .toEqual([1, 5, 6, 7, 8, 9]);
  });
});

describe('emulation prevention — 7.4.1', () => {
  it.each([
    // [payload, NAL unit body]
    [[0x00, 0x00, 0x00, 0x80], [0x00, 0x00, 0x03, 0x00, 0x80]],
    [[0x00, 0x00, 0x01, 0x80], [0x00, 0x00, 0x03, 0x01, 0x80]],
    [[0x00, 0x00, 0x02, 0x80], [0x00, 0x00, 0x03, 0x02, 0x80]],
    [[0x00, 0x00, 0x03, 0x80], [0x00, 0x00, 0x03, 0x03, 0x80]],
    // 0x04 and above need no escape; nor does a single zero, nor two zeros followed by a big byte.
    [[0x00, 0x00, 0x04, 0x80], [0x00, 0x00, 0x04, 0x80]],
    [[0x00, 0x00, 0xff, 0x80], [0x00, 0x00, 0xff, 0x80]],
    [[0x00, 0x01, 0x00, 0x02], [0x00, 0x01, 0x00, 0x02]],
    [[0x01, 0x00, 0x00, 0x80], [0x01, 0x00, 0x00, 0x80]],
  ])('%j -> %j', (payload, expected) => {
    expect(escaped(payload)).toEqual(expected);
  });

  it('escapes a pattern at the very start of the payload (just after the header byte)', () => {
    expect(escaped([0x00, 0x00, 0x01, 0xaa])).toEqual([0x00, 0x00, 0x03, 0x01, 0xaa]);
  });

  it('escapes a pattern at the very end of the payload', () => {
    expect(escaped([0xaa, 0x00, 0x00, 0x03])).toEqual([0xaa, 0x00, 0x00, 0x03, 0x03]);
    expect(escaped([0xaa, 0x00, 0x00, 0x01])).toEqual([0xaa, 0x00, 0x00, 0x03, 0x01]);
  });

  it('consecutive patterns: the count of zeros restarts after each inserted byte', () => {
    // 00 00 | 00 00 | 00: an escape before the 3rd and the 5th zero.
    expect(escaped([0, 0, 0, 0, 0, 0x80])).toEqual([0, 0, 3, 0, 0, 3, 0, 0x80]);
    expect(escaped([0, 0, 0, 0, 0x80])).toEqual([0, 0, 3, 0, 0, 0x80]);
    expect(escaped([0, 0, 3, 0, 0, 3, 0x80])).toEqual([0, 0, 3, 3, 0, 0, 3, 3, 0x80]);
    expect(escaped([0, 0, 1, 0, 0, 2, 0, 0, 0, 1])).toEqual([0, 0, 3, 1, 0, 0, 3, 2, 0, 0, 3, 0, 1]);
  });

  it('an all-zero payload stays within the writer\'s worst-case size', () => {
    const payload = new Array<number>(1001).fill(0);
    payload.push(0x80);
    const out = escaped(payload);
    expect(unescape(Uint8Array.from(out))).toEqual(payload);
    expect(out.length).toBe(payload.length + 500); // one escape per two zeros after the first two
  });

  it('an empty payload gives the start code and header only', () => {
    expect([...nalUnit(3, NalUnitType.Sps, new Uint8Array(0))]).toEqual([...START_CODE, 0x67]);
  });

  it('random payloads: unescaping gives the payload back and no forbidden sequence remains', () => {
    const rnd = prng(21);
    const violations: string[] = [];
    for (let trial = 0; trial < 2000; trial++) {
      const len = 1 + (rnd() % 64);
      const payload: number[] = [];
      for (let i = 0; i < len - 1; i++) {
        // Heavy on zeros and bytes 1..3 so that patterns are frequent.
        const r = rnd() % 8;
        payload.push(r < 4 ? 0 : r < 7 ? 1 + (rnd() % 3) : rnd() & 0xff);
      }
      // An RBSP ends in rbsp_stop_one_bit (7.3.2.11), so its last byte is not zero.
      payload.push(1 + (rnd() % 255));
      const out = nalUnit(1, NalUnitType.Slice, Uint8Array.from(payload)).subarray(5);
      expect(unescape(out)).toEqual(payload);
      for (let i = 0; i + 2 < out.length; i++) {
        if (out[i] !== 0 || out[i + 1] !== 0) continue;
        // 7.4.1: 0x000000, 0x000001, 0x000002 shall not occur at any byte-aligned position,
        // and 0x000003 only as an emulation prevention byte, followed by 0x00..0x03.
        if (out[i + 2]! < 3 || (out[i + 2] === 3 && !(i + 3 < out.length && out[i + 3]! <= 3))) {
          violations.push(`payload ${JSON.stringify(payload)}: 00 00 ${out[i + 2]} at ${i}`);
        }
      }
      expect(out[out.length - 1]).not.toBe(0); // 7.4.1: the last byte shall not be 0x00
      // Minimal: exactly one inserted byte per 00 00 followed by 00..03 in the payload (counting
      // zeros again from the inserted byte).
      let inserted = 0, zeros = 0;
      for (const b of payload) {
        if (zeros >= 2 && b <= 3) { inserted++; zeros = 0; }
        zeros = b === 0 ? zeros + 1 : 0;
      }
      expect(out.length).toBe(payload.length + inserted);
    }
    expect(violations).toEqual([]);
  });
});
