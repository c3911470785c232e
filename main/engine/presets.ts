/**
 * Recording presets: a few built in, plus the user's own in `presets.json` in the app's config
 * directory. The user's file is theirs: a broken one is reported (file, preset, field) and left
 * exactly as it is, never rewritten or deleted, and saving refuses to touch a file that does not
 * parse. Saves are atomic (temp file, flush, rename), so a crash never leaves half a file.
 *
 * presets.json:
 *   { "version": 1, "presets": [ { "name": "Desk cam", "width": 640, "height": 480, "fps": 30,
 *     "bitrate": 1500000, "gop": 30, "qpMin": 10, "qpMax": 40, "encoderPreset": "balanced" } ] }
 * gop (default: one second), qpMin (10), qpMax (40) and encoderPreset ('balanced') may be left out.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, posix, win32 } from 'node:path';
import { PRESETS as ENCODER_PRESETS } from '../../encoder/index.js';
import type { StudioPreset } from './types.js';
import { fileErrorReason } from '../media/file-errors.js';

export const PRESETS_FILE = 'presets.json';
const FILE_VERSION = 1;

/** Ranges follow the encoder's (encoder/options.ts, h264-encoder.ts). */
export const PRESET_LIMITS = {
  side: { min: 16, max: 8688 },
  fps: { min: 1, max: 240 },
  gop: { min: 1, max: 65535 },
  bitrate: { min: 1, max: 240_000_000 },
  qp: { min: 0, max: 51 },
  nameLength: 64,
} as const;

type BuiltIn = StudioPreset & { id: string };

const BUILT_INS: readonly BuiltIn[] = [
  // The ESP32-P4 boards' own example configuration.
  { id: 'qvga15', name: 'QVGA 15 fps 1.5 Mb/s', width: 320, height: 240, fps: 15, gop: 15, bitrate: 1_500_000, qpMin: 10, qpMax: 40, encoderPreset: 'balanced', builtIn: true },
  { id: 'vga30', name: 'VGA 30 fps', width: 640, height: 480, fps: 30, gop: 30, bitrate: 2_000_000, qpMin: 10, qpMax: 40, encoderPreset: 'balanced', builtIn: true },
  // The big ones must keep up with a live source: the fastest encoder preset.
  { id: '720p30', name: '720p30', width: 1280, height: 720, fps: 30, gop: 30, bitrate: 4_000_000, qpMin: 10, qpMax: 42, encoderPreset: 'realtime', builtIn: true },
  { id: '1080p30', name: '1080p30', width: 1920, height: 1080, fps: 30, gop: 30, bitrate: 8_000_000, qpMin: 10, qpMax: 42, encoderPreset: 'realtime', builtIn: true },
];

export const BUILT_IN_PRESETS: readonly StudioPreset[] = BUILT_INS.map(({ id: _id, ...preset }) => Object.freeze(preset));

/** A preset's short id: fixed for the built-ins ('vga30'), the name as a slug for user presets. */
export function presetId(preset: Pick<StudioPreset, 'name'>): string {
  const builtIn = BUILT_INS.find((b) => b.name === preset.name);
  return builtIn ? builtIn.id : slug(preset.name);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The preset whose name or id is `query` (case-insensitive); names win over ids. */
export function findPreset(presets: readonly StudioPreset[], query: string): StudioPreset | undefined {
  const q = query.trim().toLowerCase();
  return presets.find((p) => p.name.toLowerCase() === q) ?? presets.find((p) => presetId(p) === q);
}

/**
 * The app's config directory: $H264_STUDIO_CONFIG_DIR if set; else $XDG_CONFIG_HOME (or
 * ~/.config) on Linux and other Unixes, ~/Library/Application Support on macOS, %APPDATA% on
 * Windows; each + '/h264-studio'.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.H264_STUDIO_CONFIG_DIR) return env.H264_STUDIO_CONFIG_DIR;
  if (platform === 'win32') return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), 'h264-studio');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'h264-studio');
  // XDG Base Directory: "If an implementation encounters a relative path in any of these variables
  // it should consider the path invalid and ignore it."
  const xdg = env.XDG_CONFIG_HOME;
  return posix.join(xdg && isAbsolute(xdg) ? xdg : posix.join(home, '.config'), 'h264-studio');
}

export function presetsPath(dir: string = configDir()): string {
  return join(dir, PRESETS_FILE);
}

/** A preset or presets file that cannot be used; the message names the file, preset and field. */
export class PresetError extends Error {
  override name = 'PresetError';
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null || typeof v !== 'object') return String(v);
  return 'an object';
}

