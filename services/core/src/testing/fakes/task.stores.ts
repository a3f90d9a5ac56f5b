import type { ListQuery } from '../../listing/list-query.js';
import { deriveExecutionStatus } from '../../tasks/execution-status.js';
import type { ExecutionFilter, ExecutionStore } from '../../tasks/execution.store.js';
import type { StatusChange, TaskStore, TaskToCheck } from '../../tasks/task.store.js';
import type { Execution, ExecutionMetrics, ExecutionStatus, ExecutionTrigger, ExtraAttrs, Task } from '../../tasks/tasks.schemas.js';
import type { InMemoryDb, TaskRow } from './db.js';
import { listInMemory, type Field } from './list.js';

const executionFields: Record<string, Field<Execution>> = {
  id: { get: (e) => e.id, type: 'int' },
  vendor_id: { get: (e) => e.vendorId, type: 'bigint' },
  status: { get: (e) => e.status, type: 'text' },
  trigger: { get: (e) => e.trigger, type: 'text' },
  start_time: { get: (e) => e.startTime, type: 'time' },
  end_time: { get: (e) => e.endTime, type: 'time' },
};

const emptyMetrics = (): ExecutionMetrics => ({
  taskCount: 0,
  successTaskCount: 0,
  errorTaskCount: 0,
  pendingTaskCount: 0,
  runningTaskCount: 0,
  scheduledTaskCount: 0,
  stoppedTaskCount: 0,
});

/** A task whose job should exist in jobservice: not final, or a schedule not stopped (the Pg store's LIVE). */
const isLive = (task: TaskRow): boolean => task.statusCode < 3 || (task.jobPeriodic && task.status !== 'Stopped');

