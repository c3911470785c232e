/**
 * Rate control (encoder/rate-control.ts) held to its requirements, not to today's constants:
 * - RateController alone, driven by a synthetic encoder whose frame sizes follow k * C / qscale(QP)
 *   with a k three times off the controller's first guess (test/helpers/rate-model.ts): the
 *   average meets the target within ±3%, cbr never underflows a leaky bucket computed here, no
 *   one-second window exceeds 1.2x the target in cbr, QP stays inside [qpMin, qpMax], setBitrate
 *   converges, cqp is constant;
 * - H264Encoder on foreman (CIF, preset realtime): the same measures on real frames, QP bounds
 *   that cannot be met, setBitrate / setQpRange mid-stream, bad values, scene-cut IDRs.
 * Bit-exact decoding of rate-controlled streams: conformance-rate-control.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { H264Encoder, type EncoderImage, type EncoderOptions, type FrameStats } from '../../encoder/index.js';
import {
  gopTilt, qpToQscale, qscaleToQp, RateController, TILT_STRENGTH, type RateControlConfig, type RateControlMode,
} from '../../encoder/rate-control.js';
import { decodeWithFfmpeg } from '../helpers/decoders.js';
import { expectError } from '../helpers/errors.js';
import { averageBitrate, leakyBucket, peakWindow, runModel, type ModelOptions, type ModelRun } from '../helpers/rate-model.js';
import { loadSequence } from '../helpers/sequences.js';
import { syntheticImage } from '../helpers/synthetic.js';
import { motionClip } from '../helpers/synthetic-motion.js';

const FPS = 30;
/** The requirements. */
const AVERAGE_TOLERANCE = 0.03;
const CBR_WINDOW_PEAK = 1.2;
const SWITCH_FIRST_SECOND_TOLERANCE = 0.15;
const SWITCH_SETTLED_TOLERANCE = 0.05;

