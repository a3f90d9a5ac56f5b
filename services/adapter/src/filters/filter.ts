import picomatch from 'picomatch';
import { z } from 'zod';
import type { ResourceArtifact } from '../adapters/registry-adapter.js';

/** Harbor's replication filter (HARBOR-FACTS §2.5). */
export const filterSchema = z.object({
  type: z.enum(['name', 'tag', 'label', 'resource']),
  value: z.union([z.string(), z.array(z.string())]),
  decoration: z.enum(['matches', 'excludes', '']).optional(),
});
export type Filter = z.infer<typeof filterSchema>;

const matchers = new Map<string, (value: string) => boolean>();

/** doublestar's Match, as Harbor's util.Match: `*` stays within a path component, `**` crosses them, `{a,b}` alternates. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '') return value === '';
  let matcher = matchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { dot: true, nonegate: true, strictSlashes: true });
    if (matchers.size > 1000) matchers.clear();
    matchers.set(pattern, matcher);
  }
  return matcher(value);
}

function stringValue(filter: Filter): string {
  return Array.isArray(filter.value) ? filter.value.join(',') : filter.value;
}

/** Whether the repository passes every name filter (an empty pattern passes everything). */
export function repositoryMatches(filters: readonly Filter[], repository: string): boolean {
  return filters.filter((f) => f.type === 'name').every((f) => {
    const pattern = stringValue(f);
    return pattern === '' || globMatch(pattern, repository);
  });
}

/** Whether a single tag passes every tag filter (used before listing digests, to spare calls). */
export function tagMatches(filters: readonly Filter[], tag: string): boolean {
  return filters.filter((f) => f.type === 'tag').every((f) => {
    const pattern = stringValue(f);
    if (pattern === '') return true;
    const match = globMatch(pattern, tag);
    return f.decoration === 'excludes' ? !match : match;
  });
}

/**
 * Harbor's artifact filters: tag filters keep the matching (or, with `excludes`, the
 * non-matching) tags and drop artifacts left with none (untagged ones are matched as "");
 * label filters keep artifacts carrying all the labels (`excludes`: not all of them);
 * a resource filter keeps `image` artifacts for `image` and everything for `artifact`.
 */
export function filterArtifacts(filters: readonly Filter[], artifacts: readonly ResourceArtifact[]): ResourceArtifact[] {
  let result = [...artifacts];
  for (const filter of filters) {
    if (filter.type === 'tag') {
      const pattern = stringValue(filter);
      if (pattern === '') continue;
      const excludes = filter.decoration === 'excludes';
      const keep = (tag: string) => globMatch(pattern, tag) !== excludes;
      result = result.flatMap((artifact) => {
        if (artifact.tags.length === 0) return keep('') ? [artifact] : [];
        const tags = artifact.tags.filter(keep);
        return tags.length > 0 ? [{ ...artifact, tags }] : [];
      });
    } else if (filter.type === 'label') {
      const labels = Array.isArray(filter.value) ? filter.value : filter.value.split(',').filter(Boolean);
      if (labels.length === 0) continue;
      const excludes = filter.decoration === 'excludes';
      result = result.filter((artifact) => labels.every((label) => artifact.labels.includes(label)) !== excludes);
    } else if (filter.type === 'resource') {
      const value = stringValue(filter);
      if (value === 'image') result = result.filter((artifact) => artifact.type.toLowerCase() === 'image');
    }
  }
  return result;
}
