import type { Pool } from '@wharf/db';

/** A scheduled policy's periodic job, as its SCHEDULER execution and task. */
export interface PolicySchedule {
  policyId: number;
  executionId: number;
  taskId: number;
  cron: string;
}

export interface ScheduleStore {
  find(policyId: number): Promise<PolicySchedule | undefined>;
  findByExecution(executionId: number): Promise<PolicySchedule | undefined>;
  save(schedule: PolicySchedule): Promise<void>;
  delete(policyId: number): Promise<PolicySchedule | undefined>;
  /** Records a fire once: true for the first caller with this fire id, false for every later one. */
  claimFire(fireId: string, policyId: number): Promise<boolean>;
  setFireExecution(fireId: string, executionId: number): Promise<void>;
}

interface ScheduleRow {
  policy_id: number;
  execution_id: number;
  task_id: number;
  cron: string;
}

const toSchedule = (row: ScheduleRow): PolicySchedule => ({ policyId: row.policy_id, executionId: row.execution_id, taskId: row.task_id, cron: row.cron });

export class PgScheduleStore implements ScheduleStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async find(policyId: number): Promise<PolicySchedule | undefined> {
    const result = await this.#pool.query<ScheduleRow>('SELECT * FROM replication_schedule WHERE policy_id = $1', [policyId]);
    const row = result.rows[0];
    return row ? toSchedule(row) : undefined;
  }

  async findByExecution(executionId: number): Promise<PolicySchedule | undefined> {
    const result = await this.#pool.query<ScheduleRow>('SELECT * FROM replication_schedule WHERE execution_id = $1', [executionId]);
    const row = result.rows[0];
    return row ? toSchedule(row) : undefined;
  }

  async save(schedule: PolicySchedule): Promise<void> {
    await this.#pool.query(
      `INSERT INTO replication_schedule (policy_id, execution_id, task_id, cron) VALUES ($1, $2, $3, $4)
       ON CONFLICT (policy_id) DO UPDATE SET execution_id = EXCLUDED.execution_id, task_id = EXCLUDED.task_id, cron = EXCLUDED.cron, creation_time = now()`,
      [schedule.policyId, schedule.executionId, schedule.taskId, schedule.cron],
    );
  }

  async delete(policyId: number): Promise<PolicySchedule | undefined> {
    const result = await this.#pool.query<ScheduleRow>('DELETE FROM replication_schedule WHERE policy_id = $1 RETURNING *', [policyId]);
    const row = result.rows[0];
    return row ? toSchedule(row) : undefined;
  }

  async claimFire(fireId: string, policyId: number): Promise<boolean> {
    const result = await this.#pool.query('INSERT INTO replication_schedule_fire (fire_id, policy_id) VALUES ($1, $2) ON CONFLICT (fire_id) DO NOTHING', [fireId, policyId]);
    return (result.rowCount ?? 0) > 0;
  }

  async setFireExecution(fireId: string, executionId: number): Promise<void> {
    await this.#pool.query('UPDATE replication_schedule_fire SET execution_id = $2 WHERE fire_id = $1', [fireId, executionId]);
  }
}
