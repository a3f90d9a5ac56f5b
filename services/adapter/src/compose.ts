import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wharf/logging';
import { adapterFactories, createAdapter } from './adapters/registry.js';
import { RegistryHttpPool } from './adapters/distribution/registry-http-pool.js';
import type { AdapterDeps, Registry } from './adapters/registry-adapter.js';
import type { Config } from './config.js';
import { CopyService } from './copy/copy.service.js';
import { createMountHints, createUploadSessionStore } from './copy/upload-sessions.js';
import { RegistryService } from './registries/registry.service.js';
import { ReplicationService } from './replication/replication.service.js';

export interface Services {
  registries: RegistryService;
  replication: ReplicationService;
  copier: CopyService;
  adapterDeps: AdapterDeps;
  /** Closes the connections kept to registries. */
  close(): Promise<void>;
}

/** The services over the adapters, shared by the HTTP server and the wharf-sync CLI. */
export function createServices(options: { logger: Logger; registry: Config['registry']; copy: Config['copy'] }): Services {
  const httpPool = new RegistryHttpPool();
  const adapterDeps: AdapterDeps = { requestTimeoutMs: options.registry.requestTimeoutMs, idleTimeoutMs: options.registry.idleTimeoutMs, httpPool };
  const create = (registry: Registry) => createAdapter(registry, adapterDeps);
  const copier = new CopyService({
    logger: options.logger.child({ component: 'copy' }),
    policy: options.copy,
    blobConcurrency: options.copy.blobConcurrency,
    sessions: createUploadSessionStore(),
    mounts: createMountHints(),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
  });
  return {
    adapterDeps,
    copier,
    registries: new RegistryService({ factories: adapterFactories, createAdapter: create, adapterDeps, logger: options.logger }),
    replication: new ReplicationService({ copier, createAdapter: create, logger: options.logger.child({ component: 'replication' }) }),
    close: () => httpPool.close(),
  };
}
