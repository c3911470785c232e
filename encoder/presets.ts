/**
 * Presets are data: small sets of choices applied over the defaults (STYLE.md). While the encoder
 * is intra-only they differ in the intra search; motion search joins them with P frames.
 */
import type { InterSearch } from './inter.js';
import type { IntraSearch } from './intra.js';
import type { PresetName } from './options.js';

export interface PresetChoices {
  intra: IntraSearch;
  inter: InterSearch;
  /**
   * In P slices the full intra analysis runs only when the Intra_16x16 SATD estimate is below
   * this factor times the inter search's cost (Infinity: always).
   */
  intraInPFactor: number;
}

export const PRESET_CHOICES: Readonly<Record<PresetName, PresetChoices>> = {
  /** Fewest decisions: 16x16 motion with a short hexagon search; Intra_4x4 vs Intra_16x16 by SATD. */
  realtime: {
    intra: { rd: false },
    inter: { partitions: 'p16x16', method: 'hex', range: 8, subpel: 2, subpelPattern: 'diamond', earlySkip: true },
    intraInPFactor: 1,
  },
  /**
   * 16x16, 16x8, 8x16 and 8x8 motion, hexagon search, sub-samples by the 8-point square (1-2%
   * fewer bits than the diamond for 5-10% more time); all 9 Intra_4x4 modes; exact RD between
   * candidates.
   */
  balanced: {
    intra: { rd: true },
    inter: { partitions: 'p8x8', method: 'hex', range: 16, subpel: 2, subpelPattern: 'square', earlySkip: true },
    intraInPFactor: 1.5,
  },
  /** Adds 8x4, 4x8 and 4x4 sub-partitions (below level 3.1), a multi-hexagon search, no early skip. */
  quality: {
    intra: { rd: true },
    inter: { partitions: 'sub8x8', method: 'umh', range: 24, subpel: 2, subpelPattern: 'square', earlySkip: false },
    intraInPFactor: Infinity,
  },
};
