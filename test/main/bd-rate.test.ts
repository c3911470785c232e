// The Bjøntegaard delta rate (VCEG-M33 cubic fit) on curves whose answer is known.
import { describe, expect, it } from 'vitest';
import { bdRate, type RdPoint } from '../../main/bench/bd-rate.js';

const curve = (rates: number[], qualities: number[]): RdPoint[] => rates.map((rate, i) => ({ rate, quality: qualities[i]! }));

/** A plausible x264-like curve: kb/s at QP 22, 27, 32, 37 and their Y-PSNR. */
const REF = curve([2450.3, 1180.7, 560.2, 270.9], [42.91, 39.85, 36.62, 33.48]);

/**
 * "Test 1" of the FAU-LMS bjontegaard package (github.com/FAU-LMS/bjontegaard, README and
 * example_usage.py, BSD-3-Clause): libx265 at two presets. The package prints only its Akima
 * result; the cubic result below is numpy's VCEG-M33 evaluation (np.polyfit(psnr, np.log10(rate), 3),
 * np.polyint, (10 ** mean_diff - 1) * 100), run independently of this code.
 */
const FAU_ANCHOR = curve([9487.76, 4593.6, 2486.44, 1358.24], [40.037, 38.615, 36.845, 34.851]);
const FAU_TEST = curve([9787.8, 4469.0, 2451.52, 1356.24], [40.121, 38.651, 36.97, 34.987]);
const FAU_TEST_1_CUBIC = -4.420462706234385;
/** Its "Test 3": six points per curve, so the cubic is a least-squares fit (numpy as above). */
const FAU_ANCHOR_6 = curve([82472.76, 26875.24, 9487.76, 4593.6, 3600, 2900], [43.825, 41.404, 40.037, 38.615, 36.5, 35.1]);
const FAU_TEST_6 = curve([99896.96, 33952.04, 9787.8, 4469.0, 4040, 3300], [44.731, 41.875, 40.121, 38.651, 37, 36.5]);
const FAU_TEST_3_CUBIC = -0.6392886208368087;

const scaled = (c: RdPoint[], factor: number) => c.map((p) => ({ ...p, rate: p.rate * factor }));

describe('bdRate', () => {
  it('is 0% for a curve against itself', () => {
    expect(bdRate(REF, REF)).toBeCloseTo(0, 12);
    expect(bdRate(FAU_ANCHOR, FAU_ANCHOR)).toBeCloseTo(0, 12);
  });

  it('is -10% when every rate is scaled by 0.9, +10% by 1.1, whatever the curve', () => {
    for (const c of [REF, FAU_ANCHOR, FAU_ANCHOR_6]) {
      expect(bdRate(c, scaled(c, 0.9))).toBeCloseTo(-10, 10);
      expect(bdRate(c, scaled(c, 1.1))).toBeCloseTo(10, 10);
      expect(bdRate(c, scaled(c, 2))).toBeCloseTo(100, 9);
    }
  });

  it('matches the VCEG-M33 cubic on published curves (four points, and six by least squares)', () => {
    expect(bdRate(FAU_ANCHOR, FAU_TEST)).toBeCloseTo(FAU_TEST_1_CUBIC, 8);
    expect(bdRate(FAU_ANCHOR_6, FAU_TEST_6)).toBeCloseTo(FAU_TEST_3_CUBIC, 8);
  });

  it('does not depend on the order of the points, and swapping the curves inverts the ratio', () => {
    expect(bdRate([...FAU_ANCHOR].reverse(), [FAU_TEST[2]!, FAU_TEST[0]!, FAU_TEST[3]!, FAU_TEST[1]!])).toBeCloseTo(FAU_TEST_1_CUBIC, 8);
    // Same interval, so the mean log differences are opposite: (1 + a)(1 + b) = 1.
    const forward = bdRate(FAU_ANCHOR, FAU_TEST) / 100, backward = bdRate(FAU_TEST, FAU_ANCHOR) / 100;
    expect((1 + forward) * (1 + backward)).toBeCloseTo(1, 12);
  });

  it('integrates only where the curves overlap', () => {
    // log10(rate) an exact cubic of quality: both fits recover it. The test curve samples
    // 0.8 times it over 36..42 dB only, the upper half of the reference's 30..42 dB.
    const logRate = (q: number) => 2 + 0.05 * (q - 30) + 0.002 * (q - 30) ** 2 + 0.0001 * (q - 30) ** 3;
    const ref = [30, 34, 38, 42].map((q) => ({ rate: 10 ** logRate(q), quality: q }));
    const test = [36, 38, 40, 42].map((q) => ({ rate: 0.8 * 10 ** logRate(q), quality: q }));
    expect(bdRate(ref, test)).toBeCloseTo(-20, 9);
  });

  it('is NaN when the curves share no quality range', () => {
    const above = REF.map((p) => ({ ...p, quality: p.quality + 20 }));
    expect(bdRate(REF, above)).toBeNaN();
    expect(bdRate(above, REF)).toBeNaN();
    // Touching at one point is no range either.
    const touching = REF.map((p) => ({ ...p, quality: p.quality + (42.91 - 33.48) }));
    expect(bdRate(REF, touching)).toBeNaN();
  });

  it('refuses curves a cubic cannot be fitted to, naming the problem', () => {
    expect(() => bdRate(REF.slice(0, 3), REF)).toThrow('BD-rate needs at least 4 points per curve, the reference curve has 3');
    expect(() => bdRate(REF, [...REF.slice(0, 3), { rate: 0, quality: 30 }])).toThrow('rate of test point 3 must be positive and finite, got 0');
    expect(() => bdRate(REF, [...REF.slice(0, 3), { rate: 100, quality: Number.NaN }])).toThrow('quality of test point 3 must be finite, got NaN');
    expect(() => bdRate(curve([1, 2, 3, 4], [30, 30, 35, 40]), REF)).toThrow('the reference curve has 3 distinct quality values, a cubic fit needs 4');
  });
});
