/** Encoder options: defaults, validation and the resolved form the encoder runs with. */
import { describe, rangeError, typeError } from './errors.js';

export const PRESETS = ['realtime', 'balanced', 'quality'] as const;
export type PresetName = (typeof PRESETS)[number];

export const RATE_CONTROL_MODES = ['cbr', 'vbr', 'cqp'] as const;
/**
 * 'cbr': the bitrate through a VBV (leaky bucket) of `vbvBuffer` bits that never underflows;
 * 'vbr': the bitrate on average, frame sizes free; 'cqp': every frame at `qp`. See
 * encoder/docs/rate-control.md.
 */
export type RateControlMode = (typeof RATE_CONTROL_MODES)[number];

/**
 * Options of `new H264Encoder(width, height, options)`, mirroring the ESP32-P4 `h264` module.
 * Every field is optional; the defaults are documented per field.
 */
export interface EncoderOptions {
  /** Frames per second, an integer 1..240. Default 30. Written into the VUI timing info. */
  fps?: number;
  /** Keyframe (IDR) interval in frames, 0..65535; 0 means one per second (= fps). Default: fps. */
  gop?: number;
  /**
   * Target bits per second, 0..240 000 000 (the most any level allows: MaxBR of level 5.1/5.2 x
   * cpbBrVclFactor 1000, Table A-1). 0 means width * height * fps as the board's module does,
   * capped at 240 000 000. Default 0.
   */
  bitrate?: number;
  /** Lowest QP the encoder may use, 0..51. Default 10 (or `qp`, if that is lower and no bounds are given). */
  qpMin?: number;
  /** Highest QP the encoder may use, 0..51, at least qpMin. Default 40 (or `qp`, if higher and no bounds are given). */
  qpMax?: number;
  /**
   * Constant QP for every macroblock, 0..51, in rateControl 'cqp' (giving `qp` alone selects
   * 'cqp'). Must lie inside [qpMin, qpMax] when those are given; without them the default bounds
   * widen to include it. Default 27, clamped into [qpMin, qpMax].
   */
  qp?: number;
  /** 'cbr', 'vbr' or 'cqp'. Default 'cbr', or 'cqp' when `qp` is given. */
  rateControl?: RateControlMode;
  /**
   * VBV buffer size in bits for 'cbr', 1000..2 * 240 000 000: how far the bits of any stretch of
   * frames may run ahead of the bitrate. Default: one second of `bitrate`.
   */
  vbvBuffer?: number;
  /**
   * Adaptive quantisation: QP per macroblock from its luma variance (flat areas finer, textured
   * ones coarser), 0 = off .. 2. Default 0 (see encoder/docs/rate-control.md for why).
   */
  aqStrength?: number;
  /** Compute each frame's Y-PSNR into stats() (costs about a frame copy's time). Default false. */
  psnr?: boolean;
  /** Speed/compression trade-off: 'realtime', 'balanced' or 'quality'. Default 'balanced'. */
  preset?: PresetName;
  /**
   * Use the encoder's WebAssembly SIMD kernels where the runtime has them (every current browser,
   * Node and Electron does). The stream is the same byte for byte either way; false keeps the
   * TypeScript kernels, as x264's --no-asm keeps its C. Default true.
   */
  simd?: boolean;
}

export interface ResolvedOptions {
  fps: number;
  gop: number;
  bitrate: number;
  qpMin: number;
  qpMax: number;
  qp: number;
  preset: PresetName;
  rateControl: RateControlMode;
  vbvBuffer: number;
  aqStrength: number;
  psnr: boolean;
  simd: boolean;
}

/** The highest bitrate any level admits: MaxBR 240 000 (levels 5.1, 5.2) x 1000 bits — Table A-1. */
export const MAX_BITRATE = 240_000_000;

const KNOWN = new Set(['fps', 'gop', 'bitrate', 'qpMin', 'qpMax', 'qp', 'preset', 'rateControl', 'vbvBuffer', 'aqStrength', 'psnr', 'simd']);

