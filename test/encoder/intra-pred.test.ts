/**
 * Intra prediction against H.264 (08/2021) 8.3.1.2 (Intra_4x4), 8.3.3 (Intra_16x16) and 8.3.4
 * (chroma, ChromaArrayType 1). The references below compute each predicted sample from the
 * neighbouring samples p[x, y] with the spec's case analysis written out; they know nothing of the
 * module's edge arrays, which are filled from p[x, y] by the layouts its doc comments describe.
 */
import { describe, expect, it } from 'vitest';
import {
  AVAIL_LEFT, AVAIL_TOP, AVAIL_TOP_LEFT, intra16x16ModeAvailable, intra4x4ModeAvailable,
  intraChromaModeAvailable, predict16x16, predict4x4, predict4x4Ref, predictChroma,
} from '../../encoder/common/intra-pred.js';
import { prng } from '../helpers/synthetic.js';

const shr = (x: number, n: number): number => Math.floor(x / 2 ** n);
const clip1 = (v: number): number => Math.min(255, Math.max(0, v)); // Clip1Y / Clip1C, 8-bit

/** Neighbouring samples p[x, y] of an n x n block: p[x, -1] for x = -1..2n-1 and p[-1, y] for y = 0..n-1. */
class Neighbours {
  readonly top = new Map<number, number>();
  readonly left = new Map<number, number>();
  p(x: number, y: number): number {
    const v = y === -1 ? this.top.get(x) : x === -1 ? this.left.get(y) : undefined;
    if (v === undefined) throw new Error(`p[${x}, ${y}] used but not available`);
    return v;
  }
}

interface Availability { left: boolean; top: boolean; topLeft: boolean; topRight: boolean }

function allAvailabilities(): Availability[] {
  const out: Availability[] = [];
  for (let k = 0; k < 16; k++) {
    const a = { left: !!(k & 1), top: !!(k & 2), topLeft: !!(k & 4), topRight: !!(k & 8) };
    if (a.topRight && !a.top) continue; // the top-right block lies after the top one in decoding order
    out.push(a);
  }
  return out;
}

function availBits(a: Availability): number {
  return (a.left ? AVAIL_LEFT : 0) | (a.top ? AVAIL_TOP : 0) | (a.topLeft ? AVAIL_TOP_LEFT : 0);
}

/** Random neighbours; only available ones are set (so a reference that reads any other throws). */
function randomNeighbours(rnd: () => number, n: number, a: Availability, style: number): Neighbours {
  const nb = new Neighbours();
  const sample = (k: number): number => {
    if (style === 0) return rnd() & 255; // noise
    if (style === 1) return clip1(20 + 9 * k + (rnd() % 7)); // ramp
    return rnd() & 1 ? 255 : 0; // extremes
  };
  if (a.topLeft) nb.top.set(-1, sample(0));
  if (a.top) for (let x = 0; x < n; x++) nb.top.set(x, sample(x + 1));
  if (a.left) for (let y = 0; y < n; y++) nb.left.set(y, sample(y + 1));
  if (n === 4 && a.top) {
    // 8.3.1.2: "When samples p[x, -1], with x = 4..7, are marked as "not available for Intra_4x4
    // prediction," and the sample p[3, -1] is marked as "available for Intra_4x4 prediction," the
    // sample value of p[3, -1] is substituted for the sample values p[x, -1], with x = 4..7".
    for (let x = 4; x < 8; x++) nb.top.set(x, a.topRight ? sample(x + 1) : nb.p(3, -1));
  }
  return nb;
}

/** The module's 13-sample 4x4 edge (unavailable samples are garbage, never zero-initialised). */
function edge4x4(nb: Neighbours, rnd: () => number): Uint8Array {
  const e = new Uint8Array(13);
  for (let k = 0; k < 13; k++) e[k] = rnd() & 255;
  for (let y = -1; y <= 3; y++) { const v = y === -1 ? nb.top.get(-1) : nb.left.get(y); if (v !== undefined) e[3 - y] = v; }
  for (let x = -1; x <= 7; x++) { const v = nb.top.get(x); if (v !== undefined) e[5 + x] = v; }
  return e;
}

