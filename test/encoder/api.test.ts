/**
 * The public API's contract (encoder/index.ts): what it refuses and how it says so, what it
 * guarantees after a refusal, determinism, close(), the shape of every access unit, the resolved
 * options, and the SPS it writes, read back by an independent Exp-Golomb parser (and by ffprobe).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264Encoder, PIXEL_FORMATS, PRESETS, type EncoderImage, type EncoderOptions, type FrameStats } from '../../encoder/index.js';
import { runTool } from '../helpers/decoders.js';

// ---------------------------------------------------------------------------------------------
// Inputs

/** Deterministic I420 content: a gradient plus LCG noise, so mode decision has choices to make. */
function i420(width: number, height: number, seed = 1): EncoderImage {
  const cw = width >> 1, ch = height >> 1;
  const data = new Uint8Array(width * height + 2 * cw * ch);
  let s = seed * 2654435761 >>> 0;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 27; // 0..31
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = (x * 2 + y + seed * 9 + (((x >> 3) + (y >> 3)) & 1 ? noise() * 4 : 0)) & 0xff;
  }
  for (let i = width * height; i < data.length; i++) data[i] = 96 + ((i * 5 + seed) & 63);
  return { width, height, format: 'i420', data };
}

// ---------------------------------------------------------------------------------------------
// Errors

type ErrorClass = typeof RangeError | typeof TypeError;

/** Runs fn, which must throw; returns what it threw. */
function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: unknown };
  }
  throw new Error('expected a throw, but none came');
}

/**
 * fn throws exactly `cls` (not a subclass of Error standing in for it) with `code`, and the message
 * contains each fragment: the expectation and the offending value, as the user wrote it.
 */
function expectError(fn: () => unknown, cls: ErrorClass, code: string, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.constructor, e.message).toBe(cls);
  expect(e.code, e.message).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
}

function expectClosed(fn: () => unknown): void {
  const e = thrown(fn);
  expect(e.constructor).toBe(Error);
  expect(e.code).toBe('ERR_ENCODER_CLOSED');
  expect(e.message).toBe('the encoder is closed: create a new H264Encoder');
}

/** stats() without its wall-clock field (the only one that may differ between equal encodes). */
function untimed(stats: FrameStats): Omit<FrameStats, 'encodeMs'> {
  const { encodeMs: _encodeMs, ...rest } = stats;
  return rest;
}

describe('new H264Encoder(width, height): the picture size', () => {
  const cases: [width: unknown, height: unknown, cls: ErrorClass, ...fragments: string[]][] = [
    [321, 240, RangeError, 'width must be even (4:2:0 chroma)', 'got 321'],
    [320, 241, RangeError, 'height must be even (4:2:0 chroma)', 'got 241'],
    [17, 16, RangeError, 'width must be even', 'got 17'],
    [14, 240, RangeError, 'width must be at least 16', 'got 14'],
    [15, 240, RangeError, 'width must be at least 16', 'got 15'],
    [0, 240, RangeError, 'width must be at least 16', 'got 0'],
    [-320, 240, RangeError, 'width must be at least 16', 'got -320'],
    [320, 8, RangeError, 'height must be at least 16', 'got 8'],
    [8690, 16, RangeError, 'width must be at most 8688 (level 5.1)', 'got 8690'],
    [16, 8690, RangeError, 'height must be at most 8688 (level 5.1)', 'got 8690'],
    [8689, 16, RangeError, 'width must be even', 'got 8689'],
    // Each side fits level 5.1 alone; together they are 543 * 543 MBs against MaxFS 36864 (Table A-1).
    [8688, 8688, RangeError, '8688x8688 is 294849 macroblocks', 'level 5.1 allows at most 36864'],
    [4096, 2320, RangeError, '4096x2320 is 37120 macroblocks', 'at most 36864'],
    [16.5, 16, TypeError, 'width must be an even integer', 'got 16.5'],
    [320, 239.5, TypeError, 'height must be an even integer', 'got 239.5'],
    [Number.NaN, 16, TypeError, 'width must be an even integer', 'got NaN'],
    [16, Number.NaN, TypeError, 'height must be an even integer', 'got NaN'],
    [Infinity, 16, TypeError, 'width must be an even integer', 'got Infinity'],
    ['320', 240, TypeError, 'width must be an even integer', 'got "320"'],
    [320, '240', TypeError, 'height must be an even integer', 'got "240"'],
    [undefined, 240, TypeError, 'width must be an even integer', 'got undefined'],
    [320, null, TypeError, 'height must be an even integer', 'got null'],
    [320n, 240, TypeError, 'width must be an even integer', 'got 320'],
  ];
  it.each(cases)('refuses %s x %s', (width, height, cls, ...fragments) => {
    expectError(() => new H264Encoder(width as number, height as number), cls, 'ERR_INVALID_ARG', ...fragments);
  });

  it('accepts the extremes: 16x16, 8688 wide, 8688 high, MaxFS exactly', () => {
    for (const [w, h] of [[16, 16], [8688, 16], [16, 8688]] as const) {
      expect(() => new H264Encoder(w, h), `${w}x${h}`).not.toThrow();
    }
    // MaxFS exactly; the default bitrate (w*h*fps = 283 Mb/s) is capped at level 5.2's 240 Mb/s.
    expect(() => new H264Encoder(4096, 2304, { bitrate: 50_000_000 })).not.toThrow();
    expect(new H264Encoder(4096, 2304).options.bitrate).toBe(240_000_000);
    expect(new H264Encoder(3840, 2160).options.bitrate).toBe(240_000_000);
  });

  it('refuses a size, rate and bitrate that no level admits, naming all three', () => {
    // 4096x2304 is MaxFS exactly; at 60 fps that is 2,211,840 MB/s, above level 5.2's 2,073,600.
    expectError(() => new H264Encoder(4096, 2304, { fps: 60, bitrate: 1_000_000 }), RangeError, 'ERR_INVALID_ARG',
      '4096x2304 at 60 fps and 1000000 b/s exceeds every H.264 level');
  });
});

