import { canMoveJobStatus, isFinalJobStatus, type JobStatus, type JobStatsV1 } from '@wharf/contracts';
import type { JobRecord } from '../job-record.js';
import type { JobRepository, RetryReason, SetStatusResult } from '../job.repository.js';

/** The job repository in memory, with the same status rules as the Redis scripts (for unit tests). */
export class InMemoryJobRepository implements JobRepository {
  readonly records = new Map<string, JobRecord>();
  readonly unique = new Map<string, string>();
  readonly scheduled = new Map<string, number>();
  readonly stopRequests: string[] = [];

  async create(stats: JobStatsV1, options: { uniqueKey?: string; dueMs?: number }): Promise<{ duplicateOf?: string }> {
    if (options.uniqueKey) {
      const other = this.unique.get(options.uniqueKey);
      const otherStatus = other ? this.records.get(other)?.stats.status : undefined;
      if (other && otherStatus && !isFinalJobStatus(otherStatus)) return { duplicateOf: other };
      this.unique.set(options.uniqueKey, stats.id);
    }
    this.records.set(stats.id, { stats: structuredClone(stats), fails: 0, stopRequested: false, hookUrl: stats.web_hook_url });
    if (options.dueMs !== undefined) this.scheduled.set(stats.id, options.dueMs);
    return {};
  }

  /** A copy, as Redis would read it. */
  async get(id: string): Promise<JobRecord | undefined> {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async getMany(ids: readonly string[]): Promise<(JobRecord | undefined)[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /** Every status change, check-in and retry, in order (what the Redis scripts would announce as hooks). */
  readonly events: { id: string; status: JobStatus; revision: number; check_in?: string; status_message?: string }[] = [];

  async setStatus(id: string, status: JobStatus, revision?: number, message?: string): Promise<SetStatusResult> {
    const record = this.records.get(id);
    if (!record) return 'unknown';
    if (revision !== undefined && revision !== record.stats.revision) return 'refused';
    if (record.stats.status === status) {
      if (status === 'Running') record.stats.executions = (record.stats.executions ?? 0) + 1;
      return 'unchanged';
    }
    if (!canMoveJobStatus(record.stats.status, status)) return 'refused';
    record.stats.status = status;
    if (status === 'Running') record.stats.executions = (record.stats.executions ?? 0) + 1;
    if (status === 'Success') {
      delete record.stats.status_message;
      delete record.outageSince;
    } else if (message) record.stats.status_message = message;
    this.events.push({ id, status, revision: record.stats.revision ?? 0, ...(record.stats.status_message ? { status_message: record.stats.status_message } : {}) });
    return 'changed';
  }

  async retry(id: string, revision: number, dueMs: number, reason: RetryReason): Promise<number | 'unknown' | undefined> {
    const record = this.records.get(id);
    if (!record) return 'unknown';
    if (isFinalJobStatus(record.stats.status) || record.stats.revision !== revision) return undefined;
    const next = revision + 1;
    record.stats.status = 'Pending';
    record.stats.revision = next;
    record.stats.status_message = reason.message;
    if (reason.outageSince === undefined) {
      record.fails++;
      delete record.outageSince;
    } else record.outageSince = reason.outageSince;
    this.scheduled.set(id, dueMs);
    this.events.push({ id, status: 'Pending', revision: next, status_message: reason.message });
    return next;
  }

  async checkIn(id: string, message: string, revision: number): Promise<'changed' | 'refused' | 'unknown'> {
    const record = this.records.get(id);
    if (!record) return 'unknown';
    if (record.stats.status !== 'Running' || record.stats.revision !== revision) return 'refused';
    record.stats.check_in = message;
    this.events.push({ id, status: 'Running', revision, check_in: message });
    return 'changed';
  }

  async restore(record: JobRecord, status: JobStatus): Promise<boolean> {
    if (this.records.has(record.stats.id)) return false;
    this.records.set(record.stats.id, { ...structuredClone(record), stats: { ...structuredClone(record.stats), status } });
    return true;
  }

  async requestStop(id: string): Promise<void> {
    this.stopRequests.push(id);
    const record = this.records.get(id);
    if (record) record.stopRequested = true;
  }

  async schedule(id: string, dueMs: number): Promise<void> {
    this.scheduled.set(id, dueMs);
  }

  async unschedule(id: string): Promise<void> {
    this.scheduled.delete(id);
  }

  async claimDue(): Promise<string[]> {
    return [];
  }

  async published(id: string, leaseMs: number): Promise<void> {
    if (this.scheduled.get(id) === leaseMs) this.scheduled.delete(id);
  }

  async periodicIds(): Promise<string[]> {
    return [...this.records.values()].filter((r) => r.stats.kind === 'Periodic' && !isFinalJobStatus(r.stats.status)).map((r) => r.stats.id);
  }

  async firePeriodic(): Promise<string | undefined> {
    return undefined;
  }

  async executions(periodicId: string, offset: number, limit: number): Promise<{ total: number; jobs: JobStatsV1[] }> {
    const all = [...this.records.values()].filter((r) => r.stats.upstream_job_id === periodicId).map((r) => r.stats);
    return { total: all.length, jobs: all.slice(offset, offset + limit) };
  }
}
