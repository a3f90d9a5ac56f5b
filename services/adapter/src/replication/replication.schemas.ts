import { z } from 'zod';
import { resourceSchema } from '../registries/registries.schemas.js';

/** Harbor sends resources as JSON strings inside the job parameters; objects are accepted too. */
const embeddedResource = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a Resource as a JSON string or object' });
    return z.NEVER;
  }
}, resourceSchema.extend({ registry: resourceSchema.shape.registry.unwrap().unwrap() }));

/** The REPLICATION job's parameters (HARBOR-FACTS §2.5/§3a). */
export const copyRequest = z.looseObject({
  src_resource: embeddedResource,
  dst_resource: embeddedResource,
  speed: z.number().int().nullish().transform((v) => v ?? 0),
  copy_by_chunk: z.boolean().nullish().transform((v) => v ?? false),
});
export type CopyParams = z.infer<typeof copyRequest>;

export const deleteRequest = z.looseObject({
  src_resource: embeddedResource.optional(),
  dst_resource: embeddedResource,
});
export type DeleteParams = z.infer<typeof deleteRequest>;
