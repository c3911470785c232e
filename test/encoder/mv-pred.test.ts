/**
 * Motion vector prediction (encoder/common/mv-pred.ts) against H.264 (08/2021) 8.4.1.3 (with
 * 8.4.1.3.1 median, 8.4.1.3.2 neighbouring partitions) and 8.4.1.1 (P_Skip), for frame
 * macroblocks, one slice, one reference picture.
 *
 * The reference below follows the spec's text rather than the module's 4x4-block shortcut: each
 * macroblock is a model with an mb_type, sub_mb_types and one vector per (sub-)partition; the
 * neighbouring partitions come from luma sample locations (6.4.11.7, Table 6-2), the neighbouring
 * locations of 6.4.12.1 (Table 6-3) with macroblock availability per 6.4.8 / 6.4.9, and the
 * partition indices of 6.4.13.4; a partition of the current macroblock is available only when it
 * precedes the current one in decoding order (mbPartIdx, then subMbPartIdx). The module gets the
 * same pictures as an MbState filled from the models, and the current macroblock's vectors with
 * junk in the blocks not yet decided (as inter.ts's search leaves them).
 */
import { describe, expect, it } from 'vitest';
import { MvShape, predictMv, predictSkipMv, type MotionVector } from '../../encoder/common/mv-pred.js';
import { MbKind, MbState } from '../../encoder/mb-state.js';
import { prng } from '../helpers/synthetic.js';

// ---------------------------------------------------------------------------------------------
// Macroblock models

type PMbType = 'P_Skip' | 'P_L0_16x16' | 'P_L0_L0_16x8' | 'P_L0_L0_8x16' | 'P_8x8';
type MbType = PMbType | 'I';
type SubMbType = 'P_L0_8x8' | 'P_L0_8x4' | 'P_L0_4x8' | 'P_L0_4x4';
type Mv = [number, number];

interface MbModel {
  mbType: MbType;
  /** sub_mb_type[mbPartIdx] (P_8x8 only). */
  subMbType: SubMbType[];
  /** MvL0[mbPartIdx][subMbPartIdx] (inter only); RefIdxL0 is 0 throughout. */
  mv: Mv[][];
}

/** Table 7-13 (P_Skip: 7.4.5, "MbPartWidth( P_Skip ) = 16"): NumMbPart, MbPartWidth, MbPartHeight. */
const MB_PART: Record<PMbType, [number, number, number]> = {
  P_Skip: [1, 16, 16],
  P_L0_16x16: [1, 16, 16],
  P_L0_L0_16x8: [2, 16, 8],
  P_L0_L0_8x16: [2, 8, 16],
  P_8x8: [4, 8, 8],
};
/** Table 7-17: NumSubMbPart, SubMbPartWidth, SubMbPartHeight. */
const SUB_MB_PART: Record<SubMbType, [number, number, number]> = {
  P_L0_8x8: [1, 8, 8],
  P_L0_8x4: [2, 8, 4],
  P_L0_4x8: [2, 4, 8],
  P_L0_4x4: [4, 4, 4],
};
const P_MB_TYPES = Object.keys(MB_PART) as PMbType[];
const SUB_MB_TYPES = Object.keys(SUB_MB_PART) as SubMbType[];

/** InverseRasterScan( a, b, c, d, e ) — 5.7, equation 5-8. */
function inverseRasterScan(a: number, b: number, c: number, d: number, e: number): number {
  return e === 0 ? (a % (d / b)) * b : Math.floor(a / (d / b)) * c;
}

function numSubMbPart(mb: MbModel, mbPartIdx: number): number {
  return mb.mbType === 'P_8x8' ? SUB_MB_PART[mb.subMbType[mbPartIdx]!][0] : 1;
}

/** Upper-left luma sample of a (sub-)partition and its size: 6.4.2.1 + 6.4.2.2. */
function partRect(mb: MbModel, mbPartIdx: number, subMbPartIdx: number): { x: number; y: number; w: number; h: number } {
  const [, mbW, mbH] = MB_PART[mb.mbType as PMbType];
  const x = inverseRasterScan(mbPartIdx, mbW, mbH, 16, 0);
  const y = inverseRasterScan(mbPartIdx, mbW, mbH, 16, 1);
  if (mb.mbType !== 'P_8x8') return { x, y, w: mbW, h: mbH };
  const [, subW, subH] = SUB_MB_PART[mb.subMbType[mbPartIdx]!];
  const xS = inverseRasterScan(subMbPartIdx, subW, subH, 8, 0);
  const yS = inverseRasterScan(subMbPartIdx, subW, subH, 8, 1);
  return { x: x + xS, y: y + yS, w: subW, h: subH };
}

