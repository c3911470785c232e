#!/usr/bin/env -S node --no-memory-reducer
// @ts-check
/**
 * The soak (issue 6): records a long stretch of a looping file source through the real engine
 * (encoder worker, both recording sinks) as fast as the encoder goes, and checks what a long
 * recording must keep doing: memory (RSS) flat within 10% after warm-up, the frame count exact
 * everywhere (engine, 'frame' events, the .h264's access units, the .mp4's packets, ffprobe),
 * timestamps strictly increasing, nothing dropped, no engine error. Prints a table of figures
 * (and JSON with --json) and exits 1 when a check fails.
 *
 * Plain JavaScript that runs the built dist/ (`npm run soak` builds first): the encoder worker
 * runs only from built files, and Node 20 cannot run TypeScript. --dist points it at another build
 * (the CI test, test/main/soak.test.ts, runs a four-minute QVGA version against a fresh build).
 *
 * Not part of `npm test`: the default run (600 s of 720p30) takes about an hour on two cores.
 *
 * Runs under the V8 flag the h264-studio command starts with (--no-memory-reducer, see
 * bin/h264-studio.js): `npm run soak` and this file's #! line pass it; run with plain `node`, the
 * report says it is missing, since RSS then follows V8's memory reducer as the CLI's does not.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The V8 flags bin/h264-studio.js starts node with: the soak measures memory as the CLI runs. */
const CLI_FLAGS = ['--no-memory-reducer'];
const SEQUENCES = process.env.H264_SEQUENCES ? resolve(process.env.H264_SEQUENCES) : resolve(ROOT, '../shared/sequences');
const DEFAULT_SOURCE = join(SEQUENCES, 'flower_720p_1280x720.y4m');

const USAGE = `Usage: npm run soak [-- OPTIONS]      (builds, then runs node --no-memory-reducer scripts/soak.mjs)
       scripts/soak.mjs [OPTIONS]           (against an existing build, with the same flag)

Records --seconds of video from a looping file source through the engine (encoder worker, .mp4
and .h264 recorders) as fast as the encoder goes, then checks: RSS flat within --tolerance after
warm-up, the frame count exact everywhere (engine, 'frame' events, .h264 access units, .mp4
packets, ffprobe -count_frames when ffprobe is installed), timestamps strictly increasing, no
dropped frames, no engine error. Prints the figures; exits 1 when a check fails, 2 on bad options.

The default run is 600 s of 720p30 (18000 frames): the realtime preset runs it at about 46 fps
on two cores (2026-11-22), so that is about six and a half minutes. Progress is printed every 10 s.
Ctrl-C stops early, finishes the files and still prints the figures (exit 130: not a complete soak).

Options
  --seconds N          seconds of video (default 600): N x fps frames
  --source PATH        a .y4m clip, played in a loop (default ${DEFAULT_SOURCE})
  --fps N              the clip's frame rate (default: its header's)
  --preset NAME        encoder speed: realtime (default), balanced, quality
  --bitrate B          bits per second (default: the built-in studio preset of the clip's size,
                       else 0.1 bit per pixel)
  --out DIR            write soak.mp4 and soak.h264 there and keep them (replacing earlier ones);
                       default: a temporary folder, removed afterwards
  --sample-seconds S   memory sample interval (default 5)
  --warmup F           memory counts once this fraction of the frames is encoded (default 0.1)
  --warmup-seconds S   ... and this many seconds have passed (default 20)
  --tolerance F        largest allowed RSS max/min - 1 after warm-up (default 0.1)
  --dist DIR           the build to run (default ${join(ROOT, 'dist')})
  --json               print the figures as JSON on stdout (progress stays on stderr)
  -h, --help           this text
`;

/** Bad options or a setup that cannot run (no build, no clip, an encoder that will not start): one line, exit 2. */
class SoakError extends Error {}