describe('new H264Encoder(w, h, options): every option', () => {
  const INTEGER_OPTIONS: [name: keyof EncoderOptions, min: number, max: number][] = [
    ['fps', 1, 240], ['gop', 0, 65535], ['bitrate', 0, 240_000_000], ['qpMin', 0, 51], ['qpMax', 0, 51], ['qp', 0, 51],
  ];
  const cases: [label: string, options: unknown, cls: ErrorClass, ...fragments: string[]][] = [];
  for (const [name, min, max] of INTEGER_OPTIONS) {
    const expectation = `options.${name} must be an integer from ${min} to ${max}`;
    cases.push(
      [`${name} below range`, { [name]: min - 1 }, RangeError, expectation, `got ${min - 1}`],
      [`${name} above range`, { [name]: max + 1 }, RangeError, expectation, `got ${max + 1}`],
      [`${name} non-integer`, { [name]: min + 0.5 }, TypeError, expectation, `got ${min + 0.5}`],
      [`${name} NaN`, { [name]: Number.NaN }, TypeError, expectation, 'got NaN'],
      [`${name} Infinity`, { [name]: Infinity }, TypeError, expectation, 'got Infinity'],
      [`${name} a string`, { [name]: '20' }, TypeError, expectation, 'got "20"'],
      [`${name} null`, { [name]: null }, TypeError, expectation, 'got null'],
    );
  }
  const presets = `options.preset must be one of ${PRESETS.join(', ')}`;
  cases.push(
    ['preset unknown', { preset: 'fast' }, TypeError, presets, 'got "fast"'],
    ['preset wrong case', { preset: 'Balanced' }, TypeError, presets, 'got "Balanced"'],
    ['preset empty', { preset: '' }, TypeError, presets, 'got ""'],
    ['preset a number', { preset: 1 }, TypeError, presets, 'got 1'],
    ['qpMin > qpMax', { qpMin: 30, qpMax: 20 }, RangeError, 'options.qpMin (30) must not be greater than options.qpMax (20)'],
    ['qpMin above the default qpMax', { qpMin: 45 }, RangeError, 'options.qpMin (45) must not be greater than options.qpMax (40)'],
    ['qp above qpMax', { qp: 45, qpMax: 40 }, RangeError, 'options.qp (45) must lie inside [qpMin, qpMax] = [10, 40]'],
    ['qp below qpMin', { qp: 5, qpMin: 10 }, RangeError, 'options.qp (5) must lie inside [qpMin, qpMax] = [10, 40]'],
    ['qp outside both bounds given', { qp: 21, qpMin: 22, qpMax: 30 }, RangeError, 'options.qp (21)', '[22, 30]'],
    ['unknown key', { fsp: 30 }, TypeError, 'unknown option "fsp"', 'expected one of fps, gop, bitrate, qpMin, qpMax, qp, preset'],
    ['unknown key in the wrong case', { QP: 27 }, TypeError, 'unknown option "QP"'],
    ['options null', null, TypeError, 'options must be an object', 'got null'],
    ['options a number', 30, TypeError, 'options must be an object', 'got 30'],
    ['options a string', 'fast', TypeError, 'options must be an object', 'got "fast"'],
    ['options an array', [30], TypeError, 'options must be an object', 'got an array of 1'],
  );
  it.each(cases)('refuses %s', (_label, options, cls, ...fragments) => {
    expectError(() => new H264Encoder(64, 48, options as EncoderOptions), cls, 'ERR_INVALID_ARG', ...fragments);
  });

  it('accepts every bound of every option', () => {
    for (const [name, min, max] of INTEGER_OPTIONS) {
      for (const v of [min, max]) {
        const options = { [name]: v, ...(name === 'qpMin' && { qpMax: 51 }), ...(name === 'qpMax' && { qpMin: 0 }) };
        expect(() => new H264Encoder(64, 48, options), JSON.stringify(options)).not.toThrow();
      }
    }
    for (const preset of PRESETS) expect(new H264Encoder(64, 48, { preset }).options.preset).toBe(preset);
  });

  it('takes bitrates up to the 240 Mb/s the highest levels admit (Table A-1, levels 5.1/5.2)', () => {
    expect(() => new H264Encoder(1920, 1088, { bitrate: 240_000_000 })).not.toThrow();
    expectError(() => new H264Encoder(1920, 1088, { bitrate: 240_000_001 }), RangeError, 'ERR_INVALID_ARG',
      'options.bitrate must be an integer from 0 to 240000000, got 240000001');
  });

  it('widens the default QP bounds to hold a constant qp given alone', () => {
    expect(new H264Encoder(64, 48, { qp: 45 }).options).toMatchObject({ qp: 45, qpMin: 10, qpMax: 45 });
    expect(new H264Encoder(64, 48, { qp: 2 }).options).toMatchObject({ qp: 2, qpMin: 2, qpMax: 40 });
  });
});

