/**
 * writeResidualBlock against an independent residual_block_cavlc() parser written here from
 * H.264 (08/2021) 7.3.5.3.2 and 9.2 (coeff_token 9.2.1, level_prefix / level_suffix 9.2.2,
 * total_zeros 9.2.3, run_before 9.2.3, combining levels and runs 9.2.4). The parser decodes the
 * VLC tables from their code / length arrays (checked against the spec's text in tables.test.ts);
 * everything else — suffixLength, the prefix 14 / 15 escapes, the +2 of the first non-trailing-one
 * level — is written from the spec text.
 */
import { describe, expect, it } from 'vitest';
import { writeResidualBlock } from '../../encoder/cavlc.js';
import { BitCounter, BitWriter } from '../../encoder/common/bitstream.js';
import {
  COEFF_TOKEN_CODE, COEFF_TOKEN_LEN, RUN_BEFORE_CODE, RUN_BEFORE_LEN, TOTAL_ZEROS_CHROMA_DC_CODE,
  TOTAL_ZEROS_CHROMA_DC_LEN, TOTAL_ZEROS_CODE, TOTAL_ZEROS_LEN,
} from '../../encoder/common/cavlc-tables.js';
import { prng } from '../helpers/synthetic.js';
import { bitsOf } from '../helpers/bits.js';

class BitReader {
  pos = 0;
  constructor(private readonly bits: string) {}
  u(n: number): number {
    if (this.pos + n > this.bits.length) throw new Error(`read past the end (${this.pos} + ${n} > ${this.bits.length})`);
    const v = n === 0 ? 0 : parseInt(this.bits.slice(this.pos, this.pos + n), 2);
    this.pos += n;
    return v;
  }
  /** Reads one VLC: bits until the prefix matches a code of `table` (a map from "len:code"). */
  vlc<T>(table: Map<string, T>, what: string): T {
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = code * 2 + this.u(1);
      const hit = table.get(`${len}:${code}`);
      if (hit !== undefined) return hit;
    }
    throw new Error(`no ${what} code matches at bit ${this.pos}`);
  }
}

function vlcMap<T>(entries: Iterable<[number, number, T]>): Map<string, T> {
  const m = new Map<string, T>();
  for (const [len, code, v] of entries) if (len > 0) m.set(`${len}:${code}`, v);
  return m;
}

/** coeff_token column by nC — 9.2.1: 0 <= nC < 2, 2 <= nC < 4, 4 <= nC < 8, 8 <= nC, nC == -1. */
function coeffTokenColumn(nC: number): number {
  if (nC === -1) return 4;
  if (nC < 2) return 0;
  if (nC < 4) return 1;
  if (nC < 8) return 2;
  return 3;
}

const coeffTokenTables = [0, 1, 2, 3, 4].map((t) => vlcMap(function* () {
  for (let totalCoeff = 0; totalCoeff <= 16; totalCoeff++) {
    for (let trailingOnes = 0; trailingOnes < 4; trailingOnes++) {
      const k = (t * 17 + totalCoeff) * 4 + trailingOnes;
      yield [COEFF_TOKEN_LEN[k]!, COEFF_TOKEN_CODE[k]!, { totalCoeff, trailingOnes }] as [number, number, { totalCoeff: number; trailingOnes: number }];
    }
  }
}()));

/** total_zeros tables by tzVlcIndex (= TotalCoeff): Tables 9-7 / 9-8, and 9-9 (a) for chroma DC. */
const totalZerosTables = Array.from({ length: 16 }, (_, tc) => vlcMap(function* () {
  for (let tz = 0; tz < 16; tz++) yield [TOTAL_ZEROS_LEN[tc * 16 + tz]!, TOTAL_ZEROS_CODE[tc * 16 + tz]!, tz] as [number, number, number];
}()));
const totalZerosChromaDcTables = Array.from({ length: 4 }, (_, tc) => vlcMap(function* () {
  for (let tz = 0; tz < 4; tz++) yield [TOTAL_ZEROS_CHROMA_DC_LEN[tc * 4 + tz]!, TOTAL_ZEROS_CHROMA_DC_CODE[tc * 4 + tz]!, tz] as [number, number, number];
}()));
/** run_before by zerosLeft 1..6 and > 6 (row 7) — Table 9-10. */
const runBeforeTables = Array.from({ length: 8 }, (_, zl) => vlcMap(function* () {
  for (let rb = 0; rb < 16; rb++) yield [RUN_BEFORE_LEN[zl * 16 + rb]!, RUN_BEFORE_CODE[zl * 16 + rb]!, rb] as [number, number, number];
}()));

