import type { Request } from 'express';
import type { ProjectRef } from '../projects/project.service.js';

/**
 * `{project_name_or_id}`: an id when it is all digits, unless `X-Is-Resource-Name: true`
 * says it is a name (a project may be named "123").
 */
export function projectRefOf(req: Request, param = 'project_name_or_id'): ProjectRef {
  const value = String(req.params[param] ?? '');
  const forceName = String(req.get('X-Is-Resource-Name') ?? '').toLowerCase() === 'true';
  return !forceName && /^\d+$/.test(value) ? { id: Number(value) } : { name: value };
}

/**
 * `{repository_name}` below its project: clients encode a `/` in it twice (`a%252Fb`), so it
 * arrives as `a%2Fb` after express's decoding and is decoded once more here.
 */
export function repositoryNameOf(req: Request, param = 'repository_name'): string {
  const value = String(req.params[param] ?? '');
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function intParam(req: Request, param: string): number {
  const value = Number(req.params[param]);
  return Number.isInteger(value) && value > 0 ? value : -1;
}

/** A query parameter given once, as a string; '' when absent or repeated. */
export function queryString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
