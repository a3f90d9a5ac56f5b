import { ApiError } from '@wharf/errors';
import { InvalidDigestError, ManifestInvalidError } from '@wharf/oci';
import { AuthChallengeError, TokenKeysUnavailableError } from '../auth/auth.errors.js';
import { BlobUnknownError } from '../blobs/blob.errors.js';
import { ManifestBlobUnknownError, ManifestTooLargeError, ManifestUnknownError, TagInvalidError } from '../manifests/manifest.errors.js';
import {
  DeleteDisabledError,
  NameInvalidError,
  PaginationInvalidError,
  RepositoryUnknownError,
} from '../repositories/repository.errors.js';
import { InvalidPathError } from '../storage/storage-driver.js';
import { DigestMismatchError, UploadRangeError, UploadUnknownError } from '../uploads/upload.errors.js';
import { BlobRangeError, UploadHeadersError } from './http.errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

function entry<E extends Error>(type: ErrorClass<E>, toApi: (error: E) => ApiError): [ErrorClass<Error>, (error: Error) => ApiError] {
  return [type, toApi as (error: Error) => ApiError];
}

/**
 * The one table from domain errors to API errors (OCI codes on /v2). Handlers never pick
 * a status; the few statuses the spec sets apart from a code's own (413 for a manifest
 * over the limit, 416 for an upload range) are set here.
 */
const table = [
  entry(NameInvalidError, (e) => new ApiError('NAME_INVALID', { message: e.message, detail: { name: e.repository.slice(0, 300) } })),
  entry(RepositoryUnknownError, (e) => new ApiError('NAME_UNKNOWN', { message: e.message, detail: { name: e.repository } })),
  entry(InvalidDigestError, (e) => new ApiError('DIGEST_INVALID', { message: e.message, detail: { digest: e.digest.slice(0, 300) } })),
  entry(DigestMismatchError, (e) => new ApiError('DIGEST_INVALID', { message: e.message, detail: { expected: e.expected, actual: e.actual } })),
  entry(BlobUnknownError, (e) => new ApiError('BLOB_UNKNOWN', { message: e.message, detail: { digest: e.digest } })),
  entry(BlobRangeError, (e) => new ApiError('RANGE_INVALID', { message: e.message, detail: { size: e.size } })),
  entry(UploadUnknownError, (e) => new ApiError('BLOB_UPLOAD_UNKNOWN', { message: e.message, detail: { uuid: e.uploadId.slice(0, 100) } })),
  entry(UploadRangeError, (e) => new ApiError('BLOB_UPLOAD_INVALID', { status: 416, message: e.message, detail: { offset: e.offset } })),
  entry(UploadHeadersError, (e) => new ApiError('BLOB_UPLOAD_INVALID', { message: e.message })),
  entry(ManifestInvalidError, (e) => new ApiError('MANIFEST_INVALID', { message: e.message, detail: { reasons: e.reasons.slice(0, 20) } })),
  entry(ManifestTooLargeError, (e) => new ApiError('MANIFEST_INVALID', { status: 413, message: e.message, detail: { limit: e.limit } })),
  entry(ManifestBlobUnknownError, (e) => new ApiError('MANIFEST_BLOB_UNKNOWN', { message: e.message, detail: { digests: e.digests.slice(0, 100) } })),
  entry(ManifestUnknownError, (e) => new ApiError('MANIFEST_UNKNOWN', { message: e.message, detail: { reference: e.reference } })),
  entry(TagInvalidError, (e) => new ApiError('TAG_INVALID', { message: e.message })),
  entry(PaginationInvalidError, (e) => new ApiError('PAGINATION_NUMBER_INVALID', { message: e.message })),
  entry(DeleteDisabledError, (e) => new ApiError('UNSUPPORTED', { message: e.message })),
  entry(AuthChallengeError, (e) => new ApiError('UNAUTHORIZED', {
    message: e.message,
    detail: e.required.flatMap((a) => a.actions.map((action) => ({ Type: a.type, Name: a.name, Action: action }))),
  })),
  entry(TokenKeysUnavailableError, () => new ApiError('UNAVAILABLE', { message: 'token verification keys are unavailable, try again' })),
  entry(InvalidPathError, () => new ApiError('NAME_INVALID')),
];

export function mapRegistryError(error: unknown): ApiError | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const [type, toApi] of table) if (error instanceof type) return toApi(error);
  return undefined;
}
