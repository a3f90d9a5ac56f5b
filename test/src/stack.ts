import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, type RunningStack } from '@wharf/launcher';
import { createTestDatabase, createTestTokenIssuer, freePort, TestRegistryClient, type TestDatabase, type TestTokenIssuer } from '@wharf/testing';
import { createTempDir, type TempDir } from './temp-dir.js';
import { startTokenServer, type TokenServer } from './token-server.js';

/** The repository root (where `services/` is). */
export const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface TokenAuth {
  issuer: TestTokenIssuer;
  server: TokenServer;
  /** The one user the token endpoint knows, with a strong random password. */
  user: string;
  password: string;
}

export interface TestStack {
  /** `http://127.0.0.1:<port>` */
  registryUrl: string;
  /** `127.0.0.1:<port>`, as image references name the registry. */
  registryHost: string;
  /** A temp dir of this stack's own: the services' data and logs, and room for the clients' state. */
  dir: string;
  logFile: string;
  /** Present when the registry runs with REGISTRY_AUTH_MODE=token. */
  auth: TokenAuth | undefined;
  /** A plain HTTP client for checks; in token mode it carries a token granting `scope`. */
  client(scope?: string): Promise<TestRegistryClient>;
  /** Stops the services, the token endpoint, drops the database and removes the temp dir. */
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Names the database and the temp dir (`skopeo`, `docker-token`, …). */
  label: string;
  auth?: 'none' | 'token';
}

async function logTail(file: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.slice(-4000);
  } catch {
    return '(no log)';
  }
}

/** Runs every cleanup step even when one fails, then reports all failures at once. */
export async function cleanUp(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'e2e clean-up failed');
}

/**
 * Starts registry-facade on its own with the launcher's startStack (`services: 'registry'`),
 * on a free port, with a fresh database and a temp dir of its own; in token mode, with a
 * token endpoint in this process and the public key of a test issuer. (The whole suite,
 * core in front, is `startSuite` in suite.ts.)
 */
export async function startTestStack(options: TestStackOptions): Promise<TestStack> {
  const entry = join(ROOT_DIR, 'services/registry-facade/dist/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm run build, which npm test runs)`);

  const temp: TempDir = await createTempDir(options.label);
  const cleanups: (() => Promise<void>)[] = [() => temp.remove()];
  const logDir = join(temp.path, 'logs');
  const logFile = join(logDir, 'registry-facade.log');
  try {
    let auth: TokenAuth | undefined;
    const env: NodeJS.ProcessEnv = { LOG_FORMAT: 'json', REGISTRY_AUTH_MODE: options.auth ?? 'none' };
    if (options.auth === 'token') {
      const issuer = await createTestTokenIssuer();
      const password = randomBytes(24).toString('base64url');
      const server = await startTokenServer({ issuer, users: { admin: password } });
      cleanups.unshift(() => server.stop());
      auth = { issuer, server, user: 'admin', password };
      Object.assign(env, {
        REGISTRY_AUTH_TOKEN_REALM: server.realm,
        REGISTRY_AUTH_TOKEN_SERVICE: issuer.service,
        REGISTRY_AUTH_TOKEN_ISSUER: issuer.issuer,
        REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE: await issuer.writePublicKey(join(temp.path, 'keys')),
      });
    }

    const database: TestDatabase = await createTestDatabase(`e2e_${options.label}`);
    cleanups.unshift(() => database.drop());
    const dataDir = join(temp.path, 'data');
    await mkdir(dataDir, { recursive: true });
    const registryPort = await freePort();
    let stack: RunningStack;
    try {
      stack = await startStack({ rootDir: ROOT_DIR, dataDir, databaseUrl: database.url, registryPort, services: 'registry', env, logDir });
    } catch (error) {
      throw new Error(`the stack did not start: ${(error as Error).message}\n--- registry-facade log ---\n${await logTail(logFile)}`, { cause: error });
    }
    cleanups.unshift(() => stack.stop());

    const registryHost = `127.0.0.1:${registryPort}`;
    return {
      registryUrl: stack.registryUrl,
      registryHost,
      dir: temp.path,
      logFile,
      auth,
      async client(scope) {
        const token = auth && scope ? await auth.issuer.token(scope, { subject: 'e2e-check' }) : undefined;
        return new TestRegistryClient(stack.registryUrl, { token });
      },
      stop: () => cleanUp(cleanups),
    };
  } catch (error) {
    await cleanUp(cleanups).catch(() => undefined);
    throw error;
  }
}
