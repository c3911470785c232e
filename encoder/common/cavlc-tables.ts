/**
 * CAVLC code tables — H.264 (08/2021) 9.2.1 (coeff_token, Table 9-5), 9.2.3 (total_zeros, Tables 9-7,
 * 9-8 and 9-9 (a); run_before, Table 9-10).
 *
 * Every code is the table's bit string read MSB first as an unsigned number of LEN bits, so
 * coeff_token '0001 01' is code 5 with length 6; a writer emits `LEN` bits of `CODE`. LEN 0 marks a
 * combination that does not exist in the table. The tables are flat typed arrays so the residual
 * writer and the bit counter index them without allocation.
 */

/** A table entry as written below: [length in bits, code]. */
type Vlc = readonly [len: number, code: number];

/** coeff_token table index t for nC == -1 (chroma DC, ChromaArrayType 1). */
export const COEFF_TOKEN_CHROMA_DC = 4;

/**
 * The coeff_token column of Table 9-5 for nC (9.2.1): 0 for 0 <= nC < 2, 1 for 2 <= nC < 4, 2 for
 * 4 <= nC < 8, 3 for 8 <= nC, 4 for nC == -1 (chroma DC 4:2:0). nC == -2 (chroma DC 4:2:2) is not
 * supported: the encoder writes 4:2:0 only.
 */
export function coeffTokenTableIndex(nC: number): number {
  if (nC >= 0) return nC < 2 ? 0 : nC < 4 ? 1 : nC < 8 ? 2 : 3;
  if (nC === -1) return COEFF_TOKEN_CHROMA_DC;
  throw new RangeError(`nC must be >= -1 (chroma DC 4:2:0 only), got ${nC}`);
}

/**
 * Table 9-5, variable-length columns. Row = TotalCoeff 0..16, entry = TrailingOnes 0..min(3, TotalCoeff).
 */
const COEFF_TOKEN_VLC: readonly (readonly (readonly Vlc[])[])[] = [
  // 0 <= nC < 2
  [
    /*  0 */ [[1, 1]],
    /*  1 */ [[6, 5], [2, 1]],
    /*  2 */ [[8, 7], [6, 4], [3, 1]],
    /*  3 */ [[9, 7], [8, 6], [7, 5], [5, 3]],
    /*  4 */ [[10, 7], [9, 6], [8, 5], [6, 3]],
    /*  5 */ [[11, 7], [10, 6], [9, 5], [7, 4]],
    /*  6 */ [[13, 15], [11, 6], [10, 5], [8, 4]],
    /*  7 */ [[13, 11], [13, 14], [11, 5], [9, 4]],
    /*  8 */ [[13, 8], [13, 10], [13, 13], [10, 4]],
    /*  9 */ [[14, 15], [14, 14], [13, 9], [11, 4]],
    /* 10 */ [[14, 11], [14, 10], [14, 13], [13, 12]],
    /* 11 */ [[15, 15], [15, 14], [14, 9], [14, 12]],
    /* 12 */ [[15, 11], [15, 10], [15, 13], [14, 8]],
    /* 13 */ [[16, 15], [15, 1], [15, 9], [15, 12]],
    /* 14 */ [[16, 11], [16, 14], [16, 13], [15, 8]],
    /* 15 */ [[16, 7], [16, 10], [16, 9], [16, 12]],
    /* 16 */ [[16, 4], [16, 6], [16, 5], [16, 8]],
  ],
  // 2 <= nC < 4
  [
    /*  0 */ [[2, 3]],
    /*  1 */ [[6, 11], [2, 2]],
    /*  2 */ [[6, 7], [5, 7], [3, 3]],
    /*  3 */ [[7, 7], [6, 10], [6, 9], [4, 5]],
    /*  4 */ [[8, 7], [6, 6], [6, 5], [4, 4]],
    /*  5 */ [[8, 4], [7, 6], [7, 5], [5, 6]],
    /*  6 */ [[9, 7], [8, 6], [8, 5], [6, 8]],
    /*  7 */ [[11, 15], [9, 6], [9, 5], [6, 4]],
    /*  8 */ [[11, 11], [11, 14], [11, 13], [7, 4]],
    /*  9 */ [[12, 15], [11, 10], [11, 9], [9, 4]],
    /* 10 */ [[12, 11], [12, 14], [12, 13], [11, 12]],
    /* 11 */ [[12, 8], [12, 10], [12, 9], [11, 8]],
    /* 12 */ [[13, 15], [13, 14], [13, 13], [12, 12]],
    /* 13 */ [[13, 11], [13, 10], [13, 9], [13, 12]],
    /* 14 */ [[13, 7], [14, 11], [13, 6], [13, 8]],
    /* 15 */ [[14, 9], [14, 8], [14, 10], [13, 1]],
    /* 16 */ [[14, 7], [14, 6], [14, 5], [14, 4]],
  ],
  // 4 <= nC < 8
  [
    /*  0 */ [[4, 15]],
    /*  1 */ [[6, 15], [4, 14]],
    /*  2 */ [[6, 11], [5, 15], [4, 13]],
    /*  3 */ [[6, 8], [5, 12], [5, 14], [4, 12]],
    /*  4 */ [[7, 15], [5, 10], [5, 11], [4, 11]],
    /*  5 */ [[7, 11], [5, 8], [5, 9], [4, 10]],
    /*  6 */ [[7, 9], [6, 14], [6, 13], [4, 9]],
    /*  7 */ [[7, 8], [6, 10], [6, 9], [4, 8]],
    /*  8 */ [[8, 15], [7, 14], [7, 13], [5, 13]],
    /*  9 */ [[8, 11], [8, 14], [7, 10], [6, 12]],
    /* 10 */ [[9, 15], [8, 10], [8, 13], [7, 12]],
    /* 11 */ [[9, 11], [9, 14], [8, 9], [8, 12]],
    /* 12 */ [[9, 8], [9, 10], [9, 13], [8, 8]],
    /* 13 */ [[10, 13], [9, 7], [9, 9], [9, 12]],
    /* 14 */ [[10, 9], [10, 12], [10, 11], [10, 10]],
    /* 15 */ [[10, 5], [10, 8], [10, 7], [10, 6]],
    /* 16 */ [[10, 1], [10, 4], [10, 3], [10, 2]],
  ],
];

