/**
 * Inputs for the kernel benchmarks, built once before anything is measured: real pictures from
 * ../shared/sequences, the 4x4 blocks, edges and residuals an Intra 4x4 search would see in them,
 * their levels at a given QP, and unfiltered reconstructions with the state the deblocking filter
 * reads. Everything is deterministic (no Math.random; synthetic bytes come from a seeded PRNG).
 */
import type { Picture } from '../encoder/common/picture.js';
import type { MbKind } from '../encoder/mb-state.js';
import type { PresetName } from '../encoder/options.js';
import {
  bitstream, deblock, imageConvert, intra, intraPred, mbState, picture, presets, transform,
} from './encoder.js';
import { loadSequence } from '../test/helpers/sequences.js';
import { prng } from '../test/helpers/synthetic.js';

const { setIntraBs } = deblock;
const { predict4x4 } = intraPred;
const { CHROMA_QP, forward4x4, quant, QUANT_4x4, satd4x4Px, ZIGZAG_4x4 } = transform;

export interface Frame {
  name: string;
  width: number;
  height: number;
  /** The frame as the encoder holds it after conversion: 4:2:0, macroblock-aligned, padded. */
  pic: Picture;
  /** The same frame as tightly packed I420 (what H264Encoder.encode takes). */
  i420: Uint8Array;
}

/** The first frame of a clip in ../shared/sequences (or $H264_SEQUENCES). */
export async function loadFrame(name: string): Promise<Frame> {
  const seq = await loadSequence(name, 1);
  const i420 = seq.frames[0]!;
  const pic = new picture.Picture(Math.ceil(seq.width / 16), Math.ceil(seq.height / 16));
  imageConvert.convertImage({ width: seq.width, height: seq.height, format: 'i420', data: i420 }, pic);
  return { name: seq.name.replace(/\.y4m$/, ''), width: seq.width, height: seq.height, pic, i420 };
}

/** `n` deterministic pseudo-random bytes. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() & 255;
  return out;
}

/**
 * Every luma 4x4 block of a picture that has all its neighbours (left, top, top-left, top-right)
 * inside the picture, with what the Intra 4x4 search of that block works on. Edges come from the
 * source picture rather than a reconstruction: close enough for timing, and independent of QP.
 */
export interface BlockPool {
  count: number;
  /** Source samples, 16 per block (raster, stride 4). */
  src: Uint8Array;
  /** The 13 edge samples of each block (layout of intra-pred.ts), one view per block. */
  edges: Uint8Array[];
  /** The prediction of the mode with the lowest SATD, 16 per block. */
  pred: Uint8Array;
  /** src - pred, one Int32Array(16) view per block (raster). */
  resid: Int32Array[];
  /** forward4x4 of resid, 16 per block (raster). */
  coef: Int32Array;
  /** Block position in 4x4 units, for neighbour contexts. */
  bx: Uint16Array;
  by: Uint16Array;
  /** Picture size in 4x4 blocks. */
  widthBlocks: number;
  heightBlocks: number;
}

