import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, withTransaction, type Pool } from '../src/index.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/migrations');

describe('db on a real Postgres', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase('db');
  });
  afterAll(async () => {
    await pool?.end();
    await db.drop();
  });

  it('applies migrations once, even when replicas start together, into the service schema', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migrate({ url: db.url, schema: 'svc', dir: MIGRATIONS })));
    expect(results.flat().sort()).toEqual(['0001_first', '0002_second']);
    expect(await migrate({ url: db.url, schema: 'svc', dir: MIGRATIONS })).toEqual([]);
    pool = createPool({ url: db.url, schema: 'svc' });
    const columns = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'svc' AND table_name = 'item' ORDER BY column_name",
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['id', 'name', 'note', 'size']);
  });

  it('opens sessions that commit without waiting for the WAL flush when asked, on the service schema still', async () => {
    const lazy = createPool({ url: db.url, schema: 'svc', max: 1, synchronousCommit: 'off' });
    try {
      expect((await lazy.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit).toBe('off');
      expect((await lazy.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).toBe('"svc",public');
      expect((await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit).toBe('on');
    } finally {
      await lazy.end();
    }
  });

  it('reads bigint as a number', async () => {
    const result = await pool.query<{ size: number }>("INSERT INTO item (name, size) VALUES ('big', 5000000000) RETURNING size");
    expect(result.rows[0]!.size).toBe(5_000_000_000);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO item (name, size) VALUES ('kept', 1)");
    });
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO item (name, size) VALUES ('lost', 1)");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = await pool.query<{ name: string }>('SELECT name FROM item ORDER BY name');
    expect(names.rows.map((r) => r.name)).toEqual(['big', 'kept']);
  });

  it('survives the connection of a checked-out transaction client dying between statements: the transaction fails, the process and the pool go on', async () => {
    const admin = createPool({ url: db.url, max: 1 });
    try {
      const failed = withTransaction(pool, async (tx) => {
        const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        // As a database restart does: the server ends the session while the client is out of the pool.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.query("INSERT INTO item (name, size) VALUES ('never', 1)");
      });
      await expect(failed).rejects.toThrow();
      const names = await pool.query<{ name: string }>('SELECT name FROM item ORDER BY name');
      expect(names.rows.map((r) => r.name)).not.toContain('never');
    } finally {
      await admin.end();
    }
  });
});
