import type { Queryable } from '@wharf/db';

/**
 * The `repository` row every other table hangs off. These helpers are persistence shared by
 * the domain repositories (blobs, manifests, tags, referrers, catalog), which call them
 * inside their own statements and transactions; services never see repository ids.
 */
export async function ensureRepositoryId(db: Queryable, name: string): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO repository (name) VALUES ($1)
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
     RETURNING id`,
    [name],
  );
  return result.rows[0]!.id;
}

export async function findRepositoryId(db: Queryable, name: string): Promise<number | undefined> {
  const result = await db.query<{ id: number }>('SELECT id FROM repository WHERE name = $1', [name]);
  return result.rows[0]?.id;
}
