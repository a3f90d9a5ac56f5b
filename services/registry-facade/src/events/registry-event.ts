import { randomUUID } from 'node:crypto';
import type { RegistryEventActionV1, RegistryEventV1 } from '@wharf/contracts';

/**
 * A registry event in distribution's notification format, as defined once for its sender
 * and its receiver (`RegistryEventV1` in @wharf/contracts).
 */
export type RegistryEvent = RegistryEventV1;

/** Who asked, as the HTTP layer saw it. */
export interface RequestOrigin {
  requestId: string;
  addr: string;
  host: string;
  method: string;
  userAgent: string;
  /** The authenticated subject; undefined for anonymous requests. */
  actor: string | undefined;
  /** `scheme://host` the client used, for the event's target URL. */
  baseUrl: string;
}

export interface EventSource {
  addr: string;
  instanceID: string;
}

export interface ManifestEventInput {
  action: RegistryEventActionV1;
  repository: string;
  digest: string;
  mediaType?: string;
  size?: number;
  tag?: string;
}

export function buildManifestEvent(input: ManifestEventInput, origin: RequestOrigin, source: EventSource, now = new Date()): RegistryEvent {
  const target: RegistryEventV1['target'] = {
    repository: input.repository,
    digest: input.digest,
    url: `${origin.baseUrl}/v2/${input.repository}/manifests/${input.digest}`,
  };
  if (input.mediaType) target.mediaType = input.mediaType;
  if (input.size !== undefined) {
    target.size = input.size;
    target.length = input.size;
  }
  if (input.tag) target.tag = input.tag;
  return {
    id: randomUUID(),
    timestamp: now.toISOString(),
    action: input.action,
    target,
    request: { id: origin.requestId, addr: origin.addr, host: origin.host, method: origin.method, useragent: origin.userAgent },
    actor: origin.actor ? { name: origin.actor } : {},
    source,
  };
}
