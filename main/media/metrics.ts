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
