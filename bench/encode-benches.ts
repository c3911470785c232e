/**
 * Whole macroblocks and whole frames, one preset per bench file: Vitest runs each file in its own
 * process, so the encoder's code is compiled for the calls the encoder makes and nothing else.
 * Run after the kernel benches in one process, a macroblock measured up to 50% slower (V8's type
 * feedback and inlining had been shaped by the benches' own calls into the same functions).
 */
import type { BenchOptions } from 'vitest';
import type { PresetName } from '../encoder/options.js';
import { group } from './define.js';
import { h264Encoder } from './encoder.js';
import { IntraFrameCoder, loadFrame } from './fixtures.js';
import { frameBenchName, macroblockBenchName } from './kernel-report.js';

/** Results land here (exported, so observable) and no call is dead code. */
export let sink = 0;

export async function encodeBenches(preset: PresetName): Promise<void> {
  const { H264Encoder } = h264Encoder;
  const flower = await loadFrame('flower_720p_1280x720');
  const foreman = await loadFrame('foreman_cif_352x288');
  const mb720 = new IntraFrameCoder(flower.pic, 27, preset);
  const mbCif = new IntraFrameCoder(foreman.pic, 27, preset);
  // One bench call codes a whole picture, macroblock by macroblock as H264Encoder does: costs
  // differ a lot across a picture, and timing each macroblock would add the timer's few µs to it.
  const pictures = (n: number): BenchOptions => ({ time: 0, warmupTime: 0, warmupIterations: 1, iterations: n });
  group(`whole macroblocks, ${preset} (intra.ts; flower 720p, QP 27, whole pictures in raster order)`, [
    [macroblockBenchName(preset, 'flower 720p'), { units: mb720.state.count, unit: 'macroblock' }, () => { mb720.codePicture(); }],
  ], pictures(6));
  group(`whole macroblocks, ${preset} (intra.ts; foreman CIF, QP 27, whole pictures in raster order)`, [
    [macroblockBenchName(preset, 'foreman CIF'), { units: mbCif.state.count, unit: 'macroblock' }, () => { mbCif.codePicture(); }],
  ], pictures(30));
  const encoder = new H264Encoder(flower.width, flower.height, { qp: 27, preset });
  const frame = { width: flower.width, height: flower.height, format: 'i420' as const, data: flower.i420 };
  group(`whole frames, ${preset} (h264-encoder.ts; flower 720p, QP 27, i420 input)`, [
    [frameBenchName(preset), { units: 1, unit: 'frame' }, () => { sink += encoder.encode(frame).length; }],
  ], { time: 3000, warmupTime: 0, warmupIterations: 2, iterations: 5 });
}
