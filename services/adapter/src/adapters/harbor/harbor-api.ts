import { Agent, request, type Dispatcher } from 'undici';
import { RegistryProtocolError, RegistryUnreachableError, RemoteRegistryError } from '../adapter.errors.js';
import type { RegistryCredential } from '../registry-credential.js';

/** Harbor's REST API v2.0 (`/api/v2.0`), with Basic credentials or a Harbor-Secret. */
export class HarborApi {
  readonly #base: string;
  readonly #authorization: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly pageSize: number;

  constructor(options: { url: string; credential?: RegistryCredential | undefined; insecure?: boolean | undefined; timeoutMs: number; pageSize?: number }) {
    this.#base = `${options.url.replace(/\/+$/, '')}/api/v2.0`;
    const credential = options.credential;
    this.#authorization =
      credential?.type === 'secret' && credential.access_secret
        ? `Harbor-Secret ${credential.access_secret}`
        : credential?.access_key
          ? `Basic ${Buffer.from(`${credential.access_key}:${credential.access_secret ?? ''}`).toString('base64')}`
          : undefined;
    this.#dispatcher = new Agent({ connect: { rejectUnauthorized: !options.insecure } });
    this.#timeoutMs = options.timeoutMs;
    this.pageSize = options.pageSize ?? 100;
  }

  async call<T>(method: string, path: string, options: { body?: unknown; expect?: readonly number[]; signal?: AbortSignal | undefined } = {}): Promise<{ status: number; value: T | undefined }> {
    const url = `${this.#base}${path}`;
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Is-Resource-Name': 'true' };
    if (this.#authorization) headers.Authorization = this.#authorization;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), ...(options.signal ? [options.signal] : [])]);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, { method: method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), dispatcher: this.#dispatcher, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new RegistryUnreachableError(`${this.#base}${path.split('?')[0]}`, error);
    }
    const text = await answer.body.text();
    const expected = options.expect ?? [200];
    if (!expected.includes(answer.statusCode)) {
      throw new RemoteRegistryError({ status: answer.statusCode, method, path: `/api/v2.0${path.split('?')[0]}` });
    }
    if (!text) return { status: answer.statusCode, value: undefined };
    try {
      return { status: answer.statusCode, value: JSON.parse(text) as T };
    } catch {
      throw new RegistryProtocolError(`/api/v2.0${path.split('?')[0]} did not answer JSON`);
    }
  }

  /** Every page of a list endpoint (`page`/`page_size`), until a short page. */
  async list<T>(path: string, signal?: AbortSignal): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const separator = path.includes('?') ? '&' : '?';
      const { value } = await this.call<T[]>('GET', `${path}${separator}page=${page}&page_size=${this.pageSize}`, { signal });
      const batch = value ?? [];
      items.push(...batch);
      if (batch.length < this.pageSize) return items;
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
