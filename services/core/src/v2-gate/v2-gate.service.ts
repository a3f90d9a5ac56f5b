import { bearerChallenge, grants, TokenInvalidError, type Access, type TokenClaims } from '@wharf/auth-token';
import { ApiError } from '@wharf/errors';
import { isValidRepositoryName, looksLikeDigest, parseDigest } from '@wharf/oci';
import type { ProjectGateInfo } from '../projects/project.store.js';
import { isSysadmin, type Principal } from '../rbac/principal.js';
import { VulnerablePullBlockedError } from '../vulnerabilities/vulnerability-policy.service.js';
import { gateRouteOf, type GatePolicy, type GateRoute } from './route-table.js';

/** What the gate needs of the token service. */
export interface GateTokens {
  readonly service: string;
  verify(token: string): Promise<TokenClaims>;
}

/** The gate's view of a project (exists, created when, its policies), cached by core. */
export interface GateProjects {
  gateInfo(name: string): Promise<ProjectGateInfo | undefined>;
}

export interface GatePrincipals {
  principalForSubject(subject: string | undefined): Promise<Principal>;
}

export interface GateVulnerabilities {
  checkPull(project: Pick<ProjectGateInfo, 'metadata'>, digest: string): Promise<void>;
}

/** Resolves a tag to the digest it points to (for policies that judge an artifact). */
export type DigestResolver = (repository: string, reference: string) => Promise<string | undefined>;

export interface V2GateDeps {
  tokens: GateTokens;
  projects: GateProjects;
  principals: GatePrincipals;
  vulnerabilities: GateVulnerabilities;
  /** How a tag is resolved when no faster answer is given with the request (core's read cache, then the registry). */
  resolveDigest: DigestResolver;
  realm: string;
}

/** A refusal whose answer carries `WWW-Authenticate` (a missing, invalid or insufficient token). */
export class ChallengeError extends ApiError {
  readonly challenge: string;

  constructor(message: string, challenge: string, detail?: unknown) {
    super('UNAUTHORIZED', { message, detail });
    this.challenge = challenge;
  }
}

/** A refusal whose answer needs `WWW-Authenticate`; undefined for any other error. */
export function challengeOf(error: unknown): string | undefined {
  return error instanceof ChallengeError ? error.challenge : undefined;
}

export interface GateRequest {
  method: string;
  path: string;
  authorization?: string | undefined;
  /** What a tag points to when the caller knows it without asking the registry (core's read cache); undefined when it does not. */
  knownDigest?: (repository: string, tag: string) => string | undefined;
}

/** The gate's yes: who asked, for what, and the route's handling. */
export type GateDecision =
  | { route: GateRoute & { handling: 'ping' }; claims: TokenClaims }
  | { route: GateRoute & { handling: 'catalog' }; claims: TokenClaims }
  | { route: GateRoute; claims: TokenClaims; repository: string; reference?: string; project: ProjectGateInfo };

const CATALOG_SCOPE: Access = { type: 'registry', name: 'catalog', actions: ['*'] };

/**
 * Harbor 2.x's front of the registry: every `/v2` request is judged here once, by the route
 * table ({@link gateRouteOf}): the bearer token core issued (signature, issuer, audience,
 * expiry), the action the route needs, the project's existence (NAME_UNKNOWN for a system
 * admin; refused like a private project for anyone else, so names cannot be probed), then
 * the route's policies. A refusal is thrown in the shape `/v2` clients expect.
 */
export class V2GateService {
  readonly #deps: V2GateDeps;
  readonly #policies: Record<GatePolicy, (context: PolicyContext) => Promise<void>>;

