/**
 * BitWriter / BitCounter against H.264 (08/2021) 7.2 (u(n): n bits, most significant first) and 9.1
 * (Exp-Golomb: leadingZeroBits zeros, a one, then leadingZeroBits bits of codeNum + 1 - 2^leadingZeroBits).
 * Expected codes are built here as bit strings, never with the module's own helpers.
 */
import { describe, expect, it } from 'vitest';
import { BitCounter, BitWriter, seBits, ueBits, type BitSink } from '../../encoder/common/bitstream.js';
import { prng } from '../helpers/synthetic.js';
import { bitsOf } from '../helpers/bits.js';

/** The bit string of ue(v) — 9.1: codeNum = 2^leadingZeroBits - 1 + read_bits(leadingZeroBits). */
function ueString(codeNum: number): string {
  let leadingZeroBits = 0;
  while (2 ** (leadingZeroBits + 1) - 1 <= codeNum) leadingZeroBits++;
  const info = codeNum - (2 ** leadingZeroBits - 1);
  const infoBits = leadingZeroBits === 0 ? '' : info.toString(2).padStart(leadingZeroBits, '0');
  return '0'.repeat(leadingZeroBits) + '1' + infoBits;
}

/** se(v) — 9.1.1, Table 9-3: codeNum 0, 1, 2, 3, 4 ... is 0, +1, -1, +2, -2 ... */
function seCodeNum(k: number): number {
  return k > 0 ? 2 * k - 1 : -2 * k;
}

function uString(n: number, value: number): string {
  return n === 0 ? '' : value.toString(2).padStart(n, '0');
}

type Op = { kind: 'u'; n: number; value: number } | { kind: 'ue'; value: number } | { kind: 'se'; value: number };

function randomOps(rnd: () => number, count: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd() % 10;
    if (r < 4) {
      const n = rnd() % 33;
      const value = n === 32 ? rnd() : n === 0 ? 0 : rnd() % 2 ** n;
      ops.push({ kind: 'u', n, value });
    } else if (r < 7) {
      // Mostly small codeNums, sometimes anything up to 2^32 - 2 (the largest ue(v) codeNum).
      const value = rnd() % 4 === 0 ? rnd() % (2 ** 32 - 1) : rnd() % 300;
      ops.push({ kind: 'ue', value });
    } else {
      const mag = rnd() % 4 === 0 ? rnd() % 2 ** 30 : rnd() % 200;
      ops.push({ kind: 'se', value: rnd() & 1 ? -mag : mag });
    }
  }
  return ops;
}

function apply(sink: BitSink, ops: readonly Op[]): void {
  for (const op of ops) {
    if (op.kind === 'u') sink.u(op.n, op.value);
    else if (op.kind === 'ue') sink.ue(op.value);
    else sink.se(op.value);
  }
}

function opsString(ops: readonly Op[]): string {
  return ops.map((op) => op.kind === 'u' ? uString(op.n, op.value)
    : op.kind === 'ue' ? ueString(op.value) : ueString(seCodeNum(op.value))).join('');
}

describe('ue(v) — 9.1', () => {
  it('reference construction reproduces Table 9-2 for the first codeNums', () => {
    // Table 9-2 (bit strings with their codeNum ranges), written out.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(ueString)).toEqual(
      ['1', '010', '011', '00100', '00101', '00110', '00111', '0001000', '0001001']);
  });

  it.each(Array.from({ length: 21 }, (_, k) => k))('codeNum %i', (k) => {
    const w = new BitWriter();
    w.ue(k);
    expect(bitsOf(w)).toBe(ueString(k));
    expect(ueBits(k)).toBe(ueString(k).length);
    const c = new BitCounter();
    c.ue(k);
    expect(c.bitLength).toBe(ueString(k).length);
  });

  const large = [
    254, 255, 256, 2 ** 15 - 2, 2 ** 15 - 1, 2 ** 16 - 2, 2 ** 16 - 1, 2 ** 16, 2 ** 17 + 12345,
    2 ** 24 - 1, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 3, 2 ** 32 - 2,
  ];
  it.each(large)('large codeNum %i (including 16+ leading zeros, up to 2^32 - 2)', (k) => {
    const w = new BitWriter();
    w.u(3, 0b101); // start mid-byte
    w.ue(k);
    expect(bitsOf(w)).toBe('101' + ueString(k));
    expect(ueBits(k)).toBe(ueString(k).length);
  });
});

