import { canMoveJobStatus, isFinalJobStatus, type JobStatus, type JobStatsV1 } from '@wharf/contracts';
import type { JobRecord } from '../job-record.js';
import type { JobRepository, SetStatusResult } from '../job.repository.js';

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

  async get(id: string): Promise<JobRecord | undefined> {
    return this.records.get(id);
  }

  async getMany(ids: readonly string[]): Promise<(JobRecord | undefined)[]> {
    return ids.map((id) => this.records.get(id));
  }

  async setStatus(id: string, status: JobStatus, revision?: number): Promise<SetStatusResult> {
    const record = this.records.get(id);
    if (!record) return 'unknown';
    if (revision !== undefined && revision !== record.stats.revision) return 'refused';
    if (record.stats.status === status) return 'unchanged';
    if (!canMoveJobStatus(record.stats.status, status)) return 'refused';
    record.stats.status = status;
    return 'changed';
  }

  async retry(): Promise<number | undefined> {
    return undefined;
  }

  async checkIn(): Promise<boolean> {
    return false;
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
