/**
 * The encoder as the CLI runs it: the compiled ESM in dist/ (`npm run build`), loaded by Node
 * itself. bench/vitest.config.ts keeps dist/ out of Vitest's module runner, which rewrites every
 * use of an imported binding into a getter call: under it, a loop over imported tables and
 * functions (quant x16 with QUANT_4x4 and ZIG-ZAG) ran 5.8x slower than in Node, and a whole
 * macroblock 1.8x slower, so a bench of the TypeScript sources would measure Vitest.
 *
 * Types come from the sources dist/ is compiled from. Benches should destructure what they call
 * into local constants: a named import from this module is itself a getter under Vitest.
 */
const dist = (path: string): string => new URL(`../dist/encoder/${path}`, import.meta.url).href;

async function load<T>(path: string): Promise<T> {
  try {
    return (await import(dist(path))) as T;
  } catch (error) {
    throw new Error(`bench: cannot load dist/encoder/${path}: run \`npm run build\` first (npm run bench:kernels does)`, { cause: error });
  }
}

export const bitstream = await load<typeof import('../encoder/common/bitstream.js')>('common/bitstream.js');
export const deblock = await load<typeof import('../encoder/common/deblock.js')>('common/deblock.js');
export const intraPred = await load<typeof import('../encoder/common/intra-pred.js')>('common/intra-pred.js');
export const interpolate = await load<typeof import('../encoder/common/interpolate.js')>('common/interpolate.js');
export const paddedPlane = await load<typeof import('../encoder/common/padded-plane.js')>('common/padded-plane.js');
export const picture = await load<typeof import('../encoder/common/picture.js')>('common/picture.js');
export const transform = await load<typeof import('../encoder/common/transform.js')>('common/transform.js');
export const cavlc = await load<typeof import('../encoder/cavlc.js')>('cavlc.js');
export const h264Encoder = await load<typeof import('../encoder/h264-encoder.js')>('h264-encoder.js');
export const imageConvert = await load<typeof import('../encoder/image-convert.js')>('image-convert.js');
export const intra = await load<typeof import('../encoder/intra.js')>('intra.js');
export const mbState = await load<typeof import('../encoder/mb-state.js')>('mb-state.js');
export const presets = await load<typeof import('../encoder/presets.js')>('presets.js');
