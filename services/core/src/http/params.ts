import type { Request } from 'express';
import { ApiError } from '@wharf/errors';
import { invalidTextReason } from '@wharf/http-kit';
import { INT8_MAX, rowIdOf } from '../listing/db-range.js';
import type { ProjectRef } from '../projects/project.service.js';

/**
 * `{project_name_or_id}`: an id when it is all digits and fits Harbor's int64, unless
 * `X-Is-Resource-Name: true` says it is a name (a project may be named "123"). As in
 * Harbor, digits past int64 are a name; an id past the id column is simply not found.
 */
export function projectRefOf(req: Request, param = 'project_name_or_id'): ProjectRef {
  const value = String(req.params[param] ?? '');
  const forceName = String(req.get('X-Is-Resource-Name') ?? '').toLowerCase() === 'true';
  return !forceName && /^\d{1,19}$/.test(value) && BigInt(value) <= INT8_MAX ? { id: Number(value) } : { name: value };
}

/**
 * `{repository_name}` below its project: clients encode a `/` in it twice (`a%252Fb`), so it
 * arrives as `a%2Fb` after express's decoding and is decoded once more here. What that
 * second decoding cannot turn into text (a NUL, a malformed escape, bytes that are not
 * UTF-8) is refused (400).
 */
export function repositoryNameOf(req: Request, param = 'repository_name'): string {
  const value = String(req.params[param] ?? '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new ApiError('BAD_REQUEST', { message: `the repository name ${JSON.stringify(value.slice(0, 64))} holds a malformed percent-encoding or bytes that are not UTF-8` });
  }
  const reason = invalidTextReason(decoded);
  if (reason) throw new ApiError('BAD_REQUEST', { message: `the repository name ${JSON.stringify(value.slice(0, 64))} holds ${reason}` });
  return decoded;
}

/**
 * A numeric id in the path (`/users/{user_id}`): decimal digits within the id column's
 * range, or -1, which no row has, so anything else is answered as not found (404).
 */
export function intParam(req: Request, param: string): number {
  return rowIdOf(String(req.params[param] ?? '')) ?? -1;
}

/** A query parameter given once, as a string; '' when absent or repeated. */
export function queryString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
