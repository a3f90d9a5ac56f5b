import type { Readable } from 'node:stream';
import { unlimited, type SpeedLimiter } from './speed-limiter.js';

export interface ByteReaderOptions {
  limiter: SpeedLimiter;
  onBytes: (count: number) => void;
  /** Stops the flow. With `graceful`, a body in progress ends normally (what was sent is kept). */
  signal: AbortSignal;
}

const ABORTED = Symbol('aborted');

/**
 * Reads a blob body piece by piece for upload bodies: paced by the limiter, counted, and
 * cut into exact lengths for chunked uploads. It never holds more than one source chunk.
 */
export class ByteReader {
  readonly #iterator: AsyncIterator<Buffer>;
  readonly #source: Readable;
  readonly #options: ByteReaderOptions;
  #pending: Buffer | undefined;
  #done = false;

  readonly #onAbort: () => void;

  constructor(source: Readable, options: ByteReaderOptions) {
    this.#source = source;
    this.#iterator = (source[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
    this.#options = options;
    // An abort ends the read in flight by closing the source: one listener for the whole
    // body, not one per chunk.
    this.#onAbort = () => source.destroy();
    options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get done(): boolean {
    return this.#done && !this.#pending;
  }

  /** Drops `count` bytes (a source that ignored the Range asked for). */
  async skip(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const chunk = await this.#next(false);
      if (chunk === undefined || chunk === ABORTED) return;
      if (chunk.byteLength > left) {
        this.#pending = chunk.subarray(left);
        return;
      }
      left -= chunk.byteLength;
    }
  }

  /**
   * The next `limit` bytes (all that is left without a limit). With `graceful`, an abort
   * ends the body instead of failing it, so the destination keeps what it received.
   */
  async *take(limit: number = Number.POSITIVE_INFINITY, graceful = false): AsyncGenerator<Buffer> {
    let left = limit;
    while (left > 0) {
      if (this.#options.signal.aborted) {
        if (graceful) return;
        throw this.#options.signal.reason;
      }
      const chunk = await this.#next(graceful);
      if (chunk === ABORTED) return;
      if (chunk === undefined) return;
      let piece = chunk;
      if (piece.byteLength > left) {
        this.#pending = piece.subarray(left);
        piece = piece.subarray(0, left);
      }
      try {
        if (this.#options.limiter !== unlimited) await this.#options.limiter.take(piece.byteLength, this.#options.signal);
      } catch (error) {
        if (graceful && this.#options.signal.aborted) {
          this.#pending = Buffer.concat([piece, this.#pending ?? Buffer.alloc(0)]);
          return;
        }
        throw error;
      }
      left -= piece.byteLength;
      this.#options.onBytes(piece.byteLength);
      yield piece;
    }
  }

  destroy(): void {
    this.#options.signal.removeEventListener('abort', this.#onAbort);
    this.#source.destroy();
  }

  async #next(graceful: boolean): Promise<Buffer | undefined | typeof ABORTED> {
    if (this.#pending) {
      const pending = this.#pending;
      this.#pending = undefined;
      return pending;
    }
    if (this.#done) return undefined;
    const signal = this.#options.signal;
    if (signal.aborted) {
      if (graceful) return ABORTED;
      throw signal.reason;
    }
    let result: IteratorResult<Buffer>;
    try {
      result = await this.#iterator.next();
    } catch (error) {
      // The source closed by an abort: the body ends (graceful) or fails with the abort's reason.
      if (!signal.aborted) throw error;
      if (graceful) return ABORTED;
      throw signal.reason;
    }
    if (result.done) {
      if (signal.aborted) {
        if (graceful) return ABORTED;
        throw signal.reason;
      }
      this.#done = true;
      return undefined;
    }
    return Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value);
  }
}
