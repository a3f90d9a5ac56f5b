import { digestOf, manifestMediaTypes, MediaType } from '@wharf/oci';
import { RegistryProtocolError } from '../adapter.errors.js';
import type { BlobStream, ManifestContent, ManifestHead, UploadSession } from '../registry-adapter.js';
import { nextLink } from './link.js';
import { headerOf, type HttpAnswer, type RegistryHttp } from './registry-http.js';

const ACCEPT_MANIFESTS = [...manifestMediaTypes, MediaType.DockerSchema1Signed].join(', ');

const pull = (repository: string) => `repository:${repository}:pull`;
const push = (repository: string) => `repository:${repository}:pull,push`;
const encode = (repository: string) => repository.split('/').map(encodeURIComponent).join('/');

interface Signal {
  signal?: AbortSignal | undefined;
}

/**
 * The OCI Distribution API of one registry: catalog and tags with Link pagination,
 * manifests, blobs, resumable uploads and cross-repository mounts. Adapters compose it.
 */
export class DistributionClient {
  readonly http: RegistryHttp;
  /** Where blobs are read, written and mounted: `http` unless the registry serves blobs elsewhere. */
  readonly blobHttp: RegistryHttp;
  readonly pageSize: number;

  constructor(deps: { http: RegistryHttp; blobHttp?: RegistryHttp; pageSize?: number }) {
    this.http = deps.http;
    this.blobHttp = deps.blobHttp ?? deps.http;
    this.pageSize = deps.pageSize ?? 100;
  }

  async close(): Promise<void> {
    await this.http.close();
    if (this.blobHttp !== this.http) await this.blobHttp.close();
  }

  async catalog(options: Signal = {}): Promise<string[]> {
    const names: string[] = [];
    let path: string | undefined = `/v2/_catalog?n=${this.pageSize}`;
    while (path) {
      const { value, answer }: { value: { repositories?: string[] | null }; answer: HttpAnswer } = await this.http.json({ path, scopes: ['registry:catalog:*'], signal: options.signal });
      names.push(...(value.repositories ?? []));
      path = nextLink(headerOf(answer, 'link'), answer.url);
    }
    return names;
  }

