import pMap from 'p-map';
import type { ReplicationFilterV1 as Filter } from '@wharf/contracts';
import { filterArtifacts, repositoryMatches } from '@wharf/contracts';
import { toResource } from '../distribution/list-artifacts.js';
import { DockerRegistryAdapter } from '../docker-registry/docker-registry.adapter.js';
import type { AdapterDeps, AdapterFactory, AdapterPattern, Registry, RegistryInfo, Resource, ResourceArtifact } from '../registry-adapter.js';
import { HarborApi } from './harbor-api.js';

const INFO: RegistryInfo = {
  type: 'harbor',
  description: 'Harbor (API v2.0), and Wharf itself',
  supported_resource_filters: [
    { type: 'name', style: 'input' },
    { type: 'tag', style: 'input' },
    { type: 'label', style: 'list', values: [] },
  ],
  supported_triggers: ['manual', 'scheduled', 'event_based'],
  supported_copy_by_chunk: true,
  supported_repository_path_component_type: 'AT_LEAST_TWO',
};

const PATTERN: AdapterPattern = {
  endpoint_pattern: { endpoint_type: 'EndpointPatternTypeStandard', endpoints: [] },
  credential_pattern: { access_key_type: 'AccessKeyTypeStandard', access_key_data: '', access_secret_type: 'AccessSecretTypeStandard', access_secret_data: '' },
};

interface HarborProject {
  name: string;
  metadata?: { public?: string };
}
interface HarborArtifact {
  digest: string;
  type?: string;
  tags?: { name: string }[] | null;
  labels?: { name: string }[] | null;
}

/** `a/b` inside `/projects/{p}/repositories/{r}`: Harbor wants the name URL-encoded twice. */
const repositoryPath = (name: string) => encodeURIComponent(encodeURIComponent(name));

/**
 * Harbor: lists projects → repositories → artifacts (with tags and labels) through its API,
 * creates missing projects before a push (copying `public`), and moves content through the
 * distribution API like any registry.
 */
export class HarborAdapter extends DockerRegistryAdapter {
  readonly #api: HarborApi;

  constructor(registry: Registry, deps: AdapterDeps) {
    super(registry, deps);
    this.#api = new HarborApi({ url: registry.url, credential: registry.credential, insecure: registry.insecure, timeoutMs: deps.requestTimeoutMs });
  }

  override async info(): Promise<RegistryInfo> {
    const labels = await this.#api
      .list<{ name: string }>('/labels?scope=g')
      .then((list) => list.map((l) => l.name))
      .catch(() => []);
    return { ...INFO, supported_resource_filters: INFO.supported_resource_filters.map((f) => (f.type === 'label' ? { ...f, values: labels } : f)) };
  }

  override async healthCheck(): Promise<'healthy' | 'unhealthy'> {
    try {
      await this.#api.call('GET', '/ping');
      await this.#api.call('GET', '/projects?page=1&page_size=1');
      return 'healthy';
    } catch {
      return 'unhealthy';
    }
  }

  /** Creates every missing destination project, public when the source's was. */
  override async prepareForPush(resources: readonly Resource[]): Promise<void> {
    const projects = new Map<string, boolean>();
    for (const resource of resources) {
      const name = resource.metadata.repository.name;
      const project = name.split('/')[0]!;
      const metadata = resource.metadata.repository.metadata as { public?: unknown } | undefined;
      const isPublic = metadata?.public === true || metadata?.public === 'true';
      projects.set(project, (projects.get(project) ?? false) || isPublic);
    }
    for (const [project, isPublic] of projects) {
      const found = await this.#api.call<unknown>('GET', `/projects/${encodeURIComponent(project)}`, { expect: [200, 404, 403] });
      if (found.status === 200) continue;
      await this.#api.call('POST', '/projects', { body: { project_name: project, metadata: { public: String(isPublic) } }, expect: [201, 409] });
    }
  }

  override async fetchArtifacts(filters: readonly Filter[], options: { signal?: AbortSignal } = {}): Promise<Resource[]> {
    const projects = await this.#api.list<HarborProject>('/projects', options.signal);
    const repositories = (
      await pMap(projects, async (project) => {
        const list = await this.#api.list<{ name: string }>(`/projects/${encodeURIComponent(project.name)}/repositories`, options.signal);
        return list.map((r) => ({ name: r.name, project }));
      }, { concurrency: 4 })
    )
      .flat()
      .filter((r) => repositoryMatches(filters, r.name));
    const resources = await pMap(repositories, async ({ name, project }) => {
      const inner = name.slice(project.name.length + 1);
      const artifacts = await this.#api.list<HarborArtifact>(
        `/projects/${encodeURIComponent(project.name)}/repositories/${repositoryPath(inner)}/artifacts?with_tag=true&with_label=true`,
        options.signal,
      );
      const candidates: ResourceArtifact[] = artifacts.map((a) => ({
        type: (a.type ?? 'image').toLowerCase(),
        digest: a.digest,
        tags: (a.tags ?? []).map((t) => t.name),
        labels: (a.labels ?? []).map((l) => l.name),
      }));
      const kept = filterArtifacts(filters, candidates);
      if (kept.length === 0) return [];
      const resource = toResource(this.registry, name, kept);
      resource.metadata.repository.metadata = { public: project.metadata?.public ?? 'false' };
      return [resource];
    }, { concurrency: 4 });
    return resources.flat();
  }

  /**
   * Harbor deletes one tag through its API (`DELETE …/artifacts/{tag}/tags/{tag}`), keeping
   * the artifact and its other tags, as Harbor's own adapter does; distribution's DELETE by
   * tag is not what Harbor offers.
   */
  override async deleteTag(repository: string, tag: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const slash = repository.indexOf('/');
    const project = repository.slice(0, slash);
    const rest = encodeURIComponent(encodeURIComponent(repository.slice(slash + 1)));
    const reference = encodeURIComponent(tag);
    await this.#api.call('DELETE', `/projects/${encodeURIComponent(project)}/repositories/${rest}/artifacts/${reference}/tags/${reference}`, { expect: [200, 404], signal: options.signal });
  }

  override async close(): Promise<void> {
    await super.close();
    await this.#api.close();
  }
}

export const harborFactory: AdapterFactory = {
  create: (registry, deps) => new HarborAdapter(registry, deps),
  pattern: () => PATTERN,
  info: () => INFO,
};
