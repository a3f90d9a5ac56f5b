import { createLogger as createWinstonLogger, format, transports, type Logger } from 'winston';
import { redact } from './redact.js';
import { currentRequestContext } from './request-context.js';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: 'error' | 'warn' | 'info' | 'debug';
  format?: 'json' | 'pretty';
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
}

const withRequestContext = format((info) => {
  const context = currentRequestContext();
  if (context) {
    info.requestId ??= context.requestId;
    if (context.user) info.user ??= context.user;
  }
  return info;
});

/** Puts an error's name, message and stack under `err`, where the log rules want it. */
const errorsUnderErr = format((info) => {
  const err = info.err ?? info.error;
  if (err instanceof Error) {
    info.err = { name: err.name, message: err.message, stack: err.stack, ...pickCode(err) };
    if (info.error === err) delete info.error;
  }
  return info;
});

function pickCode(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return code === undefined ? {} : { code };
}

export function createLogger(options: LoggerOptions): Logger {
  const output = options.stream
    ? new transports.Stream({ stream: options.stream })
    : new transports.Console({ stderrLevels: [] });
  return createWinstonLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: format.combine(
      format.timestamp(),
      withRequestContext(),
      errorsUnderErr(),
      redact(),
      options.format === 'pretty'
        ? format.printf(({ timestamp, level, message, service, ...rest }) => {
            const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} [${String(service)}] ${String(message)}${fields}`;
          })
        : format.json(),
    ),
    transports: [output],
  });
}
