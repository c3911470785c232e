/**
 * coded_block_pattern mapping for me(v) — H.264 (08/2021) 9.1.2, Table 9-4, column set for
 * ChromaArrayType equal to 1 or 2. coded_block_pattern = CodedBlockPatternLuma (bits 0..3, one per
 * 8x8 luma block) + 16 * CodedBlockPatternChroma (0..2), so values run 0..47.
 */

/**
 * Table 9-4, rows in codeNum order 0..47: [coded_block_pattern for Intra_4x4 / Intra_8x8,
 * coded_block_pattern for Inter].
 */
const TABLE_9_4: readonly (readonly [intra: number, inter: number])[] = [
  [47, 0], [31, 16], [15, 1], [0, 2], [23, 4], [27, 8], [29, 32], [30, 3],
  [7, 5], [11, 10], [13, 12], [14, 15], [39, 47], [43, 7], [45, 11], [46, 13],
  [16, 14], [3, 6], [5, 9], [10, 31], [12, 35], [19, 37], [21, 42], [26, 44],
  [28, 33], [35, 34], [37, 36], [42, 40], [44, 39], [1, 43], [2, 45], [4, 46],
  [8, 17], [17, 18], [18, 20], [20, 24], [24, 19], [6, 21], [9, 26], [22, 28],
  [25, 23], [32, 27], [33, 29], [34, 30], [36, 22], [40, 25], [38, 38], [41, 41],
];

/** codeNum -> coded_block_pattern for Intra_4x4 and Intra_8x8 macroblocks (Table 9-4). */
export const CODE_NUM_TO_CBP_INTRA: Uint8Array = Uint8Array.from(TABLE_9_4, (row) => row[0]);
/** codeNum -> coded_block_pattern for Inter macroblocks (Table 9-4). */
export const CODE_NUM_TO_CBP_INTER: Uint8Array = Uint8Array.from(TABLE_9_4, (row) => row[1]);

function invert(map: Uint8Array): Uint8Array {
  const inverse = new Uint8Array(map.length);
  for (let codeNum = 0; codeNum < map.length; codeNum++) inverse[map[codeNum]] = codeNum;
  return inverse;
}

/** coded_block_pattern -> codeNum for Intra_4x4 and Intra_8x8 macroblocks, written as ue(v). */
export const CBP_INTRA_TO_CODE_NUM: Uint8Array = invert(CODE_NUM_TO_CBP_INTRA);
/** coded_block_pattern -> codeNum for Inter macroblocks, written as ue(v). */
export const CBP_INTER_TO_CODE_NUM: Uint8Array = invert(CODE_NUM_TO_CBP_INTER);
