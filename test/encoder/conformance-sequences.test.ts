/**
 * Conformance sweep on the shared test clips (../shared/sequences): the first frames of every
 * clip at QP 0..51 samples, decoded bit-exactly by ffmpeg and OpenH264.
 */
import { describe, it } from 'vitest';
import { listSequences, loadSequence } from '../helpers/sequences.js';
import { encodeClip, expectDecodersReproduce } from '../helpers/conformance.js';

const QPS = [0, 10, 22, 30, 40, 51];

describe('conformance: test sequences', () => {
  for (const name of listSequences()) {
    it(`${name}: QP ${QPS.join('/')} decode bit-exactly`, async () => {
      const seq = await loadSequence(name, 2);
      // Big pictures cost ~1 s a frame: one frame per QP there, two elsewhere.
      const frames = seq.width * seq.height > 500_000 ? seq.frames.slice(0, 1) : seq.frames;
      for (const qp of QPS) {
        const images = frames.map((data) => ({ width: seq.width, height: seq.height, format: 'i420' as const, data }));
        const clip = encodeClip(seq.width, seq.height, images, { qp, fps: seq.fps });
        await expectDecodersReproduce(clip, seq.width, seq.height, `${name} qp${qp}`);
      }
    });
  }
});
