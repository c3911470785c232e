import { describe, expect, it } from 'vitest';
import { Picture } from '../../encoder/common/picture.js';
import { convertImage, minStride, referenceConvert, requiredByteLength, validateImage } from '../../encoder/image-convert.js';
import { PIXEL_FORMATS, type EncoderImage, type PixelFormat } from '../../encoder/image.js';

function pictureFor(w: number, h: number): Picture {
  return new Picture(Math.ceil(w / 16), Math.ceil(h / 16));
}

/** Converts and returns the visible samples: Y row-major, then U, then V. */
function convert(image: EncoderImage): { y: number[]; u: number[]; v: number[] } {
  const pic = pictureFor(image.width, image.height);
  convertImage(image, pic);
  const cw = image.width / 2, ch = image.height / 2;
  const y: number[] = [], u: number[] = [], v: number[] = [];
  for (let r = 0; r < image.height; r++) y.push(...pic.y.subarray(r * pic.strideY, r * pic.strideY + image.width));
  for (let r = 0; r < ch; r++) {
    u.push(...pic.u.subarray(r * pic.strideC, r * pic.strideC + cw));
    v.push(...pic.v.subarray(r * pic.strideC, r * pic.strideC + cw));
  }
  return { y, u, v };
}

/** A 2x2 rgb24 image of one colour. */
function solidRgb24(r: number, g: number, b: number): EncoderImage {
  return { width: 2, height: 2, format: 'rgb24', data: new Uint8Array([r, g, b, r, g, b, r, g, b, r, g, b]) };
}

/** Index of the first differing byte, or -1: one expect per plane instead of a slow deep diff. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSamePicture(actual: Picture, expected: Picture, what: string): void {
  expect(firstDifference(actual.y, expected.y), `${what} Y`).toBe(-1);
  expect(firstDifference(actual.u, expected.u), `${what} U`).toBe(-1);
  expect(firstDifference(actual.v, expected.v), `${what} V`).toBe(-1);
}

/** Deterministic xorshift32 bytes. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 255;
  }
  return out;
}

const RGB_FORMATS = ['rgb24', 'bgr24', 'rgba', 'bgra', 'rgb565le', 'rgb565be'] as const;

/** Encodes one RGB colour (8-bit per channel, or a raw 16-bit value for 565) as a pixel. */
function pixelBytes(format: (typeof RGB_FORMATS)[number], r: number, g: number, b: number, p565 = 0): number[] {
  switch (format) {
    case 'rgb24': return [r, g, b];
    case 'bgr24': return [b, g, r];
    case 'rgba': return [r, g, b, 77];
    case 'bgra': return [b, g, r, 77];
    case 'rgb565le': return [p565 & 255, p565 >> 8];
    case 'rgb565be': return [p565 >> 8, p565 & 255];
  }
}

