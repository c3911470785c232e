// `h264-studio bench` end to end on a tiny generated clip: our encoder (a fresh build of the
// source, run as separate processes like the real bench), x264 and OpenH264 for real, every
// stream decoded by ffmpeg; then the report folder's three kinds of files.
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264Encoder } from '../../encoder/index.js';
import { ENCODERS, OURS_ID, REFERENCE_ID } from '../../main/bench/encoders.js';
import { summaryTable, type BenchResults } from '../../main/bench/report.js';
import { runBench } from '../../main/bench/run.js';
import { psnrPlane } from '../../main/media/metrics.js';
import { y4mHeaderLine } from '../../main/media/y4m.js';
import { buildCli } from '../helpers/build-cli.js';
import { runCli } from '../helpers/cli.js';

const W = 64, H = 48, CLIP = 'tiny_64x48', QPS = [22, 27, 32, 37];

/** A gradient with some texture: coded with a visible but small error at every QP above. */
function frame(index: number): Uint8Array {
  const f = new Uint8Array(W * H * 3 / 2);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) f[y * W + x] = (x * 5 + y * 3 + index * 7 + ((x * y) % 13) * 6) & 0xff;
  }
  for (let i = W * H; i < f.length; i++) f[i] = 100 + ((i * 3 + index) % 40);
  return f;
}

