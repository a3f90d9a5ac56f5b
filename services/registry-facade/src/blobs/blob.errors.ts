/** The repository holds no blob with this digest. */
export class BlobUnknownError extends Error {
  readonly digest: string;

  constructor(digest: string) {
    super(`blob ${digest} is not known to this repository`);
    this.name = 'BlobUnknownError';
    this.digest = digest;
  }
}
