import { connect, type Socket } from 'node:net';
import type { Request, Response } from 'express';
import { ApiError, toEnvelope } from '@wharf/errors';
import type { Logger } from '@wharf/logging';
import type { Balancer, UpstreamTarget } from './balancer.js';
import { HOP_BY_HOP, relayRawAnswer, requestHead } from './raw-answer.js';

export interface UploadRelayOptions {
  /** registry-facade's replicas. */
  balancer: Balancer;
  scheme: 'http' | 'https';
  logger: Logger;
  /** Turns an internal address in `Location` or `WWW-Authenticate` into the external URL. */
  rewrite: (value: string) => string;
}

/** Headers whose value may name an internal address. */
const REWRITTEN = new Set(['location', 'www-authenticate']);

/**
 * Whether a request carries a body of known length (an upload's PATCH, its closing PUT, a
 * monolithic POST): those go through the upload relay; a chunked body (whose framing would
 * have to be rebuilt) and bodiless requests go through the ordinary proxy.
 */
export function carriesSizedBody(req: Request): boolean {
  if (req.method !== 'PATCH' && req.method !== 'PUT' && req.method !== 'POST') return false;
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(req.headers['content-length']);
  return Number.isSafeInteger(length) && length > 0;
}

/**
 * Upload bodies to registry-facade, after core has allowed the request. The request head is
 * written as text on a fresh connection and the body's bytes are piped from the
 * client's request to that socket as they arrive; only the facade's (small) response head
 * is parsed. No HTTP client sits in between (http-proxy-middleware's request object frames
 * and corks every chunk again), and the connection is the transfer's only buffer. The
 * connection is never half-closed: the facade sees a client that went away (a PATCH that
 * keeps what arrived) only when the client's own connection is lost. It is HTTP/1.1 and
 * left open by the facade after its answer, so an answer given before the body was read (a
 * 416, an unknown session) is not lost to a reset while the rest of the body drains; the
 * relay closes it once the answer is through. A replica that refuses
 * the connection (nothing sent yet) passes the upload to another one; anything else that
 * fails before the answer began is a 502 in the API's error shape. The answer's `Location`
 * and `WWW-Authenticate` are rewritten as the ordinary proxy does.
 */
export function uploadRelay(options: UploadRelayOptions): (req: Request, res: Response) => void {
  const { balancer } = options;
  const hosts = balancer.targets.map((target) => new URL(target.url).host);

  return (req, res) => send(req, res, balancer.pick(), []);

  function send(req: Request, res: Response, target: UpstreamTarget, tried: UpstreamTarget[]): void {
    tried.push(target);
    const upstream: Socket = connect({ host: target.hostname, port: target.port, noDelay: true });
    let connected = false;
    let finished = false;

    const finish = (): void => {
      finished = true;
      req.unpipe(upstream);
      upstream.destroy();
      res.end();
    };
    const fail = (reason: string, error?: Error): void => {
      if (finished) return;
      finished = true;
      options.logger.warn('upload relay to the registry failed', { reason, err: error, path: req.path });
      req.unpipe(upstream);
      upstream.destroy();
      if (!answer.answered && !res.headersSent) {
        res.status(502).json(toEnvelope(new ApiError('UNAVAILABLE', { message: 'registry-facade is unavailable, try again' })));
      } else {
        res.destroy();
      }
    };

    upstream.once('connect', () => {
      connected = true;
      upstream.write(requestHead(req, res, hosts[target.index]!, options.scheme, false, '1.1'));
      req.pipe(upstream, { end: false });
    });
    upstream.on('error', (error) => {
      if (!connected && balancer.targets.length > 1) {
        balancer.markDown(target, error);
        const other = balancer.another(tried);
        if (other) {
          upstream.destroy();
          send(req, res, other, tried);
          return;
        }
      }
      fail('connection failed', error);
    });
    res.on('close', () => {
      if (finished) return;
      finished = true;
      req.unpipe(upstream);
      upstream.destroy();
    });

    const answer = relayRawAnswer(upstream, res, {
      fail,
      done: () => {
        if (!finished) finish();
      },
      onHead: (parsed) => {
        res.status(parsed.status);
        for (const [name, value] of parsed.headers) {
          const lower = name.toLowerCase();
          if (!HOP_BY_HOP.has(lower)) res.append(name, REWRITTEN.has(lower) ? options.rewrite(value) : value);
        }
        return true;
      },
    });
  }
}
