/**
 * Frame- and row-level rate control with zero lookahead (encoder/docs/rate-control.md).
 *
 * Model. A frame of complexity C (FrameAnalysis: lowres SATD) coded at quantiser scale
 * q = 0.85 * 2^((QP - 12) / 6) takes about k * C / q bits; k is learnt per frame type from the
 * frames already coded (a decaying average, as x264's predictors do).
 *
 * Bitrate (cbr, vbr). As in x264's one-pass ABR, the P-frame scale is q = C_blur^(1 - qcomp) / r,
 * where C_blur is a short-term blur of P complexities and the rate factor r = wanted bits /
 * sum(bits * q / C_blur^(1 - qcomp)) over a decaying window: complex frames get more bits, but not
 * proportionally more. The accumulated error against the target (bits spent - bits wanted) then
 * scales q by 1 + error / (abrBuffer), bounded to [0.5, 2], which pulls the average back. I frames
 * take the P scale divided by ipFactor (x264's 1.4: about 3 QP finer), and are charged to the
 * window as the P frames they replace, spread over the frames of their GOP (the keyframe is the
 * GOP's: charged at once, its bits would make the P frames right after it pay for it alone).
 *
 * GOP tilt. A P frame's quality lives on in the frames that predict from it, up to the next IDR.
 * Without lookahead the encoder cannot know how much each frame will be referenced, but it knows
 * where the next IDR is scheduled and how well this frame predicts from the last (its propagation
 * fraction f = 1 - inter / intra complexity). Assuming the next frames predict alike, x264's
 * macroblock-tree formula on a whole frame gives the P frames near the end of a GOP a coarser QP
 * and the ones near its start a finer one (gopTilt).
 *
 * VBV (cbr). A leaky bucket of `vbvBuffer` bits filled at the bitrate, drained by each frame
 * (the decoder's coded picture buffer, arrival at the bitrate, removal at each frame time): it
 * must never go negative. Before a frame, q is raised until the predicted size leaves the bucket
 * above a low-water mark (half the buffer after a P frame; for an I frame a size cap so a
 * keyframe burst stays short of 0.45 of the buffer above one frame's share), and lowered
 * when the bucket would overflow (bits the bitrate allows left unused). While the frame is coded,
 * row by row, the bits spent are compared with the plan and QP moves by ±1 per row. A frame that
 * still would underflow the bucket is coded again at a higher QP (encoder).
 */

export type RateControlMode = 'cbr' | 'vbr' | 'cqp';

export interface RateControlConfig {
  mode: RateControlMode;
  bitrate: number;
  fps: number;
  /** cbr only: bucket size in bits. */
  vbvBuffer: number;
  qpMin: number;
  qpMax: number;
  /** cqp: the constant QP. */
  qp: number;
  /** Frames per IDR (1: every frame intra, so I frames follow the rate factor themselves). */
  gop: number;
}

/** Decision for one frame. */
export interface FramePlan {
  qp: number;
  /** Predicted bits at qp (what row control steers to); Infinity in cqp. */
  targetBits: number;
  /** Bits above which the VBV would underflow (cbr); Infinity otherwise. */
  maxBits: number;
  /** cbr: the frame should stay below this (the bucket's low-water mark) ... */
  capBits: number;
  /** ... and above this (below it the bucket overflows: bits the bitrate allowed, unused). */
  floorBits: number;
}

export const QCOMP = 0.6;
export const IP_FACTOR = 1.4;
/** Initial k of the size model, per frame type (measured on the test clips: encoder/docs). */
const INITIAL_K_I = 0.75;
const INITIAL_K_P = 0.45;
/** The VBV's fill at the start, as a fraction of its size (x264's vbv-init default). */
const VBV_INIT = 0.9;
/** P frames keep the bucket above this fraction of its size. */
const VBV_LOW_P = 0.5;
/**
 * An I frame may take at most this fraction of the buffer beyond one frame's share. x264's
 * keyframes take 0.3 to 0.4 of a one-second buffer at the bench's lower rates; a smaller allowance
 * (0.2 once) left keyframes coarser than the P frames predicted from them.
 */
