import { ApiError } from '@wharf/errors';
import { describe, expect, it } from 'vitest';
import { MAX_PAGE, parseConditions, parseSort, readListQuery } from './list-query.js';
import { pageClause, toSql } from './list-sql.js';

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

  const codeOf = (run: () => unknown): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      return error instanceof ApiError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it('reads page numbers as decimal digits only, up to the page whose offset JavaScript and bigint hold exactly', () => {
    expect(readListQuery({ page: String(MAX_PAGE), page_size: '100' })).toMatchObject({ page: MAX_PAGE, pageSize: 100 });
    expect(Number.isSafeInteger((MAX_PAGE - 1) * 100)).toBe(true);
    for (const page of ['1e308', '99999999999999999999', String(MAX_PAGE + 1), '9223372036854775808']) expect(codeOf(() => readListQuery({ page })), page).toBe('400 BAD_REQUEST');
    for (const page of ['-1', '0', '1.5', ' 1', '+1', '0x10', 'Infinity', 'NaN', '1e3']) expect(codeOf(() => readListQuery({ page })), page).toBe('400 BAD_REQUEST');
    expect(codeOf(() => readListQuery({ page: ['1', '2'] }))).toBe('400 BAD_REQUEST');
    expect(codeOf(() => readListQuery({ page_size: '99999999999999999999' }))).toBe('422 UNPROCESSABLE_ENTITY');
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

  it('names the supported keys when a key is unknown, inherited names included', () => {
    expect(() => toSql(readListQuery({ q: 'password=x' }), columns, [])).toThrow(/supported: name, id/);
    expect(() => toSql(readListQuery({ sort: 'secret' }), columns, [])).toThrow(ApiError);
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(() => toSql(readListQuery({ q: `${key}=1` }), columns, []), key).toThrow(/unsupported key/);
      expect(() => toSql(readListQuery({ sort: key }), columns, []), key).toThrow(/unsupported key/);
    }
  });

  it('binds LIMIT and OFFSET after the values, leaving the values for the count query', () => {
    const values = ['repo', 7];
    const sql = toSql(readListQuery({ page: String(MAX_PAGE), page_size: '100' }), columns, [], values.length);
    expect(pageClause(sql, values)).toEqual({ text: 'LIMIT $3 OFFSET $4', values: ['repo', 7, 100, (MAX_PAGE - 1) * 100] });
    expect(values).toEqual(['repo', 7]);
  });

  it('casts query values within their column: int4 and int8 integers, times of years 1 to 9999', () => {
    const typed = { id: { sql: 'id', type: 'int' as const }, size: { sql: 'size', type: 'bigint' as const }, at: { sql: 'at', type: 'time' as const } };
    const values = (q: string) => toSql(readListQuery({ q }), typed, []).values;
    expect(values('id=2147483647,size=9223372036854775807')).toEqual([2147483647, '9223372036854775807']);
    expect(values('id=-2147483648,size=[-9223372036854775808~0]')).toEqual([-2147483648, '-9223372036854775808', '0']);
    expect(values('id={1 2}')).toEqual([[1, 2]]);
    expect(values('at=[0001-01-01T00:00:00Z~9999-12-31T23:59:59Z]')).toHaveLength(2);
    for (const q of ['id=2147483648', 'id=-2147483649', 'id=99999999999999999999', 'size=9223372036854775808', 'id=1.5', 'id=1e3', 'id=0x10', 'id=abc', 'id={1 1e308}', 'id=(1 NaN)']) {
      expect(() => values(q), q).toThrow(ApiError);
    }
    for (const q of ['at=[-200000-01-01~]', 'at=+275760-09-13T00:00:00Z', 'at=10000-01-01T00:00:00Z', 'at=yesterday']) expect(() => values(q), q).toThrow(ApiError);
  });
});
