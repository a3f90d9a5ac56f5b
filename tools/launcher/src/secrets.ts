import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StackSecrets {
  /** The suite's shared secret (`Authorization: Harbor-Secret`). */
  secret: string;
  /** Path of the PEM private key that signs registry tokens (core creates it on its first start). */
  tokenKeyFile: string;
  /** The key core encrypts stored credentials (replication registries) with. */
  encryptionKey: string;
}

/**
 * The secrets of a local stack, kept in `<dataDir>/secrets` (mode 0600) so that the next
 * start reuses them: the services' shared secret, made here on the first start, and the
 * place of the key that signs registry tokens, which core creates on its first start, and
 * the key core encrypts stored credentials with (losing it loses those credentials).
 */
export function ensureStackSecrets(dataDir: string): StackSecrets {
  const dir = join(dataDir, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretFile = join(dir, 'suite-secret');
  const tokenKeyFile = join(dir, 'token-key.pem');
  const encryptionKeyFile = join(dir, 'encryption-key');
  for (const file of [secretFile, encryptionKeyFile]) if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return { secret: readFileSync(secretFile, 'utf8').trim(), tokenKeyFile, encryptionKey: readFileSync(encryptionKeyFile, 'utf8').trim() };
}
