import { describe, it, expect } from 'vitest';
import {
  COEFF_TOKEN_CHROMA_DC, COEFF_TOKEN_CODE, COEFF_TOKEN_LEN, coeffTokenTableIndex,
  RUN_BEFORE_CODE, RUN_BEFORE_LEN, TOTAL_ZEROS_CHROMA_DC_CODE, TOTAL_ZEROS_CHROMA_DC_LEN,
  TOTAL_ZEROS_CODE, TOTAL_ZEROS_LEN,
} from '../../encoder/common/cavlc-tables.js';
import {
  CBP_INTER_TO_CODE_NUM, CBP_INTRA_TO_CODE_NUM, CODE_NUM_TO_CBP_INTER, CODE_NUM_TO_CBP_INTRA,
} from '../../encoder/common/cbp-tables.js';
import { ALPHA, BETA, TC0 } from '../../encoder/common/deblock-tables.js';
import { chooseLevel, LEVEL_LIMITS } from '../../encoder/common/levels.js';

// The transcriptions below are the spec's tables as text, kept separate from the encoder's typed arrays
// (which were entered as numbers from a different transcription) so that one checks the other.

/** The table's bit string for a (code, len) pair, MSB first. */
function bitString(code: number, len: number): string {
  return code.toString(2).padStart(len, '0');
}

/** The spec writes codes in groups of four bits: '0000 0000 0000 1111'. */
function unspace(s: string): string {
  return s.replace(/ /g, '');
}

/** True if no code is a prefix of another (and none repeats). */
function isPrefixFree(codes: readonly string[]): boolean {
  const sorted = [...codes].sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.startsWith(sorted[i - 1]!)) return false;
  return true;
}

/** Kraft sum, sum of 2^-len; a prefix code has sum <= 1. */
function kraft(lens: readonly number[]): number {
  return lens.reduce((sum, len) => sum + 2 ** -len, 0);
}

function expectValidVlc(codes: readonly string[]): void {
  expect(codes.length).toBeGreaterThan(0);
  expect(isPrefixFree(codes)).toBe(true);
  expect(kraft(codes.map((c) => c.length))).toBeLessThanOrEqual(1);
}

/**
 * Table 9-5 (coeff_token), rows in the spec's order:
 * [TrailingOnes, TotalCoeff, 0 <= nC < 2, 2 <= nC < 4, 4 <= nC < 8, 8 <= nC, nC == -1].
 * '-' marks an entry the column does not have. The nC == -2 (4:2:2) column is not used.
 */