/** Table 9-5, nC == -1 column (chroma DC, ChromaArrayType 1): TotalCoeff 0..4. */
const COEFF_TOKEN_CHROMA_DC_VLC: readonly (readonly Vlc[])[] = [
  /* 0 */ [[2, 1]],
  /* 1 */ [[6, 7], [1, 1]],
  /* 2 */ [[6, 4], [6, 6], [3, 1]],
  /* 3 */ [[6, 3], [7, 3], [7, 2], [6, 5]],
  /* 4 */ [[6, 2], [8, 3], [8, 2], [7, 0]],
];

function buildCoeffToken(): { code: Uint16Array; len: Uint8Array } {
  const code = new Uint16Array(5 * 17 * 4);
  const len = new Uint8Array(5 * 17 * 4);
  const put = (t: number, rows: readonly (readonly Vlc[])[]): void => {
    rows.forEach((row, totalCoeff) => row.forEach(([l, c], trailingOnes) => {
      const i = (t * 17 + totalCoeff) * 4 + trailingOnes;
      len[i] = l;
      code[i] = c;
    }));
  };
  COEFF_TOKEN_VLC.forEach((rows, t) => put(t, rows));
  // 8 <= nC: a 6-bit fixed-length code, xxxxyy with xxxx = TotalCoeff - 1 and yy = TrailingOnes,
  // except TotalCoeff 0, which is 0000 11 (Table 9-5; 9.2.1 describes the same code).
  const fixed: Vlc[][] = [[[6, 0b000011]]];
  for (let totalCoeff = 1; totalCoeff <= 16; totalCoeff++) {
    const row: Vlc[] = [];
    for (let trailingOnes = 0; trailingOnes <= Math.min(3, totalCoeff); trailingOnes++) {
      row.push([6, ((totalCoeff - 1) << 2) | trailingOnes]);
    }
    fixed.push(row);
  }
  put(3, fixed);
  put(COEFF_TOKEN_CHROMA_DC, COEFF_TOKEN_CHROMA_DC_VLC);
  return { code, len };
}

const coeffToken = buildCoeffToken();

/** coeff_token codes (Table 9-5), index `(t * 17 + totalCoeff) * 4 + trailingOnes`, t from coeffTokenTableIndex. */
export const COEFF_TOKEN_CODE: Uint16Array = coeffToken.code;
/** coeff_token lengths in bits, same index as COEFF_TOKEN_CODE; 0 where the combination does not exist. */
export const COEFF_TOKEN_LEN: Uint8Array = coeffToken.len;

/**
 * total_zeros for 4x4 blocks (maxNumCoeff 15 or 16): Tables 9-7 (TotalCoeff 1..7) and 9-8
 * (TotalCoeff 8..15). Row = tzVlcIndex = TotalCoeff, entry = total_zeros 0..16 - TotalCoeff.
 */
