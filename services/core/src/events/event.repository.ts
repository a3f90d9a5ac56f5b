import { withTransaction, type Pool } from '@wharf/db';
import type { AuditEntry, PgAuditStore } from '../audit/audit.store.js';

/** A pull to count: the registry event's id, what was pulled and by whom. */
export interface PullEvent {
  id: string;
  repository: string;
  digest: string | undefined;
  tag: string | undefined;
  at: Date;
  /** The audit log's resource (`repo:tag` or `repo@digest`). */
  resource: string;
  username: string;
}

function latest<T extends { at: Date }>(times: Map<string, T>, key: string, value: T): void {
  const known = times.get(key);
  if (!known || known.at < value.at) times.set(key, value);
}

/** Applied registry events (events arrive at least once) and what a pull changes. */
export class PgEventRepository {
  readonly #pool: Pool;
  readonly #audit: PgAuditStore;

  constructor(deps: { pool: Pool; audit: PgAuditStore }) {
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

  /**
   * Counts pulls exactly once per event (pull counts, pull times, audit entries), a whole
   * batch in one transaction: events seen before are skipped by id, counts are summed per
   * repository and pull times kept at their latest per artifact and per tag, so a batch of
   * any size costs a fixed handful of statements. Returns how many pulls were new.
   */
  async applyPulls(pulls: readonly PullEvent[]): Promise<number> {
    if (pulls.length === 0) return 0;
    return withTransaction(this.#pool, async (tx) => {
      // Pull counts are statistics: they need not wait for the WAL flush.
      await tx.query('SET LOCAL synchronous_commit TO OFF');
      const inserted = await tx.query<{ id: string }>(
        "INSERT INTO registry_event (id, action) SELECT DISTINCT id, 'pull' FROM unnest($1::text[]) AS id ON CONFLICT (id) DO NOTHING RETURNING id",
        [pulls.map((pull) => pull.id)],
      );
      const fresh = new Set(inserted.rows.map((row) => row.id));
      const seen = new Set<string>();
      const applied = pulls.filter((pull) => fresh.has(pull.id) && !seen.has(pull.id) && seen.add(pull.id));
      if (applied.length === 0) return 0;

      const counts = new Map<string, number>();
      const artifactTimes = new Map<string, { repository: string; digest: string; at: Date }>();
      const tagTimes = new Map<string, { repository: string; tag: string; at: Date }>();
      for (const pull of applied) {
        counts.set(pull.repository, (counts.get(pull.repository) ?? 0) + 1);
        if (pull.digest) latest(artifactTimes, `${pull.repository}@${pull.digest}`, { repository: pull.repository, digest: pull.digest, at: pull.at });
        if (pull.tag) latest(tagTimes, `${pull.repository}:${pull.tag}`, { repository: pull.repository, tag: pull.tag, at: pull.at });
      }
      await tx.query(
        `UPDATE repository r SET pull_count = r.pull_count + c.n
         FROM unnest($1::text[], $2::bigint[]) AS c(name, n) WHERE r.name = c.name`,
        [[...counts.keys()], [...counts.values()]],
      );
      if (artifactTimes.size > 0) {
        const rows = [...artifactTimes.values()];
        await tx.query(
          `UPDATE artifact a SET pull_time = GREATEST(COALESCE(a.pull_time, c.at), c.at)
           FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(repository, digest, at)
           WHERE a.repository_name = c.repository AND a.digest = c.digest`,
          [rows.map((r) => r.repository), rows.map((r) => r.digest), rows.map((r) => r.at)],
        );
      }
      if (tagTimes.size > 0) {
        const rows = [...tagTimes.values()];
        await tx.query(
          `UPDATE tag t SET pull_time = GREATEST(COALESCE(t.pull_time, c.at), c.at)
           FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(repository, tag, at), repository r
           WHERE r.name = c.repository AND t.repository_id = r.repository_id AND t.name = c.tag`,
          [rows.map((r) => r.repository), rows.map((r) => r.tag), rows.map((r) => r.at)],
        );
      }
      await tx.query(
        `INSERT INTO audit_log (project_id, operation, resource_type, resource, username, op_time)
         SELECT p.project_id, 'pull', 'artifact', c.resource, c.username, now()
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(project, resource, username, n)
         LEFT JOIN project p ON p.name = c.project
         ORDER BY c.n`,
        [applied.map((pull) => pull.repository.split('/')[0]!), applied.map((pull) => pull.resource), applied.map((pull) => pull.username)],
      );
      return applied.length;
    });
  }

  /** Deletes the ids of events applied before `cutoff`, a bounded batch at a time; returns how many. */
  async pruneApplied(cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#pool.query(
        'DELETE FROM registry_event WHERE id IN (SELECT id FROM registry_event WHERE received_at < $1 LIMIT 10000)',
        [cutoff],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < 10000) return total;
    }
  }

  async projectIdOf(repository: string): Promise<number | null> {
    const result = await this.#pool.query<{ project_id: number }>('SELECT project_id FROM project WHERE name = $1', [repository.split('/')[0]]);
    return result.rows[0]?.project_id ?? null;
  }
}
