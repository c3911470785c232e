/** Encoder options: defaults, validation and the resolved form the encoder runs with. */
import { describe, rangeError, typeError } from './errors.js';

export const PRESETS = ['realtime', 'balanced', 'quality'] as const;
export type PresetName = (typeof PRESETS)[number];

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
   * Constant QP for every macroblock, 0..51 (tests and benchmarks). Must lie inside
   * [qpMin, qpMax] when those are given; without them the default bounds widen to include it.
   * Default: none — until rate control exists, frames are coded at 27 clamped into [qpMin, qpMax].
   */
  qp?: number;
  /** Speed/compression trade-off: 'realtime', 'balanced' or 'quality'. Default 'balanced'. */
  preset?: PresetName;
}

export interface ResolvedOptions {
  fps: number;
  gop: number;
  bitrate: number;
  qpMin: number;
  qpMax: number;
  qp: number;
  preset: PresetName;
}

/** The highest bitrate any level admits: MaxBR 240 000 (levels 5.1, 5.2) x 1000 bits — Table A-1. */
export const MAX_BITRATE = 240_000_000;

const KNOWN = new Set(['fps', 'gop', 'bitrate', 'qpMin', 'qpMax', 'qp', 'preset']);

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
  return {
    fps,
    gop: gopIn === 0 ? fps : gopIn,
    bitrate: bitrateIn === 0 ? Math.min(MAX_BITRATE, width * height * fps) : bitrateIn,
    qpMin,
    qpMax,
    qp,
    preset: preset as PresetName,
  };
}