describe('se(v) — 9.1.1', () => {
  const values = [...Array.from({ length: 41 }, (_, i) => i - 20), 1000, -1000, 2 ** 15, -(2 ** 15), 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31 - 1)];
  it.each(values)('value %i', (k) => {
    const w = new BitWriter();
    w.se(k);
    expect(bitsOf(w)).toBe(ueString(seCodeNum(k)));
    expect(seBits(k)).toBe(ueString(seCodeNum(k)).length);
  });

  it('maps 0, 1, -1, 2, -2, 3, -3 to Table 9-3 codeNums 0..6', () => {
    const w = new BitWriter();
    for (const k of [0, 1, -1, 2, -2, 3, -3]) w.se(k);
    expect(bitsOf(w)).toBe([0, 1, 2, 3, 4, 5, 6].map(ueString).join(''));
  });
});

describe('u(n) — 7.2', () => {
  it('writes most significant bit first across byte boundaries', () => {
    const w = new BitWriter();
    w.u(3, 0b101);
    w.u(7, 0b1100110);
    w.u(12, 0xabc);
    w.u(1, 1);
    w.u(32, 0xdeadbeef);
    w.u(0, 0);
    w.u(9, 0x1ff);
    w.u(16, 0x8001);
    w.u(32, 0);
    w.u(32, 0xffffffff);
    const expected = '101' + '1100110' + '101010111100' + '1' + uString(32, 0xdeadbeef) + '111111111'
      + '1000000000000001' + '0'.repeat(32) + '1'.repeat(32);
    expect(w.bitLength).toBe(expected.length);
    expect(bitsOf(w)).toBe(expected);
  });

  it('gives every n from 1 to 32 at every starting bit offset', () => {
    for (let offset = 0; offset < 8; offset++) {
      for (let n = 1; n <= 32; n++) {
        const value = n === 32 ? 0xa5c3_f00d : (0x5a5a_5a5a % 2 ** n) ^ (2 ** (n - 1));
        const w = new BitWriter(2); // tiny initial buffer: growth on the way
        w.u(offset, 0xff >> (8 - offset));
        w.u(n, value >>> 0);
        w.u(5, 0b10011);
        expect(bitsOf(w)).toBe('1'.repeat(offset) + uString(n, value >>> 0) + '10011');
      }
    }
  });

  it('the fast u() writes what the plain uRef() does, for every n, offset and stray high bits', () => {
    const rnd = prng(12);
    for (let trial = 0; trial < 200; trial++) {
      const fast = new BitWriter(1), ref = new BitWriter(1);
      for (let k = 0; k < 100; k++) {
        const n = rnd() % 33, value = rnd() | 0; // bits above n are ignored
        fast.u(n, value);
        ref.uRef(n, value);
      }
      fast.trailingBits();
      ref.trailingBits();
      expect(fast.bitLength).toBe(ref.bitLength);
      expect([...fast.bytes()]).toEqual([...ref.bytes()]);
    }
  });

  it('random sequences of u/ue/se equal their concatenated bit strings and survive buffer growth', () => {
    const rnd = prng(11);
    for (let trial = 0; trial < 30; trial++) {
      const ops = randomOps(rnd, 200);
      const w = new BitWriter(1);
      apply(w, ops);
      expect(bitsOf(w)).toBe(opsString(ops));
    }
  });
});

