import type pg from 'pg';
import { KeyedMutex } from '@wharf/keyed-mutex';

/**
 * What keeps core's projection of a repository right with any number of core replicas: the
 * syncs and event applications of one repository run one at a time (each reads the registry,
 * then writes; two interleaved could bring back what the other removed), and the pushes core
 * projected itself are remembered, so that their registry events need not read the registry.
 */
export interface ProjectionGuard {
  /** Runs `task` alone for the repository: no other holder of the guard, in any process, runs one for it meanwhile. */
  exclusive<T>(repository: string, task: () => Promise<T>): Promise<T>;
  /** Remembers that core projected this push (one entry per tag, or the digest alone). */
  rememberPush(repository: string, digest: string, tags: readonly string[]): Promise<void>;
  /** Whether core projected this push within `withinMs`. */
  pushedRecently(repository: string, digest: string, tag: string | undefined, withinMs: number): Promise<boolean>;
  /** Forgets pushes projected before `cutoff`; returns how many. */
  prune(cutoff: Date): Promise<number>;
}

/** One process's guard (tests, a single core): a per-repository lock and pushes in memory. */
export class InProcessProjectionGuard implements ProjectionGuard {
  readonly #locks = new KeyedMutex<string>();
  readonly #pushes = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  exclusive<T>(repository: string, task: () => Promise<T>): Promise<T> {
    return this.#locks.run(repository, task);
  }

  async rememberPush(repository: string, digest: string, tags: readonly string[]): Promise<void> {
    for (const tag of tags.length > 0 ? tags : ['']) this.#pushes.set(`${repository}@${digest}:${tag}`, this.#now());
  }

  async pushedRecently(repository: string, digest: string, tag: string | undefined, withinMs: number): Promise<boolean> {
    const at = this.#pushes.get(`${repository}@${digest}:${tag ?? ''}`);
    return at !== undefined && this.#now() - at < withinMs;
  }

  async prune(cutoff: Date): Promise<number> {
    let pruned = 0;
    for (const [key, at] of this.#pushes) if (at < cutoff.getTime() && this.#pushes.delete(key)) pruned += 1;
    return pruned;
  }
}

/**
 * The guard in Postgres, shared by every core replica: a session advisory lock per repository
 * (taken on a connection of its own for the task's length, after this process's own
 * per-repository lock, so one process holds at most one connection per repository), and
 * projected pushes in `projected_push`.
 */
export class PgProjectionGuard implements ProjectionGuard {
  readonly #pool: pg.Pool;
  readonly #local = new KeyedMutex<string>();

  constructor(deps: { pool: pg.Pool }) {
    this.#pool = deps.pool;
  }

  exclusive<T>(repository: string, task: () => Promise<T>): Promise<T> {
    return this.#local.run(repository, async () => {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await client.query("SELECT pg_advisory_lock(hashtextextended('projection:' || $1, 0))", [repository]);
        try {
          return await task();
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtextextended('projection:' || $1, 0))", [repository]).catch((error: Error) => (broken = error));
        }
      } catch (error) {
        broken ??= error instanceof Error && /connection|terminat/i.test(error.message) ? error : undefined;
        throw error;
      } finally {
        client.off('error', onError);
        // A connection that failed may still hold the lock: it is closed, which frees it.
        client.release(broken);
      }
    });
  }

  async rememberPush(repository: string, digest: string, tags: readonly string[]): Promise<void> {
    const list = tags.length > 0 ? [...tags] : [''];
    await this.#pool.query(
      `INSERT INTO projected_push (repository_name, digest, tag, projected_at)
       SELECT $1, $2, tag, now() FROM unnest($3::text[]) AS tag
       ON CONFLICT (repository_name, digest, tag) DO UPDATE SET projected_at = now()`,
      [repository, digest, list],
    );
  }

  async pushedRecently(repository: string, digest: string, tag: string | undefined, withinMs: number): Promise<boolean> {
    const result = await this.#pool.query(
      "SELECT 1 FROM projected_push WHERE repository_name = $1 AND digest = $2 AND tag = $3 AND projected_at > now() - $4 * interval '1 millisecond'",
      [repository, digest, tag ?? '', withinMs],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async prune(cutoff: Date): Promise<number> {
    const result = await this.#pool.query('DELETE FROM projected_push WHERE projected_at < $1', [cutoff]);
    return result.rowCount ?? 0;
  }
}
