import {
  REGISTRY_ACCESS_PATH,
  REGISTRY_ACCESS_RELAYED_HEADERS,
  REGISTRY_EVENTS_MEDIA_TYPE,
  RegistryEventsResultV1,
  type JobStatusHookV1,
  type RegistryAccessDecisionV1,
  type RegistryAccessRequestV1,
  type RegistryEventsV1,
} from '@wharf/contracts';
import { ServiceClient, type ServiceClientOptions } from '../service-client.js';

/** core's answer to a status hook: `ok` exactly for a 200 (Harbor's hook client); otherwise its status and text. */
export type HookAnswer = { ok: true } | { ok: false; status?: number; message: string };

/** Calls core's internal endpoints: the proxy's registry access check, registry events, status hooks, readiness. */
export class CoreClient {
  readonly #client: ServiceClient;

  constructor(options: Omit<ServiceClientOptions, 'service'> & { service?: string }) {
    this.#client = new ServiceClient({ service: 'core', ...options });
  }

  /**
   * `POST /service/internal/registry-access`: may this registry request go on? 204 allows it;
   * another answer is the client's refusal to relay. Throws a ServiceCallError when core
   * refused the caller itself (a 401 without a Bearer challenge: the secret) or failed
   * (5xx), and ServiceUnavailableError when it could not be asked.
   */
  async registryAccess(request: RegistryAccessRequestV1, options: { requestId?: string; attempts?: number } = {}): Promise<RegistryAccessDecisionV1> {
    const answer = await this.#client.request('POST', REGISTRY_ACCESS_PATH, { body: request, retry: 'idempotent', attempts: options.attempts, requestId: options.requestId });
    if (answer.status === 204) {
      await answer.body?.cancel();
      return { allowed: true };
    }
    // The gate's own 401s always carry their Bearer challenge; one without is core refusing the caller.
    if ((answer.status === 401 && !answer.headers.has('www-authenticate')) || answer.status >= 500) throw await this.#client.error(answer);
    const headers: Record<string, string> = {};
    for (const name of REGISTRY_ACCESS_RELAYED_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return { allowed: false, status: answer.status, headers, body: Buffer.from(await answer.arrayBuffer()) };
  }

  /**
   * Posts a batch of registry events (`POST /service/notifications`, or the receiver `url`
   * configured) once: the sender's outbox does the retrying. Returns the receiver's result,
   * undefined when its 2xx body is not one (the whole batch is acknowledged); throws on
   * anything but a 2xx.
   */
  async registryEvents(batch: RegistryEventsV1, options: { url?: string } = {}): Promise<RegistryEventsResultV1 | undefined> {
    const answer = await this.#client.request('POST', options.url ?? '/service/notifications', {
      rawBody: JSON.stringify(batch),
      headers: { 'Content-Type': REGISTRY_EVENTS_MEDIA_TYPE },
      attempts: 1,
    });
    if (answer.status < 200 || answer.status >= 300) throw await this.#client.error(answer);
    const text = await answer.text().catch(() => '');
    try {
      const parsed = RegistryEventsResultV1.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Posts one status hook to the job's `status_hook` URL once (the hook sender's queue does the retrying). */
  async statusHook(url: string, payload: JobStatusHookV1): Promise<HookAnswer> {
    try {
      const response = await this.#client.request('POST', url, { body: payload, attempts: 1 });
      const text = await response.text().catch(() => '');
      if (response.status === 200) return { ok: true };
      return { ok: false, status: response.status, message: `HTTP ${response.status}: ${text.slice(0, 300)}` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  /** `GET /readyz`; throws unless core is ready. */
  async ready(): Promise<void> {
    await readiness(this.#client, '/readyz');
  }
}

/** Asks a service's health or readiness path once; throws unless it answered 2xx. */
export async function readiness(client: ServiceClient, path: string): Promise<void> {
  const response = await client.request('GET', path, { attempts: 1 });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`answered ${response.status}`);
}

/** The one client of core every caller uses. */
export function coreClient(options: ConstructorParameters<typeof CoreClient>[0]): CoreClient {
  return new CoreClient(options);
}
