import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  algorithm: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The key id put in every token's header: the RFC 7638 thumbprint of the public key. */
  kid: string;
}

/** The token algorithm a key is used with: RS256 for RSA keys, ES256 for P-256 keys. */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported token key type ${key.asymmetricKeyType ?? 'unknown'}; use an RSA or P-256 key`);
}

export async function keyIdOf(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

/** Wraps a PEM private key (PKCS#8 or traditional) as a signing key. */
export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { algorithm: algorithmOf(publicKey), privateKey, publicKey, kid: await keyIdOf(publicKey) };
}

/** A fresh signing key (tests, and first start of a development stack). */
export async function generateSigningKey(algorithm: SigningAlgorithm = 'ES256'): Promise<SigningKey> {
  const pair =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey, kid: await keyIdOf(pair.publicKey) };
}

/** The public half as a JWK with `kid`, `alg` and `use`, ready for a JWKS document. */
export async function publicJwk(key: SigningKey): Promise<JWK> {
  return { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: key.algorithm, use: 'sig' };
}
