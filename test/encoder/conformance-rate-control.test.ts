/**
 * Conformance of rate-controlled streams: QP that changes per frame (the controller), per
 * macroblock row (cbr row control) and per macroblock (AQ), sent as mb_qp_delta, decoded
 * bit-exactly by ffmpeg and OpenH264 (the reconstruction equals both decoders' output). Every
 * preset, cbr and vbr, AQ strength 1 and 2, on several clips; the QP extremes 0 and 51; frames
 * coded twice to keep the VBV from underflowing. Each case also checks that its stream really has
 * what it is meant to exercise (QP varying inside frames, QP reaching the extremes, re-encodes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderImage, EncoderOptions, FrameStats, PresetName } from '../../encoder/index.js';
import { encodeClip, expectDecodersReproduce } from '../helpers/conformance.js';
import { loadSequence } from '../helpers/sequences.js';
import { motionClip } from '../helpers/synthetic-motion.js';
import { syntheticImage } from '../helpers/synthetic.js';

interface Clip {
  width: number;
  height: number;
  images: EncoderImage[];
}

/** Clip name -> frames loaded (the most any case below uses). */
const SEQUENCES = {
  foreman: ['foreman_cif_352x288', 8],
  mobile: ['mobile_cif_352x288', 8],
  cars: ['cars_qvga_320x240', 8],
  flower720p: ['flower_720p_1280x720', 3],
} as const;
type ClipName = keyof typeof SEQUENCES | 'scene-cut' | 'too-big';

/** What a case's stream must contain, beyond decoding bit-exactly. */
type Check = 'qp-varies-in-frame' | 'slice-qp-varies' | 'qp-reaches-0' | 'qp-reaches-51' | 'reencoded' | 'bucket-in-debt';

interface Case {
  clip: ClipName;
  frames: number;
  options: EncoderOptions;
  checks: Check[];
}

/** Bitrates that put QP mid-range on each clip, so the controller, rows and AQ all have room. */
const BITRATE: Record<ClipName, number> = { foreman: 500_000, mobile: 1_200_000, cars: 400_000, flower720p: 3_000_000, 'scene-cut': 200_000, 'too-big': 0 };

/**
 * Every preset x cbr/vbr x AQ 1/2, each on one clip (every clip under several presets). The
 * quality preset and the 720p clip cost the most time: fewer frames there.
 */
const MATRIX: [PresetName, 'cbr' | 'vbr', 1 | 2, ClipName, number][] = [
  ['realtime', 'cbr', 1, 'foreman', 8],
  ['realtime', 'cbr', 2, 'flower720p', 3],
  ['realtime', 'vbr', 1, 'mobile', 6],
  ['realtime', 'vbr', 2, 'cars', 8],
  ['balanced', 'cbr', 1, 'cars', 6],
  ['balanced', 'cbr', 2, 'mobile', 5],
  ['balanced', 'vbr', 1, 'flower720p', 2],
  ['balanced', 'vbr', 2, 'foreman', 5],
  ['quality', 'cbr', 1, 'mobile', 3],
  ['quality', 'cbr', 2, 'foreman', 4],
  ['quality', 'vbr', 1, 'cars', 4],
  ['quality', 'vbr', 2, 'mobile', 3],
];

