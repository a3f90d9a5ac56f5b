import type { Secret } from '@wharf/config';
import { ApiError, parseEnvelope } from '@wharf/errors';
import { readBody, ServiceClient, ServiceUnavailableError } from '@wharf/http-client';
import { z } from 'zod';
import {
  adapterDescriptorSchema,
  healthSchema,
  registryInfoSchema,
  resourceSchema,
  type AdapterDescriptor,
  type FetchedResource,
  type RegistryHealth,
  type RegistryInfo,
  type ReplicationFilter,
  type Resource,
  type WireRegistry,
} from './resource.schemas.js';

/**
 * core's port to the adapter service, the only service that talks to foreign registries
 * (Harbor's `reg.Adapter` behind an HTTP API). Errors are ApiErrors: the adapter's own
 * answers keep their code; an unreachable adapter, or one answering 5xx, is UNAVAILABLE.
 */
export interface AdapterClient {
  /** `GET /api/v1/adapters`: every registry type with its info and endpoint/credential pattern. */
  adapters(): Promise<AdapterDescriptor[]>;
  /** `POST /api/v1/registries/health`. */
  health(registry: WireRegistry): Promise<RegistryHealth>;
  /** `POST /api/v1/registries/info`. */
  info(registry: WireRegistry): Promise<RegistryInfo>;
  /** `POST /api/v1/resources`: the registry's resources passing the filters; `withSizes` asks for artifact sizes and blobs where the adapter can tell. */
  resources(registry: WireRegistry, filters: readonly ReplicationFilter[], options?: { withSizes?: boolean }): Promise<FetchedResource[]>;
  /** `POST /api/v1/registries/prepare`: creates the namespaces the resources need at the destination. */
  prepare(registry: WireRegistry, resources: readonly Resource[]): Promise<void>;
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

/** The adapter over fetch: a timeout on every call and retries with backoff on network errors and 5xx (every call is idempotent: reads, and a prepare that creates what is missing). */
export class HttpAdapterClient implements AdapterClient {
  readonly #client: ServiceClient;

  constructor(deps: HttpAdapterClientDeps) {
    this.#client = new ServiceClient({ service: 'the adapter service', ...deps });
  }

  async adapters(): Promise<AdapterDescriptor[]> {
    return this.#json('GET', '/api/v1/adapters', undefined, z.array(adapterDescriptorSchema));
  }

  async health(registry: WireRegistry): Promise<RegistryHealth> {
    return this.#json('POST', '/api/v1/registries/health', { registry }, healthSchema);
  }

  async info(registry: WireRegistry): Promise<RegistryInfo> {
    return this.#json('POST', '/api/v1/registries/info', { registry }, registryInfoSchema);
  }

  async resources(registry: WireRegistry, filters: readonly ReplicationFilter[], options: { withSizes?: boolean } = {}): Promise<FetchedResource[]> {
    const body = { registry, filters, ...(options.withSizes ? { with_sizes: true } : {}) };
    return this.#json('POST', '/api/v1/resources', body, z.array(resourceSchema).nullable().transform((v) => v ?? []));
  }

  async prepare(registry: WireRegistry, resources: readonly Resource[]): Promise<void> {
    const response = await this.#call('POST', '/api/v1/registries/prepare', { registry, resources });
    if (response.status !== 204 && response.status !== 200) throw await this.#error(response);
    await response.body?.cancel();
  }

  async #json<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.output<S>> {
    const response = await this.#call(method, path, body);
    if (response.status !== 200) throw await this.#error(response);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ApiError('UNKNOWN', { message: `the adapter service answered ${path} with an unexpected body`, status: 502, detail: parsed.error.issues.slice(0, 5) });
    }
    return parsed.data;
  }

  async #call(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      // Every call of this API is safe to repeat; a timeout may mean a large registry, and
      // asking again would only wait as long again.
      return await this.#client.request(method, path, { body, retry: 'no-timeout-retry' });
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new ApiError('UNAVAILABLE', { message: error.message, cause: error.cause });
      throw error;
    }
  }

  async #error(response: Response): Promise<ApiError> {
    const body = await readBody(response);
    if (response.status === 401 || response.status === 403) {
      return new ApiError('UNAVAILABLE', { message: 'the adapter service refused the suite secret', detail: { upstream_status: response.status } });
    }
    const parsed = parseEnvelope(response.status, body);
    if (response.status >= 500 && response.status !== 501 && parsed.code === 'UNKNOWN') {
      return new ApiError('UNAVAILABLE', { message: `the adapter service answered ${response.status}: ${parsed.message}`, detail: { upstream_status: response.status } });
    }
    // The remote registry refusing its credential is the request's problem, never the caller's own login.
    if (parsed.code === 'UNAUTHORIZED' || parsed.code === 'DENIED' || parsed.code === 'FORBIDDEN') {
      return new ApiError('BAD_REQUEST', { message: `the registry refused the request: ${parsed.message}`, detail: parsed.detail });
    }
    return parsed;
  }
}
