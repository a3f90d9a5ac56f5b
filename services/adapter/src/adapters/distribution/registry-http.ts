import { Agent, request, type Dispatcher } from 'undici';
import { RegistryProtocolError, RegistryUnreachableError, RemoteRegistryError } from '../adapter.errors.js';
import type { RegistryCredential } from '../registry-credential.js';
import { parseChallenges } from './challenge.js';
import { TokenCache } from './token-cache.js';

export interface RegistryHttpOptions {
  /** The registry's base URL (scheme, host, port; a path prefix is kept). */
  baseUrl: string;
  credential?: RegistryCredential | undefined;
  insecure?: boolean;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** Where a `secret` credential fetches its tokens (Harbor's token_service_url); default `<baseUrl>/service/token`. */
  tokenServiceUrl?: string | undefined;
  /** Tokens shared with the other RegistryHttp of the same credential (default: its own). */
  tokens?: TokenCache | undefined;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL finally answered (after redirects). */
  url: string;
}

export interface SendOptions {
  method?: string;
  /** A path below the base URL, or an absolute URL (upload locations). */
  path: string;
  /** Token scopes the call needs (`repository:a/b:pull`). */
  scopes?: readonly string[];
  headers?: Record<string, string>;
  /** A buffer may be re-sent after a 401; a stream may not (its auth must already be known). */
  body?: Buffer | string | AsyncIterable<Uint8Array>;
  signal?: AbortSignal | undefined;
  /** Statuses that are answers, not errors (the rest throw RemoteRegistryError). */
  expect: readonly number[];
  /** Streams bodies: no overall deadline, only the idle timeout. */
  streaming?: boolean;
  /** Follow redirects (GET/HEAD of content; Authorization is dropped when the origin changes). */
  follow?: boolean;
}

type AuthState = { scheme: 'none' } | { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service: string | undefined };

/**
 * HTTP to one registry with its authentication: learns the challenge from `GET /v2/` once,
 * then sends Basic credentials or a Bearer token fetched from the realm (with the Basic
 * credentials, anonymously without) and cached per scope until shortly before it expires.
 */
export class RegistryHttp {
  readonly baseUrl: string;
  readonly #credential: RegistryCredential | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #requestTimeoutMs: number;
  readonly #tokenServiceUrl: string;
  #auth: Promise<AuthState> | undefined;
  readonly #tokens: TokenCache;