/** The module's n x n edges: top[0] = p[-1, -1], top[1 + x] = p[x, -1]; left[y] = p[-1, y]. */
function edgesNxN(nb: Neighbours, n: number, rnd: () => number): { top: Uint8Array; left: Uint8Array } {
  const top = new Uint8Array(n + 1), left = new Uint8Array(n);
  for (let x = -1; x < n; x++) top[x + 1] = nb.top.get(x) ?? (rnd() & 255);
  for (let y = 0; y < n; y++) left[y] = nb.left.get(y) ?? (rnd() & 255);
  return { top, left };
}

// ---------------------------------------------------------------- Intra_4x4 reference (8.3.1.2.x)

/** Which neighbours each Intra_4x4 mode requires ("shall be used only when ... available"). */
function spec4x4Allowed(mode: number, a: Availability): boolean {
  switch (mode) {
    case 0: return a.top; // Vertical: p[x, -1], x = 0..3
    case 1: return a.left; // Horizontal: p[-1, y], y = 0..3
    case 2: return true; // DC
    case 3: case 7: return a.top; // Diagonal_Down_Left, Vertical_Left: p[x, -1], x = 0..7 (4..7 substituted)
    case 8: return a.left; // Horizontal_Up: p[-1, y], y = 0..3
    default: return a.top && a.left && a.topLeft; // 4, 5, 6: p[x, -1], x = -1..3 and p[-1, y], y = 0..3
  }
}

function spec4x4(mode: number, nb: Neighbours, a: Availability): number[] {
  const p = (x: number, y: number): number => nb.p(x, y);
  const pred: number[] = [];
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      let v: number;
      switch (mode) {
        case 0: // 8.3.1.2.1 Intra_4x4_Vertical
          v = p(x, -1);
          break;
        case 1: // 8.3.1.2.2 Intra_4x4_Horizontal
          v = p(-1, y);
          break;
        case 2: { // 8.3.1.2.3 Intra_4x4_DC
          if (a.top && a.left) {
            v = shr(p(0, -1) + p(1, -1) + p(2, -1) + p(3, -1) + p(-1, 0) + p(-1, 1) + p(-1, 2) + p(-1, 3) + 4, 3);
          } else if (!a.top && a.left) {
            v = shr(p(-1, 0) + p(-1, 1) + p(-1, 2) + p(-1, 3) + 2, 2);
          } else if (a.top && !a.left) {
            v = shr(p(0, -1) + p(1, -1) + p(2, -1) + p(3, -1) + 2, 2);
          } else {
            v = 128; // 1 << (BitDepthY - 1)
          }
          break;
        }
        case 3: // 8.3.1.2.4 Intra_4x4_Diagonal_Down_Left
          if (x === 3 && y === 3) v = shr(p(6, -1) + 3 * p(7, -1) + 2, 2);
          else v = shr(p(x + y, -1) + 2 * p(x + y + 1, -1) + p(x + y + 2, -1) + 2, 2);
          break;
        case 4: // 8.3.1.2.5 Intra_4x4_Diagonal_Down_Right
          if (x > y) v = shr(p(x - y - 2, -1) + 2 * p(x - y - 1, -1) + p(x - y, -1) + 2, 2);
          else if (x < y) v = shr(p(-1, y - x - 2) + 2 * p(-1, y - x - 1) + p(-1, y - x) + 2, 2);
          else v = shr(p(0, -1) + 2 * p(-1, -1) + p(-1, 0) + 2, 2);
          break;
        case 5: { // 8.3.1.2.6 Intra_4x4_Vertical_Right
          const zVR = 2 * x - y;
          if (zVR === 0 || zVR === 2 || zVR === 4 || zVR === 6) {
            v = shr(p(x - (y >> 1) - 1, -1) + p(x - (y >> 1), -1) + 1, 1);
          } else if (zVR === 1 || zVR === 3 || zVR === 5) {
            v = shr(p(x - (y >> 1) - 2, -1) + 2 * p(x - (y >> 1) - 1, -1) + p(x - (y >> 1), -1) + 2, 2);
          } else if (zVR === -1) {
            v = shr(p(-1, 0) + 2 * p(-1, -1) + p(0, -1) + 2, 2);
          } else { // zVR equal to -2 or -3
            v = shr(p(-1, y - 1) + 2 * p(-1, y - 2) + p(-1, y - 3) + 2, 2);
          }
          break;
        }
        case 6: { // 8.3.1.2.7 Intra_4x4_Horizontal_Down
          const zHD = 2 * y - x;
          if (zHD === 0 || zHD === 2 || zHD === 4 || zHD === 6) {
            v = shr(p(-1, y - (x >> 1) - 1) + p(-1, y - (x >> 1)) + 1, 1);
          } else if (zHD === 1 || zHD === 3 || zHD === 5) {
            v = shr(p(-1, y - (x >> 1) - 2) + 2 * p(-1, y - (x >> 1) - 1) + p(-1, y - (x >> 1)) + 2, 2);
          } else if (zHD === -1) {
            v = shr(p(-1, 0) + 2 * p(-1, -1) + p(0, -1) + 2, 2);
          } else { // zHD equal to -2 or -3
            v = shr(p(x - 1, -1) + 2 * p(x - 2, -1) + p(x - 3, -1) + 2, 2);
          }
          break;
        }
        case 7: // 8.3.1.2.8 Intra_4x4_Vertical_Left
          if (y === 0 || y === 2) v = shr(p(x + (y >> 1), -1) + p(x + (y >> 1) + 1, -1) + 1, 1);
          else v = shr(p(x + (y >> 1), -1) + 2 * p(x + (y >> 1) + 1, -1) + p(x + (y >> 1) + 2, -1) + 2, 2);
          break;
        case 8: { // 8.3.1.2.9 Intra_4x4_Horizontal_Up
          const zHU = x + 2 * y;
          if (zHU === 0 || zHU === 2 || zHU === 4) {
            v = shr(p(-1, y + (x >> 1)) + p(-1, y + (x >> 1) + 1) + 1, 1);
          } else if (zHU === 1 || zHU === 3) {
            v = shr(p(-1, y + (x >> 1)) + 2 * p(-1, y + (x >> 1) + 1) + p(-1, y + (x >> 1) + 2) + 2, 2);
          } else if (zHU === 5) {
            v = shr(p(-1, 2) + 3 * p(-1, 3) + 2, 2);
          } else { // zHU greater than 5
            v = p(-1, 3);
          }
          break;
        }
        default:
          throw new Error(`mode ${mode}`);
      }
      pred.push(v);
    }
  }
  return pred;
}

