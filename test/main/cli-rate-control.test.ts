// `h264-studio encode` with rate control: --bitrate, --rate-control, --vbv-buffer, --qp-min,
// --qp-max, --aq and --stats, run as a user runs it (a fresh build of the source, one process per
// encode) on a real clip. The encodes are shared between assertions and run side by side.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameStatsEntry } from '../../main/cli/encode.js';
import { CliError, parseArgs } from '../../main/cli/args.js';
import { buildCli } from '../helpers/build-cli.js';
import { sequencesDir } from '../helpers/sequences.js';

/** 4 s of foreman CIF at 30 fps: long enough for rate control to settle on the target. */
const FRAMES = 120, FPS = 30, SECONDS = FRAMES / FPS;
const BITRATE = 500_000;
const QP_MIN = 24, QP_MAX = 36;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string, cli: string, clip: string;
const path = (name: string) => join(dir, name);
const exists = (p: string) => stat(p).then(() => true, () => false);

/** Runs the built CLI in its own process; resolves with the exit code whatever it is. */
function run(...argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...argv], { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      if (code === null) reject(error!);
      else resolve({ code, stdout, stderr });
    });
  });
}

const encode = (output: string, ...args: string[]) => run('encode', '--input', clip, '--output', path(output), '--preset', 'realtime', ...args);

/** The summary line: frames, bytes, achieved kb/s, then `(cbr target 500.0 kb/s)` when a target is in force. */
const SUMMARY = /^encoded (\d+) frames? \(\d+x\d+ at \d+ fps\): (\d+) bytes, ([\d.]+) kb\/s(?: \((cbr|vbr) target ([\d.]+) kb\/s\))?, [\d.]+ fps encode, mean Y-PSNR ([\d.]+) dB\n$/;

function summary(r: Run) {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const m = SUMMARY.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return { frames: Number(m![1]), bytes: Number(m![2]), kbps: Number(m![3]), mode: m![4], targetKbps: m![5] === undefined ? undefined : Number(m![5]), psnr: Number(m![6]) };
}

async function readStats(name: string): Promise<FrameStatsEntry[]> {
  return JSON.parse(await readFile(path(name), 'utf8')) as FrameStatsEntry[];
}

