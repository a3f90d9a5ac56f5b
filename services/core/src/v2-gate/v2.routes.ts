import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { grants } from '@wharf/auth-token';
import { INTERNAL_TOKEN_SUBJECT } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { requestIdOf } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';
import { acceptedMediaTypes, acceptsMediaType, isValidTag, looksLikeDigest, MediaType } from '@wharf/oci';
import type { ArtifactSyncService } from '../artifacts/artifact-sync.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { artifactAuditKey, artifactResource } from '../events/event.service.js';
import type { ProjectService } from '../projects/project.service.js';
import type { RepositoryService } from '../repositories/repository.service.js';
import type { LoginService } from '../sessions/login.service.js';
import type { ManifestHead, ManifestReadCache } from './manifest-read.cache.js';
import type { PullRecorder } from './pull-recorder.js';
import { challengeOf, type GateDecision, type V2GateService } from './v2-gate.service.js';

/** Tells every core replica that a repository's manifests or tags changed. */
export interface RepositoryChangeAnnouncer {
  announce(repository: string): Promise<void>;
}

export interface V2RoutesDeps {
  gate: V2GateService;
  manifests: ManifestReadCache;
  pulls: PullRecorder;
  repositoryChanges: RepositoryChangeAnnouncer;
  login: LoginService;
  projects: ProjectService;
  repositories: RepositoryService;
  sync: ArtifactSyncService;
  audit: AuditService;
  registryUrl: string;
  /** Time limit of a manifest call to the registry. */
  registryTimeoutMs: number;
  /** Largest manifest a push may carry (the registry's limit). */
  manifestMaxSize: number;
  logger: Logger;
}

/** Hop-by-hop headers, never relayed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection']);

/** A client that can read manifest lists and indexes got the tag's own manifest, never a platform's stand-in. */
function readsIndexes(accept: readonly string[]): boolean {
  return acceptsMediaType(accept, MediaType.OciIndex) && acceptsMediaType(accept, MediaType.DockerManifestList);
}

function setManifestHeaders(res: Response, manifest: ManifestHead): void {
  res.status(200).set({
    'Content-Type': manifest.mediaType,
    'Content-Length': String(manifest.size),
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  });
}

/** A registry answer read whole (manifests only: small by the registry's limit). */
interface RegistryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * `/v2/*` through core (Harbor 2.x's registry front): the gate ({@link V2GateService}) judges
 * each request once, by its route table; this file only carries out the route's handling.
 * Manifest reads are served from core's read cache when it knows the answer (and the pull is
 * counted here, as the registry counts the pulls it serves), else passed to registry-facade
 * and remembered; a manifest push is read, passed on, and projected from the very body sent;
 * everything else streams to registry-facade untouched.
 */
