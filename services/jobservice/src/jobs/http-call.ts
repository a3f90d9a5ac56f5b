import { harborSecretHeader } from '@wharf/contracts';
import { PermanentJobError } from './job.js';

/** A non-2xx answer of a service a job called. */
export class ServiceCallError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'ServiceCallError';
    this.status = status;
  }
}

/** POSTs JSON with the suite's secret, honouring the job's abort signal; returns the answer's text. */
export async function postJson(url: string, body: unknown, options: { secret: string; signal: AbortSignal }): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: harborSecretHeader(options.secret) },
      body: JSON.stringify(body),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw new Error(`cannot reach ${new URL(url).origin}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (response.ok) return text;
  const message = `${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 500)}`;
  // 4xx (bar 408/429) will not change on a retry.
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw new PermanentJobError(message, { cause: new ServiceCallError(message, response.status) });
  }
  throw new ServiceCallError(message, response.status);
}
