import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT_IN_PRESETS, PresetError, checkPreset, configDir, findPreset, loadPresets, presetId, presetsPath, removeUserPreset, saveUserPreset,
} from '../../../main/engine/presets.js';
import type { StudioPreset } from '../../../main/engine/types.js';
import { isRoot, runAsNobody } from '../../helpers/as-nobody.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'presets-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh config directory per test (it need not exist yet). */
function freshDir(): string {
  return join(root, `config-${++n}`);
}

async function writePresets(dir: string, content: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = presetsPath(dir);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const desk = { name: 'Desk cam', width: 640, height: 360, fps: 25, gop: 50, bitrate: 1_200_000, qpMin: 12, qpMax: 38, encoderPreset: 'quality' as const };

describe('built-in presets', () => {
  it('are the four documented ones, with ids', () => {
    expect(BUILT_IN_PRESETS.map((p) => [presetId(p), p.name, p.width, p.height, p.fps])).toEqual([
      ['qvga15', 'QVGA 15 fps 1.5 Mb/s', 320, 240, 15],
      ['vga30', 'VGA 30 fps', 640, 480, 30],
      ['720p30', '720p30', 1280, 720, 30],
      ['1080p30', '1080p30', 1920, 1080, 30],
    ]);
  });

  it('match the ESP32-P4 example for QVGA', () => {
    expect(BUILT_IN_PRESETS[0]).toEqual({
      name: 'QVGA 15 fps 1.5 Mb/s', width: 320, height: 240, fps: 15, gop: 15, bitrate: 1_500_000, qpMin: 10, qpMax: 40, encoderPreset: 'balanced', builtIn: true,
    });
  });

  it('have a one-second gop, bitrates rising with size, realtime for the big ones, and pass validation', () => {
    for (const p of BUILT_IN_PRESETS) {
      expect(p.gop).toBe(p.fps);
      expect(p.builtIn).toBe(true);
      const { builtIn: _b, ...fields } = p;
      expect(checkPreset(fields).problems).toBeUndefined();
    }
    expect(BUILT_IN_PRESETS.map((p) => p.bitrate)).toEqual([1_500_000, 2_000_000, 4_000_000, 8_000_000]);
    expect(BUILT_IN_PRESETS.map((p) => p.encoderPreset)).toEqual(['balanced', 'balanced', 'realtime', 'realtime']);
    expect(Object.isFrozen(BUILT_IN_PRESETS[0])).toBe(true);
  });

  it('are found by name or id, case-insensitively', () => {
    expect(findPreset(BUILT_IN_PRESETS, 'vga 30 FPS')?.width).toBe(640);
    expect(findPreset(BUILT_IN_PRESETS, 'VGA30')?.width).toBe(640);
    expect(findPreset(BUILT_IN_PRESETS, ' qvga15 ')?.fps).toBe(15);
    expect(findPreset(BUILT_IN_PRESETS, '1080P30')?.height).toBe(1080);
    expect(findPreset(BUILT_IN_PRESETS, '4k')).toBeUndefined();
  });
});

describe('checkPreset', () => {
  it('fills in gop (one second), qp bounds and the encoder preset when left out', () => {
    expect(checkPreset({ name: ' Tiny ', width: 160, height: 120, fps: 10, bitrate: 200_000 }).preset).toEqual({
      name: 'Tiny', width: 160, height: 120, fps: 10, gop: 10, bitrate: 200_000, qpMin: 10, qpMax: 40, encoderPreset: 'balanced', builtIn: false,
    });
  });

  it('names every bad field, its value and what was expected', () => {
    expect(checkPreset({ name: '', width: 641, height: 8, fps: 241, gop: 0, bitrate: 240_000_001, qpMin: 30, qpMax: 52, encoderPreset: 'fast' }).problems).toEqual([
      'name must be a non-empty string, got ""',
      'width must be even (4:2:0 chroma), got 641',
      'height must be an integer from 16 to 8688, got 8',
      'fps must be an integer from 1 to 240, got 241',
      'gop must be an integer from 1 to 65535, got 0',
      'bitrate must be an integer from 1 to 240000000, got 240000001',
      'qpMax must be an integer from 0 to 51, got 52',
      'encoderPreset must be one of realtime, balanced, quality, got "fast"',
    ]);
    expect(checkPreset({ ...desk, qpMin: 40, qpMax: 30 }).problems).toEqual(['qpMin (40) must not be greater than qpMax (30)']);
    expect(checkPreset({ ...desk, width: undefined, fps: '30' }).problems).toEqual(['width is missing', 'fps must be an integer from 1 to 240, got "30"']);
    expect(checkPreset([desk]).problems).toEqual(['expected an object, got an array']);
  });
});

describe('configDir', () => {
  const home = '/home/ada';
  it('honours H264_STUDIO_CONFIG_DIR first', () => {
    expect(configDir({ H264_STUDIO_CONFIG_DIR: '/tmp/x', XDG_CONFIG_HOME: '/xdg' }, 'linux', home)).toBe('/tmp/x');
  });

  it('uses XDG_CONFIG_HOME or ~/.config on Linux (a relative XDG path is ignored, as the spec says)', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', home)).toBe('/xdg/h264-studio');
    expect(configDir({}, 'linux', home)).toBe('/home/ada/.config/h264-studio');
    expect(configDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', home)).toBe('/home/ada/.config/h264-studio');
  });

  it('uses Application Support on macOS and %APPDATA% on Windows', () => {
    expect(configDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/h264-studio');
    expect(configDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Roaming\\h264-studio');
    expect(configDir({}, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Roaming\\h264-studio');
  });
});

describe('loadPresets', () => {
  const saved = process.env.H264_STUDIO_CONFIG_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.H264_STUDIO_CONFIG_DIR;
    else process.env.H264_STUDIO_CONFIG_DIR = saved;
  });

  it('gives the built-ins alone when there is no presets file', async () => {
    const dir = freshDir();
    expect(await loadPresets(dir)).toEqual({ presets: [...BUILT_IN_PRESETS], errors: [], path: join(dir, 'presets.json') });
  });

  it('adds the user presets after the built-ins, from $H264_STUDIO_CONFIG_DIR by default', async () => {
    const dir = freshDir();
    await writePresets(dir, { version: 1, presets: [desk, { name: 'Tiny', width: 160, height: 120, fps: 10, bitrate: 200_000 }] });
    process.env.H264_STUDIO_CONFIG_DIR = dir;
    const { presets, errors } = await loadPresets();
    expect(errors).toEqual([]);
    expect(presets.slice(0, 4)).toEqual(BUILT_IN_PRESETS);
    expect(presets.slice(4)).toEqual([{ ...desk, builtIn: false }, expect.objectContaining({ name: 'Tiny', gop: 10, builtIn: false })]);
    expect(findPreset(presets, 'desk-cam')?.name).toBe('Desk cam');
    expect(findPreset(presets, 'DESK CAM')?.name).toBe('Desk cam');
  });

  it('reports a file that is not JSON, naming it, and leaves it exactly as it was', async () => {
    const dir = freshDir();
    const path = await writePresets(dir, '{ "presets": [ { "name": "Desk" ');
    const before = await stat(path);
    const { presets, errors } = await loadPresets(dir);
    expect(presets).toEqual(BUILT_IN_PRESETS);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${path.replace(/[.\\/]/g, '\\$&')} is not valid JSON: .+; user presets were not loaded \\(the file was left as it is\\)$`));
    expect(await readFile(path, 'utf8')).toBe('{ "presets": [ { "name": "Desk" ');
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('reports a file of the wrong shape or a newer version', async () => {
    const dir = freshDir();
    const path = await writePresets(dir, [desk]);
    expect((await loadPresets(dir)).errors).toEqual([
      `${path} must hold an object with a "presets" array ({"version": 1, "presets": [...]}), got an array; user presets were not loaded (the file was left as it is)`,
    ]);
    await writePresets(dir, { version: 2, presets: [desk] });
    expect((await loadPresets(dir)).errors[0]).toContain(`${path} has version 2: this version of H264 Studio reads version 1`);
  });

  it('loads the valid entries of a partly bad file and says which were skipped and why', async () => {
    const dir = freshDir();
    const path = await writePresets(dir, {
      presets: [
        desk,
        { ...desk, name: 'Too fast', fps: 300 },
        { ...desk, name: 'DESK CAM' },
        { ...desk, name: 'vga 30 fps' },
        { ...desk, name: 'VGA30' },
        { ...desk, name: '720p-30' },
        { width: 640 },
        'nonsense',
        { ...desk, name: 'Fine' },
      ],
    });
    const { presets, errors } = await loadPresets(dir);
    expect(presets.slice(4).map((p) => p.name)).toEqual(['Desk cam', 'Fine']);
    expect(errors).toEqual([
      `${path}: preset "Too fast" skipped: fps must be an integer from 1 to 240, got 300`,
      `${path}: preset "DESK CAM" skipped: the name is already used by preset #1`,
      `${path}: preset "vga 30 fps" skipped: the name clashes with the built-in preset "VGA 30 fps" (id vga30)`,
      `${path}: preset "VGA30" skipped: the name clashes with the built-in preset "VGA 30 fps" (id vga30)`,
      `${path}: preset "720p-30" skipped: the name clashes with the built-in preset "720p30" (id 720p30)`,
      `${path}: preset #7 skipped: name is missing; height is missing; fps is missing; bitrate is missing`,
      `${path}: preset #8 skipped: expected an object, got "nonsense"`,
    ]);
  });

  it('reports an unreadable presets file', async () => {
    const dir = freshDir();
    await mkdir(join(dir, 'presets.json'), { recursive: true });
    expect((await loadPresets(dir)).errors).toEqual([`cannot read ${join(dir, 'presets.json')}: it is a directory; user presets were not loaded (the file was left as it is)`]);
  });
});

describe('saveUserPreset', () => {
  it('creates the directory and the file, then loads back', async () => {
    const dir = join(freshDir(), 'nested');
    const path = await saveUserPreset(desk, dir);
    expect(path).toBe(join(dir, 'presets.json'));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, presets: [desk] });
    expect((await loadPresets(dir)).presets.at(-1)).toEqual({ ...desk, builtIn: false });
  });

  it('replaces a preset of the same name (any case) in place and appends new ones', async () => {
    const dir = freshDir();
    await saveUserPreset(desk, dir);
    await saveUserPreset({ ...desk, name: 'Other', bitrate: 500_000 }, dir);
    await saveUserPreset({ ...desk, name: 'DESK CAM', bitrate: 900_000, builtIn: true }, dir);
    const { presets, errors } = await loadPresets(dir);
    expect(errors).toEqual([]);
    expect(presets.slice(4).map((p) => [p.name, p.bitrate, p.builtIn])).toEqual([['DESK CAM', 900_000, false], ['Other', 500_000, false]]);
  });

  it('keeps what it does not understand: other keys and invalid entries are written back untouched', async () => {
    const dir = freshDir();
    const broken = { name: 'Broken', width: 7 };
    const path = await writePresets(dir, { comment: 'mine', presets: [broken, desk] });
    await saveUserPreset({ ...desk, name: 'New' }, dir);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ comment: 'mine', version: 1, presets: [broken, desk, { ...desk, name: 'New' }] });
  });

  it('refuses to touch a presets file that does not parse', async () => {
    const dir = freshDir();
    const path = await writePresets(dir, 'not json at all');
    await expect(saveUserPreset(desk, dir)).rejects.toThrow(PresetError);
    await expect(saveUserPreset(desk, dir)).rejects.toThrow(`${path} is not valid JSON`);
    await expect(saveUserPreset(desk, dir)).rejects.toThrow('fix or move it first: it was not changed');
    expect(await readFile(path, 'utf8')).toBe('not json at all');
    expect(await readdir(dir)).toEqual(['presets.json']);
  });

  it('refuses an invalid preset or a built-in name, writing nothing', async () => {
    const dir = freshDir();
    await expect(saveUserPreset({ ...desk, qpMin: 45, qpMax: 40 }, dir)).rejects.toThrow('preset "Desk cam": qpMin (45) must not be greater than qpMax (40)');
    await expect(saveUserPreset({ ...desk, name: '1080P30' }, dir)).rejects.toThrow('preset "1080P30": the name clashes with the built-in preset "1080p30" (id 1080p30); choose another');
    await expect(stat(dir)).rejects.toThrow();
  });

  it('writes atomically: no temporary file is left beside it', async () => {
    const dir = freshDir();
    await saveUserPreset(desk, dir);
    await saveUserPreset({ ...desk, name: 'Second' }, dir);
    expect(await readdir(dir)).toEqual(['presets.json']);
  });

  it('loses nothing when saves overlap', async () => {
    const dir = freshDir();
    await Promise.all(['A', 'B', 'C', 'D'].map((name) => saveUserPreset({ ...desk, name }, dir)));
    expect((await loadPresets(dir)).presets.slice(4).map((p: StudioPreset) => p.name).sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  it('reports a config directory it cannot use, naming the file', async () => {
    const blocker = join(freshDir(), 'file');
    await mkdir(join(blocker, '..'), { recursive: true });
    await writeFile(blocker, 'not a directory');
    await expect(saveUserPreset(desk, blocker)).rejects.toThrow(`cannot read ${join(blocker, 'presets.json')}: a part of the path is not a directory`);
  });

  // Root writes through mode bits: as root (CI) the save runs as user 65534.
  it.skipIf(process.platform === 'win32')('reports a config directory it may not write, naming the file', async () => {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o555);
    const message = `cannot write ${join(dir, 'presets.json')}: permission denied`;
    try {
      if (isRoot) {
        await chmod(root, 0o755);
        const r = await runAsNobody('main/engine/presets.js', `await mod.saveUserPreset(${JSON.stringify(desk)}, ${JSON.stringify(dir)}); return 'saved';`);
        expect(r.error).toBe(message);
      } else {
        await expect(saveUserPreset(desk, dir)).rejects.toThrow(message);
      }
    } finally {
      await chmod(dir, 0o700);
    }
  });
});

describe('removeUserPreset', () => {
  it('removes by name (any case) and says whether there was one', async () => {
    const dir = freshDir();
    await saveUserPreset(desk, dir);
    await saveUserPreset({ ...desk, name: 'Keep' }, dir);
    expect(await removeUserPreset('desk CAM', dir)).toBe(true);
    expect(await removeUserPreset('desk cam', dir)).toBe(false);
    expect((await loadPresets(dir)).presets.slice(4).map((p) => p.name)).toEqual(['Keep']);
  });

  it('does not create a file when there is nothing to remove', async () => {
    const dir = freshDir();
    expect(await removeUserPreset('anything', dir)).toBe(false);
    await expect(stat(dir)).rejects.toThrow();
  });
});
