import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';

/** One answer, body read whole (only for small bodies: upload sessions, manifests, errors). */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a streamed download saw. */
export interface Download {
  status: number;
  bytes: number;
  /** `sha256:<hex>` of what was read. */
  digest: string;
}

/** Writes a request body; must respect backpressure and must not end the request. */
export type BodyWriter = (req: ClientRequest) => Promise<void>;

const TIMEOUT_MS = 300_000;

/**
 * The one HTTP client both registries get: node:http over a keep-alive agent, request
 * bodies written as large buffers with backpressure, response bodies consumed as they
 * arrive. Nothing here knows which registry it talks to.
 */
export class BenchClient {
  readonly baseUrl: string;
  /** Sent as `Authorization` with every request that does not set its own (e.g. `Bearer <token>`). */
  authorization: string | undefined;
  readonly #agent: Agent;
  #connections = 0;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#agent = new Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
  }

  /** TCP connections opened by send() so far (download() opens one per call on its own). */
  get connectionsOpened(): number {
    return this.#connections;
  }

  /** An absolute URL for a path or a Location header (which may be relative or absolute). */
  url(pathOrLocation: string): URL {
    return new URL(pathOrLocation, `${this.baseUrl}/`);
  }

  async send(
    method: string,
    target: string | URL,
    init: { headers?: Record<string, string | number>; body?: Buffer | BodyWriter } = {},
  ): Promise<HttpAnswer> {
    const streamed = typeof init.body === 'function' ? init.body : undefined;
    const { req, response } = this.#open(method, target, init.headers ?? {}, streamed ? undefined : ((init.body as Buffer | undefined) ?? Buffer.alloc(0)));
    if (streamed) {
      await Promise.race([streamed(req), response.then(() => undefined)]);
      req.end();
    }
    const res = await response;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /**
   * GETs a blob, hashing it while it arrives and keeping none of it. A lean HTTP/1.1 reader
   * over net.Socket that reads into one reused 4 MiB buffer: node:http allocates a buffer per
   * 64 KiB read and costs ~3x the CPU per GiB, which on a small machine is taken from the
   * registry under test. Handles what registries answer for a blob: a Content-Length body
   * (anything else, such as a chunked body, is an error); follows no redirects.
   */
  async download(target: string | URL, headers: Record<string, string> = {}): Promise<Download> {
    const url = typeof target === 'string' ? this.url(target) : target;
    const head = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close', 'User-Agent: wharf-bench'];
    for (const [name, value] of Object.entries(this.#withAuthorization(headers))) head.push(`${name}: ${value}`);
    const request = `${head.join('\r\n')}\r\n\r\n`;
    const hash = createHash('sha256');
    return new Promise<Download>((resolve, reject) => {
      let header: Buffer | undefined = Buffer.alloc(0);
      let status = 0;
      let expected = -1;
      let bytes = 0;
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        // A graceful close (the request said Connection: close): the server sees a normal end.
        if (error) socket.destroy();
        else socket.end();
        if (error) reject(error);
        else resolve({ status, bytes, digest: `sha256:${hash.digest('hex')}` });
      };
      const body = (chunk: Buffer): void => {
        hash.update(chunk);
        bytes += chunk.byteLength;
        if (bytes >= expected) finish(bytes > expected ? new Error(`got ${bytes} bytes, more than Content-Length ${expected}`) : undefined);
      };
      const socket = connect({
        host: url.hostname,
        port: Number(url.port || 80),
        onread: {
          buffer: Buffer.allocUnsafe(4 * 1024 * 1024),
          callback: (length: number, buffer: Uint8Array): boolean => {
            const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
            if (header === undefined) {
              body(chunk);
              return true;
            }
            header = Buffer.concat([header, chunk]); // only until the end of the head (small)
            const end = header.indexOf('\r\n\r\n');
            if (end < 0) {
              if (header.byteLength > 64 * 1024) finish(new Error('response head larger than 64 KiB'));
              return true;
            }
            const lines = header.subarray(0, end).toString('latin1').split('\r\n');
            const rest = header.subarray(end + 4);
            header = undefined;
            status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
            const field = (name: string): string | undefined =>
              lines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
            expected = Number(field('content-length') ?? Number.NaN);
            if (field('transfer-encoding') !== undefined) finish(new Error('chunked response bodies are not supported by the download client'));
            else if (!Number.isSafeInteger(expected)) finish(new Error(`response ${status} without Content-Length`));
            else if (expected === 0) finish();
            else if (rest.byteLength > 0) body(rest);
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      socket.setTimeout(TIMEOUT_MS, () => finish(new Error(`GET ${url.pathname} timed out`)));
      socket.once('connect', () => socket.write(request));
      socket.once('error', (error) => finish(error));
      socket.once('end', () => finish(bytes < expected || expected < 0 ? new Error(`connection closed after ${bytes} of ${expected} bytes`) : undefined));
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  #withAuthorization<T extends string | number>(headers: Record<string, T>): Record<string, T | string> {
    if (this.authorization === undefined || Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
    return { ...headers, Authorization: this.authorization };
  }

  #open(
    method: string,
    target: string | URL,
    headers: Record<string, string | number>,
    body: Buffer | undefined,
  ): { req: ClientRequest; response: Promise<IncomingMessage> } {
    const url = typeof target === 'string' ? this.url(target) : target;
    const req = request(url, { method, agent: this.#agent, headers: this.#withAuthorization(headers) });
    req.once('socket', (socket) => {
      if (!opened.has(socket)) {
        opened.add(socket);
        this.#connections += 1;
      }
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    // Handled by whoever awaits it; this only keeps an early failure from going unhandled.
    response.catch(() => undefined);
    if (body !== undefined) req.end(body);
    return { req, response };
  }
}

/** Sockets seen so far: a socket the agent hands out again is a reused keep-alive connection. */
const opened = new WeakSet<object>();

/** Writes `chunks` into the request, waiting for 'drain' whenever the socket is full. */
export function streamChunks(chunks: Iterable<Uint8Array>): BodyWriter {
  return async (req) => {
    for (const chunk of chunks) {
      if (!req.write(chunk)) await once(req, 'drain');
    }
  };
}
