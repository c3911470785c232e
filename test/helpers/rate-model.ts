/**
 * Rate-control test models, independent of the encoder's own accounting:
 * - a synthetic encoder whose frame of complexity C at QP q takes k * C / qscale(q) bits, driving
 *   RateController the way H264Encoder does (planFrame, rowQp per macroblock row, frameDone);
 * - the decoder's leaky bucket (H.264 Annex C's coded picture buffer with arrival at the bitrate),
 *   and the rate measures the tests hold the controller to (average, peak one-second window).
 */
import { gopTilt, qpToQscale, RateController, type RateControlConfig } from '../../encoder/rate-control.js';
import { prng } from './synthetic.js';

// ---------------------------------------------------------------------------------------------
// Measures

/** Mean bits per second of `bits` (one entry per frame) at `fps`. */
export function averageBitrate(bits: readonly number[], fps: number): number {
  return (bits.reduce((a, b) => a + b, 0) * fps) / bits.length;
}

/** The largest sum of `window` consecutive entries (all of them when there are fewer). */
export function peakWindow(bits: readonly number[], window: number): number {
  let sum = 0, peak = 0;
  for (let i = 0; i < bits.length; i++) {
    sum += bits[i]!;
    if (i >= window) sum -= bits[i - window]!;
    if (i >= window - 1 || i === bits.length - 1) peak = Math.max(peak, sum);
  }
  return peak;
}

export interface VbvResult {
  /** Frames (0-based) larger than the buffer's fill when they were removed. */
  underflows: number[];
  /** Lowest fill just before a removal, as a fraction of the buffer, and the frame it was at. */
  lowestFill: number;
  lowestAt: number;
}

/**
 * The coded picture buffer as a decoder sees it (H.264 Annex C.1, and x264's VBV model): `size`
 * bits, `initial` of them (x264's vbv-init 0.9) present when the first frame is removed; each
 * frame's bits leave the buffer at its removal time, and bitrate / fps bits arrive between
 * removals, up to the size (arrival pauses while it is full). A frame larger than the fill at its
 * removal has not fully arrived: an underflow.
 */
export function leakyBucket(bits: readonly number[], bitrate: number, fps: number, size: number, initial = 0.9): VbvResult {
  let fill = initial * size, lowest = Infinity, lowestAt = -1;
  const underflows: number[] = [];
  bits.forEach((b, i) => {
    if (b > fill) underflows.push(i);
    if (fill / size < lowest) {
      lowest = fill / size;
      lowestAt = i;
    }
    fill = Math.min(size, fill - b + bitrate / fps);
  });
  return { underflows, lowestFill: lowest, lowestAt };
}

// ---------------------------------------------------------------------------------------------
// The synthetic encoder

/** The controller's initial size-model factor k for a frame type: bits * qscale / C of its first plan. */
export function initialK(cfg: RateControlConfig, isIntra: boolean, complexity: number): number {
  const plan = new RateController(cfg).planFrame(isIntra, complexity, false);
  return (plan.targetBits * qpToQscale(plan.qp)) / complexity;
}

export interface ModelRun {
  /** Per frame: bits, whether it was an I frame, the planned QP, the QPs of its rows. */
  bits: number[];
  intra: boolean[];
  planQp: number[];
  rowQps: number[][];
  /** Frames whose first coding exceeded plan.maxBits and were coded again (as the encoder does). */
  recoded: number[];
  /** [qpMin, qpMax] in force for each frame. */
  bounds: [number, number][];
  /** The controller's vbvFill after each frame. */
  vbvFill: number[];
}

export interface ModelOptions {
  cfg: RateControlConfig;
  frames: number;
  /**
   * P-frame complexity of frame t relative to the base content, which takes cfg.bitrate / cfg.fps
   * bits at QP `baseQp` (a target the controller can meet); an I frame's intra complexity is
   * `intraRatio` times the P complexity.
   */
  complexity: (t: number) => number;
  baseQp?: number;
  intraRatio?: number;
  /** The true k of each frame type as a multiple of the controller's initial guess. */
  kScale: number;
  /** Each frame's size is multiplied by a pseudo-random factor in [1 - wobble, 1 + wobble]. */
  wobble?: number;
  seed?: number;
  /** Macroblock rows per frame (row control). */
  rows?: number;
  /**
   * How well each P frame predicts from the last (the propagation fraction H264Encoder passes to
   * gopTilt); default 0, no tilt.
   */
  propagation?: number;
  /** Frames coded as scene-cut IDRs (the GOP restarts there). */
  sceneCuts?: ReadonlySet<number>;
  /** Called before frame t is planned (setBitrate, setQpRange). */
  before?: (t: number, rc: RateController) => void;
}

