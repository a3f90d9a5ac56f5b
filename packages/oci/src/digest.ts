import { createHash, type Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha512';

export const supportedAlgorithms: readonly DigestAlgorithm[] = ['sha256', 'sha512'];

/** The digest grammar of the image spec (descriptor.md). */
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ENCODED: Record<DigestAlgorithm, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
  /** `algorithm:encoded` */
  value: string;
}

/** The string is not a digest, or names an algorithm the registry does not support. */
export class InvalidDigestError extends Error {
  readonly digest: string;
  readonly unsupportedAlgorithm: boolean;

  constructor(digest: string, reason: string, unsupportedAlgorithm = false) {
    super(reason);
    this.name = 'InvalidDigestError';
    this.digest = digest;
    this.unsupportedAlgorithm = unsupportedAlgorithm;
  }
}

/** True when the string has the shape of a digest (`algorithm:encoded`), supported or not. */
export function looksLikeDigest(value: string): boolean {
  return value.includes(':') && GRAMMAR.test(value);
}

export function isSupportedAlgorithm(value: string): value is DigestAlgorithm {
  return (supportedAlgorithms as readonly string[]).includes(value);
}

/** Parses and checks a digest: grammar, a supported algorithm, and the encoded length and alphabet. */
export function parseDigest(value: string): ParsedDigest {
  if (typeof value !== 'string' || !GRAMMAR.test(value)) {
    throw new InvalidDigestError(String(value), 'digest must have the form algorithm:encoded');
  }
  const separator = value.indexOf(':');
  const algorithm = value.slice(0, separator);
  const encoded = value.slice(separator + 1);
  if (!isSupportedAlgorithm(algorithm)) {
    throw new InvalidDigestError(value, `unsupported digest algorithm ${algorithm}; use sha256 or sha512`, true);
  }
  if (!ENCODED[algorithm].test(encoded)) {
    throw new InvalidDigestError(value, `a ${algorithm} digest has ${algorithm === 'sha256' ? 64 : 128} lower-case hex characters`);
  }
  return { algorithm, encoded, value };
}

export function isValidDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** Hashes bytes as they stream past, and counts them. */
export interface Digester {
  readonly algorithm: DigestAlgorithm;
  readonly bytes: number;
  update(chunk: Uint8Array): void;
  /** `algorithm:hex` of everything seen so far; the digester cannot be used afterwards. */
  digest(): string;
}

export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  const hash: Hash = createHash(algorithm);
  let bytes = 0;
  return {
    algorithm,
    get bytes() {
      return bytes;
    },
    update(chunk) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    },
    digest() {
      return `${algorithm}:${hash.digest('hex')}`;
    },
  };
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