/**
 * Checks one preset as a user wrote it. Returns the preset (defaults filled in, builtIn false) or
 * every problem found, each naming the field, the value and what was expected.
 */
export function checkPreset(value: unknown): { preset: StudioPreset; problems?: undefined } | { preset?: undefined; problems: string[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problems: [`expected an object, got ${show(value)}`] };
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  const integer = (field: string, min: number, max: number, fallback?: number, mustBeEven = false): number => {
    const v = o[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined) {
      problems.push(`${field} is missing`);
    } else if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${field} must be an integer from ${min} to ${max}, got ${show(v)}`);
    } else if (mustBeEven && v % 2 !== 0) {
      problems.push(`${field} must be even (4:2:0 chroma), got ${v}`);
    } else {
      return v;
    }
    return NaN;
  };
  let name = '';
  if (o.name === undefined) problems.push('name is missing');
  else if (typeof o.name !== 'string' || o.name.trim() === '') problems.push(`name must be a non-empty string, got ${show(o.name)}`);
  else if (o.name.trim().length > PRESET_LIMITS.nameLength) problems.push(`name must be at most ${PRESET_LIMITS.nameLength} characters, got ${o.name.trim().length}`);
  else if (/[\u0000-\u001f\u007f]/.test(o.name)) problems.push(`name must not contain control characters, got ${show(o.name)}`);
  else name = o.name.trim();
  const { side, fps: fpsRange, gop: gopRange, bitrate: bitrateRange, qp } = PRESET_LIMITS;
  const width = integer('width', side.min, side.max, undefined, true);
  const height = integer('height', side.min, side.max, undefined, true);
  const fps = integer('fps', fpsRange.min, fpsRange.max);
  const gop = integer('gop', gopRange.min, gopRange.max, Number.isNaN(fps) ? 30 : fps);
  const bitrate = integer('bitrate', bitrateRange.min, bitrateRange.max);
  const qpMin = integer('qpMin', qp.min, qp.max, 10);
  const qpMax = integer('qpMax', qp.min, qp.max, 40);
  if (qpMin > qpMax) problems.push(`qpMin (${qpMin}) must not be greater than qpMax (${qpMax})`);
  const encoderPreset = o.encoderPreset ?? 'balanced';
  if (typeof encoderPreset !== 'string' || !(ENCODER_PRESETS as readonly string[]).includes(encoderPreset)) {
    problems.push(`encoderPreset must be one of ${ENCODER_PRESETS.join(', ')}, got ${show(encoderPreset)}`);
  }
  if (problems.length > 0) return { problems };
  return {
    preset: { name, width, height, fps, gop, bitrate, qpMin, qpMax, encoderPreset: encoderPreset as StudioPreset['encoderPreset'], builtIn: false },
  };
}

/** Letters and digits only, lower case: "VGA-30", "vga 30" and "VGA30" are one name to a user. */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The built-in preset a user preset's name would be confused with (its name or id), if any. */
function builtInClash(name: string): BuiltIn | undefined {
  const key = nameKey(name);
  return BUILT_INS.find((b) => nameKey(b.name) === key || nameKey(b.id) === key);
}


function label(entry: unknown, i: number): string {
  const name = (entry as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.trim() !== '' ? `preset ${JSON.stringify(name.trim())}` : `preset #${i + 1}`;
}

type FileContents = { kind: 'missing' } | { kind: 'ok'; root: Record<string, unknown>; entries: unknown[] } | { kind: 'broken'; message: string };

/** Reads presets.json without judging its entries: only whether it can be read and has the right outline. */
async function readPresetsFile(path: string): Promise<FileContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'broken', message: `cannot read ${path}: ${fileErrorReason(e)}` };
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    return { kind: 'broken', message: `${path} is not valid JSON: ${(e as Error).message}` };
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root) || !Array.isArray((root as { presets?: unknown }).presets)) {
    return { kind: 'broken', message: `${path} must hold an object with a "presets" array ({"version": 1, "presets": [...]}), got ${show(root)}` };
  }
  const version = (root as { version?: unknown }).version;
  if (version !== undefined && version !== FILE_VERSION) {
    return { kind: 'broken', message: `${path} has version ${show(version)}: this version of H264 Studio reads version ${FILE_VERSION}` };
  }
  return { kind: 'ok', root: root as Record<string, unknown>, entries: (root as { presets: unknown[] }).presets };
}