const TABLE_9_5: readonly (readonly [number, number, string, string, string, string, string])[] = [
  [0, 0, '1', '11', '1111', '0000 11', '01'],
  [0, 1, '0001 01', '0010 11', '0011 11', '0000 00', '0001 11'],
  [1, 1, '01', '10', '1110', '0000 01', '1'],
  [0, 2, '0000 0111', '0001 11', '0010 11', '0001 00', '0001 00'],
  [1, 2, '0001 00', '0011 1', '0111 1', '0001 01', '0001 10'],
  [2, 2, '001', '011', '1101', '0001 10', '001'],
  [0, 3, '0000 0011 1', '0000 111', '0010 00', '0010 00', '0000 11'],
  [1, 3, '0000 0110', '0010 10', '0110 0', '0010 01', '0000 011'],
  [2, 3, '0000 101', '0010 01', '0111 0', '0010 10', '0000 010'],
  [3, 3, '0001 1', '0101', '1100', '0010 11', '0001 01'],
  [0, 4, '0000 0001 11', '0000 0111', '0001 111', '0011 00', '0000 10'],
  [1, 4, '0000 0011 0', '0001 10', '0101 0', '0011 01', '0000 0011'],
  [2, 4, '0000 0101', '0001 01', '0101 1', '0011 10', '0000 0010'],
  [3, 4, '0000 11', '0100', '1011', '0011 11', '0000 000'],
  [0, 5, '0000 0000 111', '0000 0100', '0001 011', '0100 00', '-'],
  [1, 5, '0000 0001 10', '0000 110', '0100 0', '0100 01', '-'],
  [2, 5, '0000 0010 1', '0000 101', '0100 1', '0100 10', '-'],
  [3, 5, '0000 100', '0011 0', '1010', '0100 11', '-'],
  [0, 6, '0000 0000 0111 1', '0000 0011 1', '0001 001', '0101 00', '-'],
  [1, 6, '0000 0000 110', '0000 0110', '0011 10', '0101 01', '-'],
  [2, 6, '0000 0001 01', '0000 0101', '0011 01', '0101 10', '-'],
  [3, 6, '0000 0100', '0010 00', '1001', '0101 11', '-'],
  [0, 7, '0000 0000 0101 1', '0000 0001 111', '0001 000', '0110 00', '-'],
  [1, 7, '0000 0000 0111 0', '0000 0011 0', '0010 10', '0110 01', '-'],
  [2, 7, '0000 0000 101', '0000 0010 1', '0010 01', '0110 10', '-'],
  [3, 7, '0000 0010 0', '0001 00', '1000', '0110 11', '-'],
  [0, 8, '0000 0000 0100 0', '0000 0001 011', '0000 1111', '0111 00', '-'],
  [1, 8, '0000 0000 0101 0', '0000 0001 110', '0001 110', '0111 01', '-'],
  [2, 8, '0000 0000 0110 1', '0000 0001 101', '0001 101', '0111 10', '-'],
  [3, 8, '0000 0001 00', '0000 100', '0110 1', '0111 11', '-'],
  [0, 9, '0000 0000 0011 11', '0000 0000 1111', '0000 1011', '1000 00', '-'],
  [1, 9, '0000 0000 0011 10', '0000 0001 010', '0000 1110', '1000 01', '-'],
  [2, 9, '0000 0000 0100 1', '0000 0001 001', '0001 010', '1000 10', '-'],
  [3, 9, '0000 0000 100', '0000 0010 0', '0011 00', '1000 11', '-'],
  [0, 10, '0000 0000 0010 11', '0000 0000 1011', '0000 0111 1', '1001 00', '-'],
  [1, 10, '0000 0000 0010 10', '0000 0000 1110', '0000 1010', '1001 01', '-'],
  [2, 10, '0000 0000 0011 01', '0000 0000 1101', '0000 1101', '1001 10', '-'],
  [3, 10, '0000 0000 0110 0', '0000 0001 100', '0001 100', '1001 11', '-'],
  [0, 11, '0000 0000 0001 111', '0000 0000 1000', '0000 0101 1', '1010 00', '-'],
  [1, 11, '0000 0000 0001 110', '0000 0000 1010', '0000 0111 0', '1010 01', '-'],
  [2, 11, '0000 0000 0010 01', '0000 0000 1001', '0000 1001', '1010 10', '-'],
  [3, 11, '0000 0000 0011 00', '0000 0001 000', '0000 1100', '1010 11', '-'],
  [0, 12, '0000 0000 0001 011', '0000 0000 0111 1', '0000 0100 0', '1011 00', '-'],
  [1, 12, '0000 0000 0001 010', '0000 0000 0111 0', '0000 0101 0', '1011 01', '-'],
  [2, 12, '0000 0000 0001 101', '0000 0000 0110 1', '0000 0110 1', '1011 10', '-'],
  [3, 12, '0000 0000 0010 00', '0000 0000 1100', '0000 1000', '1011 11', '-'],
  [0, 13, '0000 0000 0000 1111', '0000 0000 0101 1', '0000 0011 01', '1100 00', '-'],
  [1, 13, '0000 0000 0000 001', '0000 0000 0101 0', '0000 0011 1', '1100 01', '-'],
  [2, 13, '0000 0000 0001 001', '0000 0000 0100 1', '0000 0100 1', '1100 10', '-'],
  [3, 13, '0000 0000 0001 100', '0000 0000 0110 0', '0000 0110 0', '1100 11', '-'],
  [0, 14, '0000 0000 0000 1011', '0000 0000 0011 1', '0000 0010 01', '1101 00', '-'],
  [1, 14, '0000 0000 0000 1110', '0000 0000 0010 11', '0000 0011 00', '1101 01', '-'],
  [2, 14, '0000 0000 0000 1101', '0000 0000 0011 0', '0000 0010 11', '1101 10', '-'],
  [3, 14, '0000 0000 0001 000', '0000 0000 0100 0', '0000 0010 10', '1101 11', '-'],
  [0, 15, '0000 0000 0000 0111', '0000 0000 0010 01', '0000 0001 01', '1110 00', '-'],
  [1, 15, '0000 0000 0000 1010', '0000 0000 0010 00', '0000 0010 00', '1110 01', '-'],
  [2, 15, '0000 0000 0000 1001', '0000 0000 0010 10', '0000 0001 11', '1110 10', '-'],
  [3, 15, '0000 0000 0000 1100', '0000 0000 0000 1', '0000 0001 10', '1110 11', '-'],
  [0, 16, '0000 0000 0000 0100', '0000 0000 0001 11', '0000 0000 01', '1111 00', '-'],
  [1, 16, '0000 0000 0000 0110', '0000 0000 0001 10', '0000 0001 00', '1111 01', '-'],
  [2, 16, '0000 0000 0000 0101', '0000 0000 0001 01', '0000 0000 11', '1111 10', '-'],
  [3, 16, '0000 0000 0000 1000', '0000 0000 0001 00', '0000 0000 10', '1111 11', '-'],
];

interface CoeffToken { totalCoeff: number; trailingOnes: number }

/** A coeff_token decoder for column t of Table 9-5, driven only by the text transcription. */
class CoeffTokenDecoder {
  private readonly byCode = new Map<string, CoeffToken>();
  private readonly maxLen: number;

  constructor(t: number) {
    for (const [trailingOnes, totalCoeff, ...columns] of TABLE_9_5) {
      const text = columns[t]!;
      if (text === '-') continue;
      const code = unspace(text);
      if (this.byCode.has(code)) throw new Error(`duplicate code ${code} in column ${t}`);
      this.byCode.set(code, { trailingOnes, totalCoeff });
    }
    this.maxLen = Math.max(...[...this.byCode.keys()].map((c) => c.length));
  }

