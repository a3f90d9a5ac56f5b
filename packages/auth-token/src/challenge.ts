import { formatScope, type Access } from './scope.js';

export interface ChallengeOptions {
  realm: string;
  service: string;
  /** The scopes the request needs; several are sent space-separated in one value. */
  scopes?: readonly (Access | string)[];
  error?: 'invalid_token' | 'insufficient_scope' | 'invalid_request';
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** `Bearer realm="…",service="…"[,scope="…"][,error="…"]`, as distribution and Harbor send it. */
export function bearerChallenge(options: ChallengeOptions): string {
  const parts = [`realm=${quote(options.realm)}`, `service=${quote(options.service)}`];
  const scopes = (options.scopes ?? []).map((s) => (typeof s === 'string' ? s : formatScope(s)));
  if (scopes.length > 0) parts.push(`scope=${quote(scopes.join(' '))}`);
  if (options.error) parts.push(`error=${quote(options.error)}`);
  return `Bearer ${parts.join(',')}`;
}
