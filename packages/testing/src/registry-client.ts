import type { TestBlob, TestImage } from './oci-images.js';

export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
}

/** A small OCI client over fetch for tests: every call returns the raw answer, nothing is hidden. */
export class TestRegistryClient {
  readonly baseUrl: string;
  #token: string | undefined;

  constructor(baseUrl: string, options: { token?: string } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#token = options.token;
  }

  withToken(token: string | undefined): TestRegistryClient {
    return new TestRegistryClient(this.baseUrl, { token });
  }

  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RegistryResponse> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    const response = await fetch(path.startsWith('http') ? path : `${this.baseUrl}${path}`, {
      method,
      headers,
      body: init.body,
      redirect: 'manual',
    });
    const body = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      headers: response.headers,
      body,
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  }

  /** POST a session, then PUT the whole blob with its digest. */
  async pushBlob(repository: string, blob: { bytes: Buffer; digest: string }): Promise<RegistryResponse> {
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    if (start.status !== 202) return start;
    const location = start.headers.get('location')!;
    const separator = location.includes('?') ? '&' : '?';
    return this.request('PUT', `${location}${separator}digest=${encodeURIComponent(blob.digest)}`, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob.bytes,
    });
  }

  async pushManifest(repository: string, reference: string, manifest: TestBlob): Promise<RegistryResponse> {
    return this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
    });
  }

  /** Pushes every blob of the image, then its manifest under `reference`. Throws on any refusal. */
  async pushImage(repository: string, image: Pick<TestImage, 'config' | 'layers' | 'manifest'>, reference: string): Promise<void> {
    for (const blob of [image.config, ...image.layers]) {
      const pushed = await this.pushBlob(repository, blob);
      if (pushed.status !== 201) throw new Error(`blob push answered ${pushed.status}: ${pushed.body.toString()}`);
    }
    const manifest = await this.pushManifest(repository, reference, image.manifest);
    if (manifest.status !== 201) throw new Error(`manifest push answered ${manifest.status}: ${manifest.body.toString()}`);
  }
}
