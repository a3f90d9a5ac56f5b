/**
 * The `rel="next"` target of a Link header (RFC 8288, as distribution paginates `_catalog`
 * and `tags/list`: `</v2/_catalog?last=b&n=100>; rel="next"`), resolved against `base`.
 */
export function nextLink(header: string | undefined | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const params = match[2]!;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params)?.[1];
    if (rel && rel.split(/\s+/).includes('next')) return new URL(match[1]!, base).toString();
  }
  return undefined;
}