/** @param {string} name @param {string | undefined} text @param {number} min @param {number} max @param {number} fallback */
function numberOption(name, text, min, max, fallback) {
  if (text === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text.trim());
  const value = m ? Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1) : NaN;
  if (!(value >= min && value <= max)) throw new SoakError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** @param {string[]} argv */
function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        seconds: { type: 'string' }, source: { type: 'string' }, fps: { type: 'string' }, preset: { type: 'string' },
        bitrate: { type: 'string' }, out: { type: 'string' }, 'sample-seconds': { type: 'string' }, warmup: { type: 'string' }, 'warmup-seconds': { type: 'string' },
        tolerance: { type: 'string' }, dist: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new SoakError(/** @type {Error} */ (e).message);
  }
  const fps = parsed.fps === undefined ? undefined : numberOption('fps', parsed.fps, 1, 240, 0);
  if (fps !== undefined && !Number.isInteger(fps)) throw new SoakError(`--fps must be a whole number, got ${parsed.fps}`);
  return {
    help: parsed.help ?? false,
    seconds: numberOption('seconds', parsed.seconds, 0.001, 1e6, 600),
    source: resolve(parsed.source ?? DEFAULT_SOURCE),
    fps,
    preset: parsed.preset ?? 'realtime',
    bitrate: parsed.bitrate === undefined ? undefined : numberOption('bitrate', parsed.bitrate, 1, 240e6, 0),
    out: parsed.out === undefined ? null : resolve(parsed.out),
    sampleSeconds: numberOption('sample-seconds', parsed['sample-seconds'], 0.05, 3600, 5),
    warmup: numberOption('warmup', parsed.warmup, 0, 0.9, 0.1),
    warmupSeconds: numberOption('warmup-seconds', parsed['warmup-seconds'], 0, 86400, 20),
    tolerance: numberOption('tolerance', parsed.tolerance, 0, 10, 0.1),
    dist: resolve(parsed.dist ?? join(ROOT, 'dist')),
    json: parsed.json ?? false,
  };
}

/** The built modules the soak drives. @param {string} dist */
async function loadBuild(dist) {
  const url = (/** @type {string} */ path) => pathToFileURL(join(dist, path)).href;
  try {
    await stat(join(dist, 'main/engine/engine.js'));
  } catch {
    throw new SoakError(`no build at ${dist}: run npm run build (or give --dist)`);
  }
  /** @type {[typeof import('../main/engine/engine.js'), typeof import('../main/engine/file-source.js'), typeof import('../main/engine/presets.js'), typeof import('../main/recording/h264-sink.js'), typeof import('../main/recording/mp4-sink.js'), typeof import('../encoder/index.js')]} */
  const [engine, fileSource, presets, h264Sink, mp4Sink, encoder] = await Promise.all([
    import(url('main/engine/engine.js')), import(url('main/engine/file-source.js')), import(url('main/engine/presets.js')),
    import(url('main/recording/h264-sink.js')), import(url('main/recording/mp4-sink.js')), import(url('encoder/index.js')),
  ]);
  return { ...engine, ...fileSource, ...presets, ...h264Sink, ...mp4Sink, PRESETS: encoder.PRESETS };
}

// ---- what the files hold ------------------------------------------------------------------------

/**
 * Access units and IDR pictures in an Annex-B file, streamed (a 10-minute 720p file is hundreds of
 * MB). An access unit starts with the first slice of its primary picture (7.4.1.2.3): a coded slice
 * NAL unit (nal_unit_type 1 or 5, Table 7-1) whose first_mb_in_slice is 0 — ue(v) 0 is the single
 * bit 1 (9.1), the first bit after the NAL header. Emulation prevention (7.4.1) keeps 00 00 01 out
 * of NAL unit payloads, so every 00 00 01 is a start code.
 *
 * @param {string} path
 */
