/** The destination holds fewer bytes than the blob after its upload ended. */
export class IncompleteUploadError extends Error {
  readonly digest: string;
  readonly offset: number;
  readonly size: number;
  constructor(digest: string, offset: number, size: number) {
    super(`upload of ${digest} ended at ${offset} of ${size} bytes`);
    this.name = 'IncompleteUploadError';
    this.digest = digest;
    this.offset = offset;
    this.size = size;
  }
}

/** The copy was stopped (the caller hung up, a job was stopped). */
export class CopyAbortedError extends Error {
  constructor(cause?: unknown) {
    super('copy aborted', { cause });
    this.name = 'CopyAbortedError';
  }
}

/** A manifest names a type the engine cannot copy (Docker schema 1, an unknown type). */
export class UnsupportedManifestError extends Error {
  readonly reference: string;
  readonly mediaType: string;
  constructor(reference: string, mediaType: string) {
    super(`cannot copy ${reference}: unsupported manifest type ${mediaType || '(none)'}`);
    this.name = 'UnsupportedManifestError';
    this.reference = reference;
    this.mediaType = mediaType;
  }
}