export function buildBlockPool(pic: Picture): BlockPool {
  const wb = pic.width >> 2, hb = pic.height >> 2, sy = pic.strideY, y = pic.y;
  const count = (wb - 2) * (hb - 1);
  const pool: BlockPool = {
    count,
    src: new Uint8Array(count * 16),
    edges: [],
    pred: new Uint8Array(count * 16),
    resid: [],
    coef: new Int32Array(count * 16),
    bx: new Uint16Array(count),
    by: new Uint16Array(count),
    widthBlocks: wb,
    heightBlocks: hb,
  };
  const edgeBuf = new Uint8Array(count * 13), residBuf = new Int32Array(count * 16);
  const pred = new Uint8Array(16);
  let i = 0;
  for (let by = 1; by < hb; by++) {
    for (let bx = 1; bx < wb - 1; bx++, i++) {
      const o = by * 4 * sy + bx * 4;
      pool.bx[i] = bx;
      pool.by[i] = by;
      for (let r = 0; r < 4; r++) pool.src.set(y.subarray(o + r * sy, o + r * sy + 4), i * 16 + r * 4);
      const e = edgeBuf.subarray(i * 13, i * 13 + 13);
      for (let r = 0; r < 4; r++) e[3 - r] = y[o + r * sy - 1]!;
      e[4] = y[o - sy - 1]!;
      for (let x = 0; x < 8; x++) e[5 + x] = y[o - sy + x]!;
      pool.edges.push(e);
      let best = 0, bestCost = Infinity;
      for (let mode = 0; mode < 9; mode++) {
        predict4x4(mode, e, 7, pred);
        const cost = satd4x4Px(pool.src, i * 16, 4, pred, 0, 4);
        if (cost < bestCost) {
          bestCost = cost;
          best = mode;
        }
      }
      predict4x4(best, e, 7, pool.pred.subarray(i * 16, i * 16 + 16));
      const d = residBuf.subarray(i * 16, i * 16 + 16);
      for (let k = 0; k < 16; k++) d[k] = pool.src[i * 16 + k]! - pool.pred[i * 16 + k]!;
      pool.resid.push(d);
      forward4x4(d, pool.coef.subarray(i * 16, i * 16 + 16));
    }
  }
  return pool;
}

/** Levels of every block of a pool at one QP, in scan order, as the Intra 4x4 coder quantises. */
export interface LevelSet {
  qp: number;
  /** 16 levels per block, zig-zag order. */
  levels: Int32Array;
  /** Blocks with at least one non-zero level (the ones CAVLC spends time on). */
  coded: Int32Array;
  /** nC of each block (9.2.1, from its left and top neighbours' TotalCoeff). */
  nC: Int8Array;
  /** Share of all blocks that have a non-zero level. */
  codedShare: number;
}

export function quantisePool(pool: BlockPool, qp: number): LevelSet {
  const m = (qp % 6) * 16, qbits = 15 + ((qp / 6) | 0);
  const bias = ((1 << qbits) / 3) | 0; // intra dead zone, as encoder/intra.ts
  const levels = new Int32Array(pool.count * 16);
  const total = new Int8Array(pool.widthBlocks * pool.heightBlocks).fill(-1);
  const coded: number[] = [];
  for (let i = 0; i < pool.count; i++) {
    let nz = 0;
    for (let k = 0; k < 16; k++) {
      const rp = ZIGZAG_4x4[k]!;
      const level = quant(pool.coef[i * 16 + rp]!, QUANT_4x4[m + rp]!, bias, qbits);
      levels[i * 16 + k] = level;
      if (level !== 0) nz++;
    }
    total[pool.by[i]! * pool.widthBlocks + pool.bx[i]!] = nz;
    if (nz > 0) coded.push(i);
  }
  const nC = new Int8Array(pool.count);
  for (let i = 0; i < pool.count; i++) {
    const at = pool.by[i]! * pool.widthBlocks + pool.bx[i]!;
    const nA = total[at - 1]!, nB = total[at - pool.widthBlocks]!;
    nC[i] = nA >= 0 && nB >= 0 ? (nA + nB + 1) >> 1 : nA >= 0 ? nA : nB >= 0 ? nB : 0;
  }
  return {
    qp, levels, coded: Int32Array.from(coded), nC,
    codedShare: coded.length / pool.count,
  };
}

/**
 * The prediction edges of every macroblock with left, top and top-left neighbours, taken from
 * the source picture: Intra 16x16 (top16[0] = p[-1,-1]) and chroma (per component), as
 * encoder/intra.ts lays them out, plus the macroblock's luma and chroma offsets.
 */