interface Parsed { coeffLevel: number[]; totalCoeff: number; bitsRead: number; maxLevelPrefix: number }

/** residual_block_cavlc(coeffLevel, 0, maxNumCoeff - 1, maxNumCoeff) — 7.3.5.3.2 with 9.2. */
function parseResidualBlock(bits: string, maxNumCoeff: number, nC: number): Parsed {
  const r = new BitReader(bits);
  const coeffLevel = new Array<number>(maxNumCoeff).fill(0);
  const startIdx = 0, endIdx = maxNumCoeff - 1;
  const levelVal: number[] = [], runVal: number[] = [];
  let maxLevelPrefix = -1;
  const { totalCoeff: TotalCoeff, trailingOnes: TrailingOnes } = r.vlc(coeffTokenTables[coeffTokenColumn(nC)]!, 'coeff_token');
  if (TotalCoeff > 0) {
    // 9.2.2: "If TotalCoeff( coeff_token ) is greater than 10 and TrailingOnes( coeff_token ) is less
    // than 3, suffixLength is set equal to 1. Otherwise, suffixLength is set equal to 0."
    let suffixLength = TotalCoeff > 10 && TrailingOnes < 3 ? 1 : 0;
    for (let i = 0; i < TotalCoeff; i++) {
      if (i < TrailingOnes) {
        const trailingOnesSignFlag = r.u(1);
        levelVal[i] = 1 - 2 * trailingOnesSignFlag;
      } else {
        // level_prefix — 9.2.2.1: leadingZeroBits before a one.
        let levelPrefix = 0;
        while (r.u(1) === 0) levelPrefix++;
        maxLevelPrefix = Math.max(maxLevelPrefix, levelPrefix);
        let levelCode = Math.min(15, levelPrefix) * 2 ** suffixLength;
        let levelSuffixSize: number;
        if (levelPrefix === 14 && suffixLength === 0) levelSuffixSize = 4;
        else if (levelPrefix >= 15) levelSuffixSize = levelPrefix - 3;
        else levelSuffixSize = suffixLength;
        if (levelSuffixSize > 0) levelCode += r.u(levelSuffixSize); // level_suffix (0 when not present)
        if (levelPrefix >= 15 && suffixLength === 0) levelCode += 15;
        if (levelPrefix >= 16) levelCode += 2 ** (levelPrefix - 3) - 4096;
        if (i === TrailingOnes && TrailingOnes < 3) levelCode += 2;
        levelVal[i] = levelCode % 2 === 0 ? (levelCode + 2) / 2 : (-levelCode - 1) / 2;
        if (suffixLength === 0) suffixLength = 1;
        if (Math.abs(levelVal[i]!) > 3 * 2 ** (suffixLength - 1) && suffixLength < 6) suffixLength++;
      }
    }
    let zerosLeft: number;
    if (TotalCoeff < endIdx - startIdx + 1) {
      zerosLeft = r.vlc(maxNumCoeff === 4 ? totalZerosChromaDcTables[TotalCoeff]! : totalZerosTables[TotalCoeff]!, 'total_zeros');
    } else {
      zerosLeft = 0;
    }
    for (let i = 0; i < TotalCoeff - 1; i++) {
      if (zerosLeft > 0) runVal[i] = r.vlc(runBeforeTables[Math.min(zerosLeft, 7)]!, 'run_before');
      else runVal[i] = 0;
      zerosLeft -= runVal[i]!;
    }
    runVal[TotalCoeff - 1] = zerosLeft;
    let coeffNum = -1;
    for (let i = TotalCoeff - 1; i >= 0; i--) {
      coeffNum += runVal[i]! + 1;
      coeffLevel[startIdx + coeffNum] = levelVal[i]!;
    }
  }
  return { coeffLevel, totalCoeff: TotalCoeff, bitsRead: r.pos, maxLevelPrefix };
}

/**
 * Whether the block needs level_prefix > 15 — an independent walk over the levels in coding order
 * (highest frequency first) with the suffixLength rules of 9.2.2; the largest levelCode that
 * level_prefix 15 (levelSuffixSize 12) reaches is (15 << suffixLength) + 4095, plus 15 when
 * suffixLength is 0.
 */