const CASES: Record<string, Case> = {};
for (const [preset, rateControl, aqStrength, clip, frames] of MATRIX) {
  CASES[`${preset} ${rateControl} aq${aqStrength} ${clip}`] = {
    clip, frames, options: { preset, rateControl, aqStrength, bitrate: BITRATE[clip] },
    checks: frames >= 5 ? ['qp-varies-in-frame', 'slice-qp-varies'] : ['qp-varies-in-frame'],
  };
}
Object.assign(CASES, {
  // Row control alone (no AQ) changes QP inside a frame: a VBV of a tenth of a second on foreman.
  'realtime cbr aq0 foreman, 30000-bit VBV (row control only)': {
    clip: 'foreman', frames: 8, options: { preset: 'realtime', rateControl: 'cbr', bitrate: 300_000, vbvBuffer: 30_000 }, checks: ['qp-varies-in-frame'],
  },
  // QP bounds at the extremes: a huge bitrate drives macroblocks to QP 0, a tiny one to 51.
  'realtime cbr aq2 cars at 40 Mb/s, QP 0..51': {
    clip: 'cars', frames: 6, options: { preset: 'realtime', rateControl: 'cbr', aqStrength: 2, bitrate: 40_000_000, qpMin: 0, qpMax: 51 },
    checks: ['qp-varies-in-frame', 'qp-reaches-0'],
  },
  'balanced vbr aq1 cars at 60 Mb/s, QP 0..51': {
    clip: 'cars', frames: 4, options: { preset: 'balanced', rateControl: 'vbr', aqStrength: 1, bitrate: 60_000_000, qpMin: 0, qpMax: 51 },
    checks: ['qp-reaches-0'],
  },
  'realtime cbr aq2 mobile at 10 kb/s, QP 0..51': {
    clip: 'mobile', frames: 6, options: { preset: 'realtime', rateControl: 'cbr', aqStrength: 2, bitrate: 10_000, qpMin: 0, qpMax: 51 },
    checks: ['qp-varies-in-frame', 'qp-reaches-51'],
  },
  'quality vbr aq1 foreman at 10 kb/s, QP 0..51': {
    clip: 'foreman', frames: 3, options: { preset: 'quality', rateControl: 'vbr', aqStrength: 1, bitrate: 10_000, qpMin: 0, qpMax: 51 },
    checks: ['qp-reaches-51'],
  },
  // A VBV of a frame and a half across a scene cut: frames too big for it are coded again.
  'balanced cbr aq2 scene cut, 5000-bit VBV': {
    clip: 'scene-cut', frames: 12, options: { preset: 'balanced', rateControl: 'cbr', aqStrength: 2, bitrate: 100_000, vbvBuffer: 5000, qpMax: 51, gop: 300 },
    checks: ['qp-varies-in-frame', 'reencoded'],
  },
  // Content too big for the default bitrate even at the default qpMax 40 (noise among gradients,
  // every one a scene cut): the bucket goes into debt, and a frame then has no room at all. It
  // must be coded at qpMax, not fail (frame 88 once threw: a NaN QP from log2 of a negative room).
  'default cbr, 160x128 noise and gradients beyond qpMax 40': {
    clip: 'too-big', frames: 96, options: { gop: 10, fps: 30 }, checks: ['bucket-in-debt'],
  },
} satisfies Record<string, Case>);

function summary(stats: readonly FrameStats[]): string {
  return stats.map((s) => `${s.type}${s.qp}:${s.qpMin}-${s.qpMax}${s.reencoded ? '(re)' : ''}`).join(' ');
}

describe('conformance: rate control and AQ (mb_qp_delta) decode bit-exactly', () => {
  const clips = new Map<ClipName, Clip>();
  beforeAll(async () => {
    for (const [name, [file, frames]] of Object.entries(SEQUENCES)) {
      const seq = await loadSequence(file, frames);
      const images = seq.frames.map((data) => ({ width: seq.width, height: seq.height, format: 'i420' as const, data }));
      clips.set(name as ClipName, { width: seq.width, height: seq.height, images });
    }
    clips.set('scene-cut', { width: 176, height: 144, images: motionClip({ kind: 'scene-cut' }, 176, 144, 12) });
    const kinds = ['gradient-h', 'text-edges', 'gradient-diagonal', 'checker-8', 'gradient-v', 'noise'] as const;
    clips.set('too-big', { width: 160, height: 128, images: Array.from({ length: 96 }, (_, i) => syntheticImage(kinds[i % kinds.length]!, 160, 128, (i % 12) + 1)) });
  });

  for (const [label, c] of Object.entries(CASES)) {
    it(label, async () => {
      const { width, height, images } = clips.get(c.clip)!;
      expect(images.length, `${c.clip} has ${c.frames} frames`).toBeGreaterThanOrEqual(c.frames);
      const clip = encodeClip(width, height, images.slice(0, c.frames), c.options);
      const s = clip.stats, what = `per frame, type QP:min-max: ${summary(s)}`;
      const { qpMin = 10, qpMax = 40 } = c.options;
      for (const [t, f] of s.entries()) {
        expect(f.qpMin >= qpMin && f.qpMax <= qpMax, `frame ${t} within [${qpMin}, ${qpMax}] (${what})`).toBe(true);
      }
      for (const check of c.checks) {
        if (check === 'qp-varies-in-frame') expect(s.some((f) => f.qpMin < f.qpMax), `QP varies inside some frame (${what})`).toBe(true);
        if (check === 'slice-qp-varies') expect(new Set(s.map((f) => f.qp)).size, `the slice QP changes between frames (${what})`).toBeGreaterThan(1);
        if (check === 'qp-reaches-0') expect(s.some((f) => f.qpMin === 0), `some macroblock at QP 0 (${what})`).toBe(true);
        if (check === 'qp-reaches-51') expect(s.some((f) => f.qpMax === 51), `some macroblock at QP 51 (${what})`).toBe(true);
        if (check === 'reencoded') expect(s.some((f) => f.reencoded), `some frame coded again for the VBV (${what})`).toBe(true);
        if (check === 'bucket-in-debt') expect(s.some((f) => f.vbvFill! < 0), `the bucket ran into debt (${what})`).toBe(true);
      }
      await expectDecodersReproduce(clip, width, height, label);
    });
  }
});
