/**
 * Boundary strengths of P pictures (setInterBs in encoder/common/deblock.ts) against H.264
 * (08/2021) 8.7.2.1 for frame macroblocks (MbaffFrameFlag 0, field_pic_flag 0, so
 * mixedModeEdgeFlag is 0), transform_size_8x8_flag 0 and P macroblocks (one motion vector each):
 *   bS 4: the edge is a macroblock edge and p0 or q0 is in an intra macroblock;
 *   bS 3: p0 or q0 is in an intra macroblock (internal edges);
 *   bS 2: the 4x4 luma block containing p0 or the one containing q0 has non-zero coefficients;
 *   bS 1: different reference pictures, or |mvx(p0) - mvx(q0)| >= 4 or |mvy(p0) - mvy(q0)| >= 4
 *         in quarter luma frame samples;
 *   else 0.
 * The reference locates p0 and q0 as luma samples of the picture for every line of every edge and
 * reads a model of the picture (intra flag, TotalCoeff, vector and reference picture per 4x4
 * block); the module gets an MbState filled from the same model. Edges on the picture's left and
 * top are not filtered (8.7: filterLeftMbEdgeFlag / filterTopMbEdgeFlag 0), so the reference has no
 * bS there; the module's stored value is checked against its documented one.
 */
import { describe, expect, it } from 'vitest';
import { setInterBs } from '../../encoder/common/deblock.js';
import { H264Encoder } from '../../encoder/index.js';
import { MbKind, MbState } from '../../encoder/mb-state.js';
import { prng } from '../helpers/synthetic.js';

type Mv = [number, number];

/** Per macroblock, per 4x4 luma block in raster order (index y4 * 4 + x4). */
interface MbModel {
  kind: MbKind;
  intra: boolean;
  /** TotalCoeff of each 4x4 luma block. */
  coeffs: number[];
  mv: Mv[];
  /** refIdxL0 per block (inter only). */
  refIdx: number[];
}

interface PictureModel {
  w: number;
  h: number;
  mbs: MbModel[];
}

/** RefPicList0: refIdxL0 -> the reference picture (distinct pictures). */
const REF_PIC_LIST0 = ['previous frame', 'the frame before it'];

function inter(kind: MbKind = MbKind.P16x16): MbModel {
  return { kind, intra: false, coeffs: Array(16).fill(0), mv: Array.from({ length: 16 }, () => [0, 0] as Mv), refIdx: Array(16).fill(0) };
}
function intra(kind: MbKind = MbKind.I16x16): MbModel {
  return { kind, intra: true, coeffs: Array(16).fill(0), mv: Array.from({ length: 16 }, () => [0, 0] as Mv), refIdx: Array(16).fill(-1) };
}

// ---------------------------------------------------------------------------------------------
// The reference — 8.7.2.1

/** The macroblock and 4x4 block (raster) containing luma sample (x, y) of the picture. */
function locate(pic: PictureModel, x: number, y: number): { mb: MbModel; blk: number } {
  const mbAddr = Math.floor(y / 16) * pic.w + Math.floor(x / 16);
  return { mb: pic.mbs[mbAddr]!, blk: Math.floor((y % 16) / 4) * 4 + Math.floor((x % 16) / 4) };
}

/**
 * bS for line k (0..15) of edge `edge` (0..3) of macroblock mbAddr; null on the picture's left or
 * top edge, which is not filtered.
 */