let cbr: Run, vbr: Run;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-rc-'));
  clip = join(sequencesDir(), 'foreman_cif_352x288.y4m');
  cli = await buildCli(path('cli'));
  [cbr, vbr] = await Promise.all([
    encode('cbr.h264', '--frames', `${FRAMES}`, '--bitrate', '500k', '--qp-min', `${QP_MIN}`, '--qp-max', `${QP_MAX}`, '--stats', path('cbr.json')),
    encode('vbr.h264', '--frames', `${FRAMES}`, '--bitrate', '0.5M', '--rate-control', 'vbr'),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('h264-studio encode --bitrate', () => {
  it('cbr (the default) hits the target within 3% over 4 s, and the summary shows both rates', async () => {
    const s = summary(cbr);
    const bytes = (await stat(path('cbr.h264'))).size;
    expect(s).toMatchObject({ frames: FRAMES, bytes, mode: 'cbr', targetKbps: 500 });
    const bps = (bytes * 8) / SECONDS;
    expect(Math.abs(bps / BITRATE - 1), `${bps} b/s for a target of ${BITRATE}`).toBeLessThan(0.03);
    expect(s.kbps).toBeCloseTo(bps / 1000, 1);
  });

  it('vbr hits the target within 3% over 4 s', async () => {
    const s = summary(vbr);
    const bytes = (await stat(path('vbr.h264'))).size;
    expect(s).toMatchObject({ frames: FRAMES, bytes, mode: 'vbr', targetKbps: 500 });
    const bps = (bytes * 8) / SECONDS;
    expect(Math.abs(bps / BITRATE - 1), `${bps} b/s for a target of ${BITRATE}`).toBeLessThan(0.03);
  });
});

describe('h264-studio encode --stats', () => {
  it('writes one entry per frame whose bytes add up to the stream', async () => {
    const stats = await readStats('cbr.json');
    expect(stats).toHaveLength(FRAMES);
    expect(stats.map((e) => e.frame)).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    expect(stats.reduce((sum, e) => sum + e.bytes, 0)).toBe((await stat(path('cbr.h264'))).size);
    expect(stats[0]).toMatchObject({ keyframe: true, type: 'I' });
    expect(Object.keys(stats[0]!)).toEqual(expect.arrayContaining(['keyframe', 'type', 'sceneCut', 'bytes', 'qp', 'qpAvg', 'qpMin', 'qpMax',
      'encodeMs', 'psnrY', 'vbvFill', 'reencoded', 'mbI4x4', 'mbI16x16', 'mbPcm', 'mbPSkip', 'mbP16x16', 'mbP16x8', 'mbP8x16', 'mbP8x8']));
  });

  it('keeps every quantiser inside --qp-min..--qp-max', async () => {
    for (const e of await readStats('cbr.json')) {
      expect(e.qpMin, `frame ${e.frame}`).toBeGreaterThanOrEqual(QP_MIN);
      expect(e.qpMax, `frame ${e.frame}`).toBeLessThanOrEqual(QP_MAX);
      expect(e.qpMin).toBeLessThanOrEqual(e.qpAvg);
      expect(e.qpAvg).toBeLessThanOrEqual(e.qpMax);
    }
  });

  it("holds each frame's Y-PSNR, averaging to the summary's, and the VBV fill of cbr", async () => {
    const stats = await readStats('cbr.json');
    for (const e of stats) {
      expect(typeof e.psnrY, `frame ${e.frame}`).toBe('number');
      expect(e.psnrY).toBeGreaterThan(25);
      expect(typeof e.vbvFill).toBe('number');
      expect(e.vbvFill).toBeGreaterThanOrEqual(0);
    }
    // Two measurements of the same thing: the encoder's (stats) and the CLI's (summary).
    const mean = stats.reduce((sum, e) => sum + e.psnrY!, 0) / stats.length;
    expect(Math.abs(mean - summary(cbr).psnr)).toBeLessThan(0.01);
  });

  it('leaves no temporary file beside it', async () => {
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to overwrite an existing file without -y, before encoding anything', async () => {
    const existing = path('existing.json');
    await writeFile(existing, 'keep me');
    const r = await encode('refused.h264', '--frames', '3', '--stats', existing);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `h264-studio: stats ${existing} already exists: use --force (-y) to overwrite it\n` });
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    expect(await exists(path('refused.h264'))).toBe(false);

    const forced = await encode('forced.h264', '--frames', '3', '--stats', existing, '-y');
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readStats('existing.json')).toHaveLength(3);
  });
});

describe('h264-studio encode: constant QP and adaptive quantisation', () => {
  it('--qp N is constant QP: every macroblock at N, no target in the summary', async () => {
    const r = await encode('cqp.h264', '--frames', '5', '--qp', '30', '--stats', path('cqp.json'));
    expect(summary(r)).toMatchObject({ frames: 5, mode: undefined, targetKbps: undefined });
    for (const e of await readStats('cqp.json')) expect([e.qp, e.qpMin, e.qpMax, e.vbvFill]).toEqual([30, 30, 30, null]);
  });

  it('--aq varies the quantiser per macroblock, inside the bounds', async () => {
    const r = await encode('aq.h264', '--frames', '5', '--rate-control', 'cqp', '--qp', '30', '--aq', '1.5', '--qp-min', '27', '--qp-max', '33',
      '--stats', path('aq.json'));
    summary(r);
    const stats = await readStats('aq.json');
    for (const e of stats) expect([e.qpMin >= 27, e.qpMax <= 33]).toEqual([true, true]);
    expect(stats.some((e) => e.qpMin < e.qpMax)).toBe(true);
  });
});

