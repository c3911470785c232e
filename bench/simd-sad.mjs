#!/usr/bin/env node
// @ts-check
/**
 * What WebAssembly SIMD would buy the motion search: a 16x16 SAD written as our JavaScript
 * (sad16 of encoder/inter.ts, branch-free) against the same SAD as a WASM SIMD function, on real
 * video (two frames of flower 720p, the blocks of one against positions near them in the other,
 * the way a motion search reads). Both must give the same sums; the script prints nanoseconds per
 * SAD and the ratio. A measurement for deciding on SIMD kernels (encoder/docs/profiling.md), not
 * part of the encoder: the module is assembled here, byte by byte, from the WebAssembly binary
 * format (core spec 5, SIMD opcodes 0xfd 0x00 v128.load, 0x77 i8x16.min_u, 0x79 i8x16.max_u,
 * 0x71 i8x16.sub, 0x7d i16x8.extadd_pairwise_i8x16_u, 0x8e i16x8.add, 0x7f
 * i32x4.extadd_pairwise_i16x8_u, 0x1b i32x4.extract_lane).
 *
 *   node bench/simd-sad.mjs [clip.y4m]      (default ../shared/sequences/flower_720p_1280x720.y4m)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const clip = process.argv[2] ?? join(ROOT, '../shared/sequences/flower_720p_1280x720.y4m');

/** @param {number} n unsigned LEB128 */
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
/** @param {string} s */
const name = (s) => [...leb(s.length), ...Buffer.from(s)];
/** @param {number} id @param {number[]} body */
const section = (id, body) => [id, ...leb(body.length), ...body];
/** @param {number} op */
const simd = (op) => [0xfd, ...leb(op)];
const I32 = 0x7f, V128 = 0x7b;
/** @param {number} i */
const get = (i) => [0x20, i];
/** @param {number} i */
const set = (i) => [0x21, i];

// sad(src, ref, refStride) -> i32, src 16x16 at stride 16. Locals: 0 src, 1 ref, 2 stride
// (params), 3 row (i32), 4 sum, 5 a, 6 b (v128). |a - b| = max_u(a, b) - min_u(a, b) per byte;
// pairs of bytes add into 16-bit lanes (at most 16 rows x 510: no overflow), then into 32 bits.
const body = [
  2, 1, I32, 3, V128,
  0x03, 0x40, // loop
  ...get(0), ...simd(0x00), 0, 0, ...set(5),
  ...get(1), ...simd(0x00), 0, 0, ...set(6),
  ...get(5), ...get(6), ...simd(0x79), ...get(5), ...get(6), ...simd(0x77), ...simd(0x71),
  ...simd(0x7d), ...get(4), ...simd(0x8e), ...set(4),
  ...get(0), 0x41, ...leb(16), 0x6a, ...set(0), // src += 16
  ...get(1), ...get(2), 0x6a, ...set(1), // ref += stride
  ...get(3), 0x41, 1, 0x6a, 0x22, 3, 0x41, 16, 0x48, 0x0d, 0, // ++row < 16: again
  0x0b,
  ...get(4), ...simd(0x7f), 0x22, 4,
  ...simd(0x1b), 0, ...get(4), ...simd(0x1b), 1, 0x6a, ...get(4), ...simd(0x1b), 2, 0x6a, ...get(4), ...simd(0x1b), 3, 0x6a,
  0x0b,
];
const module = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]), // type: (i32 i32 i32) -> i32
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(5, [1, 0, ...leb(128)]), // memory: 128 pages (8 MiB), no maximum
  ...section(7, [2, ...name('sad'), 0, 0, ...name('memory'), 2, 0]),
  ...section(10, [1, ...leb(body.length), ...body]),
]);
const { instance } = await WebAssembly.instantiate(module);
const wasmSad = /** @type {(src: number, ref: number, stride: number) => number} */ (instance.exports.sad);
const memory = new Uint8Array(/** @type {WebAssembly.Memory} */ (instance.exports.memory).buffer);

