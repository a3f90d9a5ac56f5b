import { describe, expect, it } from 'vitest';
import { InvalidDigestError, ManifestInvalidError } from '@wharf/oci';
import { TagInvalidError } from './manifest.errors.js';
import { parseReference, refuseUnstorableText } from './manifest.service.js';

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


describe('refuseUnstorableText', () => {
  const manifest = (annotation: string) =>
    new TextEncoder().encode(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:${'0'.repeat(64)}","size":2},"layers":[],"annotations":{"a":"${annotation}"}}`);

  it('passes ordinary text, escaped backslashes and surrogate pairs', () => {
    for (const annotation of ['plain', 'caf\\u00e9', '\\\\u0000', '\\ud83d\\udc33']) expect(() => refuseUnstorableText(manifest(annotation)), annotation).not.toThrow();
  });

  it('refuses a NUL or a lone surrogate as MANIFEST_INVALID, naming the field', () => {
    expect(() => refuseUnstorableText(manifest('x\\u0000y'))).toThrow(new ManifestInvalidError(['the manifest field "annotations.a" holds a NUL character']));
    expect(() => refuseUnstorableText(manifest('x\\uD800'))).toThrow(ManifestInvalidError);
    expect(() => refuseUnstorableText(manifest('\\udc00x'))).toThrow(/lone UTF-16 surrogate/);
  });
});
