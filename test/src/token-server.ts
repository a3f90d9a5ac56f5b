import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidScopeError, parseScopes, type Access } from '@wharf/auth-token';
import type { TestTokenIssuer } from '@wharf/testing';

/** One call to the token endpoint, as the test saw it. */
export interface TokenRequest {
  /** The `scope` parameters exactly as sent (repeated parameters give several values). */
  scopeParams: string[];
  /** The authenticated user; undefined for an anonymous request (or refused credentials). */
  user: string | undefined;
  status: number;
  granted: Access[];
}

export interface TokenServer {
  /** The realm to configure in the registry (`http://127.0.0.1:<port>/token`). */
  realm: string;
  service: string;
  /** Every request served so far, oldest first. */
  requests: TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  issuer: TestTokenIssuer;
  /** user name → password; these users get every scope they ask for. */
  users: Record<string, string>;
  ttlSeconds?: number;
}

const ANONYMOUS_ACTIONS = new Set(['pull']);

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function errorBody(code: string, message: string): unknown {
  return { errors: [{ code, message }] };
}

type Credentials = { kind: 'anonymous' } | { kind: 'user'; name: string } | { kind: 'refused' };

function authenticate(header: string | undefined, users: Record<string, string>): Credentials {
  if (!header) return { kind: 'anonymous' };
  const match = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!match) return { kind: 'refused' };
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'refused' };
  const name = decoded.slice(0, colon);
  const expected = Object.hasOwn(users, name) ? users[name] : undefined;
  return expected !== undefined && sameSecret(decoded.slice(colon + 1), expected) ? { kind: 'user', name } : { kind: 'refused' };
}

/** Anonymous callers may only pull, and only from repositories. */
function anonymousGrant(requested: readonly Access[]): Access[] {
  return requested
    .filter((entry) => entry.type === 'repository')
    .map((entry) => ({ ...entry, actions: entry.actions.filter((action) => ANONYMOUS_ACTIONS.has(action)) }))
    .filter((entry) => entry.actions.length > 0);
}

/**
 * A token endpoint for the tests, speaking Docker's token protocol as Harbor's core will:
 * `GET /token?service=…&scope=…[&scope=…]` with optional Basic credentials. Known users
 * get exactly the scopes they ask for (login asks for none); anonymous callers get `pull`
 * only; wrong credentials get 401. Tokens are signed by the test issuer.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const { issuer, users } = options;
  const ttlSeconds = options.ttlSeconds ?? 300;
  const requests: TokenRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (url.pathname !== '/token') return sendJson(res, 404, errorBody('NOT_FOUND', 'not found'));
    if (req.method !== 'GET') return sendJson(res, 405, errorBody('UNSUPPORTED', 'use GET'), { Allow: 'GET' });

    const scopeParams = url.searchParams.getAll('scope');
    const record: TokenRequest = { scopeParams, user: undefined, status: 0, granted: [] };
    requests.push(record);
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      record.status = status;
      sendJson(res, status, body, headers);
    };

    const service = url.searchParams.get('service');
    if (service !== issuer.service) return reply(400, errorBody('INVALID_REQUEST', `unknown service ${JSON.stringify(service)}`));
    let requested: Access[];
    try {
      requested = parseScopes(scopeParams);
    } catch (error) {
      if (error instanceof InvalidScopeError) return reply(400, errorBody('INVALID_REQUEST', error.message));
      throw error;
    }
    const credentials = authenticate(req.headers.authorization, users);
    if (credentials.kind === 'refused') {
      return reply(401, errorBody('UNAUTHORIZED', 'invalid username or password'), { 'WWW-Authenticate': 'Basic realm="wharf-e2e"' });
    }
    record.user = credentials.kind === 'user' ? credentials.name : undefined;
    record.granted = credentials.kind === 'user' ? requested : anonymousGrant(requested);
    const issuedAt = new Date();
    const token = await issuer.token(record.granted, { subject: record.user ?? '', ttlSeconds, now: issuedAt });
    reply(200, { token, access_token: token, expires_in: ttlSeconds, issued_at: issuedAt.toISOString() });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody('UNKNOWN', (error as Error).message));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: issuer.service,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
