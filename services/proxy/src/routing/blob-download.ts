import { open, type FileHandle } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { resolve, sep } from 'node:path';
import type { Request, Response } from 'express';
import { ApiError, toEnvelope } from '@wharf/errors';
import { FileRangePipe } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';
import { HOP_BY_HOP, relayRawAnswer, requestHead, type ResponseHead } from './raw-answer.js';

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
    let connected = false;
    let handedOver = false;
    let finished = false;

    const fail = (reason: string, error?: Error): void => {
      if (handedOver || finished) return;
      // A GET is sent again as it was; nothing of this attempt reached the client.
      if (!answer.answered && !res.headersSent && options.onFailedBeforeAnswer?.(req, res, error ?? new Error(reason), connected)) {
        handedOver = true;
        upstream.destroy();
        return;
      }
      finished = true;
      options.logger.warn('blob download from the registry failed', { reason, err: error, path: req.path });
      upstream.destroy();
      if (!res.headersSent) res.status(502).json(toEnvelope(new ApiError('UNAVAILABLE', { message: 'registry-facade is unavailable, try again' })));
      else res.destroy();
    };

    upstream.setTimeout(headTimeoutMs, () => {
      if (!answer.answered) fail('no response head in time');
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.write(requestHead(req, res, url.host, options.scheme, handoff));
    });
    upstream.on('error', (error) => {
      fail('connection failed', error);
    });
    res.on('close', () => upstream.destroy());

    const answer = relayRawAnswer(upstream, res, {
      fail,
      done: () => {
        if (finished || handedOver) return;
        finished = true;
        upstream.destroy();
        res.end();
      },
      onHead: (parsed) => {
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
          return false;
        }
        res.status(parsed.status);
        for (const [name, value] of parsed.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) res.append(name, value);
        res.flushHeaders();
        return true;
      },
    });
  }
}
