import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, issueToken, parseScopes, type Access, type SigningKey } from '@wharf/auth-token';

export interface TestTokenIssuer {
  key: SigningKey;
  issuer: string;
  service: string;
  /** The public key as PEM, for REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE. */
  publicKeyPem: string;
  writePublicKey(dir: string): Promise<string>;
  /** Signs a token granting `access` (entries or scope strings such as `repository:a/b:pull,push`). */
  token(access: readonly Access[] | string, options?: TokenOptions): Promise<string>;
}

export interface TokenOptions {
  subject?: string;
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  now?: Date;
  /** Sign with another key (to test a wrong key). */
  key?: SigningKey;
}

/** Signs registry tokens the way core does, with a key of its own (until core exists, tests use this). */
export async function createTestTokenIssuer(options: { issuer?: string; service?: string } = {}): Promise<TestTokenIssuer> {
  const key = await generateSigningKey('ES256');
  const issuer = options.issuer ?? 'harbor-token-issuer';
  const service = options.service ?? 'harbor-registry';
  const publicKeyPem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    key,
    issuer,
    service,
    publicKeyPem,
    async writePublicKey(dir) {
      await mkdir(dir, { recursive: true });
      const path = join(dir, 'token-public-key.pem');
      await writeFile(path, publicKeyPem);
      return path;
    },
    async token(access, tokenOptions = {}) {
      const entries = typeof access === 'string' ? parseScopes(access) : access;
      const issued = await issueToken({
        key: tokenOptions.key ?? key,
        issuer: tokenOptions.issuer ?? issuer,
        audience: tokenOptions.audience ?? service,
        subject: tokenOptions.subject ?? 'tester',
        access: entries,
        ttlSeconds: tokenOptions.ttlSeconds ?? 300,
        now: tokenOptions.now,
      });
      return issued.token;
    },
  };
}
