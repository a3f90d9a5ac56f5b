import { ApiError } from '@wharf/errors';
import { ManifestInvalidError } from '@wharf/oci';
import { CapabilityMissingError, OperationUnsupportedError, RegistryProtocolError, RegistryUnreachableError, RemoteRegistryError, UnknownAdapterTypeError } from '../adapters/adapter.errors.js';
import { CopyAbortedError, IncompleteUploadError, UnsupportedManifestError } from '../copy/copy.errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

function entry<E extends Error>(type: ErrorClass<E>, toApi: (error: E) => ApiError): [ErrorClass<Error>, (error: Error) => ApiError] {
  return [type, toApi as (error: Error) => ApiError];
}

/**
 * The one table from domain errors to API errors. A foreign registry's 404 stays a
 * NOT_FOUND (a retry will not help), its refusal of the credentials is a FORBIDDEN (never a
 * 401, which would say the caller's secret is wrong), anything else from it UNAVAILABLE.
 * Messages name methods and paths only: no credentials, no query strings.
 */
const table = [
  entry(UnknownAdapterTypeError, (e) => new ApiError('BAD_REQUEST', { message: e.message, detail: { type: e.type } })),
  entry(CapabilityMissingError, (e) => new ApiError('BAD_REQUEST', { message: e.message, detail: { type: e.type, capability: e.capability } })),
  entry(RemoteRegistryError, (e) =>
    e.notFound
      ? new ApiError('NOT_FOUND', { message: e.message, detail: { status: e.status, path: e.path, code: e.code } })
      : e.denied
        ? new ApiError('FORBIDDEN', { message: e.message, detail: { status: e.status, path: e.path, code: e.code } })
        : new ApiError('UNAVAILABLE', { message: e.message, detail: { status: e.status, path: e.path, code: e.code } }),
  ),
  entry(OperationUnsupportedError, (e) => new ApiError('UNPROCESSABLE_ENTITY', { message: e.message, detail: { type: e.type } })),
  entry(RegistryUnreachableError, (e) => new ApiError('UNAVAILABLE', { message: e.message, detail: { url: e.url } })),
  entry(RegistryProtocolError, (e) => new ApiError('UNAVAILABLE', { message: e.message })),
  entry(IncompleteUploadError, (e) => new ApiError('UNAVAILABLE', { message: e.message })),
  entry(CopyAbortedError, (e) => new ApiError('UNAVAILABLE', { message: e.message })),
  entry(UnsupportedManifestError, (e) => new ApiError('UNPROCESSABLE_ENTITY', { message: e.message })),
  entry(ManifestInvalidError, (e) => new ApiError('UNPROCESSABLE_ENTITY', { message: `source manifest invalid: ${e.message}`, detail: { reasons: e.reasons.slice(0, 20) } })),
];

export function mapAdapterError(error: unknown): ApiError | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const [type, toApi] of table) if (error instanceof type) return toApi(error);
  return undefined;
}
