import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFrames, decodeWithFfmpeg } from '../helpers/decoders.js';
import { psnrPlane, sumSquaredError } from '../../main/media/metrics.js';
import { parseY4m, y4mHeaderLine } from '../../main/media/y4m.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const W = 64, H = 48, FRAME_BYTES = W * H * 3 / 2;

/** A moving gradient: something an encoder has to work for, different in every frame. */
function frame(index: number, width = W, height = H): Uint8Array {
  const cw = width >> 1, ch = height >> 1;
  const f = new Uint8Array(width * height + 2 * cw * ch);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) f[y * width + x] = (x * 3 + y * 2 + index * 5) & 0xff;
  f.fill(100 + index, width * height, width * height + cw * ch);
  f.fill(150 - index, width * height + cw * ch);
  return f;
}

function y4mClip(frames: number, header = y4mHeaderLine(W, H, 30)): Uint8Array {
  const parts = [Buffer.from(header)];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), Buffer.from(frame(i)));
  return Buffer.concat(parts);
}

function rawClip(frames: number): Uint8Array {
  return Buffer.concat(Array.from({ length: frames }, (_, i) => frame(i)));
}

const run = runCli;

/** A user mistake: exit 2 and exactly one line `h264-studio: ...` on stderr, nothing on stdout. */
function expectUserError(r: CliRun, message: string | RegExp): void {
  expect(r.stderr).toMatch(/^h264-studio: [^\n]+\n$/);
  if (typeof message === 'string') expect(r.stderr).toBe(`h264-studio: ${message}\n`);
  else expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(r.stdout.length).toBe(0);
}

// Rate control (cbr, the default, or vbr) adds its target after the achieved rate; the target's
// own checks are in cli-rate-control.test.ts.
const SUMMARY = /^encoded (\d+) frames? \((\d+)x(\d+) at (\d+) fps\): (\d+) bytes, ([\d.]+) kb\/s(?: \((?:cbr|vbr) target [\d.]+ kb\/s\))?, ([\d.]+) fps encode, mean Y-PSNR ([\d.]+) dB\n$/;

let dir: string;
let clip: string;
const path = (name: string) => join(dir, name);
const exists = (p: string) => stat(p).then(() => true, () => false);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-cli-'));
  clip = path('clip.y4m');
  await writeFile(clip, y4mClip(3));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('h264-studio (dispatch)', () => {
  it('prints usage and exits 2 without a command', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: h264-studio <command>/);
  });

  it('prints help on --help, -h and help', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(/^Usage: h264-studio <command>/);
    }
  });

  it("prints a command's help", async () => {
    for (const argv of [['help', 'encode'], ['encode', '--help'], ['encode', '-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(/^Usage: h264-studio encode --input/);
    }
  });

  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(`h264-studio ${pkg.version}\n`);
  });

  it('refuses an unknown command with a hint', async () => {
    expectUserError(await run(['encod']), 'unknown command "encod" (did you mean encode?): run h264-studio --help for usage');
    expectUserError(await run(['frobnicate', '--x']), 'unknown command "frobnicate": run h264-studio --help for usage');
    expectUserError(await run(['--verison']), 'unknown command "--verison" (did you mean --version?): run h264-studio --help for usage');
    expectUserError(await run(['help', 'nope']), /unknown command "nope"/);
  });
});

