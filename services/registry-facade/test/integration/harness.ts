import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '@wharf/config';
import { createLogger } from '@wharf/logging';
import { createTestDatabase, TestRegistryClient, type TestDatabase } from '@wharf/testing';
import { configSchema } from '../../src/config.js';
import { createRegistry, type Registry } from '../../src/main.js';

export interface RegistryUnderTest {
  url: string;
  client: TestRegistryClient;
  registry: Registry;
  db: TestDatabase;
  /** Queries the registry's own schema directly, to check what was (not) stored. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  storageRoot: string;
  stop(): Promise<void>;
}

/**
 * registry-facade in this process, wired exactly as main.ts wires it, on a fresh database
 * and a temporary storage root, listening on a free port.
 */
export async function startRegistry(env: Record<string, string> = {}): Promise<RegistryUnderTest> {
  const db = await createTestDatabase('registry');
  const storageRoot = await mkdtemp(join(tmpdir(), 'wharf-registry-'));
  const config = loadConfig(configSchema, {
    DATABASE_URL: db.url,
    REGISTRY_STORAGE_FILESYSTEM_ROOT: storageRoot,
    REGISTRY_HTTP_PORT: '0',
    ...env,
  });
  const logger = createLogger({ service: 'registry-facade', level: 'error', stream: new PassThrough().resume() });
  const registry = await createRegistry(config, { logger });
  const server = await registry.start();
  const client = new pg.Client({ connectionString: db.url, options: '-c search_path=registry' });
  await client.connect();
  return {
    url: server.url,
    client: new TestRegistryClient(server.url),
    registry,
    db,
    storageRoot,
    sql: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await client.query<R>(text, values)).rows,
    stop: async () => {
      await client.end();
      await registry.close();
      await db.drop();
      await rm(storageRoot, { recursive: true, force: true });
    },
  };
}

/** The first error of an OCI error answer. */
export function firstError(body: Buffer): { code: string; message: string; detail?: unknown } {
  const parsed = JSON.parse(body.toString('utf8')) as { errors: { code: string; message: string; detail?: unknown }[] };
  return parsed.errors[0]!;
}

/**
 * Sends the path exactly as given (fetch and URL normalise `..` and `%2e%2e` away; a hostile
 * client does not).
 */
export function rawRequest(baseUrl: string, method: string, path: string): Promise<{ status: number; body: Buffer }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
