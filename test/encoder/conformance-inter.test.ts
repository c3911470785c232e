/**
 * Conformance sweep for P frames: moving content of every kind (test/helpers/synthetic-motion.ts),
 * every preset, QP 0..51 samples, every GOP shape and forced keyframes, the shared test clips and
 * a 1080p pan. Each stream decoded by ffmpeg (strict error detection) and OpenH264 must equal the
 * encoder's reconstruction byte for byte, and the keyframe pattern must be the one asked for.
 *
 * Cost: the encoder codes about 20 QCIF P frames a second, so clips are short (8-12 frames) and
 * QPs are spread across the cases instead of multiplied with them.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, type EncoderOptions, type FrameStats, type PresetName } from '../../encoder/index.js';
import { encodeClip, expectDecodersReproduce, type EncodedClip } from '../helpers/conformance.js';
import { listSequences, loadSequence } from '../helpers/sequences.js';
import {
  MOTION_KINDS, PAN_DIRECTIONS, PAN_SPEEDS, motionClip, motionFrames, motionName, type MotionKind, type MotionSpec, type PanDirection,
} from '../helpers/synthetic-motion.js';

const QPS = [0, 22, 30, 40, 51];
const DIRECTIONS = Object.keys(PAN_DIRECTIONS) as PanDirection[];

/** Clip lengths: long enough for what each kind does (an exit and return, a cut or a flash half-way). */
const FRAMES: Record<MotionKind, number> = {
  'pan': 8, 'zoom-in': 8, 'zoom-out': 8, 'edge-exit': 12, 'scene-cut': 10, 'static-object': 10, 'noise': 8, 'flash': 10,
};

/** A boolean per frame, true at the given indices: the expected keyframe() pattern. */
function idrAt(frames: number, idrs: number[]): boolean[] {
  return Array.from({ length: frames }, (_, i) => idrs.includes(i));
}

/** Intra-coded macroblocks of one frame (the only macroblock counts every encoder version reports). */
function intraMbs(s: FrameStats): number {
  return s.mbI4x4 + s.mbI16x16 + s.mbPcm;
}

/**
 * One IDR, then P frames only. A scene cut may start a new IDR (an encoder may detect cuts), so
 * its cut frame is left free; everything else must be P.
 */
function expectOneIdrThenP(clip: EncodedClip, spec: MotionSpec, label: string): void {
  const n = clip.keyframes.length;
  const cut = spec.kind === 'scene-cut' ? n >> 1 : -1;
  const got = clip.keyframes.map((k, i) => (i === cut ? 'any' : k));
  const want = idrAt(n, [0]).map((k, i) => (i === cut ? 'any' : k));
  expect(got, `${label}: keyframe() per frame (IDR first, then P)`).toEqual(want);
}

interface MotionCase {
  spec: MotionSpec;
  width: number;
  height: number;
  preset: PresetName;
  qp: number;
}

/**
 * The sweep's cases. Pans: every speed at every preset (12 clips), directions rotating so all 8
 * appear and each diagonal meets each speed. Every other kind at every preset. QPs rotate through
 * QPS over the whole list, so each kind meets three different QPs.
 */
function sweepCases(): MotionCase[] {
  const specs: Array<{ spec: MotionSpec; preset: PresetName }> = [];
  PRESETS.forEach((preset, p) => {
    PAN_SPEEDS.forEach((speed, k) => specs.push({ spec: { kind: 'pan', direction: DIRECTIONS[(2 * k + 3 * p) % 8]!, speed }, preset }));
  });
  for (const kind of MOTION_KINDS) {
    if (kind === 'pan') continue;
    for (const preset of PRESETS) specs.push({ spec: { kind }, preset });
  }
  return specs.map(({ spec, preset }, i) => ({ spec, preset, width: 176, height: 144, qp: QPS[i % QPS.length]! }));
}

/** Sizes that are not multiples of 16 (cropped in the SPS): the padding reaches the references. */
const CROPPED_CASES: MotionCase[] = [
  { spec: { kind: 'pan', direction: 'sw', speed: 1.75 }, width: 200, height: 150, preset: 'balanced', qp: 22 },
  { spec: { kind: 'edge-exit' }, width: 200, height: 150, preset: 'quality', qp: 30 },
  { spec: { kind: 'zoom-out' }, width: 200, height: 150, preset: 'realtime', qp: 40 },
  { spec: { kind: 'pan', direction: 'ne', speed: 7 }, width: 18, height: 34, preset: 'realtime', qp: 51 },
  { spec: { kind: 'edge-exit' }, width: 18, height: 34, preset: 'balanced', qp: 0 },
  { spec: { kind: 'static-object' }, width: 18, height: 34, preset: 'quality', qp: 30 },
  { spec: { kind: 'pan', direction: 'nw', speed: 0.25 }, width: 18, height: 34, preset: 'balanced', qp: 22 },
];

