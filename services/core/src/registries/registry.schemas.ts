import { z } from 'zod';
import { rowIdSchema } from '../listing/db-range.js';

/** What the API shows in place of a stored credential value. */
export const MASK = '*****';

export type CredentialType = 'basic' | 'secret';

export interface RegistryCredential {
  type: CredentialType;
  accessKey: string;
  accessSecret: string;
}

/** A registry endpoint (Harbor's model.Registry); id 0 is the local Wharf. Its credential is decrypted: never answer or log it as is. */
export interface Registry {
  id: number;
  name: string;
  type: string;
  url: string;
  description: string;
  credential: RegistryCredential | null;
  insecure: boolean;
  caCertificate: string | null;
  status: string;
  creationTime: Date;
  updateTime: Date;
}

const credentialTypeSchema = z.enum(['basic', 'secret', 'oauth'], { message: 'credential type must be basic or secret' });

/** `POST /registries` (Harbor's `Registry`; id, status and times are ignored). */
export const registryCreateSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(255),
  type: z.string().trim().min(1, 'type is required').max(64),
  url: z.string().trim().min(1, 'url is required').max(2048),
  description: z.string().max(1024).nullish(),
  credential: z
    .object({ type: credentialTypeSchema.default('basic'), access_key: z.string().max(4096).nullish(), access_secret: z.string().max(16384).nullish() })
    .nullish(),
  insecure: z.boolean().nullish(),
  ca_certificate: z.string().max(65536).nullish(),
});
export type RegistryCreate = z.output<typeof registryCreateSchema>;

/** `PUT /registries/{id}` (Harbor's flat `RegistryUpdate`; absent or null fields stay as they are). */
export const registryUpdateSchema = z.object({
  name: z.string().trim().min(1).max(255).nullish(),
  description: z.string().max(1024).nullish(),
  url: z.string().trim().min(1).max(2048).nullish(),
  credential_type: credentialTypeSchema.nullish(),
  access_key: z.string().max(4096).nullish(),
  access_secret: z.string().max(16384).nullish(),
  insecure: z.boolean().nullish(),
  ca_certificate: z.string().max(65536).nullish(),
});
export type RegistryUpdate = z.output<typeof registryUpdateSchema>;

/** `POST /registries/ping`: an existing registry by `id` (the other fields override its settings) or a new one. */
export const registryPingSchema = registryUpdateSchema.omit({ name: true, description: true }).extend({
  id: rowIdSchema.nullish(),
  type: z.string().trim().min(1).max(64).nullish(),
});
export type RegistryPing = z.output<typeof registryPingSchema>;

/** Harbor's Registry view: the credential's key and secret masked, never the stored values. */
export function registryView(registry: Registry) {
  return {
    id: registry.id,
    name: registry.name,
    description: registry.description,
    type: registry.type,
    url: registry.url,
    insecure: registry.insecure,
    ca_certificate: registry.caCertificate,
    ...(registry.credential
      ? {
          credential: {
            type: registry.credential.type,
            access_key: registry.credential.accessKey ? MASK : '',
            access_secret: registry.credential.accessSecret ? MASK : '',
          },
        }
      : {}),
    status: registry.status,
    creation_time: registry.creationTime.toISOString(),
    update_time: registry.updateTime.toISOString(),
  };
}
export type RegistryView = ReturnType<typeof registryView>;
