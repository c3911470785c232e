// The hand-written RD plot: its log axis ticks and what the SVG contains.
import { describe, expect, it } from 'vitest';
import { logTicks, rdPlotSvg } from '../../main/bench/rd-plot.js';

describe('logTicks', () => {
  it('labels 1, 2 and 5 times powers of ten and keeps the other multiples as minor lines', () => {
    const ticks = logTicks(150, 3000);
    expect(ticks.filter((t) => t.major).map((t) => t.value)).toEqual([200, 500, 1000, 2000]);
    expect(ticks.filter((t) => !t.major).map((t) => Math.round(t.value))).toEqual([300, 400, 600, 700, 800, 900, 3000]);
  });

  it('labels every multiple when a narrow range holds fewer than three of 1, 2, 5', () => {
    expect(logTicks(180, 420).map((t) => [Math.round(t.value), t.major])).toEqual([[200, true], [300, true], [400, true]]);
  });
});

describe('rdPlotSvg', () => {
  const series = [
    { label: 'ours <fast>', points: [{ x: 2000, y: 42 }, { x: 500, y: 36 }, { x: 1000, y: 39 }] },
    { label: 'x264 & co', dashed: true, points: [{ x: 400, y: 37 }, { x: 900, y: 40 }] },
  ];

  it('draws one polyline and one marker per point for each series, escaping text', () => {
    const svg = rdPlotSvg(series, { title: 'clip "a"', subtitle: 'QP 22..37' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('>ours &lt;fast&gt;</text>');
    expect(svg).toContain('>x264 &amp; co</text>');
    expect(svg).toContain('>clip &quot;a&quot;</text>');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    // The polyline runs in the order of increasing rate, whatever the order of the points.
    const xs = /<polyline points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it('needs at least one point', () => {
    expect(() => rdPlotSvg([{ label: 'none', points: [] }], { title: 't' })).toThrow(RangeError);
  });
});
