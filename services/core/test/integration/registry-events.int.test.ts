import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Pool } from '@wharf/db';
import { createTestDatabase, type TestDatabase } from '@wharf/testing';
import { PgAuditStore } from '../../src/audit/audit.store.js';
import { PgEventRepository } from '../../src/events/event.repository.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

describe('applied registry events on a real Postgres', () => {
  let db: TestDatabase;
  let pool: Pool;
  let events: PgEventRepository;

  beforeAll(async () => {
    db = await createTestDatabase('core_events');
    await migrate({ url: db.url, schema: 'core_events', dir: MIGRATIONS });
    pool = createPool({ url: db.url, schema: 'core_events' });
    events = new PgEventRepository({ pool, audit: new PgAuditStore({ pool }) });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('forgets the ids of events applied before the cutoff and keeps the newer ones', async () => {
    await pool.query(
      `INSERT INTO registry_event (id, action, received_at)
       SELECT 'old-' || n, 'pull', now() - interval '9 days' FROM generate_series(1, 25000) AS n`,
    );
    await pool.query("INSERT INTO registry_event (id, action) VALUES ('recent', 'push')");
    expect(await events.pruneApplied(new Date(Date.now() - 8 * 24 * 3600 * 1000))).toBe(25000);
    expect(await events.isApplied('recent')).toBe(true);
    expect(await events.isApplied('old-1')).toBe(false);
  });
});