describe('BitWriter over a fixed buffer', () => {
  it('writes into the buffer it is given, takes bits written there by advanceTo, and refuses to grow', () => {
    const fixed = new Uint8Array(8);
    const w = new BitWriter(0, fixed);
    w.u(3, 0b101);
    expect(w.buffer).toBe(fixed);
    // Another writer (a kernel) puts 0b0110 after the first 3 bits, then the writer goes on from there.
    fixed[0]! |= 0b0110 << 1;
    w.advanceTo(7);
    w.u(2, 0b11);
    expect(() => w.advanceTo(6)).toThrow(/advanceTo: 6 bits is outside 9\.\.63/);
    expect(() => w.advanceTo(64)).toThrow(/advanceTo: 64 bits is outside 9\.\.63/);
    expect(bitsOf(w)).toBe('101011011');
    expect(() => {
      for (let i = 0; i < 3; i++) w.u(16, 0);
    }).toThrow(/do not fit its fixed 8-byte buffer/);
    // A kernel that writes past the end and gives up: clearTail() zeroes what lies after the end.
    const v = new BitWriter(0, new Uint8Array(8));
    v.u(3, 0b101);
    v.buffer[0]! |= 0b11111;
    v.buffer[1] = 0xff;
    v.buffer[7] = 0x01;
    v.clearTail();
    expect([...v.buffer]).toEqual([0b10100000, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('BitCounter', () => {
  it('counts exactly the bits BitWriter writes for random operation sequences', () => {
    const rnd = prng(12);
    for (let trial = 0; trial < 200; trial++) {
      const ops = randomOps(rnd, 1 + (rnd() % 60));
      const w = new BitWriter(), c = new BitCounter();
      apply(w, ops);
      apply(c, ops);
      expect(c.bitLength).toBe(w.bitLength);
      expect(c.bitLength).toBe(opsString(ops).length);
    }
  });

  it('reset() starts again from zero', () => {
    const c = new BitCounter();
    c.ue(100);
    c.reset();
    c.se(-3);
    expect(c.bitLength).toBe(ueString(6).length);
  });
});

describe('BitWriter.append', () => {
  it('appending any writer (aligned or not) into any writer equals writing the bits directly', () => {
    const rnd = prng(13);
    for (let trial = 0; trial < 200; trial++) {
      const headOps = randomOps(rnd, rnd() % 12);
      const tailOps = randomOps(rnd, rnd() % 40);
      // Force each of the four alignment combinations in turn.
      const headAligned = (trial & 1) === 0, tailAligned = (trial & 2) === 0;
      const pad = (ops: Op[], aligned: boolean): void => {
        const len = opsString(ops).length;
        const n = aligned ? (8 - (len & 7)) & 7 : (len & 7) === 0 ? 3 : 0;
        ops.push({ kind: 'u', n, value: n === 0 ? 0 : rnd() % 2 ** n });
      };
      pad(headOps, headAligned);
      pad(tailOps, tailAligned);

      const direct = new BitWriter();
      apply(direct, headOps);
      apply(direct, tailOps);

      const head = new BitWriter(1), tail = new BitWriter(1);
      apply(head, headOps);
      apply(tail, tailOps);
      expect(head.byteAligned).toBe(headAligned);
      expect(tail.byteAligned).toBe(tailAligned);
      head.append(tail);
      // Writing after the append must continue at the right bit, on a clean byte.
      head.u(7, 0b1011001);
      direct.u(7, 0b1011001);
      expect(head.bitLength).toBe(direct.bitLength);
      expect(bitsOf(head)).toBe(bitsOf(direct));
    }
  });

  it('appending an empty writer changes nothing', () => {
    const w = new BitWriter();
    w.u(5, 0b10110);
    w.append(new BitWriter());
    expect(bitsOf(w)).toBe('10110');
  });
});

describe('rbsp_trailing_bits() — 7.3.2.11', () => {
  it.each(Array.from({ length: 17 }, (_, k) => k))('after %i bits: a one, then zeros to the byte boundary', (k) => {
    const w = new BitWriter();
    w.u(k, k === 0 ? 0 : 2 ** k - 1);
    w.trailingBits();
    expect(w.byteAligned).toBe(true);
    const stop = '1' + '0'.repeat((8 - ((k + 1) & 7)) & 7);
    expect(bitsOf(w)).toBe('1'.repeat(k) + stop);
    expect(w.bytes().length).toBe(Math.ceil((k + 1) / 8));
  });

  it('bytes() refuses a writer that is not byte-aligned', () => {
    const w = new BitWriter();
    w.u(3, 1);
    expect(() => w.bytes()).toThrow();
  });
});

describe('BitWriter.reset', () => {
  it('a reset writer writes exactly what a fresh one does (no stale bits)', () => {
    const rnd = prng(14);
    const w = new BitWriter(4);
    for (let trial = 0; trial < 50; trial++) {
      apply(w, randomOps(rnd, 1 + (rnd() % 30)));
      w.reset();
      expect(w.bitLength).toBe(0);
      const ops = randomOps(rnd, 1 + (rnd() % 30));
      apply(w, ops);
      expect(bitsOf(w)).toBe(opsString(ops));
      w.reset();
    }
  });
});
