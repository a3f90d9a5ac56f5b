import { z } from 'zod';
import { JOB_KINDS } from './job-status.js';

/** `metadata` of a launch request (Harbor's `job.Metadata`; the uniqueness key is `unique`). */
export const JobMetadataV1 = z.object({
  kind: z.enum(JOB_KINDS),
  schedule_delay: z.number().int().nonnegative().optional(),
  cron_spec: z.string().optional(),
  unique: z.boolean().optional(),
});
export type JobMetadataV1 = z.infer<typeof JobMetadataV1>;

/**
 * `POST /api/v1/jobs` body: `{"job": {name, parameters, metadata, status_hook}}`. The
 * kind-specific rules (a delay for Scheduled, a cron for Periodic) and the job type's
 * own parameter schema are checked by jobservice, which knows the registered types.
 */
export const JobRequestV1 = z.object({
  job: z.object({
    name: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()).default({}),
    metadata: JobMetadataV1,
    status_hook: z.url().optional(),
  }),
});
export type JobRequestV1 = z.infer<typeof JobRequestV1>;

/** `POST /api/v1/jobs/{id}` body: an action on a job (Harbor's `stop`). */
export const JobActionV1 = z.object({ action: z.string().min(1) });
export type JobActionV1 = z.infer<typeof JobActionV1>;