  get codes(): string[] {
    return [...this.byCode.keys()];
  }

  /** Reads one coeff_token from bits at pos, one bit at a time, as a decoder does (9.2.1). */
  decode(bits: string, pos: number): { token: CoeffToken; next: number } {
    let prefix = '';
    for (let i = pos; i < bits.length && prefix.length < this.maxLen; i++) {
      prefix += bits[i];
      const token = this.byCode.get(prefix);
      if (token) return { token, next: i + 1 };
    }
    throw new Error(`no coeff_token at bit ${pos}`);
  }
}

function coeffTokenBits(t: number, totalCoeff: number, trailingOnes: number): string | undefined {
  const i = (t * 17 + totalCoeff) * 4 + trailingOnes;
  const len = COEFF_TOKEN_LEN[i]!;
  return len === 0 ? undefined : bitString(COEFF_TOKEN_CODE[i]!, len);
}

describe('coeff_token (Table 9-5)', () => {
  it('has the flat layout (t * 17 + totalCoeff) * 4 + trailingOnes for five columns', () => {
    expect(COEFF_TOKEN_CODE).toBeInstanceOf(Uint16Array);
    expect(COEFF_TOKEN_LEN).toBeInstanceOf(Uint8Array);
    expect(COEFF_TOKEN_CODE.length).toBe(5 * 17 * 4);
    expect(COEFF_TOKEN_LEN.length).toBe(5 * 17 * 4);
    expect(COEFF_TOKEN_CHROMA_DC).toBe(4);
  });

  it('maps nC to the table column (9.2.1)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16].map(coeffTokenTableIndex)).toEqual([0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    expect(coeffTokenTableIndex(-1)).toBe(4);
    expect(() => coeffTokenTableIndex(-2)).toThrow(RangeError);
  });

  it('has LEN 0 exactly where the combination does not exist', () => {
    for (let t = 0; t < 5; t++) {
      for (let totalCoeff = 0; totalCoeff <= 16; totalCoeff++) {
        for (let trailingOnes = 0; trailingOnes < 4; trailingOnes++) {
          const exists = trailingOnes <= totalCoeff && (t !== 4 || totalCoeff <= 4);
          expect(COEFF_TOKEN_LEN[(t * 17 + totalCoeff) * 4 + trailingOnes]! > 0, `t ${t} tc ${totalCoeff} t1 ${trailingOnes}`).toBe(exists);
        }
      }
    }
  });

  for (let t = 0; t < 5; t++) {
    it(`column ${t}: prefix-free, Kraft, and every code round-trips through the text-driven decoder`, () => {
      const decoder = new CoeffTokenDecoder(t);
      expectValidVlc(decoder.codes);
      const ours: string[] = [];
      let stream = '';
      const expected: CoeffToken[] = [];
      for (let totalCoeff = 0; totalCoeff <= 16; totalCoeff++) {
        for (let trailingOnes = 0; trailingOnes < 4; trailingOnes++) {
          const bits = coeffTokenBits(t, totalCoeff, trailingOnes);
          if (bits === undefined) continue;
          ours.push(bits);
          expect(decoder.decode(bits, 0), `t ${t} tc ${totalCoeff} t1 ${trailingOnes}`)
            .toEqual({ token: { totalCoeff, trailingOnes }, next: bits.length });
          stream += bits;
          expected.push({ totalCoeff, trailingOnes });
        }
      }
      // Same set of codes both ways, and a concatenation of all of them decodes back in order.
      expect(ours.sort()).toEqual(decoder.codes.sort());
      const decoded: CoeffToken[] = [];
      for (let pos = 0; pos < stream.length;) {
        const { token, next } = decoder.decode(stream, pos);
        decoded.push(token);
        pos = next;
      }
      expect(decoded).toEqual(expected);
      expectValidVlc(ours);
    });
  }

  it('matches hand-picked rows of Table 9-5', () => {
    // [TrailingOnes, TotalCoeff, column t, spec text]
    const rows: [number, number, number, string][] = [
      [0, 0, 0, '1'], // TrailingOnes 0, TotalCoeff 0, 0 <= nC < 2
      [0, 1, 0, '0001 01'], // 0, 1, 0 <= nC < 2: code 5, length 6
      [1, 13, 0, '0000 0000 0000 001'], // 1, 13, 0 <= nC < 2
      [3, 16, 0, '0000 0000 0000 1000'], // 3, 16, 0 <= nC < 2
      [0, 0, 1, '11'], // 0, 0, 2 <= nC < 4
      [3, 15, 1, '0000 0000 0000 1'], // 3, 15, 2 <= nC < 4
      [1, 14, 1, '0000 0000 0010 11'], // 1, 14, 2 <= nC < 4
      [0, 0, 2, '1111'], // 0, 0, 4 <= nC < 8
      [0, 16, 2, '0000 0000 01'], // 0, 16, 4 <= nC < 8
      [3, 8, 2, '0110 1'], // 3, 8, 4 <= nC < 8
      [0, 0, 3, '0000 11'], // 0, 0, 8 <= nC
      [0, 1, 3, '0000 00'], // 0, 1, 8 <= nC
      [2, 9, 3, '1000 10'], // 2, 9, 8 <= nC
      [3, 16, 3, '1111 11'], // 3, 16, 8 <= nC
      [0, 0, 4, '01'], // 0, 0, nC == -1
      [1, 1, 4, '1'], // 1, 1, nC == -1
      [3, 4, 4, '0000 000'], // 3, 4, nC == -1
      [1, 4, 4, '0000 0011'], // 1, 4, nC == -1
    ];
    for (const [trailingOnes, totalCoeff, t, text] of rows) {
      expect(coeffTokenBits(t, totalCoeff, trailingOnes), `${trailingOnes} ${totalCoeff} t${t}`).toBe(unspace(text));
    }
    expect(COEFF_TOKEN_CODE[(0 * 17 + 1) * 4 + 0]).toBe(5);
    expect(COEFF_TOKEN_LEN[(0 * 17 + 1) * 4 + 0]).toBe(6);
  });
});

