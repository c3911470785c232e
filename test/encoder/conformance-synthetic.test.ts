/**
 * Conformance sweep of intra coding on synthetic content (gop 1: every frame an IDR; P frames
 * have their own sweep in conformance-inter.test.ts): every size the issue names, QP 0..51
 * samples; each stream decoded by ffmpeg (strict error detection) and OpenH264 must equal the reconstruction.
 */
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_KINDS, syntheticImage, type SyntheticKind } from '../helpers/synthetic.js';
import { encodeClip, expectDecodersReproduce } from '../helpers/conformance.js';

const QPS = [0, 10, 22, 30, 40, 51];
const SIZES: Array<[number, number]> = [[16, 16], [176, 144], [352, 288], [200, 150], [18, 34], [1920, 1080]];
/** 1080p frames cost ~1 s each: use the kinds that stress different paths. */
const KINDS_1080P: SyntheticKind[] = ['noise', 'text-edges', 'colour-bars-rgb', 'gradient-diagonal'];

describe('conformance: synthetic content', () => {
  for (const [width, height] of SIZES) {
    const kinds = width * height > 500_000 ? KINDS_1080P : SYNTHETIC_KINDS;
    for (const qp of QPS) {
      it(`${width}x${height} QP ${qp}: ${kinds.length} kinds decode bit-exactly`, async () => {
        const clip = encodeClip(width, height, kinds.map((k, i) => syntheticImage(k, width, height, i + 1)), { qp, gop: 1 });
        await expectDecodersReproduce(clip, width, height, `${width}x${height} qp${qp}`);
        expect(clip.keyframes.every(Boolean)).toBe(true);
      });
    }
  }

  // The realtime preset takes other decisions (4 Intra_4x4 modes, no RD): its streams too.
  for (const qp of QPS) {
    it(`realtime preset, 200x150 QP ${qp}: decodes bit-exactly`, async () => {
      const clip = encodeClip(200, 150, SYNTHETIC_KINDS.map((k, i) => syntheticImage(k, 200, 150, i + 1)), { qp, gop: 1, preset: 'realtime' });
      await expectDecodersReproduce(clip, 200, 150, `realtime 200x150 qp${qp}`);
    });
  }

  it('the sweep reaches I_PCM, Intra_4x4 and Intra_16x16 macroblocks', () => {
    const counts = { pcm: 0, i4: 0, i16: 0 };
    for (const qp of [0, 30]) {
      const clip = encodeClip(176, 144, SYNTHETIC_KINDS.map((k, i) => syntheticImage(k, 176, 144, i + 1)), { qp, gop: 1 });
      for (const s of clip.stats) {
        counts.pcm += s.mbPcm;
        counts.i4 += s.mbI4x4;
        counts.i16 += s.mbI16x16;
      }
    }
    expect(counts.pcm).toBeGreaterThan(0);
    expect(counts.i4).toBeGreaterThan(0);
    expect(counts.i16).toBeGreaterThan(0);
  });
});