  async listTags(repository: string, options: Signal = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${encode(repository)}/tags/list?n=${this.pageSize}`;
    while (path) {
      const { value, answer }: { value: { tags?: string[] | null }; answer: HttpAnswer } = await this.http.json({ path, scopes: [pull(repository)], signal: options.signal });
      tags.push(...(value.tags ?? []));
      path = nextLink(headerOf(answer, 'link'), answer.url);
    }
    return tags;
  }

  async headManifest(repository: string, reference: string, options: Signal = {}): Promise<ManifestHead | undefined> {
    const answer = await this.http.send({
      method: 'HEAD',
      path: `/v2/${encode(repository)}/manifests/${reference}`,
      scopes: [pull(repository)],
      headers: { Accept: ACCEPT_MANIFESTS },
      expect: [200, 404],
      signal: options.signal,
    });
    await answer.body.dump();
    if (answer.status === 404) return undefined;
    const digest = headerOf(answer, 'docker-content-digest');
    if (!digest) {
      // Some registries omit the digest on HEAD: read the manifest instead.
      const content = await this.pullManifest(repository, reference, options);
      return { digest: content.digest, mediaType: content.mediaType, size: content.bytes.byteLength };
    }
    return { digest, mediaType: (headerOf(answer, 'content-type') ?? '').split(';')[0]!.trim(), size: Number(headerOf(answer, 'content-length') ?? 0) };
  }

  async pullManifest(repository: string, reference: string, options: Signal = {}): Promise<ManifestContent> {
    const answer = await this.http.send({
      path: `/v2/${encode(repository)}/manifests/${reference}`,
      scopes: [pull(repository)],
      headers: { Accept: ACCEPT_MANIFESTS },
      expect: [200],
      signal: options.signal,
    });
    const bytes = Buffer.from(await answer.body.arrayBuffer());
    const digest = reference.includes(':') ? reference : digestOf(bytes);
    const declared = headerOf(answer, 'docker-content-digest');
    if (declared && declared !== digest && declared.startsWith('sha256:')) {
      throw new RegistryProtocolError(`manifest ${repository}@${reference}: the registry's digest ${declared} does not match its content`);
    }
    let mediaType = (headerOf(answer, 'content-type') ?? '').split(';')[0]!.trim();
    try {
      const field = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
      if (typeof field === 'string') mediaType = field;
    } catch {
      throw new RegistryProtocolError(`manifest ${repository}@${reference} is not JSON`);
    }
    return { mediaType, digest, bytes };
  }

  async pushManifest(repository: string, reference: string, manifest: { mediaType: string; bytes: Buffer }, options: Signal = {}): Promise<string> {
    const answer = await this.http.send({
      method: 'PUT',
      path: `/v2/${encode(repository)}/manifests/${reference}`,
      scopes: [push(repository)],
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      expect: [200, 201, 202],
      signal: options.signal,
    });
    await answer.body.dump();
    return headerOf(answer, 'docker-content-digest') ?? '';
  }

  async deleteManifest(repository: string, reference: string, options: Signal = {}): Promise<void> {
    const answer = await this.http.send({
      method: 'DELETE',
      path: `/v2/${encode(repository)}/manifests/${reference}`,
      scopes: [`repository:${repository}:delete`, push(repository)],
      expect: [200, 202, 204, 404],
      signal: options.signal,
    });
    await answer.body.dump();
  }

  async blobExists(repository: string, digest: string, options: Signal = {}): Promise<boolean> {
    const answer = await this.blobHttp.send({ method: 'HEAD', path: `/v2/${encode(repository)}/blobs/${digest}`, scopes: [pull(repository)], expect: [200, 404], signal: options.signal, follow: true });
    await answer.body.dump();
    return answer.status === 200;
  }

  async pullBlob(repository: string, digest: string, options: Signal & { offset?: number } = {}): Promise<BlobStream> {
    const offset = options.offset ?? 0;
    const answer = await this.blobHttp.send({
      path: `/v2/${encode(repository)}/blobs/${digest}`,
      scopes: [pull(repository)],
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      expect: [200, 206],
      signal: options.signal,
      streaming: true,
      follow: true,
    });
    if (answer.status === 206) {
      const total = /\/(\d+)\s*$/.exec(headerOf(answer, 'content-range') ?? '')?.[1];
      return { body: answer.body, offset, size: total ? Number(total) : offset + Number(headerOf(answer, 'content-length') ?? 0) };
    }
    return { body: answer.body, offset: 0, size: Number(headerOf(answer, 'content-length') ?? -1) };
  }

  async startUpload(repository: string, options: Signal = {}): Promise<UploadSession> {
    const answer = await this.blobHttp.send({ method: 'POST', path: `/v2/${encode(repository)}/blobs/uploads/`, scopes: [push(repository)], expect: [202], signal: options.signal });
    await answer.body.dump();
    return { location: this.#locationOf(answer), offset: 0 };
  }

  async uploadStatus(repository: string, location: string, options: Signal = {}): Promise<UploadSession | undefined> {
    const answer = await this.blobHttp.send({ path: location, scopes: [push(repository)], expect: [204, 200, 400, 404, 416], signal: options.signal });
    await answer.body.dump();
    if (answer.status !== 204 && answer.status !== 200) return undefined;
    return { location: this.#locationOf(answer, location), offset: rangeEnd(headerOf(answer, 'range')) };
  }

  async appendUpload(repository: string, session: UploadSession, body: AsyncIterable<Uint8Array>, options: Signal & { length?: number }): Promise<UploadSession> {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (options.length !== undefined) {
      headers['Content-Length'] = String(options.length);
      headers['Content-Range'] = `${session.offset}-${session.offset + options.length - 1}`;
    }
    const answer = await this.blobHttp.send({ method: 'PATCH', path: session.location, scopes: [push(repository)], headers, body, expect: [202, 204], signal: options.signal, streaming: true });
    await answer.body.dump();
    const range = headerOf(answer, 'range');
    return { location: this.#locationOf(answer, session.location), offset: range ? rangeEnd(range) : session.offset + (options.length ?? 0) };
  }

  async completeUpload(repository: string, session: UploadSession, digest: string, options: Signal = {}): Promise<void> {
    const url = new URL(session.location, this.blobHttp.baseUrl);
    url.searchParams.set('digest', digest);
    const answer = await this.blobHttp.send({ method: 'PUT', path: url.toString(), scopes: [push(repository)], headers: { 'Content-Length': '0' }, expect: [201, 204], signal: options.signal });
    await answer.body.dump();
  }

  async cancelUpload(repository: string, location: string): Promise<void> {
    const answer = await this.blobHttp.send({ method: 'DELETE', path: location, scopes: [push(repository)], expect: [200, 202, 204, 400, 404] }).catch(() => undefined);
    await answer?.body.dump();
  }

  /** `POST …/uploads/?mount=&from=`: 201 when mounted; 202 (an upload opened instead) is cancelled and reported false. */
  async mountBlob(fromRepository: string, digest: string, toRepository: string, options: Signal = {}): Promise<boolean> {
    const answer = await this.blobHttp.send({
      method: 'POST',
      path: `/v2/${encode(toRepository)}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`,
      scopes: [push(toRepository), pull(fromRepository)],
      expect: [201, 202],
      signal: options.signal,
    });
    await answer.body.dump();
    if (answer.status === 201) return true;
    const location = headerOf(answer, 'location');
    if (location) await this.cancelUpload(toRepository, new URL(location, answer.url).toString());
    return false;
  }

  #locationOf(answer: HttpAnswer, fallback?: string): string {
    const location = headerOf(answer, 'location');
    if (location) return new URL(location, answer.url).toString();
    if (fallback) return fallback;
    throw new RegistryProtocolError(`${new URL(answer.url).pathname} answered ${answer.status} without a Location`);
  }
}

/** The number of bytes an upload holds from its `Range: 0-<last>` header (distribution answers `0-0` for none). */
export function rangeEnd(range: string | undefined): number {
  const match = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range?.trim() ?? '');
  if (!match) return 0;
  const last = Number(match[2]);
  return last === 0 && Number(match[1]) === 0 ? 0 : last + 1;
}
