import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestTokenIssuer, libtrustKeyId, type TestTokenIssuer } from '../../packages/testing/dist/index.js';
import { startTokenServer } from '../../test/src/token-server.ts';
import type { DistributionTokenAuth } from './registries.ts';

/**
 * A token service for distribution's `auth.token`: the tests' token server (Docker's token
 * protocol, Basic credentials) signing with an ES256 key whose self-signed certificate is
 * the registry's `rootcertbundle`. distribution 2.8 finds the key of a token by its `kid`
 * among the bundle's keys, named by libtrust key IDs (not RFC 7638 thumbprints), so the
 * tokens carry that ID.
 */
export interface DistributionTokenService {
  /** For startDistribution's `tokenAuth`. */
  auth: DistributionTokenAuth;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export async function startDistributionTokenService(dir: string): Promise<DistributionTokenService> {
  const base = await createTestTokenIssuer({ issuer: 'wharf-bench-token-issuer', service: 'wharf-bench-distribution' });
  const key = { ...base.key, kid: libtrustKeyId(base.key.publicKey) };
  const issuer: TestTokenIssuer = { ...base, key, token: (access, options = {}) => base.token(access, { ...options, key: options.key ?? key }) };
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  writeFileSync(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  try {
    execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=wharf-bench-token-issuer', '-days', '7', '-out', certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl could not make the token certificate (apt-get install -y openssl): ${(error as Error).message}`, { cause: error });
  }
  const username = 'bench';
  const password = randomBytes(12).toString('hex');
  const server = await startTokenServer({ issuer, users: { [username]: password }, ttlSeconds: 3600 });
  return {
    auth: { realm: server.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundle: certFile },
    username,
    password,
    stop: () => server.stop(),
  };
}

/**
 * A bearer token from a Docker token endpoint (`realm`): `GET ?service=…&scope=…` with Basic
 * credentials, as docker/podman/skopeo ask for one. Fails unless it grants every action asked.
 */
export async function requestToken(realm: string, options: { service: string; scopes: readonly string[]; username: string; password: string }): Promise<string> {
  const url = new URL(realm);
  url.searchParams.set('service', options.service);
  for (const scope of options.scopes) url.searchParams.append('scope', scope);
  const response = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token endpoint ${url.origin}${url.pathname} answered ${response.status}: ${text.slice(0, 300)}`);
  const token = (JSON.parse(text) as { token?: string }).token;
  if (!token) throw new Error(`token endpoint ${url.origin}${url.pathname} answered without a token`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { access?: { type: string; name: string; actions: string[] }[] };
  for (const scope of options.scopes) {
    const [type, name, actions] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1, scope.lastIndexOf(':')), scope.slice(scope.lastIndexOf(':') + 1)];
    const granted = claims.access?.find((entry) => entry.type === type && entry.name === name)?.actions ?? [];
    const missing = actions.split(',').filter((action) => !granted.includes(action) && !granted.includes('*'));
    if (missing.length > 0) throw new Error(`token endpoint ${url.origin}${url.pathname} did not grant ${missing.join(',')} on ${type}:${name} (granted: ${granted.join(',') || 'nothing'})`);
  }
  return token;
}

/** The realm and service a registry names in its `WWW-Authenticate: Bearer` challenge on `/v2/`, as clients learn them. */
export async function discoverTokenRealm(registryUrl: string): Promise<{ realm: string; service: string }> {
  const response = await fetch(`${registryUrl.replace(/\/$/, '')}/v2/`);
  await response.arrayBuffer();
  const challenge = response.headers.get('www-authenticate') ?? '';
  const param = (name: string): string | undefined => new RegExp(`${name}="([^"]*)"`, 'i').exec(challenge)?.[1];
  const realm = param('realm');
  const service = param('service');
  if (response.status !== 401 || !/^Bearer\s/i.test(challenge) || !realm || !service) {
    throw new Error(`${registryUrl}/v2/ answered ${response.status} with challenge ${JSON.stringify(challenge)}, not a Bearer challenge with realm and service`);
  }
  return { realm, service };
}
