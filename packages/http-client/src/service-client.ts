import { harborSecretHeader } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { currentRequestContext } from '@wharf/logging';
import type { z } from 'zod';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { isConnectionRefused, serviceCallError, ServiceUnavailableError } from './service-errors.js';

/**
 * When a call is sent again: `idempotent` on network errors, timeouts and 5xx (but 501);
 * `no-timeout-retry` likewise except after a timeout; `refused-only` only when the
 * connection was refused (nothing reached the other side), and a 5xx is returned as is.
 */
export type RetryPolicy = 'idempotent' | 'no-timeout-retry' | 'refused-only';

export interface ServiceClientOptions {
  /** The called service's name, for messages (`jobservice`, `the adapter service`). */
  service: string;
  /** Where paths are resolved; a call may also name an absolute URL (a status hook's). */
  baseUrl: string;
  /** The suite's secret (anything with `reveal()`), sent as `Authorization: Harbor-Secret` unless a call authorises itself. */
  secret?: { reveal(): string };
  timeoutMs: number;
  /** Attempts per call (default 3). */
  attempts?: number;
  /** First backoff ceiling between attempts (default 200 ms), doubled after each (see backoffDelay). */
  backoffMs?: number;
  /** Largest backoff ceiling (default 5 s). */
  maxBackoffMs?: number;
  fetch?: typeof fetch;
  /** An undici dispatcher (Agent) for the connections, passed to fetch as is. */
  dispatcher?: unknown;
  /** Randomness of the backoff (tests). */
  random?: () => number;
}

export interface CallOptions {
  /** A JSON body (sent with `Content-Type: application/json`). */
  body?: unknown;
  /** A body sent as is (bytes, text); give its `Content-Type` in `headers`. */
  rawBody?: Buffer | Uint8Array | string;
  headers?: Record<string, string>;
  accept?: string;
  retry?: RetryPolicy;
  /** Attempts of this call (default: the client's). */
  attempts?: number;
  /** This call's timeout (default: the client's); `false` for none. */
  timeoutMs?: number | false;
  /** The timeout covers only the wait for the answer's headers: the body is a stream read for as long as it flows. */
  stream?: boolean;
  /** Aborts the call (a job stopped); the abort is thrown as is, never retried. */
  signal?: AbortSignal;
  /** An Authorization computed per attempt (a token that may expire between attempts); replaces the secret. */
  authorize?: () => Promise<string>;
  /** The request id to pass on (default: the current request's, from the logging context). */
  requestId?: string;
  /** The W3C traceparent to pass on (default: the current request's, when it came with one). */
  traceparent?: string;
}

export interface JsonCallOptions<S extends z.ZodType> extends CallOptions {
  /** Statuses that are a success (default 200). */
  expect?: readonly number[];
  /** Validates the answer; without it the answer is returned unchecked. */
  schema?: S;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How one of the suite's services calls another (see the package README): the suite
 * secret, a timeout on every call, retries by the call's policy with the one backoff
 * (exponential, full jitter, capped), the caller's request id and trace passed on, and
 * error answers read back into the error table.
 */
export class ServiceClient {
  readonly service: string;
  readonly #options: ServiceClientOptions;
  readonly #fetch: typeof fetch;
  readonly #baseUrl: string;
  readonly #backoff: BackoffPolicy;

  constructor(options: ServiceClientOptions) {
    this.service = options.service;
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#backoff = { baseMs: options.backoffMs ?? 200, maxMs: options.maxBackoffMs ?? 5000 };
  }

  /** The absolute URL of a path of this service (an absolute URL is kept). */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${this.#baseUrl}${path}`;
  }

  /**
   * Sends the call and returns the answer, a 5xx included once the attempts are spent;
   * throws ServiceUnavailableError when no answer came, and the caller's abort as is.
   */
  async request(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const retry = options.retry ?? 'idempotent';
    const attempts = Math.max(1, options.attempts ?? this.#options.attempts ?? 3);
    const timeoutMs = options.timeoutMs === undefined ? this.#options.timeoutMs : options.timeoutMs;
    const url = this.url(path);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const timer = timeoutMs === false ? undefined : new AbortController();
      const timeout = timer ? setTimeout(() => timer.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs as number) : undefined;
      timeout?.unref();
      try {
        const signals = [timer?.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
        const init: RequestInit = {
          method,
          headers: await this.#headers(options),
          body: options.body !== undefined ? JSON.stringify(options.body) : options.rawBody,
          signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
        };
        if (this.#options.dispatcher !== undefined) Object.assign(init, { dispatcher: this.#options.dispatcher });
        const response = await this.#fetch(url, init);
        if (options.stream) clearTimeout(timeout);
        if (response.status < 500 || response.status === 501 || retry === 'refused-only' || attempt === attempts) return response;
        await response.body?.cancel();
        lastError = new Error(`${this.service} answered ${response.status}`);
      } catch (error) {
        clearTimeout(timeout);
        if (options.signal?.aborted) throw error;
        lastError = error;
        const timedOut = (error as Error).name === 'TimeoutError';
        const again = retry === 'idempotent' || isConnectionRefused(error) || (retry === 'no-timeout-retry' && !timedOut);
        if (!again || attempt === attempts) break;
      }
      await sleep(backoffDelay(attempt, this.#backoff, this.#options.random));
    }
    const reason = lastError instanceof Error ? (lastError.name === 'TimeoutError' ? `no answer within ${String(timeoutMs)} ms` : lastError.message) : String(lastError);
    throw new ServiceUnavailableError(this.service, reason, { cause: lastError, origin: new URL(url).origin });
  }

  /**
   * Sends the call and reads a JSON answer of an expected status, validated by `schema`
   * when given. Any other status is thrown as a ServiceCallError (the answer's code and
   * status); an answer the schema refuses is UNKNOWN (502).
   */
  async json<S extends z.ZodType>(method: string, path: string, options: JsonCallOptions<S> = {}): Promise<z.output<S>> {
    const response = await this.request(method, path, options);
    return this.read(response, path, options);
  }

  /** Reads an answer as `json()` does. */
  async read<S extends z.ZodType>(response: Response, path: string, options: Pick<JsonCallOptions<S>, 'expect' | 'schema'> = {}): Promise<z.output<S>> {
    if (!(options.expect ?? [200]).includes(response.status)) throw await this.error(response);
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!options.schema) return body as z.output<S>;
    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError('UNKNOWN', { message: `${this.service} answered ${path.split('?')[0]} with an unexpected body`, status: 502, detail: parsed.error.issues.slice(0, 5) });
    }
    return parsed.data;
  }

  /** An error answer (its body consumed) read back into the error table. */
  error(response: Response) {
    return serviceCallError(this.service, response);
  }

  async #headers(options: CallOptions): Promise<Record<string, string>> {
    const context = currentRequestContext();
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.authorize) headers.Authorization = await options.authorize();
    else if (this.#options.secret) headers.Authorization = harborSecretHeader(this.#options.secret.reveal());
    const requestId = options.requestId ?? context?.requestId;
    if (requestId) headers['X-Request-Id'] = requestId;
    const traceparent = options.traceparent ?? context?.traceparent;
    if (traceparent) headers.traceparent = traceparent;
    return { ...headers, ...options.headers };
  }
}
