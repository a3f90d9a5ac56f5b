export interface AcquireOptions {
  /** Gives up waiting for the key when aborted (rejecting with the signal's reason); no effect once held. */
  signal?: AbortSignal | undefined;
}

/**
 * A per-key async lock: work on one key runs one piece at a time, in arrival order; work on
 * different keys runs freely. Each key holds the promise that settles when the last piece
 * queued on it is done; a key nobody holds or waits for is forgotten.
 */
export class KeyedMutex<K = string> {
  readonly #tails = new Map<K, Promise<void>>();

  /** Whether some piece of work holds the key or waits for it. */
  isLocked(key: K): boolean {
    return this.#tails.has(key);
  }

  /** How many keys are held or waited for. */
  get size(): number {
    return this.#tails.size;
  }

  /** Runs `task` once the key is free, holding it until the task settles (either way). */
  async run<T>(key: K, task: () => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const release = await this.acquire(key, options);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /**
   * Waits for the key and returns the function that frees it (calling it again does
   * nothing). When `signal` aborts first, rejects with its reason and leaves the queue as it
   * would have been: those behind still wait for those ahead.
   */
  async acquire(key: K, options: AcquireOptions = {}): Promise<() => void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const previous = this.#tails.get(key);
    let open!: () => void;
    const released = new Promise<void>((resolve) => (open = resolve));
    const tail = previous ? previous.then(() => released) : released;
    this.#tails.set(key, tail);

    let freed = false;
    const free = (held: boolean): void => {
      if (freed) return;
      freed = true;
      open();
      if (this.#tails.get(key) !== tail) return; // someone queued behind: the last one clears the key
      // Held: everyone ahead is done, so the key is free now. Not held (gave up waiting):
      // the key stays taken until those ahead are done.
      if (held) this.#tails.delete(key);
      else void tail.then(() => this.#tails.get(key) === tail && this.#tails.delete(key));
    };

    if (previous) {
      try {
        await untilSettled(previous, signal);
      } catch (error) {
        free(false);
        throw error;
      }
    }
    return () => free(true);
  }
}

async function untilSettled(pending: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return pending;
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([pending, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
