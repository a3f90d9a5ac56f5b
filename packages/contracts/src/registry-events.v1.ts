import { z } from 'zod';

/** Media type of the events envelope, as distribution 2.x sends it. */
export const REGISTRY_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** What a registry event reports; receivers ignore actions they do not know. */
export const REGISTRY_EVENT_ACTIONS = ['push', 'pull', 'delete', 'mount'] as const;
export type RegistryEventActionV1 = (typeof REGISTRY_EVENT_ACTIONS)[number];

/**
 * One registry event in distribution's notification format (`notifications/event.go`), as
 * registry-facade sends it and core receives it at `/service/notifications` (Harbor's core
 * consumed the same). Receivers de-duplicate on `id`.
 */
export const RegistryEventV1 = z.object({
  id: z.string().min(1).max(200),
  timestamp: z.string().optional(),
  action: z.string(),
  target: z.object({
    mediaType: z.string().optional(),
    size: z.number().optional(),
    length: z.number().optional(),
    digest: z.string().optional(),
    repository: z.string().min(1),
    url: z.string().optional(),
    tag: z.string().optional(),
    fromRepository: z.string().optional(),
  }),
  request: z.object({ id: z.string().optional(), addr: z.string().optional(), host: z.string().optional(), method: z.string().optional(), useragent: z.string().optional() }).optional(),
  actor: z.object({ name: z.string().optional() }).optional(),
  source: z.object({ addr: z.string().optional(), instanceID: z.string().optional() }).optional(),
});
export type RegistryEventV1 = z.infer<typeof RegistryEventV1>;

/** The envelope of a batch of events (`{"events": […]}`), at most 1000 a batch. */
export const RegistryEventsV1 = z.object({ events: z.array(RegistryEventV1).max(1000) });
export type RegistryEventsV1 = z.infer<typeof RegistryEventsV1>;

/**
 * core's answer to a batch of registry events (`POST /service/notifications`): how many it
 * applied and ignored (duplicates, reads that are not pulls), and the events it could not
 * apply, by id. Each event is applied on its own, so one that fails does not hold back the
 * others: the sender deletes the rest and retries only these. An answer without `failed`
 * acknowledges the whole batch.
 */
export const RegistryEventsResultV1 = z.object({
  applied: z.number().int().nonnegative(),
  ignored: z.number().int().nonnegative(),
  failed: z.array(z.object({ id: z.string(), message: z.string() })).optional(),
});
export type RegistryEventsResultV1 = z.infer<typeof RegistryEventsResultV1>;