const VBV_I_FRACTION = 0.45;
/**
 * cbr: the frames of any one second should stay within this multiple of the bitrate (a margin
 * under the 1.2 the studio promises, for prediction error).
 */
const WINDOW_PEAK = 1.12;
/** Per-frame decay of the rate factor's window (about 100 frames of memory). */
const WINDOW_DECAY = 0.99;
/** Largest frame-to-frame QP step of one frame type (x264's qpstep). */
const QP_STEP = 4;

/** Strength of the GOP tilt: x264's macroblock-tree strength, 5 * (1 - qcomp). */
export const TILT_STRENGTH = 5 * (1 - QCOMP);
/** Propagation fractions are bounded below 1: a perfectly still frame would weigh infinitely. */
const TILT_MAX_FRACTION = 0.9;
/** I-frame bits are spread over at most this many seconds of frames (the GOP when shorter). */
const KEYFRAME_SPREAD_SECONDS = 2;

/**
 * QP offset of the P frame `framesToIdr` frames before the next scheduled IDR, in a GOP of `gop`
 * frames whose frames predict with propagation fraction f (0..1). x264's macroblock tree gives a
 * block whose data the next n frames reuse with fraction f each the offset
 * -strength * log2(1 + f + f^2 + ... + f^n); applied to a frame, and centred on the GOP's P frames
 * so that the average QP stays what the rate factor asks for.
 */
export function gopTilt(f: number, framesToIdr: number, gop: number): number {
  if (gop <= 2 || !(f > 0)) return 0;
  const a = Math.min(TILT_MAX_FRACTION, f);
  const offset = (n: number): number => -Math.log2(1 + (a * (1 - Math.pow(a, n))) / (1 - a));
  // The mean over the GOP's P frames; past a^n < 1e-9 the offset is its limit, log2(1 - a).
  let sum = 0, n = 0;
  for (let an = 1; n < gop - 1 && an > 1e-9; n++, an *= a) sum += offset(n);
  const mean = (sum + (gop - 1 - n) * Math.log2(1 - a)) / (gop - 1);
  return TILT_STRENGTH * (offset(Math.max(0, Math.min(gop - 2, framesToIdr))) - mean);
}

export function qpToQscale(qp: number): number {
  return 0.85 * Math.pow(2, (qp - 12) / 6);
}

export function qscaleToQp(q: number): number {
  return 12 + 6 * Math.log2(q / 0.85);
}

/** A decaying average of k = bits * q / C. */
class SizePredictor {
  private sum: number;
  private count = 1;
  constructor(k: number, private readonly decay: number) {
    this.sum = k;
  }
  get k(): number {
    return this.sum / this.count;
  }
  bits(complexity: number, q: number): number {
    return (this.k * complexity) / q;
  }
  update(complexity: number, q: number, bits: number): void {
    if (complexity <= 0) return;
    this.sum = this.sum * this.decay + (bits * q) / complexity;
    this.count = this.count * this.decay + 1;
  }
}

/** An amount counted 1/L at once and the rest in equal steps over the next L - 1 frames. */
class Spreader {
  private left = 0;
  private step = 0;
  /** Starts spreading `amount` over `frames` frames: returns what counts now, with all that was left of the last. */
  start(amount: number, frames: number): number {
    const now = amount / frames + this.left;
    this.left = amount - amount / frames;
    this.step = frames > 1 ? this.left / (frames - 1) : 0;
    return now;
  }
  /** What is left, and its steps, scaled (a new bitrate: as if sized for it). */
  scale(ratio: number): void {
    this.left *= ratio;
    this.step *= ratio;
  }
  /** What counts at a frame that starts nothing. */
  next(): number {
    const s = Math.min(this.left, this.step);
    this.left -= s;
    return s;
  }
}