// ---------------------------------------------------------------------------------------------
// The reference: 6.4.8, 6.4.9, 6.4.11.7, 6.4.12.1, 6.4.13.4, 8.4.1.3, 8.4.1.3.1, 8.4.1.3.2, 8.4.1.1

interface PictureModel {
  /** PicWidthInMbs, PicHeightInMbs. */
  w: number;
  h: number;
  /** Macroblocks in decoding (raster) order; those after CurrMbAddr are never looked at. */
  mbs: MbModel[];
}

interface SpecPartition {
  available: boolean;
  mbAddr: number;
  mbPartIdx: number;
  subMbPartIdx: number;
}

/** 6.4.8: available unless mbAddr < 0, mbAddr > CurrMbAddr (or another slice: one slice here). */
function mbAddrAvailable(mbAddr: number, currMbAddr: number): boolean {
  return mbAddr >= 0 && mbAddr <= currMbAddr;
}

/** 6.4.12.1 with Table 6-3 and the addresses of 6.4.9; null when mbAddrN is not available. */
function neighbouringLocation(pic: PictureModel, currMbAddr: number, xN: number, yN: number): { mbAddrN: number; xW: number; yW: number } | null {
  const maxW = 16, maxH = 16, W = pic.w;
  let mbAddrN: number;
  if (yN > maxH - 1) return null;
  if (xN < 0 && yN < 0) {
    mbAddrN = currMbAddr - W - 1; // mbAddrD: not available when CurrMbAddr % PicWidthInMbs == 0
    if (currMbAddr % W === 0) return null;
  } else if (xN < 0) {
    mbAddrN = currMbAddr - 1; // mbAddrA
    if (currMbAddr % W === 0) return null;
  } else if (xN <= maxW - 1 && yN < 0) {
    mbAddrN = currMbAddr - W; // mbAddrB
  } else if (xN <= maxW - 1) {
    mbAddrN = currMbAddr; // CurrMbAddr
  } else if (yN < 0) {
    mbAddrN = currMbAddr - W + 1; // mbAddrC: not available when (CurrMbAddr + 1) % PicWidthInMbs == 0
    if ((currMbAddr + 1) % W === 0) return null;
  } else {
    return null; // xN > maxW - 1, yN in 0..maxH - 1
  }
  if (!mbAddrAvailable(mbAddrN, currMbAddr)) return null;
  return { mbAddrN, xW: (xN + maxW) % maxW, yW: (yN + maxH) % maxH };
}

/** 6.4.13.4: mbPartIdx and subMbPartIdx covering (xP, yP) inside a macroblock. */
function partitionIndices(mb: MbModel, xP: number, yP: number): [number, number] {
  if (mb.mbType === 'I') return [0, 0]; // "If mbType specifies an I macroblock type, mbPartIdx = 0"
  const [, mbW, mbH] = MB_PART[mb.mbType];
  const mbPartIdx = (16 / mbW) * Math.floor(yP / mbH) + Math.floor(xP / mbW);
  if (mb.mbType !== 'P_8x8') return [mbPartIdx, 0];
  const [, subW, subH] = SUB_MB_PART[mb.subMbType[mbPartIdx]!];
  return [mbPartIdx, (8 / subW) * Math.floor((yP % 8) / subH) + Math.floor((xP % 8) / subW)];
}

/** 6.4.11.7: partitions A, B, C, D of the current (sub-)partition. */
function neighbouringPartitions(pic: PictureModel, currMbAddr: number, mbPartIdx: number, subMbPartIdx: number): Record<'A' | 'B' | 'C' | 'D', SpecPartition> {
  const cur = pic.mbs[currMbAddr]!;
  const { x, y } = partRect(cur, mbPartIdx, subMbPartIdx); // x + xS, y + yS
  // predPartWidth: 16 for P_Skip; SubMbPartWidth for P_8x8; MbPartWidth otherwise.
  const predPartWidth = cur.mbType === 'P_Skip' ? 16
    : cur.mbType === 'P_8x8' ? SUB_MB_PART[cur.subMbType[mbPartIdx]!][1]
      : MB_PART[cur.mbType as PMbType][1];
  const offsets = { A: [-1, 0], B: [0, -1], C: [predPartWidth, -1], D: [-1, -1] } as const; // Table 6-2
  const out = {} as Record<'A' | 'B' | 'C' | 'D', SpecPartition>;
  for (const n of ['A', 'B', 'C', 'D'] as const) {
    const [xN, yN] = offsets[n];
    const loc = neighbouringLocation(pic, currMbAddr, x + xN, y + yN);
    if (!loc) {
      out[n] = { available: false, mbAddr: -1, mbPartIdx: -1, subMbPartIdx: -1 };
      continue;
    }
    const [mbPartIdxN, subMbPartIdxN] = partitionIndices(pic.mbs[loc.mbAddrN]!, loc.xW, loc.yW);
    // "the partition given by mbPartIdxN and subMbPartIdxN is not yet decoded": later in the
    // decoding order of the current macroblock.
    const notYetDecoded = loc.mbAddrN === currMbAddr
      && (mbPartIdxN > mbPartIdx || (mbPartIdxN === mbPartIdx && subMbPartIdxN >= subMbPartIdx));
    out[n] = { available: !notYetDecoded, mbAddr: loc.mbAddrN, mbPartIdx: mbPartIdxN, subMbPartIdx: subMbPartIdxN };
  }
  return out;
}