/** `value / target - 1`, for messages and tolerances. */
function deviation(value: number, target: number): number {
  return value / target - 1;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Mean bitrate of frames [from, to). */
function rateOf(bits: readonly number[], from: number, to: number): number {
  return averageBitrate(bits.slice(from, to), FPS);
}

// ---------------------------------------------------------------------------------------------
// The controller on a synthetic frame-size model

function config(mode: RateControlMode, bitrate = 600_000, extra: Partial<RateControlConfig> = {}): RateControlConfig {
  return { mode, bitrate, fps: FPS, vbvBuffer: bitrate, qpMin: 10, qpMax: 51, qp: 27, gop: FPS, ...extra };
}

/** Every QP the run used (planned and per row) lies inside the bounds in force for its frame. */
function expectQpsInBounds(run: ModelRun): void {
  const outside: string[] = [];
  run.rowQps.forEach((qps, t) => {
    const [lo, hi] = run.bounds[t]!;
    for (const qp of [run.planQp[t]!, ...qps]) {
      if (!Number.isInteger(qp) || qp < lo || qp > hi) outside.push(`frame ${t}: QP ${qp} outside [${lo}, ${hi}]`);
    }
  });
  expect(outside.slice(0, 10), `${outside.length} QPs outside the bounds`).toEqual([]);
}

describe('qscale: the quantiser step size of a QP', () => {
  it('doubles every 6 QP (8.5.12.1: LevelScale repeats with a doubling shift) and qscaleToQp inverts it', () => {
    for (let qp = 0; qp <= 51; qp++) {
      if (qp <= 45) expect(qpToQscale(qp + 6) / qpToQscale(qp), `QP ${qp}`).toBeCloseTo(2, 12);
      expect(qscaleToQp(qpToQscale(qp)), `QP ${qp}`).toBeCloseTo(qp, 9);
    }
  });
});

describe('gopTilt: a P frame\'s QP offset from its place in the GOP (zero-lookahead macroblock tree)', () => {
  it('is x264\'s macroblock-tree offset, centred on the GOP: f = 0.5, GOP 4, worked by hand', () => {
    // P frames 1, 2, 3 of a GOP of 4 have n = 2, 1, 0 frames after them before the next IDR.
    // Offsets -log2(1 + f + .. + f^n): -log2(1.75) = -0.8074, -log2(1.5) = -0.5850, 0; mean -0.4641.
    expect(TILT_STRENGTH).toBeCloseTo(2, 12);
    expect(gopTilt(0.5, 2, 4)).toBeCloseTo(2 * (-0.807355 + 0.464106), 5);
    expect(gopTilt(0.5, 1, 4)).toBeCloseTo(2 * (-0.584963 + 0.464106), 5);
    expect(gopTilt(0.5, 0, 4)).toBeCloseTo(2 * 0.464106, 5);
  });

  it('averages 0 over a GOP\'s P frames, and falls from the GOP\'s end to its start', () => {
    for (const gop of [3, 30, 250, 1000]) {
      for (const f of [0.1, 0.5, 0.7, 0.9]) {
        let sum = 0, last = Infinity;
        for (let n = 0; n < gop - 1; n++) {
          const t = gopTilt(f, n, gop);
          expect(t, `f ${f}, GOP ${gop}, n ${n}`).toBeLessThanOrEqual(last + 1e-12);
          last = t;
          sum += t;
        }
        expect(Math.abs(sum / (gop - 1)), `mean, f ${f}, GOP ${gop}`).toBeLessThan(1e-6);
        expect(gopTilt(f, 0, gop), `last P frame, f ${f}, GOP ${gop}`).toBeGreaterThan(0);
      }
    }
  });

  it('is 0 without prediction or without a GOP to tilt, and bounded for a still frame', () => {
    expect(gopTilt(0, 0, 30)).toBe(0);
    expect(gopTilt(-0.5, 0, 30)).toBe(0);
    expect(gopTilt(Number.NaN, 0, 30)).toBe(0);
    expect(gopTilt(0.9, 0, 1)).toBe(0);
    expect(gopTilt(0.9, 0, 2)).toBe(0);
    // f is bounded to 0.9: a still frame (f 1) tilts as f 0.9 does, by at most 2 * log2(10) QP.
    expect(gopTilt(1, 0, 30)).toBe(gopTilt(0.9, 0, 30));
    expect(gopTilt(1, 0, 65535)).toBeLessThan(2 * Math.log2(10) + 1e-9);
  });
});

describe('RateController on a synthetic encoder (size = k * C / qscale(QP), k 3x off its first guess)', () => {
  const FRAMES = 300;
  // Relative P-frame complexity: the base content (the target at QP 26) with a slow ±10% drift,
  // doubling or halving at frame 100 (mid-GOP), or doubling at a scene cut (an IDR) at frame 105.
  const CONTENTS: Record<string, Pick<ModelOptions, 'complexity' | 'sceneCuts' | 'propagation'>> = {
    'steady content': { complexity: (t) => 1 + 0.1 * Math.sin(t / 7) },
    'complexity x2 at frame 100': { complexity: (t) => (t < 100 ? 1 : 2) },
    'complexity x0.5 at frame 100': { complexity: (t) => (t < 100 ? 1 : 0.5) },
    'a scene cut to x2 complexity at frame 105': { complexity: (t) => (t < 105 ? 1 : 2), sceneCuts: new Set([105]) },
    'steady content predicting with f = 0.9 (the largest GOP tilt)': { complexity: (t) => 1 + 0.1 * Math.sin(t / 7), propagation: 0.9 },
  };
  for (const mode of ['cbr', 'vbr'] as const) {
    for (const kScale of [3, 1 / 3]) {
      for (const [content, spec] of Object.entries(CONTENTS)) {
        describe(`${mode}, k = ${kScale === 3 ? '3x' : '1/3x'} the initial guess, ${content}, ±15% wobble`, () => {
          const cfg = config(mode);
          let run: ModelRun;
          beforeAll(() => {
            run = runModel({ cfg, frames: FRAMES, kScale, ...spec });
          });

          it(`averages the target within ±${percent(AVERAGE_TOLERANCE)} over ${FRAMES / FPS} s`, () => {
            const d = deviation(averageBitrate(run.bits, FPS), cfg.bitrate);
            expect(Math.abs(d), `average ${percent(d)} off ${cfg.bitrate} b/s`).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
          });

          it('keeps every QP (frame and row) inside [qpMin, qpMax]', () => {
            expectQpsInBounds(run);
          });

          if (mode === 'cbr') {
            it('never underflows the leaky bucket (vbvBuffer bits, 90% full at the start)', () => {
              const vbv = leakyBucket(run.bits, cfg.bitrate, FPS, cfg.vbvBuffer);
              expect(vbv.underflows, `frames that underflow (lowest fill ${percent(vbv.lowestFill)} at frame ${vbv.lowestAt})`).toEqual([]);
            });

            it(`has no one-second window above ${CBR_WINDOW_PEAK}x the target`, () => {
              const peak = peakWindow(run.bits, FPS) / cfg.bitrate;
              expect(peak, `peak one-second window ${peak.toFixed(3)}x the target`).toBeLessThanOrEqual(CBR_WINDOW_PEAK);
            });
          }
        });
      }
    }
  }

  for (const mode of ['cbr', 'vbr'] as const) {
    it(`${mode}: the P frames right after a keyframe do not pay for it (its bits count over its GOP)`, () => {
      // Steady content, no tilt: every P frame of a GOP should get about the same QP. Counted at
      // once, a keyframe's bits (about 6 P frames' worth) raise the QP of the P frames just after
      // it, which then drifts back down before the next one: a saw-tooth of 2-3 QP.
      const run = runModel({ cfg: config(mode), frames: 300, kScale: 1, wobble: 0.05, complexity: () => 1 });
      const gaps: string[] = [];
      let worst = 0;
      for (let idr = 3 * FPS; idr + FPS <= 300; idr += FPS) {
        const mean = (from: number, to: number) => {
          let sum = 0;
          for (let t = from; t < to; t++) sum += run.rowQps[t]!.reduce((a, b) => a + b, 0) / run.rowQps[t]!.length;
          return sum / (to - from);
        };
        const gap = mean(idr + 1, idr + 6) - mean(idr + FPS - 5, idr + FPS);
        gaps.push(gap.toFixed(2));
        worst = Math.max(worst, Math.abs(gap));
      }
      expect(worst, `mean QP of P frames 1-5 of a GOP minus that of its last 5, GOP by GOP: ${gaps.join(', ')}`).toBeLessThanOrEqual(1);
    });
  }

  for (const mode of ['cbr', 'vbr'] as const) {
    describe(`${mode}: setQpRange mid-stream`, () => {
      // The base content meets the target at QP 26. Bounds [20, 36] hold it; from frame 100,
      // [34, 40] give too few bits (QP must sit at 34); from frame 200, [10, 20] give too many
      // (QP must sit at 20).
      let run: ModelRun;
      beforeAll(() => {
        run = runModel({
          cfg: config(mode, 600_000, { qpMin: 20, qpMax: 36 }),
          frames: FRAMES,
          kScale: 3,
          complexity: () => 1,
          before: (t, rc) => {
            if (t === 100) rc.setQpRange(34, 40);
            if (t === 200) rc.setQpRange(10, 20);
          },
        });
      });

      it('keeps every QP inside the bounds in force, from the frame after each change', () => {
        expect(run.bounds[100]).toEqual([34, 40]);
        expect(run.bounds[200]).toEqual([10, 20]);
        expectQpsInBounds(run);
      });

      // Frames 100-199 would need QP 26 (below the range), 200-299 too (above it).
      const offBound = (intra: boolean) => {
        const off: string[] = [];
        for (let t = 100; t < FRAMES; t++) {
          if (run.intra[t] !== intra) continue;
          const bound = t < 200 ? 34 : 20;
          const qps = [...new Set([run.planQp[t]!, ...run.rowQps[t]!])];
          if (qps.length !== 1 || qps[0] !== bound) off.push(`frame ${t}: QP ${qps.join('/')}, not ${bound}`);
        }
        return off;
      };

      it('P frames sit at the bound when the target cannot be met inside the range', () => {
        const off = offBound(false);
        expect(off, off.join('; ')).toEqual([]);
      });

      it('I frames stay within the bounds and at most ipratio (about 3 QP, 4 with rounding) finer than the P frames', () => {
        for (let t = 100; t < FRAMES; t++) {
          if (!run.intra[t]) continue;
          const bound = t < 200 ? 34 : 20;
          for (const q of [run.planQp[t]!, ...run.rowQps[t]!]) {
            expect(q, `frame ${t}`).toBeLessThanOrEqual(bound);
            expect(q, `frame ${t}`).toBeGreaterThanOrEqual(Math.max(10, bound - 4));
          }
        }
      });
    });
  }

  for (const mode of ['cbr', 'vbr'] as const) {
    for (const [from, to] of [[1_500_000, 400_000], [400_000, 1_500_000]] as const) {
      for (const at of [150, 165]) {
        const where = at % FPS === 0 ? 'on a keyframe' : 'mid-GOP';
        it(`${mode}: setBitrate ${from} -> ${to} at frame ${at} (${where}) converges within a second`, () => {
          const run = runModel({
            cfg: config(mode, from),
            frames: at + 5 * FPS,
            kScale: 3,
            complexity: (t) => 1 + 0.1 * Math.sin(t / 7),
            before: (t, rc) => {
              if (t === at) rc.setBitrate(to, to);
            },
          });
          const before = deviation(rateOf(run.bits, 0, at), from);
          expect(Math.abs(before), `before the change: ${percent(before)} off ${from}`).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
          const first = deviation(rateOf(run.bits, at, at + FPS), to);
          const settled = deviation(rateOf(run.bits, at + FPS, at + 5 * FPS), to);
          const seconds = [0, 1, 2, 3, 4].map((s) => (rateOf(run.bits, at + s * FPS, at + (s + 1) * FPS) / to).toFixed(3)).join(', ');
          expect.soft(Math.abs(first), `first second after the change ${percent(first)} off ${to} (seconds after: ${seconds})`)
            .toBeLessThanOrEqual(SWITCH_FIRST_SECOND_TOLERANCE);
          expect.soft(Math.abs(settled), `seconds 2-5 after the change ${percent(settled)} off ${to} (seconds after: ${seconds})`)
            .toBeLessThanOrEqual(SWITCH_SETTLED_TOLERANCE);
          expectQpsInBounds(run);
        });
      }
    }
  }

  it('cqp: the constant QP for every frame and row, whatever the sizes; clamped by setQpRange', () => {
    const rc = new RateController(config('cqp', 600_000, { qp: 27 }));
    for (let t = 0; t < 40; t++) {
      const isIntra = t % FPS === 0;
      const complexity = 1000 * (1 + (t % 7));
      const plan = rc.planFrame(isIntra, complexity, false);
      expect(plan.qp, `frame ${t}`).toBe(27);
      expect(rc.rowQp(plan, plan.qp, 1e9, 0.5), `frame ${t}: row`).toBe(27);
      // Wildly wrong sizes change nothing.
      rc.frameDone(isIntra, t % 2 ? 1e8 : 8, plan.qp, complexity);
    }
    rc.setBitrate(10_000, 10_000);
    expect(rc.planFrame(false, 5000, false).qp).toBe(27);
    rc.setQpRange(30, 40);
    expect(rc.planFrame(false, 5000, false).qp).toBe(30);
    rc.setQpRange(10, 20);
    expect(rc.planFrame(true, 5000, false).qp).toBe(20);
    rc.setQpRange(0, 51);
    expect(rc.planFrame(false, 5000, false).qp).toBe(27);
  });
});

// ---------------------------------------------------------------------------------------------
// The encoder on real frames

interface EncoderRun {
  bits: number[];
  stats: FrameStats[];
  /** Bytes of each access unit (all non-empty: no frame dropped). */
  units: Uint8Array[];
  targetBitrate: number[];
}

function encodeRun(
  width: number,
  height: number,
  images: readonly EncoderImage[],
  options: EncoderOptions,
  before?: (t: number, encoder: H264Encoder) => void,
): EncoderRun {
  const encoder = new H264Encoder(width, height, options);
  const run: EncoderRun = { bits: [], stats: [], units: [], targetBitrate: [] };
  images.forEach((image, t) => {
    before?.(t, encoder);
    const au = encoder.encode(image);
    run.units.push(au);
    run.bits.push(au.length * 8);
    run.stats.push(encoder.stats());
    run.targetBitrate.push(encoder.targetBitrate);
  });
  encoder.close();
  return run;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Every frame's QP_Y range (stats) inside [lo, hi]. */
function expectStatsInBounds(stats: readonly FrameStats[], lo: number, hi: number, firstFrame = 0): void {
  stats.forEach((s, i) => {
    const t = firstFrame + i;
    expect(s.qpMin, `frame ${t}: lowest QP_Y within [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo);
    expect(s.qpMax, `frame ${t}: highest QP_Y within [${lo}, ${hi}]`).toBeLessThanOrEqual(hi);
    expect(s.qp, `frame ${t}: slice QP within [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo);
    expect(s.qp, `frame ${t}: slice QP within [${lo}, ${hi}]`).toBeLessThanOrEqual(hi);
    expect(s.qpMin <= s.qpAvg && s.qpAvg <= s.qpMax, `frame ${t}: qpMin <= qpAvg <= qpMax`).toBe(true);
  });
}

describe('H264Encoder rate control on foreman (CIF, preset realtime, 4 s per target)', () => {
  const W = 352, H = 288, SECONDS = 4, N = SECONDS * FPS;
  const SWITCH_TO = 400_000;
  let frames: EncoderImage[];
  beforeAll(async () => {
    const seq = await loadSequence('foreman_cif_352x288', N + 2 * FPS);
    frames = seq.frames.map((data) => ({ width: W, height: H, format: 'i420', data }));
  });

  // 1.5 Mb/s runs go on for two more seconds at 400 kb/s (setBitrate at frame N, a keyframe).
  const TARGETS = [['cbr', 200_000], ['cbr', 600_000], ['cbr', 1_500_000], ['vbr', 200_000], ['vbr', 1_500_000]] as const;
  for (const [mode, bitrate] of TARGETS) {
    const switches = bitrate === 1_500_000;
    describe(`${mode} ${bitrate} b/s${switches ? `, then setBitrate(${SWITCH_TO}) at frame ${N}` : ''}`, () => {
      let run: EncoderRun;
      beforeAll(() => {
        const images = frames.slice(0, switches ? N + 2 * FPS : N);
        run = encodeRun(W, H, images, { preset: 'realtime', rateControl: mode, bitrate }, (t, encoder) => {
          if (switches && t === N) encoder.setBitrate(SWITCH_TO);
        });
      });

      it(`averages the target within ±${percent(AVERAGE_TOLERANCE)} over ${SECONDS} s`, () => {
        const d = deviation(rateOf(run.bits, 0, N), bitrate);
        const seconds = Array.from({ length: SECONDS }, (_, s) => (rateOf(run.bits, s * FPS, (s + 1) * FPS) / bitrate).toFixed(3));
        expect(Math.abs(d), `average ${percent(d)} off ${bitrate} b/s (seconds: ${seconds.join(', ')})`).toBeLessThanOrEqual(AVERAGE_TOLERANCE);
      });

      it('keeps every macroblock QP inside the default bounds [10, 40]', () => {
        expectStatsInBounds(run.stats, 10, 40);
      });

      if (mode === 'cbr') {
        it('never underflows the leaky bucket (1 s of bitrate, 90% full at the start)', () => {
          const vbv = leakyBucket(run.bits.slice(0, N), bitrate, FPS, bitrate);
          expect(vbv.underflows, `frames that underflow (lowest fill ${percent(vbv.lowestFill)} at frame ${vbv.lowestAt})`).toEqual([]);
          for (const [t, s] of run.stats.slice(0, N).entries()) {
            expect(s.vbvFill, `frame ${t}: stats().vbvFill within [0, vbvBuffer]`).not.toBeNull();
            expect(s.vbvFill!, `frame ${t}: stats().vbvFill`).toBeGreaterThanOrEqual(0);
            expect(s.vbvFill!, `frame ${t}: stats().vbvFill`).toBeLessThanOrEqual(bitrate);
          }
        });

        it(`has no one-second window above ${CBR_WINDOW_PEAK}x the target`, () => {
          const peak = peakWindow(run.bits.slice(0, N), FPS) / bitrate;
          expect(peak, `peak one-second window ${peak.toFixed(3)}x the target`).toBeLessThanOrEqual(CBR_WINDOW_PEAK);
        });
      } else {
        it('reports no VBV fill', () => {
          for (const s of run.stats) expect(s.vbvFill).toBeNull();
        });
      }

      if (switches) {
        it(`after setBitrate(${SWITCH_TO}): within ±${percent(SWITCH_FIRST_SECOND_TOLERANCE)} over the next second, ±${percent(SWITCH_SETTLED_TOLERANCE)} over the one after`, () => {
          expect(run.targetBitrate[N - 1]).toBe(bitrate);
          expect(run.targetBitrate[N]).toBe(SWITCH_TO);
          const first = deviation(rateOf(run.bits, N, N + FPS), SWITCH_TO);
          const second = deviation(rateOf(run.bits, N + FPS, N + 2 * FPS), SWITCH_TO);
          const qps = run.stats.slice(N - 2, N + 10).map((s) => s.qp).join(', ');
          expect.soft(Math.abs(first), `first second ${percent(first)} off ${SWITCH_TO} (QPs around the change: ${qps})`)
            .toBeLessThanOrEqual(SWITCH_FIRST_SECOND_TOLERANCE);
          // Real content: one second of foreman varies by several percent even at a constant
          // target (vbr is free per frame), so the settled second gets twice the model's tolerance.
          expect.soft(Math.abs(second), `second second ${percent(second)} off ${SWITCH_TO}`).toBeLessThanOrEqual(2 * SWITCH_SETTLED_TOLERANCE);
        });
      }
    });
  }

  describe('QP bounds [30, 34] that the target cannot meet', () => {
    const BOUNDED = 20;
    for (const [mode, bitrate, bound] of [['cbr', 100_000, 34], ['vbr', 100_000, 34], ['cbr', 5_000_000, 30]] as const) {
      it(`${mode} ${bitrate} b/s: every macroblock at QP ${bound}, and no frame dropped`, async () => {
        const run = encodeRun(W, H, frames.slice(0, BOUNDED), { preset: 'realtime', rateControl: mode, bitrate, qpMin: 30, qpMax: 34 });
        expectStatsInBounds(run.stats, 30, 34);
        const qps = run.stats.map((s) => `${s.type}${s.qp}:${s.qpMin}-${s.qpMax}`).join(' ');
        // The controller may try a step inside the bounds while its model learns the clip (the
        // first P frames); the stream must still sit at the bound.
        const offBound = run.stats.flatMap((s, t) => (s.qp === bound && s.qpMin === bound && s.qpMax === bound ? [] : [t]));
        expect(offBound.length, `frames not at QP ${bound} (type QP:min-max per frame: ${qps})`).toBeLessThanOrEqual(BOUNDED / 10);
        for (const [t, au] of run.units.entries()) expect(au.length, `frame ${t}: an access unit`).toBeGreaterThan(0);
        const decoded = await decodeWithFfmpeg(concat(run.units), { width: W, height: H, expectedFrames: BOUNDED });
        expect(decoded.frames.length, 'decoded frames = input frames').toBe(BOUNDED);
      });
    }
  });

  it('setQpRange applies from the next frame, to every macroblock (cbr with AQ 2; cqp)', () => {
    const ranges: Record<number, [number, number]> = { 4: [36, 38], 8: [12, 14], 12: [26, 26] };
    const change = (t: number, encoder: H264Encoder) => {
      const r = ranges[t];
      if (r) encoder.setQpRange(...r);
    };
    const cbr = encodeRun(W, H, frames.slice(0, 16), { preset: 'realtime', rateControl: 'cbr', bitrate: 600_000, aqStrength: 2 }, change);
    const cqp = encodeRun(W, H, frames.slice(0, 16), { preset: 'realtime', qp: 30 }, change);
    expectStatsInBounds(cbr.stats.slice(0, 4), 10, 40);
    expect(cqp.stats.slice(0, 4).map((s) => [s.qpMin, s.qpMax])).toEqual(Array(4).fill([30, 30]));
    for (const [t, [lo, hi]] of Object.entries(ranges).map(([t, r]) => [Number(t), r] as const)) {
      const range = (s: FrameStats) => [s.qpMin, s.qpMax];
      expectStatsInBounds(cbr.stats.slice(t, t + 4), lo, hi, t);
      expect(cqp.stats.slice(t, t + 4).map(range), `cqp from frame ${t}: QP 30 clamped into [${lo}, ${hi}]`)
        .toEqual(Array(4).fill([Math.min(hi, Math.max(lo, 30)), Math.min(hi, Math.max(lo, 30))]));
    }
    // AQ spreads QP over the macroblocks where the range allows it.
    expect(cbr.stats.slice(0, 4).some((s) => s.qpMin < s.qpMax), 'AQ varies QP per macroblock').toBe(true);
  });
});

describe('rate-control options and setters: bad values', () => {
  const image = syntheticImage('gradient-diagonal', 64, 48);
  const CONSTRUCTOR_CASES: [label: string, options: unknown, cls: typeof RangeError | typeof TypeError, ...fragments: string[]][] = [
    ['negative bitrate', { bitrate: -1 }, RangeError, 'options.bitrate must be an integer from 0 to 240000000', 'got -1'],
    ['NaN bitrate', { bitrate: Number.NaN }, TypeError, 'options.bitrate must be an integer', 'got NaN'],
    ['qpMin > qpMax', { qpMin: 35, qpMax: 30 }, RangeError, 'qpMin (35)', 'qpMax (30)', 'must not be greater'],
    ['rateControl "foo"', { rateControl: 'foo' }, TypeError, 'options.rateControl must be one of cbr, vbr, cqp', 'got "foo"'],
    ['qp with rateControl cbr', { qp: 30, rateControl: 'cbr' }, RangeError, 'options.qp', "'cqp'", "'cbr'"],
    ['qp with rateControl vbr', { qp: 30, rateControl: 'vbr' }, RangeError, 'options.qp', "'cqp'", "'vbr'"],
    ['aqStrength 3', { aqStrength: 3 }, RangeError, 'options.aqStrength must be a number from 0 to 2', 'got 3'],
    ['aqStrength NaN', { aqStrength: Number.NaN }, RangeError, 'options.aqStrength must be a number from 0 to 2', 'got NaN'],
    ['vbvBuffer 0', { vbvBuffer: 0 }, RangeError, 'options.vbvBuffer must be an integer from 1000', 'got 0'],
  ];
  it.each(CONSTRUCTOR_CASES)('new H264Encoder: %s', (_label, options, cls, ...fragments) => {
    expectError(() => new H264Encoder(64, 48, options as EncoderOptions), cls, 'ERR_INVALID_ARG', ...fragments);
  });

  it('setBitrate and setQpRange refuse bad values, naming them, and change nothing', () => {
    const encoder = new H264Encoder(64, 48, { rateControl: 'cbr', bitrate: 300_000, qpMin: 24, qpMax: 26, aqStrength: 2 });
    encoder.encode(image);
    const expectation = 'bitrate must be an integer from 1 to 240000000 bits/s';
    expectError(() => encoder.setBitrate(0), RangeError, 'ERR_INVALID_ARG', expectation, 'got 0');
    expectError(() => encoder.setBitrate(-1), RangeError, 'ERR_INVALID_ARG', expectation, 'got -1');
    expectError(() => encoder.setBitrate(1.5), TypeError, 'ERR_INVALID_ARG', expectation, 'got 1.5');
    expectError(() => encoder.setBitrate(Number.NaN), TypeError, 'ERR_INVALID_ARG', expectation, 'got NaN');
    expectError(() => encoder.setBitrate(240_000_001), RangeError, 'ERR_INVALID_ARG', expectation, 'got 240000001');
    expectError(() => encoder.setQpRange(35, 30), RangeError, 'ERR_INVALID_ARG', 'qpMin (35)', 'qpMax (30)', 'must not be greater');
    expectError(() => encoder.setQpRange(-1, 30), RangeError, 'ERR_INVALID_ARG', 'qpMin must be an integer from 0 to 51', 'got -1');
    expectError(() => encoder.setQpRange(20, 52), RangeError, 'ERR_INVALID_ARG', 'qpMax must be an integer from 0 to 51', 'got 52');
    expectError(() => encoder.setQpRange(Number.NaN, 30), TypeError, 'ERR_INVALID_ARG', 'qpMin must be an integer from 0 to 51', 'got NaN');
    expectError(() => encoder.setQpRange(20, 30.5), TypeError, 'ERR_INVALID_ARG', 'qpMax must be an integer from 0 to 51', 'got 30.5');
    // Still usable, with the settings it had.
    expect(encoder.targetBitrate).toBe(300_000);
    for (let i = 0; i < 3; i++) {
      expect(encoder.encode(image).length).toBeGreaterThan(0);
      const s = encoder.stats();
      expect([s.qpMin >= 24, s.qpMax <= 26], `frame ${i + 2}: QP_Y ${s.qpMin}..${s.qpMax} still within [24, 26]`).toEqual([true, true]);
    }
    encoder.setBitrate(200_000);
    expect(encoder.targetBitrate).toBe(200_000);
    encoder.close();
  });
});

describe('scene cuts (176x144: a pan, then an unrelated pan from frame 20)', () => {
  // gop 60: no periodic IDR inside the clip.
  const W = 176, H = 144, FRAMES = 40, CUT = FRAMES >> 1, GOP = 60;
  let images: EncoderImage[];
  beforeAll(() => {
    images = motionClip({ kind: 'scene-cut' }, W, H, FRAMES);
  });

  for (const [label, options, idrs] of [
    ['cbr: an IDR at the cut', { rateControl: 'cbr', bitrate: 300_000, gop: GOP }, [0, CUT]],
    ['vbr: an IDR at the cut', { rateControl: 'vbr', bitrate: 300_000, gop: GOP }, [0, CUT]],
    ['cqp: no IDR but the first', { qp: 27, gop: GOP }, [0]],
  ] as const) {
    it(label, () => {
      const encoder = new H264Encoder(W, H, { preset: 'realtime', ...options });
      const keyframes: number[] = [], cuts: number[] = [];
      images.forEach((image, t) => {
        encoder.encode(image);
        const s = encoder.stats();
        if (encoder.keyframe()) keyframes.push(t);
        if (s.sceneCut) cuts.push(t);
        expect(s.keyframe, `frame ${t}: stats().keyframe = keyframe()`).toBe(encoder.keyframe());
        expect(s.type, `frame ${t}`).toBe(encoder.keyframe() ? 'I' : 'P');
      });
      encoder.close();
      expect(keyframes, 'IDR frames').toEqual(idrs);
      expect(cuts, 'frames with stats().sceneCut').toEqual(idrs.filter((t) => t > 0));
    });
  }
});
