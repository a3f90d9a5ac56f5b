import { describe, expect, it } from 'vitest';
import { filterArtifacts, globMatch, repositoryMatches, type ReplicationFilterV1 } from '@wharf/contracts';
import { NamespaceRewriteError, replaceNamespace } from './namespace.js';
import { buildPlan, taskOf } from './plan.js';

describe("Harbor's namespace rewrite", () => {
  it.each([
    ['a/b/c', 'ns', -1, 'ns/c'],
    ['a/b/c', 'ns', 0, 'ns/a/b/c'],
    ['a/b/c', 'ns', 1, 'ns/b/c'],
    ['a/b/c', 'ns', 2, 'ns/c'],
    ['library/nginx', 'mirror', 1, 'mirror/nginx'],
    ['a/b/c', '', 1, 'a/b/c'],
    ['a/b/c', '', -1, 'a/b/c'],
  ])('%s with %j and count %i is %s', (source, namespace, count, expected) => {
    expect(replaceNamespace(source, namespace, count)).toBe(expected);
  });

  it('refuses a count beyond the components but the last', () => {
    expect(() => replaceNamespace('a/b/c', 'ns', 3)).toThrow(NamespaceRewriteError);
    expect(() => replaceNamespace('nginx', 'ns', 1)).toThrow(NamespaceRewriteError);
  });
});

describe('doublestar globs', () => {
  it.each([
    ['library/*', 'library/nginx', true],
    ['library/*', 'library/a/b', false],
    ['library/**', 'library/a/b', true],
    ['**', 'a/b/c', true],
    ['**/nginx', 'nginx', true],
    ['**/nginx', 'x/y/nginx', true],
    ['1.?', '1.2', true],
    ['1.?', '1.22', false],
    ['{v1,v2}*', 'v2.0', true],
    ['{v1,v2}*', 'v3.0', false],
    ['[a-c]*', 'beta', true],
    ['[!a-c]*', 'beta', false],
    ['v1.0', 'v1x0', false],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

const artifacts = [
  { type: 'IMAGE', digest: 'sha256:a', tags: ['1.0', 'latest'], labels: ['prod'] },
  { type: 'IMAGE', digest: 'sha256:b', tags: ['2.0-rc'], labels: [] },
  { type: 'IMAGE', digest: 'sha256:c', tags: [], labels: ['prod', 'eu'] },
  { type: 'CHART', digest: 'sha256:d', tags: ['1.1'], labels: ['prod'] },
];
const filter = (...filters: ReplicationFilterV1[]) => filterArtifacts(filters, artifacts).map((a) => `${a.digest.slice(-1)}:${a.tags.join('+')}`);

describe('tag, label and resource filters', () => {
  it('keeps the matching tags and drops artifacts left without one', () => {
    expect(filter({ type: 'tag', value: '1.*' })).toEqual(['a:1.0', 'd:1.1']);
    expect(filter({ type: 'tag', value: '1.*', decoration: 'matches' })).toEqual(['a:1.0', 'd:1.1']);
  });

  it('keeps the other tags with excludes, and matches an untagged artifact as ""', () => {
    expect(filter({ type: 'tag', value: '*-rc', decoration: 'excludes' })).toEqual(['a:1.0+latest', 'c:', 'd:1.1']);
  });

  it('keeps artifacts carrying every label, or (excludes) not every one', () => {
    expect(filter({ type: 'label', value: ['prod'] })).toEqual(['a:1.0+latest', 'c:', 'd:1.1']);
    expect(filter({ type: 'label', value: ['prod', 'eu'] })).toEqual(['c:']);
    expect(filter({ type: 'label', value: ['prod'], decoration: 'excludes' })).toEqual(['b:2.0-rc']);
  });

  it('keeps images only for resource image, everything for artifact', () => {
    expect(filter({ type: 'resource', value: 'image' })).toEqual(['a:1.0+latest', 'b:2.0-rc', 'c:']);
    expect(filter({ type: 'resource', value: 'artifact' })).toHaveLength(4);
  });

  it('matches repositories by name filters', () => {
    expect(repositoryMatches([{ type: 'name', value: 'library/**' }], 'library/a/b')).toBe(true);
    expect(repositoryMatches([{ type: 'name', value: 'library/*' }], 'other/a')).toBe(false);
    expect(repositoryMatches([{ type: 'name', value: '' }], 'anything')).toBe(true);
  });
});

describe('the plan', () => {
  const resources = [
    { type: 'image', metadata: { repository: { name: 'library/nginx' }, artifacts: artifacts.slice(0, 2) } },
    { type: 'image', metadata: { repository: { name: 'library/empty' }, artifacts: [] } },
    { type: 'image', metadata: { repository: { name: 'other/app' }, artifacts: artifacts.slice(0, 1) } },
  ];
  const policy = { filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: '1.*' }] as ReplicationFilterV1[], destNamespace: 'mirror', destNamespaceReplaceCount: 1 };

  it('filters, drops empty repositories and renames for the destination', () => {
    expect(buildPlan(policy, resources)).toEqual([{ resourceType: 'image', src: 'library/nginx', dst: 'mirror/nginx', repositoryMetadata: {}, artifacts: [{ ...artifacts[0], tags: ['1.0'] }] }]);
  });

  it("refuses destination names the destination's path rule forbids", () => {
    expect(() => buildPlan({ ...policy, destNamespace: 'a/b', destNamespaceReplaceCount: 0 }, resources, 'ONLY_TWO')).toThrow(NamespaceRewriteError);
  });

  it("builds Harbor's REPLICATION job: resources as JSON strings with their registries, override, speed and chunking", () => {
    const [item] = buildPlan(policy, resources);
    const src = { type: 'harbor', url: 'http://core:8081', credential: { type: 'secret' as const, access_key: '', access_secret: 's' }, insecure: true };
    const dest = { type: 'docker-registry', url: 'https://r.example.com', insecure: false };
    const task = taskOf(item!, { override: true, speed: -1, copyByChunk: true }, { src, dest }, { kind: 'copy' });
    expect(task.job.name).toBe('REPLICATION');
    expect(task.job.parameters).toMatchObject({ speed: 0, copy_by_chunk: true });
    expect(JSON.parse(task.job.parameters.dst_resource as string)).toEqual({
      type: 'image',
      metadata: { repository: { name: 'mirror/nginx', metadata: {} }, artifacts: [{ type: 'IMAGE', digest: 'sha256:a', tags: ['1.0'], labels: ['prod'] }] },
      registry: dest,
      deleted: false,
      is_delete_tag: false,
      override: true,
    });
    expect(JSON.parse(task.job.parameters.src_resource as string).registry).toEqual(src);
    expect(task.extraAttrs).toEqual({ operation: 'copy', resource_type: 'image', source_resource: 'library/nginx:[1.0]', destination_resource: 'mirror/nginx:[1.0]', references: '1.0' });
    const deletion = taskOf(item!, { override: false, speed: 100, copyByChunk: false }, { src, dest }, { kind: 'deletion', isDeleteTag: true });
    expect(deletion.extraAttrs.operation).toBe('deletion');
    expect(JSON.parse(deletion.job.parameters.dst_resource as string)).toMatchObject({ deleted: true, is_delete_tag: true });
  });
});
