/**
 * A Vitest reporter for the kernel benchmarks: after Vitest's own tables it prints one table of
 * where time goes (cost per unit of work: per 4x4 block, per macroblock, per frame) and a model of
 * one 1280x720 frame (3,600 macroblocks) coded with the balanced preset, built from those costs.
 *
 * Each bench call does a batch of work (timing a single 30 ns kernel call would measure the timer),
 * so the bench files tell the report, through their describe() blocks' `meta.kernelCosts`, how many
 * units one call does and how many of those units a 720p frame needs.
 */
import type { Reporter, Vitest } from 'vitest/node';
import type { RunnerTask } from 'vitest';

/** What one bench call does. */
export interface KernelCost {
  /** Work units one call performs (a batch of 256 4x4 blocks is 256). */
  units: number;
  /** The unit, singular: '4x4 block', 'macroblock', 'frame'. */
  unit: string;
  /** Units in one 720p frame coded with the balanced preset: the row joins the frame model. */
  perFrame?: number;
  /** How perFrame was counted, shown beside the frame-model row. */
  note?: string;
  /** The measured whole this row is part of (frame-model rows only): 'macroblock' or 'frame'. */
  partOf?: 'macroblock' | 'frame';
}

export type KernelCosts = Record<string, KernelCost>;

declare module 'vitest' {
  interface TaskMeta {
    kernelCosts?: KernelCosts;
  }
}

/** Macroblocks in a 1280x720 frame. */
export const MBS_720P = 3600;

/** Names of the whole-macroblock and whole-frame benches (encode-benches.ts). */
export const macroblockBenchName = (preset: string, clip: string): string => `IntraCoder.encodeMacroblock, ${preset} (${clip})`;
export const frameBenchName = (preset: string): string => `H264Encoder.encode, ${preset} (flower 720p frame)`;
/** The frame model is anchored on these (balanced preset). */
const MB_TOTAL = macroblockBenchName('balanced', 'flower 720p');
const FRAME_TOTAL = frameBenchName('balanced');

interface Row {
  group: string;
  name: string;
  cost: KernelCost;
  /** Mean time of one call, ms: a frame costs the mean times the count, outliers (GC) included. */
  mean: number;
  rme: number;
}

function collect(task: RunnerTask, costs: KernelCosts, group: string, rows: Row[]): void {
  if (task.type === 'suite') {
    const own = task.meta.kernelCosts ?? {};
    for (const child of task.tasks) collect(child, { ...costs, ...own }, task.file === task ? group : task.name, rows);
    return;
  }
  const result = task.result?.benchmark;
  const cost = costs[task.name];
  if (!result || !cost || !(result.mean > 0)) return;
  rows.push({ group, name: task.name, cost, mean: result.mean, rme: result.rme });
}

/** Nanoseconds, microseconds or milliseconds with 3 significant digits. */
function time(ns: number): string {
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${(ns / 1e6).toPrecision(3)} ms`;
}

function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toPrecision(3)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toPrecision(3)} k/s`;
  return `${perSecond.toPrecision(3)} /s`;
}

function table(head: string[], body: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export default class KernelReport implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(): void {
    const rows: Row[] = [];
    for (const file of this.vitest?.state.getFiles() ?? []) collect(file, {}, '', rows);
    if (rows.length === 0) return;
    const out: string[] = [];
    const nsPerUnit = (r: Row): number => (r.mean * 1e6) / r.cost.units;

    out.push('', 'Where time goes: mean cost per unit of work (one thread; compare ratios, not absolute numbers, across machines)', '');
    let group = '';
    const body: string[][] = [];
    for (const r of rows) {
      if (r.group !== group) {
        group = r.group;
        body.push([`[${group}]`, '', '', '', '']);
      }
      const ns = nsPerUnit(r);
      body.push([`  ${r.name}`, r.cost.unit, time(ns), rate(1e9 / ns), `±${r.rme.toFixed(1)}%`]);
    }
    out.push(table(['kernel', 'per', 'time', 'rate', 'rme'], body, [false, false, true, true, true]));
    out.push('', 'SAD (motion search) is private to inter.ts: its share shows in the whole-encoder benches and the profile.');

    const byName = new Map(rows.map((r) => [r.name, r]));
    const mb = byName.get(MB_TOTAL), frame = byName.get(FRAME_TOTAL);
    const model = rows.filter((r) => r.cost.perFrame !== undefined);
    if (model.length && mb && frame) {
      const frameMs = nsPerUnit(frame) / 1e6;
      const mbFrameMs = (nsPerUnit(mb) * MBS_720P) / 1e6;
      out.push('', `One 1280x720 frame, balanced preset (${MBS_720P} macroblocks): measured ${frameMs.toFixed(1)} ms per frame ` +
        `(${(1000 / frameMs).toFixed(2)} fps), of which macroblock coding ${mbFrameMs.toFixed(1)} ms ` +
        `(${time(nsPerUnit(mb))} per macroblock). The kernels' share, from the costs above:`, '');
      const modelBody: string[][] = [];
      let sumMb = 0, sumFrame = 0;
      for (const r of model) {
        const ms = (nsPerUnit(r) * r.cost.perFrame!) / 1e6;
        if (r.cost.partOf === 'macroblock') sumMb += ms;
        else if (r.cost.partOf === 'frame') sumFrame += ms;
        modelBody.push([
          r.name, r.cost.perFrame!.toLocaleString('en-US'), r.cost.unit, `${ms.toFixed(1)} ms`,
          r.cost.partOf ? `${((100 * ms) / frameMs).toFixed(1)}%` : '-', r.cost.note ?? '',
        ]);
      }
      const glue = mbFrameMs - sumMb;
      modelBody.push(['macroblock coding not in the rows above (glue)', '', '', `${glue.toFixed(1)} ms`, `${((100 * glue) / frameMs).toFixed(1)}%`,
        'loads, diff/quant/SSD loops, copies, candidate bookkeeping in intra.ts']);
      const rest = frameMs - mbFrameMs - sumFrame;
      modelBody.push(['rest of encode() (not macroblock coding or deblocking)', '', '', `${rest.toFixed(1)} ms`, `${((100 * rest) / frameMs).toFixed(1)}%`,
        'input copy, NAL wrapping, and the noise between two measurements']);
      out.push(table(['kernel', 'calls/frame', 'of', 'ms/frame', '% frame', 'counted as'], modelBody, [false, true, false, true, true, false]));
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
