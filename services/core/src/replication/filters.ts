import type { ReplicationFilter, ResourceArtifact } from './resource.schemas.js';

const compiled = new Map<string, RegExp>();

/** Translates a doublestar pattern (Harbor's `util.Match`): `*` and `?` stay within a path component, `**` crosses them, `[…]` is a class, `{a,b}` alternates. */
function toRegex(pattern: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` also matches no directory at all.
        if (pattern[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (char === '?') out += '[^/]';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (char === '{') {
      depth += 1;
      out += '(?:';
    } else if (char === '}' && depth > 0) {
      depth -= 1;
      out += ')';
    } else if (char === ',' && depth > 0) out += '|';
    else if (char === '\\' && i + 1 < pattern.length) {
      i += 1;
      out += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether the value matches the doublestar pattern; an invalid pattern matches nothing. */
export function globMatch(pattern: string, value: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    try {
      regex = toRegex(pattern);
    } catch {
      regex = /(?!)/;
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(value);
}

const textOf = (filter: ReplicationFilter): string => (Array.isArray(filter.value) ? filter.value.join(',') : filter.value);

/** Whether the repository passes every name filter (an empty pattern passes everything). */
export function repositoryMatches(filters: readonly ReplicationFilter[], repository: string): boolean {
  return filters.filter((f) => f.type === 'name').every((f) => textOf(f) === '' || globMatch(textOf(f), repository));
}

/**
 * Harbor's artifact filters (`src/pkg/reg/filter`): a tag filter keeps the matching tags
 * (with `excludes`, the others) and drops artifacts left without any (an untagged artifact
 * is matched as ""); a label filter keeps artifacts carrying every label (`excludes`: not
 * every one); a resource filter `image` keeps images only, `artifact` everything.
 */
export function filterArtifacts<A extends Pick<ResourceArtifact, 'type' | 'tags' | 'labels'>>(filters: readonly ReplicationFilter[], artifacts: readonly A[]): A[] {
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