describe('h264-studio encode: mistakes are one line and exit 2', () => {
  const out = () => path('never.h264');

  it('bad arguments', async () => {
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--qp', '60']), '--qp must be an integer from 0 to 51, got 60');
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--qpp', '20']), 'unknown option --qpp (did you mean --qp?)');
    expectUserError(await run(['encode', '--input', clip, '--output']), '--output needs a value');
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--gop', 'ten']), '--gop must be an integer from 0 to 65535, got "ten"');
    expectUserError(await run(['encode', clip, out()]), /^h264-studio: unexpected argument .*clip\.y4m/);
    expectUserError(await run(['encode', '--output', out()]), /needs --input FILE/);
    expectUserError(await run(['encode', '--input', clip]), /needs --output FILE/);
    expectUserError(await run(['encode', '-i', clip, '-o', out(), '--qp', '20', '--bitrate', '1M']), /--qp and --bitrate cannot be used together/);
    expectUserError(await run(['encode', '-i', clip, '-o', out(), '--qp', '41', '--qp-max', '40']), '--qp must not exceed --qp-max, got 41 > 40');
    expectUserError(await run(['encode', '-i', clip, '-o', out(), '--bitrate', '1M', '--qp-min', '40', '--qp-max', '30']), '--qp-min must not exceed --qp-max, got 40 > 30');
    expectUserError(await run(['encode', '-i', clip, '-o', out(), '--recon', path('r.mp4')]), /--recon .*r\.mp4: the name must end in \.y4m or \.yuv/);
    expect(await exists(out())).toBe(false);
  });

  it('a missing input file', async () => {
    const missing = path('missing.y4m');
    expectUserError(await run(['encode', '--input', missing, '--output', out()]), `cannot read input ${missing}: no such file`);
  });

  it('a directory as input', async () => {
    expectUserError(await run(['encode', '--input', dir, '--output', out(), '--size', '64x48', '--fps', '30']), `cannot read input ${dir}: it is a directory`);
  });

  it('a y4m with a bad header', async () => {
    const bad = path('bad.y4m');
    await writeFile(bad, Buffer.concat([Buffer.from('YUV4MPEG2 W64 H48 F30:1 C422\nFRAME\n'), Buffer.alloc(64 * 48 * 2)]));
    expectUserError(await run(['encode', '--input', bad, '--output', out()]), `${bad}: y4m colour space C422 is not supported: expected 8-bit 4:2:0 (C420)`);
    const notY4m = path('notes.y4m');
    await writeFile(notY4m, 'just some text\n');
    expectUserError(await run(['encode', '--input', notY4m, '--output', out()]), /notes\.y4m: not a YUV4MPEG2 file/);
    expect(await exists(out())).toBe(false);
  });

  it('a y4m on stdin that is not one suggests --size', async () => {
    expectUserError(await run(['encode', '--input', '-', '--output', out()], rawClip(1)), /^h264-studio: stdin: not a YUV4MPEG2 file.*needs --size WxH and --fps N\)\n$/);
  });

  it('a y4m without a single whole frame', async () => {
    const empty = path('header-only.y4m');
    await writeFile(empty, y4mHeaderLine(W, H, 30));
    expectUserError(await run(['encode', '--input', empty, '--output', out()]), `${empty} holds no whole 64x48 frame`);
    expect(await exists(out())).toBe(false);
  });

  it('raw .yuv without --size or --fps, and a bad --size', async () => {
    const yuv = path('clip.yuv');
    await writeFile(yuv, rawClip(2));
    expectUserError(await run(['encode', '--input', yuv, '--output', out()]), `raw I420 input ${yuv} needs --size WxH and --fps N`);
    expectUserError(await run(['encode', '--input', yuv, '--output', out(), '--size', '64x48']), `raw I420 input ${yuv} needs --fps N (raw video carries no frame rate)`);
    expectUserError(await run(['encode', '--input', yuv, '--output', out(), '--size', '64', '--fps', '30']), /^h264-studio: --size must be WIDTHxHEIGHT.*got "64"\n$/);
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--size', '64x48']), `--size is for raw I420 input: ${clip} gives its size in its header`);
  });

  it('refuses to overwrite an existing output or recon without --force', async () => {
    const existing = path('existing.h264');
    await writeFile(existing, 'keep me');
    expectUserError(await run(['encode', '--input', clip, '--output', existing]), `output ${existing} already exists: use --force (-y) to overwrite it`);
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    const recon = path('existing-recon.y4m');
    await writeFile(recon, 'keep me too');
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--recon', recon]), `recon ${recon} already exists: use --force (-y) to overwrite it`);
    expect(await exists(out())).toBe(false);
  });

  it('refuses to write over the input, even with --force', async () => {
    expectUserError(await run(['encode', '--input', clip, '--output', clip, '-y']), `output ${clip} is the input file`);
    expect((await readFile(clip)).length).toBe(y4mClip(3).length);
  });

  it('checks the output directory before encoding', async () => {
    const nowhere = path('no/such/dir/out.h264');
    expectUserError(await run(['encode', '--input', clip, '--output', nowhere]), `cannot write output ${nowhere}: directory ${path('no/such/dir')} does not exist`);
    expectUserError(await run(['encode', '--input', clip, '--output', dir]), `cannot write output ${dir}: it is a directory`);
  });

  it('an unknown preset', async () => {
    expectUserError(await run(['encode', '--input', clip, '--output', out(), '--preset', 'fastest']), /^h264-studio: --preset must be one of .*balanced.*, got "fastest"\n$/);
  });

  it('a picture size the encoder refuses, leaving no file behind', async () => {
    const odd = Buffer.alloc(65 * 48 + 2 * 33 * 24, 128);
    expectUserError(await run(['encode', '--input', '-', '--size', '65x48', '--fps', '30', '--output', out()], odd),
      /^h264-studio: cannot encode stdin \(65x48\): width must be even.*65\n$/);
    expect(await exists(out())).toBe(false);
  });

  it('an encoder limit reached through the stream rate', async () => {
    const fast = path('fast.y4m');
    await writeFile(fast, y4mClip(1, y4mHeaderLine(W, H, 1000)));
    expectUserError(await run(['encode', '--input', fast, '--output', out()]), /^h264-studio: cannot encode .*fast\.y4m \(64x48\): options\.fps must be an integer from 1 to 240, got 1000\n$/);
  });
});