describe('h264-studio encode: a bad rate-control value is one line and exit 2', () => {
  const cases: [string[], string][] = [
    [['--rate-control', 'abr'], '--rate-control must be one of cbr, vbr, cqp, got "abr"'],
    [['--bitrate', '-500k'], '--bitrate must be an integer from 1 to 240000000 (k and M suffixes allowed), got -500k'],
    [['--bitrate', 'NaN'], '--bitrate must be an integer from 1 to 240000000 (k and M suffixes allowed), got "NaN"'],
    [['--bitrate', '0'], '--bitrate must be an integer from 1 to 240000000 (k and M suffixes allowed), got 0'],
    [['--bitrate', '300M'], '--bitrate must be an integer from 1 to 240000000 (k and M suffixes allowed), got 300M'],
    [['--vbv-buffer', '0'], '--vbv-buffer must be an integer from 1000 to 480000000 (k and M suffixes allowed), got 0'],
    [['--qp-min', '40', '--qp-max', '30'], '--qp-min must not exceed --qp-max, got 40 > 30'],
    [['--aq', '3'], '--aq must be a number from 0 to 2, got 3'],
    [['--aq', '-0.5'], '--aq must be a number from 0 to 2, got -0.5'],
    [['--aq', 'strong'], '--aq must be a number from 0 to 2, got "strong"'],
    [['--qp', '30', '--rate-control', 'cbr'],
      '--qp is the constant quantiser of --rate-control cqp; with --rate-control cbr use --bitrate (and --qp-min, --qp-max to bound the quantiser)'],
    [['--qp', '30', '--rate-control', 'vbr'],
      '--qp is the constant quantiser of --rate-control cqp; with --rate-control vbr use --bitrate (and --qp-min, --qp-max to bound the quantiser)'],
    [['--qp', '30', '--bitrate', '500k'], '--qp and --bitrate cannot be used together: --qp fixes the quantiser, --bitrate lets rate control choose it'],
    [['--rate-control', 'cqp', '--bitrate', '500k'], '--bitrate does not apply with --rate-control cqp (constant quantiser: use --qp N)'],
    [['--rate-control', 'vbr', '--vbv-buffer', '1M'], '--vbv-buffer only applies with --rate-control cbr, got --rate-control vbr'],
    [['--qp', '45', '--qp-max', '40'], '--qp must not exceed --qp-max, got 45 > 40'],
    [['--qp', '5', '--qp-min', '10'], '--qp must not be below --qp-min, got 5 < 10'],
    [['--stats', '-'], '--stats needs a file name, not -'],
  ];

  it.each(cases)('%j', async (args, message) => {
    const r = await encode('never.h264', ...args);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `h264-studio: ${message}\n` });
    expect(await exists(path('never.h264'))).toBe(false);
  });

  it('--stats naming the output is refused', async () => {
    const r = await encode('same.h264', '--stats', path('same.h264'));
    expect(r).toEqual({ code: 2, stdout: '', stderr: `h264-studio: --stats and --output are the same file: ${path('same.h264')}\n` });
  });
});

describe('parseArgs: number options (--aq)', () => {
  const specs = { aq: { kind: 'number', min: 0, max: 2 } } as const;
  const parse = (...argv: string[]) => parseArgs(argv, specs).options.aq;

  it('reads decimals and whole numbers', () => {
    expect(parse('--aq', '0.5')).toBe(0.5);
    expect(parse('--aq=2')).toBe(2);
    expect(parse('--aq', '.25')).toBe(0.25);
    expect(parse('--aq', '0')).toBe(0);
  });

  it('refuses anything else, naming the value', () => {
    for (const [text, shown] of [['2.01', '2.01'], ['-1', '-1'], ['1e0', '"1e0"'], ['Infinity', '"Infinity"'], ['0x1', '"0x1"'], ['1k', '1k']]) {
      expect(() => parse('--aq', text)).toThrow(CliError);
      expect(() => parse('--aq', text)).toThrow(`--aq must be a number from 0 to 2, got ${shown}`);
    }
  });
});
