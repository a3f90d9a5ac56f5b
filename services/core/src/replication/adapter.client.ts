import type { Secret } from '@wharf/config';
import type {
  AdapterDescriptorV1,
  RegistryEndpointV1Input,
  RegistryHealthV1,
  RegistryInfoV1,
  ReplicationFilterV1,
  ResourceV1,
  ResourceV1Input,
} from '@wharf/contracts';
import { AdapterClient as SuiteAdapterClient } from '@wharf/http-client';

/**
 * core's port to the adapter service, the only service that talks to foreign registries
 * (Harbor's `reg.Adapter` behind an HTTP API). Errors are ApiErrors: the adapter's own
 * answers keep their code; an unreachable adapter, or one answering 5xx, is UNAVAILABLE.
 */
export interface AdapterClient {
  /** `GET /api/v1/adapters`: every registry type with its info and endpoint/credential pattern. */
  adapters(): Promise<AdapterDescriptorV1[]>;
  /** `POST /api/v1/registries/health`. */
  health(registry: RegistryEndpointV1Input): Promise<RegistryHealthV1>;
  /** `POST /api/v1/registries/info`. */
  info(registry: RegistryEndpointV1Input): Promise<RegistryInfoV1>;
  /** `POST /api/v1/resources`: the registry's resources passing the filters; `withSizes` asks for artifact sizes and blobs where the adapter can tell. */
  resources(registry: RegistryEndpointV1Input, filters: readonly ReplicationFilterV1[], options?: { withSizes?: boolean }): Promise<ResourceV1[]>;
  /** `POST /api/v1/registries/prepare`: creates the namespaces the resources need at the destination. */
  prepare(registry: RegistryEndpointV1Input, resources: readonly ResourceV1Input[]): Promise<void>;
}

export interface HttpAdapterClientDeps {
  baseUrl: string;
  secret: Secret;
  timeoutMs: number;
  /** Attempts per call (default 3); every call of this API is safe to repeat. */
  attempts?: number;
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** core's adapter port over the suite's one adapter client (@wharf/http-client). */
export class HttpAdapterClient extends SuiteAdapterClient implements AdapterClient {
  constructor(deps: HttpAdapterClientDeps) {
    super(deps);
  }
}