export class RateController {
  private cfg: RateControlConfig;
  private readonly predI = new SizePredictor(INITIAL_K_I, 0.5);
  private readonly predP = new SizePredictor(INITIAL_K_P, 0.5);
  /** ABR state: decaying window sums, and totals since the start. */
  private wantedWindow = 0;
  private cplxrSum = 0;
  private wantedTotal = 0;
  private spentTotal = 0;
  /** The last I frame's bits and rate-factor charge, counted over the frames of its GOP. */
  private readonly spreadBits = new Spreader();
  private readonly spreadCharge = new Spreader();
  /** Short-term blur of P complexity (x264's short_term_cplxsum / count). */
  private blurSum = 0;
  private blurCount = 0;
  private lastQpP = -1;
  /** Decaying mean of P frames' QP (numerator and weight). */
  private accumPQp = 0;
  private accumPNorm = 0;
  private lastQpI = -1;
  /** VBV fill in bits before the next frame is removed (cbr). */
  private fill: number;
  /** Sizes of the last fps - 1 frames (a ring), for the one-second peak. */
  private readonly recent: Float64Array;
  private recentPos = 0;
  /** The complexity and rceq used for the frame being coded. */
  private curRceq = 0;
  /** The GOP tilt applied to the frame being coded (not part of the QPs remembered). */
  private curTilt = 0;

  constructor(cfg: RateControlConfig) {
    this.cfg = { ...cfg };
    this.fill = VBV_INIT * cfg.vbvBuffer - cfg.bitrate / cfg.fps;
    this.recent = new Float64Array(Math.max(1, Math.round(cfg.fps) - 1));
  }

  private recentBits(): number {
    let s = 0;
    for (let i = 0; i < this.recent.length; i++) s += this.recent[i]!;
    return s;
  }

  get mode(): RateControlMode {
    return this.cfg.mode;
  }

  get qpMin(): number {
    return this.cfg.qpMin;
  }

  get qpMax(): number {
    return this.cfg.qpMax;
  }

  /** Bits in the VBV after the last frame was removed and before the next arrives (cbr). */
  get vbvFill(): number {
    return this.fill;
  }

  private get frameBits(): number {
    return this.cfg.bitrate / this.cfg.fps;
  }

  /** A new bitrate from the next frame; the buffer follows when it was the one-second default. */
  setBitrate(bitrate: number, vbvBuffer: number): void {
    const ratio = bitrate / this.cfg.bitrate;
    // The window's wanted bits scale at once, so the rate factor answers from the next frame;
    // the accumulated error is dropped (it was measured against the old target).
    this.wantedWindow *= ratio;
    this.wantedTotal = this.spentTotal;
    this.fill = Math.min(vbvBuffer, this.fill * (vbvBuffer / this.cfg.vbvBuffer));
    // The QPs remembered for I frames and for the step limit move by what the new rate implies
    // (the model: bits in proportion to 1 / q), so the next keyframe is not sized for the old rate.
    const dQp = 6 * Math.log2(1 / ratio);
    this.accumPQp += dQp * this.accumPNorm;
    if (this.lastQpP >= 0) this.lastQpP = Math.round(this.lastQpP + dQp);
    if (this.lastQpI >= 0) this.lastQpI = Math.round(this.lastQpI + dQp);
    // The last second's frames count toward the peak as if they had been sized for the new rate.
    for (let i = 0; i < this.recent.length; i++) this.recent[i] = this.recent[i]! * ratio;
    this.spreadBits.scale(ratio);
    this.cfg = { ...this.cfg, bitrate, vbvBuffer };
  }

  setQpRange(qpMin: number, qpMax: number): void {
    this.cfg = { ...this.cfg, qpMin, qpMax };
  }

  private clampQp(qp: number): number {
    return Math.min(this.cfg.qpMax, Math.max(this.cfg.qpMin, qp));
  }

