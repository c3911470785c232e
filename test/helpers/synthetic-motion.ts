/**
 * Synthetic moving pictures for the inter conformance sweep: I420 frame sequences whose motion is
 * known exactly, chosen to reach every corner of P-frame coding (motion vectors of every direction
 * and sub-pixel phase, vectors pointing outside the picture, P_Skip on still areas, intra
 * macroblocks inside P slices, large residuals after a scene cut or a flash).
 *
 * Every picture samples one continuous scene at real-valued coordinates, so a pan of 0.25 px per
 * frame really moves the content by a quarter sample. Luma sample (x, y) sits at (x, y) of the
 * scene; chroma sample (cx, cy) at (2cx + 0.5, 2cy + 0.5) (4:2:0, chroma between its two luma
 * rows), so chroma moves with luma at half the displacement in its own samples. Odd sizes are not
 * made (the encoder takes even sizes only); any even size works, multiple of 16 or not.
 *
 * Deterministic: the textures are hash-based value noise (integer hashing, then + and * only), so
 * the same arguments give the same bytes.
 */
import type { EncoderImage } from '../../encoder/index.js';
import { prng } from './synthetic.js';

/** Compass directions of a pan, in picture coordinates (y grows downwards): 'n' moves content up. */
export const PAN_DIRECTIONS = {
  n: [0, -1], ne: [1, -1], e: [1, 0], se: [1, 1], s: [0, 1], sw: [-1, 1], w: [-1, 0], nw: [-1, -1],
} as const satisfies Record<string, readonly [number, number]>;
export type PanDirection = keyof typeof PAN_DIRECTIONS;

/** Pan speeds in px/frame along each moving axis: quarter, half and three-quarter phases, and a large integer step. */
export const PAN_SPEEDS = [0.25, 0.5, 1.75, 7] as const;

/** Every kind of content motion the generator makes, with what it is for. */
export const MOTION_KINDS = [
  'pan', //           the whole picture moves by `speed` px/frame in `direction`
  'zoom-in', //       the content grows by 4% a frame about the centre: every block moves differently
  'zoom-out', //      the content shrinks by 4% a frame: new content enters at every edge
  'edge-exit', //     a textured disc leaves the picture past the bottom-right corner and comes back
  'scene-cut', //     two unrelated pans, switching half-way through (no usable reference after the cut)
  'static-object', // a still background (P_Skip) with one small object moving 1.5 px right, 0.75 px down a frame
  'noise', //         independent noise every frame: intra prediction wins
  'flash', //         a slow pan with two frames in the middle 80 levels brighter
] as const;
export type MotionKind = (typeof MOTION_KINDS)[number];

export interface MotionSpec {
  kind: MotionKind;
  /** 'pan' only: which way the content moves. Default 'e'. */
  direction?: PanDirection;
  /** 'pan' only: px/frame along each moving axis (a diagonal pan moves `speed` in x and in y). Default 1. */
  speed?: number;
  /** Picks the textures; different seeds give unrelated content. Default 1. */
  seed?: number;
}

/** A short readable name for test titles, e.g. "pan-ne-1.75" or "zoom-in". */
export function motionName(spec: MotionSpec): string {
  return spec.kind === 'pan' ? `pan-${spec.direction ?? 'e'}-${spec.speed ?? 1}` : spec.kind;
}

// ---------------------------------------------------------------------------------------------
// Textures: smooth value noise, continuous in x and y, defined over the whole plane.

