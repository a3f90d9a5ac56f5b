import { matchRegistryPath } from './registry-paths.js';

/** The codes a registry answers when part of a `/v2` request cannot be read at all. */
export type RegistryInputErrorCode = 'NAME_INVALID' | 'TAG_INVALID' | 'DIGEST_INVALID' | 'BLOB_UPLOAD_INVALID' | 'PAGINATION_NUMBER_INVALID' | 'BAD_REQUEST';

/** Which part of the request is unreadable: a raw path segment, or a query parameter by name. */
export type RegistryInputPart = { in: 'path'; segment: string } | { in: 'query'; key: string } | { in: 'body' };

/**
 * The OCI error code for unreadable text (a NUL, a malformed escape, bytes that are not
 * UTF-8) in one part of a `/v2` request, after what that part names: the repository
 * (`NAME_INVALID`), a tag or digest reference (`TAG_INVALID`/`DIGEST_INVALID`), an upload
 * session (`BLOB_UPLOAD_INVALID`), the page size `n` (`PAGINATION_NUMBER_INVALID`), and
 * `last`, `digest`, `mount`, `from`, `tag` after what they hold. Other query parameters,
 * which the spec gives no code, are `BAD_REQUEST`. `path` is the raw (undecoded) path.
 */
export function registryInputErrorCode(path: string, part: RegistryInputPart): RegistryInputErrorCode {
  const match = matchRegistryPath(path);
  if (part.in === 'body') return 'BAD_REQUEST';
  if (part.in === 'query') {
    switch (part.key) {
      case 'n':
        return 'PAGINATION_NUMBER_INVALID';
      case 'last':
        if (match?.route === 'tags') return 'TAG_INVALID';
        return match?.route === 'referrers' ? 'DIGEST_INVALID' : 'NAME_INVALID';
      case 'digest':
      case 'mount':
        return 'DIGEST_INVALID';
      case 'from':
        return 'NAME_INVALID';
      case 'tag':
        return 'TAG_INVALID';
      default:
        return 'BAD_REQUEST';
    }
  }
  const holds = (value: string | undefined) => value !== undefined && value.split('/').includes(part.segment);
  const { reference, digest, uuid } = match?.params ?? {};
  if (holds(reference)) return reference!.includes(':') ? 'DIGEST_INVALID' : 'TAG_INVALID';
  if (holds(digest)) return 'DIGEST_INVALID';
  if (holds(uuid)) return 'BLOB_UPLOAD_INVALID';
  return 'NAME_INVALID';
}
