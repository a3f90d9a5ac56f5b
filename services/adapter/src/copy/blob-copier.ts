import { KeyedMutex } from '@wharf/keyed-mutex';
import type { Logger } from '@wharf/logging';
import type { Descriptor } from '@wharf/oci';
import { RegistryUnreachableError, RemoteRegistryError } from '../adapters/adapter.errors.js';
import type { ArtifactSink, ArtifactSource, BlobMounter, RegistryAdapter, UploadSession } from '../adapters/registry-adapter.js';
import { ByteReader } from './byte-reader.js';
import { CopyAbortedError, IncompleteUploadError } from './copy.errors.js';
import type { SpeedLimiter } from './speed-limiter.js';
import type { MountHints, UploadSessionStore } from './upload-sessions.js';

export interface BlobCopyPolicy {
  /** Attempts after the first. */
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Bytes per PATCH with copy_by_chunk. */
  chunkSize: number;
}

export interface BlobEndpoint<A> {
  adapter: A;
  repository: string;
  /** Identifies the registry (its URL) for resume and mount bookkeeping. */
  registryKey: string;
}

export type BlobOutcome = 'existing' | 'mounted' | 'copied';

export interface BlobCopyContext {
  source: BlobEndpoint<RegistryAdapter & ArtifactSource>;
  destination: BlobEndpoint<RegistryAdapter & ArtifactSink>;
  copyByChunk: boolean;
  limiter: SpeedLimiter;
  signal: AbortSignal;
  onBytes: (count: number) => void;
  /** A mount or an existing blob: these bytes will not flow. */
  onSpared: (size: number) => void;
}

export interface BlobCopierDeps {
  logger: Logger;
  policy: BlobCopyPolicy;
  sessions: UploadSessionStore;
  mounts: MountHints;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

function mounterOf(adapter: RegistryAdapter & ArtifactSink): (RegistryAdapter & ArtifactSink & BlobMounter) | undefined {
  return typeof (adapter as Partial<BlobMounter>).mountBlob === 'function' ? (adapter as RegistryAdapter & ArtifactSink & BlobMounter) : undefined;
}

/**
 * Copies one blob between registries (Harbor's copyBlob, and further): known in another
 * repository of the destination registry → mount; present at the destination → nothing; else
 * streamed source → destination, resumed from where the destination's upload stands on each
 * retry, with exponential backoff between attempts.
 */
export class BlobCopier {
  readonly #deps: BlobCopierDeps;
  /**
   * Blobs being copied into a registry right now (by registry and digest), across every
   * copy this process runs: a second copy of the same blob into the same registry (another
   * repository, another task) waits for the first and then finds or mounts it instead of
   * streaming the same bytes again. Images sharing base layers, replicated as concurrent
   * tasks, would otherwise each pull and push every base layer.
   */
  readonly #inFlight = new KeyedMutex();

  constructor(deps: BlobCopierDeps) {
    this.#deps = deps;
  }

  /** Whether this blob is being copied into that registry by some copy right now. */
  busy(registryKey: string, digest: string): boolean {
    return this.#inFlight.isLocked(`${registryKey} ${digest}`);
  }

  async copy(blob: Descriptor, ctx: BlobCopyContext): Promise<BlobOutcome> {
    const key = `${ctx.destination.registryKey} ${blob.digest}`;
    let release: () => void;
    try {
      release = await this.#inFlight.acquire(key, { signal: ctx.signal });
    } catch {
      throw new CopyAbortedError(ctx.signal.reason);
    }
    try {
      return await this.#copy(blob, ctx);
    } finally {
      release();
    }
  }

  async #copy(blob: Descriptor, ctx: BlobCopyContext): Promise<BlobOutcome> {
    const { policy } = this.#deps;
    const { destination } = ctx;
    for (let attempt = 0; ; attempt++) {
      try {
        // A blob another repository of the registry is known to hold is mounted straight
        // away: a mount of a blob the repository already has succeeds too, so the HEAD that
        // would have told is spared.
        const candidates = this.#mountCandidates(blob, ctx);
        if (candidates.length > 0 && (await this.#mount(blob, ctx, candidates))) {
          ctx.onSpared(blob.size);
          return 'mounted';
        }
        if (await destination.adapter.blobExists(destination.repository, blob.digest, { signal: ctx.signal })) {
          ctx.onSpared(blob.size);
          this.#deps.mounts.remember(destination.registryKey, blob.digest, destination.repository);
          return 'existing';
        }
        await this.#transfer(blob, ctx);
        this.#deps.mounts.remember(destination.registryKey, blob.digest, destination.repository);
        return 'copied';
      } catch (error) {
        if (ctx.signal.aborted) throw new CopyAbortedError(ctx.signal.reason);
        if (attempt >= policy.retries || !isRetryable(error)) throw error;
        const delay = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt);
        this.#deps.logger.warn('blob copy failed, retrying', { digest: blob.digest, attempt: attempt + 1, delayMs: delay, err: error });
        try {
          await this.#deps.sleep(delay, ctx.signal);
        } catch {
          throw new CopyAbortedError(ctx.signal.reason);
        }
      }
    }
  }