/** A hash of a lattice point to [0, 1) (integer mixing in the style of a finaliser, Math.imul only). */
function lattice(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix | 0, 0x27d4eb2d) ^ Math.imul(iy | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Value noise in [0, 1): lattice values `period` px apart, blended with a smoothstep (C1 continuous). */
function valueNoise(x: number, y: number, period: number, seed: number): number {
  const gx = x / period, gy = y / period;
  const ix = Math.floor(gx), iy = Math.floor(gy);
  let fx = gx - ix, fy = gy - iy;
  fx = fx * fx * (3 - 2 * fx);
  fy = fy * fy * (3 - 2 * fy);
  const a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
  const c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
  const top = a + (b - a) * fx, bottom = c + (d - c) * fx;
  return top + (bottom - top) * fy;
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Scene colour at one point: luma and both chroma values, unclamped. */
interface Colour {
  y: number;
  u: number;
  v: number;
}

type Scene = (x: number, y: number, out: Colour) => void;

/**
 * A detailed natural-looking texture: four octaves of luma noise (periods 29, 11, 4.5 and 2.3 px
 * times `scale`, so there is detail at every scale motion estimation and sub-pixel interpolation
 * care about, down to near the sampling limit where interpolation errors leave a residual) and two
 * smoother chroma fields. `palette` shifts the chroma so two textures look unrelated.
 */
function texture(seed: number, palette = 0, scale = 1): Scene {
  const s = seed * 16, p1 = 29 * scale, p2 = 11 * scale, p3 = 4.5 * scale, p4 = Math.max(2.3, 2.3 * scale);
  return (x, y, out) => {
    const n = 0.45 * valueNoise(x, y, p1, s) + 0.27 * valueNoise(x, y, p2, s + 1) + 0.16 * valueNoise(x, y, p3, s + 2) +
      0.12 * valueNoise(x, y, p4, s + 7);
    out.y = 128 + (n - 0.5) * 340;
    out.u = 128 + palette + (valueNoise(x, y, 37, s + 3) - 0.5) * 150 + (valueNoise(x, y, 7, s + 4) - 0.5) * 30;
    out.v = 128 - palette + (valueNoise(x, y, 41, s + 5) - 0.5) * 150 + (valueNoise(x, y, 6, s + 6) - 0.5) * 30;
  };
}

/** `scene` translated so that its point (0, 0) appears at (dx, dy). */
function shifted(scene: Scene, dx: number, dy: number): Scene {
  return (x, y, out) => scene(x - dx, y - dy, out);
}

/**
 * An object over a background: a disc of diameter `size` centred on (cx, cy) carrying its own
 * texture (which moves with it). The rim is a 1.5 px soft ramp, so fractional positions render as
 * fractional positions instead of snapping to whole samples.
 */
function withObject(background: Scene, object: Scene, cx: number, cy: number, size: number): Scene {
  const radius = size / 2, inner = Math.max(0, radius - 1.5), bg: Colour = { y: 0, u: 0, v: 0 };
  return (x, y, out) => {
    const r = Math.hypot(x - cx, y - cy);
    if (r >= radius) {
      background(x, y, out);
      return;
    }
    object(x - cx, y - cy, out);
    if (r <= inner) return;
    const alpha = (radius - r) / (radius - inner);
    background(x, y, bg);
    out.y = bg.y + (out.y - bg.y) * alpha;
    out.u = bg.u + (out.u - bg.u) * alpha;
    out.v = bg.v + (out.v - bg.v) * alpha;
  };
}

/** Samples a scene into one tightly packed I420 picture (luma at (x, y), chroma at (2cx + 0.5, 2cy + 0.5)). */
function render(scene: Scene, width: number, height: number, lumaOffset = 0): EncoderImage {
  const cw = width >> 1, ch = height >> 1;
  const data = new Uint8Array(width * height + 2 * cw * ch);
  const c: Colour = { y: 0, u: 0, v: 0 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      scene(x, y, c);
      data[y * width + x] = clamp255(c.y + lumaOffset);
    }
  }
  const uBase = width * height, vBase = uBase + cw * ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      scene(2 * x + 0.5, 2 * y + 0.5, c);
      data[uBase + y * cw + x] = clamp255(c.u);
      data[vBase + y * cw + x] = clamp255(c.v);
    }
  }
  return { width, height, format: 'i420', data };
}

