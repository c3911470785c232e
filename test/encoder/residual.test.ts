// The early P_Skip probes (lumaResidualVanishes, chromaResidualVanishes) against the residual coders
// they short-cut: each must say "nothing left" exactly when the coder, decimation included, ends with cbp 0.
import { describe, expect, it } from 'vitest';
import { ChromaCoding, LumaCoding } from '../../encoder/macroblock-writer.js';
import { chromaResidualVanishes, codeChromaResidual, codeLumaResidual, lumaResidualVanishes } from '../../encoder/residual.js';
import { prng } from '../helpers/synthetic.js';

const DEAD_ZONE = 1 / 6; // the inter dead zone

/** A 16x16 source: the prediction plus noise of amplitude `amp` in the 4x4 blocks `blocks` (raster). */
function sourceNear(pred: Uint8Array, amp: number, blocks: number[], rnd: () => number): Uint8Array {
  const src = pred.slice();
  for (const r of blocks) {
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const i = ((r >> 2) * 4 + y) * 16 + (r & 3) * 4 + x;
        src[i] = Math.max(0, Math.min(255, src[i]! + Math.round((rnd() * 2 - 1) * amp)));
      }
    }
  }
  return src;
}

/**
 * 6000 cases of `check`, which returns what the coder decided (cbp 0) and what the probe says:
 * they must agree, and both answers occur often, so that the comparison is not one-sided.
 */
function expectProbeAgrees(seed: number, check: (rnd: () => number, n: number) => { coder: boolean; probe: boolean; label: string }): void {
  const next = prng(seed);
  const rnd = () => next() / 2 ** 32;
  let vanished = 0, kept = 0;
  for (let n = 0; n < 6000; n++) {
    const { coder, probe, label } = check(rnd, n);
    expect(probe, `case ${n}: ${label}`).toBe(coder);
    if (coder) vanished++;
    else kept++;
  }
  expect(vanished).toBeGreaterThan(1000);
  expect(kept).toBeGreaterThan(1000);
}

describe('lumaResidualVanishes (the early P_Skip probe)', () => {
  it('agrees with codeLumaResidual on 6000 residuals from nothing to strong, in few blocks or all, at QPs 0 to 51', () => {
    const out = new LumaCoding();
    expectProbeAgrees(2026, (rnd, n) => {
      const pred = Uint8Array.from({ length: 256 }, () => 16 + Math.floor(rnd() * 224));
      const qp = Math.floor(rnd() * 52);
      const amp = [0, 1, 2, 4, 8, 16, 40][n % 7]!;
      // One block, a few in one 8x8, one in each 8x8, or all 16.
      const blocks = [[Math.floor(rnd() * 16)], [0, 1, 4], [0, 2, 8, 10], [...Array(16).keys()]][Math.floor(rnd() * 4)]!;
      const src = sourceNear(pred, amp, blocks, rnd);
      codeLumaResidual(src, pred, qp, DEAD_ZONE, true, out);
      return { coder: out.cbp === 0, probe: lumaResidualVanishes(src, pred, qp, DEAD_ZONE), label: `qp ${qp}, amp ${amp}, blocks ${blocks}` };
    });
  });

  it('counts decimation: a lone level 1 vanishes, the same step in every block does not', () => {
    const pred = new Uint8Array(256).fill(128);
    const out = new LumaCoding();
    // A DC step of 2 in one 4x4 at QP 22: DC 32 quantises to a lone level 1 (8192 * 32 + bias >> 18),
    // which decimation (score 3 < 4) clears.
    const lone = pred.slice();
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) lone[y * 16 + x] = 130;
    codeLumaResidual(lone, pred, 22, DEAD_ZONE, false, out);
    expect(out.cbp).toBe(1);
    expect(out.levels[0]).toBe(1);
    codeLumaResidual(lone, pred, 22, DEAD_ZONE, true, out);
    expect(out.cbp).toBe(0);
    expect(lumaResidualVanishes(lone, pred, 22, DEAD_ZONE)).toBe(true);
    // The same step everywhere: 16 lone levels, 3 each, 12 per 8x8: all kept.
    const flat = new Uint8Array(256).fill(130);
    codeLumaResidual(flat, pred, 22, DEAD_ZONE, true, out);
    expect(out.cbp).toBe(15);
    expect(lumaResidualVanishes(flat, pred, 22, DEAD_ZONE)).toBe(false);
    expect(lumaResidualVanishes(pred, pred, 22, DEAD_ZONE)).toBe(true);
  });
});

describe('chromaResidualVanishes (the early P_Skip probe, chroma)', () => {
  it('agrees with codeChromaResidual (cbp 0: no AC and no DC level) on 6000 residuals at chroma QPs 0 to 51', () => {
    const out = new ChromaCoding();
    expectProbeAgrees(2027, (rnd, n) => {
      // Cb above Cr, 8 wide: the layout of the skip prediction.
      const pred = Uint8Array.from({ length: 128 }, () => 16 + Math.floor(rnd() * 224));
      const qpc = Math.floor(rnd() * 52);
      const amp = [0, 1, 2, 4, 8, 16][n % 6]!;
      // Noise in one 4x4 of one component, a flat offset (DC only), or noise everywhere.
      const kind = Math.floor(rnd() * 3), at = Math.floor(rnd() * 8);
      const src = pred.slice();
      for (let i = 0; i < 128; i++) {
        const b = (i >> 6) * 4 + ((i >> 5) & 1) * 2 + ((i & 7) >> 2);
        const d = kind === 0 ? (b === at ? Math.round((rnd() * 2 - 1) * amp) : 0) : kind === 1 ? amp >> 1 : Math.round((rnd() * 2 - 1) * amp);
        src[i] = Math.max(0, Math.min(255, src[i]! + d));
      }
      codeChromaResidual(src, pred, 0, pred, 64, qpc, DEAD_ZONE, out);
      return { coder: out.cbp === 0, probe: chromaResidualVanishes(src, pred, qpc, DEAD_ZONE), label: `qpc ${qpc}, amp ${amp}, kind ${kind}` };
    });
  });
});
