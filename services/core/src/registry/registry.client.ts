import { ApiError, parseEnvelope } from '@wharf/errors';
import { manifestMediaTypes } from '@wharf/oci';

export interface RegistryClientDeps {
  baseUrl: string;
  timeoutMs: number;
  /** A bearer token for core's own calls on one repository. */
  token: (repository: string, actions: readonly string[]) => Promise<string>;
  fetch?: typeof fetch;
  attempts?: number;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

const ACCEPT = manifestMediaTypes.join(', ');

/**
 * core's client of registry-facade: manifests, small blobs (configs), tags and deletes, with
 * a timeout on every call and retries with backoff for reads (and for deletes, which are
 * idempotent) when the registry is unreachable or answers 5xx.
 */
export class RegistryClient {
  readonly #deps: RegistryClientDeps;
  readonly #fetch: typeof fetch;

  constructor(deps: RegistryClientDeps) {
    this.#deps = deps;
    this.#fetch = deps.fetch ?? fetch;
  }

  /** The manifest for a tag or digest; undefined when the registry does not have it. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const response = await this.#request('GET', repository, `/manifests/${reference}`, ['pull'], { Accept: ACCEPT });
    if (response.status === 404) return undefined;
    await this.#expect(response, 200);
    const body = Buffer.from(await response.arrayBuffer());
    return { digest: response.headers.get('docker-content-digest') ?? '', mediaType: response.headers.get('content-type') ?? '', body };
  }

  /** The digest a tag or digest resolves to; undefined when unknown. */
  async resolve(repository: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const response = await this.#request('HEAD', repository, `/manifests/${reference}`, ['pull'], { Accept: ACCEPT });
    if (response.status === 404) return undefined;
    await this.#expect(response, 200);
    return {
      digest: response.headers.get('docker-content-digest') ?? '',
      mediaType: response.headers.get('content-type') ?? '',
      size: Number(response.headers.get('content-length') ?? 0),
    };
  }

  /** A small blob (an image config) read whole; undefined when unknown or larger than `maxBytes`. */
  async getSmallBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer | undefined> {
    const response = await this.#request('GET', repository, `/blobs/${digest}`, ['pull']);
    if (response.status === 404) return undefined;
    await this.#expect(response, 200);
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
      await response.body?.cancel();
      return undefined;
    }
    return Buffer.from(await response.arrayBuffer());
  }

  async putManifest(repository: string, reference: string, manifest: { mediaType: string; body: Buffer }): Promise<string> {
    const response = await this.#request('PUT', repository, `/manifests/${reference}`, ['pull', 'push'], { 'Content-Type': manifest.mediaType }, manifest.body, 1);
    await this.#expect(response, 201);
    return response.headers.get('docker-content-digest') ?? '';
  }

  /** Deletes a tag or a manifest; false when the registry did not have it. */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const response = await this.#request('DELETE', repository, `/manifests/${reference}`, ['delete']);
    if (response.status === 404) return false;
    await this.#expect(response, 202);
    return true;
  }

  async #request(
    method: string,
    repository: string,
    path: string,
    actions: readonly string[],
    headers: Record<string, string> = {},
    body?: Buffer,
    attempts = this.#deps.attempts ?? 3,
  ): Promise<Response> {
    const url = `${this.#deps.baseUrl}/v2/${repository}${path}`;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const token = await this.#deps.token(repository, actions);
        const response = await this.#fetch(url, {
          method,
          headers: { ...headers, Authorization: `Bearer ${token}` },
          body,
          signal: AbortSignal.timeout(this.#deps.timeoutMs),
        });
        if (response.status < 500 || attempt === attempts) return response;
        await response.body?.cancel();
        lastError = new ApiError('UNAVAILABLE', { message: `registry answered ${response.status}` });
      } catch (error) {
        lastError = error;
        if (attempt === attempts) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
    throw new ApiError('UNAVAILABLE', { message: `the registry cannot be reached: ${(lastError as Error).message}` });
  }

  async #expect(response: Response, status: number): Promise<void> {
    if (response.status === status) return;
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    throw parseEnvelope(response.status, body);
  }
}
