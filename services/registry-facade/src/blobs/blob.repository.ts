import { withTransaction, type Pool } from '@wharf/db';
import { ensureRepositoryId } from '../repositories/repository.sql.js';

/** The `blob` and `repository_blob` tables: what is stored, and which repository may serve it. */
export class PgBlobRepository {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  /** The size of `digest` when `repository` links it. */
  async findLinked(repository: string, digest: string): Promise<number | undefined> {
    const result = await this.#pool.query<{ size: number }>(
      `SELECT b.size FROM repository r
         JOIN repository_blob rb ON rb.repository_id = r.id
         JOIN blob b ON b.digest = rb.digest
       WHERE r.name = $1 AND rb.digest = $2`,
      [repository, digest],
    );
    return result.rows[0]?.size;
  }

  /** Sizes of those `digests` that the repository links. */
  async findLinkedMany(repository: string, digests: readonly string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map();
    const result = await this.#pool.query<{ digest: string; size: number }>(
      `SELECT b.digest, b.size FROM repository r
         JOIN repository_blob rb ON rb.repository_id = r.id
         JOIN blob b ON b.digest = rb.digest
       WHERE r.name = $1 AND rb.digest = ANY($2::text[])`,
      [repository, [...new Set(digests)]],
    );
    return new Map(result.rows.map((row) => [row.digest, row.size]));
  }

  /** Records `digest` (when given its size) and lets `repository` serve it, in one transaction. */
  async link(repository: string, digest: string, size?: number): Promise<void> {
    await withTransaction(this.#pool, async (tx) => {
      const repositoryId = await ensureRepositoryId(tx, repository);
      if (size !== undefined) {
        await tx.query('INSERT INTO blob (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING', [digest, size]);
      }
      await tx.query(
        'INSERT INTO repository_blob (repository_id, digest) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [repositoryId, digest],
      );
    });
  }

  /** Removes the link; true when there was one. */
  async unlink(repository: string, digest: string): Promise<boolean> {
    const result = await this.#pool.query(
      `DELETE FROM repository_blob rb USING repository r
       WHERE rb.repository_id = r.id AND r.name = $1 AND rb.digest = $2`,
      [repository, digest],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
