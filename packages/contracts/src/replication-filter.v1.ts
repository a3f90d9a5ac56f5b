import picomatch from 'picomatch';
import { z } from 'zod';

/**
 * Harbor's replication filter (`{type, value, decoration}`, HARBOR-FACTS §2.5) as core
 * stores it in policies and sends it to the adapter service, and what it selects: both
 * sides apply these same functions, so a dry run in core and a listing in the adapter agree.
 */
export const ReplicationFilterV1 = z.object({
  type: z.enum(['name', 'tag', 'label', 'resource']),
  value: z.union([z.string(), z.array(z.string())]),
  decoration: z.enum(['matches', 'excludes', '']).optional(),
});
export type ReplicationFilterV1 = z.infer<typeof ReplicationFilterV1>;

/** What the artifact filters look at. */
export interface FilterableArtifact {
  type: string;
  tags: string[];
  labels: string[];
}

const matchers = new Map<string, (value: string) => boolean>();

/**
 * doublestar's Match, as Harbor's `util.Match`: `*` and `?` stay within a path component,
 * `**` crosses them (`**` followed by `/` also matches no component), `[…]` is a class,
 * `{a,b}` alternates. An empty pattern matches only the empty value.
 */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '') return value === '';
  let matcher = matchers.get(pattern);
  if (!matcher) {
    // doublestar negates a class with `[!…]` as well as `[^…]`; picomatch knows only the latter.
    matcher = picomatch(pattern.replace(/(?<!\\)\[!/g, '[^'), { dot: true, nonegate: true, strictSlashes: true });
    if (matchers.size > 1000) matchers.clear();
    matchers.set(pattern, matcher);
  }
  return matcher(value);
}

function textOf(filter: ReplicationFilterV1): string {
  return Array.isArray(filter.value) ? filter.value.join(',') : filter.value;
}

/** Whether the repository passes every name filter (an empty pattern passes everything). */
export function repositoryMatches(filters: readonly ReplicationFilterV1[], repository: string): boolean {
  return filters.filter((f) => f.type === 'name').every((f) => textOf(f) === '' || globMatch(textOf(f), repository));
}

/** Whether a single tag passes every tag filter (to skip listing what no filter keeps). */
export function tagMatches(filters: readonly ReplicationFilterV1[], tag: string): boolean {
  return filters
    .filter((f) => f.type === 'tag')
    .every((f) => {
      const pattern = textOf(f);
      if (pattern === '') return true;
      return globMatch(pattern, tag) !== (f.decoration === 'excludes');
    });
}

/**
 * Harbor's artifact filters (`src/pkg/reg/filter`): a tag filter keeps the matching tags
 * (with `excludes`, the others) and drops artifacts left without any (an untagged artifact
 * is matched as ""); a label filter keeps artifacts carrying every label (`excludes`: not
 * every one); a resource filter `image` keeps images only, `artifact` everything.
 */
export function filterArtifacts<A extends FilterableArtifact>(filters: readonly ReplicationFilterV1[], artifacts: readonly A[]): A[] {
  let result = [...artifacts];
  for (const filter of filters) {
    if (filter.type === 'tag') {
      const pattern = textOf(filter);
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
      if (textOf(filter) === 'image') result = result.filter((artifact) => artifact.type.toLowerCase() === 'image');
    }
  }
  return result;
}
