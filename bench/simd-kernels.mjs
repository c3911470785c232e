#!/usr/bin/env node
// @ts-check
/**
 * The WebAssembly SIMD kernels (encoder/simd/kernels.ts) against the TypeScript kernels they
 * replace, on real video: blocks of two flower 720p frames, the way the encoder reads them. For
 * each kernel the script checks that both give the same output, then prints the time per call of
 * each and the ratio. Runs on the compiled encoder in dist/ (npm run build first).
 *
 *   node bench/simd-kernels.mjs [clip.y4m]   (default ../shared/sequences/flower_720p_1280x720.y4m)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const clip = process.argv[2] ?? join(ROOT, '../shared/sequences/flower_720p_1280x720.y4m');
const dist = (/** @type {string} */ p) => import(join(ROOT, 'dist/encoder', p));

const { SimdKernels } = await dist('simd/kernels.js');
const T = await dist('common/transform.js');
const { interpolateHalfPlanes, predictChroma } = await dist('common/interpolate.js');
const { PaddedPlane, LUMA_PAD, CHROMA_PAD } = await dist('common/padded-plane.js');
const { Picture } = await dist('common/picture.js');
const { deblockPicture, setIntraBs } = await dist('common/deblock.js');
const { Intra16x16Mode, dc16x16, plane16Params, predict16x16 } = await dist('common/intra-pred.js');

// Two frames of the clip (luma and Cb).
const buf = readFileSync(clip);
const header = buf.subarray(0, buf.indexOf(10)).toString();
const W = Number(/ W(\d+)/.exec(header)?.[1]), H = Number(/ H(\d+)/.exec(header)?.[1]);
const frameBytes = (W * H * 3) / 2;
const frames = [];
for (let off = header.length + 1; frames.length < 2; off += frameBytes) {
  off = buf.indexOf(10, off) + 1;
  frames.push(buf.subarray(off, off + frameBytes));
}

const mbW = W >> 4, mbH = H >> 4;
const lumaPlane = (W + 2 * LUMA_PAD) * (H + 2 * LUMA_PAD), chromaPlane = (W / 2 + 2 * CHROMA_PAD) * (H / 2 + 2 * CHROMA_PAD);
const sk = SimdKernels.create(5 * lumaPlane + chromaPlane + 2 * W * H + (1 << 16));
if (sk === null) throw new Error('this runtime has no WebAssembly SIMD');
const k = sk.k;

// The reference frame (padded) and its half planes, in the kernels' memory; plain copies for the
// TypeScript kernels.
const ref = new PaddedPlane(W, H, LUMA_PAD, sk.alloc(lumaPlane));
ref.fillFrom(frames[0], W);
const refPlain = new PaddedPlane(W, H, LUMA_PAD);
refPlain.fillFrom(frames[0], W);
const refU = new PaddedPlane(W / 2, H / 2, CHROMA_PAD, sk.alloc(chromaPlane));
refU.fillFrom(frames[0].subarray(W * H), W / 2);
const half = [0, 1, 2].map(() => new PaddedPlane(W, H, LUMA_PAD, sk.alloc(lumaPlane)));
const halfPlain = [0, 1, 2].map(() => new PaddedPlane(W, H, LUMA_PAD));
const tmp = sk.alloc(2 * ref.stride);

/** Source macroblocks of the second frame (stride 16), at 64 spread positions. */
const BLOCKS = 64;
const src = sk.alloc(256 * BLOCKS), pred = sk.alloc(256 * BLOCKS);
const spots = Array.from({ length: BLOCKS }, (_, i) => {
  const mbx = (i * 37) % mbW, mby = (i * 23) % mbH;
  for (let y = 0; y < 16; y++) {
    src.set(frames[1].subarray((mby * 16 + y) * W + mbx * 16, (mby * 16 + y) * W + mbx * 16 + 16), i * 256 + y * 16);
    pred.set(frames[0].subarray((mby * 16 + y) * W + mbx * 16, (mby * 16 + y) * W + mbx * 16 + 16), i * 256 + y * 16);
  }
  // The reference position a motion search would try: one sample right and down.
  return { mbx, mby, refAt: ref.origin + (mby * 16 + 1) * ref.stride + mbx * 16 + 1 };
});

