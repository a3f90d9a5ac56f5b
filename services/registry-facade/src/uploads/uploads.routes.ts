import type { Request, Response } from 'express';
import { isSupportedAlgorithm, isValidRepositoryName, parseDigest, InvalidDigestError } from '@wharf/oci';
import type { BlobService } from '../blobs/blob.service.js';
import { UploadHeadersError } from '../http/http.errors.js';
import { hasBody, paths, route, type Route } from '../http/router.js';
import { NameInvalidError } from '../repositories/repository.errors.js';
import { UploadRangeError } from './upload.errors.js';
import type { ChunkRange, UploadService } from './upload.service.js';

const push = (name: string) => ({ kind: 'repository' as const, name, action: 'push' as const });

/** The upload session endpoints: POST (start, monolithic, mount), GET, PATCH, PUT, DELETE. */
export function uploadRoutes(deps: { uploads: UploadService; blobs: BlobService }): Route[] {
  return [
    route('POST', 'uploads', paths.uploads, push, async ({ req, res, name, query, principal }) => {
      const mount = query.get('mount');
      const from = query.get('from');
      if (mount !== null) {
        const digest = parseDigest(mount).value;
        if (from !== null) {
          if (!isValidRepositoryName(from)) throw new NameInvalidError(from);
          // Mounting needs pull on the source; without it this is an ordinary upload.
          const mounted = principal.can(from, 'pull') ? await deps.blobs.mount(name, from, digest) : undefined;
          if (mounted) {
            created(res, name, digest);
            return;
          }
        }
      }

      const digestParam = query.get('digest');
      if (digestParam !== null && hasBody(req)) {
        const blob = await deps.uploads.uploadWhole(name, digestParam, req);
        created(res, name, blob.digest);
        return;
      }
      const algorithm = digestParam !== null ? parseDigest(digestParam).algorithm : query.get('digest-algorithm') ?? 'sha256';
      if (!isSupportedAlgorithm(algorithm)) {
        throw new InvalidDigestError(algorithm, `unsupported digest algorithm ${algorithm}; use sha256 or sha512`, true);
      }
      const session = await deps.uploads.start(name, algorithm);
      sessionHeaders(res, name, session.id, 0);
      res.status(202).end();
    }),

    route('GET', 'upload', paths.upload, push, async ({ res, name, params }) => {
      const status = await deps.uploads.status(name, params.uuid!);
      sessionHeaders(res, name, status.id, status.offset);
      res.status(204).end();
    }),

    route('PATCH', 'upload', paths.upload, push, async ({ req, res, name, params }) => {
      const status = await deps.uploads.append(name, params.uuid!, req, chunkRange(req));
      sessionHeaders(res, name, status.id, status.offset);
      res.status(202).end();
    }),

    route('PUT', 'upload', paths.upload, push, async ({ req, res, name, params, query }) => {
      const digest = query.get('digest');
      if (!digest) throw new InvalidDigestError('', 'the closing PUT needs ?digest=<digest of the whole blob>');
      const body = hasBody(req) ? req : undefined;
      const blob = await deps.uploads.complete(name, params.uuid!, digest, body, body ? chunkRange(req) : undefined);
      created(res, name, blob.digest);
    }),

    route('DELETE', 'upload', paths.upload, push, async ({ res, name, params }) => {
      await deps.uploads.cancel(name, params.uuid!);
      res.status(204).set('Content-Length', '0').end();
    }),
  ];
}

function created(res: Response, name: string, digest: string): void {
  res.status(201).set({ Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' }).end();
}

function sessionHeaders(res: Response, name: string, id: string, offset: number): void {
  res.set({
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(0, offset - 1)}`,
    'Docker-Upload-UUID': id,
    'Content-Length': '0',
  });
}

/** The chunk's `Content-Range` (`<start>-<end>`, inclusive), checked against its Content-Length. */
function chunkRange(req: Request): ChunkRange | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const match = /^(?:bytes[= ])?(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!match) throw new UploadHeadersError(`Content-Range must be <start>-<end>, got ${JSON.stringify(header.slice(0, 100))}`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new UploadRangeError(`Content-Range ${header} ends before it starts`);
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new UploadRangeError(`Content-Range ${header} covers ${end - start + 1} bytes but Content-Length is ${length}`);
  }
  return { start, end };
}