interface SpecNeighbour {
  available: boolean;
  mv: Mv;
  refIdx: number;
}

/** 8.4.1.3.2: mvL0N and refIdxL0N for N = A, B, C. */
function neighbouringMotion(pic: PictureModel, currMbAddr: number, mbPartIdx: number, subMbPartIdx: number): Record<'A' | 'B' | 'C', SpecNeighbour> {
  const parts = neighbouringPartitions(pic, currMbAddr, mbPartIdx, subMbPartIdx);
  // "When the partition mbAddrC\mbPartIdxC\subMbPartIdxC is not available, mbAddrD\... is used".
  const used = { A: parts.A, B: parts.B, C: parts.C.available ? parts.C : parts.D };
  const out = {} as Record<'A' | 'B' | 'C', SpecNeighbour>;
  for (const n of ['A', 'B', 'C'] as const) {
    const p = used[n];
    const mb = p.available ? pic.mbs[p.mbAddr]! : undefined;
    // Not available, or intra, or predFlagL0 = 0: both components 0 and refIdxL0N = -1.
    if (!mb || mb.mbType === 'I') out[n] = { available: p.available, mv: [0, 0], refIdx: -1 };
    else out[n] = { available: true, mv: mb.mv[p.mbPartIdx]![p.subMbPartIdx]!, refIdx: 0 };
  }
  return out;
}

const median3 = (a: number, b: number, c: number): number => Math.min(Math.max(a, b), Math.max(Math.min(a, b), c));

/** 8.4.1.3 (refIdxL0 = 0): mvpL0 of a (sub-)partition of the current macroblock. */
function specPredictMv(pic: PictureModel, currMbAddr: number, mbPartIdx: number, subMbPartIdx: number): Mv {
  const cur = pic.mbs[currMbAddr]!;
  const refIdx = 0;
  const { A, B, C } = neighbouringMotion(pic, currMbAddr, mbPartIdx, subMbPartIdx);
  const [, mbW, mbH] = MB_PART[cur.mbType as PMbType];
  // Directional rules on the neighbours as 8.4.1.3.2 derived them.
  if (mbW === 16 && mbH === 8 && mbPartIdx === 0 && B.refIdx === refIdx) return B.mv;
  if (mbW === 16 && mbH === 8 && mbPartIdx === 1 && A.refIdx === refIdx) return A.mv;
  if (mbW === 8 && mbH === 16 && mbPartIdx === 0 && A.refIdx === refIdx) return A.mv;
  if (mbW === 8 && mbH === 16 && mbPartIdx === 1 && C.refIdx === refIdx) return C.mv;
  // 8.4.1.3.1
  let b = B, c = C;
  if (!B.available && !C.available && A.available) {
    b = A;
    c = A;
  }
  const equal = [A, b, c].filter((n) => n.refIdx === refIdx);
  if (equal.length === 1) return equal[0]!.mv;
  return [median3(A.mv[0], b.mv[0], c.mv[0]), median3(A.mv[1], b.mv[1], c.mv[1])];
}

