import { z } from 'zod';

/** Where core answers the proxy's registry access checks. */
export const REGISTRY_ACCESS_PATH = '/service/internal/registry-access';

/**
 * The proxy's question to core's /v2 gate before it sends a registry request straight to
 * registry-facade: the request line and its Authorization, nothing else (the body waits).
 */
export const RegistryAccessRequestV1 = z.object({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().startsWith('/v2/').max(4096),
  authorization: z.string().max(16_384).optional(),
});
export type RegistryAccessRequestV1 = z.infer<typeof RegistryAccessRequestV1>;

/**
 * core's decision: 204 when the request may go on; otherwise the very answer the client
 * would get from core's /v2 (status, `{"errors":[…]}` body and the headers below), to relay.
 */
export type RegistryAccessDecisionV1 = { allowed: true } | { allowed: false; status: number; headers: Record<string, string>; body: Buffer };

/** The headers of core's refusal that the client must see. */
export const REGISTRY_ACCESS_RELAYED_HEADERS = ['content-type', 'www-authenticate', 'docker-distribution-api-version', 'retry-after'] as const;
