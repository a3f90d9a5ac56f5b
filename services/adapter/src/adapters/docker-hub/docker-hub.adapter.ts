import pMap from 'p-map';
import { Agent, request, type Dispatcher } from 'undici';
import type { ReplicationFilterV1 as Filter } from '@wharf/contracts';
import { filterArtifacts, repositoryMatches, tagMatches } from '@wharf/contracts';
import { RegistryProtocolError, RegistryUnreachableError, RemoteRegistryError } from '../adapter.errors.js';
import { toResource } from '../distribution/list-artifacts.js';
import { DockerRegistryAdapter } from '../docker-registry/docker-registry.adapter.js';
import type { AdapterDeps, AdapterFactory, AdapterPattern, Registry, RegistryInfo, Resource, ResourceArtifact } from '../registry-adapter.js';

export const DOCKER_HUB_URL = 'https://hub.docker.com';
export const DOCKER_HUB_REGISTRY_URL = 'https://registry-1.docker.io';

const INFO: RegistryInfo = {
  type: 'docker-hub',
  description: 'Docker Hub: listing through hub.docker.com, content through registry-1.docker.io',
  supported_resource_filters: [
    { type: 'name', style: 'input' },
    { type: 'tag', style: 'input' },
  ],
  supported_triggers: ['manual', 'scheduled'],
  supported_copy_by_chunk: false,
  supported_repository_path_component_type: 'ONLY_TWO',
};

const PATTERN: AdapterPattern = {
  endpoint_pattern: { endpoint_type: 'EndpointPatternTypeFix', endpoints: [{ key: 'hub.docker.com', value: DOCKER_HUB_URL }] },
  credential_pattern: { access_key_type: 'AccessKeyTypeStandard', access_key_data: '', access_secret_type: 'AccessSecretTypeStandard', access_secret_data: '' },
};

interface Page<T> {
  next?: string | null;
  results?: T[] | null;
}

/** The namespace a name filter pins (`library/*` → `library`), if its first component has no wildcard. */
export function namespaceOf(filters: readonly Filter[]): string | undefined {
  for (const filter of filters) {
    if (filter.type !== 'name' || typeof filter.value !== 'string') continue;
    const first = filter.value.split('/')[0] ?? '';
    if (filter.value.includes('/') && first && !/[*?[\]{}]/.test(first)) return first;
  }
  return undefined;
}

/**
 * Docker Hub: repositories and tags from the Hub API (`/v2/repositories/{namespace}/`,
 * `/v2/repositories/{namespace}/{repo}/tags/`, `next` pagination, a JWT from
 * `/v2/users/login` when credentials are set), content from the registry API with
 * auth.docker.io tokens (learned from the challenge). Both base URLs are the registry's
 * `url` and `registry_url`, so tests point them at local fixtures.
 */
export class DockerHubAdapter extends DockerRegistryAdapter {
  readonly #hub: string;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  #jwt: Promise<string | undefined> | undefined;

  constructor(registry: Registry, deps: AdapterDeps) {
    super(registry, deps, { contentUrl: registry.registry_url ?? DOCKER_HUB_REGISTRY_URL });
    this.#hub = (registry.url || DOCKER_HUB_URL).replace(/\/+$/, '');
    this.#dispatcher = new Agent({ connect: { rejectUnauthorized: !registry.insecure } });
    this.#timeoutMs = deps.requestTimeoutMs;
  }

  override async info(): Promise<RegistryInfo> {
    return INFO;
  }

  override async fetchArtifacts(filters: readonly Filter[], options: { signal?: AbortSignal } = {}): Promise<Resource[]> {
    const namespace = namespaceOf(filters) ?? this.registry.credential?.access_key;
    if (!namespace) throw new RegistryProtocolError('docker-hub needs a name filter that names a namespace (such as library/*) or credentials');
    const repositories = (await this.#pages<{ name: string; namespace?: string }>(`/v2/repositories/${encodeURIComponent(namespace)}/?page_size=100`, options.signal))
      .map((r) => `${r.namespace ?? namespace}/${r.name}`)
      .filter((name) => repositoryMatches(filters, name));
    const resources = await pMap(repositories, async (name) => {
      const tags = (await this.#pages<{ name: string; digest?: string }>(`/v2/repositories/${name.split('/').map(encodeURIComponent).join('/')}/tags/?page_size=100`, options.signal)).filter((t) =>
        tagMatches(filters, t.name),
      );
      const byDigest = new Map<string, ResourceArtifact>();
      await pMap(tags, async (tag) => {
        const digest = tag.digest ?? (await this.headManifest(name, tag.name, options))?.digest;
        if (!digest) return;
        const artifact = byDigest.get(digest) ?? { type: 'image', digest, tags: [], labels: [] };
        artifact.tags.push(tag.name);
        byDigest.set(digest, artifact);
      }, { concurrency: 8 });
      const kept = filterArtifacts(filters.filter((f) => f.type !== 'label'), [...byDigest.values()]);
      return kept.length > 0 ? [toResource(this.registry, name, kept)] : [];
    }, { concurrency: 4 });
    return resources.flat();
  }

  override async close(): Promise<void> {
    await super.close();
    await this.#dispatcher.close();
  }

  async #pages<T>(path: string, signal: AbortSignal | undefined): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = `${this.#hub}${path}`;
    for (let pages = 0; url && pages < 1000; pages++) {
      const page: Page<T> = await this.#get<Page<T>>(url, signal);
      items.push(...(page.results ?? []));
      url = page.next ? new URL(page.next, this.#hub).toString() : undefined;
    }
    return items;
  }

  async #get<T>(url: string, signal: AbortSignal | undefined): Promise<T> {
    const jwt = await this.#login(signal);
    const answer = await this.#request(url, { method: 'GET', headers: { Accept: 'application/json', ...(jwt ? { Authorization: `JWT ${jwt}` } : {}) }, signal });
    const text = await answer.body.text();
    if (answer.statusCode !== 200) throw new RemoteRegistryError({ status: answer.statusCode, method: 'GET', path: new URL(url).pathname });
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RegistryProtocolError(`${new URL(url).pathname} did not answer JSON`);
    }
  }

  /** A Hub JWT for private repositories; anonymous listing when there are no credentials or login fails. */
  #login(signal: AbortSignal | undefined): Promise<string | undefined> {
    const credential = this.registry.credential;
    if (!credential?.access_key) return Promise.resolve(undefined);
    this.#jwt ??= this.#request(`${this.#hub}/v2/users/login/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: credential.access_key, password: credential.access_secret ?? '' }),
      signal,
    })
      .then(async (answer) => {
        const text = await answer.body.text();
        if (answer.statusCode !== 200) return undefined;
        return (JSON.parse(text) as { token?: string }).token;
      })
      .catch(() => undefined);
    return this.#jwt;
  }

  async #request(url: string, options: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal | undefined }): Promise<Dispatcher.ResponseData> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), ...(options.signal ? [options.signal] : [])]);
    try {
      return await request(url, { method: options.method, headers: options.headers, body: options.body, dispatcher: this.#dispatcher, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new RegistryUnreachableError(`${new URL(url).origin}${new URL(url).pathname}`, error);
    }
  }
}

export const dockerHubFactory: AdapterFactory = {
  create: (registry, deps) => new DockerHubAdapter(registry, deps),
  pattern: () => PATTERN,
  info: () => INFO,
};
