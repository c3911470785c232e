/**
 * `h264-studio record`: a source (test pattern or file) through the encoder worker into one or more
 * recordings (.mp4 fragmented, .h264 raw), and optionally live on the embedded RTSP server
 * (`--rtsp`) and pushed to a media server (`--push`), with a live progress line on a terminal;
 * Ctrl-C stops cleanly and finishes the files. `h264-studio serve` is the same without recordings.
 * `h264-studio presets` lists the presets.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { Engine, EngineError, type EngineStats } from '../engine/engine.js';
import { openFileSource, FileSourceError } from '../engine/file-source.js';
import { BUILT_IN_PRESETS, findPreset, loadPresets, presetId, presetsPath } from '../engine/presets.js';
import { createTestPattern } from '../engine/test-pattern.js';
import type { FrameSource, Sink, StudioPreset } from '../engine/types.js';
import { expandPattern } from '../recording/file-naming.js';
import { createH264Sink } from '../recording/h264-sink.js';
import { createMp4Sink } from '../recording/mp4-sink.js';
import { LiveStream } from '../rtsp/live-stream.js';
import { RtspPushClient, redacted } from '../rtsp/push-client.js';
import { LiveStreamSink } from '../rtsp/rtsp-sink.js';
import { RtspServer, RtspServerError, isLoopback } from '../rtsp/server.js';
import { CliError, parseArgs } from './args.js';
import type { CliIo } from './index.js';

export const RECORD_USAGE = `Usage: h264-studio record [--source testsrc|file:PATH] [--loop] [--preset NAME]
                          [--size WxH] [--fps N] [--bitrate B] [--gop G] [--qp-min A] [--qp-max B]
                          [--seconds N] --output out.mp4 [--output out.h264] [-y]
                          [--rtsp [PORT]] [--push rtsp://HOST:PORT/PATH] [RTSP options]

Records a source through the encoder into one or more files at once, optionally publishing it
live over RTSP at the same time (--rtsp, --push; see h264-studio help serve).

Source
      --source SRC     testsrc (default): a moving test pattern with a frame counter and a clock,
                       paced in real time; file:PATH: a .y4m (or raw I420 .yuv with --size and
                       --fps), read as fast as the encoder goes
      --loop           play the file source again from the start when it ends
      --live           pace the file source in real time, like a camera

Encoding (a preset, then any of the options over it)
      --preset NAME    a preset from \`h264-studio presets\`; default "QVGA 15 fps 1.5 Mb/s"
      --size WxH       picture size (test pattern; a file has its own)
      --fps N          frames per second
      --bitrate B      target bits per second, k and M suffixes (1.5M)
      --gop G          frames from one IDR to the next
      --qp-min A, --qp-max B
                       quantiser bounds, 0..51
      --speed NAME     encoder preset: realtime, balanced, quality

Recording
  -o, --output FILE    a recording: .mp4 (fragmented, about one fragment a second) or .h264 (raw
                       Annex-B); give it twice to write both. Date and time tokens (%Y %m %d %H %M
                       %S) make names like rec-%Y%m%d-%H%M%S.mp4
      --seconds N      stop after N seconds of video (fps x N frames); default: until Ctrl-C
                       (or the end of a file source)
  -y, --force          overwrite existing files

Live (as in h264-studio serve)
      --rtsp [PORT]    also serve the stream on the embedded RTSP server (port default 8554)
      --push URL       also push the stream to an RTSP server (ANNOUNCE/RECORD)
      --path, --user, --password, --listen, --basic
                       as in h264-studio serve

On a terminal a progress line shows elapsed time, fps, bitrate, size and dropped frames. Ctrl-C
stops and finishes the files; a recording that fails (disk full) stops with a clear message and
leaves what it wrote playable.
`;

export const SERVE_USAGE = `Usage: h264-studio serve [--source testsrc|file:PATH] [--loop] [--preset NAME] [encoding options]
                         [--rtsp [PORT]] [--path /live] [--user U --password P] [--listen ADDR]
                         [--push rtsp://HOST:PORT/PATH] [--seconds N]

Publishes a source live over RTSP without recording: on the embedded server, which VLC, ffplay,
OBS, GStreamer and NVRs can open, and/or pushed to a media server such as MediaMTX.

Source and encoding options are those of h264-studio record (--source, --loop, --live, --preset,
--size, --fps, --bitrate, --gop, --qp-min, --qp-max, --speed, --seconds). A file source is
paced in real time (as --live), since viewers watch it as it plays.

RTSP
      --rtsp [PORT]    serve on this TCP port (default 8554; 0 picks a free one, shown in the
                       URL). RTP and RTCP go over UDP from a free pair of ports, or interleaved
                       in the RTSP connection when the player asks for TCP. On by default
                       unless --push is given.
      --path PATH      the stream's path, default /live: rtsp://127.0.0.1:8554/live
      --listen ADDR    address to listen on, default 127.0.0.1 (this machine only). Any other,
                       such as 0.0.0.0 (every interface), needs --user and --password.
      --user U, --password P
                       viewers must log in (Digest authentication; the password is never sent)
      --basic          also accept Basic authentication (password sent in clear: only for old
                       players that need it)
      --push URL       push the stream to an RTSP server that accepts publishing
                       (rtsp://[user:password@]host:port/path, e.g. MediaMTX's
                       rtsp://127.0.0.1:8554/mystream); reconnects with back-off when it goes away

The terminal shows the URL to open and the number of viewers. Open the stream with
  ffplay -rtsp_transport tcp rtsp://127.0.0.1:8554/live
  vlc rtsp://127.0.0.1:8554/live
Ctrl-C stops: viewers are told the stream ended.
`;

export const PRESETS_USAGE = `Usage: h264-studio presets

Lists the built-in presets and the user's own (from ${'presets.json'} in the config directory;
H264_STUDIO_CONFIG_DIR overrides the directory).
`;

const OPTIONS = {
  source: { kind: 'string' },
  loop: { kind: 'boolean' },
  live: { kind: 'boolean' },
  preset: { kind: 'string' },
  size: { kind: 'string' },
  fps: { kind: 'integer', min: 1, max: 240 },
  bitrate: { kind: 'integer', min: 1, max: 240_000_000, metric: true },
  gop: { kind: 'integer', min: 1, max: 65535 },
  'qp-min': { kind: 'integer', min: 0, max: 51 },
  'qp-max': { kind: 'integer', min: 0, max: 51 },
  speed: { kind: 'string' },
  seconds: { kind: 'number', min: 0.001, max: 1e7 },
  force: { kind: 'boolean', short: 'y' },
  help: { kind: 'boolean', short: 'h' },
  path: { kind: 'string' },
  listen: { kind: 'string' },
  user: { kind: 'string' },
  password: { kind: 'string' },
  basic: { kind: 'boolean' },
  push: { kind: 'string' },
} as const;

/** The default RTSP port (as MediaMTX and GStreamer's examples: 554 needs root). */
const DEFAULT_RTSP_PORT = 8554;

