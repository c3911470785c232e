/**
 * Worker-thread entry of the rate-control section: one encode of ours (encodeLooped), its result
 * posted back with the stream's buffer transferred. Started by runRateControl from the built file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeLooped, type OursJob } from './rate-control.js';

const outcome = await encodeLooped(workerData as OursJob);
parentPort!.postMessage(outcome, [outcome.stream.buffer as ArrayBuffer]);