export interface LoadedPresets {
  /** The built-ins, then the valid user presets in file order. */
  presets: StudioPreset[];
  /** One line per problem: the file, the preset and the field. The file itself is left as it is. */
  errors: string[];
  /** The presets file that was (or would be) read. */
  path: string;
}

/** Built-in presets plus the user's valid ones from `dir` (default configDir()). Never throws for a bad file. */
export async function loadPresets(dir?: string): Promise<LoadedPresets> {
  const path = presetsPath(dir);
  const presets: StudioPreset[] = [...BUILT_IN_PRESETS];
  const errors: string[] = [];
  const file = await readPresetsFile(path);
  if (file.kind === 'broken') {
    errors.push(`${file.message}; user presets were not loaded (the file was left as it is)`);
  } else if (file.kind === 'ok') {
    const seen = new Map<string, number>();
    file.entries.forEach((entry, i) => {
      const where = `${path}: ${label(entry, i)} skipped`;
      const checked = checkPreset(entry);
      if (checked.problems) {
        errors.push(`${where}: ${checked.problems.join('; ')}`);
        return;
      }
      const { preset } = checked;
      const clash = builtInClash(preset.name);
      if (clash) {
        errors.push(`${where}: the name clashes with the built-in preset ${JSON.stringify(clash.name)} (id ${clash.id})`);
        return;
      }
      const key = preset.name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        errors.push(`${where}: the name is already used by preset #${first + 1}`);
        return;
      }
      seen.set(key, i);
      presets.push(preset);
    });
  }
  return { presets, errors, path };
}

/** Saves run one at a time, so two saves in this process never lose each other's preset. */
let saving: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const result = saving.then(task);
  saving = result.catch(() => {});
  return result;
}

/** Changes the user's presets file through `edit`, atomically; refuses a file that does not parse. */
async function editPresetsFile(dir: string | undefined, edit: (entries: unknown[]) => unknown[] | null): Promise<string> {
  const path = presetsPath(dir);
  const file = await readPresetsFile(path);
  if (file.kind === 'broken') throw new PresetError(`${file.message}; fix or move it first: it was not changed`);
  const root = file.kind === 'ok' ? file.root : {};
  const entries = edit(file.kind === 'ok' ? file.entries : []);
  if (entries === null) return path;
  // Other keys and the entries not edited (even invalid ones) are written back as they were.
  const text = JSON.stringify({ ...root, version: FILE_VERSION, presets: entries }, null, 2) + '\n';
  await writeAtomic(path, text);
  return path;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${PRESETS_FILE}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw new PresetError(`cannot write ${path}: ${fileErrorReason(e)}`);
  }
}

/**
 * Adds a user preset, or replaces the one with the same name (case-insensitive), in `dir`
 * (default configDir()). Returns the file written. Throws PresetError for an invalid preset, a
 * name taken by a built-in, or a presets file that does not parse (which is left untouched).
 */
export async function saveUserPreset(preset: Omit<StudioPreset, 'builtIn'> & { builtIn?: boolean }, dir?: string): Promise<string> {
  const { builtIn: _builtIn, ...fields } = preset;
  const checked = checkPreset(fields);
  if (checked.problems) throw new PresetError(`${label(preset, 0)}: ${checked.problems.join('; ')}`);
  const { name } = checked.preset;
  const clash = builtInClash(name);
  if (clash) throw new PresetError(`preset ${JSON.stringify(name)}: the name clashes with the built-in preset ${JSON.stringify(clash.name)} (id ${clash.id}); choose another`);
  const { builtIn: _b, ...stored } = checked.preset;
  return serialised(() => editPresetsFile(dir, (entries) => {
    const at = entries.findIndex((e) => typeof (e as { name?: unknown } | null)?.name === 'string' && (e as { name: string }).name.trim().toLowerCase() === name.toLowerCase());
    return at < 0 ? [...entries, stored] : entries.map((e, i) => (i === at ? stored : e));
  }));
}

/** Removes the user preset named `name` (case-insensitive). Resolves false when there was none. */
export async function removeUserPreset(name: string, dir?: string): Promise<boolean> {
  let removed = false;
  await serialised(() => editPresetsFile(dir, (entries) => {
    const kept = entries.filter((e) => {
      const n = (e as { name?: unknown } | null)?.name;
      return !(typeof n === 'string' && n.trim().toLowerCase() === name.trim().toLowerCase());
    });
    removed = kept.length < entries.length;
    return removed ? kept : null;
  }));
  return removed;
}
