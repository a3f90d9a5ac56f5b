import { ApiError } from '@wharf/errors';
import type { Condition, ListQuery, SortField } from '../../listing/list-query.js';

/** A listable field of a fake store's record, as the Pg store's `Column` whitelists it. */
export interface Field<T> {
  get: (item: T) => string | number | boolean | Date | null;
  type: 'text' | 'int' | 'bigint' | 'time' | 'bool';
}

type Value = string | number | boolean | Date | null;

function cast(key: string, field: Field<unknown>, value: string): Value {
  switch (field.type) {
    case 'int':
    case 'bigint': {
      if (!/^-?\d{1,20}$/.test(value.trim())) throw new ApiError('BAD_REQUEST', { message: `${key}: ${JSON.stringify(value)} is not an integer` });
      return Number(value);
    }
    case 'bool':
      return value === 'true' || value === '1';
    case 'time': {
      const parsed = new Date(value.includes('T') ? value : value.replace(' ', 'T') + 'Z');
      if (Number.isNaN(parsed.getTime())) throw new ApiError('BAD_REQUEST', { message: `${key}: ${JSON.stringify(value)} is not a time` });
      return parsed;
    }
    case 'text':
      return value;
  }
}

const comparable = (value: Value): string | number | null => (value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value);

function compare(a: Value, b: Value): number {
  const x = comparable(a);
  const y = comparable(b);
  // Postgres sorts NULLs last ascending.
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function matches<T>(item: T, condition: Condition, field: Field<T>): boolean {
  const actual = field.get(item);
  const as = (value: string) => cast(condition.key, field as Field<unknown>, value);
  const equal = (value: string) => compare(actual, as(value)) === 0;
  switch (condition.kind) {
    case 'exact':
      return equal(condition.value);
    case 'fuzzy':
      return String(actual ?? '').toLowerCase().includes(condition.value.toLowerCase());
    case 'range':
      return (condition.min === undefined || compare(actual, as(condition.min)) >= 0) && (condition.max === undefined || compare(actual, as(condition.max)) <= 0);
    case 'or':
      return condition.values.some(equal);
    case 'and':
      return condition.values.every(equal);
  }
}

/**
 * What `toSql` and the Pg stores do to a ListQuery, over an array: `q` conditions on
 * whitelisted fields (an unknown key is the same BAD_REQUEST), sorting (the default when
 * none is asked) and one page, with the total before paging.
 */
export function listInMemory<T>(items: Iterable<T>, query: ListQuery, fields: Readonly<Record<string, Field<T>>>, defaultSort: readonly SortField[]): { items: T[]; total: number } {
  const field = (key: string): Field<T> => {
    const found = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!found) throw new ApiError('BAD_REQUEST', { message: `unsupported key ${JSON.stringify(key)}; supported: ${Object.keys(fields).join(', ')}` });
    return found;
  };
  const conditions = query.conditions.map((condition) => ({ condition, field: field(condition.key) }));
  const sort = (query.sort.length > 0 ? query.sort : defaultSort).map((s) => ({ field: field(s.key), descending: s.descending }));
  const selected = [...items].filter((item) => conditions.every(({ condition, field: f }) => matches(item, condition, f)));
  selected.sort((a, b) => {
    for (const s of sort) {
      const order = compare(s.field.get(a), s.field.get(b));
      if (order !== 0) return s.descending ? -order : order;
    }
    return 0;
  });
  const start = (query.page - 1) * query.pageSize;
  return { items: selected.slice(start, start + query.pageSize), total: selected.length };
}

/** A page by limit and offset. */
export function pageOf<T>(items: readonly T[], limit: number, offset: number): { items: T[]; total: number } {
  return { items: items.slice(offset, offset + limit), total: items.length };
}

/** SQL's `ILIKE '%text%'`. */
export const contains = (value: string, part: string): boolean => value.toLowerCase().includes(part.toLowerCase());

/** A ListQuery for tests: page 1 of 10 unless told otherwise. */
export function listQuery(overrides: Partial<ListQuery> = {}): ListQuery {
  return { conditions: [], sort: [], page: 1, pageSize: 10, ...overrides };
}
