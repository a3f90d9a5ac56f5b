import { JOB_KINDS, JOB_STATUSES, type JobKind, type JobStatus, type JobStatsV1 } from '@wharf/contracts';

/** A job as stored: Harbor's stats plus what only jobservice needs. */
export interface JobRecord {
  stats: JobStatsV1;
  /** Failures so far (each one a retry or the last). */
  fails: number;
  stopRequested: boolean;
  hookUrl: string | undefined;
  /** When the dependency outage this job is riding out began (ms); undefined when none. */
  outageSince?: number;
}

export const FINAL_TTL_SECONDS: Record<JobStatus, number> = {
  Pending: 0,
  Scheduled: 0,
  Running: 0,
  Success: 86_400,
  Stopped: 86_400,
  Error: 7 * 86_400,
};

const int = (value: string | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
};

/** The stored hash → a record (unknown fields ignored). */
export function recordFromHash(hash: Record<string, string>): JobRecord | undefined {
  if (!hash.id || !hash.name) return undefined;
  const status = (JOB_STATUSES as readonly string[]).includes(hash.status ?? '') ? (hash.status as JobStatus) : 'Pending';
  const kind = (JOB_KINDS as readonly string[]).includes(hash.kind ?? '') ? (hash.kind as JobKind) : 'Generic';
  const stats: JobStatsV1 = {
    id: hash.id,
    status,
    name: hash.name,
    kind,
    unique: hash.unique === '1',
    enqueue_time: int(hash.enqueue_time) ?? 0,
    update_time: int(hash.update_time) ?? 0,
  };
  const optional = {
    ref_link: hash.ref_link || undefined,
    cron_spec: hash.cron_spec || undefined,
    run_at: int(hash.run_at),
    check_in: hash.check_in || undefined,
    check_in_at: int(hash.check_in_at),
    web_hook_url: hash.web_hook_url || undefined,
    upstream_job_id: hash.upstream_job_id || undefined,
    revision: int(hash.revision),
    hook_status: hash.hook_status || undefined,
    executions: int(hash.executions),
    status_message: hash.status_message || undefined,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (stats as Record<string, unknown>)[key] = value;
  if (hash.parameters) stats.parameters = JSON.parse(hash.parameters) as Record<string, unknown>;
  if (hash.ack) stats.ack = JSON.parse(hash.ack) as JobStatsV1['ack'];
  const record: JobRecord = { stats, fails: int(hash.fails) ?? 0, stopRequested: hash.stop === '1', hookUrl: hash.web_hook_url || undefined };
  const outageSince = int(hash.outage_since);
  if (outageSince !== undefined) record.outageSince = outageSince;
  return record;
}

/** A new job's fields → the flat list HSET takes. */
export function hashFromStats(stats: JobStatsV1, extra: Record<string, string>): string[] {
  const fields: Record<string, string> = {
    id: stats.id,
    name: stats.name,
    kind: stats.kind,
    status: stats.status,
    unique: stats.unique ? '1' : '0',
    enqueue_time: String(stats.enqueue_time),
    update_time: String(stats.update_time),
    parameters: JSON.stringify(stats.parameters ?? {}),
    executions: '0',
    fails: '0',
    ...extra,
  };
  if (stats.ref_link) fields.ref_link = stats.ref_link;
  if (stats.cron_spec) fields.cron_spec = stats.cron_spec;
  if (stats.run_at !== undefined) fields.run_at = String(stats.run_at);
  if (stats.web_hook_url) fields.web_hook_url = stats.web_hook_url;
  if (stats.upstream_job_id) fields.upstream_job_id = stats.upstream_job_id;
  if (stats.revision !== undefined) fields.revision = String(stats.revision);
  return Object.entries(fields).flat();
}

/**
 * A whole record → the flat list HSET takes, to re-create a job its worker still holds
 * (Redis lost it while the job ran): its stats as read at start, with `status`.
 */
export function hashFromRecord(record: JobRecord, status: JobStatus): string[] {
  const { stats } = record;
  const extra: Record<string, string> = { fails: String(record.fails), executions: String(stats.executions ?? 0) };
  if (stats.status_message) extra.status_message = stats.status_message;
  if (record.outageSince !== undefined) extra.outage_since = String(record.outageSince);
  if (record.stopRequested) extra.stop = '1';
  return hashFromStats({ ...stats, status }, extra);
}
