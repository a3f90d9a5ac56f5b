import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type QueryResultRow = pg.QueryResultRow;

/** Anything that runs a query: the pool itself, or a transaction's client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PoolOptions {
  url: string;
  /** The service's own schema; first on the search path. */
  schema?: string;
  max?: number;
  applicationName?: string;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  /**
   * How long an idle connection is kept (default 30 s). A new server session costs the
   * database a process and its catalog caches warming up: a service's long-lived pool keeps
   * its sessions for minutes ({@link SERVICE_POOL_IDLE_TIMEOUT_MS}), so that a burst (a
   * replication, a CI push storm) finds the sessions the previous one opened.
   */
  idleTimeoutMs?: number;
  /**
   * `off`: the pool's sessions commit without waiting for the WAL flush (a crash of the
   * database server may lose the last fraction of a second of their commits), each write
   * one round trip instead of a transaction around `SET LOCAL`.
   */
  synchronousCommit?: 'on' | 'off';
}

/** The idle timeout of a service's own pool: 10 minutes. */
export const SERVICE_POOL_IDLE_TIMEOUT_MS = 600_000;

const INT8_OID = 20;
const parseInt8 = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`bigint ${value} is beyond the safe integer range`);
  return parsed;
};

/** A pg pool on the service's schema, with bigint read as number and bounded waits. */
export function createPool(options: PoolOptions): pg.Pool {
  const settings = [
    ...(options.schema ? [`-c search_path=${quoteIdent(options.schema)},public`] : []),
    ...(options.synchronousCommit ? [`-c synchronous_commit=${options.synchronousCommit}`] : []),
  ];
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 20,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    // Idle sessions never hold the process open (a script that forgets end() still exits).
    allowExitOnIdle: true,
    options: settings.length > 0 ? settings.join(' ') : undefined,
    types: {
      getTypeParser: ((oid: number, format?: string): unknown =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : (pg.types.getTypeParser(oid, format as 'text') as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its connection must not crash the process; the next
  // checkout gets a fresh one.
  pool.on('error', () => undefined);
  return pool;
}

export async function pingPool(pool: Queryable): Promise<void> {
  await pool.query('SELECT 1');
}

/**
 * Runs `fn` in a transaction on one client; commits when it resolves, rolls back when it throws.
 *
 * While a client is checked out, pg's pool no longer listens for its errors: a connection
 * lost between two statements (a database restart, a terminated backend) would emit an
 * unhandled `error` and end the process. The client gets a listener for as long as it is
 * out; the failure then surfaces as the rejection of the statement that needs the
 * connection, and the broken client is destroyed on release instead of going back to the pool.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    lost ??= (await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: unknown) => rollbackError as Error,
    ));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(lost ?? undefined);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
