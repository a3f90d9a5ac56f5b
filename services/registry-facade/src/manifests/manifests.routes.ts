import type { Request } from 'express';
import { acceptedMediaTypes } from '@wharf/oci';
import { paths, route, type Route } from '../http/router.js';
import { ManifestTooLargeError } from './manifest.errors.js';
import type { ManifestService } from './manifest.service.js';

/** `GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>`. */
export function manifestRoutes(deps: { manifests: ManifestService; maxSize: number }): Route[] {
  const get = (head: boolean): Route['handle'] => async ({ req, res, name, params, origin }) => {
    const manifest = await deps.manifests.get({
      repository: name,
      reference: params.reference!,
      accept: acceptedMediaTypes(req.headers.accept),
      head,
      origin,
    });
    res.status(200).set({
      'Content-Type': manifest.mediaType,
      'Content-Length': String(manifest.size),
      'Docker-Content-Digest': manifest.digest,
      ETag: `"${manifest.digest}"`,
    });
    res.end(head ? undefined : manifest.body);
  };

  return [
    route('GET', 'manifest', paths.manifest, (name) => ({ kind: 'repository', name, action: 'pull' }), get(false)),
    route('HEAD', 'manifest', paths.manifest, (name) => ({ kind: 'repository', name, action: 'pull' }), get(true)),
    route('PUT', 'manifest', paths.manifest, (name) => ({ kind: 'repository', name, action: 'push' }), async ({ req, res, name, params, query, origin }) => {
      const body = await readLimited(req, deps.maxSize);
      const extraTags = query.getAll('tag');
      const result = await deps.manifests.put({
        repository: name,
        reference: params.reference!,
        body,
        contentType: req.headers['content-type'],
        tags: extraTags,
        origin,
      });
      res.status(201).set({
        Location: `/v2/${name}/manifests/${result.digest}`,
        'Docker-Content-Digest': result.digest,
        'Content-Length': '0',
      });
      if (result.subject) res.set('OCI-Subject', result.subject);
      if (extraTags.length > 0) res.set('OCI-Tag', result.tags.join(', '));
      res.end();
    }),
    route('DELETE', 'manifest', paths.manifest, (name) => ({ kind: 'repository', name, action: 'delete' }), async ({ res, name, params, origin }) => {
      await deps.manifests.delete(name, params.reference!, origin);
      res.status(202).set('Content-Length', '0').end();
    }),
  ];
}


/** Reads a request body of at most `limit` bytes; a larger one is refused before or while reading. */
async function readLimited(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new ManifestTooLargeError(limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).byteLength;
    if (total > limit) throw new ManifestTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
