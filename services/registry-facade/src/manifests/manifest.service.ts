import { INTERNAL_TOKEN_SUBJECT } from '@wharf/contracts';
import { describeTextProblem, jsonTextProblem } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';
import { LRUCache } from 'lru-cache';
import { acceptsMediaType, type Descriptor, digestOf, effectiveArtifactType, isIndexMediaType, isNonDistributable, isValidTag, looksLikeDigest, ManifestInvalidError, parseDigest, parseManifest } from '@wharf/oci';
import type { BlobService } from '../blobs/blob.service.js';
import type { EventService } from '../events/event.service.js';
import type { ManifestEventInput, RequestOrigin } from '../events/registry-event.js';
import { DeleteDisabledError, RepositoryUnknownError } from '../repositories/repository.errors.js';
import { DigestMismatchError } from '../uploads/upload.errors.js';
import { ManifestBlobUnknownError, ManifestTooLargeError, ManifestUnknownError, TagInvalidError } from './manifest.errors.js';
import type { ManifestRecord, PgManifestRepository } from './manifest.repository.js';

/** How many bytes of manifest bodies are kept in memory. */
const CONTENT_CACHE_BYTES = 16 * 1024 * 1024;

export interface ManifestServiceDeps {
  manifests: PgManifestRepository;
  blobs: BlobService;
  events: EventService;
  /** Wakes event delivery after a change (push, delete) or a pull queued events. */
  onEventsQueued?: (kind: 'change' | 'pull') => void;
  maxSize: number;
  deleteEnabled: boolean;
  logger: Logger;
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** In JSON text a NUL or a lone surrogate can only be a `\u` escape; only such a body is walked. */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * Refuses (MANIFEST_INVALID) a manifest holding a NUL or a lone surrogate in any string:
 * its annotations and types are stored in Postgres, which holds neither.
 */
export function refuseUnstorableText(body: Uint8Array): void {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (!SUSPECT_ESCAPE.test(text)) return;
  const problem = jsonTextProblem(JSON.parse(text));
  if (problem) throw new ManifestInvalidError([describeTextProblem(problem).replace('the body', 'the manifest')]);
}

/** A tag, or a digest (anything shaped `algorithm:encoded`), checked against the spec's grammar. */
export function parseReference(reference: string): Reference {
  if (looksLikeDigest(reference) || reference.includes(':')) return { kind: 'digest', digest: parseDigest(reference).value };
  if (!isValidTag(reference)) throw new TagInvalidError(reference);
  return { kind: 'tag', tag: reference };
}

export interface PutManifestInput {
  repository: string;
  reference: string;
  body: Buffer;
  contentType: string | undefined;
  /** Extra tags from `?tag=` (distribution spec end-7b). */
  tags: readonly string[];
  origin: RequestOrigin;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
}

export interface GetManifestInput {
  repository: string;
  reference: string;
  /** Media types from the Accept header; empty when the client sent none. */
  accept: readonly string[];
  /** HEAD reads no content and raises no pull event. */
  head: boolean;
  origin: RequestOrigin;
}

/** Manifests and tags: validated pushes, content-negotiated pulls, deletes, each raising its registry event. */
export class ManifestService {
  /**
   * Manifest bodies recently served, by digest (content-addressed, so never stale; the
   * metadata lookup before it still decides whether the manifest exists), oldest out first
   * past {@link CONTENT_CACHE_BYTES}; a body over a sixteenth of that is not kept.
   */
  readonly #contents = new LRUCache<string, Buffer>({
    maxSize: CONTENT_CACHE_BYTES,
    maxEntrySize: CONTENT_CACHE_BYTES / 16,
    sizeCalculation: (body) => Math.max(1, body.byteLength),
  });

  readonly #deps: ManifestServiceDeps;

  constructor(deps: ManifestServiceDeps) {
    this.#deps = deps;
  }

  async put(input: PutManifestInput): Promise<{ digest: string; tags: string[]; subject: string | undefined }> {
    const { repository, body } = input;
    if (body.byteLength > this.#deps.maxSize) throw new ManifestTooLargeError(this.#deps.maxSize);
    const reference = parseReference(input.reference);
    for (const tag of input.tags) if (!isValidTag(tag)) throw new TagInvalidError(tag);
    const manifest = parseManifest(body, input.contentType);
    refuseUnstorableText(body);

    let digest: string;
    if (reference.kind === 'digest') {
      digest = digestOf(body, parseDigest(reference.digest).algorithm);
      if (digest !== reference.digest) throw new DigestMismatchError(reference.digest, digest);
    } else {
      digest = digestOf(body);
    }
    const tags = [...new Set([...(reference.kind === 'tag' ? [reference.tag] : []), ...input.tags])];
    const references = await this.#checkReferences(repository, manifest.kind === 'image' ? [manifest.config, ...manifest.layers] : [], manifest.kind === 'index' ? manifest.manifests : []);

    await this.#deps.blobs.storeContent(digest, body);
    const event = { action: 'push' as const, repository, digest, mediaType: manifest.mediaType, size: body.byteLength };
    const events = this.#deps.events.build(tags.length > 0 ? tags.map((tag) => ({ ...event, tag })) : [event], input.origin);
    await this.#deps.manifests.save(
      {
        repository,
        digest,
        mediaType: manifest.mediaType,
        size: body.byteLength,
        artifactType: effectiveArtifactType(manifest),
        subjectDigest: manifest.subject?.digest,
        annotations: manifest.annotations,
        references,
        tags,
      },
      events,
    );
    if (events.length > 0) this.#deps.onEventsQueued?.('change');
    this.#deps.logger.info('manifest pushed', { repository, digest, mediaType: manifest.mediaType, tags });
    return { digest, tags, subject: manifest.subject?.digest };
  }

  /** The manifest for a tag or digest, in a media type the client accepts. */
  async get(input: GetManifestInput): Promise<StoredManifest & { body?: Buffer }> {
    const { repository } = input;
    const reference = parseReference(input.reference);
    let record = await this.#find(repository, reference);

    if (!acceptsMediaType(input.accept, record.mediaType)) {
      // Like distribution: a client that cannot read an index pulling a tag gets the
      // linux/amd64 image it points to, when the client accepts that image's type.
      const fallback = reference.kind === 'tag' && isIndexMediaType(record.mediaType)
        ? await this.#platformFallback(repository, record, input.accept)
        : undefined;
      if (!fallback) {
        throw new ManifestUnknownError(input.reference, `manifest ${input.reference} is a ${record.mediaType}, which the Accept header does not allow`);
      }
      record = fallback;
    }

    const manifest: StoredManifest & { body?: Buffer } = { digest: record.digest, mediaType: record.mediaType, size: record.size };
    if (input.head) return manifest;
    manifest.body = await this.#content(record.digest);
    await this.#recordPull(repository, record, reference.kind === 'tag' ? reference.tag : undefined, input.origin);
    return manifest;
  }

  /** Deletes a tag (the manifest stays) or a manifest with every tag that points to it. */
  async delete(repository: string, referenceText: string, origin: RequestOrigin): Promise<void> {
    if (!this.#deps.deleteEnabled) throw new DeleteDisabledError();
    const reference = parseReference(referenceText);
    const eventsFor = (record: ManifestRecord, tag?: string) =>
      this.#deps.events.build([{ action: 'delete', repository, digest: record.digest, mediaType: record.mediaType, size: record.size, tag }], origin);
    const deleted =
      reference.kind === 'tag'
        ? await this.#deps.manifests.deleteTag(repository, reference.tag, (record) => eventsFor(record, reference.tag))
        : await this.#deps.manifests.deleteByDigest(repository, reference.digest, (record) => eventsFor(record));
    if (!deleted) {
      if (!(await this.#deps.manifests.repositoryExists(repository))) throw new RepositoryUnknownError(repository);
      throw new ManifestUnknownError(referenceText);
    }
    if (this.#deps.events.enabled) this.#deps.onEventsQueued?.('change');
    this.#deps.logger.info('manifest deleted', { repository, reference: referenceText, digest: deleted.digest });
  }

  async #find(repository: string, reference: Reference): Promise<ManifestRecord> {
    const record =
      reference.kind === 'tag'
        ? await this.#deps.manifests.findByTag(repository, reference.tag)
        : await this.#deps.manifests.findByDigest(repository, reference.digest);
    if (record) return record;
    if (!(await this.#deps.manifests.repositoryExists(repository))) throw new RepositoryUnknownError(repository);
    throw new ManifestUnknownError(reference.kind === 'tag' ? reference.tag : reference.digest);
  }

  /**
   * Every referenced blob (config, layers; foreign layers excepted) must be in the
   * repository with the size the manifest states, and every index entry must be a manifest
   * of the repository. The subject may be pushed later, so it is not checked.
   */
  async #checkReferences(
    repository: string,
    blobs: readonly Descriptor[],
    children: readonly Descriptor[],
  ): Promise<{ digest: string; kind: 'blob' | 'manifest' }[]> {
    const needed = blobs.filter((d) => !isNonDistributable(d.mediaType));
    const sizes = await this.#deps.blobs.sizes(repository, needed.map((d) => d.digest));
    const found = await this.#deps.manifests.findMany(repository, children.map((d) => d.digest));
    const missing = [
      ...needed.filter((d) => !sizes.has(d.digest)).map((d) => d.digest),
      ...children.filter((d) => !found.has(d.digest)).map((d) => d.digest),
    ];
    if (missing.length > 0) throw new ManifestBlobUnknownError([...new Set(missing)]);
    const wrongSize = [
      ...needed.filter((d) => sizes.get(d.digest) !== d.size).map((d) => `${d.digest} has size ${sizes.get(d.digest)}, not ${d.size}`),
      ...children.filter((d) => found.get(d.digest)?.size !== d.size).map((d) => `${d.digest} has size ${found.get(d.digest)?.size}, not ${d.size}`),
    ];
    if (wrongSize.length > 0) throw new ManifestInvalidError(wrongSize.map((w) => `descriptor size mismatch: ${w}`));
    return [
      ...needed.map((d) => ({ digest: d.digest, kind: 'blob' as const })),
      ...children.map((d) => ({ digest: d.digest, kind: 'manifest' as const })),
    ];
  }

  async #platformFallback(repository: string, index: ManifestRecord, accept: readonly string[]): Promise<ManifestRecord | undefined> {
    const parsed = parseManifest(await this.#deps.blobs.readContent(index.digest), index.mediaType);
    if (parsed.kind !== 'index') return undefined;
    const entry = parsed.manifests.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64' && acceptsMediaType(accept, d.mediaType));
    return entry ? this.#deps.manifests.findByDigest(repository, entry.digest) : undefined;
  }

  async #content(digest: string): Promise<Buffer> {
    const cached = this.#contents.get(digest);
    if (cached) return cached;
    const body = await this.#deps.blobs.readContent(digest);
    if (body.byteLength <= CONTENT_CACHE_BYTES / 16) this.#contents.set(digest, body);
    return body;
  }

  async #recordPull(repository: string, record: ManifestRecord, tag: string | undefined, origin: RequestOrigin): Promise<void> {
    // Core's own reads (projecting a push, replication with the suite secret) are not pulls.
    if (!this.#deps.events.enabled || origin.actor === INTERNAL_TOKEN_SUBJECT) return;
    const event: ManifestEventInput = { action: 'pull', repository, digest: record.digest, mediaType: record.mediaType, size: record.size, tag };
    try {
      await this.#deps.events.record([event], origin);
      this.#deps.onEventsQueued?.('pull');
    } catch (error) {
      // A pull succeeds even when its event cannot be queued.
      this.#deps.logger.warn('pull event not queued', { repository, digest: record.digest, err: error });
    }
  }
}

