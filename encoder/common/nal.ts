/** NAL units in Annex-B byte stream format — 7.3.1, 7.4.1, B.1. */

export const enum NalUnitType {
  Slice = 1,
  Idr = 5,
  Sei = 6,
  Sps = 7,
  Pps = 8,
  Aud = 9,
}

/**
 * nal_unit() with emulation prevention — 7.4.1: "Within the NAL unit, the following three-byte
 * sequences shall not occur at any byte-aligned position: 0x000000, 0x000001, 0x000002", and
 * 0x000003 is escaped too so that a real 0x03 byte is not taken for an emulation_prevention_three_byte.
 * Returns the unit with a four-byte start code (zero_byte + start_code_prefix_one_3bytes, B.1.1).
 */
export function nalUnit(nalRefIdc: number, nalUnitType: NalUnitType, rbsp: Uint8Array): Uint8Array {
  // Worst case one escape byte per two payload bytes.
  const out = new Uint8Array(5 + rbsp.length + (rbsp.length >> 1) + 1);
  out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 1;
  out[4] = (nalRefIdc << 5) | nalUnitType; // forbidden_zero_bit, nal_ref_idc, nal_unit_type
  let o = 5;
  let zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i]!;
    if (zeros >= 2 && b <= 3) {
      out[o++] = 3; // emulation_prevention_three_byte
      zeros = 0;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  // 7.4.1: the last byte of a NAL unit shall not be 0x00 — rbsp_trailing_bits guarantees it.
  return out.subarray(0, o);
}

/** Concatenates NAL units into one access unit. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
