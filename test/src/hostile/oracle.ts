import type { Operation } from './api-definitions.js';
import { parserRefuses, type RawRequest, type RawResponse } from './raw-http.js';

/** One line naming the request and its answer, short enough for an assertion message. */
export function describeExchange(operation: Operation, request: RawRequest, response: RawResponse | undefined): string {
  const body = typeof request.body === 'string' ? request.body : request.body?.toString('latin1');
  const sent = `${operation.label} ⇒ ${request.method} ${request.target.slice(0, 300)}${body ? ` body ${JSON.stringify(body.slice(0, 300))}` : ''}`;
  return response ? `${sent} → ${response.status} ${response.text.slice(0, 300)}` : `${sent} → no answer`;
}

/**
 * What is wrong with an answer to a hostile request, or undefined: any 5xx (or no status
 * at all), and any error answer with a body that is not the `{"errors":[{code,message}]}`
 * envelope every service speaks. An error without a body is accepted: HEAD answers, and
 * the 400/431 Node's HTTP parser itself writes for a request line it cannot read; so is a
 * connection closed on such a request while its body was still being sent.
 */
export function answerProblem(request: RawRequest, response: RawResponse): string | undefined {
  if (response.reset) return parserRefuses(request) ? undefined : `the connection was reset (${response.reset}) without an answer`;
  if (response.status >= 500 || response.status < 100) return `answered ${response.status}`;
  if (response.status < 400 || request.method === 'HEAD' || response.text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return 'an error answer whose body is not JSON';
  }
  const first = (body as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
  if (typeof first?.code !== 'string' || typeof first.message !== 'string') return 'an error answer outside the {"errors":[{code,message}]} envelope';
  return undefined;
}

/**
 * Where a create (201) or a delete (2xx) of each operation shows: the collection whose
 * total must move by exactly the number of such answers. Anything else that creates or
 * deletes is a failure of its own.
 */
export function collectionOf(operation: Operation): string | undefined {
  if (operation.api !== 'harbor') return undefined;
  const path = operation.template.replace('/api/v2.0', '');
  const collections: Record<string, string> = {
    '/projects': 'projects',
    '/users': 'users',
    '/robots': 'robots',
    '/registries': 'registries',
    '/replication/policies': 'policies',
    '/replication/executions': 'executions',
    '/projects/{project_name_or_id}/members': 'members',
    '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags': 'tags',
  };
  return collections[path];
}
