/**
 * The bench report: results.json (everything measured, raw) and report.md (tables drawn from it),
 * plus one rate-distortion SVG per clip. Rendering only: nothing here measures.
 */
import type { BenchEncoder, ToolVersions } from './encoders.js';
import { rdPlotSvg } from './rd-plot.js';
import type { ClipCurves, ClipSpeed, Measurements } from './run.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** `git describe`-like state of the repository the encoder was built from. */
  commit: string;
}

export interface BenchResults extends Measurements {
  /** Bumped when the shape of this file changes. */
  format: 1;
  startedAt: string;
  runtimeSeconds: number;
  /** The command line that produced the report. */
  command: string;
  machine: MachineInfo;
  tools: ToolVersions;
  settings: {
    sequences: string;
    qps: number[];
    speedQp: number;
    gop: number;
    runs: number;
    reference: string;
    ours: string;
  };
  encoders: (BenchEncoder & { command: string })[];
  rateControl: { status: 'not yet'; note: string };
}

export const RATE_CONTROL_NOTE =
  'The encoder has no rate control yet: every frame is coded at a constant QP, so there is no bitrate target to hold. ' +
  'Once it lands, this section reports achieved/target bitrate, the worst 1-second window and the QP range used ' +
  '(../shared/BENCHMARKS.md measured x264 and OpenH264 at 500 kb/s on foreman CIF).';

export function plotFileName(clip: string): string {
  return `${clip}-rd.svg`;
}

export function rdPlot(results: BenchResults, curves: ClipCurves): string {
  const series = results.encoders.map((e) => ({
    label: e.label,
    dashed: e.kind !== 'ours',
    points: curves.points.filter((p) => p.encoder === e.id).map((p) => ({ x: p.kbps, y: p.psnrY })),
  })).filter((s) => s.points.length > 0);
  return rdPlotSvg(series, {
    title: `${curves.clip}: rate-distortion`,
    subtitle: `${curves.width}x${curves.height}, ${curves.frames} frames, QP ${results.settings.qps.join('/')}, IDR every ${results.settings.gop} frames, one thread`,
  });
}

