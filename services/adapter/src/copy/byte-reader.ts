import type { Readable } from 'node:stream';
import type { SpeedLimiter } from './speed-limiter.js';

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

  constructor(source: Readable, options: ByteReaderOptions) {
    this.#source = source;
    this.#iterator = (source[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
    this.#options = options;
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
        await this.#options.limiter.take(piece.byteLength, this.#options.signal);
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
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<typeof ABORTED>((resolve, reject) => {
      onAbort = () => (graceful ? resolve(ABORTED) : reject(signal.reason as Error));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const read = this.#iterator.next();
      const result = await Promise.race([read, aborted]);
      if (result === ABORTED) {
        // The read in flight is dropped with the source once the body ends.
        read.catch(() => undefined);
        return ABORTED;
      }
      if (result.done) {
        this.#done = true;
        return undefined;
      }
      return Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }
}
