import { ApiError } from '@wharf/errors';
import { RegistryFacadeClient, ServiceUnavailableError } from '@wharf/http-client';
import { manifestMediaTypes } from '@wharf/oci';

export interface RegistryClientDeps {
  baseUrl: string;
  timeoutMs: number;
  /** A bearer token for core's own calls on one repository. */
  token: (repository: string, actions: readonly string[]) => Promise<string>;
  fetch?: typeof fetch;
  attempts?: number;
  /** Told after core itself changed a repository's manifests or tags (every replica's read cache forgets it). */
  onChange?: (repository: string) => Promise<void>;
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
  readonly #client: RegistryFacadeClient;

  constructor(deps: RegistryClientDeps) {
    this.#deps = deps;
    this.#client = new RegistryFacadeClient({ baseUrl: deps.baseUrl, timeoutMs: deps.timeoutMs, attempts: deps.attempts, fetch: deps.fetch });
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
    await this.#deps.onChange?.(repository);
    return response.headers.get('docker-content-digest') ?? '';
  }

  /** Deletes a tag or a manifest; false when the registry did not have it. */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const response = await this.#request('DELETE', repository, `/manifests/${reference}`, ['delete']);
    if (response.status === 404) return false;
    await this.#expect(response, 202);
    await this.#deps.onChange?.(repository);
    return true;
  }

  async #request(
    method: string,
    repository: string,
    path: string,
    actions: readonly string[],
    headers: Record<string, string> = {},
    body?: Buffer,
    attempts?: number,
  ): Promise<Response> {
    try {
      return await this.#client.v2(method, repository, path, {
        authorize: async () => `Bearer ${await this.#deps.token(repository, actions)}`,
        headers,
        body,
        attempts,
      });
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new ApiError('UNAVAILABLE', { message: error.message, cause: error.cause });
      throw error;
    }
  }

  async #expect(response: Response, status: number): Promise<void> {
    if (response.status === status) return;
    throw await this.#client.error(response);
  }
}
