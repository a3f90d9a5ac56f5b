import { parseDigest } from '@wharf/oci';

/**
 * The layout of the blob store, in one place (as distribution's paths.go):
 *
 *   /blobs/<algorithm>/<first two hex>/<hex>/data   content-addressed blobs and manifests
 *   /uploads/<uuid>/data                            upload sessions in progress
 *
 * Repository names never reach a storage path: which repository links which blob lives in
 * Postgres. Every path is built from a checked digest or a checked UUID.
 */
export const UPLOADS_ROOT = '/uploads';

export function blobDataPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `/blobs/${algorithm}/${encoded.slice(0, 2)}/${encoded}/data`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUploadId(value: string): boolean {
  return UUID.test(value);
}

export function uploadDir(id: string): string {
  if (!isUploadId(id)) throw new Error(`not an upload id: ${id}`);
  return `${UPLOADS_ROOT}/${id}`;
}

export function uploadDataPath(id: string): string {
  return `${uploadDir(id)}/data`;
}
