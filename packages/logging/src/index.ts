export { createLogger, type Logger, type LoggerOptions } from './create-logger.js';
export { runWithRequestContext, currentRequestContext, type RequestContext } from './request-context.js';
export { redact, redactValue } from './redact.js';
export { accessLog, type AccessLogOptions } from './access-log.js';
