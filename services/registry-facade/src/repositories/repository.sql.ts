import type { Queryable } from '@wharf/db';

/**
 * The `repository` row every other table hangs off. These helpers are persistence shared by
 * the domain repositories (blobs, manifests, tags, referrers, catalog), which call them
 * inside their own statements and transactions; services never see repository ids.
 */
export async function ensureRepositoryId(db: Queryable, name: string): Promise<number> {
  // Read first: the repository almost always exists, and a plain read takes no row lock, so
  // concurrent pushes to one repository do not queue behind each other's commits.
  const existing = await findRepositoryId(db, name);
  if (existing !== undefined) return existing;
  const inserted = await db.query<{ id: number }>('INSERT INTO repository (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [name]);
  if (inserted.rows[0]) return inserted.rows[0].id;
  // Another transaction created it meanwhile (ON CONFLICT waited for it): a new statement sees it.
  const created = await findRepositoryId(db, name);
  if (created === undefined) throw new Error(`repository ${name} vanished while being created`);
  return created;
}

export async function findRepositoryId(db: Queryable, name: string): Promise<number | undefined> {
  const result = await db.query<{ id: number }>('SELECT id FROM repository WHERE name = $1', [name]);
  return result.rows[0]?.id;
}