function needsLevelPrefixAbove15(levels: readonly number[]): boolean {
  const nz = levels.filter((v) => v !== 0).reverse();
  let trailingOnes = 0;
  while (trailingOnes < Math.min(3, nz.length) && Math.abs(nz[trailingOnes]!) === 1) trailingOnes++;
  let suffixLength = nz.length > 10 && trailingOnes < 3 ? 1 : 0;
  for (let i = trailingOnes; i < nz.length; i++) {
    const v = nz[i]!;
    let levelCode = v > 0 ? 2 * v - 2 : -2 * v - 1;
    if (i === trailingOnes && trailingOnes < 3) levelCode -= 2;
    const max = 15 * 2 ** suffixLength + 4095 + (suffixLength === 0 ? 15 : 0);
    if (levelCode > max) return true;
    if (suffixLength === 0) suffixLength = 1;
    if (Math.abs(v) > 3 * 2 ** (suffixLength - 1) && suffixLength < 6) suffixLength++;
  }
  return false;
}

/** Writes `levels` (scan order) and checks the parser gets them back, with exactly the bits written. */
function roundTrip(levels: readonly number[], nC: number, start = 0): { bits: string; parsed: Parsed } {
  const maxNumCoeff = levels.length;
  const coeffs = new Int32Array(start + maxNumCoeff + 3).fill(77); // guard values around the block
  coeffs.set(levels, start);
  const w = new BitWriter(8);
  w.u(3, 0b101); // start mid-byte
  const ret = writeResidualBlock(w, coeffs, start, maxNumCoeff, nC);
  const totalCoeff = levels.filter((v) => v !== 0).length;
  expect(ret, `levels ${levels.join()} nC ${nC}`).toBe(totalCoeff);
  const bits = bitsOf(w).slice(3);
  const parsed = parseResidualBlock(bits, maxNumCoeff, nC);
  expect(parsed.coeffLevel, `levels ${levels.join()} nC ${nC}`).toEqual([...levels]);
  expect(parsed.totalCoeff).toBe(totalCoeff);
  expect(parsed.bitsRead).toBe(bits.length);
  expect(parsed.maxLevelPrefix).toBeLessThanOrEqual(15);
  const c = new BitCounter();
  expect(writeResidualBlock(c, coeffs, start, maxNumCoeff, nC)).toBe(totalCoeff);
  expect(c.bitLength).toBe(bits.length);
  return { bits, parsed };
}

const KINDS = [
  { name: 'Intra16x16DCLevel / LumaLevel4x4', maxNumCoeff: 16, nCs: Array.from({ length: 17 }, (_, k) => k) },
  { name: 'Intra16x16ACLevel / ChromaACLevel', maxNumCoeff: 15, nCs: Array.from({ length: 17 }, (_, k) => k) },
  { name: 'ChromaDCLevel (4:2:0)', maxNumCoeff: 4, nCs: [-1] },
] as const;

/** A random level with magnitudes from the common (+-1, +-2) to the escapes and the largest. */
function randomLevel(rnd: () => number, style: number): number {
  const sign = rnd() & 1 ? -1 : 1;
  let mag: number;
  switch (style) {
    case 0: mag = 1; break; // trailing ones
    case 1: mag = 1 + (rnd() % 2); break;
    case 2: mag = 1 + (rnd() % 8); break; // around 3 << (suffixLength - 1) for small suffixLength
    case 3: mag = 1 + (rnd() % 100); break; // suffixLength up to 6
    case 4: mag = 7 + (rnd() % 12); break; // level_prefix 14 at suffixLength 0 (levelCode 14..29)
    default: mag = 1 + (rnd() % 2600); break; // level_prefix 15 and beyond
  }
  return sign * mag;
}

/**
 * Levels (coding order, T1 = 0) after which suffixLength is sL: the first level 2 sets it to 1
 * (9.2.2.1), then 4, 7, 13, 25, 49 each exceed 3 << (suffixLength - 1) = 3, 6, 12, 24, 48.
 */
function raiseTo(sL: number): number[] {
  return [2, 4, 7, 13, 25, 49].slice(0, sL);
}

