import type { ReplicationFilterV1 as Filter } from '@wharf/contracts';
import { OperationUnsupportedError, RemoteRegistryError } from '../adapter.errors.js';
import { DistributionClient } from '../distribution/distribution-client.js';
import { listArtifacts } from '../distribution/list-artifacts.js';
import { RegistryHttp } from '../distribution/registry-http.js';
import type { RegistryHttpPool } from '../distribution/registry-http-pool.js';
import type {
  AdapterDeps,
  AdapterFactory,
  AdapterPattern,
  ArtifactSink,
  ArtifactSource,
  BlobMounter,
  BlobStream,
  ManifestContent,
  ManifestHead,
  Registry,
  RegistryAdapter,
  RegistryInfo,
  Resource,
  UploadSession,
} from '../registry-adapter.js';

const INFO: RegistryInfo = {
  type: 'docker-registry',
  description: 'Any registry speaking the OCI Distribution API (CNCF distribution, zot, …)',
  supported_resource_filters: [
    { type: 'name', style: 'input' },
    { type: 'tag', style: 'input' },
  ],
  supported_triggers: ['manual', 'scheduled'],
  supported_copy_by_chunk: true,
  supported_repository_path_component_type: '',
};

const PATTERN: AdapterPattern = {
  endpoint_pattern: { endpoint_type: 'EndpointPatternTypeStandard', endpoints: [] },
  credential_pattern: { access_key_type: 'AccessKeyTypeStandard', access_key_data: '', access_secret_type: 'AccessSecretTypeStandard', access_secret_data: '' },
};

type Signal = { signal?: AbortSignal };

/**
 * A plain OCI Distribution registry: lists through `_catalog` and `tags/list`, moves content
 * through the distribution API, mounts across repositories. Other adapters extend it
 * (Harbor and Docker Hub list differently, move content the same way).
 */
export class DockerRegistryAdapter implements RegistryAdapter, ArtifactSource, ArtifactSink, BlobMounter {
  readonly registry: Registry;
  protected readonly client: DistributionClient;
  readonly #pool: RegistryHttpPool | undefined;

  constructor(registry: Registry, deps: AdapterDeps, options: { contentUrl?: string } = {}) {
    this.registry = registry;
    this.#pool = deps.httpPool;
    const http = (baseUrl: string) => {
      const httpOptions = {
        baseUrl,
        credential: registry.credential,
        insecure: registry.insecure,
        requestTimeoutMs: deps.requestTimeoutMs,
        idleTimeoutMs: deps.idleTimeoutMs,
        // A secret credential's tokens come from the registry's own token service, wherever its blobs are.
        tokenServiceUrl: registry.token_service_url ?? `${registry.url.replace(/\/+$/, '')}/service/token`,
      };
      return this.#pool ? this.#pool.acquire(httpOptions) : new RegistryHttp(httpOptions);
    };
    const contentUrl = options.contentUrl ?? registry.url;
    this.client = new DistributionClient({ http: http(contentUrl), blobHttp: registry.blob_url ? http(registry.blob_url) : undefined });
  }

  async info(): Promise<RegistryInfo> {
    return INFO;
  }

  async healthCheck(): Promise<'healthy' | 'unhealthy'> {
    try {
      await this.client.http.ping();
      return 'healthy';
    } catch {
      return 'unhealthy';
    }
  }

  /** A plain registry creates repositories on first push: nothing to prepare. */
  async prepareForPush(_resources: readonly Resource[]): Promise<void> {}

  async fetchArtifacts(filters: readonly Filter[], options: Signal = {}): Promise<Resource[]> {
    const repositories = await this.client.catalog(options);
    return listArtifacts(this.client, this.registry, repositories, filters, options);
  }

  listTags(repository: string, options: Signal = {}): Promise<string[]> {
    return this.client.listTags(repository, options);
  }
  headManifest(repository: string, reference: string, options: Signal = {}): Promise<ManifestHead | undefined> {
    return this.client.headManifest(repository, reference, options);
  }
  pullManifest(repository: string, reference: string, options: Signal = {}): Promise<ManifestContent> {
    return this.client.pullManifest(repository, reference, options);
  }
  pullBlob(repository: string, digest: string, options: Signal & { offset?: number } = {}): Promise<BlobStream> {
    return this.client.pullBlob(repository, digest, options);
  }
  blobExists(repository: string, digest: string, options: Signal = {}): Promise<boolean> {
    return this.client.blobExists(repository, digest, options);
  }
  startUpload(repository: string, options: Signal = {}): Promise<UploadSession> {
    return this.client.startUpload(repository, options);
  }
  uploadStatus(repository: string, location: string, options: Signal = {}): Promise<UploadSession | undefined> {
    return this.client.uploadStatus(repository, location, options);
  }
  appendUpload(repository: string, session: UploadSession, body: AsyncIterable<Uint8Array>, options: Signal & { length?: number }): Promise<UploadSession> {
    return this.client.appendUpload(repository, session, body, options);
  }
  completeUpload(repository: string, session: UploadSession, digest: string, options: Signal = {}): Promise<void> {
    return this.client.completeUpload(repository, session, digest, options);
  }
  cancelUpload(repository: string, location: string): Promise<void> {
    return this.client.cancelUpload(repository, location);
  }
  pushManifest(repository: string, reference: string, manifest: { mediaType: string; bytes: Buffer }, options: Signal = {}): Promise<string> {
    return this.client.pushManifest(repository, reference, manifest, options);
  }
  /** By digest, or by tag where the registry allows it (OCI 1.1; distribution 2.8 refuses tags). */
  deleteManifest(repository: string, reference: string, options: Signal = {}): Promise<void> {
    return this.client.deleteManifest(repository, reference, options);
  }
  /**
   * DELETE by tag (OCI distribution spec 1.1). distribution 2.x answers 400 DIGEST_INVALID
   * and others 405 UNSUPPORTED: Harbor's native adapter does not delete tags either.
   */
  async deleteTag(repository: string, tag: string, options: Signal = {}): Promise<void> {
    try {
      await this.client.deleteManifest(repository, tag, options);
    } catch (error) {
      if (error instanceof RemoteRegistryError && (error.status === 405 || (error.status === 400 && (error.code === 'DIGEST_INVALID' || error.code === 'UNSUPPORTED')))) {
        throw new OperationUnsupportedError(this.registry.type, `deleting the tag ${repository}:${tag}`, error);
      }
      throw error;
    }
  }
  mountBlob(fromRepository: string, digest: string, toRepository: string, options: Signal = {}): Promise<boolean> {
    return this.client.mountBlob(fromRepository, digest, toRepository, options);
  }
  /** Gives the connections back to the pool (closes them without one). */
  async close(): Promise<void> {
    if (!this.#pool) {
      await this.client.close();
      return;
    }
    this.#pool.release(this.client.http);
    if (this.client.blobHttp !== this.client.http) this.#pool.release(this.client.blobHttp);
  }
}

export const dockerRegistryFactory: AdapterFactory = {
  create: (registry, deps) => new DockerRegistryAdapter(registry, deps),
  pattern: () => PATTERN,
  info: () => INFO,
};