describe('convertImage: RGB -> BT.601 limited range', () => {
  // Hand-computed from Y = ((66R + 129G + 25B + 128) >> 8) + 16,
  // U = ((-38R - 74G + 112B + 128) >> 8) + 128, V = ((112R - 94G - 18B + 128) >> 8) + 128:
  //   white: Y = (56100+128)>>8 = 219 -> 235; U = V = 128>>8 = 0 -> 128
  //   red:   Y = (16830+128)>>8 = 66 -> 82; U = (-9690+128)>>8 = -38 -> 90; V = (28560+128)>>8 = 112 -> 240
  //   green: Y = (32895+128)>>8 = 128 -> 144; U = (-18870+128)>>8 = -74 -> 54; V = (-23970+128)>>8 = -94 -> 34
  //   blue:  Y = (6375+128)>>8 = 25 -> 41; U = 112 -> 240; V = (-4590+128)>>8 = -18 -> 110
  const cases = [
    { name: 'white', rgb: [255, 255, 255], p565: 0xffff, yuv: [235, 128, 128] },
    { name: 'black', rgb: [0, 0, 0], p565: 0x0000, yuv: [16, 128, 128] },
    { name: 'red', rgb: [255, 0, 0], p565: 0xf800, yuv: [82, 90, 240] },
    { name: 'green', rgb: [0, 255, 0], p565: 0x07e0, yuv: [144, 54, 34] },
    { name: 'blue', rgb: [0, 0, 255], p565: 0x001f, yuv: [41, 240, 110] },
  ] as const;

  for (const format of RGB_FORMATS) {
    for (const { name, rgb, p565, yuv } of cases) {
      it(`${format} ${name} -> Y ${yuv[0]} U ${yuv[1]} V ${yuv[2]}`, () => {
        const px = pixelBytes(format, rgb[0], rgb[1], rgb[2], p565);
        const image: EncoderImage = { width: 2, height: 2, format, data: new Uint8Array([...px, ...px, ...px, ...px]) };
        validateImage(image, 2, 2);
        expect(convert(image)).toEqual({ y: [yuv[0], yuv[0], yuv[0], yuv[0]], u: [yuv[1]], v: [yuv[2]] });
      });
    }
  }

  it('chroma comes from the rounded mean of the 2x2 block', () => {
    // Two red and two blue pixels: mean R = B = (510 + 2) >> 2 = 128, G = 0.
    // U = (-38*128 + 112*128 + 128) >> 8 = 9600 >> 8 = 37 -> 165; V = (94*128 + 128) >> 8 = 47 -> 175.
    const image: EncoderImage = { width: 2, height: 2, format: 'rgb24', data: new Uint8Array([255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0]) };
    expect(convert(image)).toEqual({ y: [82, 41, 41, 82], u: [165], v: [175] });
    // R = 1, 0, 0, 0: (1 + 2) >> 2 = 0, so the block averages to black.
    expect(convert({ width: 2, height: 2, format: 'rgb24', data: new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) }).v).toEqual([128]);
    const half = convert({ width: 2, height: 2, format: 'rgb24', data: new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0]) });
    // mean R = (510 + 2) >> 2 = 128: V = (112*128 + 128) >> 8 = 56 -> 184; U = (-38*128 + 128) >> 8 = -19 -> 109.
    expect(half.u).toEqual([109]);
    expect(half.v).toEqual([184]);
  });

  it('rgb565 widens by bit replication: 0x1234 -> (16, 69, 165) -> Y 71 U 178 V 98', () => {
    // 0x1234: R = 2 -> 16|0 = 16; G = 17 -> 68|1 = 69; B = 20 -> 160|5 = 165.
    // Y = (1056 + 8901 + 4125 + 128) >> 8 = 55 -> 71; U = 12894 >> 8 = 50 -> 178; V = -7536 >> 8 = -30 -> 98.
    const be = convert({ width: 2, height: 2, format: 'rgb565be', data: new Uint8Array([0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34]) });
    const le = convert({ width: 2, height: 2, format: 'rgb565le', data: new Uint8Array([0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12]) });
    expect(be).toEqual({ y: [71, 71, 71, 71], u: [178], v: [98] });
    expect(le).toEqual(be);
    expect(convert(solidRgb24(16, 69, 165))).toEqual(be);
  });

  it('rgb565be and rgb565le of the same colours give the same picture', () => {
    const w = 34, h = 18;
    const be = randomBytes(w * h * 2, 565);
    const le = new Uint8Array(be.length);
    for (let i = 0; i < be.length; i += 2) {
      le[i] = be[i + 1]!;
      le[i + 1] = be[i]!;
    }
    const a = pictureFor(w, h), b = pictureFor(w, h);
    convertImage({ width: w, height: h, format: 'rgb565be', data: be }, a);
    convertImage({ width: w, height: h, format: 'rgb565le', data: le }, b);
    expectSamePicture(b, a, 'le vs be');
  });

  it('byte orders and alpha: the same colours in rgb24, bgr24, rgba and bgra give the same picture', () => {
    const w = 18, h = 10;
    const rgb = randomBytes(w * h * 3, 24);
    const results = (['rgb24', 'bgr24', 'rgba', 'bgra'] as const).map((format) => {
      const bytes: number[] = [];
      for (let i = 0; i < rgb.length; i += 3) bytes.push(...pixelBytes(format, rgb[i]!, rgb[i + 1]!, rgb[i + 2]!));
      if (format === 'rgba' || format === 'bgra') for (let i = 3; i < bytes.length; i += 4) bytes[i] = i & 255;
      return convert({ width: w, height: h, format, data: new Uint8Array(bytes) });
    });
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });
});

