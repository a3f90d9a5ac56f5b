import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureServer {
  url: string;
  /** Every request seen: method, path (with query) and body. */
  requests: { method: string; path: string; body: string }[];
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, url: URL) => { status: number; json?: unknown } | undefined;

/**
 * A local HTTP server answering foreign APIs with recorded-shape JSON (Docker Hub's,
 * Harbor's), and proxying everything it does not answer to `upstream` (a real registry),
 * so one origin can serve both an API and /v2 content.
 */
export async function startFixtureServer(handler: Handler, upstream?: string): Promise<FixtureServer> {
  const requests: FixtureServer['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (upstream && url.pathname.startsWith('/v2')) {
      const target = new URL(req.url ?? '/', upstream);
      const proxied = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        const headers = { ...answer.headers };
        if (typeof headers.location === 'string' && headers.location.startsWith(upstream)) headers.location = headers.location.slice(upstream.length);
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      });
      proxied.on('error', () => res.destroy());
      req.pipe(proxied);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, body });
      const answer = handler(req, body, url) ?? { status: 404, json: { errors: [{ code: 'NOT_FOUND', message: 'not found' }] } };
      const payload = answer.json === undefined ? '' : JSON.stringify(answer.json);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
