/**
 * Micro-benchmarks of the encoder's hot kernels, so optimisation work can see where time goes.
 * `npm run bench:kernels` (bench/vitest.config.ts); not part of `npm test`.
 *
 * Inputs are real content (the first frames of foreman CIF and flower 720p from
 * ../shared/sequences), built once before anything is measured. A bench call does a batch of work
 * (256 4x4 blocks, 1024 Exp-Golomb codes, ...) because timing one 30 ns call would time the timer;
 * kernel-report.ts turns the batches back into a cost per block, per macroblock and per frame.
 *
 * Motion compensation kernels are in the last group; SAD is private to the motion search and
 * shows in the whole-encoder benches and the profile.
 */
import type { BitSink } from '../encoder/common/bitstream.js';
import type { EncoderImage } from '../encoder/image.js';
import {
  bitstream, cavlc, deblock, imageConvert, interpolate, intraPred, paddedPlane, picture, transform,
} from './encoder.js';
import {
  buildBlockPool, buildMbPool, copyPicture, IntraFrameCoder, loadFrame, quantisePool, randomBytes, type LevelSet,
} from './fixtures.js';
import { group, type Entry } from './define.js';
import { MBS_720P, type KernelCost } from './kernel-report.js';

// Local constants: an imported binding is a getter call under Vitest (see encoder.ts).
const { BitCounter, BitWriter } = bitstream;
const { deblockPicture } = deblock;
const { predict4x4, predict16x16, predictChroma } = intraPred;
const { Picture } = picture;
const { DEQUANT_4x4, dequant4x4, forward4x4, hadamard4x4, inverse4x4, quant, QUANT_4x4, satd4x4, satd4x4Px, ZIGZAG_4x4 } = transform;
const { writeResidualBlock } = cavlc;
const { convertImage } = imageConvert;

/** 4x4 blocks per bench call. */
const BLOCKS = 256;
/** Macroblocks per bench call for the per-macroblock predictors. */
const MBS = 16;
/** Calls per bench call for the bit writer. */
const CODES = 1024;
const BLOCKS_PER_MB = 16;

/** Results land here (exported, so observable) and no kernel call is dead code. */
export let sink = 0;

// ---- inputs ----------------------------------------------------------------------------------

const foreman = await loadFrame('foreman_cif_352x288');
const flower = await loadFrame('flower_720p_1280x720');
const blocks = buildBlockPool(foreman.pic);
const mbs = buildMbPool(foreman.pic);
const levelSets = new Map<number, LevelSet>([22, 27, 37].map((qp) => [qp, quantisePool(blocks, qp)]));

const coef = new Int32Array(16), tmp = new Int32Array(16), levels = new Int32Array(16);
const pred4 = new Uint8Array(16), pred16 = new Uint8Array(256), predC = new Uint8Array(64), recon4 = new Uint8Array(16);
const MODE_NAMES = ['Vertical', 'Horizontal', 'DC', 'DiagonalDownLeft', 'DiagonalDownRight', 'VerticalRight', 'HorizontalDown', 'VerticalLeft', 'HorizontalUp'];
const I16_NAMES = ['Vertical', 'Horizontal', 'DC', 'Plane'];
const CHROMA_NAMES = ['DC', 'Horizontal', 'Vertical', 'Plane'];

/** A cursor cycling through `count` items, `batch` per bench call. */
function cursor(count: number): (batch: number) => number {
  let at = 0;
  return (batch) => {
    const start = at;
    at = (at + batch) % count;
    return start;
  };
}

const perBlock = (perFrame?: number, note?: string): KernelCost => ({ units: BLOCKS, unit: '4x4 block', perFrame, note, partOf: perFrame ? 'macroblock' : undefined });

// ---- transform and quantisation --------------------------------------------------------------