/**
 * Codes `frames` synthetic frames through a RateController as H264Encoder does: an IDR every
 * cfg.gop frames (and at scene cuts), the GOP tilt of `propagation`, the plan's QP for the first row, rowQp() before every other
 * row, the frame coded again 2 QP coarser while it exceeds plan.maxBits and QP allows, then
 * frameDone() with the mean QP over the rows.
 */
export function runModel(opts: ModelOptions): ModelRun {
  const { cfg, frames, kScale } = opts;
  const intraRatio = opts.intraRatio ?? 3, wobble = opts.wobble ?? 0.15, rows = opts.rows ?? 18;
  const rnd = prng(opts.seed ?? 1);
  const uniform = () => rnd() / 4294967296;
  const kI = kScale * initialK(cfg, true, 1e6), kP = kScale * initialK(cfg, false, 1e6);
  const base = ((cfg.bitrate / cfg.fps) * qpToQscale(opts.baseQp ?? 26)) / kP;
  // Row weights: how the frame's complexity spreads over its rows (fixed, uneven).
  const weights = Array.from({ length: rows }, (_, r) => 0.5 + ((r * 7) % rows) / rows);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const rc = new RateController(cfg);
  const run: ModelRun = { bits: [], intra: [], planQp: [], rowQps: [], recoded: [], bounds: [], vbvFill: [] };
  let sinceIdr = -1;
  for (let t = 0; t < frames; t++) {
    opts.before?.(t, rc);
    const sceneCut = t > 0 && (opts.sceneCuts?.has(t) ?? false);
    const isIntra = sinceIdr < 0 || sinceIdr + 1 >= cfg.gop || sceneCut;
    sinceIdr = isIntra ? 0 : sinceIdr + 1;
    const complexity = base * opts.complexity(t) * (isIntra ? intraRatio : 1);
    const k = isIntra ? kI : kP;
    const frameWobble = 1 + wobble * (2 * uniform() - 1);
    const rowWobble = weights.map(() => 1 + 0.3 * wobble * (2 * uniform() - 1));
    const bounds: [number, number] = [rc.qpMin, rc.qpMax];
    const tilt = isIntra ? 0 : gopTilt(opts.propagation ?? 0, cfg.gop - 1 - sinceIdr, cfg.gop);
    let plan = rc.planFrame(isIntra, complexity, sceneCut, tilt);
    const code = (): { bits: number; qps: number[] } => {
      let spent = 0, done = 0, qp = plan.qp;
      const qps: number[] = [];
      for (let r = 0; r < rows; r++) {
        if (r > 0) qp = rc.rowQp(plan, qp, spent, done / weightSum);
        qps.push(qp);
        spent += (k * complexity * (weights[r]! / weightSum) * frameWobble * rowWobble[r]!) / qpToQscale(qp);
        done += weights[r]!;
      }
      return { bits: Math.round(spent), qps };
    };
    let coded = code();
    if (coded.bits > plan.maxBits && plan.qp < rc.qpMax) run.recoded.push(t);
    while (coded.bits > plan.maxBits && plan.qp < rc.qpMax) {
      plan = { ...plan, qp: Math.min(rc.qpMax, plan.qp + 2), targetBits: (plan.targetBits * 0.9 * plan.maxBits) / coded.bits };
      coded = code();
    }
    const qpAvg = coded.qps.reduce((a, b) => a + b, 0) / rows;
    rc.frameDone(isIntra, coded.bits, qpAvg, complexity);
    run.bits.push(coded.bits);
    run.intra.push(isIntra);
    run.planQp.push(plan.qp);
    run.rowQps.push(coded.qps);
    run.bounds.push(bounds);
    run.vbvFill.push(rc.vbvFill);
  }
  return run;
}