function specBs(pic: PictureModel, mbAddr: number, verticalEdgeFlag: boolean, edge: number, k: number): number | null {
  const mbx = mbAddr % pic.w, mby = Math.floor(mbAddr / pic.w);
  const xq = mbx * 16 + (verticalEdgeFlag ? 4 * edge : k), yq = mby * 16 + (verticalEdgeFlag ? k : 4 * edge);
  const xp = verticalEdgeFlag ? xq - 1 : xq, yp = verticalEdgeFlag ? yq : yq - 1;
  if (xp < 0 || yp < 0) return null;
  const p0 = locate(pic, xp, yp), q0 = locate(pic, xq, yq);
  const mbEdge = p0.mb !== q0.mb;
  if (mbEdge && (p0.mb.intra || q0.mb.intra)) return 4;
  if (p0.mb.intra || q0.mb.intra) return 3;
  if (p0.mb.coeffs[p0.blk]! !== 0 || q0.mb.coeffs[q0.blk]! !== 0) return 2;
  // One motion vector on each side (P macroblocks); the reference pictures compared as pictures.
  if (REF_PIC_LIST0[p0.mb.refIdx[p0.blk]!] !== REF_PIC_LIST0[q0.mb.refIdx[q0.blk]!]) return 1;
  const [pvx, pvy] = p0.mb.mv[p0.blk]!, [qvx, qvy] = q0.mb.mv[q0.blk]!;
  if (Math.abs(pvx - qvx) >= 4 || Math.abs(pvy - qvy) >= 4) return 1;
  return 0;
}

