/**
 * What later macroblocks (and the deblocking filter) need to know about earlier ones in the same
 * picture: type, Intra_4x4 modes, TotalCoeff per 4x4 block for CAVLC contexts (9.2.1), QP.
 * 4x4 block data is stored in raster order inside each macroblock (index = y4 * 4 + x4).
 */

export const enum MbKind {
  I4x4 = 0,
  I16x16 = 1,
  IPcm = 2,
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

  constructor(readonly mbWidth: number, readonly mbHeight: number) {
    this.count = mbWidth * mbHeight;
    this.kind = new Uint8Array(this.count);
    this.i4Mode = new Int8Array(this.count * 16);
    this.nzLuma = new Uint8Array(this.count * 16);
    this.nzCb = new Uint8Array(this.count * 4);
    this.nzCr = new Uint8Array(this.count * 4);
    this.qpDeblock = new Uint8Array(this.count);
    this.bs = new Uint8Array(this.count * 32);
  }
}

/** luma4x4BlkIdx -> raster position within the macroblock (6.4.3: x = InverseRasterScan…). */
export const BLK_TO_RASTER = Uint8Array.of(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);

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
