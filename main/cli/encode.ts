/**
 * `h264-studio encode`: a .y4m or raw I420 clip (or stdin) to an Annex-B .h264 stream (or stdout),
 * frame by frame, with an optional reconstruction, optional per-frame statistics and a one-line
 * summary.
 */
import { constants, type FileHandle, access, link, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { H264Encoder, PRESETS, type EncoderOptions, type FrameStats } from '../../encoder/index.js';
import { psnrPlane } from '../media/metrics.js';
import { Y4mError, Y4mReader, parseY4m, y4mHeaderLine } from '../media/y4m.js';
import { CliError, type ParsedOptions, parseArgs } from './args.js';
import type { CliIo } from './index.js';
import { fileErrorReason } from '../media/file-errors.js';

/**
 * The encoder's limits and defaults for these options (encoder/options.ts), which its public
 * surface does not export: the CLI checks them itself so that a mistake names the option as
 * typed (--qp-min, not options.qpMin).
 */
const RATE_CONTROL_MODES = ['cbr', 'vbr', 'cqp'] as const;
type RateControlMode = (typeof RATE_CONTROL_MODES)[number];
/** MaxBR of levels 5.1 and 5.2 x 1000 bits (H.264 Table A-1). */
const MAX_BITRATE = 240_000_000;
const MIN_VBV_BUFFER = 1000;
const MAX_VBV_BUFFER = 2 * MAX_BITRATE;
const QP_MIN_DEFAULT = 10;
const QP_MAX_DEFAULT = 40;

export const ENCODE_USAGE = `Usage: h264-studio encode --input FILE|- --output FILE|- [options]

Input and output
  -i, --input FILE     a .y4m clip, a raw I420 .yuv (needs --size and --fps), or - for stdin
                       (y4m, or raw I420 when --size is given)
  -o, --output FILE    the Annex-B H.264 stream (.h264), or - for stdout
      --recon FILE     also write the encoder's reconstruction: .y4m or raw I420 .yuv
      --size WxH       frame size of raw I420 input, e.g. 1280x720
      --fps N          frame rate, 1 to 240 whole frames per second; required for raw
                       input, overrides a .y4m's rate
      --frames N       encode at most N frames
  -y, --force          overwrite existing output files

Rate control
      --rate-control M ${RATE_CONTROL_MODES.join(', ')}; default cbr, or cqp when --qp is given
                       cbr: --bitrate held through a VBV buffer that does not underflow
                       (as far as --qp-max allows)
                       vbr: --bitrate on average, frame sizes free
                       cqp: every frame at the constant quantiser --qp
      --bitrate B      target bits per second of cbr and vbr, 1 to ${MAX_BITRATE} (k and M
                       suffixes: 500k, 1.5M); default width x height x fps
      --vbv-buffer B   cbr: the VBV buffer in bits, ${MIN_VBV_BUFFER} to ${MAX_VBV_BUFFER} (k and M
                       suffixes); default one second of --bitrate
      --qp N           constant quantiser of cqp, 0 (best) to 51 (smallest); default 27
      --qp-min N       lowest quantiser any frame or macroblock may use, 0 to 51; default ${QP_MIN_DEFAULT}
      --qp-max N       highest quantiser any frame or macroblock may use, 0 to 51; default ${QP_MAX_DEFAULT}
      --aq S           adaptive quantisation strength, 0 (off, the default) to 2: finer
                       quantisers in flat areas, coarser in textured ones
      --stats FILE     write per-frame statistics as a JSON array: frame index, type, bytes,
                       quantisers, Y-PSNR, VBV fill, macroblock counts (never overwritten
                       without --force)

Encoder
      --gop N          frames from one IDR frame to the next; 0 or absent: one per second
      --preset NAME    ${PRESETS.join(', ')}; default balanced
      --no-simd        the encoder's TypeScript kernels only, not its WebAssembly SIMD ones
                       (the same stream, slower: for comparing and debugging)

Prints one summary line: frames, bytes, kb/s (and the target of cbr and vbr), encode speed
(time inside the encoder only) and the mean Y-PSNR of the reconstruction against the input.
The summary goes to stdout, or to stderr when the stream itself goes to stdout.
`;

const OPTIONS = {
  input: { kind: 'string', short: 'i' },
  output: { kind: 'string', short: 'o' },
  recon: { kind: 'string' },
  size: { kind: 'string' },
  fps: { kind: 'integer', min: 1, max: 240 },
  frames: { kind: 'integer', min: 1 },
  force: { kind: 'boolean', short: 'y' },
  'rate-control': { kind: 'string' },
  bitrate: { kind: 'integer', min: 1, max: MAX_BITRATE, metric: true },
  'vbv-buffer': { kind: 'integer', min: MIN_VBV_BUFFER, max: MAX_VBV_BUFFER, metric: true },
  qp: { kind: 'integer', min: 0, max: 51 },
  'qp-min': { kind: 'integer', min: 0, max: 51 },
  'qp-max': { kind: 'integer', min: 0, max: 51 },
  aq: { kind: 'number', min: 0, max: 2 },
  stats: { kind: 'string' },
  gop: { kind: 'integer', min: 0, max: 65535 },
  preset: { kind: 'string' },
  'no-simd': { kind: 'boolean' },
  help: { kind: 'boolean', short: 'h' },
  // Not in the usage: for `h264-studio bench`, which runs each encode in its own process.
  'stats-json': { kind: 'string' },
} as const;

/**
 * What --stats-json writes once the stream is complete: the figures the bench needs, measured in
 * the encoding process itself. `encodeSeconds` is the time inside encode() calls only (as the
 * summary's fps); `maxRssKiB` is the process's peak resident set size (getrusage ru_maxrss; on
 * Linux that includes the resident size of the process that forked it, so it is the encoder's own
 * only when started from a small parent such as a shell).
 */
export interface EncodeStats {
  frames: number;
  bytes: number;
  encodeSeconds: number;
  maxRssKiB: number;
}

/** One entry of the --stats file: the encoder's FrameStats of a frame, and its index from 0. */
export interface FrameStatsEntry extends FrameStats {
  frame: number;
}

/**
 * A frame with zero error has infinite PSNR; like x264 we count it as 100 dB so that one perfect
 * frame (a static scene, a lossless QP) does not make the mean infinite.
 */
const PERFECT_FRAME_PSNR = 100;

/** Where frames come from: a .y4m file, a raw I420 file, or stdin read whole. */
interface FrameSource {
  readonly width: number;
  readonly height: number;
  /** The source's own frame rate: a .y4m's F tag; raw input has no rate of its own. */
  readonly rate: { num: number; den: number } | null;
  /**
   * Bytes at the end that are not a whole frame: known on opening raw and stdin input; a .y4m
   * file is read as it goes, so there it is known once next() has returned null.
   */
  readonly trailingBytes: number;
  /** The next frame's contiguous I420 bytes, or null at the end. */
  next(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function encodeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { options: o, positionals } = parseArgs(argv, OPTIONS);
  if (o.help) {
    io.stdout.write(ENCODE_USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    throw new CliError(`unexpected argument ${positionals[0]} (files are named by option: --input FILE --output FILE)`);
  }
  const input = o.input, output = o.output;
  if (input === undefined) throw new CliError('encode needs --input FILE (a .y4m or .yuv clip, or - for stdin)');
  if (output === undefined) throw new CliError('encode needs --output FILE (an .h264 file, or - for stdout)');

  const rate = rateControl(o);

  if (o.preset !== undefined && !(PRESETS as readonly string[]).includes(o.preset)) {
    throw new CliError(`--preset must be one of ${PRESETS.join(', ')}, got ${JSON.stringify(o.preset)}`);
  }

  // Input kind: a .yuv name or --size means raw I420; anything else is read as y4m.
  const size = o.size === undefined ? undefined : parseSize(o.size);
  const fromStdin = input === '-';
  const inputExt = fromStdin ? '' : extname(input).toLowerCase();
  if (inputExt === '.y4m' && size) throw new CliError(`--size is for raw I420 input: ${input} gives its size in its header`);
  const raw = inputExt === '.yuv' || size !== undefined;
  const inputName = fromStdin ? 'stdin' : input;
  if (raw && !size) throw new CliError(`raw I420 input ${inputName} needs --size WxH and --fps N`);
  if (raw && o.fps === undefined) throw new CliError(`raw I420 input ${inputName} needs --fps N (raw video carries no frame rate)`);

  const recon = o.recon;
  const reconKind = recon === undefined ? undefined : reconFormat(recon);
  const statsPath = o.stats;
  if (statsPath === '-') throw new CliError('--stats needs a file name, not -');
  const toStdout = output === '-';
  if (toStdout && isTty(io.stdout)) throw new CliError('refusing to write H.264 to a terminal: redirect stdout or use --output FILE');
  if (fromStdin && isTty(io.stdin)) throw new CliError('refusing to read video from a terminal: pipe a clip into stdin or use --input FILE');

  const force = o.force === true;
  const inputStat = fromStdin ? undefined : await statInput(input);
  const outputStat = toStdout ? undefined : await checkOutput('output', output, force, input, inputStat);
  const reconStat = recon === undefined ? undefined : await checkOutput('recon', recon, force, input, inputStat);
  if (recon !== undefined && !toStdout && resolve(recon) === resolve(output)) throw new CliError(`--recon and --output are the same file: ${recon}`);
  const statsStat = statsPath === undefined ? undefined : await checkOutput('stats', statsPath, force, input, inputStat);
  if (statsPath !== undefined && !toStdout && resolve(statsPath) === resolve(output)) throw new CliError(`--stats and --output are the same file: ${statsPath}`);
  if (statsPath !== undefined && recon !== undefined && resolve(statsPath) === resolve(recon)) throw new CliError(`--stats and --recon are the same file: ${statsPath}`);

  const cleanup: (() => Promise<void>)[] = [];
  try {
    const source = fromStdin ? await openStdin(io.stdin, size) : raw ? await openRaw(input, size!) : await openY4m(input);
    cleanup.push(() => source.close());
    const { width, height } = source;

    const notes: string[] = [];
    let fps: number;
    if (o.fps !== undefined) fps = o.fps;
    else {
      // The encoder signals a whole number of frames per second; a fractional y4m rate
      // (30000:1001) is rounded for the stream, and said so, rather than refused.
      const { num, den } = source.rate!;
      fps = Math.max(1, Math.round(num / den));
      if (num % den !== 0) notes.push(`note: ${inputName} runs at ${num}:${den} (${(num / den).toFixed(3)}) fps; encoding as ${fps} fps (use --fps N to choose)`);
    }
    const trailingWarning = () =>
      `warning: ${inputName} ends with ${source.trailingBytes} bytes that are not a whole ${width}x${height} frame: ignored${raw ? ' (is --size right?)' : ''}`;
    const trailingKnown = source.trailingBytes > 0;
    if (trailingKnown) notes.push(trailingWarning());

    const first = await source.next();
    if (first === null) throw new CliError(`${inputName} holds no whole ${width}x${height} frame`);

    const encoderOptions = {
      fps,
      ...(o.gop !== undefined && { gop: o.gop }),
      ...rate,
      ...(o.aq !== undefined && { aqStrength: o.aq }),
      ...(statsPath !== undefined && { psnr: true }),
      ...(o.preset !== undefined && { preset: o.preset }),
      ...(o['no-simd'] === true && { simd: false }),
    } as EncoderOptions;
    let encoder: H264Encoder;
    try {
      encoder = new H264Encoder(width, height, encoderOptions);
    } catch (e) {
      // The command-line values were checked above; what the encoder still refuses comes from
      // the input (an odd or oversized picture, a y4m rate above its limit) or a combination
      // (no level fits): name the input.
      const code = (e as { code?: unknown }).code;
      if (code === 'ERR_INVALID_ARG' || code === 'ERR_INVALID_IMAGE') throw new CliError(`cannot encode ${inputName} (${width}x${height}): ${(e as Error).message}`);
      throw e;
    }
    cleanup.push(async () => encoder.close());

    // Outputs are created only once the input and the options are known good, so a mistake
    // leaves no empty file behind.
    const stream = toStdout ? streamSink(io.stdout) : await fileSink('output', output, outputStat);
    cleanup.push(() => stream.close());
    let reconSink: ByteSink | undefined;
    if (recon !== undefined) {
      reconSink = await fileSink('recon', recon, reconStat);
      cleanup.push(() => reconSink!.close());
      if (reconKind === 'y4m') {
        const rate = o.fps === undefined && source.rate ? source.rate : { num: fps, den: 1 };
        await reconSink.write(new TextEncoder().encode(y4mHeaderLine(width, height, rate.num, rate.den)));
      }
    }
    for (const note of notes) io.stderr.write(`h264-studio: ${note}\n`);

    const frameLine = new TextEncoder().encode('FRAME\n');
    const limit = o.frames ?? Infinity;
    let frames = 0, bytes = 0, encodeMs = 0, psnrSum = 0;
    const frameStats: FrameStatsEntry[] = [];
    for (let frame: Uint8Array | null = first; frame !== null && frames < limit; ) {
      const t0 = performance.now();
      const nal = encoder.encode({ width, height, format: 'i420', data: frame });
      encodeMs += performance.now() - t0;

      if (statsPath !== undefined) {
        const st = encoder.stats();
        // JSON has no Infinity: a lossless frame counts as 100 dB, as in the summary.
        if (st.psnrY !== null) st.psnrY = Math.min(PERFECT_FRAME_PSNR, st.psnrY);
        frameStats.push({ frame: frames, ...st });
      }

      await stream.write(nal);
      bytes += nal.length;
      const picture = encoder.reconstructed();
      psnrSum += Math.min(PERFECT_FRAME_PSNR, psnrPlane(frame, picture.data, width, height));
      if (reconSink) {
        if (reconKind === 'y4m') await reconSink.write(frameLine);
        await reconSink.write(picture.data);
      }
      frames++;
      if (frames < limit) frame = await source.next();
    }
    // A .y4m file's truncated tail shows only when reading reaches it.
    if (!trailingKnown && source.trailingBytes > 0) io.stderr.write(`h264-studio: ${trailingWarning()}\n`);

    // The figures the encoder holds are read before it is closed with the rest.
    const targetBitrate = rate.rateControl === 'cqp' ? null : encoder.targetBitrate;
    // Close before reporting: a failed final write must not be followed by a success line.
    for (const close of cleanup.splice(0).reverse()) await close();

    if (statsPath !== undefined) await writeFileAtomic('stats', statsPath, statsStat, statsJson(frameStats));

    if (o['stats-json'] !== undefined) {
      const stats: EncodeStats = { frames, bytes, encodeSeconds: encodeMs / 1000, maxRssKiB: process.resourceUsage().maxRSS };
      try {
        await writeFile(o['stats-json'], JSON.stringify(stats) + '\n');
      } catch (e) {
        throw fileError(`cannot write --stats-json ${o['stats-json']}`, e);
      }
    }

    const seconds = frames / fps;
    const kbps = (bytes * 8) / seconds / 1000;
    const encodeFps = frames / Math.max(encodeMs / 1000, 1e-6);
    const target = targetBitrate === null ? '' : ` (${rate.rateControl} target ${(targetBitrate / 1000).toFixed(1)} kb/s)`;
    const summary = `encoded ${frames} frame${frames === 1 ? '' : 's'} (${width}x${height} at ${fps} fps): ${bytes} bytes, ` +
      `${kbps.toFixed(1)} kb/s${target}, ${encodeFps.toFixed(1)} fps encode, mean Y-PSNR ${(psnrSum / frames).toFixed(2)} dB\n`;
    (toStdout ? io.stderr : io.stdout).write(summary);
    return 0;
  } finally {
    // Reached with resources still open only when something failed: that error is the one to
    // report, so errors while closing are dropped.
    for (const close of cleanup.reverse()) await close().catch(() => {});
  }
}

/**
 * The rate-control part of the encoder options from --rate-control, --bitrate, --vbv-buffer, --qp,
 * --qp-min and --qp-max, refusing combinations the user cannot have meant. A bound not given is
 * the encoder's default, widened to hold the bound and the --qp that were given.
 */
function rateControl(o: ParsedOptions<typeof OPTIONS>): EncoderOptions & { rateControl: RateControlMode } {
  const given = o['rate-control'];
  if (given !== undefined && !(RATE_CONTROL_MODES as readonly string[]).includes(given)) {
    throw new CliError(`--rate-control must be one of ${RATE_CONTROL_MODES.join(', ')}, got ${JSON.stringify(given)}`);
  }
  const mode = (given ?? (o.qp !== undefined ? 'cqp' : 'cbr')) as RateControlMode;
  if (o.qp !== undefined && mode !== 'cqp') {
    throw new CliError(`--qp is the constant quantiser of --rate-control cqp; with --rate-control ${mode} use --bitrate (and --qp-min, --qp-max to bound the quantiser)`);
  }
  if (o.bitrate !== undefined && mode === 'cqp') {
    throw new CliError(o.qp !== undefined
      ? '--qp and --bitrate cannot be used together: --qp fixes the quantiser, --bitrate lets rate control choose it'
      : '--bitrate does not apply with --rate-control cqp (constant quantiser: use --qp N)');
  }
  if (o['vbv-buffer'] !== undefined && mode !== 'cbr') throw new CliError(`--vbv-buffer only applies with --rate-control cbr, got --rate-control ${mode}`);

  const minGiven = o['qp-min'], maxGiven = o['qp-max'];
  if (minGiven !== undefined && maxGiven !== undefined && minGiven > maxGiven) {
    throw new CliError(`--qp-min must not exceed --qp-max, got ${minGiven} > ${maxGiven}`);
  }
  if (o.qp !== undefined && minGiven !== undefined && o.qp < minGiven) throw new CliError(`--qp must not be below --qp-min, got ${o.qp} < ${minGiven}`);
  if (o.qp !== undefined && maxGiven !== undefined && o.qp > maxGiven) throw new CliError(`--qp must not exceed --qp-max, got ${o.qp} > ${maxGiven}`);
  const qpMin = minGiven ?? Math.min(QP_MIN_DEFAULT, maxGiven ?? 51, o.qp ?? 51);
  const qpMax = maxGiven ?? Math.max(QP_MAX_DEFAULT, minGiven ?? 0, o.qp ?? 0);

  return {
    rateControl: mode,
    qpMin,
    qpMax,
    ...(o.qp !== undefined && { qp: o.qp }),
    ...(o.bitrate !== undefined && { bitrate: o.bitrate }),
    ...(o['vbv-buffer'] !== undefined && { vbvBuffer: o['vbv-buffer'] }),
  };
}

/** A JSON array with one frame's object per line: valid JSON that diff and grep read well. */
function statsJson(entries: readonly FrameStatsEntry[]): string {
  return entries.length === 0 ? '[]\n' : `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
}

function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text);
  const width = m ? Number(m[1]) : 0, height = m ? Number(m[2]) : 0;
  if (!(width > 0 && height > 0 && width <= 16384 && height <= 16384)) {
    throw new CliError(`--size must be WIDTHxHEIGHT with each from 1 to 16384, e.g. 1280x720, got ${JSON.stringify(text)}`);
  }
  return { width, height };
}

function reconFormat(path: string): 'y4m' | 'yuv' {
  if (path === '-') throw new CliError('--recon needs a file name ending in .y4m or .yuv, not -');
  const ext = extname(path).toLowerCase();
  if (ext === '.y4m') return 'y4m';
  if (ext === '.yuv') return 'yuv';
  throw new CliError(`--recon ${path}: the name must end in .y4m or .yuv (raw I420)`);
}

function isTty(stream: Readable | Writable): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}


function fileError(what: string, error: unknown): CliError {
  return new CliError(`${what}: ${fileErrorReason(error)}`);
}

async function statInput(path: string): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw fileError(`cannot read input ${path}`, e);
  }
  if (st.isDirectory()) throw new CliError(`cannot read input ${path}: it is a directory`);
  return st;
}

/**
 * Checks before any encoding that an output can be written: it is not the input, it does not
 * exist (unless --force; devices and pipes such as /dev/null are always fine) and its directory
 * is writable. Returns its Stats when it exists.
 */
async function checkOutput(label: string, path: string, force: boolean, input: string, inputStat: Stats | undefined): Promise<Stats | undefined> {
  if (inputStat && resolve(path) === resolve(input)) throw new CliError(`${label} ${path} is the input file`);
  let st: Stats | undefined;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(`cannot write ${label} ${path}`, e);
  }
  if (st) {
    if (st.isDirectory()) throw new CliError(`cannot write ${label} ${path}: it is a directory`);
    if (inputStat && st.dev === inputStat.dev && st.ino === inputStat.ino) throw new CliError(`${label} ${path} is the input file`);
    if (st.isFile()) {
      if (!force) throw new CliError(`${label} ${path} already exists: use --force (-y) to overwrite it`);
      try {
        await access(path, constants.W_OK);
      } catch (e) {
        throw fileError(`cannot write ${label} ${path}`, e);
      }
    }
    return st;
  }
  const dir = dirname(resolve(path));
  try {
    await access(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `directory ${dir} does not exist` : code === 'EACCES' ? `directory ${dir} is not writable` : fileErrorReason(e);
    throw new CliError(`cannot write ${label} ${path}: ${why}`);
  }
  return undefined;
}

async function fileSink(label: string, path: string, existing: Stats | undefined): Promise<ByteSink> {
  // A new file is created exclusively, so one that appeared since checkOutput is not clobbered.
  // A raw stream is written in place (no temp file and rename): if encoding stops half way, the
  // frames written so far are still a playable stream.
  let file: FileHandle;
  try {
    file = await open(path, existing ? 'w' : 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${label} ${path} already exists: use --force (-y) to overwrite it`);
    throw fileError(`cannot write ${label} ${path}`, e);
  }
  return {
    async write(bytes) {
      try {
        await file.write(bytes);
      } catch (e) {
        throw fileError(`cannot write ${label} ${path}`, e);
      }
    },
    close: () => file.close(),
  };
}

/**
 * Writes a whole file so that no reader, and no crash, ever sees it half written: into a temporary
 * file beside it, flushed to disk, then moved into place. A file that did not exist when checked
 * is linked rather than renamed into place, so one that appeared since is not clobbered (as
 * fileSink's exclusive create). A device or pipe (/dev/stdout) is written directly.
 */
async function writeFileAtomic(label: string, path: string, existing: Stats | undefined, text: string): Promise<void> {
  if (existing && !existing.isFile()) {
    try {
      await writeFile(path, text);
    } catch (e) {
      throw fileError(`cannot write ${label} ${path}`, e);
    }
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let file: FileHandle | undefined;
  try {
    file = await open(temp, 'wx');
    await file.writeFile(text);
    await file.sync();
    await file.close();
    file = undefined;
    if (existing) {
      await rename(temp, path);
    } else {
      try {
        await link(temp, path);
      } catch (e) {
        // A file system without hard links (FAT, some network mounts) can still rename.
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
        await rename(temp, path);
      }
      await unlink(temp).catch(() => {});
    }
  } catch (e) {
    await file?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${label} ${path} already exists: use --force (-y) to overwrite it`);
    throw fileError(`cannot write ${label} ${path}`, e);
  }
}

function streamSink(stream: Writable): ByteSink {
  return {
    // Waiting for each chunk's callback keeps memory bounded when the reader is slower than the
    // encoder, and surfaces EPIPE (the reader went away) as a rejection.
    write: (bytes) => new Promise((resolve, reject) => {
      stream.write(bytes, (error) => (error ? reject(error) : resolve()));
    }),
    close: async () => {},
  };
}

async function openY4m(path: string): Promise<FrameSource> {
  let reader: Y4mReader;
  try {
    reader = await Y4mReader.open(path);
  } catch (e) {
    if (e instanceof Y4mError) throw new CliError(`${path}: ${e.message}`);
    throw fileError(`cannot read input ${path}`, e);
  }
  const { width, height, fpsNum, fpsDen } = reader.header;
  return {
    width, height,
    rate: { num: fpsNum, den: fpsDen },
    get trailingBytes() {
      return reader.trailingBytes;
    },
    async next() {
      try {
        return await reader.next();
      } catch (e) {
        if (e instanceof Y4mError) throw new CliError(`${path}: ${e.message}`);
        throw fileError(`cannot read input ${path}`, e);
      }
    },
    close: () => reader.close(),
  };
}

function i420Bytes(width: number, height: number): number {
  // The same layout as a y4m frame (y4m.ts): chroma planes round odd sizes up.
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

async function openRaw(path: string, size: { width: number; height: number }): Promise<FrameSource> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw fileError(`cannot read input ${path}`, e);
  }
  const frameBytes = i420Bytes(size.width, size.height);
  let position = 0;
  const { size: fileBytes } = await file.stat();
  return {
    ...size,
    rate: null,
    trailingBytes: fileBytes % frameBytes,
    async next() {
      const frame = new Uint8Array(frameBytes);
      let got: number;
      try {
        got = (await file.read(frame, 0, frameBytes, position)).bytesRead;
      } catch (e) {
        throw fileError(`cannot read input ${path}`, e);
      }
      if (got < frameBytes) return null;
      position += frameBytes;
      return frame;
    },
    close: () => file.close(),
  };
}

/** Stdin is read whole (y4m.ts parses y4m in memory); a file input is the streaming path. */
async function openStdin(stdin: Readable, size: { width: number; height: number } | undefined): Promise<FrameSource> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  let frames: Uint8Array[], width: number, height: number, rate: FrameSource['rate'] = null, end: number;
  if (size) {
    ({ width, height } = size);
    const frameBytes = i420Bytes(width, height);
    frames = [];
    for (end = 0; end + frameBytes <= bytes.length; end += frameBytes) frames.push(bytes.subarray(end, end + frameBytes));
  } else {
    let parsed: ReturnType<typeof parseY4m>;
    try {
      parsed = parseY4m(bytes);
    } catch (e) {
      if (!(e instanceof Y4mError)) throw e;
      const hint = e.message.startsWith('not a YUV4MPEG2 file') ? ' (raw I420 on stdin needs --size WxH and --fps N)' : '';
      throw new CliError(`stdin: ${e.message}${hint}`);
    }
    ({ width, height } = parsed.header);
    frames = parsed.frames;
    rate = { num: parsed.header.fpsNum, den: parsed.header.fpsDen };
    end = bytes.length - parsed.trailingBytes;
  }
  let index = 0;
  return {
    width, height, rate,
    trailingBytes: bytes.length - end,
    next: async () => frames[index++] ?? null,
    close: async () => {},
  };
}