describe('convertImage: YUV and gray input', () => {
  it('gray8 copies luma and sets U = V = 128', () => {
    const image: EncoderImage = { width: 4, height: 2, format: 'gray8', data: new Uint8Array([0, 1, 2, 3, 250, 251, 252, 255]) };
    expect(convert(image)).toEqual({ y: [0, 1, 2, 3, 250, 251, 252, 255], u: [128, 128], v: [128, 128] });
  });

  it('i420 reads Y, then U and V planes of stride/2 rows', () => {
    // 4x2, stride 6: Y 2 rows of 6 (4 used), U 1 row of 3 (2 used) at 12, V at 15.
    const data = new Uint8Array([
      1, 2, 3, 4, 99, 99,
      5, 6, 7, 8, 99, 99,
      40, 41, 99,
      60, 61,
    ]);
    expect(convert({ width: 4, height: 2, format: 'i420', data, stride: 6 })).toEqual({ y: [1, 2, 3, 4, 5, 6, 7, 8], u: [40, 41], v: [60, 61] });
  });

  it('nv12 reads Y, then interleaved UV rows of stride bytes', () => {
    // 4x4, stride 5: Y 4 rows of 5, UV 2 rows of 5 (4 used) at 20.
    const data = new Uint8Array([
      1, 2, 3, 4, 99,
      5, 6, 7, 8, 99,
      9, 10, 11, 12, 99,
      13, 14, 15, 16, 99,
      40, 60, 41, 61, 99,
      42, 62, 43, 63,
    ]);
    expect(convert({ width: 4, height: 4, format: 'nv12', data, stride: 5 })).toEqual({
      y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
      u: [40, 41, 42, 43],
      v: [60, 61, 62, 63],
    });
  });

  it('yuyv averages the chroma of each row pair with rounding: (a + b + 1) >> 1', () => {
    // Y0 U Y1 V. U: (100 + 101 + 1) >> 1 = 101; V: (200 + 51 + 1) >> 1 = 126; (7 + 8 + 1) >> 1 = 8; (0 + 255 + 1) >> 1 = 128.
    const data = new Uint8Array([
      10, 100, 20, 200, 11, 7, 21, 0,
      30, 101, 40, 51, 31, 8, 41, 255,
    ]);
    expect(convert({ width: 4, height: 2, format: 'yuyv', data })).toEqual({ y: [10, 20, 11, 21, 30, 40, 31, 41], u: [101, 8], v: [126, 128] });
  });
});

describe('convertImage: layout', () => {
  const extraStrides = (format: PixelFormat): number[] => (format === 'i420' ? [0, 2, 14] : [0, 1, 13]);

  for (const format of PIXEL_FORMATS) {
    it(`${format}: fast path equals referenceConvert on random data, sizes and strides`, () => {
      let seed = 1;
      for (const [w, h] of [[2, 2], [16, 16], [30, 18], [66, 34], [200, 150]] as const) {
        for (const extra of extraStrides(format)) {
          const stride = minStride(format, w) + extra;
          const data = randomBytes(requiredByteLength(format, w, h, stride), seed++);
          const image: EncoderImage = { width: w, height: h, format, data, stride };
          validateImage(image, w, h);
          const fast = pictureFor(w, h), ref = pictureFor(w, h);
          // Different garbage in each, so any sample the converter fails to write shows up.
          for (const p of [fast.y, fast.u, fast.v]) p.fill(0x55);
          for (const p of [ref.y, ref.u, ref.v]) p.fill(0xaa);
          convertImage(image, fast);
          referenceConvert(image, ref);
          expectSamePicture(fast, ref, `${w}x${h} stride ${stride}`);
        }
      }
    });

    it(`${format}: stride padding and bytes past the image are ignored`, () => {
      const w = 30, h = 18;
      const min = minStride(format, w), stride = min + (format === 'i420' ? 8 : 7);
      const exact = randomBytes(requiredByteLength(format, w, h, stride), 99);
      // Same image with every padding byte (and 64 trailing bytes) changed.
      const noisy = new Uint8Array(exact.length + 64).fill(0xee);
      const used = new Uint8Array(noisy.length);
      const markRows = (offset: number, rowStride: number, rowBytes: number, rows: number): void => {
        for (let r = 0; r < rows; r++) used.fill(1, offset + r * rowStride, offset + r * rowStride + rowBytes);
      };
      if (format === 'i420') {
        markRows(0, stride, w, h);
        markRows(stride * h, stride / 2, w / 2, h / 2);
        markRows(stride * h + (stride / 2) * (h / 2), stride / 2, w / 2, h / 2);
      } else if (format === 'nv12') {
        markRows(0, stride, w, h);
        markRows(stride * h, stride, w, h / 2);
      } else {
        markRows(0, stride, min, h);
      }
      for (let i = 0; i < exact.length; i++) if (used[i]) noisy[i] = exact[i]!;

      const a = pictureFor(w, h), b = pictureFor(w, h);
      convertImage({ width: w, height: h, format, data: exact, stride }, a);
      convertImage({ width: w, height: h, format, data: noisy, stride }, b);
      expectSamePicture(b, a, 'padded vs exact');
    });
  }

  it('accepts Uint8ClampedArray data and converts it like Uint8Array', () => {
    const bytes = randomBytes(16 * 4 * 8, 7);
    const clamped = { width: 16, height: 8, format: 'rgba' as const, data: new Uint8ClampedArray(bytes) };
    validateImage(clamped, 16, 8);
    expect(convert(clamped)).toEqual(convert({ width: 16, height: 8, format: 'rgba', data: bytes }));
  });

  it('pads a 200x150 image into a 208x160 picture by replicating the last column and row', () => {
    const w = 200, h = 150;
    const pic = new Picture(13, 10);
    for (const p of [pic.y, pic.u, pic.v]) p.fill(0x55);
    convertImage({ width: w, height: h, format: 'rgb24', data: randomBytes(w * h * 3, 200) }, pic);
    const check = (plane: Uint8Array, stride: number, vw: number, vh: number, fullW: number, fullH: number): void => {
      const expected = new Uint8Array(plane.length);
      for (let r = 0; r < fullH; r++) {
        for (let c = 0; c < fullW; c++) expected[r * stride + c] = plane[Math.min(r, vh - 1) * stride + Math.min(c, vw - 1)]!;
      }
      expect(firstDifference(plane, expected)).toBe(-1);
    };
    check(pic.y, pic.strideY, w, h, 208, 160);
    check(pic.u, pic.strideC, w / 2, h / 2, 104, 80);
    check(pic.v, pic.strideC, w / 2, h / 2, 104, 80);
    // The visible area is not all one value, so the check above is not vacuous.
    expect(new Set(pic.y.subarray(0, w)).size).toBeGreaterThan(1);
  });
});

