import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Secret } from '@wharf/config';

/** Encrypts and decrypts small secrets at rest (immich's "crypto as a repository"). */
export interface CredentialCipher {
  encrypt(plaintext: string): string;
  /** Throws CredentialUnreadableError for a value it did not produce (or produced with another key). */
  decrypt(sealed: string): string;
}

export class CredentialUnreadableError extends Error {
  constructor() {
    super('a stored credential cannot be decrypted (was CORE_ENCRYPTION_KEY changed?)');
    this.name = 'CredentialUnreadableError';
  }
}

const VERSION = 'v1';
const INFO = 'wharf-core registry credentials v1';

/**
 * AES-256-GCM with a key derived from CORE_ENCRYPTION_KEY by HKDF-SHA256. Each value gets
 * a fresh 96-bit IV; the stored form is `v1.<iv>.<tag>.<ciphertext>` in base64url, and the
 * additional data binds it to its purpose, so a sealed value cannot be reused elsewhere.
 */
export class AesGcmCredentialCipher implements CredentialCipher {
  readonly #key: Buffer;
  readonly #aad: Buffer;

  constructor(deps: { key: Secret; purpose?: string }) {
    this.#key = Buffer.from(hkdfSync('sha256', deps.key.reveal(), Buffer.alloc(0), INFO, 32));
    this.#aad = Buffer.from(deps.purpose ?? 'registry-credential');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(this.#aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new CredentialUnreadableError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(this.#aad);
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialUnreadableError();
    }
  }
}
