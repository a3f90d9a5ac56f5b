import type { Pool } from '@wharf/db';
import { withTransaction } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import { lockExecution, refreshExecution } from './execution.store.js';
import type { ExtraAttrs, Task, TaskStatus } from './tasks.schemas.js';

/** A status to apply: the status, its code in the status order and the run (revision) it belongs to. */
export interface StatusChange {
  status: TaskStatus;
  code: number;
  revision: number;
  /** Why the job is where it is (jobservice's `status_message`: the last failure); '' for none. */
  message?: string;
}

/**
 * A task whose job should exist in jobservice: one not final yet, or a periodic one (a
 * schedule) that was not stopped — a schedule's task takes the status of its last run and
 * goes on between runs.
 */
const LIVE = "(status_code < 3 OR (job_periodic AND status <> 'Stopped'))";

/** A task due for a check of its job, with what is needed to submit the job again. */
export interface TaskToCheck {
  task: Task;
  /** The sealed job as first launched; null for tasks created before jobs were kept. */
  jobSpecSealed: string | null;
  /** Set when an earlier check found the job unknown to jobservice. */
  jobMissingSince: Date | null;
}

export interface TaskStore {
  /** Inserts a Pending task and counts it in its execution; undefined when the execution does not exist. */
  create(input: { executionId: number; extraAttrs: ExtraAttrs; jobSpecSealed?: string; jobPeriodic?: boolean }): Promise<Task | undefined>;
  setJobId(id: number, jobId: string): Promise<void>;
  /**
   * Claims up to `limit` unfinished tasks for a check of their job: periodic ones not
   * checked for `periodicEveryMs`, others not checked (nor changed) for `staleAfterMs`.
   * Claiming stamps the check time, so replicas never check the same task at once.
   */
  claimForCheck(options: { staleAfterMs: number; periodicEveryMs: number; limit: number }): Promise<TaskToCheck[]>;
  /** Sets the status message of a task that is not final (why it waits). */
  noteStatusMessage(id: number, message: string): Promise<void>;
  /** Records that the task's job is unknown to jobservice (the first time only). */
  markJobMissing(id: number, jobId: string | null): Promise<void>;
  /** The job was found (again): forgets an earlier miss. */
  clearJobMissing(id: number): Promise<void>;
  /** Ends a task whose job is lost for good: Error with the reason; a schedule's task is no longer checked. */
  retire(id: number, executionId: number, message: string): Promise<Task | undefined>;
  /**
   * Gives a live task (unfinished, or a schedule not stopped) its new job after a resubmission (`previousJobId` is kept, so
   * its late hooks still find the task) and notes why in its status message. False when
   * the task moved on meanwhile (final, or another job).
   */
  replaceJob(id: number, previousJobId: string | null, jobId: string, message: string): Promise<boolean>;
  /** Merges attributes into the task's extra_attrs (top-level keys replaced). */
  mergeExtraAttrs(id: number, attrs: ExtraAttrs): Promise<void>;
  findById(id: number): Promise<Task | undefined>;
  findByJobId(jobId: string): Promise<Task | undefined>;
  list(executionId: number, query: ListQuery): Promise<{ items: Task[]; total: number }>;
  /** The tasks of the execution whose job still runs or waits: not final, or a schedule not stopped. */
  listUnfinished(executionId: number): Promise<Task[]>;
  /**
   * Applies a status only when it moves the task forward (a later run, or a higher code in
   * the same run) and refreshes the execution in the same transaction. `applied` is false
   * for a duplicate or late change, which leaves everything as it was.
   */
  applyStatus(task: { id: number; executionId: number }, change: StatusChange): Promise<{ applied: boolean; task: Task | undefined }>;
  /**
   * Ends a task that gets no hook (jobservice refused its job, the job was stopped before it
   * existed there, or a schedule was stopped) unless it is already final, and refreshes the
   * execution.
   */
  markFinal(task: { id: number; executionId: number }, status: 'Error' | 'Stopped', message: string): Promise<Task | undefined>;
}

interface TaskRow {
  id: number;
  execution_id: number;
  vendor_type: string;
  job_id: string | null;
  status: TaskStatus;
  status_code: number;
  status_revision: number;
  status_message: string;
  run_count: number;
  extra_attrs: ExtraAttrs;
  job_spec_enc: string | null;
  job_periodic: boolean;
  job_missing_since: Date | null;
  job_resubmits: number;
  creation_time: Date;
  update_time: Date;
  start_time: Date | null;
  end_time: Date | null;
}