/** 8.4.1.1: mvL0 of a P_Skip macroblock (pic.mbs[currMbAddr] is P_Skip). */
function specSkipMv(pic: PictureModel, currMbAddr: number): Mv {
  const { A, B } = neighbouringMotion(pic, currMbAddr, 0, 0);
  if (!A.available || !B.available) return [0, 0];
  if (A.refIdx === 0 && A.mv[0] === 0 && A.mv[1] === 0) return [0, 0];
  if (B.refIdx === 0 && B.mv[0] === 0 && B.mv[1] === 0) return [0, 0];
  return specPredictMv(pic, currMbAddr, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// The module, fed the same pictures

const KIND: Record<PMbType, MbKind> = {
  P_Skip: MbKind.PSkip, P_L0_16x16: MbKind.P16x16, P_L0_L0_16x8: MbKind.P16x8, P_L0_L0_8x16: MbKind.P8x16, P_8x8: MbKind.P8x8,
};
/** A vector no real neighbour has: shows up in the result if a block it should not read is read. */
const JUNK = 0x3ff;

function fillRect(mvx: Int16Array, mvy: Int16Array, base: number, r: { x: number; y: number; w: number; h: number }, mv: Mv): void {
  for (let y4 = r.y >> 2; y4 < (r.y + r.h) >> 2; y4++) {
    for (let x4 = r.x >> 2; x4 < (r.x + r.w) >> 2; x4++) {
      mvx[base + y4 * 4 + x4] = mv[0];
      mvy[base + y4 * 4 + x4] = mv[1];
    }
  }
}

/** MbState with the macroblocks before CurrMbAddr committed and junk from CurrMbAddr on. */
function stateOf(pic: PictureModel, currMbAddr: number): MbState {
  const state = new MbState(pic.w, pic.h);
  for (let mb = 0; mb < state.count; mb++) {
    const m = pic.mbs[mb]!;
    if (mb >= currMbAddr) {
      state.kind[mb] = MbKind.P16x16;
      state.mvx.fill(JUNK, mb * 16, mb * 16 + 16);
      state.mvy.fill(-JUNK, mb * 16, mb * 16 + 16);
    } else if (m.mbType === 'I') {
      state.kind[mb] = [MbKind.I4x4, MbKind.I16x16, MbKind.IPcm][mb % 3]!;
      state.mvx.fill(JUNK, mb * 16, mb * 16 + 16); // setIntraMotion must clear these
      state.setIntraMotion(mb);
    } else {
      state.kind[mb] = KIND[m.mbType];
      for (let p = 0; p < MB_PART[m.mbType][0]; p++) {
        for (let s = 0; s < numSubMbPart(m, p); s++) fillRect(state.mvx, state.mvy, mb * 16, partRect(m, p, s), m.mv[p]![s]!);
      }
    }
  }
  return state;
}

/** The module's vector for (sub-)partition (mbPartIdx, subMbPartIdx) of pic.mbs[currMbAddr]. */
function modulePredictMv(pic: PictureModel, currMbAddr: number, mbPartIdx: number, subMbPartIdx: number): Mv {
  const state = stateOf(pic, currMbAddr);
  const m = pic.mbs[currMbAddr]!;
  const mbx = currMbAddr % pic.w, mby = Math.floor(currMbAddr / pic.w);
  // The current macroblock's vectors decided so far; later blocks hold junk.
  const cur = { mvx: new Int16Array(16).fill(JUNK), mvy: new Int16Array(16).fill(JUNK) };
  const out: MotionVector = { x: 0, y: 0 };
  if (m.mbType === 'P_Skip') {
    predictSkipMv(state, currMbAddr, mbx, mby, cur, out);
    return [out.x | 0, out.y | 0];
  }
  for (let p = 0; p <= mbPartIdx; p++) {
    for (let s = 0; s < (p < mbPartIdx ? numSubMbPart(m, p) : subMbPartIdx); s++) fillRect(cur.mvx, cur.mvy, 0, partRect(m, p, s), m.mv[p]![s]!);
  }
  const r = partRect(m, mbPartIdx, subMbPartIdx);
  const shape = m.mbType === 'P_L0_L0_16x8' ? (mbPartIdx === 0 ? MvShape.Upper16x8 : MvShape.Lower16x8)
    : m.mbType === 'P_L0_L0_8x16' ? (mbPartIdx === 0 ? MvShape.Left8x16 : MvShape.Right8x16)
      : MvShape.Generic;
  predictMv(state, currMbAddr, mbx, mby, cur, r.x >> 2, r.y >> 2, r.w >> 2, shape, out);
  return [out.x | 0, out.y | 0];
}

function specFor(pic: PictureModel, currMbAddr: number, mbPartIdx: number, subMbPartIdx: number): Mv {
  const mv = pic.mbs[currMbAddr]!.mbType === 'P_Skip' ? specSkipMv(pic, currMbAddr) : specPredictMv(pic, currMbAddr, mbPartIdx, subMbPartIdx);
  return [mv[0] | 0, mv[1] | 0];
}

// ---------------------------------------------------------------------------------------------
// Hand-built pictures

/** A vector whose components name it: (n, -n). */
const v = (n: number): Mv => [n, n === 0 ? 0 : -n];

function uniform(mv: Mv): MbModel {
  return { mbType: 'P_L0_16x16', subMbType: [], mv: [[mv]] };
}
const INTRA: MbModel = { mbType: 'I', subMbType: [], mv: [] };

/** P_8x8 with 4x4 sub-partitions everywhere: any vector per 4x4 block (raster x4, y4). */
function per4x4(f: (x4: number, y4: number) => Mv): MbModel {
  const mv: Mv[][] = [];
  for (let p = 0; p < 4; p++) {
    mv.push([0, 1, 2, 3].map((s) => f((p & 1) * 2 + (s & 1), (p >> 1) * 2 + (s >> 1))));
  }
  return { mbType: 'P_8x8', subMbType: ['P_L0_4x4', 'P_L0_4x4', 'P_L0_4x4', 'P_L0_4x4'], mv };
}

/**
 * A w x h picture around CurrMbAddr: the above-left macroblock (D side) moves by v(150), the
 * macroblock above has v(100 + x4) in its bottom row, the above-right one v(200), the left one
 * v(300 + y4) in its right column; other blocks and earlier macroblocks v(900). `overrides`
 * replaces macroblocks by address; `current` is CurrMbAddr's model.
 */
function neighbourhood(w: number, h: number, curr: number, current: MbModel, overrides: Record<number, MbModel> = {}): PictureModel {
  const mbs: MbModel[] = [];
  for (let mb = 0; mb < w * h; mb++) {
    const left = curr % w !== 0, right = (curr + 1) % w !== 0;
    let m: MbModel;
    if (mb === curr) m = current;
    else if (mb === curr - w - 1 && left) m = uniform(v(150));
    else if (mb === curr - w) m = per4x4((x4, y4) => v(y4 === 3 ? 100 + x4 : 900));
    else if (mb === curr - w + 1 && right) m = uniform(v(200));
    else if (mb === curr - 1 && left) m = per4x4((x4, y4) => v(x4 === 3 ? 300 + y4 : 900));
    else m = uniform(v(900));
    mbs.push(overrides[mb] ?? m);
  }
  return { w, h, mbs };
}

function current(mbType: PMbType, mv: Mv[][] = [[v(1)], [v(1)], [v(1)], [v(1)]], subMbType: SubMbType[] = []): MbModel {
  return { mbType, subMbType, mv };
}
/** P_8x8 with the given sub_mb_type in every 8x8. */
function sub8x8(t: SubMbType, mv: Mv[][]): MbModel {
  return current('P_8x8', mv, [t, t, t, t]);
}

interface NamedCase {
  name: string;
  pic: PictureModel;
  curr: number;
  part?: [number, number];
  expected: Mv;
}

// In a 3x3 picture, CurrMbAddr 4 has all four neighbours: A = v(300 + y4), B = v(100 + x4),
// C = v(200), D = v(150). Vectors are (n, -n), so a median picks the same neighbour in x and y.
const full = (m: MbModel, o?: Record<number, MbModel>): PictureModel => neighbourhood(3, 3, 4, m, o);
const P8 = (parts: Mv[]): MbModel => current('P_8x8', parts.map((p) => [p]), ['P_L0_8x8', 'P_L0_8x8', 'P_L0_8x8', 'P_L0_8x8']);

const NAMED: NamedCase[] = [
  // Picture corners and edges (6.4.9, 6.4.12).
  { name: '1x1 picture, 16x16: no neighbour available -> refIdx -1 all round, median of zeros', pic: neighbourhood(1, 1, 0, current('P_L0_16x16')), curr: 0, expected: [0, 0] },
  { name: 'top row: B, C, D not available, A available -> B = C = A (8.4.1.3.1)', pic: neighbourhood(3, 1, 1, current('P_L0_16x16')), curr: 1, expected: v(300) },
  { name: 'top row with an intra A: B = C = A with refIdx -1 -> zero', pic: neighbourhood(3, 1, 1, current('P_L0_16x16'), { 0: INTRA }), curr: 1, expected: [0, 0] },
  { name: 'left column: A and D not available; median(0, B, C)', pic: neighbourhood(3, 3, 3, current('P_L0_16x16')), curr: 3, expected: v(100) },
  { name: 'right edge: no above-right macroblock, C -> D', pic: neighbourhood(3, 3, 5, current('P_L0_16x16')), curr: 5, expected: v(150) },
  { name: 'one macroblock wide: only B -> exactly one refIdx 0', pic: neighbourhood(1, 3, 2, current('P_L0_16x16')), curr: 2, expected: v(100) },
  { name: 'interior 16x16: median of A, B, C', pic: full(current('P_L0_16x16')), curr: 4, expected: v(200) },
  // Intra neighbours: available, refIdx -1, zero vector (8.4.1.3.2).
  { name: 'A and C intra: only B has refIdx 0 -> B', pic: full(current('P_L0_16x16'), { 3: INTRA, 2: INTRA }), curr: 4, expected: v(100) },
  { name: 'A, B, C intra -> median of zeros', pic: full(current('P_L0_16x16'), { 1: INTRA, 2: INTRA, 3: INTRA }), curr: 4, expected: [0, 0] },
  { name: 'intra C is available: D does not replace it', pic: full(current('P_L0_16x16'), { 2: INTRA }), curr: 4, expected: v(100) },
  // 16x8 and 8x16 (8.4.1.3, directional).
  { name: '16x8 upper: B', pic: full(current('P_L0_L0_16x8', [[v(50)], [v(60)]])), curr: 4, part: [0, 0], expected: v(100) },
  { name: '16x8 upper, B intra: median(A, 0, C)', pic: full(current('P_L0_L0_16x8', [[v(50)], [v(60)]]), { 1: INTRA }), curr: 4, part: [0, 0], expected: v(200) },
  { name: '16x8 lower: A at (-1, 8)', pic: full(current('P_L0_L0_16x8', [[v(50)], [v(60)]])), curr: 4, part: [1, 0], expected: v(302) },
  { name: '16x8 lower, A intra: C at (16, 7) not available -> D intra; only B (upper partition)', pic: full(current('P_L0_L0_16x8', [[v(50)], [v(60)]]), { 3: INTRA }), curr: 4, part: [1, 0], expected: v(50) },
  { name: '8x16 left: A', pic: full(current('P_L0_L0_8x16', [[v(50)], [v(60)]])), curr: 4, part: [0, 0], expected: v(300) },
  { name: '8x16 right: C from the above-right macroblock', pic: full(current('P_L0_L0_8x16', [[v(50)], [v(60)]])), curr: 4, part: [1, 0], expected: v(200) },
  { name: '8x16 right on the right edge: C -> D = above (7, -1)', pic: neighbourhood(3, 3, 5, current('P_L0_L0_8x16', [[v(50)], [v(60)]])), curr: 5, part: [1, 0], expected: v(101) },
  { name: '8x16 right, C intra: not directional; median(left partition, B, 0)', pic: full(current('P_L0_L0_8x16', [[v(50)], [v(60)]]), { 2: INTRA }), curr: 4, part: [1, 0], expected: v(50) },
  { name: '8x16 right at the top-right corner: only A -> B = C = A', pic: neighbourhood(2, 1, 1, current('P_L0_L0_8x16', [[v(50)], [v(60)]])), curr: 1, part: [1, 0], expected: v(50) },
  { name: '16x8 lower in a 1x1 picture: only B (the upper partition)', pic: neighbourhood(1, 1, 0, current('P_L0_L0_16x8', [[v(7)], [v(8)]])), curr: 0, part: [1, 0], expected: v(7) },
  // 8x8 partitions 0..3.
  { name: '8x8 partition 0: median(A, B, C = (8, -1))', pic: full(P8([v(160), v(250), v(40), v(1)])), curr: 4, part: [0, 0], expected: v(102) },
  { name: '8x8 partition 1: A = partition 0, C = above-right macroblock', pic: full(P8([v(160), v(250), v(40), v(1)])), curr: 4, part: [1, 0], expected: v(160) },
  { name: '8x8 partition 2: C = partition 1 (decoded)', pic: full(P8([v(160), v(250), v(40), v(1)])), curr: 4, part: [2, 0], expected: v(250) },
  { name: '8x8 partition 3: C (16, 7) not available -> D = partition 0', pic: full(P8([v(160), v(250), v(40), v(1)])), curr: 4, part: [3, 0], expected: v(160) },
  // Sub-macroblock partitions: predPartWidth = SubMbPartWidth.
  { name: '4x4 0 of 8x8 0: C = (4, -1)', pic: full(sub8x8('P_L0_4x4', [[v(10), v(20), v(30), v(40)]])), curr: 4, part: [0, 0], expected: v(101) },
  { name: '4x4 1 of 8x8 0: A = 4x4 0, C = (8, -1)', pic: full(sub8x8('P_L0_4x4', [[v(10), v(20), v(30), v(40)]])), curr: 4, part: [0, 1], expected: v(101) },
  { name: '4x4 2 of 8x8 0: C = 4x4 1', pic: full(sub8x8('P_L0_4x4', [[v(10), v(20), v(30), v(40)]])), curr: 4, part: [0, 2], expected: v(20) },
  { name: '4x4 3 of 8x8 0: C in 8x8 1, not yet decoded -> D = 4x4 0', pic: full(sub8x8('P_L0_4x4', [[v(10), v(20), v(30), v(40)]])), curr: 4, part: [0, 3], expected: v(20) },
  { name: '8x4 1 of 8x8 0: C in 8x8 1, not yet decoded -> D = left macroblock (-1, 3)', pic: full(sub8x8('P_L0_8x4', [[v(10), v(20)]])), curr: 4, part: [0, 1], expected: v(300) },
  { name: '4x8 1 of 8x8 0: C = (8, -1)', pic: full(sub8x8('P_L0_4x8', [[v(10), v(20)]])), curr: 4, part: [0, 1], expected: v(101) },
  { name: '4x4 1 of 8x8 1: C = above-right macroblock', pic: full(sub8x8('P_L0_4x4', [[v(160), v(160), v(160), v(160)], [v(11), v(21), v(31), v(41)]])), curr: 4, part: [1, 1], expected: v(103) },
  { name: '4x4 3 of 8x8 1: C (16, 3) not available -> D = 4x4 0', pic: full(sub8x8('P_L0_4x4', [[v(160), v(160), v(160), v(160)], [v(11), v(21), v(31), v(41)]])), curr: 4, part: [1, 3], expected: v(21) },
  { name: '8x4 1 of 8x8 1: C (16, 3) not available -> D = (7, 3) in 8x8 0', pic: full(current('P_8x8', [[v(160), v(161), v(162), v(163)], [v(11), v(21)], [v(1)], [v(1)]], ['P_L0_4x4', 'P_L0_8x4', 'P_L0_8x8', 'P_L0_8x8'])), curr: 4, part: [1, 1], expected: v(161) },
  { name: '4x4 1 of 8x8 2: C = 8x8 1 at (8, 7)', pic: full(sub8x8('P_L0_4x4', [[v(160), v(160), v(160), v(160)], [v(250), v(250), v(250), v(250)], [v(12), v(22), v(32), v(42)]])), curr: 4, part: [2, 1], expected: v(160) },
  { name: '4x4 3 of 8x8 2: C in 8x8 3, not yet decoded -> D = 4x4 0', pic: full(sub8x8('P_L0_4x4', [[v(160), v(160), v(160), v(160)], [v(250), v(250), v(250), v(250)], [v(12), v(22), v(32), v(42)]])), curr: 4, part: [2, 3], expected: v(22) },
  { name: '4x4 1 of 8x8 3: C (16, 7) not available -> D = (11, 7) in 8x8 1', pic: full(current('P_8x8', [[v(160)], [v(250), v(251), v(252), v(253)], [v(40)], [v(13), v(23), v(33), v(43)]], ['P_L0_8x8', 'P_L0_4x4', 'P_L0_8x8', 'P_L0_4x4'])), curr: 4, part: [3, 1], expected: v(252) },
  { name: '4x8 0 of 8x8 3: C = (12, 7) in 8x8 1', pic: full(sub8x8('P_L0_4x8', [[v(160), v(160)], [v(250), v(250)], [v(40), v(40)], [v(13), v(23)]])), curr: 4, part: [3, 0], expected: v(250) },
  // P_Skip — 8.4.1.1.
  { name: 'P_Skip at the top-left corner: zero', pic: neighbourhood(1, 1, 0, current('P_Skip')), curr: 0, expected: [0, 0] },
  { name: 'P_Skip on the top row: mbAddrB not available -> zero, whatever A is', pic: neighbourhood(3, 1, 1, current('P_Skip')), curr: 1, expected: [0, 0] },
  { name: 'P_Skip in the left column: mbAddrA not available -> zero', pic: neighbourhood(3, 3, 3, current('P_Skip')), curr: 3, expected: [0, 0] },
  { name: 'P_Skip: A has refIdx 0 and a zero vector -> zero', pic: full(current('P_Skip'), { 3: uniform([0, 0]) }), curr: 4, expected: [0, 0] },
  { name: 'P_Skip: B has refIdx 0 and a zero vector -> zero', pic: full(current('P_Skip'), { 1: uniform([0, 0]) }), curr: 4, expected: [0, 0] },
  { name: 'P_Skip: A with (0, 5) is not a zero vector -> 16x16 prediction', pic: full(current('P_Skip'), { 3: uniform([0, 5]) }), curr: 4, expected: [100, -100] },
  { name: 'P_Skip: intra A is available with refIdx -1 -> no shortcut, median(0, B, C)', pic: full(current('P_Skip'), { 3: INTRA }), curr: 4, expected: v(100) },
  { name: 'P_Skip: intra A and B -> only C has refIdx 0', pic: full(current('P_Skip'), { 1: INTRA, 3: INTRA }), curr: 4, expected: v(200) },
  { name: 'P_Skip: 16x16 prediction, median(A, B, C)', pic: full(current('P_Skip')), curr: 4, expected: v(200) },
  { name: 'P_Skip on the right edge: C -> D', pic: neighbourhood(3, 3, 5, current('P_Skip')), curr: 5, expected: v(150) },
];

describe('mvpL0 — hand-built cases (8.4.1.3, 8.4.1.1)', () => {
  for (const c of NAMED) {
    it(c.name, () => {
      const [p, s] = c.part ?? [0, 0];
      expect(specFor(c.pic, c.curr, p, s), 'reference').toEqual(c.expected);
      expect(modulePredictMv(c.pic, c.curr, p, s), 'predictMv / predictSkipMv').toEqual(c.expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Random pictures

function randomMv(rnd: () => number): Mv {
  const r = rnd() % 10;
  if (r < 2) return [0, 0];
  const comp = (): number => {
    const k = rnd() % 4;
    return k === 0 ? 0 : k === 1 ? (rnd() % 9) - 4 : (rnd() % 1024) - 512;
  };
  return [comp(), comp()];
}

function randomMb(rnd: () => number, mbType?: PMbType): MbModel {
  const type: MbType = mbType ?? (rnd() % 4 === 0 ? 'I' : P_MB_TYPES[rnd() % P_MB_TYPES.length]!);
  if (type === 'I') return INTRA;
  const subMbType = Array.from({ length: 4 }, () => SUB_MB_TYPES[rnd() % 4]!);
  const m: MbModel = { mbType: type, subMbType: type === 'P_8x8' ? subMbType : [], mv: [] };
  for (let p = 0; p < MB_PART[type][0]; p++) {
    m.mv.push(Array.from({ length: numSubMbPart(m, p) }, () => randomMv(rnd)));
  }
  return m;
}

describe('mvpL0 — random pictures against the reference', () => {
  it('every macroblock of 400 random pictures (1x1..5x4), every mb_type and (sub-)partition', () => {
    const rnd = prng(0x6d7670);
    const mismatches: string[] = [];
    let cases = 0;
    for (let n = 0; n < 400; n++) {
      const w = 1 + (rnd() % 5), h = 1 + (rnd() % 4);
      const pic: PictureModel = { w, h, mbs: Array.from({ length: w * h }, () => randomMb(rnd)) };
      for (let curr = 0; curr < w * h; curr++) {
        const saved = pic.mbs[curr]!;
        // Every mb_type for the current macroblock; P_8x8 twice with other sub_mb_types.
        for (const t of [...P_MB_TYPES, 'P_8x8'] as PMbType[]) {
          const m = randomMb(rnd, t);
          pic.mbs[curr] = m;
          for (let p = 0; p < MB_PART[t][0]; p++) {
            for (let s = 0; s < numSubMbPart(m, p); s++) {
              cases++;
              const want = specFor(pic, curr, p, s), got = modulePredictMv(pic, curr, p, s);
              if (want[0] !== got[0] || want[1] !== got[1]) {
                mismatches.push(`picture ${n} (${w}x${h}) mb ${curr} ${t} ${m.subMbType.join(',')} part ${p}/${s}: want ${want}, got ${got}`);
              }
            }
          }
        }
        pic.mbs[curr] = saved;
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(cases).toBeGreaterThan(20_000);
  });

  it('every combination of sub_mb_types in a macroblock with all neighbours present', () => {
    const rnd = prng(0x737562);
    const mismatches: string[] = [];
    for (let combo = 0; combo < 256; combo++) {
      const pic: PictureModel = { w: 3, h: 3, mbs: Array.from({ length: 9 }, () => randomMb(rnd)) };
      const m = randomMb(rnd, 'P_8x8');
      m.subMbType = [0, 1, 2, 3].map((i) => SUB_MB_TYPES[(combo >> (2 * i)) & 3]!);
      m.mv = [0, 1, 2, 3].map((p) => Array.from({ length: numSubMbPart(m, p) }, () => randomMv(rnd)));
      pic.mbs[4] = m;
      for (let p = 0; p < 4; p++) {
        for (let s = 0; s < numSubMbPart(m, p); s++) {
          const want = specFor(pic, 4, p, s), got = modulePredictMv(pic, 4, p, s);
          if (want[0] !== got[0] || want[1] !== got[1]) mismatches.push(`${m.subMbType.join(',')} part ${p}/${s}: want ${want}, got ${got}`);
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