  /**
   * Chooses the frame's QP. `complexity` is the frame's cost for its type (I: intra sum, P: the
   * min(intra, inter) sum); `sceneCut` lifts the frame-to-frame step limit; `tilt` (P frames,
   * gopTilt) is added to the QP the rate factor asks for, before the VBV's limits.
   */
  planFrame(isIntra: boolean, complexity: number, sceneCut: boolean, tilt = 0): FramePlan {
    const { cfg } = this;
    this.curTilt = isIntra ? 0 : tilt;
    if (cfg.mode === 'cqp') return { qp: this.clampQp(cfg.qp), targetBits: Infinity, maxBits: Infinity, capBits: Infinity, floorBits: 0 };
    const frameBits = this.frameBits;
    const allIntra = cfg.gop === 1;
    let q: number;
    if (!isIntra || allIntra) {
      // The P (or all-intra) scale from the rate factor.
      this.blurSum = this.blurSum * 0.5 + complexity;
      this.blurCount = this.blurCount * 0.5 + 1;
      const rceq = Math.pow(this.blurSum / this.blurCount, 1 - QCOMP);
      this.curRceq = rceq;
      const pred = isIntra ? this.predI : this.predP;
      if (this.cplxrSum > 0) {
        q = rceq / (this.wantedWindow / this.cplxrSum);
      } else {
        // No history: the scale at which this frame is predicted to take one frame's bits.
        q = pred.k * complexity / frameBits;
      }
    } else if (this.accumPNorm > 0) {
      // An I frame among P frames: the recent P frames' scale, ipFactor finer (x264's accum_p_qp).
      this.curRceq = this.blurCount > 0 ? Math.pow(this.blurSum / this.blurCount, 1 - QCOMP) : 0;
      q = qpToQscale(this.accumPQp / this.accumPNorm) / IP_FACTOR;
    } else {
      // The first frame: sized as a keyframe a GOP of P frames will follow (x264 gives an I frame
      // about ipFactor finer; at equal quality it takes several P frames' bits).
      this.curRceq = 0;
      const share = Math.min(cfg.gop, 6);
      const target = Math.min(frameBits * share, cfg.mode === 'cbr' ? VBV_I_FRACTION * cfg.vbvBuffer + frameBits : Infinity);
      q = this.predI.k * complexity / target;
    }
    // Pull the long-run average back to the target.
    if (this.wantedTotal > 0) {
      const abrBuffer = cfg.bitrate * (cfg.mode === 'cbr' ? 0.75 : 0.5);
      const overflow = Math.min(2, Math.max(0.5, 1 + (this.spentTotal - this.wantedTotal) / abrBuffer));
      q *= overflow;
    }
    let qp = qscaleToQp(q);
    // Limit frame-to-frame steps of one type, except across a scene cut.
    const last = isIntra ? this.lastQpI : this.lastQpP;
    if (last >= 0 && !sceneCut) qp = Math.min(last + QP_STEP, Math.max(last - QP_STEP, qp));
    qp = this.clampQp(Math.round(qp + this.curTilt));

    const pred = isIntra ? this.predI : this.predP;
    let maxBits = Infinity, capBits = Infinity, floorBits = 0;
    if (cfg.mode === 'cbr') {
      const B = cfg.vbvBuffer, F = this.fill + frameBits > B ? B : this.fill + frameBits;
      // Hard limit: the bucket must not underflow.
      maxBits = F;
      const low = isIntra && !allIntra
        ? Math.max(0, F - (VBV_I_FRACTION * B + frameBits))
        : VBV_LOW_P * B;
      capBits = Math.max(frameBits * 0.1, Math.min(F - low, F - 0.02 * B));
      // Peak rate: this frame and the second before it within WINDOW_PEAK x the bitrate.
      const windowCap = WINDOW_PEAK * cfg.bitrate - this.recentBits();
      if (windowCap < capBits) capBits = Math.max(frameBits * 0.1, windowCap);
      while (qp < cfg.qpMax && pred.bits(complexity, qpToQscale(qp)) > capBits) qp++;
      // Bits the bucket cannot hold are bits the bitrate allowed and nobody used.
      floorBits = F + frameBits - B;
      while (qp > cfg.qpMin && pred.bits(complexity, qpToQscale(qp)) < floorBits && pred.bits(complexity, qpToQscale(qp - 1)) <= capBits) qp--;
    }
    return { qp, targetBits: pred.bits(complexity, qpToQscale(qp)), maxBits, capBits, floorBits };
  }

