import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264Encoder } from '../../encoder/index.js';
import type { BenchReport } from '../../main/cli/bench.js';
import { main } from '../../main/cli/index.js';
import { psnrPlane } from '../../main/media/metrics.js';
import { y4mHeaderLine } from '../../main/media/y4m.js';

const W = 32, H = 32, CLIP = 'tiny_32x32';

/** A gradient with some texture: coded at QP 27 with a visible but small error. */
function frame(index: number): Uint8Array {
  const f = new Uint8Array(W * H * 3 / 2);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) f[y * W + x] = (x * 5 + y * 3 + index * 7 + ((x * y) % 13) * 6) & 0xff;
  }
  for (let i = W * H; i < f.length; i++) f[i] = 100 + ((i * 3 + index) % 40);
  return f;
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [], err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(Buffer.from(chunk));
      done();
    },
  });
  const code = await main(argv, { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]) });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

let dir: string;
const frames = [frame(0), frame(1)];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-bench-'));
  const parts = [Buffer.from(y4mHeaderLine(W, H, 25)), ...frames.flatMap((f) => [Buffer.from('FRAME\n'), Buffer.from(f)])];
  await writeFile(join(dir, `${CLIP}.y4m`), Buffer.concat(parts));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const PERCENT = String.raw`\d+\.\d%`;

describe('h264-studio bench', () => {
  it('prints a Markdown table and writes JSON whose figures match an independent encode', async () => {
    const json = join(dir, 'bench.json');
    const r = await run(['bench', '--sequences', dir, '--only', CLIP, '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`bench: ${CLIP}: 2 frames of 32x32, 3 runs at QP 27\n`);

    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('| clip | resolution | frames | QP | fps (median of 3) | kb/s | Y-PSNR (dB) | YUV-PSNR (dB) | I4x4 | I16x16 | PCM |');
    expect(lines[1]).toBe('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    expect(lines[2]).toMatch(new RegExp(
      `^\\| ${CLIP} \\| 32x32 \\| 2 \\| 27 \\| ${NUMBER} \\| ${NUMBER} \\| ${NUMBER} \\| ${NUMBER} \\| ${PERCENT} \\| ${PERCENT} \\| ${PERCENT} \\|$`));
    expect(lines.slice(3)).toEqual(['']);

    const report = JSON.parse(await readFile(json, 'utf8')) as BenchReport;
    expect(report).toMatchObject({ qp: 27, runs: 3, maxFrames: 60, sequences: dir });
    expect(report.results).toHaveLength(1);
    const [result] = report.results;
    expect(result).toMatchObject({ clip: CLIP, width: W, height: H, frames: 2, fpsNum: 25, fpsDen: 1, qp: 27 });
    expect(result!.fpsRuns).toHaveLength(3);
    for (const fps of result!.fpsRuns) expect(fps).toBeGreaterThan(0);
    expect(result!.fps).toBe([...result!.fpsRuns].sort((a, b) => a - b)[1]);

    // The same frames through the encoder here: bytes, kb/s at the clip's 25 fps, mean Y-PSNR.
    const encoder = new H264Encoder(W, H, { fps: 25, qp: 27 });
    let bytes = 0, psnrY = 0, mbs = 0, i4x4 = 0;
    for (const data of frames) {
      bytes += encoder.encode({ width: W, height: H, format: 'i420', data }).length;
      psnrY += psnrPlane(data, encoder.reconstructed().data, W, H);
      mbs += 4;
      i4x4 += encoder.stats().mbI4x4;
    }
    expect(result!.bytes).toBe(bytes);
    expect(result!.kbps).toBeCloseTo((bytes * 8) / (2 / 25) / 1000, 9);
    expect(result!.psnrY).toBeCloseTo(psnrY / 2, 9);
    expect(Number.isFinite(result!.psnrY) && result!.psnrY > 20 && result!.psnrY < 100).toBe(true);
    expect(Number.isFinite(result!.psnrYuv) && result!.psnrYuv > 20 && result!.psnrYuv < 100).toBe(true);
    const { i4x4: a, i16x16: b, pcm: c } = result!.mbShares;
    expect(a + b + c).toBeCloseTo(1, 12);
    expect(a).toBeCloseTo(i4x4 / mbs, 12);

    // The table shows the JSON's figures.
    expect(lines[2]).toContain(`| ${result!.kbps.toFixed(1)} | ${result!.psnrY.toFixed(2)} | ${result!.psnrYuv.toFixed(2)} |`);
  });

  it('takes --frames, --qp, a name with .y4m, and H264_SEQUENCES for the folder', async () => {
    const saved = process.env.H264_SEQUENCES;
    process.env.H264_SEQUENCES = dir;
    try {
      const json = join(dir, 'bench-q.json');
      const r = await run(['bench', '--only', `${CLIP}.y4m`, '--frames', '1', '--qp', '40', '--json', json]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[2]).toMatch(new RegExp(`^\\| ${CLIP} \\| 32x32 \\| 1 \\| 40 \\|`));
      const [result] = (JSON.parse(await readFile(json, 'utf8')) as BenchReport).results;
      expect(result).toMatchObject({ frames: 1, qp: 40 });
    } finally {
      if (saved === undefined) delete process.env.H264_SEQUENCES;
      else process.env.H264_SEQUENCES = saved;
    }
  });

  it('is listed in the help and has its own', async () => {
    expect((await run(['--help'])).stdout).toMatch(/^ {2}bench {6}measure encode speed/m);
    const r = await run(['help', 'bench']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: h264-studio bench \[options\]/);
    expect((await run(['bench', '--help'])).stdout).toBe(r.stdout);
  });

  it('names a missing clip, a missing folder and a bad option on one line, exit 2', async () => {
    const missing = await run(['bench', '--sequences', dir, '--only', 'nope']);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `h264-studio: no clip nope.y4m in ${dir}; there are: ${CLIP}\n` });
    const noDir = await run(['bench', '--sequences', join(dir, 'absent')]);
    expect(noDir).toEqual({ code: 2, stdout: '', stderr: `h264-studio: test sequences not found at ${join(dir, 'absent')} (--sequences)\n` });
    const badQp = await run(['bench', '--sequences', dir, '--qp', '52']);
    expect(badQp).toEqual({ code: 2, stdout: '', stderr: 'h264-studio: --qp must be an integer from 0 to 51, got 52\n' });
  });
});