/** sad16 of encoder/inter.ts (no early exit). @param {Uint8Array} a @param {number} ao @param {Uint8Array} b @param {number} bo @param {number} bs */
function jsSad(a, ao, b, bo, bs) {
  let s = 0;
  for (let y = 0; y < 16; y++, ao += 16, bo += bs) {
    let r = 0;
    for (let x = 0; x < 16; x += 4) {
      const d0 = a[ao + x] - b[bo + x], d1 = a[ao + x + 1] - b[bo + x + 1];
      const d2 = a[ao + x + 2] - b[bo + x + 2], d3 = a[ao + x + 3] - b[bo + x + 3];
      const m0 = d0 >> 31, m1 = d1 >> 31, m2 = d2 >> 31, m3 = d3 >> 31;
      r += ((d0 ^ m0) - m0) + ((d1 ^ m1) - m1) + ((d2 ^ m2) - m2) + ((d3 ^ m3) - m3);
    }
    s += r;
  }
  return s;
}

// Two luma planes: frame 0 (the reference, in WASM memory too) and frame 1 (source blocks).
const y4m = readFileSync(clip);
const header = y4m.subarray(0, y4m.indexOf(10)).toString();
const W = Number(/ W(\d+)/.exec(header)?.[1]), H = Number(/ H(\d+)/.exec(header)?.[1]);
const frameBytes = (W * H * 3) / 2;
const firstFrame = y4m.indexOf('FRAME') + 6;
const refPlane = y4m.subarray(firstFrame, firstFrame + W * H);
const srcPlane = y4m.subarray(firstFrame + frameBytes + 6, firstFrame + frameBytes + 6 + W * H);
const REF = 65536;
memory.set(refPlane, REF);
const ref = memory.subarray(REF, REF + W * H);

// Jobs: each source macroblock against 24 positions within +-8 of it, as a hexagon search reads.
const SRC = 0, blocks = [];
for (let my = 1; my < H / 16 - 1; my += 3) for (let mx = 1; mx < W / 16 - 1; mx += 3) blocks.push([mx * 16, my * 16]);
const srcBlocks = blocks.map(([x, y]) => { const b = new Uint8Array(256); for (let r = 0; r < 16; r++) b.set(srcPlane.subarray((y + r) * W + x, (y + r) * W + x + 16), r * 16); return b; });
const offsets = blocks.map(([x, y]) => Int32Array.from({ length: 24 }, (_, k) => (y + ((k * 7) % 17) - 8) * W + x + ((k * 11) % 17) - 8));

let checked = 0;
for (let i = 0; i < blocks.length; i++) {
  memory.set(srcBlocks[i], SRC);
  for (const o of offsets[i]) {
    if (wasmSad(SRC, REF + o, W) !== jsSad(srcBlocks[i], 0, ref, o, W)) throw new Error(`the two SADs differ at block ${i}, offset ${o}`);
    checked++;
  }
}

const ROUNDS = 200, calls = ROUNDS * checked;
for (let round = 0; round < 3; round++) {
  let t = performance.now(), js = 0;
  for (let k = 0; k < ROUNDS; k++) for (let i = 0; i < blocks.length; i++) for (const o of offsets[i]) js += jsSad(srcBlocks[i], 0, ref, o, W);
  const jsNs = ((performance.now() - t) * 1e6) / calls;
  t = performance.now();
  let wasm = 0;
  for (let k = 0; k < ROUNDS; k++) {
    for (let i = 0; i < blocks.length; i++) {
      memory.set(srcBlocks[i], SRC);
      for (const o of offsets[i]) wasm += wasmSad(SRC, REF + o, W);
    }
  }
  const wasmNs = ((performance.now() - t) * 1e6) / calls;
  if (js !== wasm) throw new Error('the sums differ');
  console.log(`16x16 SAD on ${W}x${H} video (${checked} block pairs, equal sums): JavaScript ${jsNs.toFixed(0)} ns, WASM SIMD ${wasmNs.toFixed(0)} ns (x${(jsNs / wasmNs).toFixed(1)})`);
}
