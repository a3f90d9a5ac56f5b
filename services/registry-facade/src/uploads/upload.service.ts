import { randomUUID } from 'node:crypto';
import { KeyedMutex } from '@wharf/keyed-mutex';
import type { Logger } from '@wharf/logging';
import { createDigester, parseDigest, type DigestAlgorithm, type Digester } from '@wharf/oci';
import type { BlobService } from '../blobs/blob.service.js';
import { isUploadId, UPLOADS_ROOT, uploadDataPath, uploadDir } from '../storage/paths.js';
import { PathNotFoundError, type StorageDriver } from '../storage/storage-driver.js';
import { DigestMismatchError, UploadRangeError, UploadUnknownError } from './upload.errors.js';
import { HashStates } from './hash-states.js';
import type { PgUploadRepository, UploadRecord } from './upload.repository.js';

export interface UploadServiceDeps {
  uploads: PgUploadRepository;
  blobs: BlobService;
  storage: StorageDriver;
  logger: Logger;
  /** Idle time after which a session is purged. */
  ttlMs: number;
  now?: () => Date;
}

export interface UploadStatus {
  id: string;
  repository: string;
  /** Bytes received so far. */
  offset: number;
}

/** The inclusive byte range a chunk claims (`Content-Range: <start>-<end>`). */
export interface ChunkRange {
  start: number;
  end: number;
}

export type ByteSource = AsyncIterable<Uint8Array>;

/**
 * Upload sessions: start, streamed chunks, status, completion with digest verification,
 * cancel, and expiry. The bytes of a session are its file in storage, so a session
 * survives a restart: after one, the next chunk or the completion re-hashes the stored
 * prefix once and carries on. Chunks of one session are applied one at a time.
 */
export class UploadService {
  readonly #deps: UploadServiceDeps;
  readonly #hashes = new HashStates();
  readonly #locks = new KeyedMutex();
  readonly #now: () => Date;

  constructor(deps: UploadServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async start(repository: string, algorithm: DigestAlgorithm = 'sha256'): Promise<UploadStatus> {
    const record = await this.#deps.uploads.create(randomUUID(), repository, algorithm);
    return { id: record.id, repository, offset: 0 };
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    const record = await this.#session(repository, id);
    return { id, repository, offset: await this.#offset(record.id) };
  }

  /** Appends a chunk; `range`, when given, must start exactly where the upload stands. */
  async append(repository: string, id: string, body: ByteSource, range?: ChunkRange): Promise<UploadStatus> {
    return this.#locks.run(id, async () => {
      const record = await this.#session(repository, id);
      const offset = await this.#write(record, body, range);
      return { id, repository, offset };
    });
  }

