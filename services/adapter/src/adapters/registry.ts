import { UnknownAdapterTypeError } from './adapter.errors.js';
import { dockerHubFactory } from './docker-hub/docker-hub.adapter.js';
import { dockerRegistryFactory } from './docker-registry/docker-registry.adapter.js';
import { harborFactory } from './harbor/harbor.adapter.js';
import type { AdapterDeps, AdapterFactory, Registry, RegistryAdapter } from './registry-adapter.js';

/** Every adapter, by Harbor's registry type: one line each, no registration on import. */
export const adapterFactories: Readonly<Record<string, AdapterFactory>> = {
  'docker-registry': dockerRegistryFactory,
  harbor: harborFactory,
  'docker-hub': dockerHubFactory,
};

export function createAdapter(registry: Registry, deps: AdapterDeps, factories: Readonly<Record<string, AdapterFactory>> = adapterFactories): RegistryAdapter {
  const factory = Object.hasOwn(factories, registry.type) ? factories[registry.type] : undefined;
  if (!factory) throw new UnknownAdapterTypeError(registry.type);
  return factory.create(registry, deps);
}
