import { errorCodes, type ErrorCode } from './codes.js';

export interface ApiErrorOptions {
  message?: string;
  detail?: unknown;
  /**
   * Overrides the code's registered status. Only the per-service error table
   * (`src/http/errors.ts`) sets this, for the few places where a protocol asks for a
   * status other than the code's own (a 413 manifest, a 416 upload range).
   */
  status?: number;
  cause?: unknown;
}

/** An error with an API meaning: a registered code, a status, a message and a detail. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    super(options.message ?? errorCodes[code].message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.detail = options.detail;
  }

  withDetail(detail: unknown): ApiError {
    return new ApiError(this.code, { message: this.message, detail, status: this.status, cause: this.cause });
  }

  withMessage(message: string): ApiError {
    return new ApiError(this.code, { message, detail: this.detail, status: this.status, cause: this.cause });
  }

  withStatus(status: number): ApiError {
    return new ApiError(this.code, { message: this.message, detail: this.detail, status, cause: this.cause });
  }

  toJSON(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.detail !== undefined) body.detail = this.detail;
    return body;
  }
}

export interface ErrorBody {
  code: string;
  message: string;
  detail?: unknown;
}

export function apiError(code: ErrorCode, message?: string, detail?: unknown): ApiError {
  return new ApiError(code, { message, detail });
}
