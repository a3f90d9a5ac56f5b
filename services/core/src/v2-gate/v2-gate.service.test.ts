import { describe, expect, it } from 'vitest';
import { TokenInvalidError, type TokenClaims } from '@wharf/auth-token';
import { ApiError } from '@wharf/errors';
import type { ProjectGateInfo } from '../projects/project.store.js';
import type { Principal } from '../rbac/principal.js';
import { RbacService } from '../rbac/rbac.service.js';
import { Role, type RoleId } from '../rbac/roles.js';
import { VulnerabilityPolicyService } from '../vulnerabilities/vulnerability-policy.service.js';
import { gateRouteOf, GATE_ROUTES } from './route-table.js';
import { challengeOf, V2GateService, type GateDecision } from './v2-gate.service.js';

const CREATED = new Date('2026-01-01T00:00:00Z');
const DIGEST = `sha256:${'a'.repeat(64)}`;
const VULNERABLE = `sha256:${'b'.repeat(64)}`;

type Visibility = 'public' | 'private' | 'missing';
type Action = 'pull' | 'push' | 'delete';
type Caller = 'anonymous' | 'non-member' | 'guest' | 'developer' | 'robot (pull)' | 'robot (pull, push)' | 'admin';

const PROJECTS: Record<Exclude<Visibility, 'missing'>, ProjectGateInfo & { public: boolean }> = {
  public: { id: 1, name: 'pub', public: true, metadata: { public: 'true' }, creationTime: CREATED },
  private: { id: 2, name: 'priv', public: false, metadata: { public: 'false' }, creationTime: CREATED },
};
const projectName = (visibility: Visibility) => (visibility === 'missing' ? 'ghost' : PROJECTS[visibility].name);

const robot = (name: string, actions: string[]): Principal => ({
  kind: 'robot',
  id: 9,
  name,
  level: 'system',
  projectId: null,
  permissions: [{ kind: 'project', namespace: '*', access: actions.map((action) => ({ resource: 'repository', action: action as 'pull' })) }],
});

const CALLERS: Record<Caller, Principal> = {
  anonymous: { kind: 'anonymous' },
  'non-member': { kind: 'user', id: 10, username: 'stranger', sysadmin: false },
  guest: { kind: 'user', id: 11, username: 'guest', sysadmin: false },
  developer: { kind: 'user', id: 12, username: 'dev', sysadmin: false },
  'robot (pull)': robot('robot$reader', ['pull']),
  'robot (pull, push)': robot('robot$ci', ['pull', 'push']),
  admin: { kind: 'user', id: 1, username: 'admin', sysadmin: true },
};
const ROLES: Record<number, RoleId> = { 11: Role.Guest, 12: Role.Developer };

const rbac = new RbacService({ members: { roleOf: async (_project, userId) => ROLES[userId] } });

/** The token core's token service would issue the caller for the repository (the actions RBAC grants). */
async function tokenFor(caller: Caller, repository: string, issuedAt = CREATED.getTime() / 1000 + 60): Promise<TokenClaims> {
  const principal = CALLERS[caller];
  const project = Object.values(PROJECTS).find((p) => p.name === repository.split('/')[0]);
  const actions = project ? await rbac.repositoryActions(principal, project) : [];
  const subject = principal.kind === 'anonymous' ? undefined : principal.kind === 'robot' ? principal.name : principal.kind === 'user' ? principal.username : 'harbor-core';
  return { subject, access: [{ type: 'repository', name: repository, actions }], issuedAt, expiresAt: undefined, id: undefined };
}

function gateWith(tokens: Map<string, TokenClaims>, metadata: Record<string, string> = {}): V2GateService {
  const projects = new Map(Object.values(PROJECTS).map((p) => [p.name, { ...p, metadata: { ...p.metadata, ...metadata } }]));
  return new V2GateService({
    tokens: {
      service: 'harbor-registry',
      verify: async (token) => {
        const claims = tokens.get(token);
        if (!claims) throw new TokenInvalidError('signature', 'the signature does not verify');
        return claims;
      },
    },
    projects: { gateInfo: async (name) => projects.get(name) },
    principals: { principalForSubject: async (subject) => Object.values(CALLERS).find((p) => 'username' in p && p.username === subject) ?? { kind: 'anonymous' } },
    vulnerabilities: new VulnerabilityPolicyService({ scans: { severityOf: async (digest: string) => (digest === VULNERABLE ? 'Critical' : 'None') } }),
    resolveDigest: async (_repository, reference) => (reference === 'bad' ? VULNERABLE : DIGEST),
    realm: 'https://wharf.test/service/token',
  });
}

