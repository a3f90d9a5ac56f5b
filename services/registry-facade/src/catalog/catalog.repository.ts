import type { Pool } from '@wharf/db';

/** Reads of the `repository` table for the catalog. */
export class PgCatalogRepository {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  /** Repository names after `last` in byte order, at most `limit`, of repositories that hold at least one manifest. */
  async listNames(limit: number, last: string | undefined): Promise<string[]> {
    const result = await this.#pool.query<{ name: string }>(
      `SELECT r.name FROM repository r
       WHERE ($1::text IS NULL OR r.name > $1)
         AND EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)
       ORDER BY r.name LIMIT $2`,
      [last ?? null, limit],
    );
    return result.rows.map((row) => row.name);
  }
}
