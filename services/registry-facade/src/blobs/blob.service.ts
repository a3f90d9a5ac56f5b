import type { Readable } from 'node:stream';
import type { Logger } from '@wharf/logging';
import { DeleteDisabledError } from '../repositories/repository.errors.js';
import { blobDataPath } from '../storage/paths.js';
import { PathNotFoundError, type StorageDriver } from '../storage/storage-driver.js';
import { BlobUnknownError } from './blob.errors.js';
import type { PgBlobRepository } from './blob.repository.js';

export interface BlobServiceDeps {
  blobs: PgBlobRepository;
  storage: StorageDriver;
  deleteEnabled: boolean;
  logger: Logger;
}

export interface BlobContent {
  size: number;
  stream: Readable;
}

/** Blobs as a repository sees them: existence, ranged reads, mounts, deletes, and publishing verified content. */
export class BlobService {
  readonly #deps: BlobServiceDeps;

  constructor(deps: BlobServiceDeps) {
    this.#deps = deps;
  }

  /** The blob's size; BlobUnknownError when the repository does not hold it. */
  async stat(repository: string, digest: string): Promise<number> {
    const size = await this.#deps.blobs.findLinked(repository, digest);
    if (size === undefined) throw new BlobUnknownError(digest);
    return size;
  }

  /** Sizes of those `digests` the repository holds. */
  async sizes(repository: string, digests: readonly string[]): Promise<Map<string, number>> {
    return this.#deps.blobs.findLinkedMany(repository, digests);
  }

  /** Streams `length` bytes from `offset` (the whole blob by default). */
  async open(repository: string, digest: string, range?: { offset: number; length: number }): Promise<BlobContent> {
    const size = await this.stat(repository, digest);
    try {
      const stream = await this.#deps.storage.reader(blobDataPath(digest), range ?? { offset: 0, length: size });
      return { size, stream };
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        this.#deps.logger.error('blob missing from storage', { repository, digest });
        throw new BlobUnknownError(digest);
      }
      throw error;
    }
  }

  /**
   * Where the blob's bytes lie within a filesystem storage's root, for a front end that
   * reads the same disk (the proxy's blob file handoff); undefined for other storages.
   */
  localFile(digest: string): string | undefined {
    return this.#deps.storage.name === 'filesystem' ? blobDataPath(digest) : undefined;
  }

  /** Links a blob that `from` holds into `repository`; undefined when `from` does not hold it. */
  async mount(repository: string, from: string, digest: string): Promise<{ size: number } | undefined> {
    const size = await this.#deps.blobs.findLinked(from, digest);
    if (size === undefined) return undefined;
    await this.#deps.blobs.link(repository, digest);
    return { size };
  }

  /**
   * Makes verified upload content visible: moves the file at `sourcePath` to the blob's
   * place (an atomic rename; a concurrent upload of the same digest holds identical bytes)
   * and only then records and links it. A reader never sees a partial blob.
   */
  async publish(repository: string, digest: string, size: number, sourcePath: string): Promise<void> {
    await this.#deps.storage.move(sourcePath, blobDataPath(digest));
    await this.#deps.blobs.link(repository, digest, size);
  }

  /**
   * Writes small verified content (a manifest) under its digest. The caller records it
   * (the manifest repository does, in the transaction that stores the manifest).
   */
  async storeContent(digest: string, content: Uint8Array): Promise<void> {
    await this.#deps.storage.putContent(blobDataPath(digest), content);
  }

  /** Reads small content stored with `storeContent`. */
  async readContent(digest: string): Promise<Buffer> {
    return this.#deps.storage.getContent(blobDataPath(digest));
  }

  /** Unlinks the blob from the repository; its bytes stay until garbage collection. */
  async delete(repository: string, digest: string): Promise<void> {
    if (!this.#deps.deleteEnabled) throw new DeleteDisabledError();
    if (!(await this.#deps.blobs.unlink(repository, digest))) throw new BlobUnknownError(digest);
  }
}
