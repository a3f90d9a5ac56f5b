import { describe, expect, it } from 'vitest';
import { acceptedMediaTypes, acceptsMediaType } from './media-types.js';

describe('acceptsMediaType', () => {
  const oci = 'application/vnd.oci.image.manifest.v1+json';
  it('accepts everything without an Accept header, and on wildcards', () => {
    expect(acceptsMediaType([], oci)).toBe(true);
    expect(acceptsMediaType(['*/*'], oci)).toBe(true);
    expect(acceptsMediaType(['application/*'], oci)).toBe(true);
  });

  it('accepts only listed types otherwise', () => {
    expect(acceptsMediaType([oci], oci)).toBe(true);
    expect(acceptsMediaType(['application/vnd.docker.distribution.manifest.v2+json'], oci)).toBe(false);
    expect(acceptsMediaType(['text/*'], oci)).toBe(false);
  });
});

describe('acceptedMediaTypes', () => {
  it('reads one or several Accept headers, dropping parameters and empty parts', () => {
    expect(acceptedMediaTypes(undefined)).toEqual([]);
    expect(acceptedMediaTypes('application/a+json; q=0.5, ,application/B')).toEqual(['application/a+json', 'application/b']);
    expect(acceptedMediaTypes(['application/a', 'application/b'])).toEqual(['application/a', 'application/b']);
  });
});
