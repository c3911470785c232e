// `h264-studio record` and `h264-studio presets` as a user runs them: the built CLI in its own
// process (the encoder worker needs built JavaScript), its recordings checked with real
// ffprobe/ffmpeg (issue 6, "Done when" and "Reliability": user mistakes).
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../helpers/build-cli.js';
import { recordSummary, runCliProcess, type ProcessRun } from '../helpers/engine.js';
import { decodeFile, probePackets, probeVideo } from '../helpers/probe.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
let cli: string;
/** A config directory with no presets file, so the user's own never leak in. */
let noConfig: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-cli-record-'));
  cli = await buildCli(path('build'));
  await symlink(join(ROOT, 'node_modules'), path('build/node_modules'), 'dir'); // mediabunny
  noConfig = path('no-config');
  await mkdir(noConfig);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function studio(argv: string[], configDir: string = noConfig): Promise<ProcessRun> {
  return runCliProcess(cli, argv, { cwd: dir, env: { H264_STUDIO_CONFIG_DIR: configDir } });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** A user mistake: exit 2, one line naming it, no stack trace. */
function expectUserError(run: ProcessRun, message: string): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toBe(`h264-studio: ${message}\n`);
  expect(run.stdout).toBe('');
}

describe('h264-studio record', () => {
  it('records 5 s of the test pattern (QVGA 15 fps) to .mp4 and .h264 that ffprobe and ffmpeg -xerror read in full', async () => {
    const FPS = 15, SECONDS = 5;
    const run = await studio(['record', '--seconds', String(SECONDS), '-o', 'five.mp4', '-o', 'five.h264']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('recording test pattern 320x240 at 15 fps as 15 fps, 1.5 Mb/s (balanced) to five.mp4, five.h264 for 5 s; Ctrl-C stops\n');
    // Every frame of the 5 s was read; one the encoder could not keep up with would show as dropped.
    const summary = recordSummary(run.stdout);
    expect(summary.frames + summary.dropped).toBe(FPS * SECONDS);

    const [mp4, h264] = await Promise.all([probeVideo(path('five.mp4')), probeVideo(path('five.h264'))]);
    for (const probed of [mp4, h264]) {
      expect(probed).toMatchObject({ codecName: 'h264', width: 320, height: 240 });
      expect(probed.frames, `${summary.dropped} frames dropped`).toBe(summary.frames);
      expect(Math.abs(probed.frames - FPS * SECONDS)).toBeLessThanOrEqual(1);
    }
    expect(mp4.formatName).toContain('mp4');
    expect(Math.abs(mp4.duration! - SECONDS)).toBeLessThanOrEqual(1.5 / FPS);
    const packets = await probePackets(path('five.mp4'));
    expect(packets[packets.length - 1]!.pts + packets[packets.length - 1]!.duration).toBeCloseTo(mp4.duration!, 3);

    const [fromMp4, fromH264] = await Promise.all([decodeFile(path('five.mp4')), decodeFile(path('five.h264'))]);
    expect(fromH264.frames).toBe(summary.frames);
    expect(fromMp4.checksums).toEqual(fromH264.checksums);
    expect(run.stdout).toContain(`five.mp4 ${(await stat(path('five.mp4'))).size} bytes, five.h264 ${(await stat(path('five.h264'))).size} bytes`);
  });

  it('refuses to overwrite an existing recording without -y, leaving it untouched', async () => {
    await writeFile(path('earlier.mp4'), 'an earlier recording');
    const run = await studio(['record', '--seconds', '1', '-o', 'new.h264', '-o', 'earlier.mp4']);
    expectUserError(run, 'earlier.mp4 already exists: choose another name, or add -y to overwrite it');
    expect(await readFile(path('earlier.mp4'), 'utf8')).toBe('an earlier recording');
    expect(await exists(path('new.h264'))).toBe(false); // nothing started
  });

  it('names an output it cannot create before anything starts', async () => {
    expectUserError(await studio(['record', '-o', 'fine.mp4', '-o', 'no-such-folder/clip.h264']),
      'cannot create no-such-folder/clip.h264: the folder no-such-folder does not exist');
    await writeFile(path('a-file'), 'not a folder');
    expectUserError(await studio(['record', '-o', 'a-file/clip.mp4']), 'cannot create a-file/clip.mp4: a-file is not a folder');
    expect(await readFile(path('a-file'), 'utf8')).toBe('not a folder');
    expect(await exists(path('fine.mp4'))).toBe(false);
  });

  it('stops, with the reason, when its only recording fails once started', async () => {
    // A folder passes the checks with -y (it exists, its parent is writable); opening it fails.
    await mkdir(path('a-folder.mp4'));
    const run = await studio(['record', '--seconds', '60', '-y', '-o', 'a-folder.mp4']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('h264-studio: recording to a-folder.mp4 stopped: cannot create a-folder.mp4: it is a folder\n');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Nothing left to record to: it ends at once, not after the 60 s.
    expect(recordSummary(run.stdout).frames).toBeLessThan(15 * 10);
  });

  it('names an unknown source and an unknown preset, with the choices', async () => {
    expectUserError(await studio(['record', '--source', 'camera', '-o', 'src.mp4']),
      'unknown source "camera": testsrc, or file:PATH (a .y4m, or a raw .yuv with --size and --fps)');
    expectUserError(await studio(['record', '--preset', '4k60', '-o', 'preset.mp4']),
      'unknown preset "4k60": one of "qvga15", "vga30", "720p30", "1080p30" (h264-studio presets lists them)');
    expect(await exists(path('src.mp4'))).toBe(false);
    expect(await exists(path('preset.mp4'))).toBe(false);
  });

  it('warns about a broken presets file, naming it, records with a built-in preset, and leaves the file as it was', async () => {
    const config = path('broken-config');
    await mkdir(config);
    const presetsFile = join(config, 'presets.json');
    const broken = '{ "version": 1, "presets": [ { "name": "Desk cam", "width": 640, ';
    await writeFile(presetsFile, broken);
    const before = await stat(presetsFile);

    const run = await studio(['record', '--seconds', '1', '-o', 'despite.mp4'], config);
    expect(run.code, run.stderr).toBe(0);
    const [warning, ...rest] = run.stderr.split('\n');
    expect(warning).toMatch(new RegExp(`^h264-studio: warning: ${presetsFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: .+; user presets were not loaded \\(the file was left as it is\\)$`));
    expect(rest.join('\n')).toContain('recording test pattern 320x240 at 15 fps');
    const summary = recordSummary(run.stdout);
    expect(await probeVideo(path('despite.mp4'))).toMatchObject({ width: 320, height: 240, frames: summary.frames });
    expect(summary.frames).toBeGreaterThan(0);

    expect(await readFile(presetsFile, 'utf8')).toBe(broken);
    expect((await stat(presetsFile)).mtimeMs).toBe(before.mtimeMs);
  });
});

describe('h264-studio presets', () => {
  const BUILT_INS = [
    'qvga15   QVGA 15 fps 1.5 Mb/s  320x240    15   15   1.5 Mb/s  10-40  balanced  built-in',
    'vga30    VGA 30 fps            640x480    30   30   2 Mb/s    10-40  balanced  built-in',
    '720p30   720p30                1280x720   30   30   4 Mb/s    10-42  realtime  built-in',
    '1080p30  1080p30               1920x1080  30   30   8 Mb/s    10-42  realtime  built-in',
  ];

  it('lists the four built-in presets', async () => {
    const run = await studio(['presets']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toEqual([
      'id       name                  size       fps  gop  bitrate   qp     speed     from',
      ...BUILT_INS,
      `user presets: ${join(noConfig, 'presets.json')} (none)`,
      '',
    ]);
  });

  it('lists the user\'s presets after them, and records with one', async () => {
    const config = path('user-config');
    await mkdir(config);
    await writeFile(join(config, 'presets.json'), JSON.stringify({
      version: 1,
      presets: [{ name: 'Bench cam', width: 160, height: 120, fps: 10, bitrate: 300_000, gop: 10, qpMin: 20, qpMax: 44, encoderPreset: 'realtime' }],
    }));
    const run = await studio(['presets'], config);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.length).toBe(BUILT_INS.length + 4);
    expect(lines[BUILT_INS.length + 1]!.split(/\s{2,}/)).toEqual(['bench-cam', 'Bench cam', '160x120', '10', '10', '300 kb/s', '20-44', 'realtime', 'user']);
    expect(lines[BUILT_INS.length + 2]).toBe(`user presets: ${join(config, 'presets.json')}`);
    // The built-ins first, as before (the columns may be wider).
    const cells = (line: string) => line.split(/\s{2,}/);
    expect(lines.slice(1, 1 + BUILT_INS.length).map(cells)).toEqual(BUILT_INS.map(cells));

    const rec = await studio(['record', '--preset', 'bench-cam', '--seconds', '1', '-o', 'bench-cam.mp4'], config);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stderr).toContain('recording test pattern 160x120 at 10 fps as 10 fps, 300 kb/s (realtime)');
    expect(await probeVideo(path('bench-cam.mp4'))).toMatchObject({ width: 160, height: 120, frames: recordSummary(rec.stdout).frames });
  });
});