async function countAccessUnits(path) {
  const file = await open(path, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let carry = Buffer.alloc(0);
  let accessUnits = 0, idr = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      // p: the 01 of a start code; its NAL header is at p + 1, the slice header's first byte at p + 2.
      for (let p = data.indexOf(1, 2); p >= 0 && p + 2 < data.length; p = data.indexOf(1, p + 1)) {
        if (data[p - 1] !== 0 || data[p - 2] !== 0) continue;
        const type = data[p + 1] & 0x1f;
        if ((type === 1 || type === 5) && (data[p + 2] & 0x80) !== 0) {
          accessUnits++;
          if (type === 5) idr++;
        }
      }
      // The last four bytes again next time: a 01 at one of the last two positions still needs its
      // two bytes after it; the two before it come along.
      carry = Buffer.from(data.subarray(Math.max(0, data.length - 4)));
    }
  } finally {
    await file.close();
  }
  return { accessUnits, idr };
}

/**
 * The .mp4's video packets through mediabunny's demuxer (no decoding): count, key packets, and
 * whether their times strictly increase.
 *
 * @param {string} path
 */
async function mp4Packets(path) {
  const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) return { packets: 0, keyPackets: 0, increasing: false, firstProblem: 'no video track', duration: 0 };
    let packets = 0, keyPackets = 0, last = -Infinity;
    let firstProblem = null;
    for await (const packet of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) {
      if (packet.timestamp <= last && firstProblem === null) firstProblem = `packet ${packets} at ${packet.timestamp} s after ${last} s`;
      last = packet.timestamp;
      packets++;
      if (packet.type === 'key') keyPackets++;
    }
    return { packets, keyPackets, increasing: firstProblem === null, firstProblem, duration: await input.computeDuration() };
  } finally {
    input.dispose();
  }
}

/**
 * Frames ffprobe decodes from the file's first video stream (-count_frames), or null when there is
 * no ffprobe. `errors` holds what it said at -v error: a clean file says nothing.
 *
 * @param {string} path
 * @returns {Promise<{ frames: number, errors: string } | null>}
 */
function ffprobeFrames(path) {
  const args = ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'json', path];
  return new Promise((resolvePromise, reject) => {
    execFile('ffprobe', args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return resolvePromise(null);
      try {
        const frames = Number(JSON.parse(stdout).streams?.[0]?.nb_read_frames);
        resolvePromise({ frames: Number.isFinite(frames) ? frames : -1, errors: (error ? `exit ${error.code}: ` : '') + stderr.trim() });
      } catch {
        reject(new Error(`ffprobe ${path} failed: ${stderr.trim() || error?.message}`));
      }
    });
  });
}

