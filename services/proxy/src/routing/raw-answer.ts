/**
 * The proxy's raw HTTP/1.x relays to registry-facade (blob downloads, upload bodies): the
 * request head written as text, the answer read off the socket by {@link relayRawAnswer}.
 */
import type { Socket } from 'node:net';
import type { Request, Response } from 'express';
import { requestIdOf } from '@wharf/http-kit';

/** Response heads larger than this are refused (the facade's are a few hundred bytes). */
export const MAX_HEAD_BYTES = 64 * 1024;

/** Hop-by-hop headers, never passed on (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/**
 * What the proxy sends upstream besides the client's own headers (a request body, when there
 * is one, follows as the client sent it, its Content-Length passed on).
 */
export function requestHead(req: Request, res: Response, host: string, scheme: 'http' | 'https', handoff: boolean, version: '1.0' | '1.1' = '1.0'): string {
  // HTTP/1.0: the answer is never chunked; its body ends with Content-Length or the connection.
  const lines = [`${req.method} ${req.originalUrl} HTTP/${version}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    // `Expect: 100-continue` was answered by this server already; HTTP/1.0 has no such step.
    if (HOP_BY_HOP.has(lower) || lower === 'host' || lower === 'expect' || lower.startsWith('x-forwarded-') || lower === 'x-request-id' || lower.startsWith('x-wharf-')) continue;
    lines.push(`${name}: ${req.rawHeaders[i + 1]!}`);
  }
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket?.remoteAddress].filter(Boolean).join(', ');
  lines.push(`Host: ${host}`, `X-Forwarded-For: ${forwardedFor}`, `X-Forwarded-Proto: ${scheme}`, `X-Request-Id: ${requestIdOf(res)}`);
  if (version === '1.0') lines.push('Connection: close');
  if (req.headers.host) lines.push(`X-Forwarded-Host: ${req.headers.host}`);
  if (handoff) lines.push('X-Wharf-Blob-Handoff: file');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface ResponseHead {
  status: number;
  headers: [string, string][];
}

/** `HTTP/1.1 200 OK\r\nName: value\r\n…` (without the blank line); undefined when malformed. */
export function parseHead(text: string): ResponseHead | undefined {
  const [statusLine, ...lines] = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine ?? '');
  if (!status) return undefined;
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) return undefined;
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { status: Number(status[1]), headers };
}

/** What the caller does with an answer read by {@link relayRawAnswer}. */
export interface RawAnswerHandlers {
  /**
   * The head arrived (never a chunked one): set the client's status and headers and return
   * true for the body to follow, or false when the caller takes the answer elsewhere.
   */
  onHead(parsed: ResponseHead): boolean;
  /** Anything but a well-formed answer of the length it announced. */
  fail(reason: string, error?: Error): void;
  /** The whole body went to the client. */
  done(): void;
}

/**
 * Reads an upstream's HTTP/1.x answer off its raw socket: only the head is parsed (at most
 * MAX_HEAD_BYTES); the body's bytes are written to the client's response as they arrive, up
 * to the head's Content-Length (to the connection's end without one), with backpressure.
 * Node's HTTP parser would copy every body chunk, which costs as much CPU as the transfer.
 * A chunked answer is refused: the proxy's requests are framed so that none is expected.
 */
export function relayRawAnswer(upstream: Socket, res: Response, handlers: RawAnswerHandlers): { readonly answered: boolean } {
  const state = { answered: false };
  let head: Buffer = Buffer.alloc(0);
  let taken = false;
  let remaining = Number.POSITIVE_INFINITY;

  const onBody = (chunk: Buffer): void => {
    const piece = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= piece.length;
    if (piece.length > 0 && !res.write(piece)) {
      upstream.pause();
      res.once('drain', () => upstream.resume());
    }
    if (remaining <= 0) handlers.done();
  };

  upstream.on('data', (chunk: Buffer) => {
    if (taken) return;
    if (state.answered) {
      onBody(chunk);
      return;
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEAD_BYTES) handlers.fail('response head too large');
      return;
    }
    const parsed = parseHead(head.subarray(0, end).toString('latin1'));
    if (!parsed) {
      handlers.fail('malformed response head');
      return;
    }
    if (parsed.headers.some(([name]) => name.toLowerCase() === 'transfer-encoding')) {
      handlers.fail('chunked response');
      return;
    }
    state.answered = true;
    if (!handlers.onHead(parsed)) {
      taken = true;
      return;
    }
    const length = parsed.headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1];
    if (length !== undefined) remaining = Number(length);
    if (parsed.status === 204 || parsed.status === 304) remaining = 0;
    onBody(head.subarray(end + 4));
  });
  upstream.on('end', () => {
    if (taken) return;
    if (!state.answered) handlers.fail('connection closed before the response head');
    else if (Number.isFinite(remaining) && remaining > 0) handlers.fail('connection closed before the whole body');
    else handlers.done();
  });
  return state;
}
