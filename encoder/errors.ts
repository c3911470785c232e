/**
 * Errors thrown at the encoder's public boundary. Validation errors are plain RangeError/TypeError
 * (STYLE.md: "name the exact value and what was expected") carrying a stable `code` so callers
 * across process boundaries can map them without parsing messages.
 */

export type EncoderErrorCode = 'ERR_ENCODER_CLOSED' | 'ERR_INVALID_ARG' | 'ERR_INVALID_IMAGE';

export interface CodedError extends Error {
  code: EncoderErrorCode;
}

function withCode<E extends Error>(error: E, code: EncoderErrorCode): E & CodedError {
  return Object.assign(error, { code });
}

/** A value of the right type but outside its allowed range (size, QP, fps…). */
export function rangeError(message: string, code: EncoderErrorCode = 'ERR_INVALID_ARG'): RangeError & CodedError {
  return withCode(new RangeError(message), code);
}

/** A value of the wrong type or shape (unknown format, non-integer, missing buffer…). */
export function typeError(message: string, code: EncoderErrorCode = 'ERR_INVALID_ARG'): TypeError & CodedError {
  return withCode(new TypeError(message), code);
}

export function closedError(): Error & CodedError {
  return withCode(new Error('the encoder is closed: create a new H264Encoder'), 'ERR_ENCODER_CLOSED');
}

/** How a value is shown inside an error message: short, unambiguous, never a whole buffer. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as ArrayBufferView).byteLength} bytes)`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
