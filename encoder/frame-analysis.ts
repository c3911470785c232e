/**
 * What rate control knows about a frame before coding it (zero lookahead: only this frame and the
 * ones before it). On a half-resolution luma picture, where each 8x8 block stands for one
 * macroblock, two costs per macroblock:
 * - intra: SATD of the block against its own mean, the texture an intra picture has to code;
 * - inter: SATD against the previous source frame at the best of a small motion search (the
 *   co-located block, the neighbours' and last frame's vectors, then a diamond), plus an mvd cost.
 * A P frame's complexity is the sum of min(intra, inter), an I frame's the sum of intra (x264's
 * lowres frame cost, with this frame in place of a lookahead). Their ratio says when a P frame
 * would mostly be intra: a scene cut. Per macroblock, the luma variance for adaptive quantisation.
 */
import type { Picture } from './common/picture.js';
import { satd4x4Px } from './common/transform.js';
import { simdBytes, type Kernels, type SimdKernels } from './simd/kernels.js';

/** Per-block overhead of a coded block in the cost units (header and vector bits, roughly). */
const BLOCK_OVERHEAD = 16;
/** Diamond steps of the lowres motion search. */
const MAX_STEPS = 8;
/** The diamond's four steps. */
const DIAMOND = [[0, -1], [-1, 0], [1, 0], [0, 1]];

export class FrameAnalysis {
  readonly mbWidth: number;
  readonly mbHeight: number;
  /** Lowres planes: this frame's and the previous frame's, (mbWidth * 8) x (mbHeight * 8). */
  private cur: Uint8Array;
  private prev: Uint8Array;
  private readonly lw: number;
  private readonly lh: number;
  private hasPrev = false;
  /** Per macroblock: intra cost, inter cost (Infinity without a previous frame), luma variance log2. */
  readonly intraCost: Float64Array;
  readonly interCost: Float64Array;
  readonly logEnergy: Float64Array;
  /** The lowres vectors of the last analysis (full lowres samples), starting points for the next. */
  private readonly mvx: Int16Array;
  private readonly mvy: Int16Array;
  private readonly prevMvx: Int16Array;
  private readonly prevMvy: Int16Array;
  private readonly flat: Uint8Array;
  /** The SIMD kernels (null: the TypeScript ones); with them the planes above lie in their memory. */
  private readonly kernels: Kernels | null;
  /** Sums over the frame: intra, min(intra, inter) (= intra for the first frame). */
  intraSum = 0;
  interSum = 0;

  /** Bytes of SIMD memory the analysis of an mbWidth x mbHeight picture allocates (with alignment). */
  static simdBytes(mbWidth: number, mbHeight: number): number {
    const lowres = mbWidth * 8 * mbHeight * 8;
    return simdBytes(lowres, lowres, 64);
  }

  constructor(mbWidth: number, mbHeight: number, simd: SimdKernels | null = null) {
    this.mbWidth = mbWidth;
    this.mbHeight = mbHeight;
    this.lw = mbWidth * 8;
    this.lh = mbHeight * 8;
    const alloc = (n: number): Uint8Array => (simd === null ? new Uint8Array(n) : simd.alloc(n));
    this.cur = alloc(this.lw * this.lh);
    this.prev = alloc(this.lw * this.lh);
    this.flat = alloc(64);
    this.kernels = simd === null ? null : simd.k;
    const n = mbWidth * mbHeight;
    this.intraCost = new Float64Array(n);
    this.interCost = new Float64Array(n);
    this.logEnergy = new Float64Array(n);
    this.mvx = new Int16Array(n);
    this.mvy = new Int16Array(n);
    this.prevMvx = new Int16Array(n);
    this.prevMvy = new Int16Array(n);
  }

  /** Analyses the source picture; the previous call's picture is the inter reference. */
  analyse(src: Picture): void {
    [this.cur, this.prev] = [this.prev, this.cur];
    this.prevMvx.set(this.mvx);
    this.prevMvy.set(this.mvy);
    this.downsample(src);
    this.energies(src);
    const { mbWidth: mw, mbHeight: mh, lw } = this;
    let intraSum = 0, interSum = 0;
    for (let by = 0, mb = 0; by < mh; by++) {
      for (let bx = 0; bx < mw; bx++, mb++) {
        const o = by * 8 * lw + bx * 8;
        const intra = this.intraBlock(o) + BLOCK_OVERHEAD;
        this.intraCost[mb] = intra;
        intraSum += intra;
        if (this.hasPrev) {
          const inter = this.interBlock(mb, bx, by, o) + BLOCK_OVERHEAD;
          this.interCost[mb] = inter;
          interSum += Math.min(intra, inter);
        } else {
          this.interCost[mb] = Infinity;
          interSum += intra;
        }
      }
    }
    this.intraSum = intraSum;
    this.interSum = interSum;
    this.hasPrev = true;
  }

