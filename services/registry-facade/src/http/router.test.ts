import { describe, expect, it } from 'vitest';
import { parseQuery, paths } from './router.js';

describe('parseQuery', () => {
  it('keeps + as + (media types and digest algorithms contain it)', () => {
    expect(parseQuery('/v2/a/referrers/x?artifactType=application/vnd.oci.image.config.v1+json').get('artifactType')).toBe(
      'application/vnd.oci.image.config.v1+json',
    );
  });

  it('percent-decodes, keeps repeated keys, and survives malformed escapes', () => {
    const query = parseQuery('/x?tag=a&tag=b&from=library%2Fapp&bad=%E0%A4%A&empty');
    expect(query.getAll('tag')).toEqual(['a', 'b']);
    expect(query.get('from')).toBe('library/app');
    expect(query.get('bad')).toBe('%E0%A4%A');
    expect(query.get('empty')).toBe('');
  });
});

describe('route paths', () => {
  it('tells an upload session from a blob, and keeps slashes in names', () => {
    expect(paths.uploads.exec('/v2/a/b/blobs/uploads/')?.groups?.name).toBe('a/b');
    expect(paths.upload.exec('/v2/a/b/blobs/uploads/123')?.groups).toEqual({ name: 'a/b', uuid: '123' });
    expect(paths.blob.exec('/v2/a/b/c/blobs/sha256:x')?.groups).toEqual({ name: 'a/b/c', digest: 'sha256:x' });
    expect(paths.manifest.exec('/v2/a/manifests/v1')?.groups).toEqual({ name: 'a', reference: 'v1' });
    expect(paths.tags.exec('/v2/a/b/tags/list')?.groups?.name).toBe('a/b');
    expect(paths.catalog.test('/v2/_catalog')).toBe(true);
    expect(paths.base.test('/v2/')).toBe(true);
  });
});
