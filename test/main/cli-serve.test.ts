// `h264-studio serve` and `record --rtsp` as a user runs them: the built CLI in its own process,
// watched by ffmpeg over RTSP while it runs; and the user mistakes the RTSP options invite.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWithFfmpeg } from '../../main/media/ffmpeg-decode.js';
import { buildCli } from '../helpers/build-cli.js';
import { recordSummary, runCliProcess, type ProcessRun } from '../helpers/engine.js';
import { probeVideo } from '../helpers/probe.js';
import { ffmpegPlay, framecrcCount, freePort } from '../helpers/rtsp.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string, cli: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-studio-cli-serve-'));
  cli = await buildCli(join(dir, 'build'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'build/node_modules'), 'dir'); // mediabunny
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Starts the CLI and resolves `ready` once its stderr shows `marker` (the server is listening),
 * and `done` when it exits.
 */
function startCli(argv: string[]): { ready: Promise<void>; done: Promise<ProcessRun>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [cli, ...argv], { cwd: dir, env: { ...process.env, H264_STUDIO_CONFIG_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  let onReady!: () => void, onFail!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => { onReady = resolve; onFail = reject; });
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    if (stderr.includes('open it with: ')) onReady();
  });
  const done = new Promise<ProcessRun>((resolve) => child.on('close', (code, signal) => {
    onFail(new Error(`the CLI exited before serving: ${stderr}`));
    resolve({ code, signal, stdout, stderr });
  }));
  return { ready, done, kill: (s) => child.kill(s) };
}

const userError = (run: ProcessRun, message: string) => {
  expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({ code: 2, stderr: `h264-studio: ${message}\n`, stdout: '' });
};

