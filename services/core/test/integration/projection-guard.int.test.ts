import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, type Pool } from '@wharf/db';
import { createTestDatabase, type TestDatabase } from '@wharf/testing';
import { PgProjectionGuard } from '../../src/artifacts/projection-guard.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two core replicas: two guards on two pools of one database. */
describe('the projection guard on a real Postgres, shared by two core replicas', () => {
  let db: TestDatabase;
  let pools: Pool[];
  let replicas: PgProjectionGuard[];

  beforeAll(async () => {
    db = await createTestDatabase('core_guard');
    await migrate({ url: db.url, schema: 'core_guard', dir: MIGRATIONS });
    pools = [createPool({ url: db.url, schema: 'core_guard' }), createPool({ url: db.url, schema: 'core_guard' })];
    replicas = pools.map((pool) => new PgProjectionGuard({ pool }));
  });
  afterAll(async () => {
    for (const pool of pools ?? []) await pool.end();
    await db?.drop();
  });

  it('runs the tasks of one repository one at a time across replicas, and of different repositories side by side', async () => {
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick(150);
      log.push(`${name} end`);
    };
    await Promise.all([replicas[0]!.exclusive('lib/app', task('a')), tick(20).then(() => replicas[1]!.exclusive('lib/app', task('b')))]);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);

    log.length = 0;
    await Promise.all([replicas[0]!.exclusive('lib/one', task('one')), tick(20).then(() => replicas[1]!.exclusive('lib/two', task('two')))]);
    expect(log).toEqual(['one start', 'two start', 'one end', 'two end']);
  });

  it('frees the repository when a task fails', async () => {
    await expect(replicas[0]!.exclusive('lib/app', async () => Promise.reject(new Error('registry answered 500')))).rejects.toThrow('registry answered 500');
    expect(await replicas[1]!.exclusive('lib/app', async () => 'next')).toBe('next');
  });

  it('tells every replica of a push one of them projected, for the time asked, and forgets it when pruned', async () => {
    await replicas[0]!.rememberPush('lib/app', 'sha256:a', ['v1', 'latest']);
    await replicas[0]!.rememberPush('lib/app', 'sha256:b', []);
    expect(await replicas[1]!.pushedRecently('lib/app', 'sha256:a', 'latest', 60_000)).toBe(true);
    expect(await replicas[1]!.pushedRecently('lib/app', 'sha256:b', undefined, 60_000)).toBe(true);
    expect(await replicas[1]!.pushedRecently('lib/app', 'sha256:a', 'other', 60_000)).toBe(false);
    await tick(20);
    expect(await replicas[1]!.pushedRecently('lib/app', 'sha256:a', 'latest', 10)).toBe(false);
    expect(await replicas[1]!.prune(new Date(Date.now() + 1000))).toBe(3);
    expect(await replicas[0]!.pushedRecently('lib/app', 'sha256:a', 'latest', 60_000)).toBe(false);
  });
});
