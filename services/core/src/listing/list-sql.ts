import { ApiError } from '@wharf/errors';
import { INT4_MAX, INT4_MIN, INT8_MAX, INT8_MIN } from './db-range.js';
import type { Condition, ListQuery, SortField } from './list-query.js';

export interface Column {
  sql: string;
  /** `int` is an int4 column (ids, counts), `bigint` an int8 one (sizes, pull counts, bigserial ids). */
  type: 'text' | 'int' | 'bigint' | 'time' | 'bool';
}

export interface SqlFragments {
  where: string[];
  values: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

const shown = (value: string): string => JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);

/** The earliest and latest instants a query may name: years 1 to 9999, which Postgres's timestamps hold. */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A query value as its column's type, within what the column holds; anything else is a
 * BAD_REQUEST naming the key, never a value Postgres would refuse. Integers are decimal
 * digits (an int8 travels as text, exactly).
 */
function cast(key: string, column: Column, value: string): unknown {
  switch (column.type) {
    case 'int':
    case 'bigint': {
      const text = value.trim();
      if (!/^-?\d{1,20}$/.test(text)) throw new ApiError('BAD_REQUEST', { message: `${key}: ${shown(value)} is not an integer` });
      const parsed = BigInt(text);
      const [min, max] = column.type === 'int' ? [BigInt(INT4_MIN), BigInt(INT4_MAX)] : [INT8_MIN, INT8_MAX];
      if (parsed < min || parsed > max) throw new ApiError('BAD_REQUEST', { message: `${key}: ${shown(value)} is out of range (${min} to ${max})` });
      return column.type === 'int' ? Number(parsed) : parsed.toString();
    }
    case 'bool':
      return value === 'true' || value === '1';
    case 'time': {
      const parsed = new Date(value.includes('T') ? value : value.replace(' ', 'T') + 'Z');
      if (Number.isNaN(parsed.getTime())) throw new ApiError('BAD_REQUEST', { message: `${key}: ${shown(value)} is not a time` });
      if (parsed.getTime() < EARLIEST || parsed.getTime() > LATEST) throw new ApiError('BAD_REQUEST', { message: `${key}: ${shown(value)} is out of range (years 1 to 9999)` });
      return parsed;
    }
    case 'text':
      return value;
  }
}

/**
 * `LIMIT $n OFFSET $m` for a page, both bound as parameters after `values` (which stay as
 * they are, for the count query that shares them).
 */
export function pageClause(sql: Pick<SqlFragments, 'limit' | 'offset'>, values: readonly unknown[]): { text: string; values: unknown[] } {
  return { text: `LIMIT $${values.length + 1} OFFSET $${values.length + 2}`, values: [...values, sql.limit, sql.offset] };
}

/**
 * Turns a ListQuery into SQL against whitelisted columns; an unknown query or sort key is
 * a BAD_REQUEST naming the keys that are supported. Placeholders start after `startAt`.
 */
export function toSql(query: ListQuery, columns: Readonly<Record<string, Column>>, defaultSort: readonly SortField[], startAt = 0): SqlFragments {
  const where: string[] = [];
  const values: unknown[] = [];
  const placeholder = (value: unknown): string => {
    values.push(value);
    return `$${startAt + values.length}`;
  };
  const column = (key: string): Column => {
    // Own keys only: `constructor` or `__proto__` must not resolve through the prototype.
    const found = Object.hasOwn(columns, key) ? columns[key] : undefined;
    if (!found) throw new ApiError('BAD_REQUEST', { message: `unsupported key ${JSON.stringify(key)}; supported: ${Object.keys(columns).join(', ')}` });
    return found;
  };
  for (const condition of query.conditions) where.push(conditionSql(condition, column(condition.key), placeholder));
  const sort = query.sort.length > 0 ? query.sort : defaultSort;
  const orderBy = sort.map((field) => `${column(field.key).sql} ${field.descending ? 'DESC' : 'ASC'}`).join(', ');
  return { where, values, orderBy, limit: query.pageSize, offset: (query.page - 1) * query.pageSize };
}

function conditionSql(condition: Condition, column: Column, placeholder: (value: unknown) => string): string {
  const as = (value: string) => cast(condition.key, column, value);
  switch (condition.kind) {
    case 'exact':
      return `${column.sql} = ${placeholder(as(condition.value))}`;
    case 'fuzzy':
      return `${column.sql}::text ILIKE ${placeholder(`%${condition.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
    case 'range': {
      const parts: string[] = [];
      if (condition.min !== undefined) parts.push(`${column.sql} >= ${placeholder(as(condition.min))}`);
      if (condition.max !== undefined) parts.push(`${column.sql} <= ${placeholder(as(condition.max))}`);
      return parts.length > 0 ? `(${parts.join(' AND ')})` : 'true';
    }
    case 'or':
      return condition.values.length > 0 ? `${column.sql} = ANY(${placeholder(condition.values.map(as))})` : 'false';
    case 'and':
      return condition.values.length > 0 ? `(${condition.values.map((v) => `${column.sql} = ${placeholder(as(v))}`).join(' AND ')})` : 'true';
  }
}