/** The Pg store's `refreshExecution`: an execution's counts and status follow its tasks. */
function refreshExecution(db: InMemoryDb, id: number): void {
  const execution = db.executions.get(id);
  if (!execution) return;
  const tasks = [...db.tasks.values()].filter((t) => t.executionId === id);
  const count = (status: string) => tasks.filter((t) => t.status === status).length;
  const metrics: ExecutionMetrics = {
    taskCount: tasks.length,
    successTaskCount: count('Success'),
    errorTaskCount: count('Error'),
    pendingTaskCount: count('Pending'),
    runningTaskCount: count('Running'),
    scheduledTaskCount: count('Scheduled'),
    stoppedTaskCount: count('Stopped'),
  };
  const status = deriveExecutionStatus(metrics);
  const now = db.now();
  execution.metrics = metrics;
  execution.updateTime = now;
  if (status === undefined) return;
  execution.status = status;
  if (status === 'Running') {
    execution.endTime = null;
    execution.statusMessage = '';
    return;
  }
  const ended = tasks.map((t) => t.endTime?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
  execution.endTime = ended > 0 ? new Date(ended) : now;
  const firstError = tasks.filter((t) => t.status === 'Error' && t.statusMessage !== '').sort((a, b) => (a.endTime?.getTime() ?? 0) - (b.endTime?.getTime() ?? 0) || a.id - b.id)[0];
  execution.statusMessage = status === 'Error' ? `${metrics.errorTaskCount} of ${metrics.taskCount} tasks failed${firstError ? `: ${firstError.statusMessage}` : ''}` : '';
}

export class InMemoryExecutionStore implements ExecutionStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async create(input: { vendorType: string; vendorId: number; trigger: ExecutionTrigger; extraAttrs: ExtraAttrs }): Promise<Execution> {
    const now = this.#db.now();
    const execution: Execution = { ...structuredClone(input), id: this.#db.nextId('execution'), status: 'Running', statusMessage: '', metrics: emptyMetrics(), startTime: now, endTime: null, updateTime: now };
    this.#db.executions.set(execution.id, execution);
    return structuredClone(execution);
  }

  async findById(id: number): Promise<Execution | undefined> {
    const execution = this.#db.executions.get(id);
    return execution && structuredClone(execution);
  }

  async list(filter: ExecutionFilter, query: ListQuery): Promise<{ items: Execution[]; total: number }> {
    const rows = [...this.#db.executions.values()].filter((e) => e.vendorType === filter.vendorType && (filter.vendorId === undefined || e.vendorId === filter.vendorId));
    const page = listInMemory(rows, query, executionFields, [{ key: 'id', descending: true }]);
    return { items: page.items.map((e) => structuredClone(e)), total: page.total };
  }

  async finish(id: number, status: Exclude<ExecutionStatus, 'Running'>, message: string, options: { onlyIfRunning?: boolean } = {}): Promise<Execution | undefined> {
    const execution = this.#db.executions.get(id);
    if (!execution || (options.onlyIfRunning && execution.status !== 'Running')) return undefined;
    const now = this.#db.now();
    Object.assign(execution, { status, statusMessage: message, endTime: now, updateTime: now });
    return structuredClone(execution);
  }
}

const baseTaskFields: Record<string, Field<Task>> = {
  id: { get: (t) => t.id, type: 'int' },
  status: { get: (t) => t.status, type: 'text' },
  job_id: { get: (t) => t.jobId, type: 'text' },
  run_count: { get: (t) => t.runCount, type: 'int' },
  creation_time: { get: (t) => t.creationTime, type: 'time' },
  start_time: { get: (t) => t.startTime, type: 'time' },
  end_time: { get: (t) => t.endTime, type: 'time' },
  update_time: { get: (t) => t.updateTime, type: 'time' },
};

function taskFieldsFor(query: ListQuery): Record<string, Field<Task>> {
  const fields = { ...baseTaskFields };
  for (const key of [...query.conditions.map((c) => c.key), ...query.sort.map((s) => s.key)]) {
    const attribute = /^extra_attrs\.([A-Za-z0-9_]{1,64})$/.exec(key)?.[1];
    if (attribute) {
      fields[key] = {
        get: (t) => {
          const value = t.extraAttrs[attribute];
          return value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
        },
        type: 'text',
      };
    }
  }
  return fields;
}

const toTask = (row: TaskRow): Task => {
  const { jobSpecSealed: _spec, jobMissingSince: _missing, jobCheckedAt: _checked, ...task } = structuredClone(row);
  return task;
};

export class InMemoryTaskStore implements TaskStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async create(input: { executionId: number; extraAttrs: ExtraAttrs; jobSpecSealed?: string; jobPeriodic?: boolean }): Promise<Task | undefined> {
    const execution = this.#db.executions.get(input.executionId);
    if (!execution) return undefined;
    const now = this.#db.now();
    const row: TaskRow = {
      id: this.#db.nextId('task'),
      executionId: input.executionId,
      vendorType: execution.vendorType,
      jobId: null,
      status: 'Pending',
      statusCode: 0,
      statusRevision: 0,
      statusMessage: '',
      runCount: 0,
      extraAttrs: structuredClone(input.extraAttrs),
      jobPeriodic: input.jobPeriodic ?? false,
      jobResubmits: 0,
      creationTime: now,
      updateTime: now,
      startTime: null,
      endTime: null,
      jobSpecSealed: input.jobSpecSealed ?? null,
      jobMissingSince: null,
      jobCheckedAt: null,
    };
    this.#db.tasks.set(row.id, row);
    refreshExecution(this.#db, input.executionId);
    return toTask(row);
  }

  async setJobId(id: number, jobId: string): Promise<void> {
    this.#change(id, { jobId });
  }

  async claimForCheck(options: { staleAfterMs: number; periodicEveryMs: number; limit: number }): Promise<TaskToCheck[]> {
    const now = this.#db.now().getTime();
    const checked = (t: TaskRow) => t.jobCheckedAt?.getTime() ?? -Infinity;
    const due = [...this.#db.tasks.values()]
      .filter(isLive)
      .filter((t) => (t.jobPeriodic ? checked(t) < now - options.periodicEveryMs : Math.max(t.updateTime.getTime(), checked(t)) < now - options.staleAfterMs))
      .sort((a, b) => checked(a) - checked(b))
      .slice(0, options.limit);
    for (const task of due) task.jobCheckedAt = new Date(now);
    return due.map((row) => ({ task: toTask(row), jobSpecSealed: row.jobSpecSealed, jobMissingSince: row.jobMissingSince }));
  }

  async noteStatusMessage(id: number, message: string): Promise<void> {
    const row = this.#db.tasks.get(id);
    if (row && row.statusCode < 3) row.statusMessage = message;
  }

  async markJobMissing(id: number, jobId: string | null): Promise<void> {
    const row = this.#db.tasks.get(id);
    if (row && row.jobId === jobId) row.jobMissingSince ??= this.#db.now();
  }

  async clearJobMissing(id: number): Promise<void> {
    const row = this.#db.tasks.get(id);
    if (row) row.jobMissingSince = null;
  }

  async retire(id: number, executionId: number, message: string): Promise<Task | undefined> {
    const row = this.#db.tasks.get(id);
    if (!row || !isLive(row)) return undefined;
    const now = this.#db.now();
    Object.assign(row, { status: 'Error', statusCode: 3, statusMessage: message, jobPeriodic: false, endTime: now, updateTime: now });
    refreshExecution(this.#db, executionId);
    return toTask(row);
  }

  async replaceJob(id: number, previousJobId: string | null, jobId: string, message: string): Promise<boolean> {
    const row = this.#db.tasks.get(id);
    if (!row || !isLive(row) || row.jobId !== previousJobId) return false;
    Object.assign(row, { jobId, statusMessage: message, jobMissingSince: null, jobResubmits: row.jobResubmits + 1, updateTime: this.#db.now() });
    if (previousJobId && !this.#db.replacedJobs.has(previousJobId)) this.#db.replacedJobs.set(previousJobId, id);
    return true;
  }

  async mergeExtraAttrs(id: number, attrs: ExtraAttrs): Promise<void> {
    const row = this.#db.tasks.get(id);
    if (row) this.#change(id, { extraAttrs: { ...row.extraAttrs, ...structuredClone(attrs) } });
  }

  async findById(id: number): Promise<Task | undefined> {
    const row = this.#db.tasks.get(id);
    return row && toTask(row);
  }

  async findByJobId(jobId: string): Promise<Task | undefined> {
    const row = [...this.#db.tasks.values()].find((t) => t.jobId === jobId) ?? this.#db.tasks.get(this.#db.replacedJobs.get(jobId) ?? 0);
    return row && toTask(row);
  }

  async list(executionId: number, query: ListQuery): Promise<{ items: Task[]; total: number }> {
    const rows = [...this.#db.tasks.values()].filter((t) => t.executionId === executionId).map(toTask);
    return listInMemory(rows, query, taskFieldsFor(query), [{ key: 'id', descending: false }]);
  }

  async listUnfinished(executionId: number): Promise<Task[]> {
    return [...this.#db.tasks.values()].filter((t) => t.executionId === executionId && isLive(t)).sort((a, b) => a.id - b.id).map(toTask);
  }

  async applyStatus(task: { id: number; executionId: number }, change: StatusChange): Promise<{ applied: boolean; task: Task | undefined }> {
    const row = this.#db.tasks.get(task.id);
    const forward = row && ((row.statusRevision === change.revision && row.statusCode < change.code) || row.statusRevision < change.revision);
    if (!row || !forward) return { applied: false, task: undefined };
    const now = this.#db.now();
    const newRun = row.statusRevision < change.revision;
    Object.assign(row, {
      status: change.status,
      statusCode: change.code,
      runCount: newRun ? row.runCount + 1 : row.runCount,
      startTime: newRun ? now : row.startTime,
      statusRevision: change.revision,
      statusMessage: change.message ?? '',
      endTime: change.code === 3 ? now : null,
      updateTime: now,
      jobMissingSince: null,
    });
    refreshExecution(this.#db, task.executionId);
    return { applied: true, task: toTask(row) };
  }

  async markFinal(task: { id: number; executionId: number }, status: 'Error' | 'Stopped', message: string): Promise<Task | undefined> {
    const row = this.#db.tasks.get(task.id);
    if (!row || !isLive(row)) return undefined;
    const now = this.#db.now();
    Object.assign(row, { status, statusCode: 3, statusMessage: message, endTime: now, updateTime: now });
    refreshExecution(this.#db, task.executionId);
    return toTask(row);
  }

  #change(id: number, change: Partial<TaskRow>): void {
    const row = this.#db.tasks.get(id);
    if (row) Object.assign(row, change, { updateTime: this.#db.now() });
  }
}
