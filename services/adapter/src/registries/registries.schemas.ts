import { z } from 'zod';
import { ReplicationFilterV1 as filterSchema } from '@wharf/contracts';

/** Harbor's Registry as callers send it (extra fields such as id, name, status are ignored). */
export const registrySchema = z.looseObject({
  type: z.string().min(1),
  url: z.string().url(),
  credential: z
    .looseObject({
      type: z.enum(['basic', 'secret', 'oauth']).default('basic'),
      access_key: z.string().optional(),
      access_secret: z.string().optional(),
    })
    .nullish()
    .transform((value) => value ?? undefined),
  insecure: z.boolean().nullish().transform((value) => value ?? false),
  registry_url: z.string().url().optional(),
  token_service_url: z.string().url().optional(),
  blob_url: z.string().url().optional(),
});

const artifactSchema = z.looseObject({
  type: z.string().nullish(),
  digest: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  labels: z.array(z.string()).nullish(),
});

/** Harbor's Resource (HARBOR-FACTS §2.5); `registry` is optional where the call names it separately. */
export const resourceSchema = z.looseObject({
  type: z.string().default('image'),
  metadata: z.looseObject({
    repository: z.looseObject({ name: z.string().min(1) }),
    artifacts: z.array(artifactSchema).nullish(),
    v_tags: z.array(z.string()).nullish(),
  }),
  registry: registrySchema.nullish(),
  override: z.boolean().nullish(),
  is_delete_tag: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
});
export type ResourceInput = z.infer<typeof resourceSchema>;

export const registryRequest = z.object({ registry: registrySchema });
export const resourcesRequest = z.object({ registry: registrySchema, filters: z.array(filterSchema).nullish().transform((f) => f ?? []) });
export const prepareRequest = z.object({ registry: registrySchema, resources: z.array(resourceSchema) });
