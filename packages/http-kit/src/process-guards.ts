import type { Logger } from '@wharf/logging';

/**
 * System error codes of a lost or refused connection, a peer hanging up, or a timeout: what
 * a restart of Postgres, Redis, RabbitMQ or another service produces. Such an error that no
 * code caught is logged; the service goes on and its clients reconnect.
 */
const OPERATIONAL_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  // Postgres: the server is shutting down or restarting, or ended the session.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

/** Messages of connection loss from drivers that set no code (pg, ioredis, amqplib). */
const OPERATIONAL_MESSAGES = [/connection terminated/i, /connection (?:is )?closed/i, /socket (?:hang up|closed)/i, /channel closed/i, /connection lost/i, /command timed out/i];

/** Error names drivers give a lost connection (ioredis gives up on a command while Redis is away). */
const OPERATIONAL_NAMES = new Set(['AbortError', 'TimeoutError', 'ConnectTimeoutError', 'HeadersTimeoutError', 'BodyTimeoutError', 'MaxRetriesPerRequestError']);

/**
 * An operational failure (a dependency went away) rather than a bug: judged by the error
 * and its causes. Anything else — a TypeError, a RangeError, a failed assertion — is a bug.
 */
export function isOperationalError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, name, message, cause } = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && OPERATIONAL_CODES.has(code)) return true;
  if (typeof name === 'string' && OPERATIONAL_NAMES.has(name)) return true;
  if (typeof message === 'string' && !(error instanceof TypeError) && !(error instanceof RangeError) && OPERATIONAL_MESSAGES.some((pattern) => pattern.test(message))) return true;
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every((inner) => isOperationalError(inner, depth + 1));
  return cause !== undefined && isOperationalError(cause, depth + 1);
}

export interface ProcessGuardOptions {
  logger: Logger;
  /** Ends the process after a bug (the supervisor starts it again); `process.exit` by default. */
  exit?: (code: number) => void;
}

/**
 * Installs the last line of defence: an error or rejection no code handled is logged with
 * its stack. A lost connection (see {@link isOperationalError}) is only logged — a service
 * never exits because a dependency restarted; anything else is a bug whose state cannot be
 * trusted, so the process exits with status 70 after the log line is written, for its
 * supervisor (npm start, compose, Kubernetes) to start it again. Returns the uninstaller.
 */
export function installProcessGuards(options: ProcessGuardOptions): () => void {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let exiting = false;
  const handle = (kind: 'uncaught exception' | 'unhandled rejection', error: unknown): void => {
    if (isOperationalError(error)) {
      logger.warn('connection failure not handled where it happened', { kind, err: error });
      return;
    }
    logger.error('unhandled error, exiting', { kind, err: error });
    if (exiting) return;
    exiting = true;
    // Give the log transport a moment to write the line above.
    setTimeout(() => exit(70), 100).unref();
  };
  const onException = (error: unknown): void => handle('uncaught exception', error);
  const onRejection = (reason: unknown): void => handle('unhandled rejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
