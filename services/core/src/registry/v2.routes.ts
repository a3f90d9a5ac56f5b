import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { bearerChallenge, grants, TokenInvalidError, type Access, type TokenClaims } from '@wharf/auth-token';
import { ApiError } from '@wharf/errors';
import { requestIdOf } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';
import { actionForMethod, isValidRepositoryName, isValidTag, looksLikeDigest, matchRegistryPath, parseDigest } from '@wharf/oci';
import type { ArtifactSyncService } from '../artifacts/artifact-sync.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { artifactAuditKey, artifactResource } from '../events/event.service.js';
import type { ProjectGateInfo, ProjectService } from '../projects/project.service.js';
import { isSysadmin } from '../rbac/principal.js';
import type { RepositoryService } from '../repositories/repository.service.js';
import type { LoginService } from '../sessions/login.service.js';
import type { TokenService } from '../tokens/token.service.js';
import { VulnerablePullBlockedError, type VulnerabilityPolicyService } from '../vulnerabilities/vulnerability-policy.service.js';
import type { RegistryClient } from './registry.client.js';

export interface V2GateDeps {
  tokens: TokenService;
  login: LoginService;
  projects: ProjectService;
  repositories: RepositoryService;
  sync: ArtifactSyncService;
  audit: AuditService;
  vulnerabilities: VulnerabilityPolicyService;
  registry: RegistryClient;
  registryUrl: string;
  realm: string;
  logger: Logger;
}

const CATALOG_SCOPE: Access = { type: 'registry', name: 'catalog', actions: ['*'] };

interface Authorized {
  match: NonNullable<ReturnType<typeof matchRegistryPath>>;
  project: ProjectGateInfo;
}

class ChallengeError extends ApiError {
  readonly challenge: string;

  constructor(message: string, challenge: string, detail?: unknown) {
    super('UNAUTHORIZED', { message, detail });
    this.challenge = challenge;
  }
}

/**
 * `/v2/*` through core (Harbor 2.x's registry front). Core checks the bearer token it issued
 * and adds what the registry cannot know: a project that does not exist (NAME_UNKNOWN for a
 * system admin; for anyone else it is refused like a private one), a token older than its project, prevent_vul on manifest pulls, and a
 * catalog limited to what the caller may see. Everything else streams to registry-facade
 * untouched; a manifest push is projected into the API before its answer returns
 * (read-your-writes).
 */
