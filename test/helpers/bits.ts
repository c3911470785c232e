/** Bit-level helpers shared by the bitstream tests. */
import type { BitWriter } from '../../encoder/common/bitstream.js';

/** Everything the writer holds as a '0'/'1' string (pads a byte's worth of zero bits to read the bytes). */
export function bitsOf(w: BitWriter): string {
  const n = w.bitLength;
  if (!w.byteAligned) w.u(8 - (n & 7), 0);
  let s = '';
  for (const b of w.bytes()) s += b.toString(2).padStart(8, '0');
  return s.slice(0, n);
}
