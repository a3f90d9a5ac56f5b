import type { Pool, Queryable } from '@wharf/db';
import { withTransaction } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import { deriveExecutionStatus } from './execution-status.js';
import type { Execution, ExecutionMetrics, ExecutionStatus, ExecutionTrigger, ExtraAttrs } from './tasks.schemas.js';

export interface ExecutionFilter {
  vendorType: string;
  vendorId?: number;
}

export interface ExecutionStore {
  create(input: { vendorType: string; vendorId: number; trigger: ExecutionTrigger; extraAttrs: ExtraAttrs }): Promise<Execution>;
  findById(id: number): Promise<Execution | undefined>;
  list(filter: ExecutionFilter, query: ListQuery): Promise<{ items: Execution[]; total: number }>;
  /**
   * Sets the status of an execution its vendor ends itself (no tasks, or a failure before
   * them). With `onlyIfRunning`, an execution that already ended is left alone.
   * Undefined when there is no such execution (or, with `onlyIfRunning`, it had ended).
   */
  finish(id: number, status: Exclude<ExecutionStatus, 'Running'>, message: string, options?: { onlyIfRunning?: boolean }): Promise<Execution | undefined>;
}

interface ExecutionRow {
  id: number;
  vendor_type: string;
  vendor_id: number;
  status: ExecutionStatus;
  status_message: string;
  trigger: ExecutionTrigger;
  extra_attrs: ExtraAttrs;
  task_count: number;
  success_task_count: number;
  error_task_count: number;
  pending_task_count: number;
  running_task_count: number;
  scheduled_task_count: number;
  stopped_task_count: number;
  start_time: Date;
  end_time: Date | null;
  update_time: Date;
}

