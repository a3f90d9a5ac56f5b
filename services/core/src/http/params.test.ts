import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@wharf/errors';
import { INT4_MAX, isStorableText, rowIdOf } from '../listing/db-range.js';
import { intParam, projectRefOf, repositoryNameOf } from './params.js';

/** What the helpers read of a request: its (already percent-decoded) params and headers. */
function req(params: Record<string, string>, headers: Record<string, string> = {}): Request {
  return { params, get: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

describe('intParam', () => {
  it('reads decimal ids within the id column', () => {
    expect(intParam(req({ id: '1' }), 'id')).toBe(1);
    expect(intParam(req({ id: '0042' }), 'id')).toBe(42);
    expect(intParam(req({ id: String(INT4_MAX) }), 'id')).toBe(INT4_MAX);
  });

  it('answers -1 (no row, so 404) for anything past the column or not plainly decimal', () => {
    for (const id of ['2147483648', '99999999999999999999', '9223372036854775808', '0', '-1', '1e3', '1.0', ' 2', '2 ', '+2', '0x10', 'abc', '', '1e308', 'Infinity']) {
      expect(intParam(req({ id }), 'id'), id).toBe(-1);
    }
  });
});

describe('projectRefOf', () => {
  it('reads digits as an id, as Harbor does up to int64, and anything else as a name', () => {
    expect(projectRefOf(req({ project_name_or_id: '7' }))).toEqual({ id: 7 });
    expect(projectRefOf(req({ project_name_or_id: '2147483648' }))).toEqual({ id: 2147483648 });
    expect(projectRefOf(req({ project_name_or_id: '9223372036854775807' }))).toEqual({ id: Number('9223372036854775807') });
    expect(projectRefOf(req({ project_name_or_id: '9223372036854775808' }))).toEqual({ name: '9223372036854775808' });
    expect(projectRefOf(req({ project_name_or_id: '99999999999999999999' }))).toEqual({ name: '99999999999999999999' });
    expect(projectRefOf(req({ project_name_or_id: 'library' }))).toEqual({ name: 'library' });
    expect(projectRefOf(req({ project_name_or_id: '7' }, { 'x-is-resource-name': 'true' }))).toEqual({ name: '7' });
  });
});

describe('repositoryNameOf', () => {
  it('decodes the second encoding of a nested name', () => {
    expect(repositoryNameOf(req({ repository_name: 'team%2Fapp' }))).toBe('team/app');
    expect(repositoryNameOf(req({ repository_name: 'app' }))).toBe('app');
  });

  it('refuses (400) what the second decoding cannot turn into storable text', () => {
    for (const name of ['a%00b', 'a%zz', '%ED%A0%80', '%C0%80', 'a%']) {
      expect(() => repositoryNameOf(req({ repository_name: name })), name).toThrow(ApiError);
    }
    expect(() => repositoryNameOf(req({ repository_name: 'a\u0000b' }))).toThrow(/NUL/);
  });
});

describe('db-range', () => {
  it('knows a row id and storable text', () => {
    expect(rowIdOf('2147483647')).toBe(INT4_MAX);
    expect(rowIdOf('2147483648')).toBeUndefined();
    expect(isStorableText('café 🐳')).toBe(true);
    expect(isStorableText('a\u0000')).toBe(false);
    expect(isStorableText('a\ud800')).toBe(false);
  });
});