describe('h264-studio serve', () => {
  it('serves the test pattern that ffmpeg plays, shows the URL and the viewers, and ends on Ctrl-C', async () => {
    const port = await freePort();
    const url = `rtsp://127.0.0.1:${port}/live`;
    const cliRun = startCli(['serve', '--rtsp', String(port), '--size', '160x96', '--fps', '15']);
    await cliRun.ready;
    const play = await ffmpegPlay(url, 'tcp', 3);
    cliRun.kill('SIGINT');
    const run = await cliRun.done;
    expect({ code: play.code, stderr: play.stderr }).toEqual({ code: 0, stderr: '' });
    expect(framecrcCount(play.stdout)).toBeGreaterThanOrEqual(3 * 15 - 1);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(`serving test pattern 160x96 at 15 fps as 15 fps, 1.5 Mb/s (balanced) at ${url}; Ctrl-C stops`);
    expect(lines[1]).toBe(`open it with: ffplay -rtsp_transport tcp ${url}`);
    // Without a terminal each change in the number of viewers is a line.
    expect(lines).toContain('viewers: 1');
    expect(lines).toContain('viewers: 0');
    expect(run.stdout).toMatch(/^served \d+ frames \([\d.]+ s of video, \d+ dropped\) in [\d.]+ s: 1 RTSP viewers\n$/);
  }, 60_000);

  it('records and serves at once: the recording is whole, the viewer played', async () => {
    const port = await freePort();
    const url = `rtsp://127.0.0.1:${port}/cam`;
    const cliRun = startCli(['record', '--seconds', '6', '--size', '160x96', '-o', 'both.mp4', '--rtsp', String(port), '--path', 'cam']);
    await cliRun.ready;
    const play = await ffmpegPlay(url, 'udp', 2);
    const run = await cliRun.done;
    expect(run.code, run.stderr).toBe(0);
    expect({ code: play.code, stderr: play.stderr }).toEqual({ code: 0, stderr: '' });
    expect(framecrcCount(play.stdout)).toBeGreaterThanOrEqual(2 * 15 - 1);
    const summary = recordSummary(run.stdout);
    expect(summary.frames + summary.dropped).toBe(6 * 15);
    expect(run.stdout).toMatch(/: both\.mp4 \d+ bytes, 1 RTSP viewers\n$/);
    expect(await probeVideo(join(dir, 'both.mp4'))).toMatchObject({ codecName: 'h264', width: 160, height: 96 });
  }, 60_000);

  it('asks viewers to log in when given --user and --password', async () => {
    const port = await freePort();
    const cliRun = startCli(['serve', '--rtsp', String(port), '--size', '160x96', '--user', 'me', '--password', 'pw', '--seconds', '8']);
    await cliRun.ready;
    const [denied, allowed] = await Promise.all([
      ffmpegPlay(`rtsp://127.0.0.1:${port}/live`, 'tcp', 1, { deadlineMs: 15_000 }),
      ffmpegPlay(`rtsp://me:pw@127.0.0.1:${port}/live`, 'tcp', 1, { deadlineMs: 15_000 }),
    ]);
    cliRun.kill('SIGINT');
    await cliRun.done;
    expect(denied.stderr).toContain('401 Unauthorized');
    expect(framecrcCount(denied.stdout)).toBe(0);
    expect({ code: allowed.code, stderr: allowed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(framecrcCount(allowed.stdout)).toBeGreaterThanOrEqual(14);
  }, 60_000);

  it('names the user mistakes of the RTSP options', async () => {
    const run = (...argv: string[]) => runCliProcess(cli, argv, { cwd: dir, env: { H264_STUDIO_CONFIG_DIR: dir } });
    userError(await run('serve', '--listen', '0.0.0.0'), '--listen 0.0.0.0 lets other machines watch: add --user and --password (viewers then log in)');
    userError(await run('serve', '--user', 'me'), '--user and --password go together');
    userError(await run('serve', '--rtsp', '70000'), '--rtsp takes a TCP port from 0 to 65535, got "70000"');
    userError(await run('serve', '-o', 'x.mp4'), 'serve does not record: use h264-studio record --rtsp to record and serve at once');
    userError(await run('record', '-o', 'y.mp4', '--path', '/cam'), '--path applies to the embedded RTSP server: add --rtsp');
    userError(await run('serve', '--push', 'http://example.com/x'), '--push takes an rtsp:// URL such as rtsp://127.0.0.1:8554/mystream, got "http://example.com/x"');
    userError(await run('serve', '--rtsp', '0', '--path', '/a b'), 'the stream path must start with / and hold only letters, digits and . _ ~ - /, got "/a b"');
    userError(await run('serve', '--listen', 'localhostt', '--user', 'u', '--password', 'p'), 'the listening address must be an IP address (127.0.0.1, 0.0.0.0, ::), got "localhostt"');
  }, 60_000);

  it('pushes to an RTSP server in RECORD mode (GStreamer\'s) what ffmpeg then decodes', async () => {
    const out = join(dir, 'pushed.h264');
    const server = spawn('/usr/bin/python3', [join(ROOT, 'test/helpers/gst-rtsp-record-server.py'), '--port', '0', '--out', out], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let lines = '';
      const port = await new Promise<number>((resolve, reject) => {
        server.stdout.setEncoding('utf8').on('data', (c: string) => {
          lines += c;
          const m = /^ready (\d+)$/m.exec(lines);
          if (m) resolve(Number(m[1]));
        });
        server.once('exit', () => reject(new Error(`the GStreamer server exited: ${lines}`)));
      });
      const run = await runCliProcess(cli, ['serve', '--push', `rtsp://127.0.0.1:${port}/push`, '--size', '160x96', '--seconds', '4'], { cwd: dir, env: { H264_STUDIO_CONFIG_DIR: dir } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(`serving test pattern 160x96 at 15 fps as 15 fps, 1.5 Mb/s (balanced), pushing to rtsp://127.0.0.1:${port}/push for 4 s; Ctrl-C stops`);
      expect(run.stderr).toContain('push: connecting');
      expect(run.stdout).toMatch(/: pushed \d+ frames\n$/);
      const pushed = Number(/pushed (\d+) frames/.exec(run.stdout)![1]);
      expect(pushed).toBeGreaterThanOrEqual(30);
      // The stream's end tore the session down: the server closes the file.
      await new Promise<void>((resolve) => {
        if (lines.includes('closed')) resolve();
        server.stdout.on('data', () => lines.includes('closed') && resolve());
      });
      const decoded = await decodeWithFfmpeg(await readFile(out), { width: 160, height: 96 });
      expect(decoded.frames.length).toBeGreaterThanOrEqual(pushed - 2);
    } finally {
      server.kill('SIGKILL');
    }
  }, 60_000);

  it('names a port in use', async () => {
    const port = await freePort();
    const first = startCli(['serve', '--rtsp', String(port), '--size', '160x96']);
    await first.ready;
    const second = await runCliProcess(cli, ['serve', '--rtsp', String(port), '--size', '160x96'], { cwd: dir, env: { H264_STUDIO_CONFIG_DIR: dir } });
    first.kill('SIGINT');
    await first.done;
    userError(second, `port ${port} on 127.0.0.1 is in use: choose another port with --rtsp PORT`);
  }, 60_000);
});
