import { ReplicationFilterV1 } from '@wharf/contracts';
import { z } from 'zod';

/**
 * The wire formats core shares with the adapter service and the REPLICATION job (Harbor's
 * `src/pkg/reg/model`). Answers are parsed leniently (unknown fields kept) so that an
 * adapter adding fields does not break core.
 */

/** A registry as the adapter and the job reach it. The credential is decrypted: these objects travel only between the suite's services. */
export interface WireRegistry {
  type: string;
  url: string;
  credential?: { type: 'basic' | 'secret'; access_key: string; access_secret: string };
  insecure: boolean;
  ca_certificate?: string;
  /** The local Wharf only: where blobs are read and written (registry-facade, so blob bytes skip core). */
  blob_url?: string;
}

/** Harbor's replication filter (`{type, value, decoration}`), shared with the adapter. */
export const filterSchema = ReplicationFilterV1;
export type ReplicationFilter = ReplicationFilterV1;

export const resourceArtifactSchema = z.looseObject({
  type: z.string().default('image'),
  digest: z.string().default(''),
  tags: z.array(z.string()).nullish().transform((v) => v ?? []),
  labels: z.array(z.string()).nullish().transform((v) => v ?? []),
  /** Beyond Harbor: the artifact's size in bytes, when the adapter was asked `with_sizes`. */
  size: z.number().nonnegative().optional(),
  /** Beyond Harbor: the artifact's blobs, when the adapter was asked `with_sizes`. */
  blobs: z.array(z.object({ digest: z.string(), size: z.number().nonnegative() })).optional(),
});
export type ResourceArtifact = z.infer<typeof resourceArtifactSchema>;

export const resourceSchema = z.looseObject({
  type: z.string().default('image'),
  metadata: z.looseObject({
    repository: z.looseObject({ name: z.string().min(1), metadata: z.record(z.string(), z.unknown()).nullish() }),
    artifacts: z.array(resourceArtifactSchema).nullish().transform((v) => v ?? []),
  }),
  deleted: z.boolean().optional(),
  override: z.boolean().optional(),
});
export type FetchedResource = z.infer<typeof resourceSchema>;

/** A resource as core sends it to the job (`src_resource`/`dst_resource`, JSON strings). */
export interface Resource {
  type: string;
  metadata: { repository: { name: string; metadata?: Record<string, unknown> }; artifacts: { type: string; digest: string; tags: string[]; labels: string[] }[] };
  registry: WireRegistry;
  deleted: boolean;
  is_delete_tag: boolean;
  override: boolean;
}

export const registryInfoSchema = z.looseObject({
  type: z.string(),
  description: z.string().default(''),
  supported_resource_filters: z.array(z.looseObject({ type: z.string(), style: z.string(), values: z.array(z.string()).nullish() })).nullish().transform((v) => v ?? []),
  supported_triggers: z.array(z.string()).nullish().transform((v) => v ?? []),
  supported_copy_by_chunk: z.boolean().optional(),
  supported_repository_path_component_type: z.string().optional(),
});
export type RegistryInfo = z.infer<typeof registryInfoSchema>;

export const adapterPatternSchema = z.looseObject({
  endpoint_pattern: z.looseObject({ endpoint_type: z.string(), endpoints: z.array(z.object({ key: z.string(), value: z.string() })).nullish() }).nullish(),
  credential_pattern: z
    .looseObject({ access_key_type: z.string(), access_key_data: z.string(), access_secret_type: z.string(), access_secret_data: z.string() })
    .nullish(),
});
export type AdapterPattern = z.infer<typeof adapterPatternSchema>;

export const adapterDescriptorSchema = z.object({ type: z.string().min(1), info: registryInfoSchema.optional(), pattern: adapterPatternSchema.nullish() });
export type AdapterDescriptor = z.infer<typeof adapterDescriptorSchema>;

export const healthSchema = z.looseObject({ status: z.enum(['healthy', 'unhealthy']), detail: z.string().optional() });
export type RegistryHealth = z.infer<typeof healthSchema>;