/** Pulls `--rtsp [PORT]` (or `--rtsp=PORT`) out of argv: the port is optional, which the parser does not do. */
function takeRtsp(argv: readonly string[]): { rtsp: number | null; rest: string[] } {
  let rtsp: number | null = null;
  const rest: string[] = [];
  const port = (text: string): number => {
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new CliError(`--rtsp takes a TCP port from 0 to 65535, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (t === '--rtsp') {
      const next = argv[i + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        rtsp = port(next);
        i++;
      } else {
        rtsp = DEFAULT_RTSP_PORT;
      }
    } else if (t.startsWith('--rtsp=')) {
      rtsp = port(t.slice('--rtsp='.length));
    } else {
      rest.push(t);
    }
  }
  return { rtsp, rest };
}

/** Pulls every --output / -o value out of argv (the parser takes each option once). */
function takeOutputs(argv: readonly string[]): { outputs: string[]; rest: string[] } {
  const outputs: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--output' || t === '-o') {
      const v = argv[i + 1];
      if (v === undefined) throw new CliError(`${t} needs a file name`);
      outputs.push(v);
      i++;
    } else if (t.startsWith('--output=')) {
      outputs.push(t.slice('--output='.length));
    } else {
      rest.push(t);
    }
  }
  return { outputs, rest };
}

function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text);
  const width = m ? Number(m[1]) : 0, height = m ? Number(m[2]) : 0;
  if (!(width >= 16 && height >= 16 && width <= 4096 && height <= 4096 && width % 2 === 0 && height % 2 === 0)) {
    throw new CliError(`--size must be WIDTHxHEIGHT, even, each from 16 to 4096, e.g. 640x480, got ${JSON.stringify(text)}`);
  }
  return { width, height };
}

export function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return recordCommand(argv, io, 'serve');
}

export async function recordCommand(argv: readonly string[], io: CliIo, command: 'record' | 'serve' = 'record'): Promise<number> {
  const serving = command === 'serve';
  const taken = takeRtsp(argv);
  const { outputs, rest } = takeOutputs(taken.rest);
  const { options: o, positionals } = parseArgs(rest, OPTIONS);
  if (o.help) {
    io.stdout.write(serving ? SERVE_USAGE : RECORD_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}${serving ? '' : ': name recordings with --output'}`);
  if (serving && outputs.length > 0) throw new CliError('serve does not record: use h264-studio record --rtsp to record and serve at once');
  if (!serving && outputs.length === 0) throw new CliError('give at least one --output FILE (.mp4 or .h264)');
  const live = resolveLive(o, taken.rtsp, serving);

  // The preset, then the options over it.
  const { presets, errors } = await loadPresets();
  for (const e of errors) io.stderr.write(`h264-studio: warning: ${e}\n`);
  const presetName = o.preset ?? 'qvga15';
  const preset = findPreset(presets, presetName);
  if (!preset) {
    throw new CliError(`unknown preset ${JSON.stringify(presetName)}: one of ${presets.map((p) => JSON.stringify(presetId(p))).join(', ')} (h264-studio presets lists them)`);
  }
  const speed = o.speed ?? preset.encoderPreset;
  if (speed !== 'realtime' && speed !== 'balanced' && speed !== 'quality') {
    throw new CliError(`--speed must be realtime, balanced or quality, got ${JSON.stringify(speed)}`);
  }
  const size = o.size !== undefined ? parseSize(o.size) : { width: preset.width, height: preset.height };
  const qpMin = o['qp-min'] ?? preset.qpMin, qpMax = o['qp-max'] ?? preset.qpMax;
  if (qpMin > qpMax) throw new CliError(`--qp-min (${qpMin}) must not be greater than --qp-max (${qpMax})`);

  // Recordings: names expanded now, existing files refused before anything starts.
  const now = new Date();
  const paths = outputs.map((p) => expandPattern(p, now));
  for (const path of paths) {
    const ext = extname(path).toLowerCase();
    if (ext !== '.mp4' && ext !== '.h264' && ext !== '.264') throw new CliError(`--output ${path}: the name must end in .mp4 or .h264`);
    if (!o.force && await exists(path)) throw new CliError(`${path} already exists: choose another name, or add -y to overwrite it`);
    // Found now, not at the first keyframe: a user mistake, with nothing started.
    const problem = await folderProblem(path);
    if (problem) throw new CliError(`cannot create ${path}: ${problem}`);
  }
  if (new Set(paths).size !== paths.length) throw new CliError('two --output options name the same file');

  // Viewers watch a file as it plays: serving paces it like a camera.
  const source = await openSource(o.source ?? 'testsrc', { ...size, fps: o.fps ?? preset.fps, loop: !!o.loop, live: !!o.live || serving, sizeGiven: o.size !== undefined });
  const fps = Math.round(source.info.fps);
  const maxFrames = o.seconds !== undefined ? Math.round(o.seconds * fps) : undefined;
  const engine = new Engine({
    source,
    encoder: {
      fps, gop: o.gop ?? Math.max(1, Math.round(preset.gop * fps / preset.fps)), bitrate: o.bitrate ?? preset.bitrate,
      qpMin, qpMax, preset: speed, rateControl: 'cbr',
    },
    maxFrames,
  });
  const sinks: Sink[] = paths.map((path) => extname(path).toLowerCase() === '.mp4'
    ? createMp4Sink(path, { overwrite: !!o.force })
    : createH264Sink(path, { overwrite: !!o.force }));

  // Live outputs: one stream, served and/or pushed; keyframes for joiners come from the engine.
  const stream = live.rtsp !== null || live.push !== null ? new LiveStream({ requestKeyframe: () => engine.requestKeyframe() }) : null;
  let server: RtspServer | null = null;
  let pusher: RtspPushClient | null = null;
  if (stream && live.rtsp !== null) {
    try {
      server = new RtspServer({
        stream, port: live.rtsp, host: live.listen, path: live.path, allowBasic: live.basic,
        ...(live.credentials ? { credentials: live.credentials } : {}),
      });
      await server.listen();
    } catch (e) {
      await source.close();
      if (e instanceof RtspServerError) throw new CliError(/is in use/.test(e.message) ? `${e.message} with --rtsp PORT` : e.message);
      throw e;
    }
  }

  const failures: string[] = [];
  // What keeps the command going: its files (record), or the live stream (serve, which never fails).
  let recording = serving ? 1 : sinks.length;
  engine.on('error', (e: EngineError) => {
    failures.push(e.message);
    io.stderr.write(`${progressClear(io.stderr)}h264-studio: ${e.message}\n`);
    if (e.scope === 'sink') recording--;
    // With every file failed, or the encoder gone (its recordings end, and this command starts no
    // other), there is nothing left to record: stop rather than run on to --seconds or Ctrl-C.
    if (recording <= 0 || e.scope === 'encoder') void engine.stop();
  });
  try {
    await engine.start();
  } catch (e) {
    await source.close();
    await server?.close();
    throw new CliError(`cannot start the encoder: ${(e as Error).message}`);
  }
  for (const sink of sinks) engine.addSink(sink);
  if (stream) engine.addSink(new LiveStreamSink(stream));

  const { info } = source;
  // "recording X as ... to a.mp4, serving at rtsp://..., pushing to rtsp://... for 5 s; Ctrl-C stops"
  const where = [
    ...(paths.length > 0 ? [` to ${paths.join(', ')}`] : []),
    ...(server ? [`${paths.length > 0 ? ', serving' : ''} at ${server.url}`] : []),
    ...(live.push ? [`, pushing to ${redacted(live.push)}`] : []),
  ].join('');
  io.stderr.write(`${serving ? 'serving' : 'recording'} ${info.description} as ${fps} fps, ${formatRate(o.bitrate ?? preset.bitrate)} (${speed})`
    + `${where}${maxFrames !== undefined ? ` for ${o.seconds} s` : ''}; Ctrl-C stops\n`);
  if (server) {
    io.stderr.write(`open it with: ffplay -rtsp_transport tcp ${server.url}${live.credentials ? ' (with --user and --password: rtsp://USER:PASSWORD@...)' : ''}\n`);
  }
  const tty = (io.stderr as Writable & { isTTY?: boolean }).isTTY === true;
  const showProgress = (s: EngineStats): void => {
    if (tty) io.stderr.write(`\r${progressLine(s, fps, sinks)}${server ? `  viewers ${server.viewers}` : ''}${pusher ? `  push ${pusher.state}` : ''}\x1b[K`);
  };
  engine.on('stats', showProgress);
  // Without a terminal (a service, a log file), each change is a line of its own.
  server?.on('viewers', (n: number) => {
    if (!tty) io.stderr.write(`viewers: ${n}\n`);
  });
  server?.on('error', (e: Error) => io.stderr.write(`${progressClear(io.stderr)}h264-studio: RTSP server: ${e.message}\n`));
  if (stream && live.push) {
    pusher = new RtspPushClient({ url: live.push, stream });
    pusher.on('state', (state: string, detail?: string) => {
      if (!tty || state !== 'pushing') io.stderr.write(`${progressClear(io.stderr)}push: ${state}${detail ? ` (${detail})` : ''}\n`);
    });
    pusher.start();
  }
  const onSigint = (): void => { void engine.stop(); };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    await engine.whenDone();
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await pusher?.stop();
    await server?.close();
  }
  const s = engine.stats();
  if (tty) io.stderr.write('\n');
  const seconds = s.encodedFrames / fps;
  const parts = [
    ...sinks.map((k) => `${k.path} ${k.bytesWritten} bytes`),
    ...(server ? [`${server.stats().viewersTotal} RTSP viewers`] : []),
    ...(pusher ? [`pushed ${pusher.stats().framesSent} frames`] : []),
  ];
  io.stdout.write(`${serving ? 'served' : 'recorded'} ${s.encodedFrames} frames (${seconds.toFixed(2)} s of video, ${s.droppedFrames} dropped) in ${(s.elapsedMs / 1000).toFixed(1)} s: `
    + parts.join(', ') + '\n');
  return failures.length > 0 ? 1 : 0;
}

