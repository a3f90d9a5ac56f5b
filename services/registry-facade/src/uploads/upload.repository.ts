import type { Queryable } from '@wharf/db';
import type { DigestAlgorithm } from '@wharf/oci';

export interface UploadRecord {
  id: string;
  repository: string;
  algorithm: DigestAlgorithm;
  startedAt: Date;
  updatedAt: Date;
}

interface UploadRow {
  id: string;
  repository: string;
  algorithm: DigestAlgorithm;
  started_at: Date;
  updated_at: Date;
}

/** The `upload` table: one row per open upload session. */
export class PgUploadRepository {
  readonly #db: Queryable;

  constructor(deps: { db: Queryable }) {
    this.#db = deps.db;
  }

  async create(id: string, repository: string, algorithm: DigestAlgorithm): Promise<UploadRecord> {
    const result = await this.#db.query<UploadRow>(
      'INSERT INTO upload (id, repository, algorithm) VALUES ($1, $2, $3) RETURNING *',
      [id, repository, algorithm],
    );
    return toRecord(result.rows[0]!);
  }

  async find(id: string): Promise<UploadRecord | undefined> {
    const result = await this.#db.query<UploadRow>('SELECT * FROM upload WHERE id = $1', [id]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async touch(id: string): Promise<void> {
    await this.#db.query('UPDATE upload SET updated_at = now() WHERE id = $1', [id]);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db.query('DELETE FROM upload WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes sessions idle since before `cutoff` and returns their ids (each replica gets distinct rows). */
  async deleteIdleSince(cutoff: Date, limit: number): Promise<string[]> {
    const result = await this.#db.query<{ id: string }>(
      `DELETE FROM upload WHERE id IN (
         SELECT id FROM upload WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ) RETURNING id`,
      [cutoff, limit],
    );
    return result.rows.map((row) => row.id);
  }

  /** Those of `ids` that still have a session. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const result = await this.#db.query<{ id: string }>('SELECT id FROM upload WHERE id = ANY($1::uuid[])', [ids]);
    return new Set(result.rows.map((row) => row.id));
  }
}

function toRecord(row: UploadRow): UploadRecord {
  return { id: row.id, repository: row.repository, algorithm: row.algorithm, startedAt: row.started_at, updatedAt: row.updated_at };
}