/**
 * Tables 9-7 and 9-8: total_zeros for 4x4 blocks, one row per tzVlcIndex (= TotalCoeff 1..15),
 * entries for total_zeros 0, 1, 2, ...
 */
const TABLE_9_7_9_8: readonly (readonly string[])[] = [
  /*  1 */ ['1', '011', '010', '0011', '0010', '0001 1', '0001 0', '0000 11', '0000 10', '0000 011', '0000 010', '0000 0011', '0000 0010', '0000 0001 1', '0000 0001 0', '0000 0000 1'],
  /*  2 */ ['111', '110', '101', '100', '011', '0101', '0100', '0011', '0010', '0001 1', '0001 0', '0000 11', '0000 10', '0000 01', '0000 00'],
  /*  3 */ ['0101', '111', '110', '101', '0100', '0011', '100', '011', '0010', '0001 1', '0001 0', '0000 01', '0000 1', '0000 00'],
  /*  4 */ ['0001 1', '111', '0101', '0100', '110', '101', '100', '0011', '011', '0010', '0001 0', '0000 1', '0000 0'],
  /*  5 */ ['0101', '0100', '0011', '111', '110', '101', '100', '011', '0010', '0000 1', '0001', '0000 0'],
  /*  6 */ ['0000 01', '0000 1', '111', '110', '101', '100', '011', '010', '0001', '001', '0000 00'],
  /*  7 */ ['0000 01', '0000 1', '101', '100', '011', '11', '010', '0001', '001', '0000 00'],
  /*  8 */ ['0000 01', '0001', '0000 1', '011', '11', '10', '010', '001', '0000 00'],
  /*  9 */ ['0000 01', '0000 00', '0001', '11', '10', '001', '01', '0000 1'],
  /* 10 */ ['0000 1', '0000 0', '001', '11', '10', '01', '0001'],
  /* 11 */ ['0000', '0001', '001', '010', '1', '011'],
  /* 12 */ ['0000', '0001', '01', '1', '001'],
  /* 13 */ ['000', '001', '1', '01'],
  /* 14 */ ['00', '01', '1'],
  /* 15 */ ['0', '1'],
];

/** Table 9-9 (a): total_zeros for chroma DC 2x2, rows TotalCoeff 1..3. */
const TABLE_9_9A: readonly (readonly string[])[] = [
  /* 1 */ ['1', '01', '001', '000'],
  /* 2 */ ['1', '01', '00'],
  /* 3 */ ['1', '0'],
];

/** Table 9-10: run_before, rows zerosLeft 1..6 and > 6, entries run_before 0, 1, ... */
const TABLE_9_10: readonly (readonly string[])[] = [
  /*  1 */ ['1', '0'],
  /*  2 */ ['1', '01', '00'],
  /*  3 */ ['11', '10', '01', '00'],
  /*  4 */ ['11', '10', '01', '001', '000'],
  /*  5 */ ['11', '10', '011', '010', '001', '000'],
  /*  6 */ ['11', '000', '001', '011', '010', '101', '100'],
  /* >6 */ ['111', '110', '101', '100', '011', '010', '001', '0001', '0000 1', '0000 01', '0000 001', '0000 0001', '0000 0000 1', '0000 0000 01', '0000 0000 001'],
];

/** Row `row` of a flat (code, len) table with the given stride, up to the first LEN 0. */
function rowBits(code: Uint16Array, len: Uint8Array, row: number, stride: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < stride && len[row * stride + k]! > 0; k++) out.push(bitString(code[row * stride + k]!, len[row * stride + k]!));
  return out;
}

