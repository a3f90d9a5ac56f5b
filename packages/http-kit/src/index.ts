export { requestId, requestIdOf } from './request-id.js';
export { errorMiddleware, notFound, type ErrorMapper, type ErrorMiddlewareOptions } from './error-middleware.js';
export { validate } from './validate.js';
export { healthRoutes, type ReadinessCheck, type HealthOptions } from './health.js';
export { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export { listen, onShutdownSignal, runService, type ListenOptions, type RunnableService, type RunningServer } from './server.js';
export { FileRangePipe, pipeFileRange, type FileRangePipeOptions } from './file-range.js';
export { installProcessGuards, isOperationalError, type ProcessGuardOptions } from './process-guards.js';
export {
  bodyTextGuard,
  describeTextProblem,
  invalidTextReason,
  invalidUrlComponentReason,
  jsonTextProblem,
  MAX_JSON_DEPTH,
  rejectNonUtf8Body,
  textGuard,
  urlTextProblem,
  type TextGuardOptions,
  type TextProblem,
} from './text-guard.js';