describe('encoder.options: the defaults and how given values resolve', () => {
  it('fps 30, gop = fps, bitrate w*h*fps, qp range 10..40, qp 27, preset balanced', () => {
    const encoder = new H264Encoder(200, 150);
    expect(encoder.options).toEqual({
      fps: 30, gop: 30, bitrate: 200 * 150 * 30, qpMin: 10, qpMax: 40, qp: 27, preset: 'balanced',
      rateControl: 'cbr', vbvBuffer: 200 * 150 * 30, aqStrength: 0, psnr: false, simd: true,
    });
    expect(new H264Encoder(200, 150, {}).options).toEqual(encoder.options);
    // An option given as undefined is an absent option.
    expect(new H264Encoder(200, 150, { fps: undefined, qp: undefined }).options).toEqual(encoder.options);
  });

  it('derives gop and bitrate from fps; 0 means the default', () => {
    expect(new H264Encoder(200, 150, { fps: 25 }).options).toMatchObject({ fps: 25, gop: 25, bitrate: 200 * 150 * 25 });
    expect(new H264Encoder(200, 150, { fps: 24, gop: 0 }).options.gop).toBe(24);
    expect(new H264Encoder(200, 150, { gop: 90 }).options.gop).toBe(90);
    expect(new H264Encoder(200, 150, { gop: 1 }).options.gop).toBe(1);
    expect(new H264Encoder(200, 150, { fps: 10, bitrate: 0 }).options.bitrate).toBe(200 * 150 * 10);
    expect(new H264Encoder(200, 150, { bitrate: 500_000 }).options.bitrate).toBe(500_000);
  });

  it('clamps the default qp 27 into [qpMin, qpMax]', () => {
    expect(new H264Encoder(64, 48, { qpMin: 30 }).options).toMatchObject({ qpMin: 30, qpMax: 40, qp: 30 });
    expect(new H264Encoder(64, 48, { qpMax: 20 }).options).toMatchObject({ qpMin: 10, qpMax: 20, qp: 20 });
    expect(new H264Encoder(64, 48, { qpMin: 0, qpMax: 51 }).options.qp).toBe(27);
    expect(new H264Encoder(64, 48, { qpMin: 33, qpMax: 33 }).options.qp).toBe(33);
  });

  it('takes an explicit qp inside given bounds, and any qp 0..51 when no bounds are given (documented)', () => {
    expect(new H264Encoder(64, 48, { qp: 22, qpMin: 22, qpMax: 30 }).options.qp).toBe(22);
    expect(new H264Encoder(64, 48, { qp: 0 }).options.qp).toBe(0);
    expect(new H264Encoder(64, 48, { qp: 51 }).options.qp).toBe(51);
  });

  it('is frozen and a snapshot: changing the caller\'s object later changes nothing', () => {
    const options: EncoderOptions = { fps: 25, qp: 30 };
    const encoder = new H264Encoder(64, 48, options);
    options.fps = 60;
    options.qp = 10;
    expect(encoder.options).toMatchObject({ fps: 25, qp: 30 });
    expect(Object.isFrozen(encoder.options)).toBe(true);
  });
});

