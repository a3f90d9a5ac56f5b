import { z } from 'zod';
import { PlacedResourceV1 } from './replication-resource.v1.js';

/**
 * REPLICATION job parameters as core launches them (Harbor's, HARBOR-FACTS §3a): the
 * resources are PlacedResourceV1 written as JSON strings.
 */
export const ReplicationJobParamsV1 = z.looseObject({
  src_resource: z.string().min(1),
  dst_resource: z.string().min(1),
  /** KiB/s per task; Harbor's -1 and 0 both mean unlimited. */
  speed: z.number().int().min(-1).optional(),
  copy_by_chunk: z.boolean().optional(),
});
export type ReplicationJobParamsV1 = z.infer<typeof ReplicationJobParamsV1>;

/** A resource inside job parameters: a JSON string as Harbor sends it, or the object itself. */
const embeddedResource = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a Resource as a JSON string or object' });
    return z.NEVER;
  }
}, PlacedResourceV1);

/**
 * `POST /api/v1/replications/copy` body (the adapter service): the REPLICATION job's
 * parameters, resources as JSON strings or objects, `speed` in KiB/s (0: unlimited).
 */
export const ReplicationCopyRequestV1 = z.looseObject({
  src_resource: embeddedResource,
  dst_resource: embeddedResource,
  speed: z.number().int().nullish().transform((v) => v ?? 0),
  copy_by_chunk: z.boolean().nullish().transform((v) => v ?? false),
});
export type ReplicationCopyRequestV1 = z.infer<typeof ReplicationCopyRequestV1>;
export type ReplicationCopyRequestV1Input = z.input<typeof ReplicationCopyRequestV1>;

/** `POST /api/v1/replications/delete` body: the destination resource's artifacts are deleted. */
export const ReplicationDeleteRequestV1 = z.looseObject({
  src_resource: embeddedResource.optional(),
  dst_resource: embeddedResource,
});
export type ReplicationDeleteRequestV1 = z.infer<typeof ReplicationDeleteRequestV1>;
export type ReplicationDeleteRequestV1Input = z.input<typeof ReplicationDeleteRequestV1>;

/** Media type of the copy's progress answer (asked with `Accept`). */
export const COPY_PROGRESS_MEDIA_TYPE = 'application/x-ndjson';

/**
 * One line of the adapter's NDJSON copy answer: progress lines, then one result line or one
 * error line (`status` and the `{"errors":[…]}` envelope the plain answer would have had).
 */
export const CopyProgressLineV1 = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('progress'), bytes: z.number(), total: z.number().optional() }),
  z.looseObject({ type: z.literal('result'), bytes: z.number().optional() }),
  z.looseObject({
    type: z.literal('error'),
    status: z.number().int(),
    errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional(), detail: z.unknown().optional() })).optional(),
  }),
]);
export type CopyProgressLineV1 = z.infer<typeof CopyProgressLineV1>;

/** GARBAGE_COLLECTION parameters (Harbor's `delete_untagged`, `dry_run`, `workers`, …), passed on to registry-facade's `POST /internal/gc`. */
export const GcJobParamsV1 = z.looseObject({
  delete_untagged: z.boolean().optional(),
  dry_run: z.boolean().optional(),
  workers: z.number().int().min(1).max(5).optional(),
});
export type GcJobParamsV1 = z.infer<typeof GcJobParamsV1>;

/** SCHEDULER parameters: whose schedule fired (Harbor's `scheduler.PeriodicJob`). */
export const SchedulerJobParamsV1 = z.looseObject({
  vendor_type: z.string().min(1),
  vendor_id: z.number().int(),
});
export type SchedulerJobParamsV1 = z.infer<typeof SchedulerJobParamsV1>;