  constructor(options: RegistryHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#credential = options.credential;
    this.#tokenServiceUrl = options.tokenServiceUrl ?? `${this.baseUrl}/service/token`;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#tokens = options.tokens ?? new TokenCache();
    this.#dispatcher = new Agent({
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      connect: { rejectUnauthorized: !options.insecure, timeout: Math.min(options.requestTimeoutMs, 30_000) },
      keepAliveTimeout: 10_000,
    });
  }

  /** Sends a request, authenticating it; throws RemoteRegistryError for an unexpected status. */
  async send(options: SendOptions): Promise<HttpAnswer> {
    const auth = await this.#authState(options.signal);
    let answer = await this.#sendOnce(options, await this.#authorization(auth, options.scopes ?? [], options.signal, false));
    if (answer.status === 401 && isResendable(options.body)) {
      // A stale token, or a registry that challenges only some paths: learn again, once.
      await answer.body.dump();
      const fresh = await this.#relearn(answer.headers['www-authenticate']);
      answer = await this.#sendOnce(options, await this.#authorization(fresh, options.scopes ?? [], options.signal, true));
    }
    if (!options.expect.includes(answer.status)) throw await this.#errorOf(answer, options.method ?? 'GET');
    return answer;
  }

  /** A JSON answer's body. */
  async json<T>(options: Omit<SendOptions, 'expect'> & { expect?: readonly number[] }): Promise<{ value: T; answer: HttpAnswer }> {
    const answer = await this.send({ ...options, expect: options.expect ?? [200] });
    const text = await answer.body.text();
    try {
      return { value: JSON.parse(text) as T, answer };
    } catch {
      throw new RegistryProtocolError(`${pathOf(answer.url)} did not answer JSON`);
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** Whether /v2/ answers (200, or 401 with a challenge the credentials then satisfy). */
  async ping(signal?: AbortSignal): Promise<void> {
    const answer = await this.send({ path: '/v2/', expect: [200], signal });
    await answer.body.dump();
  }

  #authState(signal: AbortSignal | undefined): Promise<AuthState> {
    this.#auth ??= this.#learn(signal).catch((error: unknown) => {
      this.#auth = undefined;
      throw error;
    });
    return this.#auth;
  }

  async #learn(signal: AbortSignal | undefined): Promise<AuthState> {
    const answer = await this.#sendOnce({ path: '/v2/', expect: [], signal }, undefined);
    await answer.body.dump();
    if (answer.status !== 401) return { scheme: 'none' };
    return stateOf(answer.headers['www-authenticate']);
  }

  async #relearn(header: string | string[] | undefined): Promise<AuthState> {
    const previous = await this.#auth?.catch(() => undefined);
    if (previous?.scheme === 'bearer') this.#tokens.clear(this.#issuerOf(previous));
    const state = stateOf(header);
    this.#auth = Promise.resolve(state);
    if (state.scheme === 'bearer') this.#tokens.clear(this.#issuerOf(state));
    return state;
  }

  /**
   * Where a Bearer token comes from: the suite secret (the local Wharf) goes only to core's
   * token service at the address it was given (Harbor's token_service_url of the local
   * registry), never to the realm the challenge names: that is Wharf's external URL.
   */
  #tokenUrl(auth: { realm: string }): string {
    return this.#credential?.type === 'secret' ? this.#tokenServiceUrl : auth.realm;
  }

  #issuerOf(auth: { realm: string; service: string | undefined }): string {
    return `${this.#tokenUrl(auth)} ${auth.service ?? ''}`;
  }

  async #authorization(auth: AuthState, scopes: readonly string[], signal: AbortSignal | undefined, fresh: boolean): Promise<string | undefined> {
    const credential = this.#credential;
    if (auth.scheme === 'none') return undefined;
    if (auth.scheme === 'basic') return credentialOf(credential);
    const issuer = this.#issuerOf(auth);
    const cached = fresh ? undefined : this.#tokens.get(issuer, scopes);
    if (cached) return `Bearer ${cached}`;
    const url = new URL(this.#tokenUrl(auth));
    if (auth.service) url.searchParams.set('service', auth.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const own = credentialOf(credential);
    if (own) headers.Authorization = own;
    const answer = await this.#raw(url.toString(), { method: 'GET', headers, signal, timeoutMs: this.#requestTimeoutMs });
    const text = await answer.body.text();
    if (answer.status !== 200) {
      throw new RemoteRegistryError({ status: answer.status, method: 'GET', path: `${url.origin}${url.pathname}`, message: `token endpoint ${url.origin}${url.pathname} answered ${answer.status}` });
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new RegistryProtocolError(`token endpoint ${url.origin}${url.pathname} did not answer JSON`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryProtocolError(`token endpoint ${url.origin}${url.pathname} answered without a token`);
    // Docker's token spec: 60 s when unsaid; keep a margin for the requests in flight.
    const lifetimeMs = Math.max(10, parsed.expires_in ?? 60) * 1000;
    this.#tokens.set(issuer, scopes, token, Date.now() + lifetimeMs * 0.8);
    return `Bearer ${token}`;
  }

  async #sendOnce(options: SendOptions, authorization: string | undefined): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (authorization) headers.Authorization = authorization;
    let url = options.path.startsWith('http://') || options.path.startsWith('https://') ? options.path : `${this.baseUrl}${options.path}`;
    const method = options.method ?? 'GET';
    const timeoutMs = options.streaming ? undefined : this.#requestTimeoutMs;
    for (let hop = 0; ; hop++) {
      const answer = await this.#raw(url, { method, headers, body: options.body, signal: options.signal, timeoutMs });
      const location = answer.headers.location;
      if (!options.follow || hop >= 5 || ![301, 302, 303, 307, 308].includes(answer.status) || typeof location !== 'string') return answer;
      await answer.body.dump();
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) delete headers.Authorization;
      url = next.toString();
    }
  }

  async #raw(url: string, options: { method: string; headers: Record<string, string>; body?: SendOptions['body']; signal?: AbortSignal | undefined; timeoutMs?: number | undefined }): Promise<HttpAnswer> {
    const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    try {
      const answer = await request(url, {
        method: options.method,
        headers: options.headers,
        body: options.body as Dispatcher.DispatchOptions['body'],
        signal,
        dispatcher: this.#dispatcher,
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.body, url };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new RegistryUnreachableError(`${new URL(url).origin}${new URL(url).pathname}`, error);
    }
  }

  async #errorOf(answer: HttpAnswer, method: string): Promise<RemoteRegistryError> {
    let code: string | undefined;
    let message: string | undefined;
    if (method !== 'HEAD') {
      const text = await answer.body.text().catch(() => '');
      try {
        const envelope = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
        code = envelope.errors?.[0]?.code;
        message = envelope.errors?.[0]?.message;
      } catch {
        // not an error envelope
      }
    } else {
      await answer.body.dump().catch(() => undefined);
    }
    const path = pathOf(answer.url);
    return new RemoteRegistryError({
      status: answer.status,
      method,
      path,
      code,
      message: `${method} ${path} answered ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message.slice(0, 200)}` : ''}`,
    });
  }
}

function stateOf(header: string | string[] | undefined): AuthState {
  const challenges = parseChallenges(Array.isArray(header) ? header.join(', ') : header);
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  if (bearer?.params.realm) return { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
  if (challenges.some((c) => c.scheme === 'basic')) return { scheme: 'basic' };
  return { scheme: 'basic' };
}

/**
 * The Authorization a credential sends to a Basic challenge or a token realm: Harbor's
 * `secret` type (the local Wharf, reached with the suite secret) as `Harbor-Secret`, which
 * core's token service accepts; a key and secret as Basic; nothing without a key.
 */
function credentialOf(credential: RegistryCredential | undefined): string | undefined {
  if (credential?.type === 'secret') return credential.access_secret ? `Harbor-Secret ${credential.access_secret}` : undefined;
  if (!credential?.access_key) return undefined;
  return `Basic ${Buffer.from(`${credential.access_key}:${credential.access_secret ?? ''}`).toString('base64')}`;
}

function isResendable(body: SendOptions['body']): boolean {
  return body === undefined || typeof body === 'string' || Buffer.isBuffer(body);
}

/** A URL's origin and path, never its query (upload states, presigned signatures). */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export function headerOf(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
