import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StackSecrets {
  /** The suite's shared secret (`Authorization: Harbor-Secret`). */
  secret: string;
  /** Path of the PEM private key that signs registry tokens. */
  tokenKeyFile: string;
}

/**
 * The secrets of a local stack, made on its first start and kept in `<dataDir>/secrets`
 * (mode 0600) so that the next start reuses them: the shared secret of the services and
 * the key that signs registry tokens.
 */
export function ensureStackSecrets(dataDir: string): StackSecrets {
  const dir = join(dataDir, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretFile = join(dir, 'suite-secret');
  const tokenKeyFile = join(dir, 'token-key.pem');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  if (!existsSync(tokenKeyFile)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(tokenKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return { secret: readFileSync(secretFile, 'utf8').trim(), tokenKeyFile };
}