describe('encode(image): what it refuses, and that a refusal changes nothing', () => {
  const W = 48, H = 32;
  const good = i420(W, H, 3);
  const goodNext = i420(W, H, 4);
  const data = good.data;
  const cases: [label: string, image: unknown, cls: ErrorClass, ...fragments: string[]][] = [
    ['image null', null, TypeError, 'image must be an object { width, height, format, data, stride? }', 'got null'],
    ['image undefined', undefined, TypeError, 'image must be an object', 'got undefined'],
    ['image a bare buffer', data, TypeError, 'image must be an object', `got Uint8Array(${data.length} bytes)`],
    ['image an array', [data], TypeError, 'image must be an object', 'got an array of 1'],
    ['wrong width', { ...good, width: 32 }, RangeError, 'image is 32x32', 'the encoder was created for 48x32'],
    ['wrong height', { ...good, height: 48 }, RangeError, 'image is 48x48', 'the encoder was created for 48x32'],
    ['width and height swapped', { ...good, width: H, height: W }, RangeError, 'image is 32x48', 'created for 48x32'],
    ['width non-integer', { ...good, width: 47.5 }, TypeError, 'image.width must be an integer', 'got 47.5'],
    ['width a string', { ...good, width: '48' }, TypeError, 'image.width must be an integer', 'got "48"'],
    ['height NaN', { ...good, height: Number.NaN }, TypeError, 'image.height must be an integer', 'got NaN'],
    ['unknown format', { ...good, format: 'yuv420p' }, TypeError, `image.format must be one of ${PIXEL_FORMATS.join(', ')}`, 'got "yuv420p"'],
    ['format in the wrong case', { ...good, format: 'I420' }, TypeError, 'image.format must be one of', 'got "I420"'],
    ['format missing', { ...good, format: undefined }, TypeError, 'image.format must be one of', 'got undefined'],
    ['data missing', { ...good, data: undefined }, TypeError, 'image.data must be a Uint8Array or Uint8ClampedArray', 'got undefined'],
    ['data a plain array', { ...good, data: [...data] }, TypeError, 'image.data must be a Uint8Array', `got an array of ${data.length}`],
    ['data 16-bit', { ...good, data: new Uint16Array(data.length) }, TypeError, 'image.data must be a Uint8Array', `got Uint16Array(${2 * data.length} bytes)`],
    ['data an ArrayBuffer', { ...good, data: data.buffer }, TypeError, 'image.data must be a Uint8Array', 'got an object'],
    ['i420 one byte short', { ...good, data: data.subarray(0, data.length - 1) }, RangeError,
      'image.data is too short for 48x32 i420 with stride 48', `needs ${data.length} bytes, got ${data.length - 1}`],
    ['i420 empty', { ...good, data: new Uint8Array(0) }, RangeError, 'image.data is too short', 'got 0'],
    ['rgb24 short for its stride', { width: W, height: H, format: 'rgb24', stride: 160, data: new Uint8Array(160 * 31 + 143) }, RangeError,
      'image.data is too short for 48x32 rgb24 with stride 160', `needs ${160 * 31 + 144} bytes, got ${160 * 31 + 143}`],
    ['nv12 short', { width: W, height: H, format: 'nv12', data: new Uint8Array(W * H) }, RangeError,
      'image.data is too short for 48x32 nv12', `needs ${W * H * 3 / 2} bytes, got ${W * H}`],
    ['stride below the row', { ...good, stride: 46 }, RangeError, 'image.stride must be at least 48 for i420 at width 48', 'got 46'],
    ['stride below an rgba row', { width: W, height: H, format: 'rgba', stride: 191, data: new Uint8Array(192 * H) }, RangeError,
      'image.stride must be at least 192 for rgba at width 48', 'got 191'],
    ['stride zero', { ...good, stride: 0 }, RangeError, 'image.stride must be at least 48', 'got 0'],
    ['stride negative', { ...good, stride: -48 }, RangeError, 'image.stride must be at least 48', 'got -48'],
    ['stride odd for i420', { ...good, stride: 49, data: new Uint8Array(49 * 64) }, RangeError,
      'image.stride must be even for i420 (chroma rows are stride/2 bytes)', 'got 49'],
    ['stride non-integer', { ...good, stride: 48.5 }, TypeError, 'image.stride must be a positive integer', 'got 48.5'],
    ['stride NaN', { ...good, stride: Number.NaN }, TypeError, 'image.stride must be a positive integer', 'got NaN'],
    ['stride a string', { ...good, stride: '48' }, TypeError, 'image.stride must be a positive integer', 'got "48"'],
  ];

  function fresh(...frames: EncoderImage[]) {
    const encoder = new H264Encoder(W, H);
    const out = frames.map((f) => encoder.encode(f));
    return { out, recon: encoder.reconstructed(), stats: untimed(encoder.stats()) };
  }

  it.each(cases)('refuses %s; the same encoder then encodes as a fresh one', (_label, image, cls, ...fragments) => {
    const encoder = new H264Encoder(W, H);
    expectError(() => encoder.encode(image as EncoderImage), cls, 'ERR_INVALID_IMAGE', ...fragments);
    expect(encoder.framesEncoded).toBe(0);
    expect(encoder.keyframe()).toBe(false);
    const expected = fresh(good);
    expect(encoder.encode(good)).toEqual(expected.out[0]);
    expect(encoder.reconstructed()).toEqual(expected.recon);
    expect(untimed(encoder.stats())).toEqual(expected.stats);
  });

  it.each(cases)('refuses %s mid-stream; the stream goes on as if it had not been offered', (_label, image) => {
    const encoder = new H264Encoder(W, H);
    const first = encoder.encode(good);
    const stats = encoder.stats(), recon = encoder.reconstructed();
    expect(() => encoder.encode(image as EncoderImage)).toThrow();
    // Nothing the caller can see moved: the last frame's stats, recon and count are those of `good`.
    expect(encoder.stats()).toEqual(stats);
    expect(encoder.reconstructed()).toEqual(recon);
    expect(encoder.framesEncoded).toBe(1);
    const second = encoder.encode(goodNext);
    const expected = fresh(good, goodNext);
    expect([first, second]).toEqual(expected.out);
    expect(encoder.reconstructed()).toEqual(expected.recon);
  });

  it('accepts what the refusals are measured against: a padded stride, a Uint8ClampedArray, a longer buffer', () => {
    const stride = 64, cs = stride / 2;
    const padded = new Uint8Array(stride * H + 2 * cs * (H / 2));
    const cw = W / 2;
    for (let y = 0; y < H; y++) padded.set(good.data.subarray(y * W, y * W + W), y * stride);
    for (let p = 0; p < 2; p++) {
      for (let y = 0; y < H / 2; y++) {
        const src = W * H + p * cw * (H / 2) + y * cw;
        padded.set(good.data.subarray(src, src + cw), stride * H + p * cs * (H / 2) + y * cs);
      }
    }
    const expected = fresh(good).out[0];
    expect(new H264Encoder(W, H).encode({ ...good, stride, data: padded })).toEqual(expected);
    expect(new H264Encoder(W, H).encode({ ...good, data: new Uint8ClampedArray(good.data) as unknown as Uint8Array })).toEqual(expected);
    const longer = new Uint8Array(good.data.length + 100);
    longer.set(good.data);
    expect(new H264Encoder(W, H).encode({ ...good, data: longer })).toEqual(expected);
  });
});

