/**
 * The one registry of error codes. Each code is declared once with its HTTP status and
 * default message.
 *
 * - OCI Distribution Spec codes (spec.md "Error Codes"), spelled exactly as the spec.
 * - Codes the Docker registry API has always used and that the spec lists as legacy codes
 *   clients may meet (TAG_INVALID, RANGE_INVALID, PAGINATION_NUMBER_INVALID).
 * - Harbor-style API codes for everything that is not the registry protocol.
 */
export const errorCodes = {
  // OCI Distribution Spec
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Docker registry API codes
  TAG_INVALID: { status: 400, message: 'invalid tag' },
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  // Harbor-style API codes
  BAD_REQUEST: { status: 400, message: 'bad request' },
  FORBIDDEN: { status: 403, message: 'forbidden' },
  NOT_FOUND: { status: 404, message: 'not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed' },
  CONFLICT: { status: 409, message: 'conflict' },
  PRECONDITION: { status: 412, message: 'precondition failed' },
  PROJECTPOLICYVIOLATION: { status: 412, message: 'the project policy does not allow this' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'payload too large' },
  UNPROCESSABLE_ENTITY: { status: 422, message: 'the request does not pass validation' },
  UNKNOWN: { status: 500, message: 'internal server error' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
