import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, type ErrorCode } from '@wharf/errors';

/**
 * Where a request holds text no service can take: a NUL byte (Postgres refuses it in text
 * and JSON), a malformed percent-encoding, bytes that are not UTF-8 once percent-decoded
 * (an encoded surrogate, an overlong form, a stray continuation byte), a lone UTF-16
 * surrogate in a JSON string, or JSON nested deeper than any API body is.
 */
export type TextProblem =
  | { in: 'path'; segment: string; reason: string }
  | { in: 'query'; key: string; reason: string }
  | { in: 'body'; at: string; reason: string };

export interface TextGuardOptions {
  /** The code of the refusal (BAD_REQUEST unless a protocol names one, e.g. NAME_INVALID on `/v2`). */
  code?: (problem: TextProblem, req: Request) => ErrorCode;
}

/** JSON bodies of the APIs nest a few levels; anything far deeper is refused before code recurses into it. */
export const MAX_JSON_DEPTH = 32;

const NUL = 'a NUL character';
/** Only a `%`, a control or a non-ASCII character needs a closer look; Node's parser lets little else into a URL. */
function needsScan(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char === 0x25 || char < 0x20 || char > 0x7e) return true;
  }
  return false;
}
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/** What is wrong with an already-decoded string, or undefined: a NUL or a lone surrogate. */
export function invalidTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL;
  if (!text.isWellFormed()) return 'a lone UTF-16 surrogate';
  return undefined;
}

/** What is wrong with one raw (percent-encoded) component of a URL, or undefined. */
export function invalidUrlComponentReason(component: string): string | undefined {
  if (!needsScan(component)) return undefined;
  const bytes = new Uint8Array(component.length);
  let length = 0;
  for (let i = 0; i < component.length; i += 1) {
    const char = component.charCodeAt(i);
    if (char === 0x25) {
      const hex = component.slice(i + 1, i + 3);
      if (!HEX2.test(hex)) return 'a malformed percent-encoding';
      bytes[length++] = Number.parseInt(hex, 16);
      i += 2;
    } else if (char < 0x20 || char > 0x7e) {
      return char === 0 ? NUL : 'a character that must be percent-encoded';
    } else {
      bytes[length++] = char;
    }
  }
  const decoded = bytes.subarray(0, length);
  if (decoded.includes(0)) return NUL;
  if (!isUtf8(decoded)) return 'bytes that are not UTF-8';
  return undefined;
}

const shown = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text);

/** The first problem in a request target (`/path?query`), or undefined when every part decodes to valid text. */
export function urlTextProblem(url: string): TextProblem | undefined {
  if (!needsScan(url)) return undefined;
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  for (const segment of path.split('/')) {
    const reason = invalidUrlComponentReason(segment);
    if (reason) return { in: 'path', segment, reason };
  }
  if (mark < 0) return undefined;
  for (const pair of url.slice(mark + 1).split('&')) {
    const separator = pair.indexOf('=');
    const key = separator < 0 ? pair : pair.slice(0, separator);
    const reason = invalidUrlComponentReason(key) ?? (separator < 0 ? undefined : invalidUrlComponentReason(pair.slice(separator + 1)));
    if (reason) return { in: 'query', key: invalidUrlComponentReason(key) ? key : decodeURIComponent(key), reason };
  }
  return undefined;
}

/**
 * The first problem in a parsed JSON (or form) value: a string or key holding a NUL or a
 * lone surrogate, or nesting past `maxDepth`. Walks with its own stack, so no input can
 * exhaust the call stack.
 */
export function jsonTextProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): TextProblem | undefined {
  const pending: { value: unknown; at: string; depth: number }[] = [{ value, at: '', depth: 0 }];
  while (pending.length > 0) {
    const { value: current, at, depth } = pending.pop()!;
    if (typeof current === 'string') {
      const reason = invalidTextReason(current);
      if (reason) return { in: 'body', at, reason };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return { in: 'body', at, reason: `nesting deeper than ${maxDepth} levels` };
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, at: `${at}[${index}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const path = at ? `${at}.${key}` : key;
      const reason = invalidTextReason(key);
      if (reason) return { in: 'body', at: path, reason };
      pending.push({ value: item, at: path, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The client-facing sentence for a problem; the offending text is quoted short, never echoed whole. */
export function describeTextProblem(problem: TextProblem): string {
  switch (problem.in) {
    case 'path':
      return `the path segment ${JSON.stringify(shown(problem.segment))} holds ${problem.reason}`;
    case 'query':
      return `the query parameter ${JSON.stringify(shown(problem.key))} holds ${problem.reason}`;
    case 'body':
      return problem.at ? `the body field ${JSON.stringify(shown(problem.at))} holds ${problem.reason}` : `the body holds ${problem.reason}`;
  }
}

function refusal(problem: TextProblem, req: Request, options: TextGuardOptions): ApiError {
  return new ApiError(options.code?.(problem, req) ?? 'BAD_REQUEST', { message: describeTextProblem(problem) });
}

/**
 * Refuses (400, in the envelope) a request whose path or query holds a NUL, a malformed
 * percent-encoding or bytes that are not UTF-8, before any route reads it. One check for
 * every route, so no handler, query parser or SQL statement ever sees such text.
 */
export function textGuard(options: TextGuardOptions = {}) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const problem = urlTextProblem(req.originalUrl ?? req.url);
    next(problem ? refusal(problem, req, options) : undefined);
  };
}

/** Placed after a body parser: refuses a parsed body holding a NUL, a lone surrogate or absurd nesting. */
export function bodyTextGuard(options: TextGuardOptions = {}) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const problem = req.body === undefined ? undefined : jsonTextProblem(req.body);
    next(problem ? refusal(problem, req, options) : undefined);
  };
}

/**
 * A body-parser `verify` hook: a body that is not UTF-8 is refused (400) rather than read
 * with replacement characters and stored altered.
 */
export function rejectNonUtf8Body(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw new ApiError('BAD_REQUEST', { message: 'the body is not UTF-8' });
}