const REQUEST: Record<Action, { method: string; path: (repository: string) => string }> = {
  pull: { method: 'GET', path: (repository) => `/v2/${repository}/manifests/latest` },
  push: { method: 'PUT', path: (repository) => `/v2/${repository}/manifests/latest` },
  delete: { method: 'DELETE', path: (repository) => `/v2/${repository}/manifests/${DIGEST}` },
};

type Outcome = 'allowed' | 'insufficient_scope' | 'NAME_UNKNOWN' | 'invalid_token';

async function outcome(caller: Caller, visibility: Visibility, action: Action): Promise<Outcome> {
  const repository = `${projectName(visibility)}/app`;
  const claims = await tokenFor(caller, repository);
  const gate = gateWith(new Map([['t', claims]]));
  try {
    const decision = await gate.decide({ method: REQUEST[action].method, path: REQUEST[action].path(repository), authorization: 'Bearer t' });
    expect((decision as Extract<GateDecision, { repository: string }>).repository).toBe(repository);
    return 'allowed';
  } catch (error) {
    const challenge = challengeOf(error);
    if (challenge?.includes('insufficient_scope')) return 'insufficient_scope';
    if (challenge?.includes('invalid_token')) return 'invalid_token';
    if (error instanceof ApiError) return error.code as Outcome;
    throw error;
  }
}

/**
 * Every cell: who asks × the project (public, private, missing) × the action. Harbor's rules:
 * anyone pulls from a public project; members by role (guest pulls, developer pushes, only
 * admins of the project delete); robots exactly their permissions; a system admin may do
 * everything and alone learns that a project does not exist.
 */