describe('total_zeros (Tables 9-7, 9-8, 9-9 (a))', () => {
  it('4x4 blocks: every row equals the transcription, is prefix-free and satisfies Kraft', () => {
    expect(TOTAL_ZEROS_CODE.length).toBe(256);
    expect(TOTAL_ZEROS_LEN.length).toBe(256);
    for (let k = 0; k < 16; k++) expect(TOTAL_ZEROS_LEN[k]).toBe(0); // TotalCoeff 0 has no total_zeros
    for (let totalCoeff = 1; totalCoeff <= 15; totalCoeff++) {
      const row = rowBits(TOTAL_ZEROS_CODE, TOTAL_ZEROS_LEN, totalCoeff, 16);
      expect(row, `tzVlcIndex ${totalCoeff}`).toEqual(TABLE_9_7_9_8[totalCoeff - 1]!.map(unspace));
      expect(row.length).toBe(17 - totalCoeff);
      for (let z = 17 - totalCoeff; z < 16; z++) expect(TOTAL_ZEROS_LEN[totalCoeff * 16 + z]).toBe(0);
      expectValidVlc(row);
    }
  });

  it('4x4 blocks: hand-picked entries', () => {
    const at = (tc: number, tz: number): string => bitString(TOTAL_ZEROS_CODE[tc * 16 + tz]!, TOTAL_ZEROS_LEN[tc * 16 + tz]!);
    expect(at(1, 0)).toBe('1'); // Table 9-7, total_zeros 0, tzVlcIndex 1
    expect(at(1, 15)).toBe('000000001'); // Table 9-7, total_zeros 15, tzVlcIndex 1
    expect(at(2, 14)).toBe('000000'); // Table 9-7, total_zeros 14, tzVlcIndex 2
    expect(at(3, 12)).toBe('00001'); // Table 9-7, total_zeros 12, tzVlcIndex 3
    expect(at(7, 5)).toBe('11'); // Table 9-7, total_zeros 5, tzVlcIndex 7
    expect(at(8, 2)).toBe('00001'); // Table 9-8, total_zeros 2, tzVlcIndex 8
    expect(at(11, 4)).toBe('1'); // Table 9-8, total_zeros 4, tzVlcIndex 11
    expect(at(15, 1)).toBe('1'); // Table 9-8, total_zeros 1, tzVlcIndex 15
  });

  it('chroma DC 4:2:0: rows equal Table 9-9 (a), prefix-free, Kraft', () => {
    expect(TOTAL_ZEROS_CHROMA_DC_CODE.length).toBe(16);
    expect(TOTAL_ZEROS_CHROMA_DC_LEN.length).toBe(16);
    for (let totalCoeff = 1; totalCoeff <= 3; totalCoeff++) {
      const row = rowBits(TOTAL_ZEROS_CHROMA_DC_CODE, TOTAL_ZEROS_CHROMA_DC_LEN, totalCoeff, 4);
      expect(row, `tzVlcIndex ${totalCoeff}`).toEqual(TABLE_9_9A[totalCoeff - 1]);
      expect(row.length).toBe(5 - totalCoeff);
      expectValidVlc(row);
    }
    for (const i of [0, 1, 2, 3, 4 * 2 + 3, 4 * 3 + 2, 4 * 3 + 3]) expect(TOTAL_ZEROS_CHROMA_DC_LEN[i], `index ${i}`).toBe(0);
    expect(TOTAL_ZEROS_CHROMA_DC_CODE[1 * 4 + 3]).toBe(0); // total_zeros 3, tzVlcIndex 1: '000'
    expect(TOTAL_ZEROS_CHROMA_DC_LEN[1 * 4 + 3]).toBe(3);
  });
});

describe('run_before (Table 9-10)', () => {
  it('every row equals the transcription, is prefix-free and satisfies Kraft', () => {
    expect(RUN_BEFORE_CODE.length).toBe(128);
    expect(RUN_BEFORE_LEN.length).toBe(128);
    for (let k = 0; k < 16; k++) expect(RUN_BEFORE_LEN[k]).toBe(0); // zerosLeft 0: run_before is not coded
    for (let zerosLeft = 1; zerosLeft <= 7; zerosLeft++) {
      const row = rowBits(RUN_BEFORE_CODE, RUN_BEFORE_LEN, zerosLeft, 16);
      expect(row, `zerosLeft ${zerosLeft}`).toEqual(TABLE_9_10[zerosLeft - 1]!.map(unspace));
      expect(row.length).toBe(zerosLeft < 7 ? zerosLeft + 1 : 15);
      expectValidVlc(row);
    }
  });

  it('hand-picked entries', () => {
    const at = (zl: number, run: number): string => bitString(RUN_BEFORE_CODE[zl * 16 + run]!, RUN_BEFORE_LEN[zl * 16 + run]!);
    expect(at(1, 0)).toBe('1'); // run_before 0, zerosLeft 1
    expect(at(2, 2)).toBe('00'); // run_before 2, zerosLeft 2
    expect(at(6, 1)).toBe('000'); // run_before 1, zerosLeft 6
    expect(at(6, 5)).toBe('101'); // run_before 5, zerosLeft 6
    expect(at(7, 6)).toBe('001'); // run_before 6, zerosLeft > 6
    expect(at(7, 7)).toBe('0001'); // run_before 7, zerosLeft > 6
    expect(at(7, 14)).toBe('00000000001'); // run_before 14, zerosLeft > 6
    expect(RUN_BEFORE_LEN[7 * 16 + 15]).toBe(0);
  });
});