function integerOption(options: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw typeError(`options.${name} must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  if (v < min || v > max) throw rangeError(`options.${name} must be an integer from ${min} to ${max}, got ${v}`);
  return v;
}

export function resolveOptions(width: number, height: number, options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(`options must be an object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw typeError(`unknown option ${JSON.stringify(key)}: expected one of ${[...KNOWN].join(', ')}`);
  }
  const fps = integerOption(o, 'fps', 1, 240, 30);
  const gopIn = integerOption(o, 'gop', 0, 65535, fps);
  const bitrateIn = integerOption(o, 'bitrate', 0, MAX_BITRATE, 0);
  let qpMin = integerOption(o, 'qpMin', 0, 51, 10);
  let qpMax = integerOption(o, 'qpMax', 0, 51, 40);
  if (qpMin > qpMax) throw rangeError(`options.qpMin (${qpMin}) must not be greater than options.qpMax (${qpMax})`);
  const qpGiven = o.qp !== undefined;
  const qp = integerOption(o, 'qp', 0, 51, Math.min(qpMax, Math.max(qpMin, 27)));
  if (qpGiven && (o.qpMin !== undefined || o.qpMax !== undefined) && (qp < qpMin || qp > qpMax)) {
    throw rangeError(`options.qp (${qp}) must lie inside [qpMin, qpMax] = [${qpMin}, ${qpMax}]`);
  }
  if (qpGiven && o.qpMin === undefined && o.qpMax === undefined) {
    // A constant QP alone: the bounds are the defaults, widened so they hold it.
    qpMin = Math.min(qpMin, qp);
    qpMax = Math.max(qpMax, qp);
  }
  const preset = o.preset === undefined ? 'balanced' : o.preset;
  if (typeof preset !== 'string' || !(PRESETS as readonly string[]).includes(preset)) {
    throw typeError(`options.preset must be one of ${PRESETS.join(', ')}, got ${describe(preset)}`);
  }
  const rateControl = o.rateControl === undefined ? (qpGiven ? 'cqp' : 'cbr') : o.rateControl;
  if (typeof rateControl !== 'string' || !(RATE_CONTROL_MODES as readonly string[]).includes(rateControl)) {
    throw typeError(`options.rateControl must be one of ${RATE_CONTROL_MODES.join(', ')}, got ${describe(rateControl)}`);
  }
  if (qpGiven && rateControl !== 'cqp') {
    throw rangeError(`options.qp is the constant QP of rateControl 'cqp'; with '${rateControl}' give bitrate, qpMin and qpMax instead`);
  }
  const bitrate = bitrateIn === 0 ? Math.min(MAX_BITRATE, width * height * fps) : bitrateIn;
  const vbvBuffer = integerOption(o, 'vbvBuffer', 1000, 2 * MAX_BITRATE, bitrate);
  if (vbvBuffer < Math.ceil(bitrate / fps)) {
    throw rangeError(`options.vbvBuffer (${vbvBuffer} bits) must hold at least one frame at the bitrate: ${Math.ceil(bitrate / fps)} bits (${bitrate} b/s at ${fps} fps)`);
  }
  const aqStrength = o.aqStrength === undefined ? 0 : o.aqStrength;
  if (typeof aqStrength !== 'number' || !Number.isFinite(aqStrength) || aqStrength < 0 || aqStrength > 2) {
    throw (typeof aqStrength === 'number' ? rangeError : typeError)(`options.aqStrength must be a number from 0 to 2, got ${describe(aqStrength)}`);
  }
  const psnr = o.psnr === undefined ? false : o.psnr;
  if (typeof psnr !== 'boolean') throw typeError(`options.psnr must be true or false, got ${describe(psnr)}`);
  const simd = o.simd === undefined ? true : o.simd;
  if (typeof simd !== 'boolean') throw typeError(`options.simd must be true or false, got ${describe(simd)}`);
  return {
    fps,
    gop: gopIn === 0 ? fps : gopIn,
    bitrate,
    qpMin,
    qpMax,
    qp,
    preset: preset as PresetName,
    rateControl: rateControl as RateControlMode,
    vbvBuffer,
    aqStrength,
    psnr,
    simd,
  };
}

/**
 * Validates a bitrate given at run time (setBitrate): the same range as options.bitrate, and an
 * explicit VBV buffer (null: the default, which follows the bitrate) must still hold a frame.
 */
export function checkBitrate(bps: unknown, fps: number, vbvBuffer: number | null): number {
  if (typeof bps !== 'number' || !Number.isInteger(bps)) throw typeError(`bitrate must be an integer from 1 to ${MAX_BITRATE} bits/s, got ${describe(bps)}`);
  if (bps < 1 || bps > MAX_BITRATE) throw rangeError(`bitrate must be an integer from 1 to ${MAX_BITRATE} bits/s, got ${bps}`);
  if (vbvBuffer !== null && vbvBuffer < Math.ceil(bps / fps)) {
    throw rangeError(`bitrate ${bps} b/s at ${fps} fps needs more than one frame (${Math.ceil(bps / fps)} bits) of the ${vbvBuffer}-bit VBV buffer`);
  }
  return bps;
}

/** Validates a QP range given at run time (setQpRange). */
export function checkQpRange(min: unknown, max: unknown): [number, number] {
  for (const [name, v] of [['qpMin', min], ['qpMax', max]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(`${name} must be an integer from 0 to 51, got ${describe(v)}`);
    if (v < 0 || v > 51) throw rangeError(`${name} must be an integer from 0 to 51, got ${v}`);
  }
  if ((min as number) > (max as number)) throw rangeError(`qpMin (${min as number}) must not be greater than qpMax (${max as number})`);
  return [min as number, max as number];
}
