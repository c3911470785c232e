/** Picture quality metrics for 8-bit planes. */

/** Sum of squared differences between two 8-bit planes of width x height samples. */
export function sumSquaredError(a: Uint8Array, b: Uint8Array, width: number, height: number, strideA = width, strideB = width): number {
  checkPlane('a', a, width, height, strideA);
  checkPlane('b', b, width, height, strideB);
  // Per row the sum stays below 2^31 up to 33,000 samples wide, so |0 arithmetic is exact; rows
  // are accumulated in a double (exact to 2^53).
  let sse = 0;
  for (let y = 0; y < height; y++) {
    let row = 0;
    const oa = y * strideA, ob = y * strideB;
    for (let x = 0; x < width; x++) {
      const d = a[oa + x]! - b[ob + x]!;
      row = (row + d * d) | 0;
    }
    sse += row;
  }
  return sse;
}

/**
 * PSNR in dB of plane `b` against reference plane `a`: 10 log10(255^2 / MSE). Identical planes
 * give Infinity; callers that average over frames decide what a perfect frame counts as.
 */
export function psnrPlane(a: Uint8Array, b: Uint8Array, width: number, height: number, strideA = width, strideB = width): number {
  const sse = sumSquaredError(a, b, width, height, strideA, strideB);
  if (sse === 0) return Infinity;
  return 10 * Math.log10((255 * 255 * width * height) / sse);
}

function checkPlane(label: string, plane: Uint8Array, width: number, height: number, stride: number): void {
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new RangeError(`plane size must be positive integers, got ${width}x${height}`);
  }
  if (!Number.isInteger(stride) || stride < width) throw new RangeError(`stride of ${label} must be an integer of at least ${width}, got ${stride}`);
  const needed = stride * (height - 1) + width;
  if (plane.length < needed) throw new RangeError(`plane ${label} must hold at least ${needed} bytes for ${width}x${height} at stride ${stride}, got ${plane.length}`);
}

/**
 * SSIM constants of x264 and ffmpeg's ssim filter (x264 common/pixel.c ssim_end1, libavfilter
 * vf_ssim.c) for sums over a 64-sample window, rounded to integers as both programs do:
 * c2 = (0.03 * 255)^2 * 64 * 63 is the paper's C2 in that scale; c1 = (0.01 * 255)^2 * 64 is the
 * paper's C1 scaled by 64 where 64^2 would match, a quirk kept so that results equal theirs.
 */
const SSIM_C1 = Math.floor(0.01 * 0.01 * 255 * 255 * 64 + 0.5); // 416
const SSIM_C2 = Math.floor(0.03 * 0.03 * 255 * 255 * 64 * 63 + 0.5); // 235963

/**
 * Mean SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) of plane `b` against reference plane `a`, in
 * the form x264 and ffmpeg's `ssim` filter compute it: 8x8 windows (uniform weights, not the
 * paper's 11x11 Gaussian) placed every 4 samples in both directions, each window's SSIM from its
 * sums as in their ssim_end1(), averaged over all windows. Samples beyond the last whole 4x4 block
 * of a row or column are not looked at. 1 for identical planes; needs at least 8x8 samples.
 */
export function ssimPlane(a: Uint8Array, b: Uint8Array, width: number, height: number, strideA = width, strideB = width): number {
  checkPlane('a', a, width, height, strideA);
  checkPlane('b', b, width, height, strideB);
  if (width < 8 || height < 8) throw new RangeError(`SSIM needs a plane of at least 8x8 samples, got ${width}x${height}`);
  const blocksX = width >> 2, blocksY = height >> 2;
  // Sums per 4x4 block of one block row: sum a, sum b, sum a^2 + b^2, sum a*b. Two rows are kept:
  // a window is the 2x2 blocks at (x, y-1), (x+1, y-1), (x, y), (x+1, y).
  let above = new Int32Array(4 * blocksX), row = new Int32Array(4 * blocksX);
  let total = 0;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      let s1 = 0, s2 = 0, ss = 0, s12 = 0;
      for (let y = 4 * by; y < 4 * by + 4; y++) {
        const oa = y * strideA + 4 * bx, ob = y * strideB + 4 * bx;
        for (let x = 0; x < 4; x++) {
          const va = a[oa + x]!, vb = b[ob + x]!;
          s1 += va;
          s2 += vb;
          ss += va * va + vb * vb;
          s12 += va * vb;
        }
      }
      row[4 * bx] = s1;
      row[4 * bx + 1] = s2;
      row[4 * bx + 2] = ss;
      row[4 * bx + 3] = s12;
    }
    if (by > 0) {
      for (let bx = 0; bx + 1 < blocksX; bx++) {
        const i = 4 * bx, j = i + 4;
        total += ssimWindow(
          above[i]! + above[j]! + row[i]! + row[j]!,
          above[i + 1]! + above[j + 1]! + row[i + 1]! + row[j + 1]!,
          above[i + 2]! + above[j + 2]! + row[i + 2]! + row[j + 2]!,
          above[i + 3]! + above[j + 3]! + row[i + 3]! + row[j + 3]!,
        );
      }
    }
    [above, row] = [row, above];
  }
  return total / ((blocksX - 1) * (blocksY - 1));
}

/**
 * SSIM of one 64-sample window from its sums: s1 = Σa, s2 = Σb, ss = Σa² + Σb², s12 = Σab. With
 * N = 64, N·ss - s1² - s2² is N(N-1) times the sum of both sample variances and N·s12 - s1·s2 is
 * N(N-1) times the sample covariance, hence c2's factor 64·63. Exact in doubles (all terms < 2^31).
 */
function ssimWindow(s1: number, s2: number, ss: number, s12: number): number {
  const vars = ss * 64 - s1 * s1 - s2 * s2;
  const covar = s12 * 64 - s1 * s2;
  return ((2 * s1 * s2 + SSIM_C1) * (2 * covar + SSIM_C2)) / ((s1 * s1 + s2 * s2 + SSIM_C1) * (vars + SSIM_C2));
}
