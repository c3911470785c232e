/**
 * The shared test sequences (../shared/sequences beside the repository, see its README.md): raw
 * 8-bit 4:2:0 .y4m clips that are never copied into the repository. H264_SEQUENCES overrides the
 * folder.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Y4mReader } from '../../main/media/y4m.js';

export interface Sequence {
  name: string;
  width: number;
  height: number;
  fps: number;
  fpsNum: number;
  fpsDen: number;
  /** Tightly packed I420 frames. */
  frames: Uint8Array[];
}

/** The sequences folder: $H264_SEQUENCES, else <repo>/../shared/sequences. Throws when missing. */
export function sequencesDir(): string {
  const fromEnv = process.env.H264_SEQUENCES;
  // this file is <repo>/test/helpers/sequences.ts
  const dir = fromEnv ? resolve(fromEnv) : resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/sequences');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `test sequences not found at ${dir}` +
        (fromEnv ? ' (from H264_SEQUENCES)' : ': expected ../shared/sequences beside the repository, or set H264_SEQUENCES'),
    );
  }
  return dir;
}

/** Names of the .y4m files in sequencesDir(), sorted. */
export function listSequences(): string[] {
  return readdirSync(sequencesDir()).filter((f) => f.endsWith('.y4m')).sort();
}

/** Loads a sequence by file name (".y4m" optional), at most maxFrames frames from its start. */
export async function loadSequence(name: string, maxFrames = Infinity): Promise<Sequence> {
  const file = name.endsWith('.y4m') ? name : `${name}.y4m`;
  const path = join(sequencesDir(), file);
  if (!existsSync(path)) throw new Error(`no test sequence ${file} in ${sequencesDir()}; there are: ${listSequences().join(', ')}`);
  const reader = await Y4mReader.open(path);
  try {
    const frames = await reader.readFrames(maxFrames);
    const { width, height, fpsNum, fpsDen } = reader.header;
    return { name: file, width, height, fps: fpsNum / fpsDen, fpsNum, fpsDen, frames };
  } finally {
    await reader.close();
  }
}
