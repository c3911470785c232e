/**
 * Bjøntegaard delta rate (G. Bjøntegaard, "Calculation of average PSNR differences between
 * RD-curves", VCEG-M33, 2001): how many more bits, in percent, the test encoder spends than the
 * reference for the same quality, averaged over the quality range both curves cover.
 *
 * Each curve is fitted with a cubic polynomial giving log10(rate) as a function of quality (least
 * squares; with exactly four points the cubic passes through them, as in VCEG-M33), both
 * polynomials are integrated over the common quality interval, and the mean difference d of
 * log10(rate) becomes (10^d - 1) * 100 %. Negative means the test encoder needs fewer bits.
 * This is the original cubic fit, not the piecewise (PCHIP, Akima) variants of later test
 * conditions; with four well-spaced points per curve they agree closely.
 */

export interface RdPoint {
  /** Bit rate in any unit, the same for both curves (kb/s in the bench). */
  rate: number;
  /** Quality in dB (Y-PSNR in the bench), or any quality measure where higher is better. */
  quality: number;
}

/** Points a cubic fit needs. */
export const BD_MIN_POINTS = 4;

/**
 * BD-rate of `test` against `reference` in percent. NaN when the curves share no quality range
 * (one lies entirely above the other: there is nothing to compare at equal quality). Throws a
 * RangeError for a curve with fewer than four points, a rate that is not positive and finite, a
 * quality that is not finite, or qualities that do not determine a cubic (fewer than four distinct).
 */
export function bdRate(reference: readonly RdPoint[], test: readonly RdPoint[]): number {
  checkCurve('reference', reference);
  checkCurve('test', test);
  const lo = Math.max(minQuality(reference), minQuality(test));
  const hi = Math.min(maxQuality(reference), maxQuality(test));
  if (!(hi > lo)) return Number.NaN;
  const ref = fitLogRate('reference', reference), tst = fitLogRate('test', test);
  const meanDiff = (tst.integral(lo, hi) - ref.integral(lo, hi)) / (hi - lo);
  return (10 ** meanDiff - 1) * 100;
}

function checkCurve(name: string, curve: readonly RdPoint[]): void {
  if (curve.length < BD_MIN_POINTS) throw new RangeError(`BD-rate needs at least ${BD_MIN_POINTS} points per curve, the ${name} curve has ${curve.length}`);
  for (const [i, p] of curve.entries()) {
    if (!(Number.isFinite(p.rate) && p.rate > 0)) throw new RangeError(`BD-rate: rate of ${name} point ${i} must be positive and finite, got ${p.rate}`);
    if (!Number.isFinite(p.quality)) throw new RangeError(`BD-rate: quality of ${name} point ${i} must be finite, got ${p.quality}`);
  }
  const distinct = new Set(curve.map((p) => p.quality)).size;
  if (distinct < BD_MIN_POINTS) throw new RangeError(`BD-rate: the ${name} curve has ${distinct} distinct quality values, a cubic fit needs ${BD_MIN_POINTS}`);
}

const minQuality = (c: readonly RdPoint[]) => Math.min(...c.map((p) => p.quality));
const maxQuality = (c: readonly RdPoint[]) => Math.max(...c.map((p) => p.quality));

interface Cubic {
  /** ∫ p(q) dq from a to b. */
  integral(a: number, b: number): number;
}

/**
 * Least-squares cubic log10(rate) = Σ c_k t^k in t = (q - centre) / scale, the curve's quality
 * range mapped onto [-1, 1] so that the normal equations stay well conditioned (raw PSNR powers
 * up to 45^6 would lose most of a double's digits).
 */
function fitLogRate(name: string, curve: readonly RdPoint[]): Cubic {
  const qMin = minQuality(curve), qMax = maxQuality(curve);
  const centre = (qMin + qMax) / 2, scale = (qMax - qMin) / 2;
  // Normal equations A c = r with A[j][k] = Σ t^(j+k), r[j] = Σ t^j y.
  const a = Array.from({ length: 4 }, () => new Array<number>(5).fill(0));
  for (const p of curve) {
    const t = (p.quality - centre) / scale, y = Math.log10(p.rate);
    const pow = [1, t, t * t, t * t * t];
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k < 4; k++) a[j]![k]! += pow[j]! * pow[k]!;
      a[j]![4]! += pow[j]! * y;
    }
  }
  const c = solve4(a, name);
  // Antiderivative in q: ∫ Σ c_k t^k dq = scale * Σ c_k t^(k+1) / (k+1).
  const antiderivative = (q: number) => {
    const t = (q - centre) / scale;
    return scale * t * (c[0]! + t * (c[1]! / 2 + t * (c[2]! / 3 + t * (c[3]! / 4))));
  };
  return { integral: (lo, hi) => antiderivative(hi) - antiderivative(lo) };
}

/** Gaussian elimination with partial pivoting on a 4x5 augmented matrix. */
function solve4(m: number[][], name: string): number[] {
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-12) throw new RangeError(`BD-rate: the ${name} curve's qualities do not determine a cubic`);
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < 4; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k < 5; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  const x = new Array<number>(4).fill(0);
  for (let r = 3; r >= 0; r--) {
    let s = m[r]![4]!;
    for (let k = r + 1; k < 4; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}
