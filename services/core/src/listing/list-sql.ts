import { ApiError } from '@wharf/errors';
import type { Condition, ListQuery, SortField } from './list-query.js';

export interface Column {
  sql: string;
  type: 'text' | 'int' | 'time' | 'bool';
}

export interface SqlFragments {
  where: string[];
  values: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

function cast(column: Column, value: string): unknown {
  switch (column.type) {
    case 'int': {
      const parsed = Number(value);
      if (!Number.isFinite(parsed)) throw new ApiError('BAD_REQUEST', { message: `${value} is not a number` });
      return parsed;
    }
    case 'bool':
      return value === 'true' || value === '1';
    case 'time': {
      const parsed = new Date(value.includes('T') ? value : value.replace(' ', 'T') + 'Z');
      if (Number.isNaN(parsed.getTime())) throw new ApiError('BAD_REQUEST', { message: `${value} is not a time` });
      return parsed;
    }
    case 'text':
      return value;
  }
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
    const found = columns[key];
    if (!found) throw new ApiError('BAD_REQUEST', { message: `unsupported key ${JSON.stringify(key)}; supported: ${Object.keys(columns).join(', ')}` });
    return found;
  };
  for (const condition of query.conditions) where.push(conditionSql(condition, column(condition.key), placeholder));
  const sort = query.sort.length > 0 ? query.sort : defaultSort;
  const orderBy = sort.map((field) => `${column(field.key).sql} ${field.descending ? 'DESC' : 'ASC'}`).join(', ');
  return { where, values, orderBy, limit: query.pageSize, offset: (query.page - 1) * query.pageSize };
}

function conditionSql(condition: Condition, column: Column, placeholder: (value: unknown) => string): string {
  switch (condition.kind) {
    case 'exact':
      return `${column.sql} = ${placeholder(cast(column, condition.value))}`;
    case 'fuzzy':
      return `${column.sql}::text ILIKE ${placeholder(`%${condition.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
    case 'range': {
      const parts: string[] = [];
      if (condition.min !== undefined) parts.push(`${column.sql} >= ${placeholder(cast(column, condition.min))}`);
      if (condition.max !== undefined) parts.push(`${column.sql} <= ${placeholder(cast(column, condition.max))}`);
      return parts.length > 0 ? `(${parts.join(' AND ')})` : 'true';
    }
    case 'or':
      return condition.values.length > 0 ? `${column.sql} = ANY(${placeholder(condition.values.map((v) => cast(column, v)))})` : 'false';
    case 'and':
      return condition.values.length > 0 ? `(${condition.values.map((v) => `${column.sql} = ${placeholder(cast(column, v))}`).join(' AND ')})` : 'true';
  }
}