/** Mean nanoseconds per call of fn(i) over i = 0..BLOCKS-1, best of 5 batches after a warm-up. */
function time(/** @type {(i: number) => unknown} */ fn, repeats = 200) {
  let sink = 0;
  for (let r = 0; r < 50; r++) for (let i = 0; i < BLOCKS; i++) sink += Number(fn(i)) | 0;
  let best = Infinity;
  for (let b = 0; b < 5; b++) {
    const t = performance.now();
    for (let r = 0; r < repeats; r++) for (let i = 0; i < BLOCKS; i++) sink += Number(fn(i)) | 0;
    best = Math.min(best, ((performance.now() - t) * 1e6) / (repeats * BLOCKS));
  }
  if (sink === 0.5) console.log(sink);
  return best;
}

/** @type {[string, number, number][]} */
const rows = [];
function compare(/** @type {string} */ name, /** @type {(i: number) => unknown} */ ts, /** @type {(i: number) => unknown} */ simd, /** @type {(i: number) => void} */ check, repeats = 200) {
  for (let i = 0; i < BLOCKS; i++) check(i);
  rows.push([name, time(ts, repeats), time(simd, repeats)]);
}
const same = (/** @type {unknown} */ a, /** @type {unknown} */ b, /** @type {string} */ what) => {
  if (a !== b) throw new Error(`${what}: TypeScript ${a}, SIMD ${b}`);
};

// 16x16 SAD: inter.ts sad (its unrolled, branch-free sad16 for 16-wide blocks).
const { sad } = await dist('inter.js');
const sadTs = (/** @type {number} */ i) => sad(src, i * 256, refPlain.data, spots[i].refAt, ref.stride, 16, 16, Infinity);
const sadSimd = (/** @type {number} */ i) => k.sad16(src.byteOffset + i * 256, 16, ref.data.byteOffset + spots[i].refAt, ref.stride, 16);
compare('SAD 16x16', sadTs, sadSimd, (i) => same(sadTs(i), sadSimd(i), 'SAD'));

// SATD of a 16x16 against the reference, and against the average of two planes.
const satdTs = (/** @type {number} */ i) => {
  let s = 0;
  for (let y = 0; y < 16; y += 4) for (let x = 0; x < 16; x += 4) s += T.satd4x4Px(src, i * 256 + y * 16 + x, 16, refPlain.data, spots[i].refAt + y * ref.stride + x, ref.stride);
  return s;
};
const satdSimd = (/** @type {number} */ i) => k.satd(src.byteOffset + i * 256, 16, ref.data.byteOffset + spots[i].refAt, ref.stride, 16, 16);
compare('SATD 16x16', satdTs, satdSimd, (i) => same(satdTs(i), satdSimd(i), 'SATD'));

// The three half-sample planes of a 720p reference (one call per frame).
const halfTs = () => interpolateHalfPlanes(refPlain, halfPlain[0], halfPlain[1], halfPlain[2]);
const halfSimd = () => k.halfPlanes(ref.data.byteOffset, half[0].data.byteOffset, half[1].data.byteOffset, half[2].data.byteOffset, ref.stride, H + 2 * LUMA_PAD, tmp.byteOffset);
compare(`half-sample planes ${W}x${H}`, halfTs, halfSimd, (i) => {
  if (i > 0) return;
  halfTs();
  halfSimd();
  for (let p = 0; p < 3; p++) same(Buffer.compare(half[p].data, halfPlain[p].data), 0, 'half planes');
}, 1);

// Forward path of 16 luma blocks (difference, transform, quantisation, scaling), QP 27, inter dead zone.
const coef = new Int32Array(256), levels = new Int32Array(256);
const QP = 27, bias = ((1 << (15 + 4)) / 6) | 0;
const quantTs = (/** @type {number} */ i) => {
  let n = 0;
  for (let r = 0; r < 16; r++) {
    const o = i * 256 + (r >> 2) * 64 + (r & 3) * 4;
    n += T.forwardQuant4x4Px(src, o, 16, pred, o, 16, coef, r * 16, levels, r * 16, 0, QP, bias);
  }
  return n;
};
const srcViews = spots.map((_, i) => src.subarray(i * 256, i * 256 + 256)), predViews = spots.map((_, i) => pred.subarray(i * 256, i * 256 + 256));
const quantSimd = (/** @type {number} */ i) => sk.lumaQuant(srcViews[i], predViews[i], QP, bias);
compare('transform + quantisation, 16 luma 4x4', quantTs, quantSimd, (i) => {
  quantTs(i);
  quantSimd(i);
  for (let j = 0; j < 256; j++) same(levels[j], sk.levels[j], 'levels');
});

