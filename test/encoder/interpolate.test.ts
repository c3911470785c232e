/**
 * Inter prediction sample generation against H.264 (08/2021) 8.4.2.2. The references
 * (lumaSampleRef, chromaSampleRef) are first held to values worked out by hand from the spec's
 * equations; the fast block kernels are then held to the references sample by sample, for every
 * fractional position, every partition size and block positions inside, across and beyond the
 * picture edges up to the documented margins.
 */
import { describe, expect, it } from 'vitest';
import {
  chromaBlockInside, chromaSampleRef, interpolateHalfPlanes, lumaBlockInside, lumaSampleRef,
  lumaSources, predictChroma, predictLuma, predictLumaFromPlanes, type LumaSources,
} from '../../encoder/common/interpolate.js';
import { CHROMA_PAD, LUMA_PAD, PaddedPlane } from '../../encoder/common/padded-plane.js';
import { prng } from '../helpers/synthetic.js';

const LUMA_SIZES: [number, number][] = [[16, 16], [8, 16], [16, 8], [8, 8], [8, 4], [4, 8], [4, 4]];
const CHROMA_SIZES: [number, number][] = [[8, 8], [8, 4], [4, 8], [4, 4], [4, 2], [2, 4], [2, 2]];

interface Plane { data: Uint8Array; width: number; height: number }

/** Uniform noise, or noise of only 0 and 255 (which drives the six-tap filter into both clips). */
function randomPlane(width: number, height: number, seed: number, binary: boolean): Plane {
  const rnd = prng(seed);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = binary ? (rnd() & 1) * 255 : rnd() & 255;
  return { data, width, height };
}

function planeOf(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
}

function padded(p: Plane, pad: number): PaddedPlane {
  const out = new PaddedPlane(p.width, p.height, pad);
  out.fillFrom(p.data, p.width);
  return out;
}

const lumaRef = (p: Plane, x: number, y: number, xFrac: number, yFrac: number): number =>
  lumaSampleRef(p.data, p.width, p.width, p.height, x, y, xFrac, yFrac);