  /**
   * Row control (cbr): the QP for the next macroblock row, from the bits spent so far and the
   * fraction of the frame's complexity already coded. It only guards the bucket: up while the
   * frame is heading past its cap, down while it is heading to overflow it; the frame-level
   * model does the rest (acting on every deviation from the plan would bias the average).
   */
  rowQp(plan: FramePlan, currentQp: number, spent: number, doneFraction: number): number {
    if (this.cfg.mode !== 'cbr' || doneFraction <= 0 || doneFraction >= 1) return currentQp;
    // The rest of the frame as planned, scaled by how far the coded part ran from its plan and
    // by the QP change already made.
    const expected = plan.targetBits * doneFraction;
    const ratio = Math.min(3, Math.max(0.33, expected > 0 ? spent / expected : 1));
    const projected = spent + (1 - doneFraction) * plan.targetBits * ratio * qpToQscale(plan.qp) / qpToQscale(currentQp);
    let qp = currentQp;
    if (projected > plan.capBits) qp += projected > 1.5 * plan.capBits ? 2 : 1;
    else if (projected < plan.floorBits && currentQp > plan.qp - 2) qp--;
    else if (currentQp > plan.qp && projected < 0.7 * plan.capBits) qp--;
    qp = Math.min(plan.qp + 8, Math.max(plan.qp - 2, qp));
    return this.clampQp(qp);
  }

  /** Accounts a coded frame: its type, size, mean QP over its macroblocks, complexity. */
  frameDone(isIntra: boolean, bits: number, qpAvg: number, complexity: number): void {
    const { cfg } = this;
    if (cfg.mode === 'cqp') return;
    const q = qpToQscale(qpAvg);
    (isIntra ? this.predI : this.predP).update(complexity, q, bits);
    const allIntra = cfg.gop === 1;
    // An I frame among P frames is spread over the frames of its GOP (at most
    // KEYFRAME_SPREAD_SECONDS): this frame counts 1/L of it, the next L - 1 frames the rest. A new
    // I frame first counts what is left of the last one.
    const spreading = isIntra && !allIntra;
    const spread = spreading ? Math.max(1, Math.min(cfg.gop, Math.round(KEYFRAME_SPREAD_SECONDS * cfg.fps))) : 1;
    if (this.curRceq > 0) {
      // An I frame among P frames is charged as P frames at ipFactor times its scale.
      const qEq = spreading ? q * IP_FACTOR : q;
      const charge = (bits * qEq) / this.curRceq;
      this.cplxrSum = this.cplxrSum * WINDOW_DECAY + (spreading ? this.spreadCharge.start(charge, spread) : charge + this.spreadCharge.next());
      this.wantedWindow = this.wantedWindow * WINDOW_DECAY + this.frameBits;
    }
    // The first I frame has no P scale to be charged at: the window starts with the first P frame
    // (its wanted bits alone would halve the first rate factor).
    this.wantedTotal += this.frameBits;
    this.spentTotal += spreading ? this.spreadBits.start(bits, spread) : bits + this.spreadBits.next();
    if (isIntra) {
      this.lastQpI = Math.round(qpAvg);
    } else {
      // The QPs remembered are the rate factor's, without the tilt of the frame's place in its GOP.
      this.lastQpP = Math.round(qpAvg - this.curTilt);
      this.accumPQp = this.accumPQp * 0.95 + qpAvg - this.curTilt;
      this.accumPNorm = this.accumPNorm * 0.95 + 1;
    }
    if (isIntra && !allIntra && this.lastQpP < 0) this.lastQpP = Math.round(qpAvg + 3);
    this.recent[this.recentPos] = bits;
    this.recentPos = (this.recentPos + 1) % this.recent.length;
    if (cfg.mode === 'cbr') {
      const B = cfg.vbvBuffer;
      const F = Math.min(B, this.fill + this.frameBits);
      this.fill = F - bits;
    }
  }
}
