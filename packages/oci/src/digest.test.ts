import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDigester, digestOf, InvalidDigestError, isValidDigest, looksLikeDigest, parseDigest } from './digest.js';

describe('digests', () => {
  const sha256 = `sha256:${'a'.repeat(64)}`;
  const sha512 = `sha512:${'b'.repeat(128)}`;

  it('parses sha256 and sha512 digests', () => {
    expect(parseDigest(sha256)).toEqual({ algorithm: 'sha256', encoded: 'a'.repeat(64), value: sha256 });
    expect(parseDigest(sha512).algorithm).toBe('sha512');
  });

  it.each([
    ['no separator', 'a'.repeat(64)],
    ['a short sha256', 'sha256:abc'],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`],
    ['a sha512 of sha256 length', `sha512:${'a'.repeat(64)}`],
    ['an empty string', ''],
    ['a path', 'sha256:../../etc'],
  ])('refuses %s', (_case, value) => {
    expect(() => parseDigest(value)).toThrow(InvalidDigestError);
    expect(isValidDigest(value)).toBe(false);
  });

  it('names an unsupported algorithm as such', () => {
    try {
      parseDigest(`md5:${'a'.repeat(32)}`);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidDigestError).unsupportedAlgorithm).toBe(true);
    }
  });

  it('tells digest-shaped strings from tags', () => {
    expect(looksLikeDigest(sha256)).toBe(true);
    expect(looksLikeDigest('sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564')).toBe(true);
    expect(looksLikeDigest('latest')).toBe(false);
  });

  it('hashes streamed chunks to the digest of the whole, counting bytes', () => {
    const digester = createDigester('sha512');
    digester.update(Buffer.from('hello '));
    digester.update(Buffer.from('world'));
    expect(digester.bytes).toBe(11);
    expect(digester.digest()).toBe(`sha512:${createHash('sha512').update('hello world').digest('hex')}`);
    expect(digestOf('hello world')).toBe(`sha256:${createHash('sha256').update('hello world').digest('hex')}`);
  });
});