describe('writeResidualBlock round trip through a 9.2 parser', () => {
  for (const kind of KINDS) {
    it(`${kind.name} (maxNumCoeff ${kind.maxNumCoeff}), nC ${kind.nCs.join(', ')}: random sparse and dense blocks`, () => {
      const rnd = prng(600 + kind.maxNumCoeff);
      let written = 0, rejected = 0;
      for (const nC of kind.nCs) {
        for (let trial = 0; trial < 120; trial++) {
          const density = [0, 1, 2, 4, 8, 16][trial % 6]!;
          const style = (trial >> 2) % 6;
          const levels = Array.from({ length: kind.maxNumCoeff }, () => (rnd() % 16 < density ? randomLevel(rnd, style) : 0));
          if (needsLevelPrefixAbove15(levels)) {
            const coeffs = Int32Array.from(levels);
            expect(writeResidualBlock(new BitWriter(), coeffs, 0, kind.maxNumCoeff, nC), `levels ${levels.join()}`).toBe(-1);
            expect(writeResidualBlock(new BitCounter(), coeffs, 0, kind.maxNumCoeff, nC)).toBe(-1);
            rejected++;
          } else {
            roundTrip(levels, nC, trial % 3);
            written++;
          }
        }
      }
      expect(written).toBeGreaterThan(0);
      if (kind.maxNumCoeff > 4) expect(rejected).toBeGreaterThan(0);
    });
  }

  it('every TotalCoeff / TrailingOnes / total_zeros combination (positions enumerated)', () => {
    const rnd = prng(61);
    for (const kind of KINDS) {
      for (const nC of kind.nCs.filter((n) => n === -1 || n === 0 || n === 2 || n === 4 || n === 8)) {
        for (let totalCoeff = 0; totalCoeff <= kind.maxNumCoeff; totalCoeff++) {
          for (let totalZeros = 0; totalZeros <= kind.maxNumCoeff - totalCoeff; totalZeros++) {
            if (totalCoeff === 0 && totalZeros > 0) continue;
            for (let t1 = 0; t1 <= Math.min(3, totalCoeff); t1++) {
              // Highest coefficient at totalCoeff + totalZeros - 1; the zeros spread randomly below it.
              const positions = new Set<number>([totalCoeff + totalZeros - 1]);
              while (positions.size < totalCoeff) positions.add(rnd() % (totalCoeff + totalZeros - 1));
              const sorted = [...positions].sort((a, b) => b - a); // coding order
              const levels = new Array<number>(kind.maxNumCoeff).fill(0);
              sorted.forEach((pos, i) => {
                const sign = rnd() & 1 ? -1 : 1;
                levels[pos] = sign * (i < t1 ? 1 : i === t1 ? 2 + (rnd() % 3) : 1 + (rnd() % 5));
              });
              const { parsed } = roundTrip(levels, nC);
              expect(parsed.totalCoeff).toBe(totalCoeff);
            }
          }
        }
      }
    }
  });

  it('levels around the suffixLength thresholds 3 << (suffixLength - 1)', () => {
    // Coding order is from the highest frequency down; a descending ramp of magnitudes in coding
    // order walks suffixLength up through every threshold.
    for (let sL = 1; sL <= 6; sL++) {
      const threshold = 3 << (sL - 1);
      for (const around of [threshold - 1, threshold, threshold + 1, 2 * threshold]) {
        for (const sign of [1, -1]) {
          const codingOrder = [...raiseTo(sL), sign * around, sign * around, 2, -3, 1];
          const levels = [...codingOrder].reverse();
          while (levels.length < 16) levels.push(0);
          roundTrip(levels, 0);
          roundTrip(levels.slice(0, 15), 3);
        }
      }
    }
  });

  it('level_prefix 14 (levelSuffixSize 4) and 15 (levelSuffixSize 12) escapes at suffixLength 0 and above', () => {
    // suffixLength 0: levelCode 13 -> prefix 13; 14..29 -> prefix 14; 30 and up -> prefix 15.
    // The first level after fewer than 3 trailing ones has levelCode reduced by 2, so both cases.
    for (const first of [7, 8, 9, 15, 16, 17, -7, -8, -15, -16, -17, 100, -100, 2063, -2063, 2064, -2064]) {
      for (const rest of [[], [1, -1, 1]]) { // T1 = 0: levelCode - 2; T1 = 3: no adjustment
        const levels = [first, ...rest];
        while (levels.length < 16) levels.push(0);
        if (needsLevelPrefixAbove15(levels)) {
          expect(Math.abs(first)).toBe(2064); // only 2064 after three trailing ones is out of reach
          expect(writeResidualBlock(new BitWriter(), Int32Array.from(levels), 0, 16, 0)).toBe(-1);
        } else {
          roundTrip(levels, 0);
        }
      }
    }
    // suffixLength 1..6: prefix 15 starts at levelCode 15 << suffixLength.
    for (let sL = 1; sL <= 6; sL++) {
      const boundary = ((15 << sL) >> 1) + 1; // smallest positive level with levelCode >= 15 << sL
      for (const v of [boundary - 1, boundary, boundary + 1, -(boundary - 1), -boundary]) {
        const codingOrder = [...raiseTo(sL), v, 2];
        const levels = [...codingOrder].reverse();
        while (levels.length < 16) levels.push(0);
        const { parsed } = roundTrip(levels, 0);
        expect(parsed.maxLevelPrefix).toBeGreaterThanOrEqual(14);
      }
    }
  });

  it('the largest representable levels are written; one more returns -1 (level_prefix > 15, 7.4.5.3.2)', () => {
    // With level_prefix 15 the largest levelCode is (15 << suffixLength) + 4095 (+ 15 when
    // suffixLength is 0), so |level| <= 2064 for the first level after fewer than 3 trailing ones
    // (levelCode - 2), 2063 otherwise at suffixLength 0 and 1, 2078 at 2, 2108 at 3, 2528 at 6.
    const cases: { codingOrder: number[]; largest: number }[] = [
      { codingOrder: [], largest: 2064 },
      { codingOrder: [1, 1, 1], largest: 2063 },
      { codingOrder: raiseTo(1), largest: 2063 },
      { codingOrder: raiseTo(2), largest: 2078 },
      { codingOrder: raiseTo(3), largest: 2108 },
      { codingOrder: raiseTo(6), largest: 2528 },
    ];
    for (const { codingOrder, largest } of cases) {
      for (const sign of [1, -1]) {
        const block = (v: number): number[] => {
          const levels = [...codingOrder, v].reverse();
          while (levels.length < 16) levels.push(0);
          return levels;
        };
        const fits = block(sign * largest), over = block(sign * (largest + 1));
        expect(needsLevelPrefixAbove15(fits)).toBe(false);
        expect(needsLevelPrefixAbove15(over)).toBe(true);
        const { parsed } = roundTrip(fits, 0);
        expect(parsed.maxLevelPrefix).toBe(15);
        expect(writeResidualBlock(new BitWriter(), Int32Array.from(over), 0, 16, 0), `${over.join()}`).toBe(-1);
        expect(writeResidualBlock(new BitCounter(), Int32Array.from(over), 0, 16, 0)).toBe(-1);
      }
    }
  });

  it('chroma DC blocks: every pattern of zeros and levels of +-1, +-2, +-3', () => {
    const values = [0, 1, -1, 2, -2, 3, -3];
    for (let k = 0; k < values.length ** 4; k++) {
      const levels = [0, 1, 2, 3].map((i) => values[Math.floor(k / values.length ** i) % values.length]!);
      roundTrip(levels, -1);
    }
  });
});