  /** 2x2 means of the luma picture. */
  private downsample(src: Picture): void {
    const { lw, lh, cur } = this;
    const y = src.y, s = src.strideY;
    for (let r = 0; r < lh; r++) {
      let i = 2 * r * s, d = r * lw;
      for (let c = 0; c < lw; c++, i += 2, d++) cur[d] = (y[i]! + y[i + 1]! + y[i + s]! + y[i + s + 1]! + 2) >> 2;
    }
  }

  /** log2 of each macroblock's luma AC energy (sum of squares about the mean), for AQ. */
  private energies(src: Picture): void {
    const { mbWidth: mw, mbHeight: mh } = this;
    const y = src.y, s = src.strideY;
    for (let by = 0, mb = 0; by < mh; by++) {
      for (let bx = 0; bx < mw; bx++, mb++) {
        let sum = 0, sq = 0;
        for (let r = 0, o = by * 16 * s + bx * 16; r < 16; r++, o += s) {
          for (let c = 0; c < 16; c++) {
            const v = y[o + c]!;
            sum += v;
            sq += v * v;
          }
        }
        const energy = sq - (sum * sum) / 256;
        this.logEnergy[mb] = Math.log2(energy + 1);
      }
    }
  }

  /** SATD of a lowres 8x8 block against its mean. */
  private intraBlock(o: number): number {
    const { cur, lw, flat } = this;
    let sum = 0;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) sum += cur[o + r * lw + c]!;
    flat.fill((sum + 32) >> 6);
    const k = this.kernels;
    return k === null ? satd8x8(cur, o, lw, flat, 0, 8) : k.satd(cur.byteOffset + o, lw, flat.byteOffset, 8, 8, 8);
  }

  /** The lowres search's state (fields, not a closure: it runs once per block). */
  private bestX = 0;
  private bestY = 0;
  private bestCost = 0;
  private minX = 0;
  private maxX = 0;
  private minY = 0;
  private maxY = 0;

  /** Best inter cost of a lowres block: a few starting points, then a diamond search by SAD. */
  private interBlock(mb: number, bx: number, by: number, o: number): number {
    const { mbWidth: mw, lw, lh } = this;
    const x0 = bx * 8, y0 = by * 8;
    this.minX = -x0; this.maxX = lw - 8 - x0; this.minY = -y0; this.maxY = lh - 8 - y0;
    this.bestX = 0; this.bestY = 0; this.bestCost = this.sadAt(o, 0, 0);
    this.tryAt(o, this.prevMvx[mb]!, this.prevMvy[mb]!);
    if (bx > 0) this.tryAt(o, this.mvx[mb - 1]!, this.mvy[mb - 1]!);
    if (by > 0) this.tryAt(o, this.mvx[mb - mw]!, this.mvy[mb - mw]!);
    for (let step = 0; step < MAX_STEPS; step++) {
      const cx = this.bestX, cy = this.bestY;
      for (let i = 0; i < 4; i++) this.tryAt(o, cx + DIAMOND[i]![0]!, cy + DIAMOND[i]![1]!);
      if (this.bestX === cx && this.bestY === cy) break;
    }
    const bestX = this.bestX, bestY = this.bestY;
    this.mvx[mb] = bestX;
    this.mvy[mb] = bestY;
    const k = this.kernels, po = o + bestY * lw + bestX;
    const satd = k === null ? satd8x8(this.cur, o, lw, this.prev, po, lw) : k.satd(this.cur.byteOffset + o, lw, this.prev.byteOffset + po, lw, 8, 8);
    return satd + 2 * (Math.abs(bestX) + Math.abs(bestY));
  }

  private tryAt(o: number, vx: number, vy: number): void {
    if (vx < this.minX || vx > this.maxX || vy < this.minY || vy > this.maxY || (vx === this.bestX && vy === this.bestY)) return;
    const c = this.sadAt(o, vx, vy) + 2 * (Math.abs(vx) + Math.abs(vy));
    if (c < this.bestCost) {
      this.bestCost = c;
      this.bestX = vx;
      this.bestY = vy;
    }
  }

  private sadAt(o: number, vx: number, vy: number): number {
    const { cur, prev, lw, kernels: k } = this;
    if (k !== null) return k.sad8(cur.byteOffset + o, lw, prev.byteOffset + o + vy * lw + vx, lw, 8);
    let s = 0;
    for (let r = 0, a = o, b = o + vy * lw + vx; r < 8; r++, a += lw, b += lw) {
      for (let c = 0; c < 8; c++) {
        const d = cur[a + c]! - prev[b + c]!, m = d >> 31;
        s += (d ^ m) - m;
      }
    }
    return s;
  }
}

function satd8x8(a: Uint8Array, ao: number, as: number, b: Uint8Array, bo: number, bs: number): number {
  return satd4x4Px(a, ao, as, b, bo, bs) + satd4x4Px(a, ao + 4, as, b, bo + 4, bs)
    + satd4x4Px(a, ao + 4 * as, as, b, bo + 4 * bs, bs) + satd4x4Px(a, ao + 4 * as + 4, as, b, bo + 4 * bs + 4, bs);
}
