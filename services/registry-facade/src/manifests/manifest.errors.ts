/** No manifest with this tag or digest in the repository (or none the client accepts). */
export class ManifestUnknownError extends Error {
  readonly reference: string;

  constructor(reference: string, message = `manifest ${reference} is not known to this repository`) {
    super(message);
    this.name = 'ManifestUnknownError';
    this.reference = reference;
  }
}

/** The manifest references blobs or manifests the repository does not hold. */
export class ManifestBlobUnknownError extends Error {
  readonly digests: readonly string[];

  constructor(digests: readonly string[]) {
    super(`manifest references ${digests.length === 1 ? 'a blob' : `${digests.length} blobs`} unknown to this repository: ${digests.slice(0, 5).join(', ')}`);
    this.name = 'ManifestBlobUnknownError';
    this.digests = digests;
  }
}

/** The manifest body is larger than the registry accepts. */
export class ManifestTooLargeError extends Error {
  readonly limit: number;

  constructor(limit: number) {
    super(`manifest is larger than the limit of ${limit} bytes`);
    this.name = 'ManifestTooLargeError';
    this.limit = limit;
  }
}

/** The reference is neither a tag nor a digest of the spec's grammar. */
export class TagInvalidError extends Error {
  readonly tag: string;

  constructor(tag: string) {
    super(`invalid tag ${JSON.stringify(tag.slice(0, 200))}: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`);
    this.name = 'TagInvalidError';
    this.tag = tag;
  }
}