const toTask = (row: TaskRow): Task => ({
  id: row.id,
  executionId: row.execution_id,
  vendorType: row.vendor_type,
  jobId: row.job_id,
  status: row.status,
  statusCode: row.status_code,
  statusRevision: row.status_revision,
  statusMessage: row.status_message,
  runCount: row.run_count,
  extraAttrs: row.extra_attrs,
  jobPeriodic: row.job_periodic,
  jobResubmits: row.job_resubmits,
  creationTime: row.creation_time,
  updateTime: row.update_time,
  startTime: row.start_time,
  endTime: row.end_time,
});

const baseColumns: Record<string, Column> = {
  id: { sql: 'id', type: 'int' },
  status: { sql: 'status', type: 'text' },
  job_id: { sql: 'job_id', type: 'text' },
  run_count: { sql: 'run_count', type: 'int' },
  creation_time: { sql: 'creation_time', type: 'time' },
  start_time: { sql: 'start_time', type: 'time' },
  end_time: { sql: 'end_time', type: 'time' },
  update_time: { sql: 'update_time', type: 'time' },
};

/** The query's columns, plus `extra_attrs.<key>` for the vendor's attributes (replication's `resource_type`, `operation`…). */
function columnsFor(query: ListQuery): Record<string, Column> {
  const columns = { ...baseColumns };
  for (const key of [...query.conditions.map((c) => c.key), ...query.sort.map((s) => s.key)]) {
    const attribute = /^extra_attrs\.([A-Za-z0-9_]{1,64})$/.exec(key)?.[1];
    if (attribute) columns[key] = { sql: `(extra_attrs->>'${attribute}')`, type: 'text' };
  }
  return columns;
}

/**
 * Harbor's guarded status update (`taskDAO.UpdateStatus`), one statement: the change is
 * applied only when its revision is newer, or the same with a higher status code. A newer
 * revision is a new run: run_count goes up and start_time restarts. A final status sets
 * end_time; any other clears it.
 */
export const GUARDED_STATUS_UPDATE = `UPDATE task
   SET status = $2,
       status_code = $3::int,
       run_count = CASE WHEN status_revision < $4::bigint THEN run_count + 1 ELSE run_count END,
       start_time = CASE WHEN status_revision < $4::bigint THEN now() ELSE start_time END,
       status_revision = $4::bigint,
       status_message = $5::text,
       end_time = CASE WHEN $3::int = 3 THEN now() ELSE NULL END,
       update_time = now(),
       job_missing_since = NULL
 WHERE id = $1
   AND ((status_revision = $4::bigint AND status_code < $3::int) OR status_revision < $4::bigint)
RETURNING *`;

