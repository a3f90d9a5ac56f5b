/** A blob `Range` that is malformed or lies outside the blob. */
export class BlobRangeError extends Error {
  readonly size: number;

  constructor(size: number) {
    super(`requested range not satisfiable for a blob of ${size} bytes`);
    this.name = 'BlobRangeError';
    this.size = size;
  }
}

/** Upload request headers that contradict each other or the spec's grammar. */
export class UploadHeadersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadHeadersError';
  }
}