// ---------------------------------------------------------------- Intra_16x16 reference (8.3.3.x)

function spec16x16Allowed(mode: number, a: Availability): boolean {
  if (mode === 0) return a.top; // p[x, -1], x = 0..15
  if (mode === 1) return a.left; // p[-1, y], y = 0..15
  if (mode === 3) return a.top && a.left && a.topLeft; // p[x, -1], x = -1..15 and p[-1, y], y = 0..15
  return true;
}

function spec16x16(mode: number, nb: Neighbours, a: Availability): number[] {
  const p = (x: number, y: number): number => nb.p(x, y);
  const pred: number[] = [];
  let dc = 0, b = 0, c = 0, aa = 0;
  if (mode === 2) { // 8.3.3.3
    let sumTop = 0, sumLeft = 0;
    if (a.top) for (let x = 0; x < 16; x++) sumTop += p(x, -1);
    if (a.left) for (let y = 0; y < 16; y++) sumLeft += p(-1, y);
    if (a.top && a.left) dc = shr(sumTop + sumLeft + 16, 5);
    else if (a.left) dc = shr(sumLeft + 8, 4);
    else if (a.top) dc = shr(sumTop + 8, 4);
    else dc = 128;
  } else if (mode === 3) { // 8.3.3.4
    aa = 16 * (p(-1, 15) + p(15, -1));
    let H = 0, V = 0;
    for (let xp = 0; xp <= 7; xp++) H += (xp + 1) * (p(8 + xp, -1) - p(6 - xp, -1));
    for (let yp = 0; yp <= 7; yp++) V += (yp + 1) * (p(-1, 8 + yp) - p(-1, 6 - yp));
    b = shr(5 * H + 32, 6);
    c = shr(5 * V + 32, 6);
  }
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      if (mode === 0) pred.push(p(x, -1));
      else if (mode === 1) pred.push(p(-1, y));
      else if (mode === 2) pred.push(dc);
      else pred.push(clip1(shr(aa + b * (x - 7) + c * (y - 7) + 16, 5)));
    }
  }
  return pred;
}

