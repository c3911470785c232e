/**
 * The bench report: results.json (everything measured, raw) and report.md (tables drawn from it),
 * plus one rate-distortion SVG per clip. Rendering only: nothing here measures.
 */
import type { BenchEncoder, ToolVersions } from './encoders.js';
import { RC_QP_BOUNDS, RC_TARGETS, type RateControlResults, type RateControlRun, x264Command } from './rate-control.js';
import { rdPlotSvg } from './rd-plot.js';
import type { RtspLatencyResults } from './rtsp-latency.js';
import type { ClipCurves, ClipSpeed, Measurements } from './run.js';

/** The parts of the bench (`--sections`). */
export const SECTIONS = ['quality', 'speed', 'rate-control', 'rtsp'] as const;
export type Section = (typeof SECTIONS)[number];

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
  /**
   * Bumped when the shape of this file changes (2: rateControl measured, settings.sections;
   * 3: x264Lookahead per run, rtsp; 4: checks.psnrLookahead per rate-control run).
   */
  format: 4;
  startedAt: string;
  runtimeSeconds: number;
  /** The command line that produced the report. */
  command: string;
  machine: MachineInfo;
  tools: ToolVersions;
  settings: {
    sections: Section[];
    sequences: string;
    qps: number[];
    speedQp: number;
    gop: number;
    runs: number;
    reference: string;
    ours: string;
  };
  encoders: (BenchEncoder & { command: string })[];
  rateControl: RateControlResults | { status: 'not run'; note: string };
  rtsp: RtspLatencyResults | { status: 'not run'; note: string };
}

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
  return `fps ${s.clip} (${speedFrames(s)})`;
}