/** Table 9-4 rows for ChromaArrayType 1 or 2: [codeNum, Intra_4x4 / Intra_8x8, Inter]. */
const TABLE_9_4: readonly (readonly [number, number, number])[] = [
  [0, 47, 0], [1, 31, 16], [2, 15, 1], [3, 0, 2], [4, 23, 4], [5, 27, 8], [6, 29, 32], [7, 30, 3],
  [8, 7, 5], [9, 11, 10], [10, 13, 12], [11, 14, 15], [12, 39, 47], [13, 43, 7], [14, 45, 11], [15, 46, 13],
  [16, 16, 14], [17, 3, 6], [18, 5, 9], [19, 10, 31], [20, 12, 35], [21, 19, 37], [22, 21, 42], [23, 26, 44],
  [24, 28, 33], [25, 35, 34], [26, 37, 36], [27, 42, 40], [28, 44, 39], [29, 1, 43], [30, 2, 45], [31, 4, 46],
  [32, 8, 17], [33, 17, 18], [34, 18, 20], [35, 20, 24], [36, 24, 19], [37, 6, 21], [38, 9, 26], [39, 22, 28],
  [40, 25, 23], [41, 32, 27], [42, 33, 29], [43, 34, 30], [44, 36, 22], [45, 40, 25], [46, 38, 38], [47, 41, 41],
];

describe('coded_block_pattern mapping (Table 9-4)', () => {
  const isPermutation = (a: Uint8Array): boolean => a.length === 48 && [...a].sort((x, y) => x - y).every((v, i) => v === i);

  it('each map is a permutation of 0..47 and the inverse of its partner', () => {
    for (const map of [CBP_INTRA_TO_CODE_NUM, CBP_INTER_TO_CODE_NUM, CODE_NUM_TO_CBP_INTRA, CODE_NUM_TO_CBP_INTER]) {
      expect(map).toBeInstanceOf(Uint8Array);
      expect(isPermutation(map)).toBe(true);
    }
    for (let v = 0; v < 48; v++) {
      expect(CODE_NUM_TO_CBP_INTRA[CBP_INTRA_TO_CODE_NUM[v]!]).toBe(v);
      expect(CODE_NUM_TO_CBP_INTER[CBP_INTER_TO_CODE_NUM[v]!]).toBe(v);
      expect(CBP_INTRA_TO_CODE_NUM[CODE_NUM_TO_CBP_INTRA[v]!]).toBe(v);
      expect(CBP_INTER_TO_CODE_NUM[CODE_NUM_TO_CBP_INTER[v]!]).toBe(v);
    }
  });

  it('every row equals the transcription of Table 9-4', () => {
    for (const [codeNum, intra, inter] of TABLE_9_4) {
      expect(CODE_NUM_TO_CBP_INTRA[codeNum], `codeNum ${codeNum} intra`).toBe(intra);
      expect(CODE_NUM_TO_CBP_INTER[codeNum], `codeNum ${codeNum} inter`).toBe(inter);
      expect(CBP_INTRA_TO_CODE_NUM[intra]).toBe(codeNum);
      expect(CBP_INTER_TO_CODE_NUM[inter]).toBe(codeNum);
    }
  });

  it('hand-picked rows', () => {
    expect(CBP_INTRA_TO_CODE_NUM[47]).toBe(0); // codeNum 0: Intra 47, Inter 0
    expect(CBP_INTER_TO_CODE_NUM[0]).toBe(0);
    expect(CBP_INTRA_TO_CODE_NUM[0]).toBe(3); // codeNum 3: Intra 0, Inter 2
    expect(CBP_INTER_TO_CODE_NUM[16]).toBe(1); // codeNum 1: Intra 31, Inter 16
    expect(CBP_INTER_TO_CODE_NUM[47]).toBe(12); // codeNum 12: Intra 39, Inter 47
    expect(CBP_INTRA_TO_CODE_NUM[41]).toBe(47); // codeNum 47: Intra 41, Inter 41
    expect(CBP_INTER_TO_CODE_NUM[41]).toBe(47);
  });
});