export async function presetsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { options } = parseArgs(argv, { help: { kind: 'boolean', short: 'h' } } as const);
  if (options.help) {
    io.stdout.write(PRESETS_USAGE);
    return 0;
  }
  const { presets, errors, path } = await loadPresets();
  const rows = presets.map((p: StudioPreset) => [
    presetId(p), p.name, `${p.width}x${p.height}`, `${p.fps}`, `${p.gop}`, formatRate(p.bitrate), `${p.qpMin}-${p.qpMax}`, p.encoderPreset, p.builtIn ? 'built-in' : 'user',
  ]);
  const head = ['id', 'name', 'size', 'fps', 'gop', 'bitrate', 'qp', 'speed', 'from'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  io.stdout.write(`user presets: ${path ?? presetsPath()}${presets.length === BUILT_IN_PRESETS.length ? ' (none)' : ''}\n`);
  for (const e of errors) io.stderr.write(`h264-studio: warning: ${e}\n`);
  return 0;
}

async function openSource(
  spec: string, o: { width: number; height: number; fps: number; loop: boolean; live: boolean; sizeGiven: boolean },
): Promise<FrameSource> {
  if (spec === 'testsrc') {
    try {
      return createTestPattern({ width: o.width, height: o.height, fps: o.fps, live: true });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  if (spec.startsWith('file:')) {
    const path = spec.slice(5);
    if (path === '') throw new CliError('--source file: needs a path, e.g. file:clip.y4m');
    try {
      return await openFileSource(path, {
        loop: o.loop, live: o.live,
        ...(extname(path).toLowerCase() === '.y4m' ? {} : { size: o.sizeGiven ? { width: o.width, height: o.height } : undefined, fps: o.fps }),
      });
    } catch (e) {
      if (e instanceof FileSourceError) throw new CliError(e.message);
      throw e;
    }
  }
  throw new CliError(`unknown source ${JSON.stringify(spec)}: testsrc, or file:PATH (a .y4m, or a raw .yuv with --size and --fps)`);
}

interface LiveOptions {
  rtsp: number | null;
  push: string | null;
  path: string;
  listen: string;
  credentials: { user: string; password: string } | null;
  basic: boolean;
}

/** The RTSP options, checked before anything starts. */
function resolveLive(
  o: { path?: string; listen?: string; user?: string; password?: string; basic?: boolean; push?: string }, rtsp: number | null, serving: boolean,
): LiveOptions {
  const push = o.push ?? null;
  // serve publishes somewhere: on the embedded server unless only pushing.
  const port = rtsp ?? (serving && push === null ? DEFAULT_RTSP_PORT : null);
  const serverOnly = (name: string, given: unknown): void => {
    if (given !== undefined && port === null) throw new CliError(`${name} applies to the embedded RTSP server: add --rtsp`);
  };
  serverOnly('--path', o.path);
  serverOnly('--listen', o.listen);
  serverOnly('--user', o.user);
  serverOnly('--basic', o.basic);
  if ((o.user === undefined) !== (o.password === undefined)) throw new CliError('--user and --password go together');
  const listen = o.listen ?? '127.0.0.1';
  if (!isLoopback(listen) && o.user === undefined) {
    throw new CliError(`--listen ${listen} lets other machines watch: add --user and --password (viewers then log in)`);
  }
  const path = o.path === undefined ? '/live' : o.path.startsWith('/') ? o.path : `/${o.path}`;
  if (push !== null && !/^rtsp:\/\/[^/]+/i.test(push)) throw new CliError(`--push takes an rtsp:// URL such as rtsp://127.0.0.1:8554/mystream, got ${JSON.stringify(push)}`);
  return {
    rtsp: port, push, path, listen, basic: !!o.basic,
    credentials: o.user !== undefined ? { user: o.user, password: o.password! } : null,
  };
}

/** Why no recording can be created at `path` (its folder is missing, not a folder, read-only), or null. */
async function folderProblem(path: string): Promise<string | null> {
  const folder = dirname(path);
  try {
    if (!(await stat(folder)).isDirectory()) return `${folder} is not a folder`;
    await access(folder, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `the folder ${folder} does not exist`
      : code === 'ENOTDIR' ? 'a part of the path is not a folder'
      : code === 'EACCES' || code === 'EPERM' ? `permission denied (the folder ${folder} is not writable)`
      : code === 'EROFS' ? 'read-only file system'
      : (e as Error).message;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function formatRate(bps: number): string {
  return bps >= 1e6 ? `${+(bps / 1e6).toFixed(2)} Mb/s` : `${+(bps / 1e3).toFixed(1)} kb/s`;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

function progressLine(s: EngineStats, fps: number, sinks: readonly Sink[]): string {
  const t = s.encodedFrames / fps;
  const mm = Math.floor(t / 60), ss = (t % 60).toFixed(1).padStart(4, '0');
  const bytes = sinks.reduce((a, k) => a + k.bytesWritten, 0);
  // A recording more than a megabyte behind: the disk is why frames are being dropped (or waited for).
  const behind = s.sinkBacklogBytes >= 1 << 20 ? `  disk behind ${formatBytes(s.sinkBacklogBytes)}` : '';
  return `${mm}:${ss}  ${s.encodedFps} fps  ${formatRate(s.bitrate)}  ${formatBytes(bytes)}  dropped ${s.droppedFrames}${behind}`;
}

function progressClear(stream: Writable): string {
  return (stream as Writable & { isTTY?: boolean }).isTTY ? '\r\x1b[K' : '';
}