let dir: string, cli: string;
const frames = [frame(0), frame(1)];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-bench-'));
  const parts = [Buffer.from(y4mHeaderLine(W, H, 25)), ...frames.flatMap((f) => [Buffer.from('FRAME\n'), Buffer.from(f)])];
  await mkdir(join(dir, 'seq'));
  await writeFile(join(dir, 'seq', `${CLIP}.y4m`), Buffer.concat(parts));
  cli = await buildCli(join(dir, 'cli'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bench = (...args: string[]) => runCli(['bench', '--sequences', join(dir, 'seq'), ...args]);

describe('h264-studio bench', () => {
  it('measures every encoder and writes report.md, results.json and the RD plot', async () => {
    const out = join(dir, 'report');
    const r = await bench('--only', CLIP, '--qps', QPS.join(','), '--out', out, '--encoder-cli', cli);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^bench: \[1\/56, \d+:\d\d\] tiny_64x48 QP 22 ours realtime: [\d.]+ kb\/s/);
    expect(r.stderr).toMatch(/bench: done in [\d.]+ min; report in .*report\/report\.md\n$/);
    expect((await readdir(out)).sort()).toEqual(['report.md', 'results.json', `${CLIP}-rd.svg`]);

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
    expect(results.encoders.map((e) => e.id)).toEqual(ENCODERS.map((e) => e.id));
    expect(results.settings).toMatchObject({ qps: QPS, speedQp: 27, gop: 30, runs: 3, reference: REFERENCE_ID, ours: OURS_ID });

    // Curves: every encoder at every QP, with plausible figures; rate falls as QP rises.
    const [curves] = results.curves;
    expect(curves).toMatchObject({ clip: CLIP, width: W, height: H, frames: 2, fpsNum: 25, fpsDen: 1 });
    expect(curves!.points).toHaveLength(ENCODERS.length * QPS.length);
    for (const e of ENCODERS) {
      const points = curves!.points.filter((p) => p.encoder === e.id);
      expect(points.map((p) => p.qp)).toEqual(QPS);
      for (const p of points) {
        expect(p.bytes).toBeGreaterThan(0);
        expect(p.psnrY).toBeGreaterThan(20);
        expect(p.psnrY).toBeLessThan(60);
        expect(p.ssimY).toBeGreaterThan(0.5);
        expect(p.ssimY).toBeLessThanOrEqual(1);
        expect(p.perFrame.psnrY).toHaveLength(2);
        expect(p.fps).toBeGreaterThan(0);
      }
      expect(points[0]!.bytes).toBeGreaterThan(points[3]!.bytes);
    }
    // BD-rate: the reference against itself is 0; every other encoder has a figure.
    expect(curves!.bdRate.map((b) => b.encoder)).toEqual(ENCODERS.map((e) => e.id));
    expect(curves!.bdRate.find((b) => b.encoder === REFERENCE_ID)!.psnrY).toBeCloseTo(0, 9);
    for (const b of curves!.bdRate) expect(Number.isFinite(b.psnrY) && Number.isFinite(b.psnrYuv), b.encoder).toBe(true);

    // Our point at QP 27 against the encoder run here: the same bytes, and (ffmpeg decodes
    // exactly the reconstruction) the same Y-PSNR.
    const encoder = new H264Encoder(W, H, { fps: 25, qp: 27, gop: 30, preset: 'balanced' });
    let bytes = 0, psnrY = 0;
    for (const data of frames) {
      bytes += encoder.encode({ width: W, height: H, format: 'i420', data }).length;
      psnrY += psnrPlane(data, encoder.reconstructed().data, W, H) / 2;
    }
    const ours = curves!.points.find((p) => p.encoder === OURS_ID && p.qp === 27)!;
    expect(ours.bytes).toBe(bytes);
    expect(ours.kbps).toBeCloseTo((bytes * 8) / (2 / 25) / 1000, 9);
    expect(ours.psnrY).toBeCloseTo(psnrY, 9);

    // Speed: three runs per encoder, medians, ours ÷ each, peak memory.
    const [speed] = results.speed;
    expect(speed).toMatchObject({ clip: CLIP, frames: 2, qp: 27, runs: 3 });
    expect(speed!.entries.map((e) => e.encoder)).toEqual(ENCODERS.map((e) => e.id));
    for (const e of speed!.entries) {
      expect(e.fps).toHaveLength(3);
      expect(e.medianFps).toBe([...e.fps].sort((a, b) => a - b)[1]);
      expect(e.maxRssKiB).toBeGreaterThan(1000);
    }
    expect(speed!.entries.find((e) => e.encoder === 'openh264-complexity-2')!.pipelineFps).toHaveLength(3);
    const median = (id: string) => speed!.entries.find((e) => e.encoder === id)!.medianFps;
    expect(speed!.ratios[OURS_ID]![REFERENCE_ID]).toBeCloseTo(median(OURS_ID) / median(REFERENCE_ID), 12);
    expect(results.rateControl.status).toBe('not run');

    // report.md and the summary on stdout name every encoder; the plot draws each one.
    const report = await readFile(join(out, 'report.md'), 'utf8');
    for (const heading of ['## Summary', '## Method', '## Rate-distortion', '## Speed', '## Memory', '## Rate control']) expect(report).toContain(`\n${heading}\n`);
    expect(report).toContain(`![${CLIP} rate-distortion](${CLIP}-rd.svg)`);
    expect(report).toContain('\nNot run. ');
    const stdout = r.stdout.toString();
    expect(stdout.split('\n')[0]).toBe(`| encoder | BD-rate ${CLIP} (2 fr) | fps ${CLIP} (2 fr) |`);
    const svg = await readFile(join(out, `${CLIP}-rd.svg`), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="500" viewBox="0 0 \d+ 500">\n[^]*<\/svg>\n$/);
    expect(svg.match(/<polyline /g)).toHaveLength(ENCODERS.length);
    for (const e of ENCODERS) {
      expect(stdout).toMatch(new RegExp(`^\\| ${e.label} \\| (reference|[+−]\\d+\\.\\d%) \\| [\\d.]+( \\(ours ×[\\d.]+\\))? \\|$`, 'm'));
      expect(report).toContain(`| ${e.label} |`);
      expect(svg).toContain(`>${e.label}</text>`);
    }
  });

  it('a looped speed run plays the clip over and over to its length, and says so', async () => {
    // Our realtime preset and x264 veryfast, one run each, on the 2-frame clip looped to 5 frames.
    // Both report the frames they encoded, and the bench checks them against 5.
    const encoders = ENCODERS.filter((e) => e.id === 'ours-realtime' || e.id === 'x264-baseline-veryfast-zerolatency');
    expect(encoders).toHaveLength(2);
    const workDir = join(dir, 'looped-work');
    await mkdir(workDir);
    const clip = { name: CLIP, path: join(dir, 'seq', `${CLIP}.y4m`), width: W, height: H, fpsNum: 25, fpsDen: 1, totalFrames: 2 };
    const measured = await runBench({
      curves: [], speed: [{ clip, frames: 5, loop: true }], qps: QPS, speedQp: 27, gop: 30, runs: 1, encoders, cli, workDir, log: () => {},
    });
    const [speed] = measured.speed;
    expect(speed).toMatchObject({ clip: CLIP, frames: 5, sourceFrames: 2, runs: 1 });
    for (const e of speed!.entries) expect(e.fps[0], e.encoder).toBeGreaterThan(0);
    // The looped .y4m: the header and five frames, 0 1 0 1 0.
    const looped = await readFile(join(workDir, `${CLIP}-5f-looped.y4m`));
    const header = Buffer.from(y4mHeaderLine(W, H, 25));
    const frameBytes = 6 + frames[0]!.length;
    expect(looped.length).toBe(header.length + 5 * frameBytes);
    for (let i = 0; i < 5; i++) {
      const at = header.length + i * frameBytes + 6;
      expect(Buffer.compare(looped.subarray(at, at + frames[0]!.length), frames[i % 2]!), `frame ${i}`).toBe(0);
    }
    const results = { encoders, curves: [], speed: measured.speed, settings: { ours: OURS_ID } } as unknown as BenchResults;
    expect(summaryTable(results).split('\n')[0]).toBe(`| encoder | fps ${CLIP} (5 fr: 2 looped) |`);
  });

  it('fails, exit 1, when a stream does not decode cleanly', async () => {
    // A stand-in for our CLI that writes garbage where the stream should be.
    const fake = join(dir, 'fake-cli.js');
    await writeFile(fake, [
      "import { writeFileSync } from 'node:fs';",
      'const arg = (name) => process.argv[process.argv.indexOf(name) + 1];',
      "const garbage = Buffer.from([0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0xff, 0x13, 0x37]);",
      "writeFileSync(arg('-o'), garbage);",
      "writeFileSync(arg('--stats-json'), JSON.stringify({ frames: Number(arg('--frames')), bytes: garbage.length, encodeSeconds: 0.1, maxRssKiB: 1 }));",
    ].join('\n'));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
    const r = await bench('--only', CLIP, '--out', join(dir, 'failed'), '--encoder-cli', fake);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/h264-studio: bench failed: the stream of ours realtime at QP 22 on tiny_64x48 does not decode cleanly \(kept at .*\): ffmpeg: /);
    const kept = /\(work files kept in (.*)\)\n$/.exec(r.stderr)?.[1];
    expect(kept).toBeDefined();
    await rm(kept!, { recursive: true, force: true });
  });

  it('names the missing tools and their Debian packages before running anything', async () => {
    // A PATH with GStreamer and ffmpeg but no x264.
    const bin = join(dir, 'path-without-x264');
    await mkdir(bin);
    for (const tool of ['ffmpeg', 'gst-launch-1.0', 'gst-inspect-1.0']) await symlink(join('/usr/bin', tool), join(bin, tool));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      const r = await bench('--only', CLIP, '--out', join(dir, 'never'), '--encoder-cli', cli);
      expect(r.stderr).toBe('h264-studio: the bench needs x264 (x264): run bash scripts/setup-bench-deps.sh as root (npm run bench does), ' +
        'or apt-get install --no-install-recommends x264\n');
      expect(r.code).toBe(2);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('is listed in the help and has its own', async () => {
    expect((await runCli(['--help'])).stdout.toString()).toMatch(/^ {2}bench {6}measure encode speed/m);
    const r = await runCli(['help', 'bench']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^Usage: h264-studio bench \[options\]/);
    expect((await runCli(['bench', '--help'])).stdout.toString()).toBe(r.stdout.toString());
  });

  it('names a missing clip, a missing folder and bad options on one line, exit 2', async () => {
    const seq = join(dir, 'seq');
    expect(await bench('--only', 'nope')).toMatchObject({ code: 2, stderr: `h264-studio: no clip nope.y4m in ${seq}; there are: ${CLIP}\n` });
    // The default clips are not in this folder.
    expect(await bench()).toMatchObject({ code: 2, stderr: `h264-studio: no clip foreman_cif_352x288.y4m in ${seq}; there are: ${CLIP}\n` });
    const noDir = await runCli(['bench', '--sequences', join(dir, 'absent')]);
    expect(noDir).toMatchObject({ code: 2, stderr: `h264-studio: test sequences not found at ${join(dir, 'absent')} (--sequences)\n` });
    expect((await bench('--only', CLIP, '--all')).stderr).toBe('h264-studio: --only and --all cannot be used together\n');
    expect((await bench('--qps', '27,52')).stderr).toBe('h264-studio: --qps must be an integer from 0 to 51, got 52\n');
    expect((await bench('--qps', '27,27')).stderr).toBe('h264-studio: --qps lists a QP twice: 27,27\n');
    expect((await bench('--runs', '0')).stderr).toBe('h264-studio: --runs must be an integer from 1 to 99, got 0\n');
    expect((await bench('--only', CLIP, '--encoder-cli', join(dir, 'none.js'))).stderr).toBe(`h264-studio: our encoder's CLI ${join(dir, 'none.js')} does not exist\n`);
  });
});