const QP = 27, qm = (QP % 6) * 16, qbits = 15 + ((QP / 6) | 0), qbias = ((1 << qbits) / 3) | 0, qshift = (QP / 6) | 0;
const dequantised = (() => {
  // What inverse4x4 is given in the encoder: scaled coefficients of QP 27 levels, raster order.
  const set = levelSets.get(QP)!, out = new Int32Array(blocks.count * 16);
  for (let i = 0; i < blocks.count; i++) {
    for (let k = 0; k < 16; k++) out[i * 16 + ZIGZAG_4x4[k]!] = (set.levels[i * 16 + k]! * DEQUANT_4x4[qm + ZIGZAG_4x4[k]!]!) << qshift;
  }
  return out;
})();
const rasterLevels = (() => {
  const set = levelSets.get(QP)!, out: Int32Array[] = [];
  for (let i = 0; i < blocks.count; i++) {
    const b = new Int32Array(16);
    for (let k = 0; k < 16; k++) b[ZIGZAG_4x4[k]!] = set.levels[i * 16 + k]!;
    out.push(b);
  }
  return out;
})();

/** Quantises one block's raster coefficients into levels (zig-zag order), as encoder/intra.ts does; returns TotalCoeff. */
function quantBlock(c: Int32Array, co: number, out: Int32Array): number {
  let nz = 0;
  for (let k = 0; k < 16; k++) {
    const rp = ZIGZAG_4x4[k]!;
    const level = quant(c[co + rp]!, QUANT_4x4[qm + rp]!, qbias, qbits);
    out[k] = level;
    if (level !== 0) nz++;
  }
  return nz;
}

