import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parseScopes } from '@wharf/auth-token';
import { createTestTokenIssuer, freePort, libtrustKeyId } from '@wharf/testing';
import { execFileSync } from 'node:child_process';

/** A Debian docker-registry (CNCF distribution 2.8) started with a config of our own. */
export interface Distribution {
  url: string;
  pid: number;
  logFile: string;
  /** Credentials for its auth (token or htpasswd); undefined for an open registry. */
  username?: string;
  password?: string;
  /** `Authorization` header value that may push anywhere (tests seed content with it). */
  adminAuth(scope: string): Promise<string | undefined>;
  stop(): Promise<void>;
  /** Stops the registry process only (its port, storage and token service stay). */
  pause(): Promise<void>;
  start(): Promise<void>;
}

export type DistributionAuth = { kind: 'none' } | { kind: 'basic' } | { kind: 'token' };

/**
 * Starts docker-registry on a free port in `dir`: open, with htpasswd (bcrypt) basic auth,
 * or with token auth backed by a small token server (Docker's token protocol) whose key's
 * certificate is the registry's root bundle. `stop()`/`start()` keep port and storage.
 */
export async function startDistribution(dir: string, auth: DistributionAuth = { kind: 'none' }): Promise<Distribution> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  const logFile = join(dir, 'distribution.log');
  const username = 'syncer';
  const password = randomBytes(12).toString('hex');
  let authLines: string[] = [];
  let token: TokenService | undefined;
  if (auth.kind === 'basic') {
    writeFileSync(join(dir, 'htpasswd'), `${username}:${bcrypt.hashSync(password, 5)}\n`);
    authLines = ['auth:', '  htpasswd:', '    realm: wharf-test', `    path: ${join(dir, 'htpasswd')}`];
  } else if (auth.kind === 'token') {
    token = await startTokenService(dir, { [username]: password });
    authLines = [
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(token.realm)}`,
      `    service: ${JSON.stringify(token.service)}`,
      `    issuer: ${JSON.stringify(token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(token.certFile)}`,
    ];
  }
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...authLines,
      '',
    ].join('\n'),
  );
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const log = openSync(logFile, 'a');
    child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    const current = child;
    exited = new Promise((resolve) => current.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited; see ${logFile}`);
      try {
        const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200 || response.status === 401) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry not ready; see ${logFile}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stopRegistry = async () => {
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    pid: child!.pid!,
    logFile,
    ...(auth.kind === 'none' ? {} : { username, password }),
    adminAuth: async (scope) => {
      if (auth.kind === 'basic') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      if (token) return `Bearer ${await token.sign(scope)}`;
      return undefined;
    },
    start,
    pause: stopRegistry,
    stop: async () => {
      await stopRegistry();
      await token?.stop();
    },
  };
}

interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  sign(scope: string): Promise<string>;
  stop(): Promise<void>;
}

/** Docker's token endpoint for distribution's `auth.token`: known users get what they ask, anonymous callers pull only. */
async function startTokenService(dir: string, users: Record<string, string>): Promise<TokenService> {
  const base = await createTestTokenIssuer({ issuer: 'wharf-adapter-test-issuer', service: 'wharf-adapter-test' });
  const key = { ...base.key, kid: libtrustKeyId(base.key.publicKey) };
  const sign = (access: Parameters<typeof base.token>[0], subject: string) => base.token(access, { key, subject, ttlSeconds: 300 });
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  writeFileSync(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=wharf-adapter-test', '-days', '2', '-out', certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const header = req.headers.authorization ?? '';
      let user: string | undefined;
      if (header) {
        const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString();
        const [name, secret] = [decoded.slice(0, decoded.indexOf(':')), decoded.slice(decoded.indexOf(':') + 1)];
        if (!Object.hasOwn(users, name) || users[name] !== secret) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        user = name;
      }
      const requested = parseScopes(url.searchParams.getAll('scope'));
      const granted = user ? requested : requested.map((a) => ({ ...a, actions: a.actions.filter((x) => x === 'pull') })).filter((a) => a.actions.length > 0);
      const token = await sign(granted, user ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: base.service,
    issuer: base.issuer,
    certFile,
    sign: (scope) => sign(scope, 'admin'),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