export interface MbPool {
  count: number;
  top16: Uint8Array[];
  left16: Uint8Array[];
  /** [mb * 2 + component] */
  topC: Uint8Array[];
  leftC: Uint8Array[];
  lumaOffset: Int32Array;
  chromaOffset: Int32Array;
}

export function buildMbPool(pic: Picture): MbPool {
  const sy = pic.strideY, sc = pic.strideC;
  const pool: MbPool = { count: 0, top16: [], left16: [], topC: [], leftC: [], lumaOffset: new Int32Array(pic.mbWidth * pic.mbHeight), chromaOffset: new Int32Array(pic.mbWidth * pic.mbHeight) };
  for (let mby = 1; mby < pic.mbHeight; mby++) {
    for (let mbx = 1; mbx < pic.mbWidth; mbx++) {
      const oy = mby * 16 * sy + mbx * 16, oc = mby * 8 * sc + mbx * 8;
      const top = new Uint8Array(17), left = new Uint8Array(16);
      top[0] = pic.y[oy - sy - 1]!;
      top.set(pic.y.subarray(oy - sy, oy - sy + 16), 1);
      for (let r = 0; r < 16; r++) left[r] = pic.y[oy + r * sy - 1]!;
      pool.top16.push(top);
      pool.left16.push(left);
      for (const plane of [pic.u, pic.v]) {
        const t = new Uint8Array(9), l = new Uint8Array(8);
        t[0] = plane[oc - sc - 1]!;
        t.set(plane.subarray(oc - sc, oc - sc + 8), 1);
        for (let r = 0; r < 8; r++) l[r] = plane[oc + r * sc - 1]!;
        pool.topC.push(t);
        pool.leftC.push(l);
      }
      pool.lumaOffset[pool.count] = oy;
      pool.chromaOffset[pool.count] = oc;
      pool.count++;
    }
  }
  return pool;
}

/**
 * An IntraCoder over a frame, set up the way H264Encoder does (encoder/h264-encoder.ts): source
 * and reconstructed pictures, MbState, the preset's intra search, qpParams with QPc from Table 8-15.
 */
export class IntraFrameCoder {
  readonly recon: Picture;
  readonly state: InstanceType<typeof mbState.MbState>;
  readonly writer = new bitstream.BitWriter(1 << 16);
  private readonly coder: InstanceType<typeof intra.IntraCoder>;
  private readonly params: ReturnType<typeof intra.qpParams>;
  private next = 0;

  constructor(readonly src: Picture, readonly qp: number, preset: PresetName) {
    this.recon = new picture.Picture(src.mbWidth, src.mbHeight);
    this.state = new mbState.MbState(src.mbWidth, src.mbHeight);
    this.coder = new intra.IntraCoder(src, this.recon, this.state, presets.PRESET_CHOICES[preset].intra);
    this.params = intra.qpParams(qp, CHROMA_QP[qp]!); // chroma_qp_index_offset 0
  }

  /** Codes the next macroblock in raster order, wrapping to a new picture after the last one. */
  codeNext(): MbKind {
    const { mbWidth, count } = this.state;
    if (this.next === count) {
      this.next = 0;
      this.writer.reset();
    }
    const mb = this.next++;
    const mby = (mb / mbWidth) | 0, mbx = mb - mby * mbWidth;
    const kind = this.coder.encodeMacroblock(this.writer, { mb, mbx, mby, qpDelta: 0 }, this.params, 0);
    this.state.qpDeblock[mb] = kind === mbState.MbKind.IPcm ? 0 : this.qp;
    setIntraBs(this.state.bs, mb);
    return kind;
  }

  /** Codes a whole picture: afterwards `recon` is its unfiltered reconstruction. */
  codePicture(): void {
    for (let i = 0; i < this.state.count; i++) this.codeNext();
  }
}

/** A deep copy of a picture's planes into another of the same size. */
export function copyPicture(from: Picture, to: Picture): void {
  to.y.set(from.y);
  to.u.set(from.u);
  to.v.set(from.v);
}