describe('lumaSampleRef (8.4.2.2.1) against hand-worked values', () => {
  it('a vertical step edge 0 | 255 between columns 7 and 8: b, a, c and both clips', () => {
    const p = planeOf(16, 16, (x) => (x < 8 ? 0 : 255));
    // G = column 7: E = F = G = 0, H = I = J = 255: b1 = 20*255 - 5*255 + 255 = 4080, b = (4080 + 16) >> 5 = 128.
    expect(lumaRef(p, 7, 5, 2, 0)).toBe(128);
    expect(lumaRef(p, 7, 5, 1, 0)).toBe(64); // a = (G + b + 1) >> 1 = (0 + 128 + 1) >> 1
    expect(lumaRef(p, 7, 5, 3, 0)).toBe(192); // c = (H + b + 1) >> 1 = (255 + 128 + 1) >> 1
    // G = column 6: only I and J are 255: b1 = -5*255 + 255 = -1020, (-1020 + 16) >> 5 = -32 -> Clip1 = 0.
    expect(lumaRef(p, 6, 5, 2, 0)).toBe(0);
    // G = column 8: E = F = 0, G = H = I = J = 255: b1 = 40*255 - 5*255 + 255 = 9180, 9196 >> 5 = 287 -> 255.
    expect(lumaRef(p, 8, 5, 2, 0)).toBe(255);
    // Columns are constant, so h = G and j = b (j1 = 32 * b1).
    expect(lumaRef(p, 7, 5, 0, 2)).toBe(0);
    expect(lumaRef(p, 8, 5, 0, 2)).toBe(255);
    expect(lumaRef(p, 7, 5, 2, 2)).toBe(128);
    expect(lumaRef(p, 7, 5, 1, 1)).toBe(64); // e = (b + h + 1) >> 1 = (128 + 0 + 1) >> 1
  });

  it('a horizontal step 10 above 200 below, between rows 7 and 8: h, d, n', () => {
    const p = planeOf(16, 16, (_x, y) => (y < 8 ? 10 : 200));
    // G = row 7: A = C = G = 10, M = R = T = 200: h1 = 10 - 50 + 200 + 4000 - 1000 + 200 = 3360, h = 3376 >> 5 = 105.
    expect(lumaRef(p, 3, 7, 0, 2)).toBe(105);
    expect(lumaRef(p, 3, 7, 0, 1)).toBe(58); // d = (10 + 105 + 1) >> 1
    expect(lumaRef(p, 3, 7, 0, 3)).toBe(153); // n = (200 + 105 + 1) >> 1
    // G = row 8: A = C = 10, rest 200: h1 = 10 - 50 + 4000 + 4000 - 1000 + 200 = 7160, 7176 >> 5 = 224.
    expect(lumaRef(p, 3, 8, 0, 2)).toBe(224);
  });

  it('an impulse of 255 at (8, 8): j, f, q, i, k and the diagonal quarter samples', () => {
    const p = planeOf(16, 16, (x, y) => (x === 8 && y === 8 ? 255 : 0));
    // G = (7, 7): the impulse is at dx = 1, dy = 1 (taps 20 and 20): j1 = 400*255 = 102000, j = 102512 >> 10 = 100.
    expect(lumaRef(p, 7, 7, 2, 2)).toBe(100);
    // The half samples around it: b (row 7) = h (column 7) = 0; s (row 8) = m (column 8): 20*255 = 5100, 5116 >> 5 = 159.
    expect(lumaRef(p, 7, 7, 2, 0)).toBe(0); // b
    expect(lumaRef(p, 7, 7, 0, 2)).toBe(0); // h
    expect(lumaRef(p, 7, 8, 2, 0)).toBe(159); // s, as b of G = (7, 8)
    expect(lumaRef(p, 8, 7, 0, 2)).toBe(159); // m, as h of G = (8, 7)
    expect(lumaRef(p, 7, 7, 2, 1)).toBe(50); // f = (b + j + 1) >> 1 = (0 + 100 + 1) >> 1
    expect(lumaRef(p, 7, 7, 2, 3)).toBe(130); // q = (j + s + 1) >> 1 = (100 + 159 + 1) >> 1
    expect(lumaRef(p, 7, 7, 1, 2)).toBe(50); // i = (h + j + 1) >> 1
    expect(lumaRef(p, 7, 7, 3, 2)).toBe(130); // k = (j + m + 1) >> 1
    expect(lumaRef(p, 7, 7, 1, 1)).toBe(0); // e = (b + h + 1) >> 1
    expect(lumaRef(p, 7, 7, 3, 1)).toBe(80); // g = (b + m + 1) >> 1
    expect(lumaRef(p, 7, 7, 1, 3)).toBe(80); // p = (h + s + 1) >> 1
    expect(lumaRef(p, 7, 7, 3, 3)).toBe(159); // r = (m + s + 1) >> 1
    // G = (6, 6): dx = dy = 2, taps -5 and -5: j1 = 25*255 = 6375, 6887 >> 10 = 6.
    expect(lumaRef(p, 6, 6, 2, 2)).toBe(6);
    // G = (7, 6): taps 20 and -5: j1 = -25500, (-25500 + 512) >> 10 = -25 -> Clip1 = 0.
    expect(lumaRef(p, 7, 6, 2, 2)).toBe(0);
    // G = (8, 8), the impulse itself: b = h = 159, a = d = (255 + 159 + 1) >> 1 = 207, c = n = (0 + 159 + 1) >> 1 = 80.
    expect(lumaRef(p, 8, 8, 0, 0)).toBe(255);
    expect(lumaRef(p, 8, 8, 1, 0)).toBe(207);
    expect(lumaRef(p, 8, 8, 3, 0)).toBe(80);
    expect(lumaRef(p, 8, 8, 0, 1)).toBe(207);
    expect(lumaRef(p, 8, 8, 0, 3)).toBe(80);
  });

  it('clamps coordinates to the picture: far outside, a sample is the nearest edge sample', () => {
    const p = randomPlane(16, 16, 3, false);
    for (let xFrac = 0; xFrac < 4; xFrac++) {
      // All six taps at column 0: b1 = 32 * G, b = G.
      expect(lumaRef(p, -1000, 5, xFrac, 0)).toBe(p.data[5 * 16]);
      expect(lumaRef(p, 1000, 5, xFrac, 0)).toBe(p.data[5 * 16 + 15]);
      expect(lumaRef(p, -1000, -1000, xFrac, xFrac)).toBe(p.data[0]);
      expect(lumaRef(p, 1000, 1000, xFrac, 3 - xFrac)).toBe(p.data[255]);
    }
    // Near the edge, clamping changes the taps: G = column 0 with E = F = column 0.
    const step = planeOf(16, 16, (x) => (x === 0 ? 100 : 0));
    // G = (-1, y): E = F = G = H = 100 (clamped to column 0), I = column 1 = 0, J = 0: b1 = 100 - 500 + 2000 + 2000 = 3600, (3616) >> 5 = 113.
    expect(lumaRef(step, -1, 3, 2, 0)).toBe(113);
  });
});