// ---------------------------------------------------------------- chroma reference (8.3.4.x, 4:2:0)

function specChromaAllowed(mode: number, a: Availability): boolean {
  if (mode === 1) return a.left; // Horizontal
  if (mode === 2) return a.top; // Vertical
  if (mode === 3) return a.top && a.left && a.topLeft; // Plane
  return true; // DC
}

function specChroma(mode: number, nb: Neighbours, a: Availability): number[] {
  const p = (x: number, y: number): number => nb.p(x, y);
  const pred = new Array<number>(64);
  if (mode === 0) {
    // 8.3.4.1..3, one 4x4 chroma block at a time: chroma4x4BlkIdx 0..3 at (xO, yO) — 6.4.7.
    for (let blk = 0; blk < 4; blk++) {
      const xO = 4 * (blk % 2), yO = 4 * Math.floor(blk / 2);
      let sumTop = 0, sumLeft = 0;
      if (a.top) for (let xp = 0; xp < 4; xp++) sumTop += p(xp + xO, -1);
      if (a.left) for (let yp = 0; yp < 4; yp++) sumLeft += p(-1, yp + yO);
      let dc: number;
      if ((xO === 0 && yO === 0) || (xO > 0 && yO > 0)) { // 8.3.4.1
        if (a.top && a.left) dc = shr(sumTop + sumLeft + 4, 3);
        else if (a.left) dc = shr(sumLeft + 2, 2);
        else if (a.top) dc = shr(sumTop + 2, 2);
        else dc = 128;
      } else if (xO > 0 && yO === 0) { // 8.3.4.2
        if (a.top) dc = shr(sumTop + 2, 2);
        else if (a.left) dc = shr(sumLeft + 2, 2);
        else dc = 128;
      } else { // 8.3.4.3: xO == 0 and yO > 0
        if (a.left) dc = shr(sumLeft + 2, 2);
        else if (a.top) dc = shr(sumTop + 2, 2);
        else dc = 128;
      }
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) pred[(yO + y) * 8 + xO + x] = dc;
    }
    return pred;
  }
  // 8.3.4.4 with xCF = 4 * (chroma_format_idc == 3) = 0 and yCF = 4 * (chroma_format_idc != 1) = 0.
  const xCF = 0, yCF = 0;
  let aa = 0, b = 0, c = 0;
  if (mode === 3) {
    aa = 16 * (p(-1, 8 - 1) + p(8 - 1, -1)); // MbHeightC = MbWidthC = 8
    let H = 0, V = 0;
    for (let xp = 0; xp <= 3 + xCF; xp++) H += (xp + 1) * (p(4 + xCF + xp, -1) - p(2 + xCF - xp, -1));
    for (let yp = 0; yp <= 3 + yCF; yp++) V += (yp + 1) * (p(-1, 4 + yCF + yp) - p(-1, 2 + yCF - yp));
    b = shr((34 - 29 * 0) * H + 32, 6); // ChromaArrayType != 3
    c = shr((34 - 29 * 0) * V + 32, 6); // ChromaArrayType == 1
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      if (mode === 1) pred[y * 8 + x] = p(-1, y); // 8.3.4.5 Horizontal
      else if (mode === 2) pred[y * 8 + x] = p(x, -1); // 8.3.4.6 Vertical
      else pred[y * 8 + x] = clip1(shr(aa + b * (x - 3 - xCF) + c * (y - 3 - yCF) + 16, 5));
    }
  }
  return pred;
}

function describeAvail(a: Availability): string {
  return `L${+a.left} T${+a.top} TL${+a.topLeft} TR${+a.topRight}`;
}

// ---------------------------------------------------------------- tests

const MODES_4x4 = ['Vertical', 'Horizontal', 'DC', 'Diagonal_Down_Left', 'Diagonal_Down_Right', 'Vertical_Right',
  'Horizontal_Down', 'Vertical_Left', 'Horizontal_Up'];