// ------------------------------------------------------------------ formatting

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}%`);

export function formatFps(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const ratio = (v: number) => `×${Number(v.toPrecision(2))}`;

const mib = (kib: number) => (kib / 1024).toFixed(0);

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '--:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function label(results: BenchResults, id: string): string {
  return results.encoders.find((e) => e.id === id)?.label ?? id;
}

function duration(seconds: number): string {
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

function speedHeader(s: ClipSpeed): string {
  return `fps ${s.clip} (${s.frames} fr)`;
}

// ------------------------------------------------------------------ report.md

/**
 * The summary table: BD-rate of every encoder against the reference per curve clip, and the speed
 * of every encoder per speed clip with ours (the default preset) ÷ that encoder.
 */
export function summaryTable(results: BenchResults): string {
  const header = ['encoder', ...results.curves.map((c) => `BD-rate ${c.clip} (${c.frames} fr)`), ...results.speed.map(speedHeader)];
  const rows = results.encoders.map((e) => {
    const bd = results.curves.map((c) => (e.id === c.reference ? 'reference' : pct(c.bdRate.find((b) => b.encoder === e.id)?.psnrY)));
    const fps = results.speed.map((s) => {
      const entry = s.entries.find((x) => x.encoder === e.id);
      if (!entry) return 'n/a';
      const r = s.ratios[results.settings.ours]?.[e.id];
      return `${formatFps(entry.medianFps)}${r !== undefined ? ` (ours ${ratio(r)})` : ''}`;
    });
    return [e.label, ...bd, ...fps];
  });
  return table(header, ['l', ...header.slice(1).map(() => 'r' as const)], rows);
}

export function renderReport(results: BenchResults): string {
  const { machine: m, tools: t, settings: st } = results;
  const ours = label(results, st.ours), reference = label(results, st.reference);
  const out: string[] = [];
  out.push('# H264 Studio encoder benchmark', '');
  out.push(`Run ${results.startedAt}, took ${duration(results.runtimeSeconds)}: \`${results.command}\`. Raw figures: [results.json](results.json).`, '');

  out.push('## Machine and tools', '');
  out.push(`- CPU: ${m.cpu}, ${m.cores} logical cores; ${m.memoryGiB.toFixed(1)} GiB RAM; ${m.os}`);
  out.push(`- Node ${m.node}; H264 Studio at ${m.commit}`);
  out.push(`- x264: ${t.x264}`);
  out.push(`- OpenH264: ${t.openh264}, through ${t.gstOpenh264}`);
  out.push(`- Decoder for every quality figure: ${t.ffmpeg}`);
  out.push(`- Sequences: ${st.sequences}`, '');

  out.push('## Summary', '');
  out.push(`BD-rate: Bjøntegaard delta rate on Y-PSNR against ${reference}; negative means fewer bits for the same quality. ` +
    `Speed: median fps of ${st.runs} alternating runs at QP ${st.speedQp}, one thread; "ours ×r" is ${ours} fps ÷ that encoder's fps, ` +
    'measured in the same run (how fps is measured differs per encoder, see Method).', '');
  out.push(summaryTable(results), '');

  out.push('## Method', '');
  out.push(`- Every encoder at a constant QP (${st.qps.join(', ')} for the curves, ${st.speedQp} for speed), an IDR frame every ${st.gop} frames, one thread, ` +
    'on the first N frames of each clip (a trimmed copy of the .y4m, header unchanged). Command lines:', '');
  out.push(table(['encoder', 'command'], ['l', 'l'], results.encoders.map((e) => [e.label, `\`${e.command}\``])), '');
  out.push('- Ours codes one IDR every GOP and P frames between them (one reference picture), as the anchors do; presets are described in the README.');
  out.push('- Every stream is decoded by ffmpeg with `-xerror -err_detect +crccheck+bitstream+buffer+explode` (any error fails the bench) and ' +
    'must give exactly the encoded number of frames at the source size. Quality is measured on the decoded frames against the source.');
  out.push(`- PSNR: mean over frames of per-frame PSNR (a perfect plane counts as ${100} dB); YUV-PSNR = mean over frames of (6 Y + U + V) / 8 of the ` +
    'frame\'s PSNRs. SSIM: luma only, 8x8 windows every 4 samples with x264\'s constants (the `ssim` of x264 and ffmpeg, not the 11x11 Gaussian ' +
    'window of Wang et al.), mean over windows then over frames.');
  out.push('- BD-rate: cubic least-squares fit of log10(kb/s) over quality per curve (exact through 4 points), both integrated over the common ' +
    'quality range (VCEG-M33).');
  out.push('- fps: ours, frames ÷ time inside `encode()` (the CLI measures it and reports it with `--stats-json`); x264, as x264 prints it ' +
    '(`encoded N frames, X fps`: its encoding loop including reading the y4m); OpenH264, frames ÷ wall time of the whole `gst-launch-1.0` ' +
    'process (start-up and y4m parsing included), with the pipeline-only figure (frames 2..N over PLAYING to EOS) shown beside it in Speed.');
  out.push('- Peak memory: peak RSS of the encoding process, from GNU time `%M`.', '');

  out.push('## Rate-distortion', '');
  for (const c of results.curves) {
    out.push(`### ${c.clip} (${c.width}x${c.height}, ${c.frames} frames at ${formatRate(c.fpsNum, c.fpsDen)} fps)`, '');
    out.push(`![${c.clip} rate-distortion](${plotFileName(c.clip)})`, '');
    if (c.bdRate.length > 0) {
      out.push(table(['encoder', `BD-rate Y-PSNR vs ${reference}`, 'BD-rate YUV-PSNR'], ['l', 'r', 'r'], c.bdRate.map((b) => [
        label(results, b.encoder),
        b.encoder === c.reference ? 'reference' : `${pct(b.psnrY)}${b.note ? ` (${b.note})` : ''}`,
        b.encoder === c.reference ? 'reference' : pct(b.psnrYuv),
      ])), '');
    }
    out.push(table(['encoder', 'QP', 'kb/s', 'Y-PSNR (dB)', 'YUV-PSNR (dB)', 'SSIM (Y)', 'fps'], ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      results.encoders.flatMap((e) => c.points.filter((p) => p.encoder === e.id).map((p) => [
        e.label, `${p.qp}`, p.kbps.toFixed(1), p.psnrY.toFixed(2), p.psnrYuv.toFixed(2), p.ssimY.toFixed(4), formatFps(p.fps),
      ]))), '');
  }

  out.push('## Speed', '');
  if (results.speed.length === 0) out.push('Not measured in this run.', '');
  else {
    out.push(`Median fps of ${st.runs} runs at QP ${st.speedQp} (slowest–fastest run in brackets); each run encodes with every encoder in turn.`, '');
    out.push(table(['encoder', ...results.speed.map((s) => `${s.clip} (${s.width}x${s.height}, ${s.frames} fr)`)], ['l', ...results.speed.map(() => 'r' as const)],
      results.encoders.map((e) => [e.label, ...results.speed.map((s) => {
        const x = s.entries.find((y) => y.encoder === e.id);
        if (!x) return 'n/a';
        const pipeline = x.medianPipelineFps !== undefined ? `; pipeline ${formatFps(x.medianPipelineFps)}` : '';
        return `${formatFps(x.medianFps)} (${formatFps(Math.min(...x.fps))}–${formatFps(Math.max(...x.fps))}${pipeline})`;
      })])), '');
    const oursIds = results.encoders.filter((e) => e.kind === 'ours').map((e) => e.id);
    out.push('Ours ÷ each encoder (ratio of the medians above; below 1: ours is slower):', '');
    const header = ['encoder', ...results.speed.flatMap((s) => oursIds.map((o) => `${label(results, o)} ÷, ${s.clip}`))];
    out.push(table(header, ['l', ...header.slice(1).map(() => 'r' as const)],
      results.encoders.filter((e) => e.kind !== 'ours').map((e) => [e.label, ...results.speed.flatMap((s) => oursIds.map((o) => {
        const r = s.ratios[o]?.[e.id];
        return r === undefined ? 'n/a' : ratio(r);
      }))])), '');
  }

  out.push('## Memory', '');
  if (results.speed.length === 0) out.push('Not measured in this run (it comes from the speed runs).', '');
  else {
    out.push('Peak resident memory (MiB) of the encoding process, largest over the speed runs. Ours is a Node process: about 40 MiB of it is the runtime itself.', '');
    out.push(table(['encoder', ...results.speed.map((s) => `${s.clip} (${s.width}x${s.height})`)], ['l', ...results.speed.map(() => 'r' as const)],
      results.encoders.map((e) => [e.label, ...results.speed.map((s) => {
        const x = s.entries.find((y) => y.encoder === e.id);
        return x ? mib(x.maxRssKiB) : 'n/a';
      })])), '');
  }

  out.push('## Rate control', '');
  out.push(`Not yet. ${results.rateControl.note}`, '');
  return out.join('\n');
}

function formatRate(num: number, den: number): string {
  return den === 1 ? `${num}` : (num / den).toFixed(3);
}
