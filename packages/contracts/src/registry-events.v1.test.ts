import { describe, expect, it } from 'vitest';
import { RegistryEventsV1 } from './registry-events.v1.js';
import { RegistryAccessRequestV1 } from './registry-access.v1.js';

describe('registry events v1', () => {
  it('reads distribution envelopes and refuses an event without an id or a repository', () => {
    const event = { id: 'e1', action: 'push', target: { repository: 'lib/a', digest: 'sha256:1', length: 3 }, request: { id: 'r1' } };
    expect(RegistryEventsV1.parse({ events: [event] }).events[0]).toMatchObject(event);
    expect(RegistryEventsV1.safeParse({ events: [{ ...event, id: '' }] }).success).toBe(false);
    expect(RegistryEventsV1.safeParse({ events: [{ ...event, target: {} }] }).success).toBe(false);
  });
});

describe('registry access v1', () => {
  it('asks about /v2 requests only', () => {
    expect(RegistryAccessRequestV1.safeParse({ method: 'GET', path: '/v2/lib/a/blobs/sha256:1' }).success).toBe(true);
    expect(RegistryAccessRequestV1.safeParse({ method: 'GET', path: '/api/v2.0/projects' }).success).toBe(false);
    expect(RegistryAccessRequestV1.safeParse({ method: 'TRACE', path: '/v2/' }).success).toBe(false);
  });
});