/** Tables 8-16 and 8-17, indexA/indexB 16..51: [index, alpha', beta', tC0' for bS 1, 2, 3]. */
const TABLE_8_16_8_17: readonly (readonly [number, number, number, number, number, number])[] = [
  [16, 4, 2, 0, 0, 0], [17, 4, 2, 0, 0, 1], [18, 5, 2, 0, 0, 1], [19, 6, 3, 0, 0, 1],
  [20, 7, 3, 0, 0, 1], [21, 8, 3, 0, 1, 1], [22, 9, 3, 0, 1, 1], [23, 10, 4, 1, 1, 1],
  [24, 12, 4, 1, 1, 1], [25, 13, 4, 1, 1, 1], [26, 15, 6, 1, 1, 1], [27, 17, 6, 1, 1, 2],
  [28, 20, 7, 1, 1, 2], [29, 22, 7, 1, 1, 2], [30, 25, 8, 1, 1, 2], [31, 28, 8, 1, 2, 3],
  [32, 32, 9, 1, 2, 3], [33, 36, 9, 2, 2, 3], [34, 40, 10, 2, 2, 4], [35, 45, 10, 2, 3, 4],
  [36, 50, 11, 2, 3, 4], [37, 56, 11, 3, 3, 5], [38, 63, 12, 3, 4, 6], [39, 71, 12, 3, 4, 6],
  [40, 80, 13, 4, 5, 7], [41, 90, 13, 4, 5, 8], [42, 101, 14, 4, 6, 9], [43, 113, 14, 5, 7, 10],
  [44, 127, 15, 6, 8, 11], [45, 144, 15, 6, 8, 13], [46, 162, 16, 7, 10, 14], [47, 182, 16, 8, 11, 16],
  [48, 203, 17, 9, 12, 18], [49, 226, 17, 10, 13, 20], [50, 255, 18, 11, 15, 23], [51, 255, 18, 13, 17, 25],
];

describe('deblocking thresholds (Tables 8-16, 8-17)', () => {
  it('has 52 entries per column, zero below index 16', () => {
    expect(ALPHA).toBeInstanceOf(Uint8Array);
    expect(ALPHA.length).toBe(52);
    expect(BETA.length).toBe(52);
    expect(TC0.length).toBe(52 * 3);
    for (let i = 0; i < 16; i++) {
      expect(ALPHA[i]).toBe(0);
      expect(BETA[i]).toBe(0);
      expect([TC0[i * 3], TC0[i * 3 + 1], TC0[i * 3 + 2]]).toEqual([0, 0, 0]);
    }
  });

  it('every row 16..51 equals the transcription', () => {
    for (const [index, alpha, beta, tc1, tc2, tc3] of TABLE_8_16_8_17) {
      expect([ALPHA[index], BETA[index], TC0[index * 3], TC0[index * 3 + 1], TC0[index * 3 + 2]], `index ${index}`)
        .toEqual([alpha, beta, tc1, tc2, tc3]);
    }
  });

  it('hand-picked rows', () => {
    expect(ALPHA[16]).toBe(4); // Table 8-16, indexA 16
    expect(ALPHA[15]).toBe(0);
    expect(ALPHA[51]).toBe(255); // Table 8-16, indexA 51
    expect(BETA[51]).toBe(18); // Table 8-16, indexB 51
    expect(BETA[26]).toBe(6); // Table 8-16, indexB 26
    expect([TC0[51 * 3], TC0[51 * 3 + 1], TC0[51 * 3 + 2]]).toEqual([13, 17, 25]); // Table 8-17, indexA 51
    expect([TC0[17 * 3], TC0[17 * 3 + 1], TC0[17 * 3 + 2]]).toEqual([0, 0, 1]); // Table 8-17, indexA 17
    expect([TC0[23 * 3], TC0[23 * 3 + 1], TC0[23 * 3 + 2]]).toEqual([1, 1, 1]); // Table 8-17, indexA 23
  });

  it('is non-decreasing in the index', () => {
    for (let i = 1; i < 52; i++) {
      expect(ALPHA[i]!).toBeGreaterThanOrEqual(ALPHA[i - 1]!);
      expect(BETA[i]!).toBeGreaterThanOrEqual(BETA[i - 1]!);
      for (let b = 0; b < 3; b++) expect(TC0[i * 3 + b]!).toBeGreaterThanOrEqual(TC0[(i - 1) * 3 + b]!);
    }
  });
});