/** The reference's bS per segment in the module's layout (deblock.ts header); -1 where null. */
function specLayout(pic: PictureModel, mbAddr: number): number[] {
  const out: number[] = [];
  for (const vertical of [true, false]) {
    for (let e = 0; e < 4; e++) {
      for (let s = 0; s < 4; s++) {
        const lines = [0, 1, 2, 3].map((i) => specBs(pic, mbAddr, vertical, e, s * 4 + i));
        // Every line of a 4-sample segment sees the same pair of 4x4 blocks.
        if (new Set(lines).size !== 1) throw new Error('reference: bS differs inside a segment');
        out.push(lines[0] ?? -1);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The module

function stateOf(pic: PictureModel): MbState {
  const state = new MbState(pic.w, pic.h);
  pic.mbs.forEach((m, mb) => {
    state.kind[mb] = m.kind;
    for (let i = 0; i < 16; i++) {
      state.nzLuma[mb * 16 + i] = m.coeffs[i]!;
      state.mvx[mb * 16 + i] = m.mv[i]![0];
      state.mvy[mb * 16 + i] = m.mv[i]![1];
      state.ref[mb * 16 + i] = m.refIdx[i]!;
    }
    if (m.intra) state.setIntraMotion(mb);
  });
  return state;
}

type Watched = Int8Array | Uint8Array | Int16Array;

/**
 * The state with its arrays behind proxies that log any access outside the picture or to a
 * macroblock other than the current one, its left and its top neighbour (the only ones committed
 * when the encoder calls setInterBs).
 */
function watchedState(state: MbState, mb: number, log: string[]): MbState {
  const w = state.mbWidth;
  const allowed = new Set([mb]);
  if (mb % w > 0) allowed.add(mb - 1);
  if (mb >= w) allowed.add(mb - w);
  const watch = <T extends Watched>(name: string, arr: T, per: number): T => new Proxy(arr, {
    get(t, p) {
      if (typeof p === 'string' && /^-?\d+$/.test(p)) {
        const i = Number(p);
        if (i < 0 || i >= t.length || !allowed.has(Math.floor(i / per))) log.push(`read ${name}[${i}]`);
        return t[i];
      }
      const value: unknown = Reflect.get(t, p, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
    set(t, p, value: number) {
      if (typeof p === 'string' && /^-?\d+$/.test(p)) {
        const i = Number(p);
        if (i < 0 || i >= t.length || Math.floor(i / per) !== mb) log.push(`write ${name}[${i}]`);
        t[i] = value;
        return true;
      }
      return Reflect.set(t, p, value, t);
    },
  });
  return {
    mbWidth: state.mbWidth, mbHeight: state.mbHeight, count: state.count,
    kind: watch('kind', state.kind, 1), nzLuma: watch('nzLuma', state.nzLuma, 16), ref: watch('ref', state.ref, 16),
    mvx: watch('mvx', state.mvx, 16), mvy: watch('mvy', state.mvy, 16), bs: watch('bs', state.bs, 32),
  } as unknown as MbState;
}

/**
 * Runs setInterBs over the picture in raster order (as codePSlice does) and returns each
 * macroblock's 32 strengths, after checking that no call touched anything it should not.
 */
function moduleBs(pic: PictureModel): number[][] {
  const state = stateOf(pic);
  state.bs.fill(0xee); // left by nobody: shows up if an entry is not written
  const log: string[] = [];
  for (let mb = 0; mb < state.count; mb++) {
    const before = state.bs.slice();
    setInterBs(watchedState(state, mb, log), mb, mb % pic.w, Math.floor(mb / pic.w));
    for (let i = 0; i < state.bs.length; i++) {
      if (Math.floor(i / 32) !== mb && state.bs[i] !== before[i]) log.push(`mb ${mb} changed bs[${i}]`);
    }
  }
  expect(log.slice(0, 10), 'accesses outside the current, left and top macroblocks').toEqual([]);
  return Array.from({ length: state.count }, (_, mb) => [...state.bs.subarray(mb * 32, mb * 32 + 32)]);
}

/**
 * The reference's strengths, with the picture-boundary entries (no bS in the spec) replaced by
 * what the module documents storing there: 0 for inter macroblocks, 4 for intra (setIntraBs).
 */
function expectedBs(pic: PictureModel): number[][] {
  return pic.mbs.map((m, mb) => specLayout(pic, mb).map((b) => (b >= 0 ? b : m.intra ? 4 : 0)));
}

/** Segment entry in the module's layout: vertical or horizontal edge e, segment s. */
const V = (e: number, s: number): number => e * 4 + s;
const H = (e: number, s: number): number => 16 + e * 4 + s;

/** 32 entries, all `fill` except the ones given. */
function layout(fill: number, set: Record<number, number> = {}): number[] {
  return Array.from({ length: 32 }, (_, i) => set[i] ?? fill);
}

/** 2x2 picture of still inter macroblocks without coefficients; `edit` changes it; bs of MB 3. */
function bsOfMb3(edit: (mbs: MbModel[]) => void): { module: number[]; spec: number[] } {
  const pic: PictureModel = { w: 2, h: 2, mbs: [inter(), inter(), inter(), inter()] };
  edit(pic.mbs);
  return { module: moduleBs(pic)[3]!, spec: expectedBs(pic)[3]! };
}

function expectMb3(edit: (mbs: MbModel[]) => void, expected: number[]): void {
  const { module, spec } = bsOfMb3(edit);
  expect(spec, 'reference').toEqual(expected);
  expect(module, 'setInterBs').toEqual(expected);
}

describe('setInterBs — hand-built cases (8.7.2.1)', () => {
  // MB 3 is at (1, 1): MB 2 on its left, MB 1 above it.
  it('still inter macroblocks without coefficients: 0 everywhere', () => {
    expectMb3(() => {}, layout(0));
  });

  it('left macroblock intra: 4 on the vertical macroblock edge, internal edges untouched', () => {
    expectMb3((mbs) => { mbs[2] = intra(MbKind.I4x4); }, layout(0, { [V(0, 0)]: 4, [V(0, 1)]: 4, [V(0, 2)]: 4, [V(0, 3)]: 4 }));
  });

  it('top macroblock intra (I_PCM): 4 on the horizontal macroblock edge', () => {
    expectMb3((mbs) => { mbs[1] = intra(MbKind.IPcm); }, layout(0, { [H(0, 0)]: 4, [H(0, 1)]: 4, [H(0, 2)]: 4, [H(0, 3)]: 4 }));
  });

  it('current macroblock intra: 4 on its macroblock edges, 3 on internal edges', () => {
    const set: Record<number, number> = {};
    for (let s = 0; s < 4; s++) { set[V(0, s)] = 4; set[H(0, s)] = 4; }
    expectMb3((mbs) => { mbs[3] = intra(); }, layout(3, set));
  });

  it('intra beats coefficients and vectors on a macroblock edge', () => {
    expectMb3((mbs) => {
      mbs[2] = intra();
      mbs[3]!.coeffs[0] = 5;
      mbs[3]!.mv[4] = [40, 0];
    }, layout(0, { [V(0, 0)]: 4, [V(0, 1)]: 4, [V(0, 2)]: 4, [V(0, 3)]: 4, [V(1, 0)]: 2, [H(0, 0)]: 2, [H(1, 0)]: 2, [V(1, 1)]: 1, [H(2, 0)]: 1 }));
  });

  it('coefficients in 4x4 block (1, 2) of the current macroblock: 2 on its four sides', () => {
    expectMb3((mbs) => { mbs[3]!.coeffs[2 * 4 + 1] = 1; }, layout(0, { [V(1, 2)]: 2, [V(2, 2)]: 2, [H(2, 1)]: 2, [H(3, 1)]: 2 }));
  });

  it('coefficients in block (0, 0) of the current macroblock: 2 on its macroblock edges too', () => {
    expectMb3((mbs) => { mbs[3]!.coeffs[0] = 16; }, layout(0, { [V(0, 0)]: 2, [V(1, 0)]: 2, [H(0, 0)]: 2, [H(1, 0)]: 2 }));
  });

  it('coefficients in the left macroblock\'s block (3, 1): 2 on vertical edge 0, segment 1', () => {
    expectMb3((mbs) => { mbs[2]!.coeffs[1 * 4 + 3] = 2; }, layout(0, { [V(0, 1)]: 2 }));
  });

  it('coefficients in the top macroblock\'s block (2, 3): 2 on horizontal edge 0, segment 2', () => {
    expectMb3((mbs) => { mbs[1]!.coeffs[3 * 4 + 2] = 3; }, layout(0, { [H(0, 2)]: 2 }));
  });

  it('coefficients away from the edge in a neighbour do not count: left block (2, 1), top block (2, 2)', () => {
    expectMb3((mbs) => { mbs[2]!.coeffs[1 * 4 + 2] = 2; mbs[1]!.coeffs[2 * 4 + 2] = 2; }, layout(0));
  });

  it('|delta mvx| = 4 -> 1, 3 -> 0 (quarter samples), both signs, on internal edges', () => {
    expectMb3((mbs) => {
      const mv = mbs[3]!.mv;
      mv[1] = [4, 0]; // (1, 0): 4 from (0, 0), (2, 0) and the top macroblock's (1, 3)
      mv[5] = [1, 0]; // (1, 1): 3 from (1, 0) above
      mv[9] = [-3, 0]; // (1, 2): 4 from (1, 1) above, 3 from (0, 2), (2, 2) and (1, 3)
    }, layout(0, {
      [V(1, 0)]: 1, [V(2, 0)]: 1, [H(0, 1)]: 1, [H(1, 1)]: 0,
      [V(1, 1)]: 0, [V(2, 1)]: 0,
      [V(1, 2)]: 0, [V(2, 2)]: 0, [H(2, 1)]: 1, [H(3, 1)]: 0,
    }));
  });

  it('|delta mvy| = 4 -> 1, 3 -> 0, and x and y are separate (3 and 3 -> 0)', () => {
    expectMb3((mbs) => {
      const mv = mbs[3]!.mv;
      mv[4] = [0, -4]; // (0, 1)
      mv[8] = [3, -1]; // (0, 2): (3, 3) from (0, 1)
    }, layout(0, {
      [H(1, 0)]: 1, // (0, 0) -> (0, 1)
      [V(0, 1)]: 1, // left macroblock (3, 1) -> (0, 1)
      [V(1, 1)]: 1, // (0, 1) -> (1, 1)
      [H(2, 0)]: 0, // (0, 1) -> (0, 2): |dx| = 3, |dy| = 3
      [V(1, 2)]: 0, // (0, 2) -> (1, 2): |dx| = 3, |dy| = 1
    }));
  });

  it('vectors across macroblock edges: left and top neighbours\' blocks', () => {
    expectMb3((mbs) => {
      mbs[2]!.mv[3 * 4 + 3] = [0, 4]; // left MB (3, 3) next to current (0, 3)
      mbs[2]!.mv[0 * 4 + 3] = [2, -2]; // left MB (3, 0): below threshold
      mbs[1]!.mv[3 * 4 + 1] = [-4, 0]; // top MB (1, 3) above current (1, 0)
    }, layout(0, { [V(0, 3)]: 1, [H(0, 1)]: 1 }));
  });

  it('different reference pictures -> 1 even with equal vectors', () => {
    expectMb3((mbs) => { mbs[2]!.refIdx.fill(1); }, layout(0, { [V(0, 0)]: 1, [V(0, 1)]: 1, [V(0, 2)]: 1, [V(0, 3)]: 1 }));
  });

  it('coefficients take precedence over vectors (2, not 1)', () => {
    expectMb3((mbs) => {
      mbs[3]!.mv[0] = [16, 16];
      mbs[3]!.coeffs[0] = 1;
    }, layout(0, { [V(0, 0)]: 2, [V(1, 0)]: 2, [H(0, 0)]: 2, [H(1, 0)]: 2 }));
  });
});

describe('setInterBs — picture boundaries', () => {
  it('1x1 picture: the left and top edges store 0 for an inter macroblock; nothing outside is read', () => {
    const pic: PictureModel = { w: 1, h: 1, mbs: [inter()] };
    pic.mbs[0]!.coeffs[5] = 1;
    const got = moduleBs(pic)[0]!;
    expect(got).toEqual(expectedBs(pic)[0]);
    expect(got).toEqual(layout(0, { [V(1, 1)]: 2, [V(2, 1)]: 2, [H(1, 1)]: 2, [H(2, 1)]: 2 }));
  });

  it('1x1 picture, intra macroblock: setIntraBs\'s 4 and 3', () => {
    const pic: PictureModel = { w: 1, h: 1, mbs: [intra()] };
    const set: Record<number, number> = {};
    for (let s = 0; s < 4; s++) { set[V(0, s)] = 4; set[H(0, s)] = 4; }
    expect(moduleBs(pic)[0]).toEqual(layout(3, set));
  });

  it('top row and left column of a 3x3 picture of intra and inter macroblocks', () => {
    const pic: PictureModel = { w: 3, h: 3, mbs: [intra(), inter(), inter(), inter(), intra(), inter(), inter(), inter(), inter()] };
    const got = moduleBs(pic), want = expectedBs(pic);
    expect(got).toEqual(want);
    // MB 1 (top row): left edge 4 (MB 0 intra), top edge stored 0. MB 3 (left column): top edge 4.
    expect(got[1]!.slice(0, 4)).toEqual([4, 4, 4, 4]);
    expect(got[1]!.slice(16, 20)).toEqual([0, 0, 0, 0]);
    expect(got[3]!.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(got[3]!.slice(16, 20)).toEqual([4, 4, 4, 4]);
    // MB 5 (right of intra MB 4) and MB 7 (below it).
    expect(got[5]!.slice(0, 4)).toEqual([4, 4, 4, 4]);
    expect(got[7]!.slice(16, 20)).toEqual([4, 4, 4, 4]);
  });
});

function randomPicture(rnd: () => number): PictureModel {
  const w = 1 + (rnd() % 5), h = 1 + (rnd() % 4);
  // Vectors near one global motion, so that differences straddle the threshold of 4.
  const gx = (rnd() % 64) - 32, gy = (rnd() % 64) - 32;
  const delta = (): number => (rnd() % 3 === 0 ? 0 : (rnd() % 13) - 6);
  const mbs: MbModel[] = [];
  for (let mb = 0; mb < w * h; mb++) {
    if (rnd() % 5 === 0) {
      mbs.push(intra([MbKind.I4x4, MbKind.I16x16, MbKind.IPcm][rnd() % 3]!));
      continue;
    }
    const kind = [MbKind.PSkip, MbKind.P16x16, MbKind.P16x8, MbKind.P8x16, MbKind.P8x8][rnd() % 5]!;
    const m = inter(kind);
    const base: Mv = [gx + delta(), gy + delta()];
    for (let i = 0; i < 16; i++) {
      m.mv[i] = rnd() % 2 === 0 ? [base[0], base[1]] : [base[0] + delta(), base[1] + delta()];
      // P_Skip has no residual.
      m.coeffs[i] = kind !== MbKind.PSkip && rnd() % 4 === 0 ? 1 + (rnd() % 16) : 0;
    }
    mbs.push(m);
  }
  return { w, h, mbs };
}

describe('setInterBs — random pictures against the reference', () => {
  it('600 pictures of 1x1..5x4 macroblocks: every edge segment of every macroblock', () => {
    const rnd = prng(0x62732d);
    const mismatches: string[] = [];
    const seen = new Set<number>();
    let segments = 0;
    for (let n = 0; n < 600; n++) {
      const pic = randomPicture(rnd);
      const got = moduleBs(pic), want = expectedBs(pic);
      for (let mb = 0; mb < pic.mbs.length; mb++) {
        for (let i = 0; i < 32; i++) {
          segments++;
          seen.add(want[mb]![i]!);
          if (got[mb]![i] !== want[mb]![i]) mismatches.push(`picture ${n} (${pic.w}x${pic.h}) mb ${mb} entry ${i}: want ${want[mb]![i]}, got ${got[mb]![i]}`);
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(segments).toBeGreaterThan(100_000);
  });
});

describe('setInterBs — end to end through H264Encoder', () => {
  it('a P picture with an intra macroblock among skipped ones: 4 on its right and lower neighbours\' edges, all strengths as 8.7.2.1 says', () => {
    const width = 64, height = 48;
    const rnd = prng(0x2e2e);
    const noise = new Uint8Array(width * height * 3 / 2).map(() => rnd() & 255);
    const enc = new H264Encoder(width, height, { qp: 26, gop: 10 });
    enc.encode({ width, height, format: 'i420', data: noise });
    // Frame 1: the same noise, except macroblock (1, 1) turned flat (Intra_16x16 DC predicts it
    // exactly; no block of the noisy reference does).
    const next = noise.slice();
    for (let y = 16; y < 32; y++) next.fill(128, y * width + 16, y * width + 32);
    for (let y = 8; y < 16; y++) {
      next.fill(128, width * height + y * 32 + 8, width * height + y * 32 + 16);
      next.fill(128, width * height * 5 / 4 + y * 32 + 8, width * height * 5 / 4 + y * 32 + 16);
    }
    enc.encode({ width, height, format: 'i420', data: next });
    expect(enc.keyframe()).toBe(false);
    const state = (enc as unknown as { state: MbState }).state;
    const mb = 1 * 4 + 1;
    expect(state.kind[mb], 'macroblock (1, 1) is intra').toBeLessThanOrEqual(MbKind.IPcm);
    for (const n of [mb + 1, mb + 4]) expect(state.kind[n], `macroblock ${n} is inter`).toBeGreaterThanOrEqual(MbKind.PSkip);
    const right = state.bs.subarray((mb + 1) * 32, (mb + 2) * 32), below = state.bs.subarray((mb + 4) * 32, (mb + 5) * 32);
    expect([...right.subarray(0, 4)], 'vertical macroblock edge of the right neighbour').toEqual([4, 4, 4, 4]);
    expect([...below.subarray(16, 20)], 'horizontal macroblock edge of the lower neighbour').toEqual([4, 4, 4, 4]);

    // The whole picture's strengths as the reference derives them from the committed state.
    const pic: PictureModel = { w: state.mbWidth, h: state.mbHeight, mbs: [] };
    for (let m = 0; m < state.count; m++) {
      const isIntra = state.kind[m]! <= MbKind.IPcm;
      const model = isIntra ? intra(state.kind[m]) : inter(state.kind[m]);
      for (let i = 0; i < 16; i++) {
        model.coeffs[i] = state.nzLuma[m * 16 + i]!;
        if (!isIntra) {
          model.mv[i] = [state.mvx[m * 16 + i]!, state.mvy[m * 16 + i]!];
          model.refIdx[i] = state.ref[m * 16 + i]!;
        }
      }
      pic.mbs.push(model);
    }
    const want = expectedBs(pic);
    for (let m = 0; m < state.count; m++) expect([...state.bs.subarray(m * 32, m * 32 + 32)], `macroblock ${m}`).toEqual(want[m]);
  });
});