// Reconstruction of 16 luma blocks, all coded (the coefficients of the forward path above).
const recon = new Uint8Array(256);
const reconTs = (/** @type {number} */ i) => {
  let s = 0;
  for (let r = 0; r < 16; r++) {
    const o = (r >> 2) * 64 + (r & 3) * 4;
    s += T.reconstruct4x4(sk.coef, r * 16, pred, i * 256 + o, 16, recon, o, 16, src, i * 256 + o, 16);
  }
  return s;
};
const reconSimd = (/** @type {number} */ i) => sk.reconstruct(srcViews[i], pred, i * 256, false, 0xffff);
compare('inverse transform + reconstruction, 16 luma 4x4', reconTs, reconSimd, (i) => {
  sk.lumaQuant(srcViews[i], predViews[i], QP, bias);
  same(reconTs(i), reconSimd(i), 'SSD');
  same(Buffer.compare(recon, sk.recon), 0, 'reconstruction');
});

// The Intra_16x16 mode search of a macroblock against its edges in the reference picture: the
// TypeScript way (searchI16: the source's Hadamard transforms, flat modes from them, Plane by a
// prediction and SATD) against the kernel (four predictions and SATDs).
const had = new Int32Array(256), all = new Int32Array(16), notRow0 = new Int32Array(16), notCol0 = new Int32Array(16);
const t16 = new Uint8Array(17), l16 = new Uint8Array(16), i16Pred = new Uint8Array(256), i16PredSimd = sk.alloc(256);
const picAt = (/** @type {number} */ i) => ref.origin + spots[i].mby * 16 * ref.stride + spots[i].mbx * 16;
const i16Ts = (/** @type {number} */ i) => {
  const o = picAt(i);
  for (let x = 0; x < 17; x++) t16[x] = refPlain.data[o - refPlain.stride - 1 + x];
  for (let y = 0; y < 16; y++) l16[y] = refPlain.data[o + y * refPlain.stride - 1];
  for (let r = 0; r < 16; r++) {
    T.hadamard4x4Px(src, i * 256 + (r >> 2) * 64 + (r & 3) * 4, 16, had, r * 16);
    T.hadamardAbsSums(had, r * 16, all, notRow0, notCol0, r);
  }
  let best = 0, bestCost = Infinity;
  for (let mode = 0; mode < 4; mode++) {
    let cost = 0;
    for (let r = 0; r < 16; r++) {
      const t = 1 + (r & 3) * 4, l = (r >> 2) * 4;
      if (mode === 0) cost += T.satdVertical(had, r * 16, notRow0[r], t16[t], t16[t + 1], t16[t + 2], t16[t + 3]);
      else if (mode === 1) cost += T.satdHorizontal(had, r * 16, notCol0[r], l16[l], l16[l + 1], l16[l + 2], l16[l + 3]);
      else if (mode === 2) cost += T.satdDc(had, r * 16, all[r], dc16x16(t16, l16, 7));
    }
    if (mode === 3) {
      predict16x16(Intra16x16Mode.Plane, t16, l16, 7, i16Pred);
      for (let r = 0; r < 16; r++) cost += T.satd4x4Px(src, i * 256 + (r >> 2) * 64 + (r & 3) * 4, 16, i16Pred, (r >> 2) * 64 + (r & 3) * 4, 16);
    }
    if (cost < bestCost) {
      bestCost = cost;
      best = mode;
    }
  }
  return (best << 24) | bestCost;
};
const i16Simd = (/** @type {number} */ i) => k.intra16x16(src.byteOffset + i * 256, ref.data.byteOffset + picAt(i), ref.stride, 3, i16PredSimd.byteOffset);
compare('Intra_16x16 mode search (4 modes)', i16Ts, i16Simd, (i) => same(i16Ts(i), i16Simd(i), 'mode and SATD'));

