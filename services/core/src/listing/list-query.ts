import { ApiError } from '@wharf/errors';

/** One term of Harbor's `q` parameter. */
export type Condition =
  | { key: string; kind: 'exact'; value: string }
  | { key: string; kind: 'fuzzy'; value: string }
  | { key: string; kind: 'range'; min: string | undefined; max: string | undefined }
  | { key: string; kind: 'or'; values: string[] }
  | { key: string; kind: 'and'; values: string[] };

export interface SortField {
  key: string;
  descending: boolean;
}

export interface ListQuery {
  conditions: Condition[];
  sort: SortField[];
  page: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 100;

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '[' || char === '{' || char === '(')) depth += 1;
    else if (!quoted && (char === ']' || char === '}' || char === ')')) depth -= 1;
    if (char === separator && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

const unquote = (value: string): string => value.trim().replace(/^"(.*)"$/, '$1');

/**
 * Parses Harbor's `q`: comma-separated `k=v` (exact), `k=~v` (fuzzy), `k=[min~max]`
 * (range), `k={a b}` (any of) and `k=(a b)` (all of); values may be quoted.
 */
export function parseConditions(q: string | undefined): Condition[] {
  if (!q || !q.trim()) return [];
  return splitTopLevel(q, ',').filter((term) => term.trim()).map((term) => {
    const separator = term.indexOf('=');
    if (separator <= 0) throw new ApiError('BAD_REQUEST', { message: `invalid query term ${JSON.stringify(term)}: expected key=value` });
    const key = term.slice(0, separator).trim();
    const raw = term.slice(separator + 1).trim();
    if (raw.startsWith('~')) return { key, kind: 'fuzzy', value: unquote(raw.slice(1)) };
    if (raw.startsWith('[') && raw.endsWith(']')) {
      const [min, max] = raw.slice(1, -1).split('~').map((v) => unquote(v));
      return { key, kind: 'range', min: min || undefined, max: max || undefined };
    }
    if (raw.startsWith('{') && raw.endsWith('}')) return { key, kind: 'or', values: splitTopLevel(raw.slice(1, -1).trim(), ' ').filter(Boolean).map(unquote) };
    if (raw.startsWith('(') && raw.endsWith(')')) return { key, kind: 'and', values: splitTopLevel(raw.slice(1, -1).trim(), ' ').filter(Boolean).map(unquote) };
    return { key, kind: 'exact', value: unquote(raw) };
  });
}

/** `sort=name,-creation_time`. */
export function parseSort(sort: string | undefined): SortField[] {
  if (!sort) return [];
  return sort
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean)
    .map((field) => (field.startsWith('-') ? { key: field.slice(1), descending: true } : { key: field, descending: false }));
}

/**
 * The largest page: its OFFSET ((page - 1) × page_size) stays an integer that JavaScript
 * and Postgres's bigint both hold exactly, whatever the page size.
 */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / MAX_PAGE_SIZE);

/** A positive decimal integer (digits only: no sign, exponent, fraction or space) up to `max`, or `fallback` when absent. */
function positiveInt(value: unknown, name: string, fallback: number, max: number, tooBig: 'BAD_REQUEST' | 'UNPROCESSABLE_ENTITY'): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) throw new ApiError('BAD_REQUEST', { message: `${name} must be a positive integer` });
  const parsed = Number(value);
  if (parsed > max) throw new ApiError(tooBig, { message: `${name} must be at most ${max}` });
  return parsed;
}

/** Reads `q`, `sort`, `page` (default 1, at most MAX_PAGE) and `page_size` (default 10, at most 100). */
export function readListQuery(query: Record<string, unknown>): ListQuery {
  // Harbor's swagger declares page_size maximum 100; its validator answers 422.
  const pageSize = positiveInt(query.page_size, 'page_size', 10, MAX_PAGE_SIZE, 'UNPROCESSABLE_ENTITY');
  return {
    conditions: parseConditions(typeof query.q === 'string' ? query.q : undefined),
    sort: parseSort(typeof query.sort === 'string' ? query.sort : undefined),
    page: positiveInt(query.page, 'page', 1, MAX_PAGE, 'BAD_REQUEST'),
    pageSize,
  };
}