describe('writeResidualBlock bits', () => {
  it('reproduces the classic worked example (nC 0, TotalCoeff 5, TrailingOnes 3, total_zeros 3)', () => {
    // Block 0 3 -1 0 / 0 -1 1 0 / 1 0 0 0 / 0 0 0 0 in zig-zag order: 0 3 0 1 -1 -1 0 1 0 ...
    // coeff_token 0000100, signs 0 1 1, level +1 '1', level +3 '0010' (suffixLength 1),
    // total_zeros 3 '111', run_before 1 '10', 0 '1', 0 '1', 1 '01'.
    const levels = [0, 3, 0, 1, -1, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const { bits } = roundTrip(levels, 0);
    expect(bits).toBe('0000100' + '011' + '1' + '0010' + '111' + '10' + '1' + '1' + '01');
  });

  it('an empty block is coeff_token TotalCoeff 0 alone (Table 9-5: 1, 11, 1111, 0000 11, 01)', () => {
    const expected: [number, string][] = [[0, '1'], [1, '1'], [2, '11'], [3, '11'], [4, '1111'], [7, '1111'], [8, '000011'], [16, '000011'], [-1, '01']];
    for (const [nC, code] of expected) {
      const maxNumCoeff = nC === -1 ? 4 : 16;
      const w = new BitWriter();
      expect(writeResidualBlock(w, new Int32Array(16), 0, maxNumCoeff, nC)).toBe(0);
      expect(bitsOf(w)).toBe(code);
    }
  });

  it('reads only coeffs[start .. start + maxNumCoeff - 1]', () => {
    const coeffs = new Int32Array(40).fill(9);
    coeffs.fill(0, 17, 32); // AC block at 17..31 (maxNumCoeff 15), empty; neighbours non-zero
    expect(writeResidualBlock(new BitWriter(), coeffs, 17, 15, 0)).toBe(0);
  });
});