export function v2Routes(deps: V2RoutesDeps) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(deps.registryUrl);
  const onError = (error: Error, _req: IncomingMessage, res: unknown) => {
    deps.logger.warn('registry unreachable', { err: error });
    const response = res as Response;
    if (typeof response.status !== 'function' || response.headersSent) return;
    response.status(503).json({ errors: [{ code: 'UNAVAILABLE', message: 'the registry is unavailable, try again' }] });
  };
  const stream: RequestHandler = createProxyMiddleware({
    target: deps.registryUrl,
    changeOrigin: false,
    xfwd: true,
    proxyTimeout: 0,
    timeout: 0,
    agent,
    on: {
      proxyReq: (proxyReq, _req, res) => void proxyReq.setHeader('X-Request-Id', requestIdOf(res as Response)),
      proxyRes: (proxyRes, req) => {
        // A manifest or tag deleted: every replica forgets the repository before the client hears of it.
        const changed = (req as Request & { wharfChanges?: string }).wharfChanges;
        if (changed && proxyRes.statusCode !== undefined && proxyRes.statusCode < 300) void deps.repositoryChanges.announce(changed);
      },
      error: onError,
    },
  });

  /** The request as registry-facade must see it, with `body` (read by core) instead of the client's stream. */
  function ask(req: Request, res: Response, body?: Buffer): Promise<RegistryAnswer> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') headers[name] = value;
    headers['x-request-id'] = requestIdOf(res);
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [forwardedFor, req.socket.remoteAddress].filter(Boolean).join(', ');
    if (body) headers['content-length'] = String(body.byteLength);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.originalUrl, headers, agent, timeout: deps.registryTimeoutMs },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from the registry within ${deps.registryTimeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  function relay(res: Response, answer: RegistryAnswer): void {
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
    res.status(answer.status).end(answer.body);
  }

  async function askOrUnavailable(req: Request, res: Response, body?: Buffer): Promise<RegistryAnswer> {
    try {
      return await ask(req, res, body);
    } catch (error) {
      deps.logger.warn('registry unreachable', { err: error });
      throw new ApiError('UNAVAILABLE', { message: 'the registry is unavailable, try again' });
    }
  }

  async function manifestRead(req: Request, res: Response, decision: Extract<GateDecision, { repository: string }>): Promise<void> {
    const { repository, reference } = decision as { repository: string; reference: string };
    const head = req.method === 'HEAD';
    const accept = acceptedMediaTypes(req.headers.accept);
    const known = deps.manifests.head(repository, reference);
    if (known && acceptsMediaType(accept, known.mediaType)) {
      const body = head ? undefined : deps.manifests.body(known.digest);
      if (head || body) {
        if (!head) await countPull(decision, known.digest);
        setManifestHeaders(res, known);
        res.end(body);
        return;
      }
    }
    // Not known here: registry-facade answers (and counts the pull); its answer is remembered.
    const ticket = deps.manifests.ticket();
    const answer = await askOrUnavailable(req, res);
    const digest = answer.headers['docker-content-digest'];
    const mediaType = answer.headers['content-type'];
    const size = Number(answer.headers['content-length']);
    if (answer.status === 200 && typeof digest === 'string' && typeof mediaType === 'string' && Number.isSafeInteger(size)) {
      const known: ManifestHead = { digest, mediaType, size };
      if (looksLikeDigest(reference) || readsIndexes(accept)) deps.manifests.remember(ticket, repository, reference, known, head ? undefined : answer.body);
    }
    relay(res, answer);
  }

  async function countPull(decision: Extract<GateDecision, { repository: string }>, digest: string): Promise<void> {
    const username = decision.claims.subject || 'anonymous';
    // Core's own reads (projecting, replication with the suite's token) are not pulls.
    if (username === INTERNAL_TOKEN_SUBJECT) return;
    const tag = decision.reference !== undefined && !looksLikeDigest(decision.reference) ? decision.reference : undefined;
    await deps.pulls.record({ repository: decision.repository, digest, tag, resource: artifactResource(decision.repository, digest, tag), username });
  }

  async function manifestPush(req: Request, res: Response, decision: Extract<GateDecision, { repository: string }>): Promise<void> {
    const body = await readManifest(req, deps.manifestMaxSize);
    const answer = await askOrUnavailable(req, res, body);
    if (answer.status === 201) {
      await deps.repositoryChanges.announce(decision.repository);
      const digest = answer.headers['docker-content-digest'];
      if (typeof digest === 'string') await afterPush(req, res, decision, digest, body);
    }
    relay(res, answer);
  }

  /** After the registry accepted a manifest: project it from the body sent (and record the push) before answering. */
  async function afterPush(req: Request, res: Response, decision: Extract<GateDecision, { repository: string }>, digest: string, body: Buffer): Promise<void> {
    const repository = decision.repository;
    const reference = decision.reference ?? '';
    const query = new URL(req.originalUrl, 'http://core.invalid').searchParams;
    const tags = [...new Set([...(isValidTag(reference) && !looksLikeDigest(reference) ? [reference] : []), ...query.getAll('tag').filter(isValidTag)])];
    try {
      await deps.sync.projectPush({ repository, digest, mediaType: req.headers['content-type'] ?? '', body, tags });
      const project = decision.project;
      for (const tag of tags.length > 0 ? tags : [undefined]) {
        await deps.audit.record({
          projectId: project.id,
          operation: 'create',
          resourceType: 'artifact',
          resource: artifactResource(repository, digest, tag),
          username: decision.claims.subject ?? 'anonymous',
          dedupeKey: artifactAuditKey('push', repository, digest, tag, requestIdOf(res)),
        });
      }
    } catch (error) {
      // The registry holds the manifest; its event will bring the projection up to date.
      deps.logger.warn('push not projected at once, the registry event will repair it', { repository, digest, err: error });
    }
  }

  async function catalog(req: Request, res: Response, decision: GateDecision): Promise<void> {
    const claims = decision.claims;
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

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    const decision = await deps.gate.decide({
      method: req.method,
      path: req.path,
      authorization: req.headers.authorization,
      knownDigest: (repository, tag) => deps.manifests.head(repository, tag)?.digest,
    });
    switch (decision.route.handling) {
      case 'ping':
        res.status(200).json({});
        return;
      case 'catalog':
        await catalog(req, res, decision);
        return;
      case 'manifest-read':
        await manifestRead(req, res, decision as Extract<GateDecision, { repository: string }>);
        return;
      case 'manifest-push':
        await manifestPush(req, res, decision as Extract<GateDecision, { repository: string }>);
        return;
      case 'pass':
        if (decision.route.changesManifests) (req as Request & { wharfChanges?: string }).wharfChanges = (decision as { repository: string }).repository;
        await stream(req, res, next);
    }
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
        const challenge = challengeOf(error);
        if (challenge) res.set('WWW-Authenticate', challenge);
        throw error;
      }
    },
    close: () => agent.destroy(),
  };
}

/** Reads a manifest push of at most `limit` bytes; a larger one is refused as the registry refuses it. */
async function readManifest(req: Request, limit: number): Promise<Buffer> {
  const tooLarge = () => new ApiError('MANIFEST_INVALID', { status: 413, message: `manifest is larger than the limit of ${limit} bytes`, detail: { limit } });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).byteLength;
    if (total > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