/** The file's size, or null when there is none. @param {string} path */
async function sizeOf(path) {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

// ---- figures ------------------------------------------------------------------------------------

/** @param {number[]} values */
function spread(values) {
  if (values.length === 0) return null;
  const min = Math.min(...values), max = Math.max(...values);
  return { min, max, ratio: max / min };
}

/** Least-squares slope of y over x. @param {number[]} x @param {number[]} y */
function slope(x, y) {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MB = 1024 * 1024;
const mb = (/** @type {number} */ bytes) => `${(bytes / MB).toFixed(1)} MB`;
const clock = (/** @type {number} */ s) => `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

// ---- the run ------------------------------------------------------------------------------------

/** @param {ReturnType<typeof parseOptions>} o */
async function soak(o) {
  const build = await loadBuild(o.dist);
  if (!build.PRESETS.includes(/** @type {never} */ (o.preset))) throw new SoakError(`--preset must be one of ${build.PRESETS.join(', ')}, got ${o.preset}`);
  let source;
  try {
    source = await build.openFileSource(o.source, { loop: true, ...(o.fps === undefined ? {} : { fps: o.fps }) });
  } catch (e) {
    throw new SoakError(/** @type {Error} */ (e).message);
  }
  const { width, height } = source.info;
  const fps = Math.round(source.info.fps);
  const frames = Math.round(o.seconds * fps);
  const studio = build.BUILT_IN_PRESETS.find((p) => p.width === width && p.height === height);
  const bitrate = o.bitrate ?? studio?.bitrate ?? Math.round(0.1 * width * height * fps);
  const encoder = {
    fps, gop: studio ? Math.max(1, Math.round(studio.gop * fps / studio.fps)) : fps, bitrate,
    qpMin: studio?.qpMin ?? 10, qpMax: studio?.qpMax ?? 42, preset: /** @type {'realtime'} */ (o.preset), rateControl: /** @type {const} */ ('cbr'),
  };

  const outDir = o.out ?? await mkdtemp(join(tmpdir(), 'h264-studio-soak-'));
  try {
    await mkdir(outDir, { recursive: true });
    return await run(o, build, source, { fps, frames, bitrate, encoder }, outDir);
  } finally {
    if (o.out === null) await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * Records and checks.
 * @param {ReturnType<typeof parseOptions>} o
 * @param {Awaited<ReturnType<typeof loadBuild>>} build
 * @param {import('../main/engine/file-source.js').FileSource} source
 * @param {{ fps: number, frames: number, bitrate: number, encoder: import('../encoder/index.js').EncoderOptions & { gop: number } }} plan
 * @param {string} outDir
 */
async function run(o, build, source, { fps, frames, bitrate, encoder }, outDir) {
  const { width, height } = source.info;
  const h264Path = join(outDir, 'soak.h264'), mp4Path = join(outDir, 'soak.mp4');
  const engine = new build.Engine({ source, encoder, maxFrames: frames });
  engine.addSink(build.createH264Sink(h264Path, { overwrite: true }));
  engine.addSink(build.createMp4Sink(mp4Path, { overwrite: true }));

  /** @type {string[]} */
  const errors = [];
  engine.on('error', (e) => {
    errors.push(e.message);
    process.stderr.write(`soak: engine error: ${e.message}\n`);
  });
  // 'frame' events: every index once, in order, at strictly increasing times.
  const order = { events: 0, keyframes: 0, lastIndex: -1, lastUs: -Infinity, firstProblem: /** @type {string | null} */ (null) };
  engine.on('frame', (frame) => {
    if (order.firstProblem === null) {
      if (frame.index !== order.lastIndex + 1) order.firstProblem = `frame index ${frame.index} after ${order.lastIndex}`;
      else if (!(frame.timestampUs > order.lastUs)) order.firstProblem = `frame ${frame.index} at ${frame.timestampUs} us after ${order.lastUs} us`;
    }
    order.events++;
    if (frame.keyframe) order.keyframes++;
    order.lastIndex = frame.index;
    order.lastUs = frame.timestampUs;
  });

  const label = `${basename(o.source)} (looping) ${width}x${height} at ${fps} fps, ${o.preset}, ${(bitrate / 1e6).toFixed(2)} Mb/s CBR, gop ${encoder.gop}`;
  if (!CLI_FLAGS.every((f) => process.execArgv.includes(f))) {
    process.stderr.write(`soak: note: node runs without ${CLI_FLAGS.join(' ')}, the flag h264-studio starts with: RSS swings with V8's memory reducer\n`);
  }
  process.stderr.write(`soak: ${o.seconds} s of ${label}: ${frames} frames to ${outDir}\n`);

  /** @type {{ wallS: number, frames: number, rss: number, heapUsed: number, heapTotal: number, arrayBuffers: number }[]} */
  const samples = [];
  const startedAt = performance.now();
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ wallS: (performance.now() - startedAt) / 1000, frames: engine.stats().encodedFrames, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, arrayBuffers: m.arrayBuffers });
  };
  const sampler = setInterval(sample, o.sampleSeconds * 1000);
  const progress = setInterval(() => {
    const s = engine.stats();
    const wall = (performance.now() - startedAt) / 1000;
    const rate = s.encodedFrames / wall;
    const eta = rate > 0 ? (frames - s.encodedFrames) / rate : NaN;
    process.stderr.write(`soak: ${clock(wall)}  ${(s.encodedFrames / fps).toFixed(1)} of ${o.seconds} s of video (${s.encodedFrames}/${frames} frames), `
      + `${rate.toFixed(2)} fps, rss ${mb(process.memoryUsage().rss)}, ${s.droppedFrames} dropped${Number.isFinite(eta) ? `, about ${clock(eta)} to go` : ''}\n`);
  }, 10_000);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('soak: stopping early, finishing the files\n');
    void engine.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    try {
      await engine.start();
    } catch (e) {
      await source.close();
      throw new SoakError(`cannot start the encoder: ${/** @type {Error} */ (e).message}`);
    }
    await engine.whenDone();
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const wallS = (performance.now() - startedAt) / 1000;
  const stats = engine.stats();

  process.stderr.write('soak: checking the files\n');
  // A recording that never received a frame (the encoder died at once) has no file.
  const bytes = { h264: await sizeOf(h264Path), mp4: await sizeOf(mp4Path) };
  const h264 = bytes.h264 === null ? { accessUnits: 0, idr: 0 } : await countAccessUnits(h264Path);
  const mp4 = bytes.mp4 === null ? { packets: 0, keyPackets: 0, increasing: false, firstProblem: 'no .mp4 file', duration: 0 } : await mp4Packets(mp4Path);
  const [h264Probe, mp4Probe] = await Promise.all([bytes.h264 === null ? null : ffprobeFrames(h264Path), bytes.mp4 === null ? null : ffprobeFrames(mp4Path)]);

  // Memory after warm-up: once the first `warmup` of the frames are encoded and `warmupSeconds`
  // have passed. The time matters more than the frames: whatever the frame size, RSS climbs for
  // the first 10 to 20 s while V8 sizes the heaps of both isolates (the main thread's heapTotal
  // goes from about 11 to 27 MB and later back), several percent of a 90 MB QVGA process.
  const warmupFrames = Math.ceil(frames * o.warmup);
  const settled = samples.filter((s) => s.frames >= warmupFrames && s.wallS >= o.warmupSeconds && s.frames < frames);
  const rss = spread(settled.map((s) => s.rss));
  const heapUsed = spread(settled.map((s) => s.heapUsed));
  const arrayBuffers = spread(settled.map((s) => s.arrayBuffers));
  const rssSlopeMbPerMin = slope(settled.map((s) => s.wallS / 60), settled.map((s) => s.rss / MB));

  const expected = interrupted ? stats.inputFrames : frames;
  const counts = {
    expected, input: stats.inputFrames, encoded: stats.encodedFrames, frameEvents: order.events,
    h264AccessUnits: h264.accessUnits, h264Ffprobe: h264Probe?.frames ?? null, mp4Packets: mp4.packets, mp4Ffprobe: mp4Probe?.frames ?? null,
  };
  const countsExact = Object.values(counts).every((n) => n === null || n === expected);
  const timestampsOk = order.firstProblem === null && order.lastIndex === expected - 1 && mp4.increasing;
  const probeErrors = [h264Probe, mp4Probe].flatMap((p, i) => (p && p.errors ? [`${i === 0 ? h264Path : mp4Path}: ${p.errors}`] : []));

  const checks = [
    { name: 'frame count exact', ok: countsExact, detail: Object.entries(counts).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ') },
    {
      name: 'timestamps increasing', ok: timestampsOk,
      detail: order.firstProblem ?? mp4.firstProblem ?? (order.lastIndex !== expected - 1 ? `last frame index ${order.lastIndex}, expected ${expected - 1}` : `'frame' events 0..${order.lastIndex}, .mp4 packets in order`),
    },
    { name: 'no dropped frames', ok: stats.droppedFrames === 0, detail: `${stats.droppedFrames} dropped` },
    {
      name: `rss flat within ${Math.round(o.tolerance * 100)}%`, ok: rss !== null && settled.length >= 3 && rss.ratio <= 1 + o.tolerance,
      detail: rss === null || settled.length < 3 ? `${settled.length} samples after warm-up: run longer or sample more often` : `max/min ${rss.ratio.toFixed(3)} over ${settled.length} samples`,
    },
    { name: 'no engine errors', ok: errors.length === 0, detail: errors.length === 0 ? 'none' : errors.join('; ') },
    {
      name: 'files probe clean', ok: probeErrors.length === 0 && h264.idr === order.keyframes && mp4.keyPackets === order.keyframes,
      detail: probeErrors.length > 0 ? probeErrors.join('; ')
        : `keyframes: engine ${order.keyframes}, .h264 IDR ${h264.idr}, .mp4 key packets ${mp4.keyPackets}${h264Probe ? '' : '; no ffprobe: decode not checked'}`,
    },
  ];

  return {
    source: o.source, description: label, width, height, fps, preset: o.preset, bitrate, gop: encoder.gop, interrupted,
    nodeFlags: process.execArgv.filter((a) => a.startsWith('--')),
    videoSeconds: stats.encodedFrames / fps, frames: counts, wallSeconds: wallS, encodeFps: stats.encodedFrames / wallS,
    droppedFrames: stats.droppedFrames, keyframes: order.keyframes, bytes, mp4DurationSeconds: mp4.duration,
    memory: {
      sampleSeconds: o.sampleSeconds, warmupFrames, warmupSeconds: o.warmupSeconds, samplesAfterWarmup: settled.length, rss, heapUsed, arrayBuffers, rssSlopeMbPerMin,
      samples: samples.map((s) => ({ ...s, wallS: Math.round(s.wallS * 10) / 10 })),
    },
    out: o.out, checks, ok: checks.every((c) => c.ok),
  };
}

