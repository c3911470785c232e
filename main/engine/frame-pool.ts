/**
 * Frame buffers for reuse. The encoder worker hands each input buffer back with its access unit
 * (transferred, not copied); a source that takes its next buffer from here allocates nothing in
 * steady state, so memory stays flat instead of following the garbage collector's sawtooth.
 */
export class FramePool {
  private readonly free: Uint8Array[] = [];

  private readonly max: number;

  /**
   * `bytes`: the size of one frame. At most `max` buffers are kept; by default as many as the
   * engine may have in flight (up to 48 MiB of them) plus a few, so in steady state every buffer
   * comes back here instead of to the garbage collector.
   */
  constructor(readonly bytes: number, max?: number) {
    this.max = max ?? Math.max(4, Math.min(64, Math.floor((48 << 20) / bytes) + 4));
  }

  /** A buffer of `bytes` bytes: a returned one, or a new one. Its content is undefined. */
  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.bytes);
  }

  /** Hands a buffer back; one of another size (or over the limit) is left to the collector. */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength === this.bytes && buffer.byteOffset === 0 && buffer.buffer.byteLength === this.bytes && this.free.length < this.max) {
      this.free.push(buffer);
    }
  }

  get size(): number {
    return this.free.length;
  }
}
