/**
 * The encoder worker's entry: one H264Encoder behind the message protocol of worker-protocol.ts.
 *
 * EncoderClient starts it from the built file (dist/main/engine/encoder-worker.js, next to
 * encoder-client.js); it is plain JavaScript there, so no TypeScript loader is needed in the worker.
 * Imported anywhere else (a test, the main thread) it only exports serveEncoder.
 *
 * Errors: what the encoder rejects at its boundary (bad options, a bad frame, a bitrate out of
 * range: RangeError/TypeError with a code) goes back as a non-fatal 'error' with the message and
 * code unchanged, and the worker carries on. Any other exception is a bug: it goes back as a fatal
 * 'error' (ERR_WORKER_INTERNAL) and the worker exits with code 1.
 */
import { type MessagePort, isMainThread, parentPort } from 'node:worker_threads';
import { H264Encoder } from '../../encoder/index.js';
import { type ErrorMessage, type FromWorker, type ToWorker, type WorkerPort, ownedBuffer } from './worker-protocol.js';

/**
 * Codes of errors that fail one request and leave the encoder fine: what the encoder throws at its
 * public boundary (encoder/errors.ts), and a message the protocol does not allow now.
 */
const REQUEST_ERROR_CODES = new Set(['ERR_INVALID_ARG', 'ERR_INVALID_IMAGE', 'ERR_ENCODER_CLOSED', 'ERR_WORKER_PROTOCOL']);

function isRequestError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && REQUEST_ERROR_CODES.has((e as { code?: unknown }).code as string);
}

function protocolError(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ERR_WORKER_PROTOCOL' });
}

/** Exit code of the test-only 'exit' crash: distinct from 1 (uncaught) so tests can tell them apart. */
const TEST_EXIT_CODE = 7;

/** Serves one encoder on `port` until 'close' (or a fatal error). */
export function serveEncoder(port: WorkerPort): void {
  let encoder: H264Encoder | null = null;

  function fail(request: ToWorker, e: Error & { code: string }): void {
    const reply: ErrorMessage = { type: 'error', request: request.type, name: e.name, message: e.message, code: e.code, fatal: false };
    if (request.type === 'frame') reply.index = request.index;
    port.postMessage(reply);
  }

  function handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'init': {
        if (encoder) throw protocolError('init was sent twice: one worker serves one encoder');
        encoder = new H264Encoder(msg.width, msg.height, msg.options);
        port.postMessage({ type: 'ready', levelIdc: encoder.levelIdc, options: { ...encoder.options } });
        return;
      }
      case 'frame': {
        const enc = started(encoder, msg.type);
        const au = enc.encode({ width: msg.width, height: msg.height, format: 'i420', data: msg.data });
        // encode() returns a new array each call, but it may be a view into a larger allocation:
        // copy the (small) access unit out then, rather than transfer the slack with it.
        const data = ownedBuffer(au) ? au : au.slice();
        // The frame's buffer goes back for reuse where the transport moves it rather than copying.
        const inputBuffer = port.transfers ? ownedBuffer(msg.data) : null;
        const input = inputBuffer ? msg.data : null;
        const transfer = port.transfers ? [data.buffer as ArrayBuffer, ...(inputBuffer ? [inputBuffer] : [])] : [];
        const reply: FromWorker = {
          type: 'encoded', index: msg.index, timestampUs: msg.timestampUs, data, keyframe: enc.keyframe(), stats: enc.stats(), input,
        };
        port.postMessage(reply, transfer);
        return;
      }
      case 'requestKeyframe':
        started(encoder, msg.type).requestKeyframe();
        return;
      case 'setBitrate':
        started(encoder, msg.type).setBitrate(msg.bps);
        return;
      case 'setQpRange':
        started(encoder, msg.type).setQpRange(msg.min, msg.max);
        return;
      case 'close':
        encoder?.close();
        encoder = null;
        port.postMessage({ type: 'closed' });
        port.close();
        return;
      case 'crash':
        if (msg.how === 'exit') port.exit(TEST_EXIT_CODE);
        else if (msg.how === 'throw') throw new Error('test crash: an exception escaped the encoder worker');
        else setTimeout(() => { throw new Error('test crash: an uncaught exception in the encoder worker'); });
        return;
      default: {
        const unknown: never = msg;
        throw protocolError(`unknown message ${JSON.stringify((unknown as { type?: unknown }).type)}`);
      }
    }
  }

  port.onMessage((msg) => {
    try {
      handle(msg);
    } catch (e) {
      if (isRequestError(e)) {
        fail(msg, e);
        return;
      }
      const error = e instanceof Error ? e : new Error(String(e));
      port.postMessage({
        type: 'error', request: msg.type, name: error.name, message: error.message, code: 'ERR_WORKER_INTERNAL', fatal: true, stack: error.stack,
      });
      // The message is already queued on the port: exiting does not lose it.
      port.exit(1);
    }
  });
}

function started(encoder: H264Encoder | null, request: string): H264Encoder {
  if (!encoder) throw protocolError(`${request} before init: the encoder is not created yet`);
  return encoder;
}

/** The worker_threads adapter: ArrayBuffers in the transfer list move without a copy. */
function threadPort(port: MessagePort): WorkerPort {
  let listener: ((message: ToWorker) => void) | null = null;
  return {
    transfers: true,
    postMessage: (message, transfer) => port.postMessage(message, transfer ?? []),
    onMessage: (handler) => port.on('message', (listener = handler)),
    // Without its 'message' listener the port no longer holds the thread open: it ends with code 0
    // once the messages already posted are out. (off() unrefs the port; removeAllListeners() does not.)
    close: () => { if (listener) port.off('message', listener); },
    exit: (code) => process.exit(code),
  };
}

// The host. A worker thread: parentPort. Under Electron this same entry runs in a utilityProcess,
// where parentPort is null and the adapter (added with the desktop app, not here: nothing outside
// the Electron folder imports electron) wraps process.parentPort: transfers false (it copies
// ArrayBuffers), onMessage unwraps `event.data`, close() removes the listener, exit() is process.exit.
if (!isMainThread && parentPort) serveEncoder(threadPort(parentPort));
