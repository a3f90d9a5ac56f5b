import type { GcJobParamsV1 } from '@wharf/contracts';
import { ServiceClient, type CallOptions, type RetryPolicy, type ServiceClientOptions } from '../service-client.js';
import { readiness } from './core.client.js';

/** A call on one repository's `/v2/<repository><path>`. */
export interface RegistryCallOptions {
  /** The Authorization of each attempt (a bearer token for the repository). */
  authorize: () => Promise<string>;
  headers?: Record<string, string>;
  body?: Buffer;
  retry?: RetryPolicy;
  attempts?: number;
}

/** Calls registry-facade: its /v2 API for core, garbage collection for jobservice, its health. */
export class RegistryFacadeClient {
  readonly #client: ServiceClient;

  constructor(options: Omit<ServiceClientOptions, 'service'> & { service?: string }) {
    this.#client = new ServiceClient({ service: 'the registry', ...options });
  }

  /** `method /v2/<repository><path>`: the raw answer (a 5xx once the attempts are spent). */
  v2(method: string, repository: string, path: string, options: RegistryCallOptions): Promise<Response> {
    const call: CallOptions = { authorize: options.authorize, headers: options.headers, rawBody: options.body, retry: options.retry, attempts: options.attempts };
    return this.#client.request(method, `/v2/${repository}${path}`, { accept: options.headers?.Accept ?? '*/*', ...call });
  }

  /** An error answer read back into the error table. */
  error(response: Response) {
    return this.#client.error(response);
  }

  /**
   * `POST /internal/gc` once, as long as it takes (the job's stop aborts it): the answer's
   * text. Throws a ServiceCallError for an error answer.
   */
  async collectGarbage(params: GcJobParamsV1, options: { signal: AbortSignal }): Promise<string> {
    const response = await this.#client.request('POST', '/internal/gc', { body: params, attempts: 1, timeoutMs: false, signal: options.signal });
    if (!response.ok) throw await this.#client.error(response);
    return response.text();
  }

  /** `GET /healthz`; throws unless the registry answered 2xx. */
  async health(): Promise<void> {
    await readiness(this.#client, '/healthz');
  }

  /** `GET /readyz`; throws unless the registry is ready. */
  async ready(): Promise<void> {
    await readiness(this.#client, '/readyz');
  }
}

/** The one client of registry-facade every caller uses. */
export function registryClient(options: ConstructorParameters<typeof RegistryFacadeClient>[0]): RegistryFacadeClient {
  return new RegistryFacadeClient(options);
}
