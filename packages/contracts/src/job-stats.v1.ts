import { z } from 'zod';
import { JOB_KINDS, JOB_STATUSES } from './job-status.js';

/** The last hook the receiver acknowledged (Harbor's `ACK`). */
export const JobAckV1 = z.object({
  status: z.enum(JOB_STATUSES),
  revision: z.number().int(),
  check_in_at: z.number().int().optional(),
});
export type JobAckV1 = z.infer<typeof JobAckV1>;

/**
 * Harbor's `StatsInfo`: what `GET /api/v1/jobs/{id}` returns under `job` and what every
 * status hook carries as `metadata`. Times are unix seconds.
 */
export const JobStatsV1 = z.object({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  name: z.string(),
  kind: z.enum(JOB_KINDS),
  unique: z.boolean(),
  ref_link: z.string().optional(),
  cron_spec: z.string().optional(),
  enqueue_time: z.number().int(),
  update_time: z.number().int(),
  run_at: z.number().int().optional(),
  check_in: z.string().optional(),
  check_in_at: z.number().int().optional(),
  die_at: z.number().int().optional(),
  web_hook_url: z.string().optional(),
  upstream_job_id: z.string().optional(),
  numeric_policy_id: z.number().int().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  revision: z.number().int().optional(),
  ack: JobAckV1.optional(),
  /** Beyond Harbor: how delivery of this job's hooks stands (`delivered`, `retrying`, `expired`). */
  hook_status: z.string().optional(),
  /** Beyond Harbor: runs of this job so far (retries included). */
  executions: z.number().int().optional(),
  /**
   * Beyond Harbor: why the job last failed — set on a retry (the failure that caused it)
   * and on Error (the reason it ended), cleared on Success. Status hooks carry it in
   * `metadata`, so core can show it as the task's status message.
   */
  status_message: z.string().optional(),
});
export type JobStatsV1 = z.infer<typeof JobStatsV1>;

/** The `{"job": StatsInfo}` envelope of jobservice's answers. */
export const JobStatsEnvelopeV1 = z.object({ job: JobStatsV1 });
export type JobStatsEnvelopeV1 = z.infer<typeof JobStatsEnvelopeV1>;