/** @param {Awaited<ReturnType<typeof soak>>} r */
function table(r) {
  const range = (/** @type {{ min: number, max: number, ratio: number } | null} */ s) => (s ? `${mb(s.min)} .. ${mb(s.max)}, max/min ${s.ratio.toFixed(3)}` : 'n/a');
  const m = r.memory;
  const rows = [
    ['source', r.description],
    ['video', `${r.videoSeconds.toFixed(1)} s, ${r.frames.encoded} frames encoded (${r.keyframes} keyframes)${r.interrupted ? ', stopped early' : ''}`],
    ['wall time', `${r.wallSeconds.toFixed(1)} s (${clock(r.wallSeconds)})`],
    ['encode fps', r.encodeFps.toFixed(2)],
    ['node flags', r.nodeFlags.length > 0 ? r.nodeFlags.join(' ') : 'none'],
    ['memory samples', `${m.samples.length} every ${m.sampleSeconds} s, ${m.samplesAfterWarmup} after warm-up (first ${m.warmupFrames} frames and ${m.warmupSeconds} s)`],
    ['rss after warm-up', range(m.rss)],
    ['rss trend', `${m.rssSlopeMbPerMin >= 0 ? '+' : ''}${m.rssSlopeMbPerMin.toFixed(2)} MB per minute`],
    ['heap used after warm-up', range(m.heapUsed)],
    ['array buffers after warm-up', range(m.arrayBuffers)],
    ['dropped frames', String(r.droppedFrames)],
    ['files', `.h264 ${r.bytes.h264 === null ? 'missing' : mb(r.bytes.h264)}, .mp4 ${r.bytes.mp4 === null ? 'missing' : mb(r.bytes.mp4)} (${r.mp4DurationSeconds.toFixed(2)} s)${r.out ? ` in ${r.out}` : ''}`],
    ...r.checks.map((c) => [`${c.ok ? 'PASS' : 'FAIL'} ${c.name}`, c.detail]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + `\n${r.ok ? 'soak passed' : 'soak FAILED'}\n`;
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const result = await soak(options);
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : table(result));
    return result.interrupted ? 130 : result.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof SoakError)) throw e;
    process.stderr.write(`soak: ${e.message}\n`);
    return 2;
  }
}

process.exitCode = await main();