describe('validateImage', () => {
  const ok: EncoderImage = { width: 320, height: 240, format: 'rgb24', data: new Uint8Array(320 * 240 * 3) };

  function expectError(image: unknown, type: typeof TypeError | typeof RangeError, message: string, w = 320, h = 240): void {
    let thrown: unknown;
    try {
      validateImage(image, w, h);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toBe(message);
    expect((thrown as { code?: string }).code).toBe('ERR_INVALID_IMAGE');
  }

  it('accepts a valid image with and without a stride, for every format', () => {
    expect(() => validateImage(ok, 320, 240)).not.toThrow();
    for (const format of PIXEL_FORMATS) {
      const stride = minStride(format, 320) + (format === 'i420' ? 64 : 3);
      expect(() => validateImage({ width: 320, height: 240, format, data: new Uint8Array(requiredByteLength(format, 320, 240, stride)), stride }, 320, 240)).not.toThrow();
      const packed = requiredByteLength(format, 320, 240, minStride(format, 320));
      expect(() => validateImage({ width: 320, height: 240, format, data: new Uint8Array(packed) }, 320, 240)).not.toThrow();
    }
  });

  it('packed sizes are the usual frame sizes', () => {
    const sizes = Object.fromEntries(PIXEL_FORMATS.map((f) => [f, requiredByteLength(f, 320, 240, minStride(f, 320))]));
    expect(sizes).toEqual({
      gray8: 76800, rgb565le: 153600, rgb565be: 153600, rgb24: 230400, bgr24: 230400,
      rgba: 307200, bgra: 307200, i420: 115200, nv12: 115200, yuyv: 153600,
    });
  });

  it('rejects a non-object', () => {
    const expected = (got: string): string => `image must be an object { width, height, format, data, stride? }, got ${got}`;
    expectError(null, TypeError, expected('null'));
    expectError(undefined, TypeError, expected('undefined'));
    expectError(42, TypeError, expected('42'));
    expectError(new Uint8Array(4), TypeError, expected('Uint8Array(4 bytes)'));
    expectError([1, 2], TypeError, expected('an array of 2'));
  });

  it('rejects an unknown format, listing the valid ones', () => {
    expectError({ ...ok, format: 'rgb32' }, TypeError,
      'image.format must be one of gray8, rgb565le, rgb565be, rgb24, bgr24, rgba, bgra, i420, nv12, yuyv, got "rgb32"');
    expectError({ ...ok, format: undefined }, TypeError,
      'image.format must be one of gray8, rgb565le, rgb565be, rgb24, bgr24, rgba, bgra, i420, nv12, yuyv, got undefined');
  });

  it('rejects a non-integer width or height', () => {
    expectError({ ...ok, width: 320.5 }, TypeError, 'image.width must be an integer, got 320.5');
    expectError({ ...ok, width: '320' }, TypeError, 'image.width must be an integer, got "320"');
    expectError({ ...ok, height: undefined }, TypeError, 'image.height must be an integer, got undefined');
    expectError({ ...ok, height: NaN }, TypeError, 'image.height must be an integer, got NaN');
  });

  it('rejects a size different from the encoder\'s', () => {
    expectError(ok, RangeError, 'image is 320x240, the encoder was created for 352x288', 352, 288);
    expectError({ ...ok, height: 238 }, RangeError, 'image is 320x238, the encoder was created for 320x240');
  });

  it('rejects data that is not a Uint8Array or Uint8ClampedArray', () => {
    const expected = (got: string): string => `image.data must be a Uint8Array or Uint8ClampedArray, got ${got}`;
    expectError({ ...ok, data: new Uint16Array(100) }, TypeError, expected('Uint16Array(200 bytes)'));
    expectError({ ...ok, data: [1, 2, 3] }, TypeError, expected('an array of 3'));
    expectError({ ...ok, data: new ArrayBuffer(8) }, TypeError, expected('an object'));
    expectError({ ...ok, data: new DataView(new ArrayBuffer(8)) }, TypeError, expected('DataView(8 bytes)'));
    expectError({ ...ok, data: undefined }, TypeError, expected('undefined'));
  });

  it('rejects a stride that is not a positive integer or too small for the format', () => {
    expectError({ ...ok, stride: 960.5 }, TypeError, 'image.stride must be a positive integer, got 960.5');
    expectError({ ...ok, stride: '960' }, TypeError, 'image.stride must be a positive integer, got "960"');
    expectError({ ...ok, stride: null }, TypeError, 'image.stride must be a positive integer, got null');
    expectError({ ...ok, stride: 640 }, RangeError, 'image.stride must be at least 960 for rgb24 at width 320, got 640');
    expectError({ ...ok, stride: 0 }, RangeError, 'image.stride must be at least 960 for rgb24 at width 320, got 0');
    expectError({ ...ok, stride: -960 }, RangeError, 'image.stride must be at least 960 for rgb24 at width 320, got -960');
    expectError({ ...ok, format: 'rgba', stride: 1279 }, RangeError, 'image.stride must be at least 1280 for rgba at width 320, got 1279');
    expectError({ ...ok, format: 'rgb565be', stride: 639 }, RangeError, 'image.stride must be at least 640 for rgb565be at width 320, got 639');
    expectError({ ...ok, format: 'yuyv', stride: 639 }, RangeError, 'image.stride must be at least 640 for yuyv at width 320, got 639');
    expectError({ ...ok, format: 'gray8', stride: 319 }, RangeError, 'image.stride must be at least 320 for gray8 at width 320, got 319');
    expectError({ ...ok, format: 'nv12', stride: 319 }, RangeError, 'image.stride must be at least 320 for nv12 at width 320, got 319');
    expectError({ ...ok, format: 'i420', stride: 321 }, RangeError, 'image.stride must be even for i420 (chroma rows are stride/2 bytes), got 321');
  });

  it('rejects data too short, saying how many bytes were needed: the last row needs only its packed bytes', () => {
    expectError({ ...ok, data: new Uint8Array(230399) }, RangeError,
      'image.data is too short for 320x240 rgb24 with stride 960: needs 230400 bytes, got 230399');
    // 1000 * 239 + 960
    expectError({ ...ok, stride: 1000, data: new Uint8Array(239919) }, RangeError,
      'image.data is too short for 320x240 rgb24 with stride 1000: needs 239960 bytes, got 239919');
    expect(() => validateImage({ ...ok, stride: 1000, data: new Uint8Array(239960) }, 320, 240)).not.toThrow();
    // i420, stride 400: Y 400*240, U 200*120, V 200*119 + 160.
    expectError({ ...ok, format: 'i420', stride: 400, data: new Uint8Array(100) }, RangeError,
      'image.data is too short for 320x240 i420 with stride 400: needs 143960 bytes, got 100');
    // nv12, stride 400: Y 400*240, UV 400*119 + 320.
    expectError({ ...ok, format: 'nv12', stride: 400, data: new Uint8Array(143919) }, RangeError,
      'image.data is too short for 320x240 nv12 with stride 400: needs 143920 bytes, got 143919');
    expectError({ ...ok, format: 'yuyv', data: new Uint8Array(0) }, RangeError,
      'image.data is too short for 320x240 yuyv with stride 640: needs 153600 bytes, got 0');
  });
});
