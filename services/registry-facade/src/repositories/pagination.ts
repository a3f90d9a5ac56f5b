import { PaginationInvalidError } from './repository.errors.js';

export interface PageRequest {
  /** How many entries; undefined when the client did not ask for a page. */
  n: number | undefined;
  last: string | undefined;
}

/** Reads `n` and `last` the way the distribution spec defines them for tags and the catalog. */
export function parsePageRequest(query: URLSearchParams): PageRequest {
  const rawN = query.get('n');
  let n: number | undefined;
  if (rawN !== null && rawN !== '') {
    if (!/^\d{1,9}$/.test(rawN)) throw new PaginationInvalidError(rawN);
    n = Number(rawN);
  }
  const last = query.get('last') ?? undefined;
  return { n, last: last === '' ? undefined : last };
}

/** `<path?n=…&last=…>; rel="next"`, relative to the registry (as distribution sends it). */
export function nextLink(path: string, n: number, last: string): string {
  const query = new URLSearchParams({ n: String(n), last });
  return `<${path}?${query.toString()}>; rel="next"`;
}
