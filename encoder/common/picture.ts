/**
 * A 4:2:0 8-bit picture whose size is a whole number of macroblocks. Planes are separate typed
 * arrays with a row stride, so macroblock code addresses samples as plane[offset + y*stride + x].
 */
export class Picture {
  readonly mbWidth: number;
  readonly mbHeight: number;
  /** Padded luma width and height (multiples of 16). */
  readonly width: number;
  readonly height: number;
  readonly strideY: number;
  readonly strideC: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  /** The planes as 32-bit words, for copies that move four samples per load (strides are multiples of 8). */
  readonly y32: Uint32Array;
  readonly u32: Uint32Array;
  readonly v32: Uint32Array;

  /** Bytes of the three planes of an mbWidth x mbHeight picture (the sizes `alloc` is asked for). */
  static planeBytes(mbWidth: number, mbHeight: number): [number, number, number] {
    const luma = mbWidth * mbHeight * 256;
    return [luma, luma >> 2, luma >> 2];
  }

  /** `alloc`, when given, provides the planes' storage (zeroed views in the SIMD kernels' memory). */
  constructor(mbWidth: number, mbHeight: number, alloc?: (bytes: number) => Uint8Array) {
    this.mbWidth = mbWidth;
    this.mbHeight = mbHeight;
    this.width = mbWidth * 16;
    this.height = mbHeight * 16;
    this.strideY = this.width;
    this.strideC = this.width >> 1;
    const plane = alloc ?? ((bytes: number) => new Uint8Array(bytes));
    this.y = plane(this.strideY * this.height);
    this.u = plane(this.strideC * (this.height >> 1));
    this.v = plane(this.strideC * (this.height >> 1));
    this.y32 = new Uint32Array(this.y.buffer, this.y.byteOffset, this.y.length >> 2);
    this.u32 = new Uint32Array(this.u.buffer, this.u.byteOffset, this.u.length >> 2);
    this.v32 = new Uint32Array(this.v.buffer, this.v.byteOffset, this.v.length >> 2);
  }

  /**
   * Copies macroblock (mbx, mby)'s samples, four per load: luma 16x16 into y16 (stride 16), Cb
   * then Cr 8x8 into c128 (stride 8, Cr at 64), both given as 32-bit word views.
   */
  copyMacroblock(mbx: number, mby: number, y16: Uint32Array, c128: Uint32Array): void {
    const { y32, u32, v32 } = this;
    const sy = this.strideY >> 2, sc = this.strideC >> 2; // in words
    const oy = mby * 16 * sy + mbx * 4, oc = mby * 8 * sc + mbx * 2;
    for (let r = 0; r < 16; r++) {
      const so = oy + r * sy, d = r * 4;
      y16[d] = y32[so]!; y16[d + 1] = y32[so + 1]!; y16[d + 2] = y32[so + 2]!; y16[d + 3] = y32[so + 3]!;
    }
    for (let r = 0; r < 8; r++) {
      const so = oc + r * sc, d = r * 2;
      c128[d] = u32[so]!; c128[d + 1] = u32[so + 1]!;
      c128[16 + d] = v32[so]!; c128[17 + d] = v32[so + 1]!;
    }
  }

  /** The reverse of copyMacroblock: writes y16 and c128 (word views) into macroblock (mbx, mby). */
  storeMacroblock(mbx: number, mby: number, y16: Uint32Array, c128: Uint32Array): void {
    const { y32, u32, v32 } = this;
    const sy = this.strideY >> 2, sc = this.strideC >> 2; // in words
    const oy = mby * 16 * sy + mbx * 4, oc = mby * 8 * sc + mbx * 2;
    for (let r = 0; r < 16; r++) {
      const d = oy + r * sy, s = r * 4;
      y32[d] = y16[s]!; y32[d + 1] = y16[s + 1]!; y32[d + 2] = y16[s + 2]!; y32[d + 3] = y16[s + 3]!;
    }
    for (let r = 0; r < 8; r++) {
      const d = oc + r * sc, s = r * 2;
      u32[d] = c128[s]!; u32[d + 1] = c128[s + 1]!;
      v32[d] = c128[16 + s]!; v32[d + 1] = c128[17 + s]!;
    }
  }

  /** Replicates the last visible column and row into the padding (better prediction than zeros). */
  padFrom(visibleWidth: number, visibleHeight: number): void {
    padPlane(this.y, this.strideY, visibleWidth, visibleHeight, this.width, this.height);
    const cw = visibleWidth >> 1, ch = visibleHeight >> 1;
    padPlane(this.u, this.strideC, cw, ch, this.width >> 1, this.height >> 1);
    padPlane(this.v, this.strideC, cw, ch, this.width >> 1, this.height >> 1);
  }

  /** The visible area as one contiguous I420 buffer (what a decoder outputs after cropping). */
  toI420(visibleWidth: number, visibleHeight: number): Uint8Array {
    const cw = visibleWidth >> 1, ch = visibleHeight >> 1;
    const out = new Uint8Array(visibleWidth * visibleHeight + 2 * cw * ch);
    for (let r = 0; r < visibleHeight; r++) out.set(this.y.subarray(r * this.strideY, r * this.strideY + visibleWidth), r * visibleWidth);
    let o = visibleWidth * visibleHeight;
    for (const plane of [this.u, this.v]) {
      for (let r = 0; r < ch; r++) out.set(plane.subarray(r * this.strideC, r * this.strideC + cw), o + r * cw);
      o += cw * ch;
    }
    return out;
  }
}

function padPlane(p: Uint8Array, stride: number, w: number, h: number, fullW: number, fullH: number): void {
  if (w < fullW) {
    for (let r = 0; r < h; r++) {
      const row = r * stride;
      p.fill(p[row + w - 1]!, row + w, row + fullW);
    }
  }
  for (let r = h; r < fullH; r++) p.copyWithin(r * stride, (h - 1) * stride, (h - 1) * stride + fullW);
}