const toExecution = (row: ExecutionRow): Execution => ({
  id: row.id,
  vendorType: row.vendor_type,
  vendorId: row.vendor_id,
  status: row.status,
  statusMessage: row.status_message,
  trigger: row.trigger,
  extraAttrs: row.extra_attrs,
  metrics: {
    taskCount: row.task_count,
    successTaskCount: row.success_task_count,
    errorTaskCount: row.error_task_count,
    pendingTaskCount: row.pending_task_count,
    runningTaskCount: row.running_task_count,
    scheduledTaskCount: row.scheduled_task_count,
    stoppedTaskCount: row.stopped_task_count,
  },
  startTime: row.start_time,
  endTime: row.end_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  id: { sql: 'id', type: 'int' },
  vendor_id: { sql: 'vendor_id', type: 'bigint' },
  status: { sql: 'status', type: 'text' },
  trigger: { sql: 'trigger', type: 'text' },
  start_time: { sql: 'start_time', type: 'time' },
  end_time: { sql: 'end_time', type: 'time' },
};

/**
 * Takes the execution's row lock for the rest of the transaction. Everything that changes
 * a task of the execution takes it first, so the refresh that follows counts every task
 * change committed before it, and hooks of one execution cannot overwrite each other's
 * counts. Returns the execution's vendor type; undefined when there is no such execution.
 */
export async function lockExecution(tx: Queryable, id: number): Promise<{ vendorType: string } | undefined> {
  const result = await tx.query<{ vendor_type: string }>('SELECT vendor_type FROM execution WHERE id = $1 FOR NO KEY UPDATE', [id]);
  const row = result.rows[0];
  return row ? { vendorType: row.vendor_type } : undefined;
}

/**
 * Recounts the execution's tasks by status and derives its status from them (the caller
 * holds the lock of `lockExecution`). A final status takes the end time of the last task
 * to end; a Running one has none. An execution without tasks keeps its status.
 */
export async function refreshExecution(tx: Queryable, id: number): Promise<void> {
  const counted = await tx.query<{ total: number; success: number; error: number; pending: number; running: number; scheduled: number; stopped: number; ended: Date | null; first_error: string | null }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'Success')::int AS success,
            count(*) FILTER (WHERE status = 'Error')::int AS error,
            count(*) FILTER (WHERE status = 'Pending')::int AS pending,
            count(*) FILTER (WHERE status = 'Running')::int AS running,
            count(*) FILTER (WHERE status = 'Scheduled')::int AS scheduled,
            count(*) FILTER (WHERE status = 'Stopped')::int AS stopped,
            max(end_time) AS ended,
            (array_agg(status_message ORDER BY end_time, id) FILTER (WHERE status = 'Error' AND status_message <> ''))[1] AS first_error
       FROM task WHERE execution_id = $1`,
    [id],
  );
  const row = counted.rows[0]!;
  const metrics: ExecutionMetrics = {
    taskCount: row.total,
    successTaskCount: row.success,
    errorTaskCount: row.error,
    pendingTaskCount: row.pending,
    runningTaskCount: row.running,
    scheduledTaskCount: row.scheduled,
    stoppedTaskCount: row.stopped,
  };
  const status = deriveExecutionStatus(metrics);
  // A failed execution says why: how many tasks failed, and the first one's reason.
  const message = status === 'Error' ? `${metrics.errorTaskCount} of ${metrics.taskCount} tasks failed${row.first_error ? `: ${row.first_error}` : ''}` : status === undefined ? null : '';
  await tx.query(
    `UPDATE execution SET task_count = $2, success_task_count = $3, error_task_count = $4, pending_task_count = $5,
            running_task_count = $6, scheduled_task_count = $7, stopped_task_count = $8,
            status = COALESCE($9::text, status),
            status_message = COALESCE($11::text, status_message),
            end_time = CASE WHEN $9::text IS NULL THEN end_time WHEN $9::text = 'Running' THEN NULL ELSE COALESCE($10::timestamptz, now()) END,
            update_time = now()
      WHERE id = $1`,
    [id, metrics.taskCount, metrics.successTaskCount, metrics.errorTaskCount, metrics.pendingTaskCount, metrics.runningTaskCount, metrics.scheduledTaskCount, metrics.stoppedTaskCount, status ?? null, row.ended, message],
  );
}

export class PgExecutionStore implements ExecutionStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async create(input: { vendorType: string; vendorId: number; trigger: ExecutionTrigger; extraAttrs: ExtraAttrs }): Promise<Execution> {
    const result = await this.#pool.query<ExecutionRow>(
      `INSERT INTO execution (vendor_type, vendor_id, trigger, extra_attrs) VALUES ($1, $2, $3, $4) RETURNING *`,
      [input.vendorType, input.vendorId, input.trigger, JSON.stringify(input.extraAttrs)],
    );
    return toExecution(result.rows[0]!);
  }

  async findById(id: number): Promise<Execution | undefined> {
    const result = await this.#pool.query<ExecutionRow>('SELECT * FROM execution WHERE id = $1', [id]);
    const row = result.rows[0];
    return row ? toExecution(row) : undefined;
  }

  async list(filter: ExecutionFilter, query: ListQuery): Promise<{ items: Execution[]; total: number }> {
    const values: unknown[] = [filter.vendorType];
    const scope = ['vendor_type = $1'];
    if (filter.vendorId !== undefined) {
      values.push(filter.vendorId);
      scope.push(`vendor_id = $${values.length}`);
    }
    const sql = toSql(query, columns, [{ key: 'id', descending: true }], values.length);
    const where = [...scope, ...sql.where].join(' AND ');
    const all = [...values, ...sql.values];
    const page = pageClause(sql, all);
    const [items, total] = await Promise.all([
      this.#pool.query<ExecutionRow>(`SELECT * FROM execution WHERE ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM execution WHERE ${where}`, all),
    ]);
    return { items: items.rows.map(toExecution), total: total.rows[0]?.n ?? 0 };
  }

  async finish(id: number, status: Exclude<ExecutionStatus, 'Running'>, message: string, options: { onlyIfRunning?: boolean } = {}): Promise<Execution | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      if (!(await lockExecution(tx, id))) return undefined;
      const result = await tx.query<ExecutionRow>(
        `UPDATE execution SET status = $2, status_message = $3, end_time = now(), update_time = now()
          WHERE id = $1 ${options.onlyIfRunning ? "AND status = 'Running'" : ''} RETURNING *`,
        [id, status, message],
      );
      const row = result.rows[0];
      return row ? toExecution(row) : undefined;
    });
  }
}
