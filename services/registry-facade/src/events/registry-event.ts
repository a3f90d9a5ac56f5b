import { randomUUID } from 'node:crypto';

/**
 * A registry event in distribution's notification format (`notifications/event.go`), which
 * Harbor's core consumed at `/service/notifications`. Receivers de-duplicate on `id`.
 */
export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: 'push' | 'pull' | 'delete' | 'mount';
  target: {
    mediaType?: string;
    size?: number;
    length?: number;
    digest?: string;
    repository: string;
    url?: string;
    tag?: string;
    fromRepository?: string;
  };
  request: { id: string; addr: string; host: string; method: string; useragent: string };
  actor: { name?: string };
  source: { addr: string; instanceID: string };
}

/** Media type of the envelope, as distribution 2.x sends it. */
export const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

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
  action: RegistryEvent['action'];
  repository: string;
  digest: string;
  mediaType?: string;
  size?: number;
  tag?: string;
}

export function buildManifestEvent(input: ManifestEventInput, origin: RequestOrigin, source: EventSource, now = new Date()): RegistryEvent {
  const target: RegistryEvent['target'] = {
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
