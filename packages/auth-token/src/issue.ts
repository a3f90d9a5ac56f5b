import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.js';
import type { Access } from './scope.js';

export interface IssueTokenOptions {
  key: SigningKey;
  issuer: string;
  /** The service the token is for (`harbor-registry`); sent as a string, as distribution expects. */
  audience: string;
  subject: string;
  access: readonly Access[];
  ttlSeconds: number;
  now?: Date;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

/** Signs a registry token: header `kid`, claims iss/sub/aud/exp/nbf/iat/jti and `access`. */
export async function issueToken(options: IssueTokenOptions): Promise<IssuedToken> {
  const now = options.now ?? new Date();
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ access: options.access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })) })
    .setProtectedHeader({ alg: options.key.algorithm, kid: options.key.kid, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setSubject(options.subject)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + options.ttlSeconds)
    .setJti(randomBytes(16).toString('hex'))
    .sign(options.key.privateKey);
  return { token, expiresIn: options.ttlSeconds, issuedAt: new Date(iat * 1000).toISOString() };
}
