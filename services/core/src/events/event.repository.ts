import { withTransaction, type Pool } from '@wharf/db';
import type { AuditEntry, PgAuditRepository } from '../audit/audit.repository.js';

/** Applied registry events (events arrive at least once) and what a pull changes. */
export class PgEventRepository {
  readonly #pool: Pool;
  readonly #audit: PgAuditRepository;

  constructor(deps: { pool: Pool; audit: PgAuditRepository }) {
    this.#pool = deps.pool;
    this.#audit = deps.audit;
  }

  async isApplied(id: string): Promise<boolean> {
    const result = await this.#pool.query('SELECT 1 FROM registry_event WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Marks the event applied and records its audit entry, once. */
  async markApplied(id: string, action: string, audit: AuditEntry): Promise<void> {
    await withTransaction(this.#pool, async (tx) => {
      const inserted = await tx.query('INSERT INTO registry_event (id, action) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, action]);
      if (inserted.rowCount) await this.#audit.add(audit, tx);
    });
  }

  /** Counts a pull exactly once per event: pull count, pull times, audit entry. */
  async applyPull(id: string, pull: { repository: string; digest: string | undefined; tag: string | undefined; at: Date }, audit: AuditEntry): Promise<boolean> {
    return withTransaction(this.#pool, async (tx) => {
      // Pull counts are statistics: they need not wait for the WAL flush.
      await tx.query('SET LOCAL synchronous_commit TO OFF');
      const inserted = await tx.query("INSERT INTO registry_event (id, action) VALUES ($1, 'pull') ON CONFLICT (id) DO NOTHING", [id]);
      if (!inserted.rowCount) return false;
      await tx.query('UPDATE repository SET pull_count = pull_count + 1 WHERE name = $1', [pull.repository]);
      if (pull.digest) {
        await tx.query('UPDATE artifact SET pull_time = GREATEST(COALESCE(pull_time, $3), $3) WHERE repository_name = $1 AND digest = $2', [pull.repository, pull.digest, pull.at]);
      }
      if (pull.tag) {
        await tx.query(
          `UPDATE tag t SET pull_time = GREATEST(COALESCE(t.pull_time, $3), $3) FROM repository r
           WHERE t.repository_id = r.repository_id AND r.name = $1 AND t.name = $2`,
          [pull.repository, pull.tag, pull.at],
        );
      }
      await this.#audit.add(audit, tx);
      return true;
    });
  }

  async projectIdOf(repository: string): Promise<number | null> {
    const result = await this.#pool.query<{ project_id: number }>('SELECT project_id FROM project WHERE name = $1', [repository.split('/')[0]]);
    return result.rows[0]?.project_id ?? null;
  }
}