const TOTAL_ZEROS_VLC: readonly (readonly Vlc[])[] = [
  /*  1 */ [[1, 1], [3, 3], [3, 2], [4, 3], [4, 2], [5, 3], [5, 2], [6, 3], [6, 2], [7, 3], [7, 2], [8, 3], [8, 2], [9, 3], [9, 2], [9, 1]],
  /*  2 */ [[3, 7], [3, 6], [3, 5], [3, 4], [3, 3], [4, 5], [4, 4], [4, 3], [4, 2], [5, 3], [5, 2], [6, 3], [6, 2], [6, 1], [6, 0]],
  /*  3 */ [[4, 5], [3, 7], [3, 6], [3, 5], [4, 4], [4, 3], [3, 4], [3, 3], [4, 2], [5, 3], [5, 2], [6, 1], [5, 1], [6, 0]],
  /*  4 */ [[5, 3], [3, 7], [4, 5], [4, 4], [3, 6], [3, 5], [3, 4], [4, 3], [3, 3], [4, 2], [5, 2], [5, 1], [5, 0]],
  /*  5 */ [[4, 5], [4, 4], [4, 3], [3, 7], [3, 6], [3, 5], [3, 4], [3, 3], [4, 2], [5, 1], [4, 1], [5, 0]],
  /*  6 */ [[6, 1], [5, 1], [3, 7], [3, 6], [3, 5], [3, 4], [3, 3], [3, 2], [4, 1], [3, 1], [6, 0]],
  /*  7 */ [[6, 1], [5, 1], [3, 5], [3, 4], [3, 3], [2, 3], [3, 2], [4, 1], [3, 1], [6, 0]],
  /*  8 */ [[6, 1], [4, 1], [5, 1], [3, 3], [2, 3], [2, 2], [3, 2], [3, 1], [6, 0]],
  /*  9 */ [[6, 1], [6, 0], [4, 1], [2, 3], [2, 2], [3, 1], [2, 1], [5, 1]],
  /* 10 */ [[5, 1], [5, 0], [3, 1], [2, 3], [2, 2], [2, 1], [4, 1]],
  /* 11 */ [[4, 0], [4, 1], [3, 1], [3, 2], [1, 1], [3, 3]],
  /* 12 */ [[4, 0], [4, 1], [2, 1], [1, 1], [3, 1]],
  /* 13 */ [[3, 0], [3, 1], [1, 1], [2, 1]],
  /* 14 */ [[2, 0], [2, 1], [1, 1]],
  /* 15 */ [[1, 0], [1, 1]],
];

/** Table 9-9 (a): total_zeros for chroma DC 2x2 (ChromaArrayType 1). Row = TotalCoeff 1..3. */
const TOTAL_ZEROS_CHROMA_DC_VLC: readonly (readonly Vlc[])[] = [
  /* 1 */ [[1, 1], [2, 1], [3, 1], [3, 0]],
  /* 2 */ [[1, 1], [2, 1], [2, 0]],
  /* 3 */ [[1, 1], [1, 0]],
];

/** Table 9-10: run_before. Row = zerosLeft 1..6 and > 6, entry = run_before. */
const RUN_BEFORE_VLC: readonly (readonly Vlc[])[] = [
  /*  1 */ [[1, 1], [1, 0]],
  /*  2 */ [[1, 1], [2, 1], [2, 0]],
  /*  3 */ [[2, 3], [2, 2], [2, 1], [2, 0]],
  /*  4 */ [[2, 3], [2, 2], [2, 1], [3, 1], [3, 0]],
  /*  5 */ [[2, 3], [2, 2], [3, 3], [3, 2], [3, 1], [3, 0]],
  /*  6 */ [[2, 3], [3, 0], [3, 1], [3, 3], [3, 2], [3, 5], [3, 4]],
  /* >6 */ [[3, 7], [3, 6], [3, 5], [3, 4], [3, 3], [3, 2], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [9, 1], [10, 1], [11, 1]],
];

/** Flattens rows numbered from 1 into code/len arrays with index `rowNumber * stride + entry`. */
function buildRows(rows: readonly (readonly Vlc[])[], stride: number, size: number): { code: Uint16Array; len: Uint8Array } {
  const code = new Uint16Array(size);
  const len = new Uint8Array(size);
  rows.forEach((row, r) => row.forEach(([l, c], k) => {
    const i = (r + 1) * stride + k;
    len[i] = l;
    code[i] = c;
  }));
  return { code, len };
}

const totalZeros = buildRows(TOTAL_ZEROS_VLC, 16, 16 * 16);
const totalZerosChromaDc = buildRows(TOTAL_ZEROS_CHROMA_DC_VLC, 4, 4 * 4);
const runBefore = buildRows(RUN_BEFORE_VLC, 16, 8 * 16);

/** total_zeros codes for 4x4 blocks (Tables 9-7, 9-8), index `totalCoeff * 16 + totalZeros`. */
export const TOTAL_ZEROS_CODE: Uint16Array = totalZeros.code;
/** total_zeros lengths, same index as TOTAL_ZEROS_CODE; 0 where totalZeros > 16 - totalCoeff. */
export const TOTAL_ZEROS_LEN: Uint8Array = totalZeros.len;

/** total_zeros codes for chroma DC 4:2:0 (Table 9-9 (a)), index `totalCoeff * 4 + totalZeros`. */
export const TOTAL_ZEROS_CHROMA_DC_CODE: Uint16Array = totalZerosChromaDc.code;
/** Lengths for TOTAL_ZEROS_CHROMA_DC_CODE; 0 where totalZeros > 4 - totalCoeff. */
export const TOTAL_ZEROS_CHROMA_DC_LEN: Uint8Array = totalZerosChromaDc.len;

/** run_before codes (Table 9-10), index `min(zerosLeft, 7) * 16 + runBefore`. */
export const RUN_BEFORE_CODE: Uint16Array = runBefore.code;
/** run_before lengths, same index as RUN_BEFORE_CODE; 0 where runBefore > zerosLeft (or > 14). */
export const RUN_BEFORE_LEN: Uint8Array = runBefore.len;