  constructor(deps: V2GateDeps) {
    this.#deps = deps;
    this.#policies = {
      'token-not-older-than-project': async ({ claims, project, scope }) => {
        if (claims.issuedAt !== undefined && claims.issuedAt * 1000 < Math.floor(project.creationTime.getTime() / 1000) * 1000) {
          throw new ChallengeError('the token was issued before this project existed', this.challenge([scope], 'invalid_token'));
        }
      },
      'prevent-vulnerable': async ({ project, repository, reference, request }) => {
        if (project.metadata.prevent_vul !== 'true' || reference === undefined) return;
        const digest = looksLikeDigest(reference) ? parseDigest(reference).value : (request.knownDigest?.(repository, reference) ?? (await this.#deps.resolveDigest(repository, reference)));
        if (!digest) return;
        try {
          await this.#deps.vulnerabilities.checkPull(project, digest);
        } catch (error) {
          if (error instanceof VulnerablePullBlockedError) throw new ApiError('PROJECTPOLICYVIOLATION', { message: error.message });
          throw error;
        }
      },
    };
  }

  get service(): string {
    return this.#deps.tokens.service;
  }

  challenge(scopes: Access[], error?: 'invalid_token' | 'insufficient_scope'): string {
    return bearerChallenge({ realm: this.#deps.realm, service: this.#deps.tokens.service, scopes, error });
  }

  /** The claims of a bearer token this core issued; a challenge naming `scopes` otherwise. */
  async claimsOf(authorization: string | undefined, scopes: Access[]): Promise<TokenClaims> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new ChallengeError('authentication required', this.challenge(scopes));
    try {
      return await this.#deps.tokens.verify(match[1]!);
    } catch (error) {
      const reason = error instanceof TokenInvalidError ? error.reason : 'malformed';
      throw new ChallengeError(`invalid token (${reason})`, this.challenge(scopes, 'invalid_token'));
    }
  }

  /** Judges one request; throws the client's answer when it is refused. */
  async decide(request: GateRequest): Promise<GateDecision> {
    const matched = gateRouteOf(request.method, request.path);
    if (!matched) throw new ApiError('NOT_FOUND', { message: `no route for ${request.method} ${request.path}` });
    const { route, name, params } = matched;
    if (route.handling === 'ping') return { route: route as GateRoute & { handling: 'ping' }, claims: await this.claimsOf(request.authorization, []) };
    if (route.handling === 'catalog') return { route: route as GateRoute & { handling: 'catalog' }, claims: await this.claimsOf(request.authorization, [CATALOG_SCOPE]) };

    if (!isValidRepositoryName(name)) throw new ApiError('NAME_INVALID', { message: `invalid repository name ${JSON.stringify(name.slice(0, 300))}` });
    const action = route.action as 'pull' | 'push' | 'delete';
    const scope: Access = { type: 'repository', name, actions: action === 'push' ? ['pull', 'push'] : [action] };
    const claims = await this.claimsOf(request.authorization, [scope]);
    const projectName = name.split('/')[0]!;
    const project = await this.#deps.projects.gateInfo(projectName);
    if (!grants(claims.access, 'repository', name, action)) {
      // Only callers who may see every project learn that one does not exist.
      if (!project && isSysadmin(await this.#deps.principals.principalForSubject(claims.subject))) {
        throw new ApiError('NAME_UNKNOWN', { message: `project ${projectName} not found` });
      }
      throw new ChallengeError(`unauthorized to access repository: ${name}, action: ${action}`, this.challenge([scope], 'insufficient_scope'), [
        { Type: 'repository', Name: name, Action: action },
      ]);
    }
    if (!project) throw new ChallengeError('the token was issued before this project existed', this.challenge([scope], 'invalid_token'));
    const reference = params.reference;
    for (const policy of route.policies) await this.#policies[policy]({ claims, project, scope, repository: name, reference, request });
    return { route, claims, repository: name, ...(reference === undefined ? {} : { reference }), project };
  }
}

interface PolicyContext {
  claims: TokenClaims;
  project: ProjectGateInfo;
  scope: Access;
  repository: string;
  reference: string | undefined;
  request: GateRequest;
}
