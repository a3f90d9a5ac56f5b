import type { Secret } from '@wharf/config';
import { JobStatsEnvelopeV1, type JobRequestV1, type JobStatsV1 } from '@wharf/contracts';
import { ApiError, parseEnvelope, type ErrorCode } from '@wharf/errors';
import { readBody, ServiceClient, ServiceUnavailableError, type RetryPolicy } from '@wharf/http-client';

/** A job as core launches it: jobservice's launch request (`{"job": …}`) content. */
export type JobLaunch = JobRequestV1['job'];

/**
 * core's port to jobservice (Harbor's `src/common/job/client.go`). Errors are ApiErrors:
 * jobservice's own error answers keep their code (BAD_REQUEST for an unknown job name or
 * bad parameters, CONFLICT for a duplicate unique job); an unreachable jobservice, one
 * answering 5xx, or one refusing core's secret is UNAVAILABLE.
 */
export interface JobServiceClient {
  /** `POST /api/v1/jobs`: the accepted job's stats (its id, its first status). */
  submit(job: JobLaunch): Promise<JobStatsV1>;
  /** `GET /api/v1/jobs/{id}`; undefined when jobservice does not know the job. */
  get(jobId: string): Promise<JobStatsV1 | undefined>;
  /** `POST /api/v1/jobs/{id} {"action":"stop"}`; false when the job is already gone (404). */
  stop(jobId: string): Promise<boolean>;
  /** `GET /api/v1/jobs/{id}/log` as text; undefined when there is no such job or log. */
  log(jobId: string): Promise<string | undefined>;
}

export interface HttpJobServiceClientDeps {
  /** jobservice's base URL, without `/api/v1`. */
  baseUrl: string;
  /** The suite's secret, sent as `Authorization: Harbor-Secret <secret>`. */
  secret: Secret;
  timeoutMs: number;
  /** Attempts of an idempotent call (default 3); a submit is sent again only when the connection was refused. */
  attempts?: number;
  /** First backoff between attempts (default 200 ms), doubled after each. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** jobservice's error statuses without our envelope (Harbor's own `{code, message, details}` body). */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 409: 'CONFLICT', 422: 'UNPROCESSABLE_ENTITY', 501: 'UNSUPPORTED' };

/** Turns one of jobservice's error answers into an ApiError. */
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
 * The jobservice client over fetch: a timeout on every call, retries with backoff for
 * idempotent calls (GET, stop) on network errors and 5xx, and for a submit only when the
 * connection was refused (a submit that may have reached jobservice is never repeated:
 * it would launch the job twice).
 */
export class HttpJobServiceClient implements JobServiceClient {
  readonly #client: ServiceClient;

  constructor(deps: HttpJobServiceClientDeps) {
    this.#client = new ServiceClient({ service: 'jobservice', ...deps });
  }

  async submit(job: JobLaunch): Promise<JobStatsV1> {
    const response = await this.#call('refused-only', 'POST', '/api/v1/jobs', { job });
    if (response.status !== 202 && response.status !== 200 && response.status !== 201) throw await this.#error(response);
    return this.#stats(response);
  }

  async get(jobId: string): Promise<JobStatsV1 | undefined> {
    const response = await this.#call('idempotent', 'GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`);
    if (response.status === 404) return this.#discard(response, undefined);
    if (response.status !== 200) throw await this.#error(response);
    return this.#stats(response);
  }

  async stop(jobId: string): Promise<boolean> {
    const response = await this.#call('idempotent', 'POST', `/api/v1/jobs/${encodeURIComponent(jobId)}`, { action: 'stop' });
    if (response.status === 404) return this.#discard(response, false);
    if (response.status !== 204 && response.status !== 200) throw await this.#error(response);
    return this.#discard(response, true);
  }

  async log(jobId: string): Promise<string | undefined> {
    const response = await this.#call('idempotent', 'GET', `/api/v1/jobs/${encodeURIComponent(jobId)}/log`);
    if (response.status === 404) return this.#discard(response, undefined);
    if (response.status !== 200) throw await this.#error(response);
    return response.text();
  }

  async #call(retry: RetryPolicy, method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await this.#client.request(method, path, { body, retry });
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new ApiError('UNAVAILABLE', { message: error.message, cause: error.cause });
      throw error;
    }
  }

  async #stats(response: Response): Promise<JobStatsV1> {
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = JobStatsEnvelopeV1.safeParse(body);
    if (!parsed.success) {
      throw new ApiError('UNKNOWN', { message: 'jobservice answered a body that is not JobStats', status: 502, detail: parsed.error.issues.slice(0, 5) });
    }
    return parsed.data.job;
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