async function expectMotionCase({ spec, width, height, preset, qp }: MotionCase): Promise<void> {
  const label = `${motionName(spec)} ${width}x${height} ${preset} qp${qp}`;
  const frames = FRAMES[spec.kind];
  // gop 1000: the whole clip is one IDR and P frames, whatever its length.
  const clip = encodeClip(width, height, motionClip(spec, width, height, frames), { qp, preset, gop: 1000 });
  await expectDecodersReproduce(clip, width, height, label);
  expectOneIdrThenP(clip, spec, label);
}

// What it proves: for every kind of motion (sub-pixel pans in 8 directions, zooms, vectors out of
// the picture, cuts, flashes, still areas, noise where intra wins) and every preset's decisions,
// the P-frame syntax the encoder writes (mb_type, sub_mb_type, mvd, skip runs, coded_block_pattern
// of inter blocks) and the reconstruction it keeps (quarter-sample interpolation, inter residual,
// deblocking across inter edges) are exactly what standard decoders do with that stream.
describe('conformance (inter): synthetic motion at 176x144, every kind and preset', () => {
  for (const c of sweepCases()) {
    it(`${motionName(c.spec)} ${c.preset} QP ${c.qp}: decodes bit-exactly, one IDR then P frames`, () => expectMotionCase(c));
  }
});

// What it proves: pictures whose size is not a multiple of 16 are predicted from the padded
// reference the way decoders pad it (edge replication beyond the cropped picture, 8.4.2.2), and
// vectors pointing far outside tiny pictures (18x34 is 2x3 macroblocks) clip as decoders clip them.
describe('conformance (inter): cropped sizes 200x150 and 18x34', () => {
  for (const c of CROPPED_CASES) {
    it(`${motionName(c.spec)} ${c.width}x${c.height} ${c.preset} QP ${c.qp}: decodes bit-exactly`, () => expectMotionCase(c));
  }
});

// What it proves: the options and calls that place IDRs do what the README promises (gop frames
// from one IDR to the next, 0 = one a second, requestKeyframe(): the next frame is an IDR), and the
// streams stay decodable across those switches (frame_num restarting at each IDR, idr_pic_id
// differing between consecutive IDRs, P frames referring only to the picture after the last IDR).
describe('conformance (inter): keyframe placement', () => {
  const W = 88, H = 72; // 5.5 x 4.5 macroblocks: cropped too
  const pan: MotionSpec = { kind: 'pan', direction: 'se', speed: 1.75 };

  async function run(frames: number, options: EncoderOptions, requestKeyframeAt: number[] = []): Promise<EncodedClip> {
    const clip = encodeClip(W, H, motionClip(pan, W, H, frames), { qp: 30, ...options }, { requestKeyframeAt });
    await expectDecodersReproduce(clip, W, H, `gop ${options.gop} fps ${options.fps ?? 30} requests [${requestKeyframeAt.join(',')}]`);
    return clip;
  }

  it('gop 1: every frame is an IDR', async () => {
    const clip = await run(12, { gop: 1 });
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  });

  it('gop 0 at 10 fps: one IDR a second, at frames 0 and 10 of 12', async () => {
    const clip = await run(12, { gop: 0, fps: 10 });
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(12, [0, 10]));
  });

  it('gop 5: IDRs at frames 0, 5 and 10', async () => {
    const clip = await run(12, { gop: 5, preset: 'realtime' });
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(12, [0, 5, 10]));
  });

  it('gop 1000: one IDR, then 19 P frames', async () => {
    // 20 frames: past frame_num's wrap at 16 while log2_max_frame_num is 4.
    const clip = await run(20, { gop: 1000, preset: 'quality' });
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(20, [0]));
  });

  it('requestKeyframe() before frame 5 makes frame 5, and only it, an IDR', async () => {
    const clip = await run(12, { gop: 1000 }, [5]);
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(12, [0, 5]));
  });

  it('requestKeyframe() restarts the GOP: gop 4 with requests before frames 1 and 6 gives IDRs at 0, 1, 5, 6, 10', async () => {
    // Frame 1 right after the first IDR: two IDRs in a row (idr_pic_id must differ). Frame 6 is
    // not on the gop 4 grid (0, 4, 8): the next scheduled IDR is 6 + 4 = 10, not 8.
    const clip = await run(12, { gop: 4 }, [1, 6]);
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(12, [0, 1, 5, 6, 10]));
  });
});

