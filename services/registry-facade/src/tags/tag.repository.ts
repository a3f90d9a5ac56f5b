import type { Pool } from '@wharf/db';

/** Reads of the `tag` table (tags are written with their manifest, in the manifest repository). */
export class PgTagRepository {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  /**
   * Tag names after `last` in byte order, at most `limit` (all when undefined); undefined
   * when the repository does not exist.
   */
  async list(repository: string, limit: number | undefined, last: string | undefined): Promise<string[] | undefined> {
    const result = await this.#pool.query<{ name: string | null }>(
      `SELECT t.name FROM repository r
         LEFT JOIN LATERAL (
           SELECT name FROM tag WHERE repository_id = r.id AND ($2::text IS NULL OR name > $2)
           ORDER BY name LIMIT $3
         ) t ON true
       WHERE r.name = $1`,
      [repository, last ?? null, limit ?? null],
    );
    if (result.rows.length === 0) return undefined;
    return result.rows.flatMap((row) => (row.name === null ? [] : [row.name]));
  }
}
