import { z } from 'zod';

/** One event of distribution's notification envelope (what registry-facade sends). */
export const registryEventSchema = z.object({
  id: z.string().min(1).max(200),
  timestamp: z.string().optional(),
  action: z.string(),
  target: z.object({
    mediaType: z.string().optional(),
    size: z.number().optional(),
    digest: z.string().optional(),
    repository: z.string().min(1),
    url: z.string().optional(),
    tag: z.string().optional(),
  }),
  request: z.object({ id: z.string().optional(), addr: z.string().optional(), host: z.string().optional(), method: z.string().optional(), useragent: z.string().optional() }).optional(),
  actor: z.object({ name: z.string().optional() }).optional(),
  source: z.object({ addr: z.string().optional(), instanceID: z.string().optional() }).optional(),
});

export const envelopeSchema = z.object({ events: z.array(registryEventSchema).max(1000) });

export type RegistryEvent = z.infer<typeof registryEventSchema>;