// What it proves: real camera content (the shared clips: motion, noise, detail and sizes up to
// 1080p) codes into P frames that both decoders reproduce exactly, at a mid QP with every search
// the balanced preset makes and at a high QP with the realtime preset's shortcuts.
describe('conformance (inter): test sequences', () => {
  const CONFIGS: Array<{ preset: PresetName; qp: number }> = [{ preset: 'balanced', qp: 27 }, { preset: 'realtime', qp: 37 }];
  for (const name of listSequences()) {
    for (const { preset, qp } of CONFIGS) {
      it(`${name}: ${preset} QP ${qp} gop 30, first 6 frames (1080p: 3) decode bit-exactly`, async () => {
        const seq = await loadSequence(name, 6);
        // A 1080p frame costs about 4 s: three frames there.
        const frames = seq.width * seq.height >= 1920 * 1080 ? seq.frames.slice(0, 3) : seq.frames;
        const images = frames.map((data) => ({ width: seq.width, height: seq.height, format: 'i420' as const, data }));
        const clip = encodeClip(seq.width, seq.height, images, { qp, preset, gop: 30, fps: seq.fps });
        const label = `${name} ${preset} qp${qp}`;
        await expectDecodersReproduce(clip, seq.width, seq.height, label);
        expect(clip.keyframes, `${label}: keyframe() per frame`).toEqual(idrAt(frames.length, [0]));
      });
    }
  }
});

// What it proves: large pictures (8,160 macroblocks, 1080 cropped from 1088) keep vectors,
// predictors and skip runs right far from the origin, where counters and offsets grow large.
describe('conformance (inter): 1080p pan', () => {
  it('1920x1080 pan se 7 px/frame, balanced QP 30, 3 frames: decodes bit-exactly', async () => {
    const spec: MotionSpec = { kind: 'pan', direction: 'se', speed: 7 };
    const clip = encodeClip(1920, 1080, motionFrames(spec, 1920, 1080, 3), { qp: 30, preset: 'balanced', gop: 1000 });
    await expectDecodersReproduce(clip, 1920, 1080, '1080p pan');
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(3, [0]));
  });
});

// What it proves: the inter machinery is really used, not just legal. A conformant encoder could
// code every frame as an IDR and pass every test above; these hold it to what users buy P frames
// for, and check the sweep reaches intra macroblocks inside P slices (a separate mb_type range).
describe('inter coding pays off', () => {
  it('a still camera watching a small moving object costs a small fraction of a keyframe per frame', () => {
    const spec: MotionSpec = { kind: 'static-object' };
    const clip = encodeClip(176, 144, motionClip(spec, 176, 144, 10), { qp: 27, preset: 'balanced', gop: 1000 });
    expect(clip.keyframes, 'keyframe() per frame').toEqual(idrAt(10, [0]));
    const idrBytes = clip.stats[0]!.bytes;
    const macroblocks = 11 * 9;
    clip.stats.slice(1).forEach((s, i) => {
      expect(s.bytes, `P frame ${i + 1}: bytes against the IDR's ${idrBytes}`).toBeLessThan(idrBytes * 0.25);
      // The background has not changed: most of it is predicted (skipped), not coded again.
      expect(intraMbs(s), `P frame ${i + 1}: intra macroblocks of ${macroblocks}`).toBeLessThan(macroblocks / 4);
    });
  });

  it('after a scene cut and in changing noise, P slices carry intra macroblocks', () => {
    let pFrames = 0, intraInP = 0;
    for (const kind of ['scene-cut', 'noise'] as const) {
      const clip = encodeClip(176, 144, motionClip({ kind }, 176, 144, FRAMES[kind]), { qp: 30, preset: 'balanced', gop: 1000 });
      clip.stats.forEach((s, i) => {
        if (clip.keyframes[i]) return;
        pFrames++;
        intraInP += intraMbs(s);
      });
    }
    expect(pFrames, 'P frames in the scene-cut and noise clips').toBeGreaterThan(0);
    expect(intraInP, 'intra macroblocks inside P frames').toBeGreaterThan(0);
  });
});
