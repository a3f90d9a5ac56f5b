/** No upload session with this id in this repository (never started, finished, cancelled or expired). */
export class UploadUnknownError extends Error {
  readonly uploadId: string;

  constructor(uploadId: string) {
    super(`upload ${uploadId} is not known to the registry`);
    this.name = 'UploadUnknownError';
    this.uploadId = uploadId;
  }
}

/** A chunk that does not start where the upload stands, or whose range and length disagree. */
export class UploadRangeError extends Error {
  /** Where the upload stands, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'UploadRangeError';
    this.offset = offset;
  }
}

/** The uploaded bytes do not hash to the digest the client gave. */
export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(`the uploaded content has digest ${actual}, not ${expected}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}
