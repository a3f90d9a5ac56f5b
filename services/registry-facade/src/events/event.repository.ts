import { withTransaction, type Pool, type Queryable } from '@wharf/db';
import type { RegistryEvent } from './registry-event.js';

const INSERT = `INSERT INTO event_outbox (id, payload, created_at)
  SELECT (e->>'id')::uuid, e, (e->>'timestamp')::timestamptz FROM jsonb_array_elements($1::jsonb) AS e
  ON CONFLICT (id) DO NOTHING`;

export interface OutboxEntry {
  id: string;
  payload: RegistryEvent;
  attempts: number;
  createdAt: Date;
}

/** The `event_outbox` table: events stored with the change that raised them, until delivered. */
export class PgEventOutbox {
  readonly #pool: Pool;
  readonly #lazyPool: Pool | undefined;

  /** `lazyPool`: sessions with `synchronous_commit=off`, for {@link addLazily}'s one-statement writes. */
  constructor(deps: { pool: Pool; lazyPool?: Pool }) {
    this.#pool = deps.pool;
    this.#lazyPool = deps.lazyPool;
  }

  /** Stores events; pass a transaction's client to store them with the change that raised them. */
  async add(events: readonly RegistryEvent[], db: Queryable = this.#pool): Promise<void> {
    if (events.length === 0) return;
    await db.query(INSERT, [JSON.stringify(events)]);
  }

  /**
   * Stores events that accompany no change (pulls) without waiting for the WAL flush: they
   * survive a restart of the registry, and only a crash of the database server itself can
   * lose the last fraction of a second of them. A pull does not pay a disk flush.
   */
  async addLazily(events: readonly RegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.#lazyPool) {
      await this.#lazyPool.query(INSERT, [JSON.stringify(events)]);
      return;
    }
    await withTransaction(this.#pool, async (tx) => {
      await tx.query('SET LOCAL synchronous_commit TO OFF');
      await tx.query(INSERT, [JSON.stringify(events)]);
    });
  }

  /**
   * Claims up to `limit` due events, oldest first, by pushing their next attempt `leaseMs`
   * into the future; replicas never claim the same event, and a claimer that dies releases
   * its events when the lease ends.
   */
  async claimDue(limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const result = await this.#pool.query<{ id: string; payload: RegistryEvent; attempts: number; created_at: Date }>(
      `UPDATE event_outbox SET next_attempt_at = now() + ($2::bigint * interval '1 millisecond')
       WHERE id IN (
         SELECT id FROM event_outbox WHERE next_attempt_at <= now()
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING id, payload, attempts, created_at`,
      [limit, leaseMs],
    );
    return result.rows
      .map((row) => ({ id: row.id, payload: row.payload, attempts: row.attempts, createdAt: row.created_at }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#pool.query('DELETE FROM event_outbox WHERE id = ANY($1::uuid[])', [ids]);
  }

  async reschedule(ids: readonly string[], delayMs: number, error: string): Promise<void> {
    if (ids.length === 0) return;
    await this.#pool.query(
      `UPDATE event_outbox
       SET attempts = attempts + 1, last_error = $3, next_attempt_at = now() + ($2::bigint * interval '1 millisecond')
       WHERE id = ANY($1::uuid[])`,
      [ids, delayMs, error.slice(0, 1000)],
    );
  }

  /** Drops events older than `cutoff` that were never delivered; returns how many. */
  async dropOlderThan(cutoff: Date): Promise<number> {
    const result = await this.#pool.query('DELETE FROM event_outbox WHERE created_at < $1', [cutoff]);
    return result.rowCount ?? 0;
  }

  async depth(): Promise<number> {
    const result = await this.#pool.query<{ count: number }>('SELECT count(*)::bigint AS count FROM event_outbox');
    return result.rows[0]?.count ?? 0;
  }
}