describe('levels (Table A-1)', () => {
  const byName = (name: string) => LEVEL_LIMITS.find((l) => l.name === name)!;
  const mbs = (width: number, height: number) => ({ w: Math.ceil(width / 16), h: Math.ceil(height / 16) });
  const choose = (width: number, height: number, fps: number, bitrate: number) => {
    const { w, h } = mbs(width, height);
    return chooseLevel(w * h, w, h, w * h * fps, bitrate)?.name;
  };

  it('lists levels 1 to 5.2 in order with their level_idc', () => {
    expect(LEVEL_LIMITS.map((l) => l.name)).toEqual(
      ['1', '1b', '1.1', '1.2', '1.3', '2', '2.1', '2.2', '3', '3.1', '3.2', '4', '4.1', '4.2', '5', '5.1', '5.2']);
    expect(LEVEL_LIMITS.map((l) => l.levelIdc)).toEqual([10, 9, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52]);
  });

  it('matches hand-picked rows of Table A-1', () => {
    expect(byName('1')).toEqual({ levelIdc: 10, name: '1', maxMbps: 1485, maxFs: 99, maxDpbMbs: 396, maxBr: 64, maxCpb: 175, maxVmvR: 64, minCr: 2, maxMvsPer2Mb: undefined });
    expect(byName('1b')).toMatchObject({ maxBr: 128, maxCpb: 350 });
    expect(byName('2.2')).toMatchObject({ maxMbps: 20250, maxFs: 1620, maxDpbMbs: 8100, maxVmvR: 256, maxMvsPer2Mb: undefined });
    expect(byName('3')).toEqual({ levelIdc: 30, name: '3', maxMbps: 40500, maxFs: 1620, maxDpbMbs: 8100, maxBr: 10000, maxCpb: 10000, maxVmvR: 256, minCr: 2, maxMvsPer2Mb: 32 });
    expect(byName('3.1')).toMatchObject({ maxMbps: 108000, maxFs: 3600, maxDpbMbs: 18000, maxBr: 14000, maxVmvR: 512, minCr: 4, maxMvsPer2Mb: 16 });
    expect(byName('4')).toMatchObject({ maxMbps: 245760, maxFs: 8192, maxDpbMbs: 32768, maxBr: 20000, maxCpb: 25000, minCr: 4 });
    expect(byName('4.1')).toMatchObject({ maxBr: 50000, maxCpb: 62500, minCr: 2 });
    expect(byName('5.1')).toMatchObject({ maxMbps: 983040, maxFs: 36864, maxDpbMbs: 184320, maxBr: 240000, maxCpb: 240000 });
    expect(byName('5.2')).toMatchObject({ maxMbps: 2073600, maxFs: 36864 });
  });

  it('is ordered: no limit shrinks from one level to the next (1b aside)', () => {
    const levels = LEVEL_LIMITS.filter((l) => l.name !== '1b');
    for (let i = 1; i < levels.length; i++) {
      const [a, b] = [levels[i - 1]!, levels[i]!];
      expect(b.levelIdc).toBeGreaterThan(a.levelIdc);
      for (const key of ['maxMbps', 'maxFs', 'maxDpbMbs', 'maxBr', 'maxCpb', 'maxVmvR'] as const) {
        expect(b[key], `${b.name} ${key}`).toBeGreaterThanOrEqual(a[key]);
      }
    }
  });

  it('chooses the lowest level that fits', () => {
    // QCIF 176x144 = 11x9 = 99 MBs. At 15 fps: 1485 MB/s = MaxMBPS of level 1; MaxBR 64 -> 64 000 bit/s (VCL factor 1000).
    expect(choose(176, 144, 15, 64_000)).toBe('1');
    expect(choose(176, 144, 15, 64_001)).toBe('1.1'); // VCL limit: 1000 * MaxBR (64) bits/s
    // Over level 1's bitrate: 1b is skipped, 1.1 (MaxBR 192) is next.
    expect(choose(176, 144, 15, 128_000)).toBe('1.1');
    // QCIF at 30 fps: 2970 MB/s > 1485, <= 3000 -> 1.1.
    expect(choose(176, 144, 30, 64_000)).toBe('1.1');
    // CIF 352x288 = 396 MBs at 30 fps = 11 880 MB/s: 1.3 up to 768 * 1000 bit/s, then 2.
    expect(choose(352, 288, 30, 768_000)).toBe('1.3');
    expect(choose(352, 288, 30, 1_000_000)).toBe('2');
    // 720p30: 80x45 = 3600 MBs, 108 000 MB/s -> 3.1.
    expect(choose(1280, 720, 30, 8_000_000)).toBe('3.1');
    // 1080p30: 120x68 = 8160 MBs, 244 800 MB/s -> 4 (MaxFS 8192, MaxMBPS 245 760).
    expect(choose(1920, 1080, 30, 8_000_000)).toBe('4');
    // 1080p30 at 30 Mb/s exceeds level 4's 20 000 * 1000 -> 4.1.
    expect(choose(1920, 1080, 30, 30_000_000)).toBe('4.1');
    // 4096x2304 = 256x144 = 36 864 MBs; at 25 fps 921 600 MB/s -> 5.1; at 30 fps 1 105 920 -> 5.2.
    expect(choose(4096, 2304, 25, 50_000_000)).toBe('5.1');
    expect(choose(4096, 2304, 30, 50_000_000)).toBe('5.2');
  });

  it('applies the Sqrt(MaxFS * 8) bound on width and height', () => {
    // 200x1 MBs is only 200 MBs, but 200 > Sqrt(MaxFS * 8) until MaxFS >= 5000: level 3.2 (MaxFS 5120).
    expect(chooseLevel(200, 200, 1, 200, 100_000)?.name).toBe('3.2');
    expect(chooseLevel(200, 1, 200, 200, 100_000)?.name).toBe('3.2');
  });

  it('returns undefined past level 5.2', () => {
    expect(choose(4096, 2304, 60, 50_000_000)).toBeUndefined(); // 2 211 840 MB/s > 2 073 600
    expect(choose(7680, 4320, 1, 1_000_000)).toBeUndefined(); // 129 600 MBs > MaxFS 36 864
    expect(choose(1280, 720, 30, 300_000_000)).toBeUndefined(); // > 240 000 * 1000 bit/s
  });
});