{
  const c1 = cursor(blocks.count), c2 = cursor(blocks.count), c3 = cursor(blocks.count), c4 = cursor(blocks.count);
  const c5 = cursor(blocks.count), c6 = cursor(blocks.count), c7 = cursor(blocks.count), c8 = cursor(blocks.count);
  const n = blocks.count;
  group('transform and quantisation (common/transform.ts; foreman CIF residuals, QP 27)', [
    ['forward4x4', perBlock(), () => {
      for (let b = 0, i = c1(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) forward4x4(blocks.resid[i]!, coef);
      sink += coef[0]!;
    }],
    ['quant x16 + zig-zag (intra dead zone)', perBlock(), () => {
      for (let b = 0, i = c2(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) sink += quantBlock(blocks.coef, i * 16, levels);
    }],
    ['dequant4x4 (reference for the fused kernels)', perBlock(), () => {
      for (let b = 0, i = c3(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) dequant4x4(rasterLevels[i]!, coef, QP, 0);
      sink += coef[0]!;
    }],
    ['inverse4x4 (incl. copying its 16 inputs)', perBlock(), () => {
      for (let b = 0, i = c4(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) {
        for (let k = 0; k < 16; k++) coef[k] = dequantised[i * 16 + k]!;
        inverse4x4(coef);
      }
      sink += coef[0]!;
    }],
    ['hadamard4x4', perBlock(), () => {
      for (let b = 0, i = c5(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) hadamard4x4(blocks.resid[i]!, tmp);
      sink += tmp[0]!;
    }],
    ['satd4x4 (reference, from a difference block)', perBlock(), () => {
      for (let b = 0, i = c6(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) sink += satd4x4(blocks.resid[i]!, tmp);
    }],
    ['satd4x4Px (fused, from samples)', perBlock(), () => {
      for (let b = 0, i = c7(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) sink += satd4x4Px(blocks.src, i * 16, 4, blocks.pred, i * 16, 4);
    }],
    ['code a 4x4 block, unfused reference: forward + quant + dequant + inverse + add/clip', perBlock(BLOCKS_PER_MB * 2.5 * MBS_720P,
      '40 per macroblock: 16 Intra 4x4 + 16 Intra 16x16 + 8 chroma'), () => {
      for (let b = 0, i = c8(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) {
        forward4x4(blocks.resid[i]!, coef);
        const nz = quantBlock(coef, 0, levels);
        if (nz > 0) {
          for (let k = 0; k < 16; k++) {
            const rp = ZIGZAG_4x4[k]!;
            coef[rp] = (levels[k]! * DEQUANT_4x4[qm + rp]!) << qshift;
          }
          inverse4x4(coef);
        } else {
          coef.fill(0);
        }
        const po = i * 16;
        for (let k = 0; k < 16; k++) {
          const v = blocks.pred[po + k]! + coef[k]!;
          recon4[k] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
      sink += recon4[0]!;
    }],
  ]);
}

// ---- intra prediction --------------------------------------------------------------------------

{
  const n = blocks.count;
  const entries: Entry[] = MODE_NAMES.map((modeName, mode) => {
    const c = cursor(n);
    return [`predict4x4 ${mode} ${modeName}`, perBlock(), () => {
      for (let b = 0, i = c(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) predict4x4(mode, blocks.edges[i]!, 7, pred4);
      sink += pred4[15]!;
    }];
  });
  const cs = cursor(n);
  entries.push(['Intra 4x4 search: predict4x4 x9 + satd4x4Px x9', perBlock(BLOCKS_PER_MB * MBS_720P, '16 per macroblock'), () => {
    for (let b = 0, i = cs(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) {
      const e = blocks.edges[i]!;
      let best = Infinity;
      for (let mode = 0; mode < 9; mode++) {
        predict4x4(mode, e, 7, pred4);
        const cost = satd4x4Px(blocks.src, i * 16, 4, pred4, 0, 4);
        if (cost < best) best = cost;
      }
      sink += best;
    }
  }]);
  group('Intra 4x4 prediction (common/intra-pred.ts; foreman CIF edges)', entries);
}

{
  const n = mbs.count, y = foreman.pic.y, sy = foreman.pic.strideY;
  const perMb = (units: number, perFrame?: number, note?: string): KernelCost => (
    { units, unit: 'macroblock', perFrame, note, partOf: perFrame ? 'macroblock' : undefined });
  const entries: Entry[] = I16_NAMES.map((modeName, mode) => {
    const c = cursor(n);
    return [`predict16x16 ${mode} ${modeName}`, perMb(MBS), () => {
      for (let b = 0, i = c(MBS); b < MBS; b++, i = i + 1 === n ? 0 : i + 1) predict16x16(mode, mbs.top16[i]!, mbs.left16[i]!, 7, pred16);
      sink += pred16[255]!;
    }];
  });
  for (const [mode, modeName] of CHROMA_NAMES.entries()) {
    const c = cursor(n);
    entries.push([`predictChroma ${mode} ${modeName} (Cb and Cr)`, perMb(MBS), () => {
      for (let b = 0, i = c(MBS); b < MBS; b++, i = i + 1 === n ? 0 : i + 1) {
        predictChroma(mode, mbs.topC[2 * i]!, mbs.leftC[2 * i]!, 7, predC);
        predictChroma(mode, mbs.topC[2 * i + 1]!, mbs.leftC[2 * i + 1]!, 7, predC);
      }
      sink += predC[63]!;
    }]);
  }
  const c16 = cursor(n), cc = cursor(n);
  const u = foreman.pic.u, v = foreman.pic.v, sc = foreman.pic.strideC;
  entries.push(['Intra 16x16 search: predict16x16 x4 + satd4x4Px x64', perMb(MBS, MBS_720P, '1 per macroblock'), () => {
    for (let b = 0, i = c16(MBS); b < MBS; b++, i = i + 1 === n ? 0 : i + 1) {
      const o = mbs.lumaOffset[i]!;
      let best = Infinity;
      for (let mode = 0; mode < 4; mode++) {
        predict16x16(mode, mbs.top16[i]!, mbs.left16[i]!, 7, pred16);
        let cost = 0;
        for (let r = 0; r < 16; r++) cost += satd4x4Px(y, o + (r >> 2) * 4 * sy + (r & 3) * 4, sy, pred16, (r >> 2) * 64 + (r & 3) * 4, 16);
        if (cost < best) best = cost;
      }
      sink += best;
    }
  }]);
  entries.push(['chroma search: predictChroma x8 + satd4x4Px x32', perMb(MBS, MBS_720P, '1 per macroblock'), () => {
    for (let b = 0, i = cc(MBS); b < MBS; b++, i = i + 1 === n ? 0 : i + 1) {
      const o = mbs.chromaOffset[i]!;
      let best = Infinity;
      for (let mode = 0; mode < 4; mode++) {
        let cost = 0;
        for (let c = 0; c < 2; c++) {
          predictChroma(mode, mbs.topC[2 * i + c]!, mbs.leftC[2 * i + c]!, 7, predC);
          const plane = c === 0 ? u : v;
          for (let k = 0; k < 4; k++) cost += satd4x4Px(plane, o + (k >> 1) * 4 * sc + (k & 1) * 4, sc, predC, (k >> 1) * 32 + (k & 1) * 4, 8);
        }
        if (cost < best) best = cost;
      }
      sink += best;
    }
  }]);
  group('Intra 16x16 and chroma prediction (common/intra-pred.ts; foreman CIF edges)', entries);
}

// ---- CAVLC -------------------------------------------------------------------------------------

{
  /** Blocks gathered from the level sets, contiguous: 16 levels each, with their nC. */
  interface Blocks { levels: Int32Array; nC: Int8Array; count: number; meanTotalCoeff: number }
  const gather = (picks: [LevelSet, number][]): Blocks => {
    const levels = new Int32Array(picks.length * 16), nC = new Int8Array(picks.length);
    let coeffs = 0;
    picks.forEach(([set, i], j) => {
      levels.set(set.levels.subarray(i * 16, i * 16 + 16), j * 16);
      nC[j] = set.nC[i]!;
      for (let k = 0; k < 16; k++) if (set.levels[i * 16 + k] !== 0) coeffs++;
    });
    return { levels, nC, count: picks.length, meanTotalCoeff: coeffs / picks.length };
  };
  const totalCoeff = (set: LevelSet, i: number): number => {
    let n = 0;
    for (let k = 0; k < 16; k++) if (set.levels[i * 16 + k] !== 0) n++;
    return n;
  };
  const writer = new BitWriter(1 << 16), counter = new BitCounter();
  const residualBench = (out: BitSink, list: Blocks): (() => void) => {
    const n = list.count, c = cursor(n), { levels: lv, nC } = list;
    return () => {
      if (out === writer) writer.reset();
      for (let b = 0, i = c(BLOCKS); b < BLOCKS; b++, i = i + 1 === n ? 0 : i + 1) sink += writeResidualBlock(out, lv, i * 16, 16, nC[i]!);
    };
  };
  const entries: Entry[] = [], counted: Entry[] = [];
  const sets = [...levelSets.values()];
  for (const set of sets) {
    const coded = gather(Array.from(set.coded, (i): [LevelSet, number] => [set, i]));
    const label = `QP ${set.qp}: ${(100 * set.codedShare).toFixed(0)}% of blocks coded, ${coded.meanTotalCoeff.toFixed(1)} coeffs each`;
    entries.push([`writeResidualBlock -> BitWriter, ${label}`, perBlock(), residualBench(writer, coded)]);
    counted.push([`writeResidualBlock -> BitCounter, ${label}`, perBlock(), residualBench(counter, coded)]);
  }
  // The same blocks sorted by TotalCoeff, whatever their QP.
  const buckets: [string, number, number][] = [['sparse', 1, 2], ['typical', 3, 7], ['dense', 8, 16]];
  for (const [kind, lo, hi] of buckets) {
    const picks = sets.flatMap((set) => Array.from(set.coded, (i): [LevelSet, number] => [set, i]))
      .filter(([set, i]) => totalCoeff(set, i) >= lo && totalCoeff(set, i) <= hi);
    const list = gather(picks);
    entries.push([`writeResidualBlock -> BitWriter, ${kind}: TotalCoeff ${lo}..${hi} (mean ${list.meanTotalCoeff.toFixed(1)}, ${list.count} blocks)`,
      perBlock(), residualBench(writer, list)]);
  }
  const qp27 = levelSets.get(27)!;
  entries.push([
    `writeResidualBlock -> BitWriter, QP 27 every block (${(100 * (1 - qp27.codedShare)).toFixed(0)}% empty)`,
    perBlock(53 * MBS_720P, 'at most 53 per macroblock: both candidates written, every cbp bit set'),
    residualBench(writer, gather(Array.from({ length: blocks.count }, (_, i): [LevelSet, number] => [qp27, i]))),
  ]);
  // The encoder writes residuals into BitWriters only, so the BitCounter rows come last: once
  // writeResidualBlock has seen two sink classes, its calls to them are polymorphic.
  entries.push(...counted);
  group('CAVLC residual_block_cavlc (cavlc.ts; levels of foreman CIF residuals, writer reset per batch)', entries);
}

{
  const rnd = randomBytes(CODES * 2, 7);
  // Values the syntax writers see: mostly small (mb_type, cbp, modes), now and then larger.
  const ueValues = Uint32Array.from({ length: CODES }, (_, i) => (rnd[i]! & 7 ? rnd[i]! & 15 : rnd[i]! * 4));
  const seValues = Int32Array.from(ueValues, (x, i) => (i & 1 ? x : -x));
  const lengths = Uint8Array.from({ length: CODES }, (_, i) => 1 + (rnd[CODES + i]! % 16));
  const writer = new BitWriter(1 << 16), counter = new BitCounter();
  const perCode = (): KernelCost => ({ units: CODES, unit: 'call' });
  group('bit writer (common/bitstream.ts; writer reset per batch of 1024)', [
    ['BitWriter.u(n, v), n = 1..16', perCode(), () => {
      writer.reset();
      for (let i = 0; i < CODES; i++) writer.u(lengths[i]!, ueValues[i]!);
      sink += writer.bitLength;
    }],
    ['BitWriter.ue(v)', perCode(), () => {
      writer.reset();
      for (let i = 0; i < CODES; i++) writer.ue(ueValues[i]!);
      sink += writer.bitLength;
    }],
    ['BitWriter.se(v)', perCode(), () => {
      writer.reset();
      for (let i = 0; i < CODES; i++) writer.se(seValues[i]!);
      sink += writer.bitLength;
    }],
    ['BitCounter.ue(v)', perCode(), () => {
      counter.reset();
      for (let i = 0; i < CODES; i++) counter.ue(ueValues[i]!);
      sink += counter.bitLength;
    }],
  ]);
}

// ---- deblocking --------------------------------------------------------------------------------

{
  const entries: Entry[] = [];
  for (const qp of [27, 37]) {
    const coder = new IntraFrameCoder(foreman.pic, qp, 'balanced');
    coder.codePicture(); // the unfiltered reconstruction and the QP and bS per macroblock
    const work = new Picture(foreman.pic.mbWidth, foreman.pic.mbHeight);
    const params = { filterOffsetA: 0, filterOffsetB: 0, chromaQpIndexOffset: 0 };
    const partOf = qp === 27 ? 'frame' as const : undefined;
    entries.push([`deblockPicture CIF, intra bS, QP ${qp} (incl. restoring the picture)`, {
      units: foreman.pic.mbWidth * foreman.pic.mbHeight, unit: 'macroblock',
      perFrame: qp === 27 ? MBS_720P : undefined, note: 'every macroblock, after the slice', partOf,
    }, () => {
      copyPicture(coder.recon, work);
      deblockPicture(work, coder.state.qpDeblock, coder.state.bs, params);
      sink += work.y[1000]!;
    }]);
  }
  group('deblocking (common/deblock.ts; foreman CIF reconstruction)', entries);
}

// ---- input conversion --------------------------------------------------------------------------

{
  const w = 1280, h = 720, dst = new Picture(80, 45);
  const images: [string, EncoderImage][] = [
    ['rgb24', { width: w, height: h, format: 'rgb24', data: randomBytes(w * h * 3, 1) }],
    ['rgb565be', { width: w, height: h, format: 'rgb565be', data: randomBytes(w * h * 2, 2) }],
    ['nv12', { width: w, height: h, format: 'nv12', data: randomBytes((w * h * 3) / 2, 3) }],
    ['i420 (the y4m path: plane copies)', { width: w, height: h, format: 'i420', data: flower.i420 }],
  ];
  group('input conversion (image-convert.ts; 1280x720, pseudo-random samples)', images.map(([name, image]): Entry => [
    `convertImage ${name}`,
    { units: 1, unit: 'frame', perFrame: name === 'rgb24' ? 1 : undefined, note: 'only for RGB input; not in the y4m encode above' },
    () => {
      convertImage(image, dst);
      sink += dst.y[0]!;
    },
  ]));
}

// ---- motion compensation (P frames) -------------------------------------------------------------

{
  // Reference: flower 720p frame 0, edge-padded as the encoder keeps it. SAD is private to the
  // motion search (inter.ts): see the whole-encoder benches and the profile for its share.
  const { PaddedPlane, LUMA_PAD, CHROMA_PAD } = paddedPlane;
  const { interpolateHalfPlanes, predictLuma, predictLumaFromPlanes, predictChroma: mcChroma } = interpolate;
  const fp = flower.pic;
  const refY = new PaddedPlane(fp.width, fp.height, LUMA_PAD);
  refY.fillFrom(fp.y, fp.strideY);
  const refU = new PaddedPlane(fp.width >> 1, fp.height >> 1, CHROMA_PAD);
  refU.fillFrom(fp.u, fp.strideC);
  const hP = new PaddedPlane(fp.width, fp.height, LUMA_PAD);
  const vP = new PaddedPlane(fp.width, fp.height, LUMA_PAD);
  const hvP = new PaddedPlane(fp.width, fp.height, LUMA_PAD);
  interpolateHalfPlanes(refY, hP, vP, hvP);
  const dst = new Uint8Array(256);
  let k = 0;
  const nextX = (): number => (k = (k + 37) % 60) * 16 + 16;
  group('motion compensation (interpolate.ts; flower 720p reference)', [
    ['interpolateHalfPlanes (b, h, j planes of a whole reference)', { units: 1, unit: 'frame', perFrame: 1 }, () => {
      interpolateHalfPlanes(refY, hP, vP, hvP);
      sink += hP.data[hP.origin]!;
    }],
    ['predictLumaFromPlanes 16x16 at (1,1) (averages two planes)', { units: 1, unit: '16x16 block' }, () => {
      predictLumaFromPlanes(refY, hP, vP, hvP, nextX(), 64, 5, -3, 16, 16, dst, 0, 16);
      sink += dst[0]!;
    }],
    ['predictLumaFromPlanes 16x16 at (2,2) (a plane copy)', { units: 1, unit: '16x16 block' }, () => {
      predictLumaFromPlanes(refY, hP, vP, hvP, nextX(), 64, 6, 2, 16, 16, dst, 0, 16);
      sink += dst[0]!;
    }],
    ['predictLuma 16x16 at (1,1) (6-tap from the full-sample plane)', { units: 1, unit: '16x16 block' }, () => {
      predictLuma(refY, nextX(), 64, 5, -3, 16, 16, dst, 0, 16);
      sink += dst[0]!;
    }],
    ['predictChroma 8x8 at (3,5) (1/8-sample bilinear)', { units: 1, unit: '8x8 block' }, () => {
      mcChroma(refU, nextX() >> 1, 32, 3, 5, 8, 8, dst, 0, 8);
      sink += dst[0]!;
    }],
  ]);
}