export class PgTaskStore implements TaskStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async create(input: { executionId: number; extraAttrs: ExtraAttrs; jobSpecSealed?: string; jobPeriodic?: boolean }): Promise<Task | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      const execution = await lockExecution(tx, input.executionId);
      if (!execution) return undefined;
      const result = await tx.query<TaskRow>(
        'INSERT INTO task (execution_id, vendor_type, extra_attrs, job_spec_enc, job_periodic) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [input.executionId, execution.vendorType, JSON.stringify(input.extraAttrs), input.jobSpecSealed ?? null, input.jobPeriodic ?? false],
      );
      await refreshExecution(tx, input.executionId);
      return toTask(result.rows[0]!);
    });
  }

  async setJobId(id: number, jobId: string): Promise<void> {
    await this.#pool.query('UPDATE task SET job_id = $2, update_time = now() WHERE id = $1', [id, jobId]);
  }

  async mergeExtraAttrs(id: number, attrs: ExtraAttrs): Promise<void> {
    await this.#pool.query('UPDATE task SET extra_attrs = extra_attrs || $2::jsonb, update_time = now() WHERE id = $1', [id, JSON.stringify(attrs)]);
  }

  async findById(id: number): Promise<Task | undefined> {
    const result = await this.#pool.query<TaskRow>('SELECT * FROM task WHERE id = $1', [id]);
    const row = result.rows[0];
    return row ? toTask(row) : undefined;
  }

  async findByJobId(jobId: string): Promise<Task | undefined> {
    const result = await this.#pool.query<TaskRow>(
      `SELECT * FROM task WHERE job_id = $1
       UNION ALL
       SELECT t.* FROM task_replaced_job r JOIN task t ON t.id = r.task_id WHERE r.job_id = $1
       LIMIT 1`,
      [jobId],
    );
    const row = result.rows[0];
    return row ? toTask(row) : undefined;
  }

  async claimForCheck(options: { staleAfterMs: number; periodicEveryMs: number; limit: number }): Promise<TaskToCheck[]> {
    const result = await this.#pool.query<TaskRow>(
      `UPDATE task SET job_checked_at = now()
        WHERE id IN (
          SELECT id FROM task
           WHERE ${LIVE}
             AND (CASE WHEN job_periodic THEN COALESCE(job_checked_at, '-infinity') < now() - make_interval(secs => $2::double precision / 1000)
                       ELSE GREATEST(update_time, COALESCE(job_checked_at, '-infinity')) < now() - make_interval(secs => $1::double precision / 1000) END)
           ORDER BY job_checked_at NULLS FIRST
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [options.staleAfterMs, options.periodicEveryMs, options.limit],
    );
    return result.rows.map((row) => ({ task: toTask(row), jobSpecSealed: row.job_spec_enc, jobMissingSince: row.job_missing_since }));
  }

  async noteStatusMessage(id: number, message: string): Promise<void> {
    await this.#pool.query('UPDATE task SET status_message = $2 WHERE id = $1 AND status_code < 3', [id, message]);
  }

  async retire(id: number, executionId: number, message: string): Promise<Task | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      await lockExecution(tx, executionId);
      const result = await tx.query<TaskRow>(
        `UPDATE task SET status = 'Error', status_code = 3, status_message = $2, job_periodic = false, end_time = now(), update_time = now()
          WHERE id = $1 AND ${LIVE} RETURNING *`,
        [id, message],
      );
      const row = result.rows[0];
      if (row) await refreshExecution(tx, executionId);
      return row ? toTask(row) : undefined;
    });
  }

  async markJobMissing(id: number, jobId: string | null): Promise<void> {
    await this.#pool.query('UPDATE task SET job_missing_since = COALESCE(job_missing_since, now()) WHERE id = $1 AND job_id IS NOT DISTINCT FROM $2', [id, jobId]);
  }

  async clearJobMissing(id: number): Promise<void> {
    await this.#pool.query('UPDATE task SET job_missing_since = NULL WHERE id = $1 AND job_missing_since IS NOT NULL', [id]);
  }

  async replaceJob(id: number, previousJobId: string | null, jobId: string, message: string): Promise<boolean> {
    return withTransaction(this.#pool, async (tx) => {
      const result = await tx.query(
        `UPDATE task SET job_id = $3, status_message = $4, job_missing_since = NULL, job_resubmits = job_resubmits + 1, update_time = now()
          WHERE id = $1 AND ${LIVE} AND job_id IS NOT DISTINCT FROM $2`,
        [id, previousJobId, jobId, message],
      );
      if (!result.rowCount) return false;
      if (previousJobId) await tx.query('INSERT INTO task_replaced_job (job_id, task_id) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING', [previousJobId, id]);
      return true;
    });
  }

  async list(executionId: number, query: ListQuery): Promise<{ items: Task[]; total: number }> {
    const sql = toSql(query, columnsFor(query), [{ key: 'id', descending: false }], 1);
    const where = ['execution_id = $1', ...sql.where].join(' AND ');
    const values = [executionId, ...sql.values];
    const page = pageClause(sql, values);
    const [items, total] = await Promise.all([
      this.#pool.query<TaskRow>(`SELECT * FROM task WHERE ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM task WHERE ${where}`, values),
    ]);
    return { items: items.rows.map(toTask), total: total.rows[0]?.n ?? 0 };
  }

  async listUnfinished(executionId: number): Promise<Task[]> {
    const result = await this.#pool.query<TaskRow>(`SELECT * FROM task WHERE execution_id = $1 AND ${LIVE} ORDER BY id`, [executionId]);
    return result.rows.map(toTask);
  }

  async applyStatus(task: { id: number; executionId: number }, change: StatusChange): Promise<{ applied: boolean; task: Task | undefined }> {
    return withTransaction(this.#pool, async (tx) => {
      await lockExecution(tx, task.executionId);
      const result = await tx.query<TaskRow>(GUARDED_STATUS_UPDATE, [task.id, change.status, change.code, change.revision, change.message ?? '']);
      const row = result.rows[0];
      if (!row) return { applied: false, task: undefined };
      await refreshExecution(tx, task.executionId);
      return { applied: true, task: toTask(row) };
    });
  }

  async markFinal(task: { id: number; executionId: number }, status: 'Error' | 'Stopped', message: string): Promise<Task | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      await lockExecution(tx, task.executionId);
      const result = await tx.query<TaskRow>(
        `UPDATE task SET status = $2, status_code = 3, status_message = $3, end_time = now(), update_time = now()
          WHERE id = $1 AND ${LIVE} RETURNING *`,
        [task.id, status, message],
      );
      const row = result.rows[0];
      if (row) await refreshExecution(tx, task.executionId);
      return row ? toTask(row) : undefined;
    });
  }
}
