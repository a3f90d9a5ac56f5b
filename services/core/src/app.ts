import express, { Router, type Express, type Request } from 'express';
import type { Secret } from '@wharf/config';
import { bodyTextGuard, errorMiddleware, healthRoutes, notFound, rejectNonUtf8Body, requestId, textGuard, type Metrics, type ReadinessCheck } from '@wharf/http-kit';
import { accessLog, type Logger } from '@wharf/logging';
import { registryInputErrorCode } from '@wharf/oci';
import { artifactRoutes } from './artifacts/artifacts.routes.js';
import type { ArtifactService } from './artifacts/artifact.service.js';
import { auditRoutes } from './audit/audit.routes.js';
import type { AuditService } from './audit/audit.service.js';
import { notificationRoutes } from './events/notifications.routes.js';
import type { EventService } from './events/event.service.js';
import { mapCoreError } from './http/errors.js';
import { securityContext } from './http/security.js';
import { memberRoutes } from './members/members.routes.js';
import type { MemberService } from './members/member.service.js';
import { projectRoutes } from './projects/projects.routes.js';
import type { ProjectService } from './projects/project.service.js';
import { registryRoutes } from './registries/registries.routes.js';
import type { RegistryService } from './registries/registry.service.js';
import type { DryRunService } from './replication/dry-run.service.js';
import type { PolicyService } from './replication/policy.service.js';
import { replicationRoutes } from './replication/replication.routes.js';
import type { ReplicationService } from './replication/replication.service.js';
import { repositoryRoutes } from './repositories/repositories.routes.js';
import type { RepositoryService } from './repositories/repository.service.js';
import { robotRoutes } from './robots/robots.routes.js';
import type { RobotService } from './robots/robot.service.js';
import { searchRoutes } from './search/search.routes.js';
import type { SearchService } from './search/search.service.js';
import type { LoginService } from './sessions/login.service.js';
import { sessionRoutes } from './sessions/sessions.routes.js';
import { systemRoutes } from './system/system.routes.js';
import type { SystemService } from './system/system.service.js';
import type { ExecutionService } from './tasks/execution.service.js';
import { jobHookRoutes } from './tasks/job-hook.routes.js';
import type { TaskService } from './tasks/task.service.js';
import { tokenRoutes } from './tokens/tokens.routes.js';
import type { TokenService } from './tokens/token.service.js';
import { userRoutes } from './users/users.routes.js';
import type { UserService } from './users/user.service.js';
import { registryAccessRoutes } from './v2-gate/registry-access.routes.js';
import { v2Routes, type V2RoutesDeps } from './v2-gate/v2.routes.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  isShuttingDown?: () => boolean;
  trustProxy: string;
  secret: Secret;
  secureCookies: boolean;
  sessionTtlMs: number;
  services: {
    users: UserService;
    login: LoginService;
    projects: ProjectService;
    members: MemberService;
    robots: RobotService;
    tokens: TokenService;
    repositories: RepositoryService;
    artifacts: ArtifactService;
    audit: AuditService;
    events: EventService;
    search: SearchService;
    system: SystemService;
    /** The generic execution/task model; features (replication, GC, scans) expose their own views of it. */
    executions: ExecutionService;
    tasks: TaskService;
    registries: RegistryService;
    policies: PolicyService;
    replication: ReplicationService;
    dryRun: DryRunService;
  };
  /** The registry front: the gate and what carries out its decisions. */
  v2: V2RoutesDeps;
}

/** core's HTTP app: /v2 (the registry front), /service (tokens, internal events), /c (browser login), /api. No I/O here. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Paths are case-sensitive, as in Harbor: /API/v2.0 is not /api/v2.0.
  app.set('case sensitive routing', true);
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);
  const { services } = deps;

  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(deps.metrics.middleware);
  // Text no route can take (NUL, malformed escapes, bytes that are not UTF-8) is refused here, once.
  app.use(textGuard({ code: (problem, req) => (/^\/v2(\/|$)/.test(req.path) ? registryInputErrorCode(req.path, problem) : 'BAD_REQUEST') }));
  app.use(healthRoutes({ checks: deps.readiness, isShuttingDown: deps.isShuttingDown }));
  app.use(deps.metrics.routes);

  // The registry front streams bodies: it comes before any body parser.
  app.use(v2Routes(deps.v2).middleware);

  app.use(securityContext({ login: services.login, secret: deps.secret }));
  app.use(tokenRoutes({ tokens: services.tokens, login: services.login }));
  app.use(notificationRoutes({ events: services.events }));
  app.use(jobHookRoutes({ tasks: services.tasks }));
  app.use(registryAccessRoutes({ gate: deps.v2.gate }));
  app.use(sessionRoutes({ login: services.login, secureCookies: deps.secureCookies, sessionTtlMs: deps.sessionTtlMs }));

  app.get('/api/version', (_req, res) => void res.json({ version: 'v2.0' }));
  const api = Router({ caseSensitive: true });
  api.use(express.json({ limit: '1mb', verify: rejectNonUtf8Body }), bodyTextGuard());
  api.use(systemRoutes({ system: services.system }));
  api.use(searchRoutes({ search: services.search }));
  api.use(userRoutes({ users: services.users }));
  api.use(projectRoutes({ projects: services.projects }));
  api.use(memberRoutes({ members: services.members }));
  api.use(robotRoutes({ robots: services.robots }));
  api.use(repositoryRoutes({ repositories: services.repositories }));
  api.use(artifactRoutes({ artifacts: services.artifacts }));
  api.use(auditRoutes({ audit: services.audit, projects: services.projects }));
  api.use(registryRoutes({ registries: services.registries }));
  api.use(replicationRoutes({ policies: services.policies, replication: services.replication, dryRun: services.dryRun }));
  app.use('/api/v2.0', api);

  app.use(notFound());
  app.use(
    errorMiddleware({
      logger: deps.logger,
      mapError: (error) => mapCoreError(error),
      headers: (error, req: Request) => {
        const headers: Record<string, string> = {};
        if (req.path.startsWith('/v2')) headers['Docker-Distribution-API-Version'] = 'registry/2.0';
        const retry = (error.detail as { retry_after?: number } | undefined)?.retry_after;
        if (error.code === 'TOOMANYREQUESTS' && retry) headers['Retry-After'] = String(retry);
        return headers;
      },
    }),
  );
  return app;
}
