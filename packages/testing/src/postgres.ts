import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '@wharf/db';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database on the machine's Postgres, named for this run only. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `wharf_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  return { url: url.toString(), drop: () => dropDatabase(url.toString()) };
}
