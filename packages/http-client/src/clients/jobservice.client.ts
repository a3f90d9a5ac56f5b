import { JobStatsEnvelopeV1, type JobActionV1, type JobRequestV1, type JobStatsV1 } from '@wharf/contracts';
import { ApiError, parseEnvelope, type ErrorCode } from '@wharf/errors';
import { readBody, ServiceUnavailableError } from '../service-errors.js';
import { ServiceClient, type RetryPolicy, type ServiceClientOptions } from '../service-client.js';

/** A job as it is launched: jobservice's launch request (`{"job": …}`) content. */
export type JobLaunch = JobRequestV1['job'];

/** jobservice's error statuses without our envelope (Harbor's own `{code, message, details}` body). */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 409: 'CONFLICT', 422: 'UNPROCESSABLE_ENTITY', 501: 'UNSUPPORTED' };

/**
 * Turns one of jobservice's error answers into an ApiError: its own codes are kept
 * (BAD_REQUEST for an unknown job name or bad parameters, CONFLICT for a duplicate unique
 * job); a 5xx, or a refusal of the caller's secret, is UNAVAILABLE.
 */
export function jobServiceError(status: number, body: unknown): ApiError {
  if (status === 401 || status === 403) {
    return new ApiError('UNAVAILABLE', { message: 'jobservice refused the suite secret', detail: { upstream_status: status } });
  }
  if (status >= 500 && status !== 501) {
    return new ApiError('UNAVAILABLE', { message: `jobservice answered ${status}`, detail: { upstream_status: status } });
  }
  const parsed = parseEnvelope(status, body);
  if (parsed.code !== 'UNKNOWN') return parsed;
  const harbor = typeof body === 'object' && body !== null ? (body as { code?: unknown; message?: unknown; details?: unknown }) : undefined;
  const message = typeof harbor?.message === 'string' ? [harbor.message, typeof harbor.details === 'string' ? harbor.details : ''].filter(Boolean).join(': ') : parsed.message;
  return new ApiError(STATUS_CODES[status] ?? 'UNKNOWN', { message, status, detail: harbor?.code !== undefined ? { jobservice_code: harbor.code } : undefined });
}

/**
 * Calls jobservice's job API (Harbor's `src/common/job/client.go`). Errors are ApiErrors
 * (see jobServiceError); an unreachable jobservice is UNAVAILABLE. Reads and stops are
 * retried on network errors and 5xx; a submit only when the connection was refused (one
 * that may have reached jobservice is never repeated: it would launch the job twice).
 */
export class JobserviceClient {
  readonly #client: ServiceClient;

  constructor(options: Omit<ServiceClientOptions, 'service'> & { service?: string }) {
    this.#client = new ServiceClient({ service: 'jobservice', ...options });
  }

  /** `POST /api/v1/jobs`: the accepted job's stats (its id, its first status). */
  async submit(job: JobLaunch): Promise<JobStatsV1> {
    const response = await this.#call('refused-only', 'POST', '/api/v1/jobs', { job } satisfies JobRequestV1);
    if (response.status !== 202 && response.status !== 200 && response.status !== 201) throw await this.#error(response);
    return this.#stats(response);
  }

  /** `GET /api/v1/jobs/{id}`; undefined when jobservice does not know the job. */
  async get(jobId: string): Promise<JobStatsV1 | undefined> {
    const response = await this.#call('idempotent', 'GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`);
    if (response.status === 404) return this.#discard(response, undefined);
    if (response.status !== 200) throw await this.#error(response);
    return this.#stats(response);
  }

  /** `POST /api/v1/jobs/{id} {"action":"stop"}`; false when the job is already gone (404). */
  async stop(jobId: string): Promise<boolean> {
    const response = await this.#call('idempotent', 'POST', `/api/v1/jobs/${encodeURIComponent(jobId)}`, { action: 'stop' } satisfies JobActionV1);
    if (response.status === 404) return this.#discard(response, false);
    if (response.status !== 204 && response.status !== 200) throw await this.#error(response);
    return this.#discard(response, true);
  }

  /** `GET /api/v1/jobs/{id}/log` as text; undefined when there is no such job or log. */
  async log(jobId: string): Promise<string | undefined> {
    const response = await this.#call('idempotent', 'GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/log`, undefined, 'text/plain, application/json');
    if (response.status === 404) return this.#discard(response, undefined);
    if (response.status !== 200) throw await this.#error(response);
    return response.text();
  }

  async #call(retry: RetryPolicy, method: string, path: string, body?: unknown, accept?: string): Promise<Response> {
    try {
      return await this.#client.request(method, path, { body, retry, accept });
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new ApiError('UNAVAILABLE', { message: error.message, cause: error.cause });
      throw error;
    }
  }

  async #stats(response: Response): Promise<JobStatsV1> {
    return (await this.#client.read(response, '/api/v1/jobs', { expect: [response.status], schema: JobStatsEnvelopeV1 }).catch((error: unknown) => {
      if (error instanceof ApiError) throw error.withMessage('jobservice answered a body that is not JobStats');
      throw error;
    })).job;
  }

  async #error(response: Response): Promise<ApiError> {
    // jobservice's 401 is plain text; its other errors are JSON.
    return jobServiceError(response.status, await readBody(response));
  }

  async #discard<T>(response: Response, value: T): Promise<T> {
    await response.body?.cancel();
    return value;
  }
}

/** The one client of jobservice every caller uses. */
export function jobserviceClient(options: ConstructorParameters<typeof JobserviceClient>[0]): JobserviceClient {
  return new JobserviceClient(options);
}
