import type { Readable } from 'node:stream';
import type { AdapterPatternV1, RegistryEndpointV1, RegistryInfoV1, ReplicationFilterV1 as Filter, ResourceArtifactV1, ResourceV1 } from '@wharf/contracts';
import type { RegistryHttpPool } from './distribution/registry-http-pool.js';

export type { RegistryCredential } from './registry-credential.js';

/*
 * The wire formats the adapter shares with core and the REPLICATION job are defined once, in
 * @wharf/contracts; these are their names here.
 */

/** Harbor's Registry as the adapter needs it: where and how to reach a registry (`blob_url`: Wharf's extension, where the local Wharf's blobs are read, written and mounted). */
export type Registry = RegistryEndpointV1;

/** Harbor's RegistryInfo. */
export type RegistryInfo = RegistryInfoV1;

/** Harbor's AdapterPattern (`GET /replication/adapterinfos`). */
export type AdapterPattern = AdapterPatternV1;

/** One artifact of a resource (Harbor's model.Artifact). */
export type ResourceArtifact = ResourceArtifactV1;

/** Harbor's Resource (HARBOR-FACTS §2.5), the wire format between controller, job and adapter. */
export type Resource = ResourceV1;

/** A manifest as found in a registry: its exact bytes (the digest depends on them). */
export interface ManifestContent {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export interface ManifestHead {
  mediaType: string;
  digest: string;
  size: number;
}

export interface BlobStream {
  /** The whole blob's size. */
  size: number;
  /** Where the stream starts (0 unless an offset was asked and honoured). */
  offset: number;
  body: Readable;
}

/** The base every adapter implements (Harbor's Adapter). */
export interface RegistryAdapter {
  readonly registry: Registry;
  info(): Promise<RegistryInfo>;
  healthCheck(): Promise<'healthy' | 'unhealthy'>;
  /** Creates what the destination needs before a push (Harbor: missing projects). */
  prepareForPush(resources: readonly Resource[]): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** Lists and reads artifacts. */
export interface ArtifactSource {
  fetchArtifacts(filters: readonly Filter[], options?: { signal?: AbortSignal }): Promise<Resource[]>;
  listTags(repository: string, options?: { signal?: AbortSignal }): Promise<string[]>;
  headManifest(repository: string, reference: string, options?: { signal?: AbortSignal }): Promise<ManifestHead | undefined>;
  pullManifest(repository: string, reference: string, options?: { signal?: AbortSignal }): Promise<ManifestContent>;
  /** The blob from `offset` (a registry that ignores Range gives it from 0: check `offset`). */
  pullBlob(repository: string, digest: string, options?: { offset?: number; signal?: AbortSignal }): Promise<BlobStream>;
}

/** Where an upload stands: its current URL and how many bytes it holds. */
export interface UploadSession {
  location: string;
  offset: number;
}

/** Writes artifacts (the upload steps are separate so the copy engine can resume them). */
export interface ArtifactSink {
  headManifest(repository: string, reference: string, options?: { signal?: AbortSignal }): Promise<ManifestHead | undefined>;
  blobExists(repository: string, digest: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  startUpload(repository: string, options?: { signal?: AbortSignal }): Promise<UploadSession>;
  /** The upload's current offset (GET on its URL), or undefined when the registry no longer knows it. */
  uploadStatus(repository: string, location: string, options?: { signal?: AbortSignal }): Promise<UploadSession | undefined>;
  /**
   * Appends bytes. With `length`, one chunk with Content-Range/Content-Length; without it, a
   * streamed PATCH whose body may end early (a graceful stop keeps what was sent).
   */
  appendUpload(repository: string, session: UploadSession, body: AsyncIterable<Uint8Array>, options: { length?: number; signal?: AbortSignal }): Promise<UploadSession>;
  completeUpload(repository: string, session: UploadSession, digest: string, options?: { signal?: AbortSignal }): Promise<void>;
  cancelUpload(repository: string, location: string): Promise<void>;
  pushManifest(repository: string, reference: string, manifest: { mediaType: string; bytes: Buffer }, options?: { signal?: AbortSignal }): Promise<string>;
  deleteManifest(repository: string, reference: string, options?: { signal?: AbortSignal }): Promise<void>;
  deleteTag(repository: string, tag: string, options?: { signal?: AbortSignal }): Promise<void>;
}

/** Cross-repository blob mount within one registry. */
export interface BlobMounter {
  /** True when the registry mounted the blob; false when it declined (the caller copies instead). */
  mountBlob(fromRepository: string, digest: string, toRepository: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

export function isArtifactSource(adapter: RegistryAdapter): adapter is RegistryAdapter & ArtifactSource {
  const candidate = adapter as Partial<ArtifactSource>;
  return typeof candidate.fetchArtifacts === 'function' && typeof candidate.pullManifest === 'function' && typeof candidate.pullBlob === 'function';
}

export function isArtifactSink(adapter: RegistryAdapter): adapter is RegistryAdapter & ArtifactSink {
  const candidate = adapter as Partial<ArtifactSink>;
  return typeof candidate.pushManifest === 'function' && typeof candidate.startUpload === 'function' && typeof candidate.appendUpload === 'function';
}

export function isBlobMounter(adapter: RegistryAdapter): adapter is RegistryAdapter & BlobMounter {
  return typeof (adapter as Partial<BlobMounter>).mountBlob === 'function';
}

/** What every adapter factory receives besides the registry. */
export interface AdapterDeps {
  /** Per-request deadline for metadata calls (blob bodies are bounded by idle time instead). */
  requestTimeoutMs: number;
  /** Longest pause while a blob body flows. */
  idleTimeoutMs: number;
  /** Connections, challenges and tokens kept across copies (the service's); without it each adapter has its own. */
  httpPool?: RegistryHttpPool | undefined;
}

export interface AdapterFactory {
  create(registry: Registry, deps: AdapterDeps): RegistryAdapter;
  pattern(): AdapterPattern;
  info(): RegistryInfo;
}

/** The registry without its credential: the only form that may be answered or logged. */
export function publicRegistry(registry: Registry): Registry {
  const { credential: _credential, ...rest } = registry;
  return rest;
}
