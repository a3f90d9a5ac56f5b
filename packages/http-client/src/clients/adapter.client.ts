import {
  AdapterDescriptorV1,
  COPY_PROGRESS_MEDIA_TYPE,
  CopyProgressLineV1,
  RegistryHealthV1,
  RegistryInfoV1,
  ResourcesResultV1,
  type PrepareRequestV1,
  type RegistryEndpointV1Input,
  type ReplicationCopyRequestV1Input,
  type ReplicationDeleteRequestV1Input,
  type ReplicationFilterV1,
  type ResourcesRequestV1,
  type ResourceV1Input,
} from '@wharf/contracts';
import { ApiError, parseEnvelope } from '@wharf/errors';
import { z } from 'zod';
import { readBody, ServiceUnavailableError } from '../service-errors.js';
import { ServiceClient, type ServiceClientOptions } from '../service-client.js';

const SERVICE = 'the adapter service';

/**
 * An error answer of the adapter's registry API as an ApiError: its own codes are kept; a
 * refusal of the caller's secret, or a 5xx that is not the adapter's own error, is
 * UNAVAILABLE; a remote registry refusing its credential is the request's problem
 * (BAD_REQUEST), never the caller's own login.
 */
export function adapterError(status: number, body: unknown): ApiError {
  if (status === 401 || status === 403) {
    return new ApiError('UNAVAILABLE', { message: 'the adapter service refused the suite secret', detail: { upstream_status: status } });
  }
  const parsed = parseEnvelope(status, body);
  if (status >= 500 && status !== 501 && parsed.code === 'UNKNOWN') {
    return new ApiError('UNAVAILABLE', { message: `the adapter service answered ${status}: ${parsed.message}`, detail: { upstream_status: status } });
  }
  if (parsed.code === 'UNAUTHORIZED' || parsed.code === 'DENIED' || parsed.code === 'FORBIDDEN') {
    return new ApiError('BAD_REQUEST', { message: `the registry refused the request: ${parsed.message}`, detail: parsed.detail });
  }
  return parsed;
}

/**
 * Calls the adapter service, the only service that talks to foreign registries (Harbor's
 * `reg.Adapter` behind an HTTP API): its registry API (every call safe to repeat: reads,
 * and a prepare that creates what is missing) and the replication copy and delete, sent
 * once (the job's retry policy decides what is tried again).
 */
export class AdapterClient {
  readonly #client: ServiceClient;

  constructor(options: Omit<ServiceClientOptions, 'service'> & { service?: string }) {
    this.#client = new ServiceClient({ service: SERVICE, ...options });
  }

  /** `GET /api/v1/adapters`: every registry type with its info and endpoint/credential pattern. */
  adapters(): Promise<AdapterDescriptorV1[]> {
    return this.#json('GET', '/api/v1/adapters', undefined, z.array(AdapterDescriptorV1));
  }

  /** `POST /api/v1/registries/health`. */
  health(registry: RegistryEndpointV1Input): Promise<RegistryHealthV1> {
    return this.#json('POST', '/api/v1/registries/health', { registry }, RegistryHealthV1);
  }

  /** `POST /api/v1/registries/info`. */
  info(registry: RegistryEndpointV1Input): Promise<RegistryInfoV1> {
    return this.#json('POST', '/api/v1/registries/info', { registry }, RegistryInfoV1);
  }

  /** `POST /api/v1/resources`: the registry's resources passing the filters; `withSizes` asks for artifact sizes and blobs where the adapter can tell. */
  resources(registry: RegistryEndpointV1Input, filters: readonly ReplicationFilterV1[], options: { withSizes?: boolean } = {}): Promise<ResourcesResultV1> {
    const body: ResourcesRequestV1 = { registry, filters: [...filters], ...(options.withSizes ? { with_sizes: true } : {}) };
    return this.#json('POST', '/api/v1/resources', body, ResourcesResultV1);
  }

  /** `POST /api/v1/registries/prepare`: creates the namespaces the resources need at the destination. */
  async prepare(registry: RegistryEndpointV1Input, resources: readonly ResourceV1Input[]): Promise<void> {
    const body: PrepareRequestV1 = { registry, resources: [...resources] };
    const response = await this.#call(() => this.#client.request('POST', '/api/v1/registries/prepare', { body, retry: 'no-timeout-retry' }));
    if (response.status !== 204 && response.status !== 200) throw adapterError(response.status, await readBody(response));
    await response.body?.cancel();
  }

  /**
   * `POST /api/v1/replications/copy` with its NDJSON progress answer: yields each line
   * (progress lines, then a result or an error line), for as long as the copy takes (the
   * signal stops it). An error answer is thrown as a ServiceCallError; an answer that
   * breaks off, as an outage (the connection's error as its cause).
   */
  async *copy(params: ReplicationCopyRequestV1Input, options: { signal: AbortSignal }): AsyncGenerator<CopyProgressLineV1> {
    const response = await this.#client.request('POST', '/api/v1/replications/copy', {
      body: params,
      accept: COPY_PROGRESS_MEDIA_TYPE,
      attempts: 1,
      stream: true,
      signal: options.signal,
    });
    if (!response.ok || !response.body) throw await this.#client.error(response);
    const reader = response.body.pipeThrough(new TextDecoderStream())[Symbol.asyncIterator]();
    let buffered = '';
    try {
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await reader.next();
        } catch (error) {
          if (options.signal.aborted) throw error;
          // The connection broke off mid-copy (the adapter restarted, say): an outage.
          throw new Error(`the adapter's copy answer broke off: ${(error as Error).message}`, { cause: error });
        }
        if (next.done) return;
        buffered += next.value;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const text = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!text) continue;
          const line = CopyProgressLineV1.safeParse(JSON.parse(text));
          if (line.success) yield line.data;
        }
      }
    } finally {
      // Done early (a result or an error line, a failed check-in): the rest of the answer is not read.
      await reader.return?.().catch(() => undefined);
    }
  }

  /** `POST /api/v1/replications/delete` once: the answer's text; an error answer is thrown as a ServiceCallError. */
  async delete(params: ReplicationDeleteRequestV1Input, options: { signal: AbortSignal }): Promise<string> {
    const response = await this.#client.request('POST', '/api/v1/replications/delete', { body: params, attempts: 1, timeoutMs: false, signal: options.signal });
    if (!response.ok) throw await this.#client.error(response);
    return response.text();
  }

  async #json<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.output<S>> {
    // Every call of this API is safe to repeat; a timeout may mean a large registry, and
    // asking again would only wait as long again.
    const response = await this.#call(() => this.#client.request(method, path, { body, retry: 'no-timeout-retry' }));
    if (response.status !== 200) throw adapterError(response.status, await readBody(response));
    return this.#client.read(response, path, { schema });
  }

  async #call(send: () => Promise<Response>): Promise<Response> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new ApiError('UNAVAILABLE', { message: error.message, cause: error.cause });
      throw error;
    }
  }
}

/** The one client of adapter every caller uses. */
export function adapterClient(options: ConstructorParameters<typeof AdapterClient>[0]): AdapterClient {
  return new AdapterClient(options);
}