describe('chromaSampleRef (8.4.2.2.2) against hand-worked values', () => {
  it('8-266 weights and clamping', () => {
    const p = planeOf(8, 8, (x, y) => 10 + 10 * x + 20 * y); // A = 10, B = 20, C = 30, D = 40 at (0, 0)
    // ((8-3)(8-5)*10 + 3*(8-5)*20 + (8-3)*5*30 + 3*5*40 + 32) >> 6 = (150 + 180 + 750 + 600 + 32) >> 6 = 26.
    expect(chromaSampleRef(p.data, 8, 8, 8, 0, 0, 3, 5)).toBe(26);
    // (7*7*10 + 1*7*20 + 7*1*30 + 1*1*40 + 32) >> 6 = (490 + 140 + 210 + 40 + 32) >> 6 = 14.
    expect(chromaSampleRef(p.data, 8, 8, 8, 0, 0, 1, 1)).toBe(14);
    expect(chromaSampleRef(p.data, 8, 8, 8, 3, 2, 0, 0)).toBe(10 + 30 + 40);
    // Outside: every neighbour clamps to the same corner sample, so the weights sum to 64 on it.
    expect(chromaSampleRef(p.data, 8, 8, 8, -5, -9, 3, 5)).toBe(10);
    expect(chromaSampleRef(p.data, 8, 8, 8, 50, 50, 7, 7)).toBe(p.data[63]);
    // x = 7 is the last column: B clamps onto A. ((8-4)*8*A + 4*8*A + 32) >> 6 = A.
    expect(chromaSampleRef(p.data, 8, 8, 8, 7, 0, 4, 0)).toBe(p.data[7]);
  });
});

describe('PaddedPlane', () => {
  it('fillFrom replicates edges and corners into the pad (any read equals the clamped read)', () => {
    const w = 16, h = 8, pad = 5, srcStride = 20;
    const src = new Uint8Array(srcStride * h);
    for (let i = 0; i < src.length; i++) src[i] = (i * 37 + 11) & 255;
    const p = new PaddedPlane(w, h, pad);
    expect(p.stride).toBe(w + 2 * pad);
    expect(p.origin).toBe(pad * p.stride + pad);
    p.data.fill(7);
    p.fillFrom(src, srcStride);
    const at = (x: number, y: number): number => p.data[p.origin + y * p.stride + x]!;
    const clamp = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
    expect(at(-pad, -pad)).toBe(src[0]);
    expect(at(w + pad - 1, -pad)).toBe(src[w - 1]);
    expect(at(-pad, h + pad - 1)).toBe(src[(h - 1) * srcStride]);
    expect(at(w + pad - 1, h + pad - 1)).toBe(src[(h - 1) * srcStride + w - 1]);
    for (let y = -pad; y < h + pad; y++) {
      for (let x = -pad; x < w + pad; x++) expect(at(x, y)).toBe(src[clamp(y, h - 1) * srcStride + clamp(x, w - 1)]);
    }
    expect(p.data.length).toBe(p.stride * (h + 2 * pad));
  });

  it('rejects a bad geometry by name', () => {
    expect(() => new PaddedPlane(0, 16, 64)).toThrow(/width must be a positive integer, got 0/);
    expect(() => new PaddedPlane(16, 16, -1)).toThrow(/pad must be/);
  });
});

/** A test picture with its padded copy and half-sample planes. */
interface LumaFixture { pic: Plane; ref: PaddedPlane; hp: PaddedPlane; vp: PaddedPlane; hvp: PaddedPlane }

function lumaFixture(width: number, height: number, seed: number, binary: boolean): LumaFixture {
  const pic = randomPlane(width, height, seed, binary);
  const ref = padded(pic, LUMA_PAD);
  const hp = new PaddedPlane(width, height, LUMA_PAD), vp = new PaddedPlane(width, height, LUMA_PAD), hvp = new PaddedPlane(width, height, LUMA_PAD);
  interpolateHalfPlanes(ref, hp, vp, hvp);
  return { pic, ref, hp, vp, hvp };
}