  /**
   * Closes the session: appends the optional last chunk, checks that everything received
   * hashes to `digest`, and publishes the blob. On a mismatch the session and its bytes are
   * discarded and nothing is stored.
   */
  async complete(
    repository: string,
    id: string,
    digest: string,
    body?: ByteSource,
    range?: ChunkRange,
  ): Promise<{ digest: string; size: number }> {
    const expected = parseDigest(digest);
    return this.#locks.run(id, async () => {
      const record = await this.#session(repository, id);
      const size = body ? await this.#write(record, body, range) : await this.#offset(id);
      const path = uploadDataPath(id);

      let digester = expected.algorithm === record.algorithm ? this.#hashes.take(id, size) : undefined;
      digester ??= await this.#hashStored(path, size, expected.algorithm);
      this.#hashes.drop(id);
      const actual = digester.digest();
      if (actual !== expected.value) {
        await this.#discard(id);
        throw new DigestMismatchError(expected.value, actual);
      }

      // Durable before visible: flush the session file, then publish it atomically.
      const writer = await this.#deps.storage.writer(path, { append: true });
      await writer.commit();
      try {
        await this.#deps.blobs.publish(repository, expected.value, size, path);
      } catch (error) {
        if (error instanceof PathNotFoundError) throw new UploadUnknownError(id);
        throw error;
      }
      await this.#discard(id);
      this.#deps.logger.info('blob upload committed', { repository, digest: expected.value, size });
      return { digest: expected.value, size };
    });
  }

  /** A whole blob in one request (`POST …/uploads/?digest=`), verified before it becomes visible. */
  async uploadWhole(repository: string, digest: string, body: ByteSource): Promise<{ digest: string; size: number }> {
    const { algorithm } = parseDigest(digest);
    const session = await this.start(repository, algorithm);
    try {
      return await this.complete(repository, session.id, digest, body);
    } catch (error) {
      await this.#discard(session.id).catch(() => undefined);
      throw error;
    }
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.#locks.run(id, async () => {
      await this.#session(repository, id);
      await this.#discard(id);
    });
  }

  /**
   * Removes sessions idle for longer than the TTL, and session files left without a session
   * (a crash between the two deletes). Safe to run on every replica at once.
   */
  async purgeExpired(batch = 500): Promise<number> {
    const cutoff = new Date(this.#now().getTime() - this.#deps.ttlMs);
    let purged = 0;
    for (;;) {
      const ids = await this.#deps.uploads.deleteIdleSince(cutoff, batch);
      for (const id of ids) await this.#removeFiles(id);
      purged += ids.length;
      if (ids.length < batch) break;
    }
    let dirs: string[] = [];
    try {
      dirs = await this.#deps.storage.list(UPLOADS_ROOT);
    } catch (error) {
      if (!(error instanceof PathNotFoundError)) throw error;
    }
    const candidates = dirs.map((dir) => dir.slice(UPLOADS_ROOT.length + 1)).filter(isUploadId);
    const live = await this.#deps.uploads.existing(candidates);
    for (const id of candidates) {
      if (live.has(id)) continue;
      const info = await this.#deps.storage.stat(uploadDir(id)).catch(() => undefined);
      if (info && info.modTime < cutoff) {
        await this.#removeFiles(id);
        purged += 1;
      }
    }
    if (purged > 0) this.#deps.logger.info('expired uploads purged', { count: purged });
    return purged;
  }

  async #session(repository: string, id: string): Promise<UploadRecord> {
    if (!isUploadId(id)) throw new UploadUnknownError(id);
    const record = await this.#deps.uploads.find(id);
    if (!record || record.repository !== repository) throw new UploadUnknownError(id);
    return record;
  }

  async #offset(id: string): Promise<number> {
    try {
      return (await this.#deps.storage.stat(uploadDataPath(id))).size;
    } catch (error) {
      if (error instanceof PathNotFoundError) return 0;
      throw error;
    }
  }

  /** Appends `body` at the session's end, hashing it on the way; returns the new size. */
  async #write(record: UploadRecord, body: ByteSource, range?: ChunkRange): Promise<number> {
    const { id } = record;
    const path = uploadDataPath(id);
    const writer = await this.#deps.storage.writer(path, { append: true });
    const start = writer.size;
    try {
      if (range && range.start !== start) {
        throw new UploadRangeError(`chunk starts at ${range.start}, but the upload stands at ${start}`, start);
      }
      const digester = this.#hashes.take(id, start) ?? (await this.#hashStored(path, start, record.algorithm));
      const keepAlive = setInterval(() => void this.#deps.uploads.touch(id).catch(() => undefined), Math.min(60_000, this.#deps.ttlMs / 4));
      keepAlive.unref();
      try {
        await writer.write(hashing(body, digester));
      } catch (error) {
        // What reached storage stays (the client can resume from it); the digester may have
        // seen bytes that did not, so it is not kept.
        await writer.close();
        throw error;
      } finally {
        clearInterval(keepAlive);
      }
      await writer.close();
      this.#hashes.put(id, writer.size, digester);
      // The idle clock restarts after each chunk; a session touched within the last eighth of
      // its TTL (a chunk right after the POST, say) keeps its time: one write fewer per blob.
      if (this.#now().getTime() - record.updatedAt.getTime() >= this.#deps.ttlMs / 8) await this.#deps.uploads.touch(id);
      return writer.size;
    } catch (error) {
      await writer.close();
      throw error;
    }
  }

  /** Hashes the first `length` stored bytes of a session (after a restart, or for another algorithm). */
  async #hashStored(path: string, length: number, algorithm: DigestAlgorithm): Promise<Digester> {
    const digester = createDigester(algorithm);
    if (length === 0) return digester;
    const stream = await this.#deps.storage.reader(path, { offset: 0, length });
    for await (const chunk of stream) digester.update(chunk as Uint8Array);
    if (digester.bytes !== length) throw new Error(`read ${digester.bytes} of ${length} stored upload bytes`);
    return digester;
  }

  async #discard(id: string): Promise<void> {
    this.#hashes.drop(id);
    await this.#deps.uploads.delete(id);
    await this.#removeFiles(id);
  }

  async #removeFiles(id: string): Promise<void> {
    this.#hashes.drop(id);
    await this.#deps.storage.delete(uploadDir(id)).catch((error: unknown) => {
      if (!(error instanceof PathNotFoundError)) throw error;
    });
  }
}

async function* hashing(source: ByteSource, digester: Digester): ByteSource {
  for await (const chunk of source) {
    digester.update(chunk);
    yield chunk;
  }
}
