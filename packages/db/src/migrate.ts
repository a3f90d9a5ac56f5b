import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { quoteIdent } from './pool.js';

export interface MigrateOptions {
  url: string;
  /** The service's schema: created when missing, and home of its migrations table. */
  schema: string;
  /** Folder of `NNNN_name.sql` files with `-- Up Migration` / `-- Down Migration` sections. */
  dir: string;
  /** Receives node-pg-migrate's progress lines. */
  onOutput?: (line: string) => void;
}

/**
 * Applies every pending migration of one service, in a single transaction, under
 * node-pg-migrate's advisory lock (replicas starting at once wait for each other).
 * Returns the names of the migrations it applied.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const output = options.onOutput ?? (() => undefined);
  const applied = await runner({
    databaseUrl: options.url,
    dir: options.dir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    schema: options.schema,
    migrationsSchema: options.schema,
    createSchema: true,
    createMigrationsSchema: true,
    count: Number.POSITIVE_INFINITY,
    singleTransaction: true,
    checkOrder: true,
    advisoryLockMode: 'wait',
    logger: { debug: output, info: output, warn: output, error: output },
  });
  return applied.map((m) => m.name);
}

/** Creates the database named in `url` when it does not exist (local stacks and tests). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('the database URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '42P04') return false; // created meanwhile
      throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops the database named in `url` (tests). */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
