import { randomBytes } from 'node:crypto';
import { INTERNAL_TOKEN_SUBJECT } from '@wharf/contracts';
import { createTokenVerifier, issueToken, publicJwk, type Access, type SigningKey, type TokenClaims, type TokenVerifier } from '@wharf/auth-token';
import type { JWK } from 'jose';
import { jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { accessInfo, type ProjectService } from '../projects/project.service.js';
import { isSysadmin, principalName, type Principal } from '../rbac/principal.js';
import type { RbacService } from '../rbac/rbac.service.js';
import type { RobotService } from '../robots/robot.service.js';
import type { UserService } from '../users/user.service.js';
import { RefreshTokenInvalidError } from './token.errors.js';

export interface TokenServiceDeps {
  key: SigningKey;
  issuer: string;
  service: string;
  ttlSeconds: number;
  refreshTtlSeconds: number;
  projects: ProjectService;
  rbac: RbacService;
  users: UserService;
  robots: RobotService;
  now?: () => Date;
}

export interface IssuedTokens {
  token: string;
  expiresIn: number;
  issuedAt: string;
  refreshToken?: string;
  access: Access[];
}

/**
 * Harbor's Docker token service: for each requested repository the token carries every
 * action the caller holds there (not the intersection with what was asked); an unknown
 * project yields no actions, exactly like a forbidden one; `registry:catalog:*` only for
 * system admins. Refresh tokens are signed too and checked against the account each time
 * they are used, so a deleted user, a changed password or a disabled robot ends them.
 */
const INTERNAL_TOKEN_TTL_SECONDS = 300;

export class TokenService {
  readonly #deps: TokenServiceDeps;
  readonly #verifier: TokenVerifier;
  readonly #now: () => Date;
  /** Core's own tokens by repository and actions, reused for most of their lifetime. */
  readonly #internal = new LRUCache<string, { token: string; reuseUntil: number }>({ max: 1000, ttlResolution: 0, perf: { now: () => this.#now().getTime() } });

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#verifier = createTokenVerifier({ issuer: deps.issuer, audience: deps.service, keys: { publicKey: deps.key.publicKey } });
  }

  get service(): string {
    return this.#deps.service;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [await publicJwk(this.#deps.key)] };
  }

  /** What the principal may do for each requested scope. */
  async grant(principal: Principal, scopes: readonly Access[]): Promise<Access[]> {
    const granted = new Map<string, Access>();
    for (const scope of scopes) {
      const key = `${scope.type}:${scope.name}`;
      if (granted.has(key)) continue;
      granted.set(key, { type: scope.type, name: scope.name, actions: await this.#actions(principal, scope) });
    }
    return [...granted.values()];
  }

  async issue(principal: Principal, scopes: readonly Access[], options: { offline?: boolean } = {}): Promise<IssuedTokens> {
    const access = await this.grant(principal, scopes);
    const issued = await issueToken({
      key: this.#deps.key,
      issuer: this.#deps.issuer,
      audience: this.#deps.service,
      subject: principalName(principal),
      access,
      ttlSeconds: this.#deps.ttlSeconds,
      now: this.#now(),
    });
    const result: IssuedTokens = { token: issued.token, expiresIn: issued.expiresIn, issuedAt: issued.issuedAt, access };
    if (options.offline && (principal.kind === 'user' || principal.kind === 'robot')) result.refreshToken = await this.#refreshToken(principal);
    return result;
  }

  /** Exchanges a refresh token for a new access token; the access is computed anew. */
  async refresh(refreshToken: string, scopes: readonly Access[]): Promise<IssuedTokens> {
    const principal = await this.#principalOfRefresh(refreshToken);
    const issued = await this.issue(principal, scopes);
    return { ...issued, refreshToken };
  }

  /** Checks a registry token this service issued (for the /v2 gate). */
  async verify(token: string): Promise<TokenClaims> {
    return this.#verifier.verify(token);
  }

  /**
   * A short-lived token for core's own calls to the registry (5 minutes), signed once and
   * reused for its first 4: projecting one push reads the registry several times.
   */
  async internalToken(repository: string, actions: readonly string[]): Promise<string> {
    const key = `${repository} ${[...actions].sort().join(',')}`;
    const now = this.#now();
    const cached = this.#internal.get(key);
    if (cached && cached.reuseUntil > now.getTime()) return cached.token;
    const issued = await issueToken({
      key: this.#deps.key,
      issuer: this.#deps.issuer,
      audience: this.#deps.service,
      subject: INTERNAL_TOKEN_SUBJECT,
      access: [{ type: 'repository', name: repository, actions: [...actions] }],
      ttlSeconds: INTERNAL_TOKEN_TTL_SECONDS,
      now,
    });
    const reuseMs = (INTERNAL_TOKEN_TTL_SECONDS - 60) * 1000;
    this.#internal.set(key, { token: issued.token, reuseUntil: now.getTime() + reuseMs }, { ttl: reuseMs });
    return issued.token;
  }

  async #actions(principal: Principal, scope: Access): Promise<string[]> {
    if (scope.type === 'registry' && scope.name === 'catalog') return isSysadmin(principal) && scope.actions.includes('*') ? ['*'] : [];
    if (scope.type !== 'repository') return [];
    // The suite's own services (Harbor's secret security context, e.g. the adapter
    // replicating to or from this Wharf) may do everything, whatever the project.
    if (principal.kind === 'internal') return ['pull', 'push', 'delete'];
    const separator = scope.name.indexOf('/');
    if (separator <= 0) return [];
    const project = await this.#deps.projects.find({ name: scope.name.slice(0, separator) });
    if (!project) return [];
    return this.#deps.rbac.repositoryActions(principal, accessInfo(project));
  }

  async #refreshToken(principal: Extract<Principal, { kind: 'user' | 'robot' }>): Promise<string> {
    const version =
      principal.kind === 'user' ? (await this.#deps.users.findById(principal.id))?.passwordVersion : (await this.#deps.robots.findById(principal.id))?.secretVersion;
    const now = Math.floor(this.#now().getTime() / 1000);
    return new SignJWT({ kind: principal.kind, uid: principal.id, ver: version ?? 0 })
      .setProtectedHeader({ alg: this.#deps.key.algorithm, kid: this.#deps.key.kid, typ: 'JWT' })
      .setIssuer(this.#deps.issuer)
      .setAudience(`${this.#deps.service}#refresh`)
      .setSubject(principalName(principal))
      .setIssuedAt(now)
      .setExpirationTime(now + this.#deps.refreshTtlSeconds)
      .setJti(randomBytes(16).toString('hex'))
      .sign(this.#deps.key.privateKey);
  }

  async #principalOfRefresh(token: string): Promise<Principal> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#deps.key.publicKey, {
        issuer: this.#deps.issuer,
        audience: `${this.#deps.service}#refresh`,
        algorithms: [this.#deps.key.algorithm],
        currentDate: this.#now(),
      }));
    } catch {
      throw new RefreshTokenInvalidError();
    }
    const id = Number(payload.uid);
    if (payload.kind === 'user') {
      const user = await this.#deps.users.findById(id);
      if (!user || user.passwordVersion !== payload.ver) throw new RefreshTokenInvalidError();
      return { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin };
    }
    if (payload.kind === 'robot') {
      const robot = await this.#deps.robots.findById(id);
      if (!robot || robot.secretVersion !== payload.ver || !this.#deps.robots.usable(robot)) throw new RefreshTokenInvalidError();
      return { kind: 'robot', id: robot.id, name: this.#deps.robots.fullName(robot), level: robot.level, projectId: robot.projectId, permissions: robot.permissions };
    }
    throw new RefreshTokenInvalidError();
  }
}
