import { z } from 'zod';
import { JOB_STATUSES } from './job-status.js';
import { JobStatsV1 } from './job-stats.v1.js';

/**
 * The status hook jobservice POSTs to a job's `status_hook` (Harbor's `job.StatusChange`):
 * every status change, and every check-in (then `check_in` is set and the status is the
 * job's current one). `metadata` is the job's full stats, with `revision`, `check_in_at`
 * and `upstream_job_id`.
 */
export const JobStatusHookV1 = z.object({
  job_id: z.string().min(1),
  status: z.enum(JOB_STATUSES),
  check_in: z.string().optional(),
  metadata: JobStatsV1.partial().extend({ revision: z.number().int().optional() }).optional(),
});
export type JobStatusHookV1 = z.infer<typeof JobStatusHookV1>;