/** Integer positions of a w-wide block over the whole usable range, extremes included. */
function positions(rnd: () => number, size: number, w: number, lo: number, hi: number, count: number): number[] {
  const out = [lo, hi, 0, size - w, -w, size, -w - 1, size + 1];
  while (out.length < count) out.push(lo + (rnd() % (hi - lo + 1)));
  return out.filter((v) => v >= lo && v <= hi);
}

const FIXTURES: [number, number, boolean][] = [[16, 16, false], [16, 16, true], [48, 32, false], [32, 64, true]];

describe('predictLuma and predictLumaFromPlanes equal lumaSampleRef', () => {
  const DST_STRIDE = 19, DST_OFFSET = 2 * DST_STRIDE + 1, SENTINEL = 0xa5;
  // A view at an odd byte offset into a larger buffer: the kernels' 32-bit stores must honour it.
  const dst = new Uint8Array(3 + DST_OFFSET + 16 * DST_STRIDE + 4).subarray(3);

  it.each(FIXTURES)('%ix%i picture (binary noise: %s), every position, size and margin', (width, height, binary) => {
    const f = lumaFixture(width, height, width * 131 + height + (binary ? 7 : 0), binary);
    const rnd = prng(width * 7 + height);
    let checked = 0;
    for (const [w, h] of LUMA_SIZES) {
      // The usable margin: xInt >= -(pad - 2), xInt + w <= width + pad - 3.
      const xs = positions(rnd, width, w, 2 - LUMA_PAD, width + LUMA_PAD - 3 - w, 10);
      const ys = positions(rnd, height, h, 2 - LUMA_PAD, height + LUMA_PAD - 3 - h, 10);
      for (let k = 0; k < xs.length; k++) {
        const xInt = xs[k]!, yInt = ys[k % ys.length]!;
        expect(lumaBlockInside(f.ref, xInt, yInt, w, h)).toBe(true);
        // The block's own position inside the picture, the vector taking it to (xInt, yInt).
        const x = (rnd() % (width / 4)) * 4 % (width - w + 1), y = (rnd() % (height / 4)) * 4 % (height - h + 1);
        for (let xFrac = 0; xFrac < 4; xFrac++) {
          for (let yFrac = 0; yFrac < 4; yFrac++) {
            const mvx = (xInt - x) * 4 + xFrac, mvy = (yInt - y) * 4 + yFrac;
            for (const fromPlanes of [false, true]) {
              dst.fill(SENTINEL);
              if (fromPlanes) predictLumaFromPlanes(f.ref, f.hp, f.vp, f.hvp, x, y, mvx, mvy, w, h, dst, DST_OFFSET, DST_STRIDE);
              else predictLuma(f.ref, x, y, mvx, mvy, w, h, dst, DST_OFFSET, DST_STRIDE);
              for (let r = 0; r < h; r++) {
                for (let c = 0; c < w; c++) {
                  const want = lumaRef(f.pic, xInt + c, yInt + r, xFrac, yFrac);
                  const got = dst[DST_OFFSET + r * DST_STRIDE + c];
                  if (got !== want) {
                    expect.fail(`${fromPlanes ? 'predictLumaFromPlanes' : 'predictLuma'} ${w}x${h} at (${xInt}, ${yInt}) frac (${xFrac}, ${yFrac}), sample (${c}, ${r}): ${got}, reference ${want}`);
                  }
                }
              }
              // Nothing outside the block is written.
              expect(dst[DST_OFFSET - 1]).toBe(SENTINEL);
              expect(dst[DST_OFFSET + w]).toBe(SENTINEL);
              expect(dst[DST_OFFSET + h * DST_STRIDE]).toBe(SENTINEL);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(7 * 16 * 2 * 8);
  });

  it('the margin is tight: one sample further fails lumaBlockInside', () => {
    const { ref } = lumaFixture(16, 16, 1, false);
    expect(lumaBlockInside(ref, -62, -62, 16, 16)).toBe(true);
    expect(lumaBlockInside(ref, -63, 0, 16, 16)).toBe(false);
    expect(lumaBlockInside(ref, 0, -63, 16, 16)).toBe(false);
    expect(lumaBlockInside(ref, 16 + 61 - 16, 16 + 61 - 16, 16, 16)).toBe(true);
    expect(lumaBlockInside(ref, 16 + 62 - 16, 0, 16, 16)).toBe(false);
  });

  it('a block far left of the picture replicates column 0', () => {
    const f = lumaFixture(32, 16, 5, false);
    const out = new Uint8Array(256);
    for (let xFrac = 0; xFrac < 4; xFrac++) {
      // xInt = -60: the whole six-tap window (columns -62 .. -42) is left of the picture.
      predictLuma(f.ref, 0, 0, -60 * 4 + xFrac, 0, 16, 16, out, 0, 16);
      for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) expect(out[r * 16 + c]).toBe(f.pic.data[r * 32]);
      predictLumaFromPlanes(f.ref, f.hp, f.vp, f.hvp, 0, 0, -60 * 4 + xFrac, 0, 16, 16, out, 0, 16);
      for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) expect(out[r * 16 + c]).toBe(f.pic.data[r * 32]);
    }
  });

  it('writes into whichever buffer it is given, one after another', () => {
    const f = lumaFixture(32, 32, 11, false);
    const a = new Uint8Array(256), b = new Uint8Array(300).subarray(44), want = new Uint8Array(256);
    for (const [mvx, mvy] of [[0, 0], [5, -7], [-6, 10]] as const) {
      for (let k = 0; k < 256; k++) want[k] = lumaRef(f.pic, 8 + (mvx >> 2) + (k & 15), 8 + (mvy >> 2) + (k >> 4), mvx & 3, mvy & 3);
      for (const out of [a, b, a]) {
        out.fill(0);
        predictLumaFromPlanes(f.ref, f.hp, f.vp, f.hvp, 8, 8, mvx, mvy, 16, 16, out, 0, 16);
        expect(out).toEqual(want);
        out.fill(0);
        predictLuma(f.ref, 8, 8, mvx, mvy, 16, 16, out, 0, 16);
        expect(out).toEqual(want);
      }
    }
    expect(b.buffer.byteLength).toBe(300);
  });

  it('interpolateHalfPlanes: b, h and j wherever the margin allows, on a whole picture', () => {
    const f = lumaFixture(16, 32, 9, true);
    const { ref } = f, at = (p: PaddedPlane, x: number, y: number): number => p.data[p.origin + y * p.stride + x]!;
    const lo = 2 - LUMA_PAD, rows = [32 + LUMA_PAD - 4];
    for (let y = lo; y < 32 + LUMA_PAD - 4; y += 5) rows.push(y);
    for (const y of rows) {
      for (let x = lo; x <= 16 + LUMA_PAD - 4; x++) {
        expect(at(f.hp, x, y)).toBe(lumaRef(f.pic, x, y, 2, 0));
        expect(at(f.vp, x, y)).toBe(lumaRef(f.pic, x, y, 0, 2));
        expect(at(f.hvp, x, y)).toBe(lumaRef(f.pic, x, y, 2, 2));
      }
    }
    // Hp is computed on every row, Vp on every column: the pad's outer rows and columns.
    expect(at(f.hp, 0, -LUMA_PAD)).toBe(lumaRef(f.pic, 0, -LUMA_PAD, 2, 0));
    expect(at(f.vp, -LUMA_PAD, 5)).toBe(lumaRef(f.pic, -LUMA_PAD, 5, 0, 2));
    expect(ref.data).toEqual(padded(f.pic, LUMA_PAD).data); // the source is left as it was
  });

  it('lumaSources names the samples predictLumaFromPlanes copies or averages, at every fraction', () => {
    const f = lumaFixture(32, 32, 13, false);
    const out = new Uint8Array(256), src: LumaSources = { a: f.ref, ao: 0, b: null, bo: 0 };
    const ss = f.ref.stride;
    let averaged = 0;
    for (const [x, y] of [[0, 0], [8, 4], [16, 16]] as const) {
      for (let mvx = -9; mvx <= 9; mvx++) {
        for (let mvy = -9; mvy <= 9; mvy += 3) {
          predictLumaFromPlanes(f.ref, f.hp, f.vp, f.hvp, x, y, mvx, mvy, 16, 16, out, 0, 16);
          lumaSources(f.ref, f.hp, f.vp, f.hvp, x, y, mvx, mvy, src);
          if (src.b !== null) averaged++;
          for (let r = 0; r < 16; r++) {
            for (let c = 0; c < 16; c++) {
              const a = src.a.data[src.ao + r * ss + c]!;
              const got = src.b === null ? a : (a + src.b.data[src.bo + r * ss + c]! + 1) >> 1;
              if (got !== out[r * 16 + c]) expect.fail(`(${x}, ${y}) mv (${mvx}, ${mvy}) sample (${c}, ${r}): ${got}, predictLumaFromPlanes ${out[r * 16 + c]}`);
            }
          }
        }
      }
    }
    expect(averaged).toBeGreaterThan(0);
  });

  it('interpolateHalfPlanes rejects planes of another geometry', () => {
    const ref = new PaddedPlane(16, 16, LUMA_PAD), other = new PaddedPlane(16, 16, 32);
    expect(() => interpolateHalfPlanes(ref, other, ref, ref)).toThrow(/must be 16x16 with pad 64/);
  });
});

describe('predictChroma equals chromaSampleRef', () => {
  const DST_STRIDE = 11, DST_OFFSET = DST_STRIDE + 2, SENTINEL = 0x5a;
  const dst = new Uint8Array(DST_OFFSET + 8 * DST_STRIDE + 4);

  it.each(FIXTURES)('%ix%i luma picture (binary noise: %s), every eighth-sample position, size and margin', (lw, lh, binary) => {
    const width = lw / 2, height = lh / 2;
    const pic = randomPlane(width, height, lw * 17 + lh, binary);
    const ref = padded(pic, CHROMA_PAD);
    const rnd = prng(lw + lh * 3);
    for (const [w, h] of CHROMA_SIZES) {
      // The usable margin: xIntC >= -pad, xIntC + w <= width + pad - 1.
      const xs = positions(rnd, width, w, -CHROMA_PAD, width + CHROMA_PAD - 1 - w, 6);
      const ys = positions(rnd, height, h, -CHROMA_PAD, height + CHROMA_PAD - 1 - h, 6);
      for (let k = 0; k < xs.length; k++) {
        const xInt = xs[k]!, yInt = ys[k % ys.length]!;
        expect(chromaBlockInside(ref, xInt, yInt, w, h)).toBe(true);
        const x = (rnd() % (width / 2)) * 2 % (width - w + 1), y = (rnd() % (height / 2)) * 2 % (height - h + 1);
        for (let xFrac = 0; xFrac < 8; xFrac++) {
          for (let yFrac = 0; yFrac < 8; yFrac++) {
            // The luma vector: in 4:2:0 frames it is the chroma vector in eighth chroma samples.
            const mvx = (xInt - x) * 8 + xFrac, mvy = (yInt - y) * 8 + yFrac;
            dst.fill(SENTINEL);
            predictChroma(ref, x, y, mvx, mvy, w, h, dst, DST_OFFSET, DST_STRIDE);
            for (let r = 0; r < h; r++) {
              for (let c = 0; c < w; c++) {
                const want = chromaSampleRef(pic.data, width, width, height, xInt + c, yInt + r, xFrac, yFrac);
                const got = dst[DST_OFFSET + r * DST_STRIDE + c];
                if (got !== want) expect.fail(`predictChroma ${w}x${h} at (${xInt}, ${yInt}) frac (${xFrac}, ${yFrac}), sample (${c}, ${r}): ${got}, reference ${want}`);
              }
            }
            expect(dst[DST_OFFSET - 1]).toBe(SENTINEL);
            expect(dst[DST_OFFSET + w]).toBe(SENTINEL);
            expect(dst[DST_OFFSET + h * DST_STRIDE]).toBe(SENTINEL);
          }
        }
      }
    }
  });

  it('the margin is tight', () => {
    const ref = new PaddedPlane(8, 8, CHROMA_PAD);
    expect(chromaBlockInside(ref, -32, -32, 8, 8)).toBe(true);
    expect(chromaBlockInside(ref, -33, 0, 8, 8)).toBe(false);
    expect(chromaBlockInside(ref, 8 + 31 - 8, 0, 8, 8)).toBe(true);
    expect(chromaBlockInside(ref, 8 + 32 - 8, 0, 8, 8)).toBe(false);
  });
});
