import { describe, expect, it } from 'vitest';
import { filterArtifacts, globMatch, repositoryMatches, tagMatches, type ReplicationFilterV1 as Filter } from './replication-filter.v1.js';

const artifact = (digest: string, tags: string[], labels: string[] = []) => ({ type: 'image', digest, tags, labels });

describe('doublestar globs as Harbor matches them', () => {
  it.each([
    ['library/*', 'library/nginx', true],
    ['library/*', 'library/a/b', false],
    ['library/**', 'library/a/b', true],
    ['**', 'a/b/c', true],
    ['*', 'a/b', false],
    ['{library,team}/app', 'team/app', true],
    ['v1.?', 'v1.2', true],
    ['v[0-9]*', 'v3-beta', true],
    ['release-*', 'release-', true],
    ['', 'anything', false],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('name and tag filters', () => {
  it('keeps repositories passing every name filter, and all with an empty pattern', () => {
    const filters: Filter[] = [{ type: 'name', value: 'library/**' }];
    expect(repositoryMatches(filters, 'library/a/b')).toBe(true);
    expect(repositoryMatches(filters, 'other/a')).toBe(false);
    expect(repositoryMatches([{ type: 'name', value: '' }], 'x')).toBe(true);
  });

  it('keeps matching tags with `matches` and the others with `excludes`', () => {
    expect(tagMatches([{ type: 'tag', value: 'v*', decoration: 'matches' }], 'v1')).toBe(true);
    expect(tagMatches([{ type: 'tag', value: 'v*', decoration: 'excludes' }], 'v1')).toBe(false);
    expect(tagMatches([{ type: 'tag', value: 'v*', decoration: 'excludes' }], 'latest')).toBe(true);
  });
});

describe('filterArtifacts', () => {
  const artifacts = [artifact('sha256:a', ['v1', 'latest'], ['prod']), artifact('sha256:b', ['dev'], []), artifact('sha256:c', [], ['prod', 'eu'])];

  it('trims an artifact to its matching tags and drops those left with none', () => {
    expect(filterArtifacts([{ type: 'tag', value: 'v*' }], artifacts)).toEqual([artifact('sha256:a', ['v1'], ['prod'])]);
  });

  it('keeps the non-matching tags with excludes, and untagged artifacts matched as ""', () => {
    const result = filterArtifacts([{ type: 'tag', value: 'v*', decoration: 'excludes' }], artifacts);
    expect(result.map((a) => [a.digest, a.tags])).toEqual([
      ['sha256:a', ['latest']],
      ['sha256:b', ['dev']],
      ['sha256:c', []],
    ]);
  });

  it('keeps artifacts carrying every label, or with excludes those that do not', () => {
    expect(filterArtifacts([{ type: 'label', value: ['prod', 'eu'] }], artifacts).map((a) => a.digest)).toEqual(['sha256:c']);
    expect(filterArtifacts([{ type: 'label', value: ['prod'], decoration: 'excludes' }], artifacts).map((a) => a.digest)).toEqual(['sha256:b']);
  });

  it('applies filters one after another', () => {
    const result = filterArtifacts([{ type: 'tag', value: '*' }, { type: 'label', value: ['prod'] }], artifacts);
    expect(result.map((a) => a.digest)).toEqual(['sha256:a']);
  });
});