describe('determinism', () => {
  const W = 64, H = 48;
  const frames = [1, 2, 3].map((seed) => i420(W, H, seed));

  function run(options: EncoderOptions) {
    const encoder = new H264Encoder(W, H, options);
    return frames.map((f) => ({ au: encoder.encode(f), recon: encoder.reconstructed().data, stats: untimed(encoder.stats()) }));
  }

  it.each([{}, { qp: 0 }, { qp: 51 }, ...PRESETS.map((preset) => ({ preset, qp: 32 }))])(
    'the same frames and options %j give identical bytes from two instances, twice', (options) => {
      const a = run(options), b = run(options), c = run(options);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
    });

  it('does not depend on the input buffer being reused or copied', () => {
    const encoder = new H264Encoder(W, H);
    const shared = new Uint8Array(frames[0]!.data.length);
    const out = frames.map((f) => {
      shared.set(f.data);
      return encoder.encode({ ...f, data: shared });
    });
    expect(out).toEqual(run({}).map((r) => r.au));
  });
});

describe('close()', () => {
  const good = i420(32, 32);

  it('makes encode, keyframe, reconstructed, stats and close throw ERR_ENCODER_CLOSED', () => {
    const encoder = new H264Encoder(32, 32);
    encoder.encode(good);
    encoder.close();
    expectClosed(() => encoder.encode(good));
    expectClosed(() => encoder.keyframe());
    expectClosed(() => encoder.reconstructed());
    expectClosed(() => encoder.stats());
    expectClosed(() => encoder.close());
  });

  it('reports being closed before looking at the image', () => {
    const encoder = new H264Encoder(32, 32);
    encoder.close();
    expectClosed(() => encoder.encode(null as unknown as EncoderImage));
  });

  it('closes an encoder that never encoded', () => {
    const encoder = new H264Encoder(32, 32);
    expect(() => encoder.close()).not.toThrow();
    expectClosed(() => encoder.stats());
  });
});

// ---------------------------------------------------------------------------------------------
// The bitstream, read back independently

interface Nal {
  nalRefIdc: number;
  nalUnitType: number;
  /** The RBSP: emulation prevention bytes removed, NAL header excluded. */
  rbsp: Uint8Array;
}

/** Splits an Annex-B byte stream at its start codes (B.1) and unescapes each NAL unit (7.4.1). */
function splitAnnexB(stream: Uint8Array): Nal[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : stream.length;
    while (end > start && stream[end - 1] === 0) end--; // zero_byte / trailing_zero_8bits
    const header = stream[start]!;
    expect(header & 0x80, 'forbidden_zero_bit').toBe(0);
    const rbsp: number[] = [];
    for (let i = start + 1, zeros = 0; i < end; i++) {
      const b = stream[i]!;
      if (zeros >= 2 && b === 3) {
        zeros = 0; // emulation_prevention_three_byte
        continue;
      }
      rbsp.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return { nalRefIdc: (header >> 5) & 3, nalUnitType: header & 31, rbsp: Uint8Array.from(rbsp) };
  });
}

