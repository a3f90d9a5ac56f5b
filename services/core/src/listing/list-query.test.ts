import { ApiError } from '@wharf/errors';
import { describe, expect, it } from 'vitest';
import { parseConditions, parseSort, readListQuery } from './list-query.js';
import { toSql } from './list-sql.js';

describe("Harbor's q parameter", () => {
  it('reads exact, fuzzy, range and list terms, with quoted values', () => {
    expect(parseConditions('name=~nginx,public=true,creation_time=[2024-01-01 00:00:00~2024-12-31 23:59:59],id={1 2 3},tags=(a b),repo="a,b"')).toEqual([
      { key: 'name', kind: 'fuzzy', value: 'nginx' },
      { key: 'public', kind: 'exact', value: 'true' },
      { key: 'creation_time', kind: 'range', min: '2024-01-01 00:00:00', max: '2024-12-31 23:59:59' },
      { key: 'id', kind: 'or', values: ['1', '2', '3'] },
      { key: 'tags', kind: 'and', values: ['a', 'b'] },
      { key: 'repo', kind: 'exact', value: 'a,b' },
    ]);
  });

  it('refuses a term without =', () => {
    expect(() => parseConditions('nonsense')).toThrow(ApiError);
  });

  it('reads sort fields with - for descending', () => {
    expect(parseSort('name,-creation_time')).toEqual([
      { key: 'name', descending: false },
      { key: 'creation_time', descending: true },
    ]);
  });

  it('defaults to page 1 of 10 and caps page_size at 100', () => {
    expect(readListQuery({})).toMatchObject({ page: 1, pageSize: 10 });
    expect(() => readListQuery({ page_size: '101' })).toThrow(ApiError);
    expect(() => readListQuery({ page: '0' })).toThrow(ApiError);
    expect(() => readListQuery({ page: 'two' })).toThrow(ApiError);
  });
});

describe('query to SQL', () => {
  const columns = { name: { sql: 'p.name', type: 'text' as const }, id: { sql: 'p.id', type: 'int' as const } };

  it('binds every value as a parameter and escapes LIKE wildcards', () => {
    const sql = toSql(readListQuery({ q: 'name=~50%_off,id={1 2}', sort: '-id', page: '3', page_size: '20' }), columns, []);
    expect(sql.where).toEqual(['p.name::text ILIKE $1', 'p.id = ANY($2)']);
    expect(sql.values).toEqual(['%50\\%\\_off%', [1, 2]]);
    expect(sql.orderBy).toBe('p.id DESC');
    expect(sql.limit).toBe(20);
    expect(sql.offset).toBe(40);
  });

  it('names the supported keys when a key is unknown', () => {
    expect(() => toSql(readListQuery({ q: 'password=x' }), columns, [])).toThrow(/supported: name, id/);
    expect(() => toSql(readListQuery({ sort: 'secret' }), columns, [])).toThrow(ApiError);
  });
});