describe.each([['predict4x4', predict4x4], ['predict4x4Ref', predict4x4Ref]] as const)('Intra_4x4 — 8.3.1.2: %s', (_, predict4x4) => {
  it.each(MODES_4x4.map((name, mode) => [mode, name] as const))('mode %i (%s): every allowed availability, random edges', (mode) => {
    const rnd = prng(400 + mode);
    const pred = new Uint8Array(16);
    const failures: string[] = [];
    let tested = 0;
    for (const a of allAvailabilities()) {
      expect(intra4x4ModeAvailable(mode, availBits(a)), describeAvail(a)).toBe(spec4x4Allowed(mode, a));
      if (!spec4x4Allowed(mode, a)) continue;
      for (let trial = 0; trial < 150; trial++) {
        const nb = randomNeighbours(rnd, 4, a, trial % 3);
        const e = edge4x4(nb, rnd);
        predict4x4(mode, e, availBits(a), pred);
        const expected = spec4x4(mode, nb, a);
        if (pred.join() !== expected.join()) failures.push(`${describeAvail(a)} e=${e.join()}: ${pred.join()} != ${expected.join()}`);
        tested++;
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(tested).toBeGreaterThan(0);
  });

  it('substitutes p[3, -1] for the top-right samples: Diagonal_Down_Left bottom-right is p[3, -1]', () => {
    // With p[4..7, -1] = p[3, -1], the x = y = 3 case of 8.3.1.2.4 gives (p[3,-1] + 3 p[3,-1] + 2) >> 2 = p[3,-1].
    const a = { left: false, top: true, topLeft: false, topRight: false };
    const nb = randomNeighbours(prng(41), 4, a, 0);
    const pred = new Uint8Array(16);
    predict4x4(3, edge4x4(nb, prng(42)), availBits(a), pred);
    expect(pred[15]).toBe(nb.p(3, -1));
  });
});

describe('predict4x4 (unrolled) against predict4x4Ref (per sample)', () => {
  it('agrees for every mode and availability on random edges, including the samples it must not read', () => {
    const rnd = prng(450);
    const fast = new Uint8Array(16), ref = new Uint8Array(16), e = new Uint8Array(13);
    for (let trial = 0; trial < 20000; trial++) {
      for (let k = 0; k < 13; k++) e[k] = trial % 3 === 0 ? (rnd() & 1 ? 255 : 0) : rnd() & 255;
      const avail = rnd() & 7, mode = trial % 9;
      if (!intra4x4ModeAvailable(mode, avail)) continue;
      fast.fill(1);
      ref.fill(2);
      predict4x4(mode, e, avail, fast);
      predict4x4Ref(mode, e, avail, ref);
      expect([...fast]).toEqual([...ref]);
    }
  });
});

describe('Intra_16x16 — 8.3.3', () => {
  it.each([[0, 'Vertical'], [1, 'Horizontal'], [2, 'DC'], [3, 'Plane']] as [number, string][])('mode %i (%s): every allowed availability, random edges', (mode) => {
    const rnd = prng(500 + mode);
    const pred = new Uint8Array(256);
    const failures: string[] = [];
    for (const a of allAvailabilities().filter((x) => !x.topRight)) {
      expect(intra16x16ModeAvailable(mode, availBits(a)), describeAvail(a)).toBe(spec16x16Allowed(mode, a));
      if (!spec16x16Allowed(mode, a)) continue;
      for (let trial = 0; trial < 60; trial++) {
        const nb = randomNeighbours(rnd, 16, a, trial % 3);
        const { top, left } = edgesNxN(nb, 16, rnd);
        predict16x16(mode, top, left, availBits(a), pred);
        const expected = spec16x16(mode, nb, a);
        if (pred.join() !== expected.join()) failures.push(`${describeAvail(a)} top=${top.join()} left=${left.join()}`);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it('Plane prediction clips to 0 and 255 on steep ramps', () => {
    const a = { left: true, top: true, topLeft: true, topRight: false };
    const pred = new Uint8Array(256);
    for (const rising of [true, false]) {
      const nb = new Neighbours();
      const ramp = (k: number): number => clip1(rising ? 30 * k : 255 - 30 * k);
      nb.top.set(-1, ramp(0));
      for (let k = 0; k < 16; k++) {
        nb.top.set(k, ramp(k + 1));
        nb.left.set(k, ramp(k + 1));
      }
      const { top, left } = edgesNxN(nb, 16, prng(1));
      predict16x16(3, top, left, availBits(a), pred);
      expect([...pred]).toEqual(spec16x16(3, nb, a));
      expect(pred.includes(rising ? 255 : 0)).toBe(true);
    }
  });
});

describe('chroma (4:2:0) — 8.3.4', () => {
  it.each([[0, 'DC'], [1, 'Horizontal'], [2, 'Vertical'], [3, 'Plane']] as [number, string][])('mode %i (%s): every allowed availability, random edges', (mode) => {
    const rnd = prng(600 + mode);
    const pred = new Uint8Array(64);
    const failures: string[] = [];
    for (const a of allAvailabilities().filter((x) => !x.topRight)) {
      expect(intraChromaModeAvailable(mode, availBits(a)), describeAvail(a)).toBe(specChromaAllowed(mode, a));
      if (!specChromaAllowed(mode, a)) continue;
      for (let trial = 0; trial < 100; trial++) {
        const nb = randomNeighbours(rnd, 8, a, trial % 3);
        const { top, left } = edgesNxN(nb, 8, rnd);
        predictChroma(mode, top, left, availBits(a), pred);
        const expected = specChroma(mode, nb, a);
        if (pred.join() !== expected.join()) failures.push(`${describeAvail(a)} top=${top.join()} left=${left.join()}`);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it('DC uses a different rule per 4x4 block (8.3.4.1..3) in each availability case', () => {
    // Top samples all 200, left samples all 40: the per-block DCs show which edge each block used.
    const pred = new Uint8Array(64);
    const dcs = (left: boolean, top: boolean): number[] => {
      const nb = new Neighbours();
      if (top) for (let x = 0; x < 8; x++) nb.top.set(x, 200);
      if (left) for (let y = 0; y < 8; y++) nb.left.set(y, 40);
      const { top: t, left: l } = edgesNxN(nb, 8, prng(7));
      predictChroma(0, t, l, (left ? AVAIL_LEFT : 0) | (top ? AVAIL_TOP : 0), pred);
      return [pred[0]!, pred[4]!, pred[32]!, pred[36]!]; // blocks at (0,0), (4,0), (0,4), (4,4)
    };
    expect(dcs(true, true)).toEqual([120, 200, 40, 120]);
    expect(dcs(true, false)).toEqual([40, 40, 40, 40]);
    expect(dcs(false, true)).toEqual([200, 200, 200, 200]);
    expect(dcs(false, false)).toEqual([128, 128, 128, 128]);
  });
});

describe('mode availability', () => {
  it('keeps the spec numbers of Tables 8-2, 8-4 and 8-5 in its decisions', () => {
    const all = AVAIL_LEFT | AVAIL_TOP | AVAIL_TOP_LEFT;
    for (let mode = 0; mode < 9; mode++) expect(intra4x4ModeAvailable(mode, all)).toBe(true);
    for (let mode = 0; mode < 4; mode++) {
      expect(intra16x16ModeAvailable(mode, all)).toBe(true);
      expect(intraChromaModeAvailable(mode, all)).toBe(true);
    }
    expect(intra4x4ModeAvailable(2, 0)).toBe(true);
    expect(intra16x16ModeAvailable(2, 0)).toBe(true);
    expect(intraChromaModeAvailable(0, 0)).toBe(true);
    // Intra 16x16 mode 0 is Vertical but chroma mode 0 is DC (Table 8-5): Vertical is 2 there.
    expect(intra16x16ModeAvailable(0, AVAIL_LEFT)).toBe(false);
    expect(intraChromaModeAvailable(0, AVAIL_LEFT)).toBe(true);
    expect(intraChromaModeAvailable(2, AVAIL_LEFT)).toBe(false);
    expect(intraChromaModeAvailable(1, AVAIL_TOP)).toBe(false);
  });
});
