import { ApiError } from '@wharf/errors';
import {
  DuplicateJobError,
  InvalidJobIdError,
  InvalidJobMetadataError,
  InvalidJobParametersError,
  JobNotFoundError,
  QueueUnavailableError,
  UnknownJobNameError,
  UnsupportedActionError,
} from '../jobs/job.errors.js';
import { SecretRequiredError } from './http.errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

function entry<E extends Error>(type: ErrorClass<E>, toApi: (error: E) => ApiError): [ErrorClass<Error>, (error: Error) => ApiError] {
  return [type, toApi as (error: Error) => ApiError];
}

/**
 * The one table from jobservice's domain errors to API errors.
 *
 * Deliberate difference from Harbor: Harbor's jobservice answers errors as
 * `{"code":<uint16>,"message","details"}`; Wharf answers with the project's envelope
 * `{"errors":[{"code","message","detail"}]}` on every service, jobservice included. The
 * statuses are Harbor's (400, 401, 404, 409, 501).
 */
const table = [
  entry(SecretRequiredError, (e) => new ApiError('UNAUTHORIZED', { message: e.message })),
  entry(JobNotFoundError, (e) => new ApiError('NOT_FOUND', { message: e.message, detail: { job_id: e.jobId.slice(0, 300) } })),
  entry(UnknownJobNameError, (e) => new ApiError('BAD_REQUEST', { message: e.message, detail: { name: e.jobName.slice(0, 100), known: e.known } })),
  entry(InvalidJobParametersError, (e) => new ApiError('BAD_REQUEST', { message: e.message, detail: e.issues })),
  entry(InvalidJobMetadataError, (e) => new ApiError('BAD_REQUEST', { message: e.message })),
  entry(InvalidJobIdError, (e) => new ApiError('BAD_REQUEST', { message: e.message })),
  entry(DuplicateJobError, (e) => new ApiError('CONFLICT', { message: e.message, detail: { job_id: e.existingId } })),
  entry(UnsupportedActionError, (e) => new ApiError('UNSUPPORTED', { status: 501, message: e.message, detail: { action: e.action.slice(0, 100) } })),
  entry(QueueUnavailableError, (e) => new ApiError('UNAVAILABLE', { message: e.message })),
];

export function mapJobserviceError(error: unknown): ApiError | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const [type, toApi] of table) if (error instanceof type) return toApi(error);
  return undefined;
}