// Intra_16x16 Plane prediction from the macroblock's edges.
const top = new Uint8Array(17), left = new Uint8Array(16), abc = new Int32Array(3), planeOut = new Uint8Array(256);
const edgesOf = (/** @type {number} */ i) => {
  for (let x = 0; x < 17; x++) top[x] = pred[i * 256 + x % 16];
  for (let y = 0; y < 16; y++) left[y] = pred[i * 256 + y * 16];
};
const planeTs = (/** @type {number} */ i) => { edgesOf(i); predict16x16(Intra16x16Mode.Plane, top, left, 7, planeOut); };
const planeSimd = (/** @type {number} */ i) => { edgesOf(i); plane16Params(top, left, abc); k.plane16(pred.byteOffset + i * 256, abc[0], abc[1], abc[2]); };
compare('Intra_16x16 Plane prediction', planeTs, planeSimd, () => {}, 200);

// Chroma motion compensation of an 8x8 block at an eighth-sample position.
const chromaOut = new Uint8Array(64), chromaDst = sk.alloc(64);
const chromaTs = (/** @type {number} */ i) => predictChroma(refU, spots[i].mbx * 8, spots[i].mby * 8, 5, 3, 8, 8, chromaOut, 0, 8);
const chromaSimd = (/** @type {number} */ i) => {
  const s = refU.data.byteOffset + refU.origin + spots[i].mby * 8 * refU.stride + spots[i].mbx * 8;
  k.chroma8(s, refU.stride, chromaDst.byteOffset, 8, 8, 3 * 5, 5 * 5, 3 * 3, 5 * 3);
};
compare('chroma prediction 8x8', chromaTs, chromaSimd, (i) => {
  chromaTs(i);
  chromaSimd(i);
  same(Buffer.compare(chromaOut, chromaDst), 0, 'chroma prediction');
});

// Deblocking a whole 720p picture with intra bS: filterEdge against the deblockPicture kernel.
const qpDeblock = new Uint8Array(mbW * mbH).fill(32), bs = new Uint8Array(mbW * mbH * 32);
for (let mb = 0; mb < mbW * mbH; mb++) setIntraBs(bs, mb);
// The kernel reads QPs and bS from its memory.
const qpSimd = sk.alloc(qpDeblock.length), bsSimd = sk.alloc(bs.length);
qpSimd.set(qpDeblock);
bsSimd.set(bs);
const picPlain = new Picture(mbW, mbH), picSimd = new Picture(mbW, mbH, (n) => sk.alloc(n));
const params = { filterOffsetA: 0, filterOffsetB: 0, chromaQpIndexOffset: 0 };
const loadPics = () => {
  for (const p of [picPlain, picSimd]) { p.y.set(frames[1].subarray(0, W * H)); p.u.set(frames[1].subarray(W * H, W * H * 5 / 4)); p.v.set(frames[1].subarray(W * H * 5 / 4)); }
};
compare(`deblocking ${W}x${H} (intra bS, QP 32)`, () => { loadPics(); deblockPicture(picPlain, qpDeblock, bs, params); },
  () => { loadPics(); deblockPicture(picSimd, qpSimd, bsSimd, params, sk); }, (i) => {
    if (i > 0) return;
    loadPics();
    deblockPicture(picPlain, qpDeblock, bs, params);
    deblockPicture(picSimd, qpSimd, bsSimd, params, sk);
    same(Buffer.compare(picPlain.y, picSimd.y), 0, 'deblocked luma');
    same(Buffer.compare(picPlain.u, picSimd.u), 0, 'deblocked Cb');
  }, 1);

const fmt = (/** @type {number} */ ns) => (ns >= 1e5 ? `${(ns / 1e6).toFixed(2)} ms` : `${ns.toFixed(0)} ns`);
console.log(`| kernel (${clip.split('/').pop()}) | TypeScript | WebAssembly SIMD | ratio |`);
console.log('|---|--:|--:|--:|');
for (const [name, ts, simd] of rows) console.log(`| ${name} | ${fmt(ts)} | ${fmt(simd)} | ${(ts / simd).toFixed(1)}x |`);
