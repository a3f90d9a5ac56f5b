import { describe, expect, it } from 'vitest';
import { InvalidDigestError } from '@wharf/oci';
import { TagInvalidError } from './manifest.errors.js';
import { accepts, parseReference } from './manifest.service.js';

describe('parseReference', () => {
  it('reads tags and digests', () => {
    expect(parseReference('v1.0')).toEqual({ kind: 'tag', tag: 'v1.0' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(digest)).toEqual({ kind: 'digest', digest });
  });

  it('refuses a bad tag with TagInvalidError and a bad digest with InvalidDigestError', () => {
    expect(() => parseReference('.hidden')).toThrow(TagInvalidError);
    expect(() => parseReference('sha256:abc')).toThrow(InvalidDigestError);
    expect(() => parseReference('a:b')).toThrow(InvalidDigestError);
  });
});

describe('accepts', () => {
  const oci = 'application/vnd.oci.image.manifest.v1+json';
  it('accepts everything without an Accept header, and on wildcards', () => {
    expect(accepts([], oci)).toBe(true);
    expect(accepts(['*/*'], oci)).toBe(true);
    expect(accepts(['application/*'], oci)).toBe(true);
  });

  it('accepts only listed types otherwise', () => {
    expect(accepts([oci], oci)).toBe(true);
    expect(accepts(['application/vnd.docker.distribution.manifest.v2+json'], oci)).toBe(false);
    expect(accepts(['text/*'], oci)).toBe(false);
  });
});
