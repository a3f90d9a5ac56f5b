/** At most `size` jobs at once; the others wait in the order they came (FIFO). */
export class Slots {
  readonly #size: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  get busy(): number {
    return this.#busy;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy += 1;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next in line; the count stays.
      if (next) next();
      else this.#busy -= 1;
    }
  }
}
