import { Agent, request } from 'node:http';
import { percentEncode } from './encoding.js';

/** One request exactly as a hostile client writes it: the request target is sent byte for byte. */
export interface RawRequest {
  method: string;
  /** `/path?query`, already encoded (or mis-encoded) as intended; characters 0x80–0xFF go out as single bytes. */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  /** 0 when the server closed the connection without an answer (`reset` says how). */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  reset?: string;
}

/** Node's HTTP servers refuse a request head past 16 KiB (431, then they close the connection). */
export const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Whether Node's HTTP parser refuses the request line before any route sees it: a head past
 * 16 KiB (431), or a target with raw bytes outside printable ASCII (400). It answers, then
 * closes the connection, so a client still writing a body may see a reset instead.
 */
export function parserRefuses(raw: RawRequest): boolean {
  return headBytes(raw) > MAX_HEAD_BYTES || /[^\u0021-\u007e]/.test(raw.target);
}

/** The size of the request head as sent: request line and headers. */
export function headBytes(raw: RawRequest): number {
  return raw.target.length + Object.entries(raw.headers ?? {}).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0) + 32;
}

/**
 * A client that sends what fetch would normalise away (malformed escapes, raw bytes, `..`).
 * Node's own request validation refuses only characters below 0x21 and above 0xFF in the
 * target; those are percent-encoded before sending, so every generated case goes out.
 */
export class RawHttpClient {
  readonly #base: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });

  constructor(baseUrl: string) {
    this.#base = new URL(baseUrl);
  }

  /**
   * Sends once more when a kept-alive connection the server had closed fails before any
   * answer; a second reset is reported as `status: 0` with `reset`, for the caller to judge
   * (a server may drop a request whose head is too large while it is still being written).
   */
  async send(raw: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
    const resetOf = (error: unknown) => ['ECONNRESET', 'EPIPE'].includes((error as NodeJS.ErrnoException).code ?? '');
    try {
      return await this.#sendOnce(raw, timeoutMs);
    } catch (error) {
      if (!resetOf(error)) throw error;
    }
    try {
      return await this.#sendOnce(raw, timeoutMs);
    } catch (error) {
      if (!resetOf(error)) throw error;
      return { status: 0, headers: {}, text: '', reset: (error as NodeJS.ErrnoException).code };
    }
  }

  #sendOnce(raw: RawRequest, timeoutMs: number): Promise<RawResponse> {
    const target = raw.target.replace(/[^\u0021-\u00ff]/gu, (char) => percentEncode(char));
    const body = raw.body === undefined ? undefined : Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          method: raw.method,
          path: target,
          agent: this.#agent,
          headers: { ...raw.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms to ${raw.method} ${target.slice(0, 200)}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
