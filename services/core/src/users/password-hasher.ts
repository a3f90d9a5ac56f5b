import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Hashes and checks secrets (user passwords, robot secrets); a port so tests may use a fast one. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, stored: string): Promise<boolean>;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * scrypt (Node's OpenSSL implementation): memory-hard and slow by design. Stored as
 * `scrypt$<logN>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later and old
 * hashes still verify.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  readonly #logN: number;
  readonly #r = 8;
  readonly #p = 1;

  /** logN 15 (N = 32768, 32 MiB, ~50 ms) by default; tests lower it. */
  constructor(options: { logN?: number } = {}) {
    this.#logN = options.logN ?? 15;
  }

  async hash(plain: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(plain, salt, 32, { N: 2 ** this.#logN, r: this.#r, p: this.#p, maxmem: 256 * 1024 * 1024 });
    return ['scrypt', this.#logN, this.#r, this.#p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(plain: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [, logN, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    const expected = Buffer.from(hash, 'base64');
    const actual = await scryptAsync(plain, Buffer.from(salt, 'base64'), expected.length, {
      N: 2 ** Number(logN),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

/** Harbor's password rule: 8 to 128 characters with an upper-case letter, a lower-case letter and a digit. */
export function meetsPasswordRule(password: string): boolean {
  return password.length >= 8 && password.length <= 128 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /[0-9]/.test(password);
}

export const PASSWORD_RULE = 'the password must be 8 to 128 characters long and contain an upper-case letter, a lower-case letter and a digit';
