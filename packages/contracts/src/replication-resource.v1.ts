import { z } from 'zod';
import { ReplicationFilterV1 } from './replication-filter.v1.js';

/**
 * The replication wire formats between core, the REPLICATION job and the adapter service
 * (Harbor's `src/pkg/reg/model`). Receivers parse leniently: unknown fields are kept and
 * nulls stand for absent values, so a sender adding fields breaks no one. The `…Input`
 * types are what a sender may write; the plain types are what a receiver reads.
 */

/** Harbor's RegistryCredential. Decrypted: it travels only between the suite's services, and is never logged or answered. */
export const RegistryCredentialV1 = z.looseObject({
  type: z.enum(['basic', 'secret', 'oauth']).default('basic'),
  access_key: z.string().optional(),
  access_secret: z.string().optional(),
});
export type RegistryCredentialV1 = z.infer<typeof RegistryCredentialV1>;

/** Harbor's Registry as core sends it to the adapter and the job: where and how to reach a registry. */
export const RegistryEndpointV1 = z.looseObject({
  type: z.string().min(1),
  url: z.url(),
  credential: RegistryCredentialV1.nullish().transform((value) => value ?? undefined).optional(),
  insecure: z.boolean().nullish().transform((value) => value ?? false).optional(),
  ca_certificate: z.string().optional(),
  /** docker-hub only: the registry API base (default https://registry-1.docker.io). */
  registry_url: z.url().optional(),
  /** Where a `secret` credential gets its tokens (Harbor's token_service_url); default `<url>/service/token`. */
  token_service_url: z.url().optional(),
  /** The local Wharf only: where blobs are read and written (registry-facade, so blob bytes skip core). */
  blob_url: z.url().optional(),
});
export type RegistryEndpointV1 = z.infer<typeof RegistryEndpointV1>;
export type RegistryEndpointV1Input = z.input<typeof RegistryEndpointV1>;

/** One artifact of a resource (Harbor's model.Artifact). */
export const ResourceArtifactV1 = z.looseObject({
  type: z.string().nullish().transform((v) => v ?? 'image'),
  digest: z.string().nullish().transform((v) => v ?? ''),
  tags: z.array(z.string()).nullish().transform((v) => v ?? []),
  labels: z.array(z.string()).nullish().transform((v) => v ?? []),
  /** Beyond Harbor: the artifact's size in bytes, when the adapter was asked `with_sizes`. */
  size: z.number().nonnegative().optional(),
  /** Beyond Harbor: the artifact's blobs, when the adapter was asked `with_sizes`. */
  blobs: z.array(z.object({ digest: z.string(), size: z.number().nonnegative() })).optional(),
});
export type ResourceArtifactV1 = z.infer<typeof ResourceArtifactV1>;

/** Harbor's Resource (HARBOR-FACTS §2.5); `registry` is absent where the call names it separately. */
export const ResourceV1 = z.looseObject({
  type: z.string().default('image'),
  metadata: z.looseObject({
    repository: z.looseObject({ name: z.string().min(1), metadata: z.record(z.string(), z.unknown()).nullish() }),
    artifacts: z.array(ResourceArtifactV1).nullish().transform((v) => v ?? []),
    v_tags: z.array(z.string()).nullish(),
  }),
  registry: RegistryEndpointV1.nullish(),
  extended_info: z.record(z.string(), z.unknown()).nullish(),
  deleted: z.boolean().nullish().transform((v) => v ?? undefined).optional(),
  is_delete_tag: z.boolean().nullish().transform((v) => v ?? undefined).optional(),
  override: z.boolean().nullish().transform((v) => v ?? undefined).optional(),
});
export type ResourceV1 = z.infer<typeof ResourceV1>;
export type ResourceV1Input = z.input<typeof ResourceV1>;

/** A resource that names its registry: what the REPLICATION job carries (`src_resource`, `dst_resource`). */
export const PlacedResourceV1 = ResourceV1.extend({ registry: RegistryEndpointV1 });
export type PlacedResourceV1 = z.infer<typeof PlacedResourceV1>;
export type PlacedResourceV1Input = z.input<typeof PlacedResourceV1>;

/** Harbor's RegistryInfo: what a registry type supports. */
export const RegistryInfoV1 = z.looseObject({
  type: z.string(),
  description: z.string().default(''),
  supported_resource_filters: z
    .array(z.looseObject({ type: z.string(), style: z.string(), values: z.array(z.string()).nullish() }))
    .nullish()
    .transform((v) => v ?? []),
  supported_triggers: z.array(z.string()).nullish().transform((v) => v ?? []),
  supported_copy_by_chunk: z.boolean().optional(),
  supported_repository_path_component_type: z.string().optional(),
});
export type RegistryInfoV1 = z.infer<typeof RegistryInfoV1>;

/** Harbor's AdapterPattern (`GET /replication/adapterinfos`): the endpoints and credential a registry type asks for. */
export const AdapterPatternV1 = z.looseObject({
  endpoint_pattern: z.looseObject({ endpoint_type: z.string(), endpoints: z.array(z.object({ key: z.string(), value: z.string() })).nullish() }).nullish(),
  credential_pattern: z
    .looseObject({ access_key_type: z.string(), access_key_data: z.string(), access_secret_type: z.string(), access_secret_data: z.string() })
    .nullish(),
});
export type AdapterPatternV1 = z.infer<typeof AdapterPatternV1>;

/** One entry of `GET /api/v1/adapters`. */
export const AdapterDescriptorV1 = z.object({ type: z.string().min(1), info: RegistryInfoV1.optional(), pattern: AdapterPatternV1.nullish() });
export type AdapterDescriptorV1 = z.infer<typeof AdapterDescriptorV1>;

/** `POST /api/v1/registries/health` answer. */
export const RegistryHealthV1 = z.looseObject({ status: z.enum(['healthy', 'unhealthy']), detail: z.string().optional() });
export type RegistryHealthV1 = z.infer<typeof RegistryHealthV1>;

/** `POST /api/v1/registries/health` and `/info` body. */
export const RegistryRequestV1 = z.object({ registry: RegistryEndpointV1 });
export type RegistryRequestV1 = z.input<typeof RegistryRequestV1>;

/** `POST /api/v1/resources` body: the registry's resources passing the filters; `with_sizes` asks for sizes and blobs. */
export const ResourcesRequestV1 = z.object({
  registry: RegistryEndpointV1,
  filters: z.array(ReplicationFilterV1).nullish().transform((f) => f ?? []),
  with_sizes: z.boolean().optional(),
});
export type ResourcesRequestV1 = z.input<typeof ResourcesRequestV1>;

/** `POST /api/v1/resources` answer. */
export const ResourcesResultV1 = z.array(ResourceV1).nullable().transform((v) => v ?? []);
export type ResourcesResultV1 = z.infer<typeof ResourcesResultV1>;

/** `POST /api/v1/registries/prepare` body: creates the namespaces the resources need at the destination. */
export const PrepareRequestV1 = z.object({ registry: RegistryEndpointV1, resources: z.array(ResourceV1) });
export type PrepareRequestV1 = z.input<typeof PrepareRequestV1>;
