// EncoderClient against a real worker thread running the real encoder (issue 6, "Encoder worker").
// The worker runs from a fresh build in a temporary folder (dist/ may be stale; a worker thread
// cannot run TypeScript), laid out like the repository, so the default entry resolution of the
// built client is exercised too, under plain node.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EncoderOptions, H264Encoder } from '../../../encoder/index.js';
import { EncoderClient, type EncoderWorkerError } from '../../../main/engine/encoder-client.js';
import type { EncodedFrame, VideoFrame } from '../../../main/engine/types.js';
import { buildCli } from '../../helpers/build-cli.js';
import { decodeWithFfmpeg, runTool } from '../../helpers/decoders.js';
import { thrown } from '../../helpers/errors.js';
import { prng } from '../../helpers/synthetic.js';

interface Size { width: number; height: number }
/** The main stream's size; the error and crash cases use a small one (each worker warms up its own JIT). */
const BIG: Size = { width: 320, height: 240 };
const MID: Size = { width: 160, height: 128 };
const SMALL: Size = { width: 64, height: 48 };
const bytesOf = ({ width, height }: Size) => width * height * 3 / 2;

let dir: string;
let workerEntry: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h264-encoder-client-'));
  await buildCli(dir);
  workerEntry = join(dir, 'dist', 'main', 'engine', 'encoder-worker.js');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Frame t of a moving pattern: a diagonal gradient sliding right, a bright square, light noise. */
function pattern({ width: w, height: h }: Size, t: number, data: Uint8Array = new Uint8Array(w * h * 3 / 2)): Uint8Array {
  const rnd = prng(t + 1);
  const sx = (w >> 3) + 4 * t, sy = h >> 2, side = h >> 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inSquare = x >= sx && x < sx + side && y >= sy && y < sy + side;
      data[y * w + x] = inSquare ? 235 : ((x + y + 3 * t) & 0xff) * 0.6 + (rnd() & 15);
    }
  }
  const c = (w / 2) * (h / 2);
  for (let i = 0; i < c; i++) {
    data[w * h + i] = 128 + ((i + t) & 31);
    data[w * h + c + i] = 128 - ((i >> 3) & 31);
  }
  return data;
}

function videoFrame(size: Size, t: number, data?: Uint8Array): VideoFrame {
  return { ...size, data: pattern(size, t, data), timestampUs: Math.round(t * 1e6 / 30), index: t };
}

