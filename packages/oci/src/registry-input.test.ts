import { describe, expect, it } from 'vitest';
import { registryInputErrorCode } from './registry-input.js';

describe('registryInputErrorCode', () => {
  it('names the path part that holds the unreadable segment', () => {
    expect(registryInputErrorCode('/v2/lib/a%00b/manifests/latest', { in: 'path', segment: 'a%00b' })).toBe('NAME_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/manifests/v%00', { in: 'path', segment: 'v%00' })).toBe('TAG_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/manifests/sha256:%00', { in: 'path', segment: 'sha256:%00' })).toBe('DIGEST_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/blobs/sha256:%zz', { in: 'path', segment: 'sha256:%zz' })).toBe('DIGEST_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/referrers/%ED%A0%80', { in: 'path', segment: '%ED%A0%80' })).toBe('DIGEST_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/blobs/uploads/%00', { in: 'path', segment: '%00' })).toBe('BLOB_UPLOAD_INVALID');
    expect(registryInputErrorCode('/v2/%00', { in: 'path', segment: '%00' })).toBe('NAME_INVALID');
  });

  it('names the query parameter after what it holds', () => {
    expect(registryInputErrorCode('/v2/lib/app/tags/list', { in: 'query', key: 'n' })).toBe('PAGINATION_NUMBER_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/tags/list', { in: 'query', key: 'last' })).toBe('TAG_INVALID');
    expect(registryInputErrorCode('/v2/_catalog', { in: 'query', key: 'last' })).toBe('NAME_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/blobs/uploads/', { in: 'query', key: 'mount' })).toBe('DIGEST_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/blobs/uploads/', { in: 'query', key: 'from' })).toBe('NAME_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/manifests/sha256:a', { in: 'query', key: 'tag' })).toBe('TAG_INVALID');
    expect(registryInputErrorCode('/v2/lib/app/referrers/sha256:a', { in: 'query', key: 'artifactType' })).toBe('BAD_REQUEST');
  });
});
