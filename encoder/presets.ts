/**
 * Presets are data: small sets of choices applied over the defaults (STYLE.md). While the encoder
 * is intra-only they differ in the intra search; motion search joins them with P frames.
 */
import type { IntraSearch } from './intra.js';
import type { PresetName } from './options.js';

export interface PresetChoices {
  intra: IntraSearch;
}

export const PRESET_CHOICES: Readonly<Record<PresetName, PresetChoices>> = {
  /** Fewest decisions: 4 of the 9 Intra_4x4 modes, Intra_4x4 vs Intra_16x16 by SATD. */
  realtime: { intra: { i4Modes: 'fast', rd: false } },
  /** All 9 Intra_4x4 modes by SATD; Intra_4x4 vs Intra_16x16 vs I_PCM by exact RD cost. */
  balanced: { intra: { i4Modes: 'all', rd: true } },
  /** As balanced for now (it will add sub-partitions and wider motion search). */
  quality: { intra: { i4Modes: 'all', rd: true } },
};