/** Collects everything a client says. */
function record(client: EncoderClient) {
  const encoded: EncodedFrame[] = [];
  const recycled: (Uint8Array | null)[] = [];
  const errors: EncoderWorkerError[] = [];
  const exits: number[] = [];
  client.on('encoded', (f, buf) => { encoded.push(f); recycled.push(buf); });
  client.on('error', (e) => errors.push(e));
  client.on('exit', (code) => exits.push(code));
  return { encoded, recycled, errors, exits };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Byte equality without a deep-equality walk over every element (slow on frames). */
function expectSameBytes(actual: Uint8Array | null | undefined, expected: Uint8Array, what: string): void {
  expect(actual, what).toBeInstanceOf(Uint8Array);
  expect(actual!.byteLength, what).toBe(expected.byteLength);
  expect(Buffer.compare(actual!, expected), what).toBe(0);
}

function start(size: Size, options: EncoderOptions = {}): Promise<EncoderClient> {
  return EncoderClient.start(size.width, size.height, options, { workerEntry });
}

describe('EncoderClient', () => {
  it('encodes 30 frames in order, transferring buffers both ways, into a stream ffmpeg decodes', async () => {
    const { width, height } = BIG;
    const client = await start(BIG, { fps: 30, bitrate: 1_000_000 });
    expect(client.levelIdc).toBe(new H264Encoder(width, height, { fps: 30, bitrate: 1_000_000 }).levelIdc);
    expect(client.options).toMatchObject({ fps: 30, gop: 30, bitrate: 1_000_000, rateControl: 'cbr' });
    const seen = record(client);
    const frames = Array.from({ length: 30 }, (_, t) => videoFrame(BIG, t));
    for (const [i, frame] of frames.entries()) {
      client.encode(frame);
      expect(frame.data.byteLength, 'transferred, not copied').toBe(0);
      expect(client.inFlight).toBeLessThanOrEqual(i + 1);
    }
    await client.close();

    expect(seen.errors).toEqual([]);
    expect(seen.exits).toEqual([0]);
    expect(client.inFlight).toBe(0);
    expect(seen.encoded.map((f) => f.index)).toEqual(frames.map((f) => f.index));
    expect(seen.encoded.map((f) => f.timestampUs)).toEqual(frames.map((f) => f.timestampUs));
    expect(seen.encoded[0]!.keyframe).toBe(true);
    expect(seen.encoded.map((f) => f.stats.bytes)).toEqual(seen.encoded.map((f) => f.data.length));
    // The input buffers come back, whole, for reuse (and still hold the frame: nothing was copied into them).
    for (const [t, buf] of seen.recycled.entries()) expectSameBytes(buf, pattern(BIG, t), `input buffer ${t}`);

    // The same stream as an encoder in this thread makes: the worker adds nothing and loses nothing.
    const local = new H264Encoder(width, height, { fps: 30, bitrate: 1_000_000 });
    const expected = concat(frames.map((_, t) => local.encode({ width, height, format: 'i420', data: pattern(BIG, t) })));
    const stream = concat(seen.encoded.map((f) => f.data));
    expectSameBytes(stream, expected, 'the stream');
    const decoded = await decodeWithFfmpeg(stream, { width, height, expectedFrames: 30 });
    expect(decoded.frames).toHaveLength(30);
  });

  it('applies requestKeyframe, setBitrate and setQpRange from the next frame posted', async () => {
    const { width, height } = MID;
    const options: EncoderOptions = { fps: 30, gop: 1000, bitrate: 1_000_000 };
    const client = await start(MID, options);
    const seen = record(client);
    const local = new H264Encoder(width, height, options);
    const expected: Uint8Array[] = [];
    // Recycled buffers feed the next frames: memory stays flat.
    const pool: Uint8Array[] = [];
    client.on('encoded', (_f, buf) => { if (buf) pool.push(buf); });
    const encodeBoth = (t: number) => {
      expected.push(local.encode({ width, height, format: 'i420', data: pattern(MID, t) }));
      client.encode(videoFrame(MID, t, pool.pop()));
    };
    for (let t = 0; t < 6; t++) encodeBoth(t);
    client.requestKeyframe(); local.requestKeyframe();
    for (let t = 6; t < 10; t++) encodeBoth(t);
    client.setBitrate(60_000); local.setBitrate(60_000);
    for (let t = 10; t < 20; t++) encodeBoth(t);
    client.setQpRange(30, 34); local.setQpRange(30, 34);
    for (let t = 20; t < 24; t++) encodeBoth(t);
    await client.close();

    expect(seen.errors).toEqual([]);
    expect(seen.encoded.map((f) => f.keyframe)).toEqual(Array.from({ length: 24 }, (_, t) => t === 0 || t === 6));
    expectSameBytes(concat(seen.encoded.map((f) => f.data)), concat(expected), 'the stream');
    const meanBytes = (from: number, to: number) => seen.encoded.slice(from, to).reduce((n, f) => n + f.data.length, 0) / (to - from);
    expect(meanBytes(15, 20), 'the lower bitrate took effect').toBeLessThan(meanBytes(7, 10) / 2);
    for (const f of seen.encoded.slice(21)) {
      expect(f.stats.qpMin).toBeGreaterThanOrEqual(30);
      expect(f.stats.qpMax).toBeLessThanOrEqual(34);
    }
    await decodeWithFfmpeg(concat(seen.encoded.map((f) => f.data)), { width, height, expectedFrames: 24 });
  });

  it("rejects bad sizes and options with the encoder's own error", async () => {
    for (const [width, options] of [[64, { qpMin: 60 }], [64, { preset: 'fast' }], [65, {}]] as const) {
      const expected = thrown(() => new H264Encoder(width, 48, options as EncoderOptions));
      const e = await EncoderClient.start(width, 48, options as EncoderOptions, { workerEntry }).then(() => null, (err: EncoderWorkerError) => err);
      expect(e).not.toBeNull();
      expect(e!.constructor).toBe(expected.constructor);
      expect(e!.message).toBe(expected.message);
      expect(e!.code).toBe(expected.code);
      expect(e!.fatal).toBe(false);
    }
  });

  it('reports a bad frame or a bad bitrate as a non-fatal error and carries on', async () => {
    const { width, height } = SMALL;
    const client = await start(SMALL, { fps: 30 });
    const seen = record(client);
    const bitrateError = thrown(() => new H264Encoder(width, height, { fps: 30 }).setBitrate(-5));
    const frameError = thrown(() => new H264Encoder(width, height).encode({ width, height, format: 'i420', data: new Uint8Array(100) }));
    client.encode({ width, height, data: new Uint8Array(100), timestampUs: 0, index: 0 });
    client.setBitrate(-5);
    client.encode(videoFrame(SMALL, 1));
    await client.close();

    expect(seen.errors.map((e) => [e.message, e.code, e.fatal, e.index])).toEqual([
      [frameError.message, 'ERR_INVALID_IMAGE', false, 0],
      [bitrateError.message, 'ERR_INVALID_ARG', false, undefined],
    ]);
    expect(seen.recycled).toHaveLength(1);
    expect(seen.encoded.map((f) => [f.index, f.keyframe])).toEqual([[1, true]]);
    expect(seen.exits).toEqual([0]);
    expect(client.failure).toBeNull();
  });

  it('copies a frame that is a view into a larger buffer instead of detaching it', async () => {
    const client = await start(SMALL);
    const seen = record(client);
    const n = bytesOf(SMALL);
    const big = new Uint8Array(n + 64);
    big.set(pattern(SMALL, 0), 32);
    const frame: VideoFrame = { ...SMALL, data: big.subarray(32, 32 + n), timestampUs: 0, index: 0 };
    client.encode(frame);
    expect(frame.data.byteLength).toBe(n);
    expect(big.byteLength).toBe(n + 64);
    await client.close();
    expect(seen.encoded).toHaveLength(1);
    expectSameBytes(seen.recycled[0], pattern(SMALL, 0), 'the copy handed back');
    expect(seen.errors).toEqual([]);
  });

  describe('when the worker dies', () => {
    /** Posts n frames, then lets `kill` end the worker (it may post more); returns what the client said. */
    async function dieMidStream(kill: (client: EncoderClient) => Promise<void> | void, n: number, size = SMALL) {
      const client = await start(size);
      const seen = record(client);
      const encode = client.encode.bind(client);
      client.encode = (frame) => { encode(frame); n++; };
      const frames = Array.from({ length: n }, (_, t) => videoFrame(size, t));
      for (const frame of frames) encode(frame);
      await kill(client);
      await client.close(); // already gone: resolves, never hangs
      expect(client.running).toBe(false);
      expect(client.inFlight).toBe(0);
      expect(seen.exits).toEqual([client.exitCode]);
      expect(seen.errors).toHaveLength(1);
      const [error] = seen.errors;
      expect(error!.fatal).toBe(true);
      expect(client.failure).toBe(error);
      // Every frame is accounted for: encoded, or counted in the message as lost.
      const lost = Number(/while (\d+) frames? w/.exec(error!.message)?.[1] ?? 0);
      expect(seen.encoded.length + lost).toBe(n);
      // It stays dead: more work is refused at once, the frame stays the caller's.
      const frame = videoFrame(SMALL, n);
      expect(() => client.encode(frame)).toThrow(/has exited .*start a new EncoderClient/);
      expect(frame.data.byteLength).toBe(bytesOf(SMALL));
      return { client, error: error!, lost };
    }

    const exited = (c: EncoderClient) => new Promise<void>((resolve) => c.once('exit', () => resolve()));

    it('reports frames lost to terminate()', async () => {
      // Big frames, posted at once: the worker cannot have encoded them all when terminate() comes.
      const { error, lost } = await dieMidStream((c) => c.terminate(), 4, BIG);
      expect(lost).toBeGreaterThan(0);
      expect(error.message).toBe(`encoder worker was terminated while ${lost} frame${lost === 1 ? ' was' : 's were'} in flight`);
      expect(error.code).toBe('ERR_WORKER_EXITED');
    });

    it('reports an exception escaping the worker as fatal, with its message', async () => {
      const { client, error, lost } = await dieMidStream((c) => {
        c.simulateCrashForTest('throw');
        c.encode(videoFrame(SMALL, 100));
        return exited(c);
      }, 3);
      expect(client.exitCode).toBe(1);
      expect(lost).toBe(1);
      expect(error.code).toBe('ERR_WORKER_INTERNAL');
      expect(error.message).toBe('encoder worker exited with code 1 while 1 frame was in flight: test crash: an exception escaped the encoder worker');
      expect(error.stack).toContain('--- in the worker ---');
    });

    it('reports process.exit in the worker with its code and the frames in flight', async () => {
      const { client, error, lost } = await dieMidStream((c) => {
        c.simulateCrashForTest('exit');
        for (let t = 100; t < 103; t++) c.encode(videoFrame(SMALL, t)); // behind the crash: never encoded
        return exited(c);
      }, 3);
      expect(client.exitCode).toBe(7);
      expect(lost).toBe(3);
      expect(error.message).toBe('encoder worker exited with code 7 while 3 frames were in flight');
    });

    it('reports an uncaught exception in the worker, even with no frame in flight', async () => {
      const client = await start(SMALL);
      const seen = record(client);
      client.simulateCrashForTest('uncaught');
      await exited(client);
      expect(client.exitCode).toBe(1);
      expect(seen.errors.map((e) => [e.message, e.code, e.fatal])).toEqual([
        ['encoder worker exited with code 1: test crash: an uncaught exception in the encoder worker', 'ERR_WORKER_EXITED', true],
      ]);
    });

    it('does not throw when nobody listens for errors, and a new client then encodes', async () => {
      const dead = await start(SMALL);
      dead.encode(videoFrame(SMALL, 0));
      dead.simulateCrashForTest('exit');
      dead.encode(videoFrame(SMALL, 1));
      await dead.close();
      expect(dead.failure?.message).toBe('encoder worker exited with code 7 while 1 frame was in flight');

      const client = await start(SMALL);
      const seen = record(client);
      for (let t = 0; t < 3; t++) client.encode(videoFrame(SMALL, t));
      await client.close();
      expect(seen.errors).toEqual([]);
      expect(seen.encoded.map((f) => f.index)).toEqual([0, 1, 2]);
    });
  });

  it('says how to get a worker entry when there is none', async () => {
    // Run from TypeScript source, the default entry (encoder-worker.js next to this module) is missing.
    const e = await EncoderClient.start(64, 48).then(() => null, (err: EncoderWorkerError) => err);
    expect(e?.code).toBe('ERR_WORKER_START');
    expect(e?.message).toMatch(/encoder-worker\.js does not exist: run `npm run build`/);
  });

  it('finds its worker entry by itself when run from the build, under plain node', async () => {
    const client = join(dir, 'dist', 'main', 'engine', 'encoder-client.js');
    const script = `
      import { EncoderClient } from ${JSON.stringify(client)};
      const enc = await EncoderClient.start(64, 48, { fps: 10, qp: 30 });
      const out = [];
      enc.on('encoded', (f, buf) => out.push([f.index, f.keyframe, f.data.length > 0, buf.byteLength]));
      for (let i = 0; i < 3; i++) enc.encode({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3 / 2).fill(i * 40), timestampUs: i * 1e5, index: i });
      await enc.close();
      console.log(JSON.stringify({ out, exitCode: enc.exitCode }));
    `;
    // A file, not `node --input-type=module -e`: worker threads inherit execArgv, and reject that flag.
    const file = join(dir, 'from-build.mjs');
    await writeFile(file, script);
    const r = await runTool(process.execPath, [file], new Uint8Array(0));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.toString('utf8'))).toEqual({ out: [[0, true, true, 4608], [1, false, true, 4608], [2, false, true, 4608]], exitCode: 0 });
  });
});
