import { open, type FileHandle } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { resolve, sep } from 'node:path';
import type { Request, Response } from 'express';
import { ApiError, toEnvelope } from '@wharf/errors';
import { FileRangePipe, requestIdOf } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';

export interface BlobDownloadOptions {
  /** registry-facade's base URL (`http://host:port`). */
  target: string;
  scheme: 'http' | 'https';
  logger: Logger;
  /** How long to wait for the connection and the response head. */
  headTimeoutMs?: number;
  /**
   * The blob store's filesystem root as this process sees it, when it shares the facade's
   * disk: the facade then answers with the head and names the file, and the bytes are read
   * from disk here instead of crossing a second process.
   */
  filesRoot?: string;
  /**
   * The download failed before any of its answer reached the client: the connection was
   * refused (`connected` false: nothing was sent) or lost before the response head. Returns
   * true when it took the request over (to send it to another replica), false to answer 502.
   */
  onFailedBeforeAnswer?: (req: Request, res: Response, error: Error, connected: boolean) => boolean;
}

/** Where the facade names the bytes to send (see registry-facade's blob routes). */
const HANDOFF = { file: 'x-wharf-blob-file', offset: 'x-wharf-blob-offset', length: 'x-wharf-blob-length' } as const;

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

/**
 * Blob downloads (GET `/v2/<name>/blobs/<digest>`) from registry-facade, after core has
 * allowed them. The body bytes go from the facade's socket to the client's response as they
 * arrive: only the response head is parsed here, so no byte is copied by an HTTP parser on
 * the way (Node's copies every body chunk it reads, which costs as much CPU as the transfer
 * itself). One HTTP/1.0 connection per download (never chunked; the body ends at its
 * Content-Length or when the facade closes); the client's connection stays keep-alive.
 * Anything but a well-formed head within the timeout is a 502 in the API's error shape. The
 * facade's blob answers name no internal address (its token realm is the external URL), so
 * no header is rewritten.
 */
export function blobDownload(options: BlobDownloadOptions) {
  const url = new URL(options.target);
  const port = Number(url.port || 80);
  const headTimeoutMs = options.headTimeoutMs ?? 30_000;

  const filesRoot = options.filesRoot ? resolve(options.filesRoot) : undefined;
  const files = new FileRangePipe();

  /** Sends the file the facade named; false (nothing sent yet) when it cannot be read here. */
  async function sendFile(res: Response, parsed: ResponseHead, named: { file: string; offset: number; length: number }): Promise<boolean> {
    const full = resolve(filesRoot!, `.${named.file}`);
    if (!full.startsWith(filesRoot! + sep)) return false;
    let handle: FileHandle;
    try {
      handle = await open(full, 'r');
    } catch (error) {
      options.logger.warn('blob file named by the registry is not readable here', { file: named.file, err: error });
      return false;
    }
    const { size } = await handle.stat();
    if (size < named.offset + named.length) {
      await handle.close();
      options.logger.warn('blob file named by the registry is shorter than its range', { file: named.file });
      return false;
    }
    res.status(parsed.status);
    for (const [name, value] of parsed.headers) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || lower === 'content-length' || lower.startsWith('x-wharf-')) continue;
      res.append(name, value);
    }
    res.set('Content-Length', String(named.length));
    try {
      await files.pipe(handle, named, res);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') options.logger.warn('blob file send failed', { file: named.file, err: error });
      res.destroy();
    }
    return true;
  }

  function handoffOf(parsed: ResponseHead): { file: string; offset: number; length: number } | undefined {
    const value = (name: string) => parsed.headers.find(([key]) => key.toLowerCase() === name)?.[1];
    const file = value(HANDOFF.file);
    const offset = Number(value(HANDOFF.offset));
    const length = Number(value(HANDOFF.length));
    if (!file || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) return undefined;
    return { file, offset, length };
  }

  return (req: Request, res: Response): void => relay(req, res, filesRoot !== undefined);

  function relay(req: Request, res: Response, handoff: boolean): void {
    const upstream: Socket = connect({ host: url.hostname, port });
    let head: Buffer = Buffer.alloc(0);
    let connected = false;
    let handedOver = false;
    let answered = false;
    let remaining = Number.POSITIVE_INFINITY;

    const fail = (reason: string, error?: Error): void => {
      if (handedOver) return;
      // A GET is sent again as it was; nothing of this attempt reached the client.
      if (!answered && !res.headersSent && options.onFailedBeforeAnswer?.(req, res, error ?? new Error(reason), connected)) {
        handedOver = true;
        upstream.destroy();
        return;
      }
      options.logger.warn('blob download from the registry failed', { reason, err: error, path: req.path });
      upstream.destroy();
      if (!answered && !res.headersSent) {
        answered = true;
        res.status(502).json(toEnvelope(new ApiError('UNAVAILABLE', { message: 'registry-facade is unavailable, try again' })));
      } else {
        res.destroy();
      }
    };

    upstream.setTimeout(headTimeoutMs, () => {
      if (!answered) fail('no response head in time');
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.write(requestHead(req, res, url.host, options.scheme, handoff));
    });
    upstream.on('error', (error) => {
      fail('connection failed', error);
    });
    res.on('close', () => upstream.destroy());

    const onBody = (chunk: Buffer): void => {
      const piece = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      remaining -= piece.length;
      if (piece.length > 0 && !res.write(piece)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
      if (remaining <= 0) {
        upstream.destroy();
        res.end();
      }
    };

    upstream.on('data', (chunk: Buffer) => {
      if (answered) {
        onBody(chunk);
        return;
      }
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail('response head too large');
        return;
      }
      const parsed = parseHead(head.subarray(0, end).toString('latin1'));
      if (!parsed) {
        fail('malformed response head');
        return;
      }
      answered = true;
      upstream.setTimeout(0);
      const named = handoff ? handoffOf(parsed) : undefined;
      if (named) {
        upstream.destroy();
        sendFile(res, parsed, named).then(
          (sent) => {
            if (!sent && !res.headersSent) relay(req, res, false); // read it through the facade instead
          },
          (error: Error) => fail('blob file send failed', error),
        );
        return;
      }
      res.status(parsed.status);
      let chunked = false;
      for (const [name, value] of parsed.headers) {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') chunked = true;
        if (HOP_BY_HOP.has(lower)) continue;
        if (lower === 'content-length') remaining = Number(value);
        res.append(name, value);
      }
      if (chunked) {
        // An HTTP/1.0 request is never answered chunked; a server that does is not followed.
        fail('chunked response');
        return;
      }
      if (parsed.status === 204 || parsed.status === 304) remaining = 0;
      res.flushHeaders();
      onBody(head.subarray(end + 4));
    });
    upstream.on('end', () => {
      if (handedOver) return;
      if (!answered) fail('connection closed before the response head');
      else if (Number.isFinite(remaining) && remaining > 0) fail('connection closed before the whole body');
      else res.end();
    });
  }
}
