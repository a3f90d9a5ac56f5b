import type { Logger } from '@wharf/logging';
import { CapabilityMissingError } from '../adapters/adapter.errors.js';
import { isArtifactSource, type AdapterDeps, type AdapterFactory, type AdapterPattern, type Registry, type RegistryAdapter, type RegistryInfo, type Resource } from '../adapters/registry-adapter.js';
import type { ReplicationFilterV1 as Filter } from '@wharf/contracts';

export interface RegistryServiceDeps {
  factories: Readonly<Record<string, AdapterFactory>>;
  createAdapter: (registry: Registry) => RegistryAdapter;
  adapterDeps: AdapterDeps;
  logger: Logger;
}

/** What core asks about a registry: the adapter types, health, info, its artifacts, and push preparation. */
export class RegistryService {
  readonly #deps: RegistryServiceDeps;

  constructor(deps: RegistryServiceDeps) {
    this.#deps = deps;
  }

  adapters(): { type: string; info: RegistryInfo; pattern: AdapterPattern }[] {
    return Object.entries(this.#deps.factories).map(([type, factory]) => ({ type, info: factory.info(), pattern: factory.pattern() }));
  }

  async health(registry: Registry): Promise<{ status: 'healthy' | 'unhealthy'; detail: string }> {
    return this.#with(registry, async (adapter) => {
      const status = await adapter.healthCheck();
      return { status, detail: status === 'healthy' ? 'the registry answered and accepted the credentials' : 'the registry did not answer or refused the credentials' };
    });
  }

  info(registry: Registry): Promise<RegistryInfo> {
    return this.#with(registry, (adapter) => adapter.info());
  }

  resources(registry: Registry, filters: readonly Filter[], signal?: AbortSignal): Promise<Resource[]> {
    return this.#with(registry, async (adapter) => {
      if (!isArtifactSource(adapter)) throw new CapabilityMissingError(registry.type, 'a source');
      return adapter.fetchArtifacts(filters, { signal });
    });
  }

  prepare(registry: Registry, resources: readonly Resource[]): Promise<void> {
    return this.#with(registry, (adapter) => adapter.prepareForPush(resources));
  }

  async #with<T>(registry: Registry, work: (adapter: RegistryAdapter) => Promise<T>): Promise<T> {
    const adapter = this.#deps.createAdapter(registry);
    try {
      return await work(adapter);
    } finally {
      await adapter.close?.();
    }
  }
}