/** u(n), ue(v), se(v) — 7.2, 9.1. */
class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++, this.pos++) {
      if (this.pos >= this.bytes.length * 8) throw new Error(`read past the end of a ${this.bytes.length}-byte RBSP`);
      v = v * 2 + ((this.bytes[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
    }
    return v;
  }

  ue(): number {
    let leadingZeros = 0;
    while (this.u(1) === 0) {
      if (++leadingZeros > 31) throw new Error('ue(v) longer than 32 bits');
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }

  /** rbsp_trailing_bits() — 7.3.2.11: a 1, zeros to the byte boundary, and nothing after. */
  expectTrailingBits(): void {
    expect(this.u(1), 'rbsp_stop_one_bit').toBe(1);
    while (this.pos % 8 !== 0) expect(this.u(1), 'rbsp_alignment_zero_bit').toBe(0);
    expect(this.pos, 'bytes after rbsp_trailing_bits').toBe(this.bytes.length * 8);
  }
}

/** seq_parameter_set_data() + vui_parameters() for profile_idc 66 — 7.3.2.1.1, E.1.1. */
function parseSps(rbsp: Uint8Array) {
  const r = new BitReader(rbsp);
  const sps = {
    profileIdc: r.u(8),
    constraintSet0Flag: r.u(1), constraintSet1Flag: r.u(1), constraintSet2Flag: r.u(1),
    constraintSet3Flag: r.u(1), constraintSet4Flag: r.u(1), constraintSet5Flag: r.u(1),
    reservedZero2Bits: r.u(2),
    levelIdc: r.u(8),
    seqParameterSetId: r.ue(),
    log2MaxFrameNumMinus4: 0, picOrderCntType: 0, maxNumRefFrames: 0, gapsInFrameNumValueAllowedFlag: 0,
    picWidthInMbsMinus1: 0, picHeightInMapUnitsMinus1: 0, frameMbsOnlyFlag: 0, direct8x8InferenceFlag: 0,
    frameCroppingFlag: 0, frameCropLeftOffset: 0, frameCropRightOffset: 0, frameCropTopOffset: 0, frameCropBottomOffset: 0,
    vuiParametersPresentFlag: 0,
  };
  expect(sps.profileIdc, 'this parser reads Baseline SPSs only (no chroma_format_idc)').toBe(66);
  sps.log2MaxFrameNumMinus4 = r.ue();
  sps.picOrderCntType = r.ue();
  if (sps.picOrderCntType === 0) r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  expect(sps.picOrderCntType, 'pic_order_cnt_type 1 is not parsed here').not.toBe(1);
  sps.maxNumRefFrames = r.ue();
  sps.gapsInFrameNumValueAllowedFlag = r.u(1);
  sps.picWidthInMbsMinus1 = r.ue();
  sps.picHeightInMapUnitsMinus1 = r.ue();
  sps.frameMbsOnlyFlag = r.u(1);
  if (!sps.frameMbsOnlyFlag) r.u(1); // mb_adaptive_frame_field_flag
  sps.direct8x8InferenceFlag = r.u(1);
  sps.frameCroppingFlag = r.u(1);
  if (sps.frameCroppingFlag) {
    sps.frameCropLeftOffset = r.ue();
    sps.frameCropRightOffset = r.ue();
    sps.frameCropTopOffset = r.ue();
    sps.frameCropBottomOffset = r.ue();
  }
  sps.vuiParametersPresentFlag = r.u(1);
  const vui = sps.vuiParametersPresentFlag ? parseVui(r) : undefined;
  r.expectTrailingBits();
  return { ...sps, vui };
}

function parseVui(r: BitReader) {
  const vui = {
    aspectRatioIdc: -1, videoFormat: -1, videoFullRangeFlag: -1, colourPrimaries: -1, transferCharacteristics: -1,
    matrixCoefficients: -1, timingInfoPresentFlag: 0, numUnitsInTick: 0, timeScale: 0, fixedFrameRateFlag: 0,
    bitstreamRestrictionFlag: 0, maxNumReorderFrames: -1, maxDecFrameBuffering: -1,
  };
  if (r.u(1)) { // aspect_ratio_info_present_flag
    vui.aspectRatioIdc = r.u(8);
    if (vui.aspectRatioIdc === 255) r.u(32); // sar_width, sar_height
  }
  if (r.u(1)) r.u(1); // overscan_info_present_flag, overscan_appropriate_flag
  if (r.u(1)) { // video_signal_type_present_flag
    vui.videoFormat = r.u(3);
    vui.videoFullRangeFlag = r.u(1);
    if (r.u(1)) { // colour_description_present_flag
      vui.colourPrimaries = r.u(8);
      vui.transferCharacteristics = r.u(8);
      vui.matrixCoefficients = r.u(8);
    }
  }
  if (r.u(1)) { // chroma_loc_info_present_flag
    r.ue();
    r.ue();
  }
  vui.timingInfoPresentFlag = r.u(1);
  if (vui.timingInfoPresentFlag) {
    vui.numUnitsInTick = r.u(32);
    vui.timeScale = r.u(32);
    vui.fixedFrameRateFlag = r.u(1);
  }
  const nalHrd = r.u(1), vclHrd = r.u(1);
  expect([nalHrd, vclHrd], 'HRD parameters are not parsed here').toEqual([0, 0]);
  r.u(1); // pic_struct_present_flag
  vui.bitstreamRestrictionFlag = r.u(1);
  if (vui.bitstreamRestrictionFlag) {
    r.u(1); // motion_vectors_over_pic_boundaries_flag
    r.ue(); // max_bytes_per_pic_denom
    r.ue(); // max_bits_per_mb_denom
    r.ue(); // log2_max_mv_length_horizontal
    r.ue(); // log2_max_mv_length_vertical
    vui.maxNumReorderFrames = r.ue();
    vui.maxDecFrameBuffering = r.ue();
  }
  return vui;
}

/** The start of slice_header() up to idr_pic_id — 7.3.3. */
function parseSliceHeaderStart(rbsp: Uint8Array, log2MaxFrameNum: number, idr: boolean) {
  const r = new BitReader(rbsp);
  return {
    firstMbInSlice: r.ue(),
    sliceType: r.ue(),
    picParameterSetId: r.ue(),
    frameNum: r.u(log2MaxFrameNum),
    idrPicId: idr ? r.ue() : -1,
  };
}

describe('every access unit: SPS, PPS, IDR', () => {
  it('with gop 1, every frame is SPS (7), PPS (8), IDR (5) in that order; keyframe() is true', () => {
    const encoder = new H264Encoder(64, 48, { gop: 1, qp: 27 });
    expect(encoder.keyframe(), 'before any frame').toBe(false);
    const idrPicIds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const au = encoder.encode(i420(64, 48, i + 1));
      expect([...au.subarray(0, 4)], 'four-byte start code').toEqual([0, 0, 0, 1]);
      const nals = splitAnnexB(au);
      expect(nals.map((n) => n.nalUnitType)).toEqual([7, 8, 5]);
      for (const n of nals) expect(n.nalRefIdc, 'parameter sets and IDR slices are reference data').toBeGreaterThan(0);
      expect(encoder.keyframe()).toBe(true);
      const stats = encoder.stats();
      expect(stats).toMatchObject({ keyframe: true, bytes: au.length, qp: 27 });
      expect(stats.mbI4x4 + stats.mbI16x16 + stats.mbPcm).toBe(4 * 3);

      const sps = parseSps(nals[0]!.rbsp);
      const slice = parseSliceHeaderStart(nals[2]!.rbsp, sps.log2MaxFrameNumMinus4 + 4, true);
      expect(slice).toMatchObject({ firstMbInSlice: 0, picParameterSetId: 0, frameNum: 0 });
      expect([2, 7], 'slice_type I').toContain(slice.sliceType);
      idrPicIds.push(slice.idrPicId);
    }
    // 7.4.3: "If two consecutive access units ... are both IDR access units, the value of
    // idr_pic_id in the slices of the first such IDR access unit shall differ from the second".
    for (let i = 1; i < idrPicIds.length; i++) expect(idrPicIds[i]).not.toBe(idrPicIds[i - 1]);
  });

  it('between IDRs, frames are one P slice (type 1, referenced) with frame_num counting up', () => {
    // Constant QP: unrelated noise frames would be scene cuts (IDRs) under rate control.
    const encoder = new H264Encoder(64, 48, { gop: 4, qp: 27 });
    const log2MaxFrameNum = parseSps(splitAnnexB(encoder.encode(i420(64, 48, 1)))[0]!.rbsp).log2MaxFrameNumMinus4 + 4;
    for (let i = 1; i < 8; i++) {
      const nals = splitAnnexB(encoder.encode(i420(64, 48, i + 1)));
      const idr = i % 4 === 0;
      expect(encoder.keyframe(), `frame ${i}`).toBe(idr);
      expect(encoder.stats().keyframe).toBe(idr);
      expect(nals.map((n) => n.nalUnitType), `frame ${i}`).toEqual(idr ? [7, 8, 5] : [1]);
      const slice = parseSliceHeaderStart(nals[nals.length - 1]!.rbsp, log2MaxFrameNum, idr);
      expect(slice.frameNum, `frame ${i}: frame_num counts pictures since the IDR`).toBe(i % 4);
      expect(idr ? [2, 7] : [0, 5], `frame ${i}: slice_type`).toContain(slice.sliceType);
      expect(nals[nals.length - 1]!.nalRefIdc, 'P pictures are references for the next').toBeGreaterThan(0);
    }
  });

  it('reports the qp it codes with in stats()', () => {
    for (const qp of [0, 27, 51]) {
      const encoder = new H264Encoder(32, 32, { qp });
      encoder.encode(i420(32, 32));
      expect(encoder.stats().qp).toBe(qp);
    }
  });
});

describe('the SPS, parsed independently', () => {
  function spsOf(width: number, height: number, options: EncoderOptions = {}) {
    const encoder = new H264Encoder(width, height, options);
    const nals = splitAnnexB(encoder.encode(i420(width, height)));
    return { encoder, sps: parseSps(nals[0]!.rbsp) };
  }

  it('200x150: Constrained Baseline, 13x10 MBs cropped by 4 and 5 crop units, VUI timing, BT.601 limited range', () => {
    const { encoder, sps } = spsOf(200, 150);
    expect(sps).toMatchObject({
      profileIdc: 66,
      constraintSet0Flag: 1, constraintSet1Flag: 1, // A.2.1.1: Constrained Baseline
      constraintSet2Flag: 0, constraintSet3Flag: 0, constraintSet4Flag: 0, constraintSet5Flag: 0,
      reservedZero2Bits: 0,
      levelIdc: encoder.levelIdc,
      seqParameterSetId: 0,
      gapsInFrameNumValueAllowedFlag: 0,
      picWidthInMbsMinus1: 12, // ceil(200 / 16) = 13
      picHeightInMapUnitsMinus1: 9, // ceil(150 / 16) = 10
      frameMbsOnlyFlag: 1,
      frameCroppingFlag: 1,
      // CropUnitX = CropUnitY = 2 for 4:2:0 frames (7-19, 7-20): 208 - 2*4 = 200, 160 - 2*5 = 150.
      frameCropLeftOffset: 0, frameCropRightOffset: 4, frameCropTopOffset: 0, frameCropBottomOffset: 5,
      vuiParametersPresentFlag: 1,
    });
    expect(sps.vui).toMatchObject({
      timingInfoPresentFlag: 1, numUnitsInTick: 1, timeScale: 60, fixedFrameRateFlag: 1,
      videoFullRangeFlag: 0, colourPrimaries: 6, transferCharacteristics: 6, matrixCoefficients: 6,
      bitstreamRestrictionFlag: 1, maxNumReorderFrames: 0, maxDecFrameBuffering: 1,
    });
    expect(sps.maxNumRefFrames).toBeGreaterThanOrEqual(sps.vui!.maxDecFrameBuffering); // E.2.1
    // 200x150 = 130 MBs at 30 fps = 3900 MB/s and the default 900 kb/s: level 2 (Table A-1;
    // 1.2 and 1.3 admit the rate but not the bitrate, 384 and 768 kb/s).
    expect(sps.levelIdc).toBe(20);
  });

  it('writes no cropping when the size is a whole number of macroblocks', () => {
    const { sps } = spsOf(64, 48);
    expect(sps).toMatchObject({ picWidthInMbsMinus1: 3, picHeightInMapUnitsMinus1: 2, frameCroppingFlag: 0 });
  });

  it('crops 1080 to 1088 - 2*4', () => {
    const { sps } = spsOf(32, 1080);
    expect(sps).toMatchObject({ picWidthInMbsMinus1: 1, picHeightInMapUnitsMinus1: 67, frameCropRightOffset: 0, frameCropBottomOffset: 4 });
  });

  it.each([1, 24, 25, 30, 60, 240])('signals %i fps as time_scale 2*fps over num_units_in_tick 1', (fps) => {
    const { sps } = spsOf(32, 32, { fps });
    expect(sps.vui).toMatchObject({ numUnitsInTick: 1, timeScale: 2 * fps, fixedFrameRateFlag: 1 });
  });

  // The lowest level whose Table A-1 limits (MaxFS, sqrt(8 MaxFS) a side, MaxMBPS, MaxBR) hold.
  it.each([
    [16, 16, {}, 10], // 1 MB, 30 MB/s, 7.7 kb/s
    [176, 144, { fps: 15, bitrate: 64_000 }, 10], // 99 MBs at 1485 MB/s, 64 kb/s: level 1 exactly
    [176, 144, {}, 13], // 2970 MB/s but 760 kb/s: 1.3 (768 kb/s)
    [352, 288, {}, 21], // 11880 MB/s, 3.04 Mb/s: 2.1 (4 Mb/s)
    [352, 288, { bitrate: 1_000_000 }, 20],
    [1280, 720, {}, 41], // 3600 MBs at 108000 MB/s, 27.6 Mb/s: 4.1 (50 Mb/s)
    [1280, 720, { bitrate: 4_000_000 }, 31],
    [1920, 1080, {}, 50], // 62.2 Mb/s: above 4.2's 50 Mb/s
    [1920, 1080, { bitrate: 8_000_000 }, 40], // 8160 MBs, 244800 MB/s: level 4 (MaxMBPS 245760)
    [1920, 1080, { fps: 60, bitrate: 8_000_000 }, 42], // 489600 MB/s: 4.2 (522240)
    [8688, 16, { fps: 1, bitrate: 100_000 }, 51], // 543 MBs wide: 543^2 > 8 * 22080 (level 5), <= 8 * 36864
  ] as const)('%ix%i %j is level_idc %i', (width, height, options, levelIdc) => {
    const encoder = new H264Encoder(width, height, options);
    expect(encoder.levelIdc).toBe(levelIdc);
    // Read back from the stream where encoding a frame is cheap; encoder.levelIdc is what the
    // SPS writer is handed.
    if (width * height <= 352 * 288) {
      expect(parseSps(splitAnnexB(encoder.encode(i420(width, height)))[0]!.rbsp).levelIdc).toBe(levelIdc);
    }
  });
});

describe('ffprobe reads the stream as the SPS says', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'h264-studio-api-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('200x150 at 25 fps: Constrained Baseline, level 1.3, 25/1, BT.601 limited range', async () => {
    const encoder = new H264Encoder(200, 150, { fps: 25 });
    // 130 MBs at 25 fps = 3250 MB/s and 750 kb/s: level 1.3 (Table A-1).
    expect(encoder.levelIdc).toBe(13);
    const stream = Buffer.concat([1, 2].map((seed) => encoder.encode(i420(200, 150, seed))));
    const file = join(dir, 'probe.h264');
    await writeFile(file, stream);
    const r = await runTool('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [s] = (JSON.parse(r.stdout.toString()) as { streams: Record<string, unknown>[] }).streams;
    expect(s).toMatchObject({
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      level: 13,
      width: 200,
      height: 150,
      pix_fmt: 'yuv420p',
      color_range: 'tv',
      color_space: 'smpte170m',
      r_frame_rate: '25/1',
      has_b_frames: 0,
    });
  });
});
