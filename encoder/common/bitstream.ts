/**
 * Bit-level output. One BitSink interface with a writer and a counter, so that mode decisions
 * count exactly the bits the writer will write (the trick of x264's rdo.c).
 */

export interface BitSink {
  /** Writes `n` bits (0..32) of `value`, most significant first: u(n) / f(n) — 7.2. */
  u(n: number, value: number): void;
  /** Unsigned Exp-Golomb ue(v) — 9.1. */
  ue(value: number): void;
  /** Signed Exp-Golomb se(v) — 9.1.1 (k > 0 maps to 2k-1, k <= 0 to -2k). */
  se(value: number): void;
  /** Bits written (or counted) so far. */
  readonly bitLength: number;
}

/** Bits of ue(v) for codeNum v: 2*floor(log2(v+1)) + 1 — 9.1. */
export function ueBits(value: number): number {
  return 2 * (31 - Math.clz32(value + 1)) + 1;
}

/** Bits of se(v). */
export function seBits(value: number): number {
  return ueBits(value > 0 ? 2 * value - 1 : -2 * value);
}

export class BitCounter implements BitSink {
  bitLength = 0;
  u(n: number): void {
    this.bitLength += n;
  }
  ue(value: number): void {
    this.bitLength += ueBits(value);
  }
  se(value: number): void {
    this.bitLength += seBits(value);
  }
  reset(): void {
    this.bitLength = 0;
  }
}

export class BitWriter implements BitSink {
  private buf: Uint8Array;
  private bytePos = 0;
  /** Bits already used in buf[bytePos] (0..7). */
  private bitPos = 0;

  /** Grows as needed; with `fixed` (zeroed memory, such as a view in the SIMD kernels' memory) it writes there and never grows. */
  constructor(initialBytes = 4096, private readonly fixed: Uint8Array | null = null) {
    this.buf = fixed ?? new Uint8Array(initialBytes);
  }

  /** The buffer written into (its first bitLength bits are the output; bytes past them are zero). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  /**
   * Takes `bitLength` bits as written: a kernel wrote them into `buffer` past the current end,
   * keeping the bytes after them zero.
   */
  advanceTo(bitLength: number): void {
    if (bitLength < this.bitLength || bitLength >= this.buf.length * 8) {
      throw new RangeError(`BitWriter.advanceTo: ${bitLength} bits is outside ${this.bitLength}..${this.buf.length * 8 - 1}`);
    }
    this.bytePos = bitLength >> 3;
    this.bitPos = bitLength & 7;
  }

  get bitLength(): number {
    return this.bytePos * 8 + this.bitPos;
  }

  reset(): void {
    this.buf.fill(0, 0, this.bytePos + 1);
    this.bytePos = 0;
    this.bitPos = 0;
  }

  private ensure(extraBytes: number): void {
    if (this.bytePos + extraBytes + 1 < this.buf.length) return;
    if (this.fixed !== null) throw new RangeError(`BitWriter: ${extraBytes} more bytes do not fit its fixed ${this.buf.length}-byte buffer`);
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.bytePos + extraBytes + 16));
    grown.set(this.buf.subarray(0, this.bytePos + 1));
    this.buf = grown;
  }

  u(n: number, value: number): void {
    if (n > 24) {
      this.u(n - 24, value >>> 24);
      this.u(24, value & 0xffffff);
      return;
    }
    const pos = this.bytePos;
    if (pos + 4 >= this.buf.length) this.ensure(4);
    const buf = this.buf;
    // The n bits, placed in a 32-bit window that starts at buf[pos] after its bitPos used bits
    // (bitPos + n <= 31). Bytes past the current one are still zero: plain stores suffice there.
    const used = this.bitPos + n;
    const bits = (value & ((1 << n) - 1)) << (32 - used);
    buf[pos] |= bits >>> 24;
    if (used > 8) {
      buf[pos + 1] = bits >>> 16;
      if (used > 16) {
        buf[pos + 2] = bits >>> 8;
        if (used > 24) buf[pos + 3] = bits;
      }
    }
    this.bytePos = pos + (used >> 3);
    this.bitPos = used & 7;
  }

  /**
   * Clears what a kernel wrote past bitLength before it gave up (a macroblock it refused): the
   * bits after the end and the bytes past it are zero again, as reset() and u() expect.
   */
  clearTail(): void {
    const p = this.bytePos;
    if (p < this.buf.length) this.buf[p]! &= (0xff00 >> this.bitPos) & 0xff;
    this.buf.fill(0, p + 1);
  }

  /** The plain bit-by-byte writer that u() is tested against. */
  uRef(n: number, value: number): void {
    this.ensure(5);
    while (n > 0) {
      const free = 8 - this.bitPos;
      const take = n < free ? n : free;
      n -= take;
      const bits = (value >>> n) & ((1 << take) - 1);
      this.buf[this.bytePos]! |= bits << (free - take);
      this.bitPos += take;
      if (this.bitPos === 8) {
        this.bytePos++;
        this.bitPos = 0;
      }
    }
  }

  ue(value: number): void {
    const v1 = value + 1;
    const len = 31 - Math.clz32(v1);
    if (len > 15) {
      this.u(len, 0);
      this.u(len + 1, v1);
    } else {
      this.u(2 * len + 1, v1);
    }
  }

  se(value: number): void {
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Appends everything another writer holds (a macroblock coded into a scratch writer). */
  append(other: BitWriter): void {
    const full = other.bytePos;
    this.ensure(full + 2);
    if (this.bitPos === 0) {
      this.buf.set(other.buf.subarray(0, full), this.bytePos);
      this.bytePos += full;
    } else {
      for (let i = 0; i < full; i++) this.u(8, other.buf[i]!);
    }
    if (other.bitPos > 0) this.u(other.bitPos, other.buf[full]! >> (8 - other.bitPos));
  }

  /** True when the next bit starts a byte. */
  get byteAligned(): boolean {
    return this.bitPos === 0;
  }

  /** rbsp_trailing_bits() — 7.3.2.11: a one bit, then zero bits to the byte boundary. */
  trailingBits(): void {
    this.u(1, 1);
    if (this.bitPos !== 0) this.u(8 - this.bitPos, 0);
  }

  /** The bytes written so far (must be byte-aligned). */
  bytes(): Uint8Array {
    if (this.bitPos !== 0) throw new Error('BitWriter.bytes() called mid-byte');
    return this.buf.subarray(0, this.bytePos);
  }
}