function checkSize(width: number, height: number, frames: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width % 2 || height % 2) {
    throw new RangeError(`motion clips need even sizes of at least 2, got ${width}x${height}`);
  }
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frames must be a positive integer, got ${frames}`);
}

/** 0 at t = 0, 1 half-way, back to 0 at the last frame: the out-and-back path of 'edge-exit'. */
function outAndBack(t: number, frames: number): number {
  if (frames < 3) return t;
  const u = t / (frames - 1);
  return u <= 0.5 ? 2 * u : 2 - 2 * u;
}

/** The scene of frame `t` (and a brightness offset for 'flash'). */
function frameScene(spec: MotionSpec & { kind: Exclude<MotionKind, 'noise'> }, width: number, height: number, frames: number, t: number): { scene: Scene; lumaOffset: number } {
  const seed = spec.seed ?? 1;
  const base = texture(seed);
  const cx = width / 2, cy = height / 2;
  switch (spec.kind) {
    case 'pan': {
      const [ux, uy] = PAN_DIRECTIONS[spec.direction ?? 'e'];
      const speed = spec.speed ?? 1;
      return { scene: shifted(base, ux * speed * t, uy * speed * t), lumaOffset: 0 };
    }
    case 'zoom-in':
    case 'zoom-out': {
      const scale = (spec.kind === 'zoom-in' ? 1.04 : 1 / 1.04) ** t;
      return { scene: (x, y, out) => base(cx + (x - cx) / scale, cy + (y - cy) / scale, out), lumaOffset: 0 };
    }
    case 'edge-exit': {
      // An object a quarter of the smaller side across starts just inside the bottom-right
      // corner, is fully outside half-way through the clip and returns along the same path,
      // a few px a frame (fractional), so its vectors point outside the picture on the way back.
      // The background drifts left half a sample a frame: new content enters on the right.
      const size = Math.max(6, Math.min(width, height) / 4);
      const x0 = width - size / 2 - 2, y0 = height - size / 2 - 2;
      const x1 = width + size / 2 + 1, y1 = height + size / 4;
      const u = outAndBack(t, frames);
      const background = shifted(texture(seed + 100), -0.5 * t, 0);
      return { scene: withObject(background, texture(seed + 200, 40, 0.5), x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, size), lumaOffset: 0 };
    }
    case 'scene-cut': {
      // Before the cut one texture pans right-down 1 px a frame; after it another pans left.
      const cut = frames >> 1;
      const scene = t < cut ? shifted(base, t, t) : shifted(texture(seed + 500, -50), -(t - cut), 0);
      return { scene, lumaOffset: 0 };
    }
    case 'static-object': {
      const size = Math.max(4, Math.min(16, Math.min(width, height) / 6));
      const x = Math.min(width, height) / 4 + 1.5 * t, y = Math.min(width, height) / 4 + 0.75 * t;
      return { scene: withObject(base, texture(seed + 300, 60, 0.5), x, y, size), lumaOffset: 0 };
    }
    case 'flash': {
      const at = frames >> 1;
      return { scene: shifted(base, 0.5 * t, 0), lumaOffset: t === at || t === at + 1 ? 80 : 0 };
    }
  }
}

/** Noise, different every frame, in every plane. */
function noiseFrame(width: number, height: number, seed: number, t: number): EncoderImage {
  const rnd = prng(seed * 1_000_003 + t * 7919 + 1);
  const data = new Uint8Array(width * height + 2 * (width >> 1) * (height >> 1));
  for (let i = 0; i < data.length; i++) data[i] = rnd() & 255;
  return { width, height, format: 'i420', data };
}

/** Frame `t` (0-based) of a motion clip `frames` long (the length sets the timing of cuts, flashes and exits). */
export function motionFrame(spec: MotionSpec, width: number, height: number, frames: number, t: number): EncoderImage {
  checkSize(width, height, frames);
  const { kind } = spec;
  if (kind === 'noise') return noiseFrame(width, height, spec.seed ?? 1, t);
  const { scene, lumaOffset } = frameScene({ ...spec, kind }, width, height, frames, t);
  return render(scene, width, height, lumaOffset);
}

/** A whole motion clip as I420 pictures of `width` x `height` (even sizes, multiples of 16 or not). */
export function motionClip(spec: MotionSpec, width: number, height: number, frames: number): EncoderImage[] {
  checkSize(width, height, frames);
  return Array.from({ length: frames }, (_, t) => motionFrame(spec, width, height, frames, t));
}

/** The same clip, one frame at a time (for big pictures, so only the frame being encoded is kept). */
export function* motionFrames(spec: MotionSpec, width: number, height: number, frames: number): Generator<EncoderImage> {
  checkSize(width, height, frames);
  for (let t = 0; t < frames; t++) yield motionFrame(spec, width, height, frames, t);
}