describe('h264-studio encode: encoding (needs encoder/index.ts)', () => {
  it('encodes a y4m clip to an Annex-B file with a one-line summary', async () => {
    const output = path('happy.h264'), recon = path('happy-recon.y4m');
    const r = await run(['encode', '--input', clip, '--output', output, '--qp', '27', '--gop', '30', '--recon', recon]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = SUMMARY.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    const [, frames, width, height, fps, bytes, kbps, encodeFps, psnr] = m!.map(Number);
    expect([frames, width, height, fps]).toEqual([3, W, H, 30]);
    const stream = await readFile(output);
    expect(bytes).toBe(stream.length);
    expect([...stream.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    expect(kbps).toBeCloseTo((stream.length * 8) / (3 / 30) / 1000, 0);
    expect(encodeFps).toBeGreaterThan(0);
    expect(psnr).toBeGreaterThan(25);
    expect(psnr).toBeLessThanOrEqual(100);

    // The recon is a y4m of the same size, rate and frame count, and its PSNR is the summary's.
    const { header, frames: pictures } = parseY4m(await readFile(recon));
    expect([header.width, header.height, header.fpsNum, header.fpsDen]).toEqual([W, H, 30, 1]);
    expect(pictures.length).toBe(3);
    const mean = pictures.reduce((s, p, i) => s + Math.min(100, psnrPlane(frame(i), p, W, H)), 0) / 3;
    expect(psnr).toBeCloseTo(mean, 2);
  });

  it('writes a stream that ffmpeg decodes to exactly the --recon pictures', async () => {
    const output = path('checked.h264'), recon = path('checked-recon.yuv');
    const r = await run(['encode', '--input', clip, '--output', output, '--recon', recon, '--qp', '30']);
    expect(r.code).toBe(0);
    const decoded = await decodeWithFfmpeg(await readFile(output), { width: W, height: H, expectedFrames: 3 });
    expect(compareFrames(await readFile(recon), Buffer.concat(decoded.frames), W, H)).toBeNull();
  });

  it('--no-simd encodes with the TypeScript kernels: the same stream, byte for byte', async () => {
    const withSimd = path('simd.h264'), without = path('no-simd.h264');
    for (const [output, extra] of [[withSimd, []], [without, ['--no-simd']]] as const) {
      const r = await run(['encode', '-i', clip, '-o', output, '--preset', 'realtime', '--qp', '24', ...extra]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(Buffer.compare(await readFile(withSimd), await readFile(without))).toBe(0);
  });

  it('overwrites with --force and stops after --frames', async () => {
    const output = path('forced.h264');
    await writeFile(output, 'old');
    const r = await run(['encode', '-i', clip, '-o', output, '-y', '--frames', '2']);
    expect(r.code).toBe(0);
    expect(SUMMARY.exec(r.stdout.toString())?.[1]).toBe('2');
    expect([...(await readFile(output)).subarray(0, 4)]).toEqual([0, 0, 0, 1]);
  });

  it('reads y4m from stdin and writes the stream to stdout, the summary to stderr', async () => {
    const r = await run(['encode', '--input', '-', '--output', '-'], y4mClip(3));
    expect(r.code).toBe(0);
    expect([...r.stdout.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    const m = SUMMARY.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![5])).toBe(r.stdout.length);
  });

  it('reads raw I420 with --size and --fps, writing a raw recon', async () => {
    const yuv = path('raw-in.yuv'), recon = path('raw-recon.yuv');
    await writeFile(yuv, rawClip(3));
    const r = await run(['encode', '--input', yuv, '--size', '64x48', '--fps', '25', '--output', path('raw.h264'), '--recon', recon]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(SUMMARY.exec(r.stdout.toString())?.slice(1, 5)).toEqual(['3', '64', '48', '25']);
    expect((await readFile(recon)).length).toBe(3 * FRAME_BYTES);
  });

  it('warns about trailing bytes of raw input', async () => {
    const yuv = path('ragged.yuv');
    await writeFile(yuv, Buffer.concat([rawClip(2), Buffer.alloc(100)]));
    const r = await run(['encode', '--input', yuv, '--size', '64x48', '--fps', '30', '--output', path('ragged.h264')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`h264-studio: warning: ${yuv} ends with 100 bytes that are not a whole 64x48 frame: ignored (is --size right?)\n`);
    expect(SUMMARY.exec(r.stdout.toString())?.[1]).toBe('2');
  });

  it('rounds a fractional y4m frame rate and says so; the recon keeps the exact rate', async () => {
    const ntsc = path('ntsc.y4m'), recon = path('ntsc-recon.y4m');
    await writeFile(ntsc, y4mClip(2, y4mHeaderLine(W, H, 30000, 1001)));
    const r = await run(['encode', '--input', ntsc, '--output', path('ntsc.h264'), '--recon', recon]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`h264-studio: note: ${ntsc} runs at 30000:1001 (29.970) fps; encoding as 30 fps (use --fps N to choose)\n`);
    expect(SUMMARY.exec(r.stdout.toString())?.[4]).toBe('30');
    expect(parseY4m(await readFile(recon)).header).toMatchObject({ fpsNum: 30000, fpsDen: 1001 });
  });

  it('writes the figures the bench needs with --stats-json', async () => {
    const output = path('stats.h264'), stats = path('stats.json');
    const r = await run(['encode', '--input', clip, '--output', output, '--stats-json', stats, '--frames', '2']);
    expect(r.code).toBe(0);
    const written = JSON.parse(await readFile(stats, 'utf8')) as Record<string, number>;
    expect(Object.keys(written)).toEqual(['frames', 'bytes', 'encodeSeconds', 'maxRssKiB']);
    expect(written.frames).toBe(2);
    expect(written.bytes).toBe((await readFile(output)).length);
    expect(written.encodeSeconds).toBeGreaterThan(0);
    // This test's own process: at least the few MiB any Node process holds.
    expect(written.maxRssKiB).toBeGreaterThan(10_000);
    expectUserError(await run(['encode', '--input', clip, '--output', path('stats2.h264'), '--stats-json', path('no/such/dir/s.json')]),
      `cannot write --stats-json ${path('no/such/dir/s.json')}: no such file`);
  });

  it('writes into an existing subdirectory', async () => {
    await mkdir(path('sub'));
    const r = await run(['encode', '--input', clip, '--output', path('sub/x.h264')]);
    expect(r.code).toBe(0);
  });
});

describe('psnrPlane (the summary Y-PSNR)', () => {
  it('is 10 log10(255^2 / MSE)', () => {
    const a = new Uint8Array([10, 20, 30, 40]);
    const b = new Uint8Array([12, 20, 27, 40]); // squared errors 4 + 0 + 9 + 0: MSE 13/4
    expect(sumSquaredError(a, b, 2, 2)).toBe(13);
    expect(psnrPlane(a, b, 2, 2)).toBeCloseTo(10 * Math.log10((255 * 255) / (13 / 4)), 12);
  });

  it('is Infinity for identical planes and 0 dB for the largest error', () => {
    expect(psnrPlane(new Uint8Array(16).fill(7), new Uint8Array(16).fill(7), 4, 4)).toBe(Infinity);
    expect(psnrPlane(new Uint8Array(4), new Uint8Array(4).fill(255), 2, 2)).toBe(0);
  });

  it('honours strides', () => {
    // 2x2 samples inside rows of 3 and 4 bytes; the padding differs and must be ignored.
    const a = new Uint8Array([1, 2, 99, 3, 4, 99]);
    const b = new Uint8Array([1, 2, 0, 0, 3, 5, 0, 0]);
    expect(sumSquaredError(a, b, 2, 2, 3, 4)).toBe(1);
  });

  it('refuses planes too small for their size', () => {
    expect(() => psnrPlane(new Uint8Array(3), new Uint8Array(4), 2, 2)).toThrow(RangeError);
    expect(() => psnrPlane(new Uint8Array(4), new Uint8Array(4), 2, 2, 1)).toThrow('stride of a must be an integer of at least 2, got 1');
  });
});
