/**
 * Rate-distortion plots as standalone SVG, written by hand: bit rate on a logarithmic x axis,
 * quality (Y-PSNR) on a linear y axis, one polyline with markers per encoder, a legend beside it. Plain
 * SVG 1.1 with no scripts, styles or external references, so it renders the same in a browser,
 * on GitHub and in rsvg-convert.
 */

export interface PlotSeries {
  label: string;
  /** x: bit rate (kb/s), y: quality (dB); drawn in the order of increasing x. */
  points: readonly { x: number; y: number }[];
  /** Drawn dashed (anchors) rather than solid (ours). */
  dashed?: boolean;
}

export interface RdPlotOptions {
  title: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Of the plot with its axes; the legend to its right adds its own width. */
  width?: number;
  height?: number;
}

/** Colours (matplotlib's tab10, distinct in colour-blind simulations) and marker shapes, by series. */
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross'] as const;
type Marker = (typeof MARKERS)[number];

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function rdPlotSvg(series: readonly PlotSeries[], options: RdPlotOptions): string {
  const width = options.width ?? 760, height = options.height ?? 500;
  const margin = { left: 66, right: 0, top: options.subtitle ? 58 : 42, bottom: 54 };
  const plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && p.x > 0 && Number.isFinite(p.y));
  if (all.length === 0) throw new RangeError('rdPlotSvg needs at least one point with a positive rate');

  // Axis ranges with some air around the data.
  const xs = all.map((p) => p.x), ys = all.map((p) => p.y);
  const logMin = Math.log10(Math.min(...xs)) - 0.06, logMax = Math.log10(Math.max(...xs)) + 0.06;
  const yStep = niceStep(Math.max(...ys) - Math.min(...ys));
  const yMin = Math.floor((Math.min(...ys) - yStep / 4) / yStep) * yStep;
  const yMax = Math.ceil((Math.max(...ys) + yStep / 4) / yStep) * yStep;
  const px = (x: number) => margin.left + ((Math.log10(x) - logMin) / (logMax - logMin)) * plotW;
  const py = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;

  const rowH = 18, legendW = 34 + 7 * Math.max(...series.map((s) => s.label.length)), legendH = 10 + rowH * series.length;
  const totalW = width + legendW + 24;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${height}" viewBox="0 0 ${totalW} ${height}">`);
  out.push(`<rect x="0" y="0" width="${totalW}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${totalW / 2}" y="22" text-anchor="middle" ${FONT} font-size="16" font-weight="bold">${esc(options.title)}</text>`);
  if (options.subtitle) out.push(`<text x="${totalW / 2}" y="40" text-anchor="middle" ${FONT} font-size="12" fill="#444444">${esc(options.subtitle)}</text>`);

  // Grid, ticks and tick labels.
  const x0 = margin.left, x1 = margin.left + plotW, y0 = margin.top, y1 = margin.top + plotH;
  for (const t of logTicks(10 ** logMin, 10 ** logMax)) {
    const x = f(px(t.value));
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="${t.major ? '#d0d0d0' : '#ececec'}" stroke-width="1"/>`);
    if (t.major) {
      out.push(`<line x1="${x}" y1="${y1}" x2="${x}" y2="${y1 + 5}" stroke="#000000"/>`);
      out.push(`<text x="${x}" y="${y1 + 19}" text-anchor="middle" ${FONT} font-size="12">${formatRate(t.value)}</text>`);
    }
  }
  for (let v = yMin; v <= yMax + yStep / 1000; v += yStep) {
    const y = f(py(v));
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#d0d0d0" stroke-width="1"/>`);
    out.push(`<line x1="${x0 - 5}" y1="${y}" x2="${x0}" y2="${y}" stroke="#000000"/>`);
    out.push(`<text x="${x0 - 8}" y="${f(py(v) + 4)}" text-anchor="end" ${FONT} font-size="12">${formatNumber(v, yStep)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#000000"/>`);
  out.push(`<text x="${x0 + plotW / 2}" y="${height - 12}" text-anchor="middle" ${FONT} font-size="13">${esc(options.xLabel ?? 'bit rate (kb/s, log scale)')}</text>`);
  out.push(`<text transform="translate(18 ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="13">${esc(options.yLabel ?? 'Y-PSNR (dB)')}</text>`);

  // Curves, clipped to the plot area.
  out.push(`<defs><clipPath id="plot"><rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}"/></clipPath></defs>`);
  out.push('<g clip-path="url(#plot)">');
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!, marker = MARKERS[i % MARKERS.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && p.x > 0 && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      const d = pts.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ');
      out.push(`<polyline points="${d}" fill="none" stroke="${colour}" stroke-width="${s.dashed ? 1.6 : 2.2}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const p of pts) out.push(markerSvg(marker, px(p.x), py(p.y), colour));
  });
  out.push('</g>');

  // Legend to the right of the plot, where it can hide no curve.
  const lx = x1 + 14, ly = y0;
  out.push(`<rect x="${f(lx)}" y="${f(ly)}" width="${f(legendW)}" height="${legendH}" fill="#ffffff" fill-opacity="0.9" stroke="#999999"/>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!, marker = MARKERS[i % MARKERS.length]!;
    const cy = ly + 5 + rowH * i + rowH / 2;
    out.push(`<line x1="${f(lx + 6)}" y1="${f(cy)}" x2="${f(lx + 26)}" y2="${f(cy)}" stroke="${colour}" stroke-width="${s.dashed ? 1.6 : 2.2}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(markerSvg(marker, lx + 16, cy, colour));
    out.push(`<text x="${f(lx + 32)}" y="${f(cy + 4)}" ${FONT} font-size="12">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function markerSvg(marker: Marker, x: number, y: number, colour: string): string {
  const r = 4;
  const poly = (pts: [number, number][]) => `<polygon points="${pts.map(([a, b]) => `${f(x + a)},${f(y + b)}`).join(' ')}" fill="${colour}"/>`;
  switch (marker) {
    case 'circle': return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" fill="${colour}"/>`;
    case 'square': return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
    case 'triangle': return poly([[0, -r - 1], [r + 1, r], [-r - 1, r]]);
    case 'triangle-down': return poly([[0, r + 1], [r + 1, -r], [-r - 1, -r]]);
    case 'diamond': return poly([[0, -r - 1], [r + 1, 0], [0, r + 1], [-r - 1, 0]]);
    case 'cross': return `<path d="M${f(x - r)},${f(y - r)} L${f(x + r)},${f(y + r)} M${f(x - r)},${f(y + r)} L${f(x + r)},${f(y - r)}" stroke="${colour}" stroke-width="2"/>`;
  }
}

/**
 * Ticks of a log axis: 1, 2 and 5 times powers of ten are labelled (major); when the range holds
 * fewer than three of them, every integer multiple is, and the rest are minor grid lines.
 */
export function logTicks(min: number, max: number): { value: number; major: boolean }[] {
  const ticks: { value: number; major: boolean }[] = [];
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const candidates: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (let m = 1; m <= 9; m++) {
      const v = m * 10 ** e;
      if (inRange(v)) candidates.push(v);
    }
  }
  const leading = (v: number) => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  const coarse = candidates.filter((v) => [1, 2, 5].includes(leading(v)));
  const labelled = coarse.length >= 3 ? new Set(coarse) : new Set(candidates);
  for (const v of candidates) ticks.push({ value: v, major: labelled.has(v) });
  return ticks;
}

/** 0.5, 1, 2 or 5 times a power of ten, giving about 5 to 10 steps over `range`. */
function niceStep(range: number): number {
  const r = Math.max(range, 1e-3);
  const raw = r / 6, base = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * base >= raw) return m * base;
  return 10 * base;
}

function formatRate(v: number): string {
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(2)));
}

function formatNumber(v: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
  return v.toFixed(decimals);
}

function f(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
