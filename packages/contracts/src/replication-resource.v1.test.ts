import { describe, expect, it } from 'vitest';
import { PlacedResourceV1, RegistryEndpointV1, ResourcesRequestV1, ResourceV1 } from './replication-resource.v1.js';

describe('replication resources v1', () => {
  it('reads a registry leniently: a null credential is none, insecure defaults to false, the credential type to basic', () => {
    expect(RegistryEndpointV1.parse({ type: 'harbor', url: 'https://h.example.com', credential: null, insecure: null })).toMatchObject({ credential: undefined, insecure: false });
    expect(RegistryEndpointV1.parse({ type: 'harbor', url: 'https://h.example.com', credential: { access_key: 'a', access_secret: 'b' } }).credential).toEqual({ type: 'basic', access_key: 'a', access_secret: 'b' });
    expect(RegistryEndpointV1.safeParse({ type: 'harbor', url: 'not a url' }).success).toBe(false);
  });

  it('reads a resource with nulls for absent lists and keeps unknown fields', () => {
    const resource = ResourceV1.parse({ metadata: { repository: { name: 'lib/a' }, artifacts: [{ digest: 'sha256:1', tags: null, size: 10, extra: true }] }, deleted: null });
    expect(resource).toMatchObject({ type: 'image', deleted: undefined, metadata: { artifacts: [{ type: 'image', digest: 'sha256:1', tags: [], labels: [], size: 10, extra: true }] } });
  });

  it('asks a placed resource for its registry', () => {
    expect(PlacedResourceV1.safeParse({ metadata: { repository: { name: 'lib/a' } } }).success).toBe(false);
  });

  it('reads absent filters as none', () => {
    expect(ResourcesRequestV1.parse({ registry: { type: 'harbor', url: 'https://h.example.com' }, filters: null }).filters).toEqual([]);
  });
});
