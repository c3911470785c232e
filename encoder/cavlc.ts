/**
 * residual_block_cavlc() — 7.3.5.3.2, with the inverse of the parsing process in 9.2.
 * The writer works on levels in scan order and returns the block's TotalCoeff(coeff_token), or -1
 * when a level cannot be represented in a Baseline stream (7.4.5.3.2: "level_prefix shall not be
 * greater than 15" for profile_idc 66) so the caller can choose another coding of the macroblock.
 */
import type { BitSink } from './common/bitstream.js';
import {
  COEFF_TOKEN_CODE, COEFF_TOKEN_LEN, coeffTokenTableIndex,
  TOTAL_ZEROS_CODE, TOTAL_ZEROS_LEN, TOTAL_ZEROS_CHROMA_DC_CODE, TOTAL_ZEROS_CHROMA_DC_LEN,
  RUN_BEFORE_CODE, RUN_BEFORE_LEN,
} from './common/cavlc-tables.js';

/** Scratch shared by all calls (the encoder is single-threaded per instance; no re-entrancy). */
const levelsRev = new Int32Array(16);
const runsRev = new Int32Array(16);

/**
 * Writes one block. `coeffs[start .. start + maxNumCoeff - 1]` are the levels in scan order
 * (maxNumCoeff 16 for 4x4 and Intra16x16DC, 15 for AC, 4 for chroma DC); nC as in 9.2.1
 * (-1 for chroma DC). Returns TotalCoeff, or -1 if the block is not representable.
 */
export function writeResidualBlock(w: BitSink, coeffs: Int32Array, start: number, maxNumCoeff: number, nC: number): number {
  // Collect non-zero levels from the highest frequency down, with the zeros run before each.
  let totalCoeff = 0;
  let run = 0;
  let highest = -1;
  for (let i = maxNumCoeff - 1; i >= 0; i--) {
    const c = coeffs[start + i]!;
    if (c !== 0) {
      if (highest >= 0) runsRev[totalCoeff - 1] = run;
      else highest = i;
      levelsRev[totalCoeff++] = c;
      run = 0;
    } else if (highest >= 0) {
      run++;
    }
  }
  const t = coeffTokenTableIndex(nC);
  if (totalCoeff === 0) {
    const k = (t * 17) * 4;
    w.u(COEFF_TOKEN_LEN[k]!, COEFF_TOKEN_CODE[k]!);
    return 0;
  }
  runsRev[totalCoeff - 1] = run; // zeros below the lowest-frequency coefficient (not coded)

  let trailingOnes = 0;
  while (trailingOnes < totalCoeff && trailingOnes < 3 && (levelsRev[trailingOnes] === 1 || levelsRev[trailingOnes] === -1)) {
    trailingOnes++;
  }
  const k = (t * 17 + totalCoeff) * 4 + trailingOnes;
  w.u(COEFF_TOKEN_LEN[k]!, COEFF_TOKEN_CODE[k]!); // coeff_token

  for (let i = 0; i < trailingOnes; i++) w.u(1, levelsRev[i]! < 0 ? 1 : 0); // trailing_ones_sign_flag

  let suffixLength = totalCoeff > 10 && trailingOnes < 3 ? 1 : 0;
  for (let i = trailingOnes; i < totalCoeff; i++) {
    const level = levelsRev[i]!;
    let levelCode = level > 0 ? 2 * level - 2 : -2 * level - 1;
    // 9.2.2.1: the decoder adds 2 to the first non-trailing-one level when trailingOnes < 3
    // (its magnitude is then known to exceed 1).
    if (i === trailingOnes && trailingOnes < 3) levelCode -= 2;
    let prefix: number, suffixBits: number, suffix: number;
    if (suffixLength === 0) {
      if (levelCode < 14) {
        prefix = levelCode; suffixBits = 0; suffix = 0;
      } else if (levelCode < 30) {
        prefix = 14; suffixBits = 4; suffix = levelCode - 14; // levelSuffixSize 4 for prefix 14
      } else {
        prefix = 15; suffixBits = 12; suffix = levelCode - 30; // prefix 15 adds 15 when suffixLength = 0
      }
    } else if (levelCode < (15 << suffixLength)) {
      prefix = levelCode >> suffixLength; suffixBits = suffixLength; suffix = levelCode & ((1 << suffixLength) - 1);
    } else {
      prefix = 15; suffixBits = 12; suffix = levelCode - (15 << suffixLength);
    }
    if (suffix >= 4096) return -1; // would need level_prefix > 15: not allowed in Baseline
    w.u(prefix + 1, 1); // level_prefix: prefix zeros then a one
    if (suffixBits > 0) w.u(suffixBits, suffix); // level_suffix
    if (suffixLength === 0) suffixLength = 1;
    const abs = level < 0 ? -level : level;
    if (abs > (3 << (suffixLength - 1)) && suffixLength < 6) suffixLength++;
  }

  if (totalCoeff < maxNumCoeff) {
    const totalZeros = highest + 1 - totalCoeff;
    if (maxNumCoeff === 4) {
      const z = totalCoeff * 4 + totalZeros;
      w.u(TOTAL_ZEROS_CHROMA_DC_LEN[z]!, TOTAL_ZEROS_CHROMA_DC_CODE[z]!); // total_zeros
    } else {
      const z = totalCoeff * 16 + totalZeros;
      w.u(TOTAL_ZEROS_LEN[z]!, TOTAL_ZEROS_CODE[z]!); // total_zeros
    }
    let zerosLeft = totalZeros;
    for (let i = 0; i < totalCoeff - 1 && zerosLeft > 0; i++) {
      const r = runsRev[i]!;
      const idx = (zerosLeft > 6 ? 7 : zerosLeft) * 16 + r;
      w.u(RUN_BEFORE_LEN[idx]!, RUN_BEFORE_CODE[idx]!); // run_before
      zerosLeft -= r;
    }
  }
  return totalCoeff;
}
