import { harborSecretHeader } from '@wharf/contracts';

/**
 * When a call is sent again: `idempotent` on network errors, timeouts and 5xx (but 501);
 * `no-timeout-retry` likewise except after a timeout; `refused-only` only when the
 * connection was refused (nothing reached the other side), and a 5xx is returned as is.
 */
export type RetryPolicy = 'idempotent' | 'no-timeout-retry' | 'refused-only';

export interface ServiceClientOptions {
  /** The called service's name, for messages (`jobservice`, `the adapter service`). */
  service: string;
  baseUrl: string;
  /** The suite's secret (anything with `reveal()`), sent as `Authorization: Harbor-Secret`. */
  secret: { reveal(): string };
  timeoutMs: number;
  /** Attempts per call (default 3). */
  attempts?: number;
  /** First backoff between attempts (default 200 ms), doubled after each. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** The call could not be completed: the service is unreachable, timed out, or kept answering 5xx. */
export class ServiceUnavailableError extends Error {
  readonly service: string;

  constructor(service: string, reason: string, options?: { cause?: unknown }) {
    super(`${service} cannot be reached: ${reason}`, options);
    this.name = 'ServiceUnavailableError';
    this.service = service;
  }
}

/** True when the connection was refused: nothing reached the other side, so any call may be sent again. */
export function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; errors?: unknown } } | undefined)?.cause;
  if (!cause) return false;
  if (cause.code === 'ECONNREFUSED') return true;
  const errors = cause.errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => (e as { code?: unknown }).code === 'ECONNREFUSED');
}

/** An answer's body: parsed JSON, or the text when it is not JSON. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Calls one of the suite's services (see the package README). */
export class ServiceClient {
  readonly #options: ServiceClientOptions;
  readonly #fetch: typeof fetch;
  readonly #baseUrl: string;

  constructor(options: ServiceClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Sends the call (JSON `body` when given) and returns the answer, a 5xx included once the
   * attempts are spent; throws ServiceUnavailableError when no answer came.
   */
  async request(method: string, path: string, options: { body?: unknown; retry?: RetryPolicy; accept?: string } = {}): Promise<Response> {
    const retry = options.retry ?? 'idempotent';
    const attempts = Math.max(1, this.#options.attempts ?? 3);
    const backoffMs = this.#options.backoffMs ?? 200;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const response = await this.#fetch(`${this.#baseUrl}${path}`, {
          method,
          headers: {
            Authorization: harborSecretHeader(this.#options.secret.reveal()),
            Accept: options.accept ?? 'application/json',
            ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        });
        if (response.status < 500 || response.status === 501 || retry === 'refused-only' || attempt === attempts) return response;
        await response.body?.cancel();
        lastError = new Error(`${this.#options.service} answered ${response.status}`);
      } catch (error) {
        lastError = error;
        const timedOut = (error as Error).name === 'TimeoutError';
        const again = retry === 'idempotent' || isConnectionRefused(error) || (retry === 'no-timeout-retry' && !timedOut);
        if (!again || attempt === attempts) break;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
    }
    const reason = lastError instanceof Error ? (lastError.name === 'TimeoutError' ? `no answer within ${this.#options.timeoutMs} ms` : lastError.message) : String(lastError);
    throw new ServiceUnavailableError(this.#options.service, reason, { cause: lastError });
  }
}
