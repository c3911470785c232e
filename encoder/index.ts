/** Public surface of the H.264 encoder library (explicit named exports only). */
export { H264Encoder } from './h264-encoder.js';
export type { FrameStats } from './h264-encoder.js';
export type { EncoderOptions, ResolvedOptions, PresetName } from './options.js';
export { PRESETS } from './options.js';
export type { EncoderImage, PixelFormat } from './image.js';
export { PIXEL_FORMATS } from './image.js';
export type { CodedError, EncoderErrorCode } from './errors.js';