  /** Repositories of the destination registry to mount the blob from (none when it cannot mount). */
  #mountCandidates(blob: Descriptor, ctx: BlobCopyContext): string[] {
    const { source, destination } = ctx;
    if (!mounterOf(destination.adapter)) return [];
    const candidates = this.#deps.mounts.repositoriesWith(destination.registryKey, blob.digest);
    if (source.registryKey === destination.registryKey) candidates.unshift(source.repository);
    return [...new Set(candidates)].filter((from) => from !== destination.repository);
  }

  async #mount(blob: Descriptor, ctx: BlobCopyContext, candidates: readonly string[]): Promise<boolean> {
    const { destination } = ctx;
    const mounter = mounterOf(destination.adapter)!;
    for (const from of candidates) {
      try {
        if (await mounter.mountBlob(from, blob.digest, destination.repository, { signal: ctx.signal })) {
          this.#deps.logger.debug('blob mounted', { digest: blob.digest, from, to: destination.repository });
          this.#deps.mounts.remember(destination.registryKey, blob.digest, destination.repository);
          return true;
        }
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        this.#deps.logger.debug('blob mount refused', { digest: blob.digest, from, err: error });
      }
    }
    return false;
  }

  async #transfer(blob: Descriptor, ctx: BlobCopyContext): Promise<void> {
    const { source, destination, signal } = ctx;
    const sink = destination.adapter;
    const key = `${destination.registryKey} ${destination.repository} ${blob.digest}`;
    let session: UploadSession | undefined = this.#deps.sessions.get(key);
    if (session) {
      session = await sink.uploadStatus(destination.repository, session.location, { signal });
      if (session) this.#deps.logger.info('blob upload resumed', { digest: blob.digest, offset: session.offset, size: blob.size });
      else this.#deps.sessions.delete(key);
    }
    if (!session || session.offset > blob.size) session = await sink.startUpload(destination.repository, { signal });
    this.#deps.sessions.set(key, session);

    if (session.offset < blob.size) {
      const pulled = await source.adapter.pullBlob(source.repository, blob.digest, { offset: session.offset, signal });
      const reader = new ByteReader(pulled.body, { limiter: ctx.limiter, onBytes: ctx.onBytes, signal });
      try {
        await reader.skip(session.offset - pulled.offset);
        if (ctx.copyByChunk) {
          while (session.offset < blob.size) {
            const length = Math.min(this.#deps.policy.chunkSize, blob.size - session.offset);
            session = await sink.appendUpload(destination.repository, session, reader.take(length), { length, signal });
            this.#deps.sessions.set(key, session);
          }
        } else {
          // One streamed PATCH that ends early, not broken, on abort: the destination keeps
          // what it received and the next attempt continues from there.
          session = await sink.appendUpload(destination.repository, session, reader.take(Number.POSITIVE_INFINITY, true), {});
          this.#deps.sessions.set(key, session);
          if (signal.aborted) throw new CopyAbortedError(signal.reason);
        }
      } finally {
        reader.destroy();
      }
      if (session.offset < blob.size) throw new IncompleteUploadError(blob.digest, session.offset, blob.size);
    }
    try {
      await sink.completeUpload(destination.repository, session, blob.digest, { signal });
    } catch (error) {
      // A digest mismatch or a lost upload: start over next time.
      this.#deps.sessions.delete(key);
      throw error;
    }
    this.#deps.sessions.delete(key);
  }
}

/** Worth another attempt: network trouble, throttling, server errors, a short upload, a refused commit. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CopyAbortedError) return false;
  if (error instanceof RegistryUnreachableError || error instanceof IncompleteUploadError) return true;
  if (error instanceof RemoteRegistryError) return error.transient || (error.status === 400 && error.method === 'PUT') || error.status === 416;
  // Streams broken mid-way (socket reset, idle timeout) surface as plain errors.
  return error instanceof Error && !(error instanceof TypeError);
}