const EXPECTED: Record<Caller, Record<Visibility, Record<Action, Outcome>>> = {
  anonymous: {
    public: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    private: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  'non-member': {
    public: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    private: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  guest: {
    public: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    private: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  developer: {
    public: { pull: 'allowed', push: 'allowed', delete: 'insufficient_scope' },
    private: { pull: 'allowed', push: 'allowed', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  'robot (pull)': {
    public: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    private: { pull: 'allowed', push: 'insufficient_scope', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  'robot (pull, push)': {
    public: { pull: 'allowed', push: 'allowed', delete: 'insufficient_scope' },
    private: { pull: 'allowed', push: 'allowed', delete: 'insufficient_scope' },
    missing: { pull: 'insufficient_scope', push: 'insufficient_scope', delete: 'insufficient_scope' },
  },
  admin: {
    public: { pull: 'allowed', push: 'allowed', delete: 'allowed' },
    private: { pull: 'allowed', push: 'allowed', delete: 'allowed' },
    missing: { pull: 'NAME_UNKNOWN', push: 'NAME_UNKNOWN', delete: 'NAME_UNKNOWN' },
  },
};

describe('V2GateService: who may do what, cell by cell', () => {
  for (const [caller, byProject] of Object.entries(EXPECTED) as [Caller, Record<Visibility, Record<Action, Outcome>>][]) {
    for (const [visibility, byAction] of Object.entries(byProject) as [Visibility, Record<Action, Outcome>][]) {
      for (const [action, expected] of Object.entries(byAction) as [Action, Outcome][]) {
        it(`${caller} × ${visibility} project × ${action} → ${expected}`, async () => {
          expect(await outcome(caller, visibility, action)).toBe(expected);
        });
      }
    }
  }
});

describe('V2GateService: tokens', () => {
  const repository = 'priv/app';
  const path = `/v2/${repository}/manifests/latest`;

  it('asks for a token naming the scope when none is sent, and for a new one when it is invalid', async () => {
    const gate = gateWith(new Map());
    const missing = await gate.decide({ method: 'GET', path }).catch((error: unknown) => error);
    expect(challengeOf(missing)).toBe('Bearer realm="https://wharf.test/service/token",service="harbor-registry",scope="repository:priv/app:pull"');
    const invalid = await gate.decide({ method: 'GET', path, authorization: 'Bearer forged' }).catch((error: unknown) => error);
    expect(challengeOf(invalid)).toContain('error="invalid_token"');
    expect((invalid as ApiError).message).toBe('invalid token (signature)');
  });

  it('refuses a token issued before its project was created (a name reused after a delete)', async () => {
    const claims = await tokenFor('admin', repository, CREATED.getTime() / 1000 - 1);
    const error = await gateWith(new Map([['old', claims]]))
      .decide({ method: 'GET', path, authorization: 'Bearer old' })
      .catch((e: unknown) => e);
    expect(challengeOf(error)).toContain('invalid_token');
    expect((error as ApiError).message).toBe('the token was issued before this project existed');
  });

  it('answers /v2/ to any valid token and asks for one otherwise', async () => {
    const gate = gateWith(new Map([['t', await tokenFor('anonymous', 'pub/app')]]));
    expect((await gate.decide({ method: 'GET', path: '/v2/', authorization: 'Bearer t' })).route.handling).toBe('ping');
    expect(challengeOf(await gate.decide({ method: 'GET', path: '/v2/' }).catch((e: unknown) => e))).toBe('Bearer realm="https://wharf.test/service/token",service="harbor-registry"');
  });

  it('refuses names outside the grammar before anything else', async () => {
    const error = await gateWith(new Map()).decide({ method: 'GET', path: '/v2/Priv/App/manifests/latest', authorization: 'Bearer t' }).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('NAME_INVALID');
  });
});

describe('V2GateService: prevent vulnerable images', () => {
  const repository = 'priv/app';
  const decide = async (method: string, reference: string, metadata: Record<string, string>, digest?: string) => {
    const gate = gateWith(new Map([['t', await tokenFor('developer', repository)]]), metadata);
    return gate
      .decide({ method, path: `/v2/${repository}/manifests/${reference}`, authorization: 'Bearer t', ...(digest ? { knownDigest: () => digest } : {}) })
      .then(() => 'allowed')
      .catch((error: ApiError) => error.code);
  };

  it('refuses a GET of an artifact at or above the threshold, by tag and by digest', async () => {
    expect(await decide('GET', 'bad', { prevent_vul: 'true', severity: 'high' })).toBe('PROJECTPOLICYVIOLATION');
    expect(await decide('GET', VULNERABLE, { prevent_vul: 'true', severity: 'high' })).toBe('PROJECTPOLICYVIOLATION');
    expect(await decide('GET', 'latest', { prevent_vul: 'true', severity: 'high' }, VULNERABLE)).toBe('PROJECTPOLICYVIOLATION');
    // A tag the read cache does not know is resolved in the registry.
    const gate = gateWith(new Map([['t', await tokenFor('developer', repository)]]), { prevent_vul: 'true', severity: 'high' });
    const unknown = await gate.decide({ method: 'GET', path: `/v2/${repository}/manifests/bad`, authorization: 'Bearer t', knownDigest: () => undefined }).catch((e: ApiError) => e.code);
    expect(unknown).toBe('PROJECTPOLICYVIOLATION');
  });

  it('lets HEAD through (clients check existence), and every pull when the policy is off or the artifact is clean', async () => {
    expect(await decide('HEAD', 'bad', { prevent_vul: 'true', severity: 'high' })).toBe('allowed');
    expect(await decide('GET', 'bad', { prevent_vul: 'false' })).toBe('allowed');
    expect(await decide('GET', 'latest', { prevent_vul: 'true', severity: 'low' })).toBe('allowed');
  });
});

describe('route table', () => {
  it('names the action and handling of every spec route', () => {
    const cell = (method: string, path: string) => {
      const route = gateRouteOf(method, path)!.route;
      return `${route.action}/${route.handling}`;
    };
    expect(cell('GET', '/v2/')).toBe('none/ping');
    expect(cell('GET', '/v2/_catalog')).toBe('catalog/catalog');
    expect(cell('GET', '/v2/p/r/manifests/latest')).toBe('pull/manifest-read');
    expect(cell('HEAD', '/v2/p/r/manifests/latest')).toBe('pull/manifest-read');
    expect(cell('PUT', '/v2/p/r/manifests/latest')).toBe('push/manifest-push');
    expect(cell('DELETE', '/v2/p/r/manifests/latest')).toBe('delete/pass');
    expect(cell('GET', `/v2/p/r/blobs/${DIGEST}`)).toBe('pull/pass');
    expect(cell('DELETE', `/v2/p/r/blobs/${DIGEST}`)).toBe('delete/pass');
    expect(cell('POST', '/v2/p/r/blobs/uploads/')).toBe('push/pass');
    expect(cell('PATCH', '/v2/p/r/blobs/uploads/abc')).toBe('push/pass');
    expect(cell('GET', '/v2/p/r/tags/list')).toBe('pull/pass');
    expect(cell('GET', `/v2/p/r/referrers/${DIGEST}`)).toBe('pull/pass');
    // A method the spec does not list on a route needs its method's action and gets the registry's answer.
    expect(cell('POST', '/v2/p/r/manifests/latest')).toBe('push/pass');
    expect(gateRouteOf('GET', '/v3/x')).toBeUndefined();
  });

  it('marks the routes that change manifests, and every repository route checks the token against the project', () => {
    expect(GATE_ROUTES.filter((r) => r.changesManifests).map((r) => `${r.method} ${r.route}`)).toEqual(['PUT manifest', 'DELETE manifest']);
    for (const route of GATE_ROUTES.filter((r) => r.route !== 'base' && r.route !== 'catalog')) expect(route.policies).toContain('token-not-older-than-project');
  });
});