export function v2Gate(deps: V2GateDeps) {
  const onError = (error: Error, _req: IncomingMessage, res: unknown) => {
    deps.logger.warn('registry unreachable', { err: error });
    const response = res as Response;
    if (typeof response.status !== 'function' || response.headersSent) return;
    response.status(503).json({ errors: [{ code: 'UNAVAILABLE', message: 'the registry is unavailable, try again' }] });
  };
  const common = {
    target: deps.registryUrl,
    changeOrigin: false,
    xfwd: true,
    proxyTimeout: 0,
    timeout: 0,
  };
  const stream: RequestHandler = createProxyMiddleware({
    ...common,
    on: { proxyReq: (proxyReq, _req, res) => void proxyReq.setHeader('X-Request-Id', requestIdOf(res as Response)), error: onError },
  });
  const manifestPush: RequestHandler = createProxyMiddleware({
    ...common,
    selfHandleResponse: true,
    on: {
      proxyReq: (proxyReq, _req, res) => void proxyReq.setHeader('X-Request-Id', requestIdOf(res as Response)),
      error: onError,
      proxyRes: async (proxyRes, req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of proxyRes) chunks.push(chunk as Buffer);
        if (proxyRes.statusCode === 201) await afterPush(deps, req as Request, res as Response, proxyRes.headers['docker-content-digest'] as string | undefined);
        for (const [key, value] of Object.entries(proxyRes.headers)) if (value !== undefined && key !== 'transfer-encoding' && key !== 'connection') res.setHeader(key, value);
        res.writeHead(proxyRes.statusCode ?? 502);
        res.end(Buffer.concat(chunks));
      },
    },
  });

  const challenge = (scopes: Access[], error?: 'invalid_token' | 'insufficient_scope') =>
    bearerChallenge({ realm: deps.realm, service: deps.tokens.service, scopes, error });

  async function claimsOf(authorization: string | undefined, scopes: Access[]): Promise<TokenClaims> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new ChallengeError('authentication required', challenge(scopes));
    try {
      return await deps.tokens.verify(match[1]!);
    } catch (error) {
      const reason = error instanceof TokenInvalidError ? error.reason : 'malformed';
      throw new ChallengeError(`invalid token (${reason})`, challenge(scopes, 'invalid_token'));
    }
  }

  /**
   * Every policy core applies to a repository route before the registry sees it: a valid
   * token granting the route's action, a project that exists (NAME_UNKNOWN for a system
   * admin, refused like a private one for anyone else), and a token not older than its project.
   */
  async function authorize(method: string, path: string, authorization: string | undefined): Promise<Authorized> {
    const match = matchRegistryPath(path);
    if (!match || match.route === 'base' || match.route === 'catalog') throw new ApiError('NOT_FOUND', { message: `no route for ${method} ${path}` });
    if (!isValidRepositoryName(match.name)) throw new ApiError('NAME_INVALID', { message: `invalid repository name ${JSON.stringify(match.name.slice(0, 300))}` });
    const action = actionForMethod(method);
    const scope: Access = { type: 'repository', name: match.name, actions: action === 'push' ? ['pull', 'push'] : [action] };
    const claims = await claimsOf(authorization, [scope]);
    const project = await deps.projects.gateInfo(match.name.split('/')[0]!);

    if (!grants(claims.access, 'repository', match.name, action)) {
      // Only callers who may see every project learn that one does not exist; for everyone
      // else a missing project and a private one are refused alike.
      if (!project && isSysadmin(await deps.login.principalForSubject(claims.subject))) {
        throw new ApiError('NAME_UNKNOWN', { message: `project ${match.name.split('/')[0]} not found` });
      }
      throw new ChallengeError(`unauthorized to access repository: ${match.name}, action: ${action}`, challenge([scope], 'insufficient_scope'), [
        { Type: 'repository', Name: match.name, Action: action },
      ]);
    }
    if (!project || (claims.issuedAt !== undefined && claims.issuedAt * 1000 < Math.floor(project.creationTime.getTime() / 1000) * 1000)) {
      throw new ChallengeError('the token was issued before this project existed', challenge([scope], 'invalid_token'));
    }
    return { match, project };
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    const route = matchRegistryPath(req.path)?.route;
    if (route === 'base') {
      await claimsOf(req.headers.authorization, []);
      res.status(200).json({});
      return;
    }
    if (route === 'catalog') {
      await catalog(req, res);
      return;
    }
    const { match } = await admit(req.method, req.path, req.headers.authorization);
    if (match.route === 'manifest' && req.method === 'PUT') {
      await manifestPush(req, res, next);
      return;
    }
    await stream(req, res, next);
  }

  /** {@link authorize}, and for a manifest pull the project's prevent_vul policy. */
  async function admit(method: string, path: string, authorization: string | undefined): Promise<Authorized> {
    const admitted = await authorize(method, path, authorization);
    const { match, project } = admitted;
    if (match.route === 'manifest' && method === 'GET') await checkPull(project, match.name, match.params.reference!);
    return admitted;
  }

  async function checkPull(project: ProjectGateInfo, repository: string, reference: string): Promise<void> {
    if (project.metadata.prevent_vul !== 'true') return;
    const digest = looksLikeDigest(reference) ? parseDigest(reference).value : (await deps.registry.resolve(repository, reference))?.digest;
    if (!digest) return;
    try {
      await deps.vulnerabilities.checkPull(project, digest);
    } catch (error) {
      if (error instanceof VulnerablePullBlockedError) throw new ApiError('PROJECTPOLICYVIOLATION', { message: error.message });
      throw error;
    }
  }

  async function catalog(req: Request, res: Response): Promise<void> {
    const claims = await claimsOf(req.headers.authorization, [CATALOG_SCOPE]);
    const principal = grants(claims.access, 'registry', 'catalog', '*') ? ({ kind: 'internal' } as const) : await deps.login.principalForSubject(claims.subject);
    const rawN = typeof req.query.n === 'string' ? req.query.n : undefined;
    if (rawN !== undefined && !/^\d{1,6}$/.test(rawN)) throw new ApiError('PAGINATION_NUMBER_INVALID', { message: 'n must be a non-negative integer' });
    const n = Math.min(rawN === undefined ? 100 : Number(rawN), 1000);
    const last = typeof req.query.last === 'string' && req.query.last ? req.query.last : undefined;
    if (n === 0) {
      res.json({ repositories: [] });
      return;
    }
    const names = await deps.repositories.catalog(principal, n + 1, last);
    const page = names.slice(0, n);
    if (names.length > n) res.set('Link', `</v2/_catalog?${new URLSearchParams({ n: String(n), last: page[page.length - 1]! }).toString()}>; rel="next"`);
    res.json({ repositories: page });
  }

  return {
    middleware: async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.path !== '/v2' && !req.path.startsWith('/v2/')) {
        next();
        return;
      }
      try {
        await handle(req, res, next);
      } catch (error) {
        if (error instanceof ChallengeError) res.set('WWW-Authenticate', error.challenge);
        throw error;
      }
    },
    /** Every policy of this gate ({@link admit}) for a request another service will serve; see {@link challengeOf} for refusals. */
    admit: async (method: string, path: string, authorization: string | undefined): Promise<void> => {
      await admit(method, path, authorization);
    },
  };
}

export type V2Gate = ReturnType<typeof v2Gate>;

/** A refusal whose answer needs `WWW-Authenticate`; undefined for any other error. */
export function challengeOf(error: unknown): string | undefined {
  return error instanceof ChallengeError ? error.challenge : undefined;
}

/** After the registry accepted a manifest: project it (and record the push) before answering. */
async function afterPush(deps: V2GateDeps, req: Request, res: Response, digest: string | undefined): Promise<void> {
  const match = matchRegistryPath(req.path);
  if (!match || !digest) return;
  const reference = match.params.reference!;
  const query = new URL(req.originalUrl, 'http://core.invalid').searchParams;
  const tags = [...new Set([...(isValidTag(reference) && !looksLikeDigest(reference) ? [reference] : []), ...query.getAll('tag').filter(isValidTag)])];
  try {
    // One read of the registry for the digest and its first tag; further tags (`?tag=`) each resolved.
    await deps.sync.syncPush({ repository: match.name, digest, tag: tags[0] });
    for (const tag of tags.slice(1)) await deps.sync.syncPush({ repository: match.name, digest, tag });
    const claims = await deps.tokens.verify(/^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const project = await deps.projects.find({ name: match.name.split('/')[0]! });
    for (const tag of tags.length > 0 ? tags : [undefined]) {
      await deps.audit.record({
        projectId: project?.id ?? null,
        operation: 'create',
        resourceType: 'artifact',
        resource: artifactResource(match.name, digest, tag),
        username: claims.subject ?? 'anonymous',
        dedupeKey: artifactAuditKey('push', match.name, digest, tag, requestIdOf(res)),
      });
    }
  } catch (error) {
    // The registry holds the manifest; its event will bring the projection up to date.
    deps.logger.warn('push not projected at once, the registry event will repair it', { repository: match.name, digest, err: error });
  }
}