/** "30 fr", or "150 fr: 30 looped" for a run that plays a short clip over and over. */
function speedFrames(s: ClipSpeed): string {
  return s.sourceFrames < s.frames ? `${s.frames} fr: ${s.sourceFrames} looped` : `${s.frames} fr`;
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
  if (results.curves.length === 0 && results.speed.length === 0) out.push('No curves or speed in this run.', '');
  else {
    out.push(`BD-rate: Bjøntegaard delta rate on Y-PSNR against ${reference}; negative means fewer bits for the same quality. ` +
      `Speed: median fps of ${st.runs} alternating runs at QP ${st.speedQp}, one thread; "ours ×r" is ${ours} fps ÷ that encoder's fps, ` +
      'measured in the same run (how fps is measured differs per encoder, see Method).', '');
    out.push(summaryTable(results), '');
  }
  if (results.rateControl.status === 'measured') {
    const rc = results.rateControl;
    const failed = rc.runs.filter((r) => Object.values(r.checks).includes(false)).length;
    out.push(`Rate control: ${rc.runs.length - failed} of ${rc.runs.length} runs meet every target of issue 5` +
      `${failed > 0 ? ` (${failed} miss one or more: see [Rate control](#rate-control))` : ''}.`, '');
  }

  out.push('## Method', '');
  out.push(`- Every encoder at a constant QP (${st.qps.join(', ')} for the curves, ${st.speedQp} for speed), an IDR frame every ${st.gop} frames, one thread, ` +
    'on the first N frames of each clip (a trimmed copy of the .y4m, header unchanged; a speed run marked "looped" plays a short clip ' +
    'over and over to N frames, in one .y4m, so that it measures the sustained rate rather than a fresh process\'s first second). Command lines:', '');
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
  if (results.curves.length === 0) out.push('Not measured in this run.', '');
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
    out.push(table(['encoder', ...results.speed.map((s) => `${s.clip} (${s.width}x${s.height}, ${speedFrames(s)})`)], ['l', ...results.speed.map(() => 'r' as const)],
      results.encoders.map((e) => [e.label, ...results.speed.map((s) => {
        const x = s.entries.find((y) => y.encoder === e.id);
        if (!x) return 'n/a';
        const pipeline = x.medianPipelineFps !== undefined ? `; pipeline ${formatFps(x.medianPipelineFps)}` : '';
        return `${formatFps(x.medianFps)} (${formatFps(Math.min(...x.fps))}–${formatFps(Math.max(...x.fps))}${pipeline})`;
      })])), '');
    const oursIds = results.encoders.filter((e) => e.kind === 'ours').map((e) => e.id);
    out.push('Ours ÷ each encoder (ratio of the medians above; below 1: ours is slower):', '');
    const header = ['encoder', ...results.speed.flatMap((s) => oursIds.map((o) => `${label(results, o)} ÷, ${s.clip} (${speedFrames(s)})`))];
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
    out.push(table(['encoder', ...results.speed.map((s) => `${s.clip} (${s.width}x${s.height}, ${speedFrames(s)})`)], ['l', ...results.speed.map(() => 'r' as const)],
      results.encoders.map((e) => [e.label, ...results.speed.map((s) => {
        const x = s.entries.find((y) => y.encoder === e.id);
        return x ? mib(x.maxRssKiB) : 'n/a';
      })])), '');
  }

  out.push('## Rate control', '');
  if (results.rateControl.status === 'measured') out.push(...rateControlSection(results.rateControl));
  else out.push(`Not run. ${results.rateControl.note}`, '');

  out.push('## RTSP latency', '');
  if (results.rtsp.status === 'measured') out.push(...rtspSection(results.rtsp));
  else out.push(`Not run. ${results.rtsp.note}`, '');
  return out.join('\n');
}

// ------------------------------------------------------------------ rtsp

/** One row per run: latency percentiles and the time to a joiner's first frame. */
export function rtspTable(r: RtspLatencyResults): string {
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
  return table(
    ['viewers', 'transport', 'frames timed', 'from the join cache', 'lost packets', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'first frame ms (median / max)', 'first frame an IDR'],
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    r.runs.map((x) => [
      `${x.viewers}`, x.transport.toUpperCase(), `${x.frames}`, `${x.cachedFrames}`, `${x.lost}`, ms(x.p50Ms), ms(x.p95Ms), ms(x.p99Ms),
      `${ms(x.maxMs)}${x.maxMs <= r.targetMs ? ' ✓' : ' ✗'}`,
      `${x.firstFrameMedianMs.toFixed(0)} / ${x.firstFrameMaxMs.toFixed(0)}`, x.firstIsIdr ? 'yes' : 'no',
    ]),
  );
}

function rtspSection(r: RtspLatencyResults): string[] {
  return [
    `From an access unit handed to the embedded RTSP server (the moment encode() returns, in the studio) to a viewer holding ` +
    `its last packet, on loopback: ${r.width}x${r.height} at ${r.fps} fps and ${r.bitrate / 1e6} Mb/s, ${r.seconds} s per run. ` +
    `Target: under ${r.targetMs} ms (✓/✗ on the worst frame).`, '',
    rtspTable(r), '',
    'Method: one second of the test pattern encoded ahead by our encoder (realtime preset, one GOP) and replayed at the frame ' +
    'rate, each access unit timestamped with the moment it is published. Each viewer is a worker thread of this process ' +
    '(its own event loop) that plays over RTSP like a player (DESCRIBE, SETUP, PLAY), reassembles access units from RTP and ' +
    'converts their RTP time back to the publishing moment through the RTCP sender reports, as receivers do. Frames a joiner ' +
    'gets from the cache of the last GOP (published before it asked) are counted, not timed. First frame: ' +
    'PLAY\'s response to the first whole access unit; a joiner starts on the cached IDR when it is fresh (at most 300 ms old), ' +
    'else on one it asks the encoder for.', '',
  ];
}

// ------------------------------------------------------------------ rate control

const mark = (ok: boolean | null) => (ok === null ? '' : ok ? ' ✓' : ' ✗');
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

function rcRunName(r: RateControlRun): string {
  const wide = r.qpMin === RC_QP_BOUNDS[0] && r.qpMax === RC_QP_BOUNDS[1];
  return `${r.label} ${r.mode}${wide ? '' : ` (QP ${r.qpMin}–${r.qpMax})`}`;
}

/**
 * One row per run: ours and x264 side by side, a ✓ or ✗ after each of our figures that has a
 * target (nothing where the target does not apply: no VBV in vbr).
 */
export function rateControlTable(rc: RateControlResults): string {
  const header = ['run', 'preset', 'frames', 'target kb/s', 'ours kb/s (error)', 'x264 kb/s (error)', 'max 1-s ours', 'max 1-s x264',
    'underflows ours (x264)', 'QP seen [bounds]', 'frames in → out', 'Y-PSNR ours', 'Y-PSNR x264', 'Δ dB',
    'Y-PSNR x264 lookahead (Δ)', 'ours fps'];
  const kbps = (k: number, err: number) => `${k.toFixed(1)} (${signed(err, 1)}%)`;
  const rows = rc.runs.map((r) => {
    const { ours: o, x264: x, x264Lookahead: xl, checks: c } = r;
    return [
      rcRunName(r), r.preset, `${r.frames}`, (r.bitrate / 1000).toFixed(0),
      kbps(o.kbps, o.errorPct) + mark(c.average), kbps(x.kbps, x.errorPct),
      `${o.maxWindow.toFixed(2)}×${mark(c.window)}`, `${x.maxWindow.toFixed(2)}×`,
      o.underflows === null ? '–' : `${o.underflows} (${x.underflows})${mark(c.underflow)}`,
      `${o.qpSeenMin}–${o.qpSeenMax} [${r.qpMin}, ${r.qpMax}]${mark(c.qpBounds)}`,
      `${o.framesIn} → ${o.framesOut}${mark(c.frameCount)}`,
      o.psnrY.toFixed(2), x.psnrY.toFixed(2), `${signed(o.psnrY - x.psnrY, 2)}${mark(c.psnr)}`,
      `${xl.psnrY.toFixed(2)} (${signed(o.psnrY - xl.psnrY, 2)})${mark(c.psnrLookahead)}`, formatFps(o.fps),
    ];
  });
  return table(header, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows);
}

/** The targets a run misses, each with the figure and the target, or [] when it meets them all. */
export function rateControlMisses(r: RateControlRun): string[] {
  const { ours: o, x264: x, checks: c } = r;
  const misses: string[] = [];
  if (!c.average) misses.push(`average ${signed(o.errorPct, 1)}% (target ±3%)`);
  if (c.window === false) misses.push(`max 1-s window ${o.maxWindow.toFixed(2)}× from frame ${o.maxWindowStart} (target ≤ 1.2×)`);
  if (c.underflow === false) misses.push(`${o.underflows} VBV underflows, first at frame ${o.underflowFrames![0]} (target 0)`);
  if (!c.qpBounds) misses.push(`QP ${o.qpSeenMin}–${o.qpSeenMax} outside [${r.qpMin}, ${r.qpMax}]`);
  if (!c.frameCount) misses.push(`${o.framesIn} frames in, ${o.framesOut} decoded, ${o.frameBytes.length} access units`);
  if (!c.psnr) misses.push(`Y-PSNR ${signed(o.psnrY - x.psnrY, 2)} dB against x264 with zero lookahead (target ≥ −${RC_TARGETS.psnrBelowX264.toFixed(2)})`);
  if (!c.psnrLookahead) {
    misses.push(`Y-PSNR ${signed(o.psnrY - r.x264Lookahead.psnrY, 2)} dB against x264 with its lookahead (target ≥ −${RC_TARGETS.psnrBelowX264.toFixed(2)})`);
  }
  return misses;
}

function rateControlSection(rc: RateControlResults): string[] {
  const out: string[] = [];
  const presets = [...new Set(rc.runs.map((r) => `${r.label}: ${r.preset}`))];
  out.push(`Our encoder at a bitrate target against x264 at the same target on the same clip; took ${duration(rc.runtimeSeconds)}. ` +
    `Preset per clip: ${presets.join(', ')}. ✓/✗ mark the targets of issue 5: average within ±${rc.targets.averageErrorPct}%; ` +
    `cbr: no 1-second window above ${rc.targets.maxWindow}× the target and no VBV underflow; QP within the bounds; as many frames ` +
    `decoded as went in; Y-PSNR at most ${rc.targets.psnrBelowX264} dB below x264's (Δ = ours − x264), judged twice: against ` +
    'x264 with zero lookahead, the constraint ours works under, and against x264 as it runs by default, with a 40-frame ' +
    'lookahead and its macroblock tree (frames it has not yet had to send shape the QP of the ones it sends), which live ' +
    'encoding cannot have (the last Y-PSNR column). The other x264 columns are the zero-lookahead x264.', '');
  out.push(rateControlTable(rc), '');
  const failing = rc.runs.map((r) => ({ r, misses: rateControlMisses(r) })).filter((f) => f.misses.length > 0);
  if (failing.length === 0) out.push(`Every run meets every target.`, '');
  else {
    out.push(`${rc.runs.length - failing.length} of ${rc.runs.length} runs meet every target. Missed:`, '');
    for (const f of failing) out.push(`- ${rcRunName(f.r)} at ${(f.r.bitrate / 1000).toFixed(0)} kb/s (${f.r.preset}): ${f.misses.join('; ')}`);
    out.push('');
  }
  const looped = rc.runs.filter((r) => r.sourceFrames < r.frames);
  const loops = [...new Map(looped.map((r) => [r.label, `${r.label} is ${r.clip} (${r.sourceFrames} frames) played over and over`])).values()];
  out.push('Method:', '');
  out.push(`- Clips: ${[...new Set(rc.runs.map((r) => `${r.label} ${r.width}x${r.height}, ${r.frames} frames at ${formatRate(r.fpsNum, r.fpsDen)} fps`))].join('; ')}.` +
    (loops.length > 0 ? ` ${loops.join('; ')} to that length: in memory for ours, and as one looped y4m piped to x264's stdin.` : ''));
  out.push(`- Ours: \`new H264Encoder(w, h, { rateControl, bitrate, gop: ${rc.gop}, qpMin, qpMax, preset, psnr: true })\`, in this process's ` +
    `worker threads, up to ${rc.jobs} encodes (ours or x264) at once: its fps figures are indicative, the Speed section measures speed. ` +
    `cbr uses the default VBV, one second of the bitrate. QP bounds are [${RC_QP_BOUNDS.join(', ')}] in every run but the one marked ` +
    'with narrow bounds: wider than the encoder\'s default [10, 40], which would stop foreman short of 150 kb/s (it needs QPs in the ' +
    'high 40s there), so that the bounds never keep a run from its target. QP seen: the lowest and highest QP_Y of any macroblock ' +
    '(stats().qpMin, qpMax) over the run.');
  out.push(`- x264 (its QP bounds left at their defaults): \`${x264Command('cbr', 'K', 'N', 'OUT.h264', 'zero-lookahead').join(' ')}\` ` +
    'for the cbr runs, without the two --vbv options (ABR) for the vbr runs; K = target in kb/s. The looped y4m is its stdin. ' +
    '`--tune zerolatency` is --rc-lookahead 0 --no-mbtree --sync-lookahead 0 --bframes 0 --force-cfr --sliced-threads; with ' +
    'baseline (no B-frames), --threads 1 and a constant-rate y4m, only the first two change anything. x264 lookahead: the same ' +
    'command without `--tune zerolatency` (--rc-lookahead 40 and the macroblock tree, its defaults in preset medium).');
  out.push('- Bitrate: bytes of the stream × 8 ÷ its duration (frames ÷ fps). Max 1-s: the largest sum of consecutive frames covering one ' +
    'second (30 at 30 fps), sliding one frame at a time, ÷ one second of the target; frame sizes are the access units of the stream.');
  out.push(`- Underflows (cbr): an independent leaky bucket over the frame sizes, of the VBV's size (ours: one second, x264: --vbv-bufsize), ` +
    `starting ${rc.vbvInitialFill * 100}% full; before each frame it gains bitrate ÷ fps bits, capped at its size; the frame's bits are ` +
    'then removed, and a frame larger than the fill is an underflow (the bucket then counts as empty). x264\'s count in brackets.');
  out.push('- Y-PSNR: every stream decoded by ffmpeg (strict error detection, as above), mean over frames of per-frame PSNR against the ' +
    'source frame. Ours also equals the mean of stats().psnrY, computed on the encoder\'s reconstruction (results.json: psnrYRecon).');
  out.push('- fps: ours, frames ÷ time inside encode().', '');
  return out;
}

function formatRate(num: number, den: number): string {
  return den === 1 ? `${num}` : (num / den).toFixed(3);
}
