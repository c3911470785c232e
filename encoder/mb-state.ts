/**
 * What later macroblocks (and the deblocking filter) need to know about earlier ones in the same
 * picture: type, Intra_4x4 modes, TotalCoeff per 4x4 block for CAVLC contexts (9.2.1), QP.
 * 4x4 block data is stored in raster order inside each macroblock (index = y4 * 4 + x4).
 */

export const enum MbKind {
  I4x4 = 0,
  I16x16 = 1,
  IPcm = 2,
  PSkip = 3,
  P16x16 = 4,
  P16x8 = 5,
  P8x16 = 6,
  P8x8 = 7,
}

export const MB_KIND_COUNT = 8;

export function isIntra(kind: number): boolean {
  return kind <= MbKind.IPcm;
}

export class MbState {
  readonly count: number;
  readonly kind: Uint8Array;
  /** Intra4x4PredMode per block; 2 (DC) for macroblocks that are not I_NxN (8.3.1.1). */
  readonly i4Mode: Int8Array;
  /** TotalCoeff(coeff_token) per luma 4x4 block; 16 for I_PCM (9.2.1). */
  readonly nzLuma: Uint8Array;
  /** TotalCoeff per chroma AC block (2x2 raster per component). */
  readonly nzCb: Uint8Array;
  readonly nzCr: Uint8Array;
  /** QPY as the deblocking filter sees it: 0 for I_PCM (8.7.2.2). */
  readonly qpDeblock: Uint8Array;
  /** Boundary strengths, 32 per macroblock (see deblock.ts). */
  readonly bs: Uint8Array;
  /** Motion vector per 4x4 block in quarter samples (0 for intra). */
  readonly mvx: Int16Array;
  readonly mvy: Int16Array;
  /** refIdxL0 per 4x4 block: 0 for inter blocks (one reference), -1 for intra (8.4.1.3.2). */
  readonly ref: Int8Array;

  /**
   * Bytes of SIMD memory the state of `count` macroblocks allocates (with alignment): kind,
   * i4Mode, nzLuma, nzCb, nzCr, qpDeblock, bs, mvx, mvy, ref, in that order.
   */
  static simdSizes(count: number): number[] {
    return [count, count * 16, count * 16, count * 4, count * 4, count, count * 32, count * 32, count * 32, count * 16];
  }

  /** `alloc`, when given, provides the arrays' storage (zeroed views in the SIMD kernels' memory, where commitInter writes them). */
  constructor(readonly mbWidth: number, readonly mbHeight: number, alloc?: (bytes: number) => Uint8Array) {
    this.count = mbWidth * mbHeight;
    const bytes = alloc ?? ((n: number) => new Uint8Array(n));
    const [kind, i4, nz, nzC, , qp, bs, mv, , ref] = MbState.simdSizes(this.count) as [number, number, number, number, number, number, number, number, number, number];
    this.kind = bytes(kind);
    const i4Mode = bytes(i4);
    this.i4Mode = new Int8Array(i4Mode.buffer, i4Mode.byteOffset, i4);
    this.nzLuma = bytes(nz);
    this.nzCb = bytes(nzC);
    this.nzCr = bytes(nzC);
    this.qpDeblock = bytes(qp);
    this.bs = bytes(bs);
    const mvx = bytes(mv), mvy = bytes(mv), refs = bytes(ref);
    this.mvx = new Int16Array(mvx.buffer, mvx.byteOffset, mv >> 1);
    this.mvy = new Int16Array(mvy.buffer, mvy.byteOffset, mv >> 1);
    this.ref = new Int8Array(refs.buffer, refs.byteOffset, ref);
  }

  /** Marks a macroblock intra for motion vector prediction: refIdx -1, zero vectors. */
  setIntraMotion(mb: number): void {
    this.ref.fill(-1, mb * 16, mb * 16 + 16);
    this.mvx.fill(0, mb * 16, mb * 16 + 16);
    this.mvy.fill(0, mb * 16, mb * 16 + 16);
  }
}

/** luma4x4BlkIdx -> raster position within the macroblock (6.4.3: x = InverseRasterScan…). */
export const BLK_TO_RASTER = Uint8Array.of(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);

/** Raster position -> luma4x4BlkIdx: the decoding order of 4x4 blocks (and of partitions). */
export const RASTER_TO_BLK = (() => {
  const t = new Uint8Array(16);
  for (let i = 0; i < 16; i++) t[BLK_TO_RASTER[i]!] = i;
  return t;
})();

/**
 * Whether the top-right neighbour samples p[4..7, -1] of a 4x4 block (raster position r) come
 * from an already-decoded block inside the macroblock (6.4.11.4): false for the blocks whose
 * top-right lies later in decoding order. Row 0 blocks take it from the macroblock above (or,
 * for x4 = 3, above-right) and are handled by the caller.
 */
export const TOP_RIGHT_INSIDE = (() => {
  const t = new Uint8Array(16);
  const order = new Uint8Array(16);
  for (let i = 0; i < 16; i++) order[BLK_TO_RASTER[i]!] = i;
  for (let r = 0; r < 16; r++) {
    const x = r & 3, y = r >> 2;
    if (y === 0 || x === 3) continue;
    t[r] = order[(y - 1) * 4 + x + 1]! < order[r]! ? 1 : 0;
  }
  return t;
})();
