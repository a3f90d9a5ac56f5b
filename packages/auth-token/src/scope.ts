/** One entry of a token's `access` claim, and one parsed `scope` (Harbor's ResourceActions). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export class InvalidScopeError extends Error {
  readonly scope: string;

  constructor(scope: string) {
    super(`invalid scope ${JSON.stringify(scope)}: expected type:name:actions`);
    this.name = 'InvalidScopeError';
    this.scope = scope;
  }
}

/**
 * Parses `scope` values as clients send them: the parameter may repeat, and one value may
 * hold several scopes separated by spaces. A scope is `type:name:actions`; the name may
 * itself contain `:` (a registry host with a port), so it is split at the first and the
 * last colon. Actions are comma-separated and de-duplicated.
 */
export function parseScopes(values: string | readonly string[]): Access[] {
  const list = typeof values === 'string' ? [values] : values;
  const out: Access[] = [];
  for (const value of list) {
    for (const scope of value.split(/\s+/).filter(Boolean)) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first <= 0 || last === first) throw new InvalidScopeError(scope);
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      if (!name) throw new InvalidScopeError(scope);
      const actions = [...new Set(scope.slice(last + 1).split(',').map((a) => a.trim()).filter(Boolean))];
      out.push({ type, name, actions });
    }
  }
  return out;
}

export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/** True when `access` grants `action` on `type:name`; the action `*` grants every action. */
export function grants(access: readonly Access[] | undefined, type: string, name: string, action: string): boolean {
  if (!access) return false;
  return access.some(
    (entry) => entry.type === type && entry.name === name && (entry.actions.includes(action) || entry.actions.includes('*')),
  );
}
