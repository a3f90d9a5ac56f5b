import { describe, expect, it } from 'vitest';
import { isValidRepositoryName, isValidTag, referrersTag } from './reference.js';

describe('repository names', () => {
  it.each(['library/ubuntu', 'a', 'a/b/c/d', 'my-app', 'my--app', 'my__app', 'my.app', 'a0/b1.c2_d3-e4', 'x'.repeat(255)])('accepts %s', (name) => {
    expect(isValidRepositoryName(name)).toBe(true);
  });

  it.each(['', 'Library/ubuntu', '/a', 'a/', 'a//b', '..', 'a/../b', 'a/./b', '-a', 'a-', 'a___b', 'a..b', 'a%2eb', 'a b', 'a\0b', 'x'.repeat(256), 'a:b'])(
    'refuses %j',
    (name) => {
      expect(isValidRepositoryName(name)).toBe(false);
    },
  );
});

describe('tags', () => {
  it.each(['latest', 'v1.2.3', '_private', 'A', 'x'.repeat(128)])('accepts %s', (tag) => {
    expect(isValidTag(tag)).toBe(true);
  });

  it.each(['', '.hidden', '-dash', 'a:b', 'a/b', 'x'.repeat(129), 'ü'])('refuses %j', (tag) => {
    expect(isValidTag(tag)).toBe(false);
  });
});

describe('referrers tag schema', () => {
  it('matches the examples of the distribution spec', () => {
    expect(referrersTag(`sha256:${'a'.repeat(64)}`)).toBe(`sha256-${'a'.repeat(64)}`);
    expect(referrersTag(`sha512:${'a'.repeat(128)}`)).toBe(`sha512-${'a'.repeat(64)}`);
    expect(
      referrersTag(
        'test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation',
      ),
    ).toBe('test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot');
  });
});
