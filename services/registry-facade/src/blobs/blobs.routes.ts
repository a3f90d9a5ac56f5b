import rangeParser from 'range-parser';
import { parseDigest } from '@wharf/oci';
import { BlobRangeError } from '../http/http.errors.js';
import { paths, route, type Route, type RouteContext } from '../http/router.js';
import { streamTo } from '../http/stream-response.js';
import type { BlobService } from './blob.service.js';

/**
 * Sent by the proxy when it reads the blob store's disk itself (`PROXY_BLOB_FILES_ROOT`):
 * a GET is then answered with the head and `X-Wharf-Blob-File`/`-Offset`/`-Length` naming
 * the bytes to send, as nginx's `X-Accel-Redirect` does, and no body.
 */
const BLOB_HANDOFF_REQUEST = 'x-wharf-blob-handoff';

/** `GET|HEAD|DELETE /v2/<name>/blobs/<digest>`. */
export function blobRoutes(deps: { blobs: BlobService }): Route[] {
  async function serve({ req, res, name, params }: RouteContext, head: boolean): Promise<void> {
    const digest = parseDigest(params.digest!).value;
    const size = await deps.blobs.stat(name, digest);
    res.set({
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'max-age=31536000',
    });
    if (req.headers['if-none-match'] === `"${digest}"`) {
      res.status(304).end();
      return;
    }
    if (head) {
      res.status(200).set('Content-Length', String(size)).end();
      return;
    }
    let range: { offset: number; length: number } | undefined;
    const header = req.headers.range;
    if (header) {
      const parsed = rangeParser(size, header, { combine: true });
      if (parsed === -1 || parsed === -2 || parsed.type !== 'bytes') {
        res.set('Content-Range', `bytes */${size}`);
        throw new BlobRangeError(size);
      }
      // One range is served as 206; a multi-range request is answered with the whole blob.
      if (parsed.length === 1) range = { offset: parsed[0]!.start, length: parsed[0]!.end - parsed[0]!.start + 1 };
    }
    const file = req.headers[BLOB_HANDOFF_REQUEST] === 'file' ? deps.blobs.localFile(digest) : undefined;
    if (file) {
      // The proxy reads the same disk and sends the bytes itself; the answer is the head only.
      const served = range ?? { offset: 0, length: size };
      if (range) res.status(206).set('Content-Range', `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`);
      res.set({ 'X-Wharf-Blob-File': file, 'X-Wharf-Blob-Offset': String(served.offset), 'X-Wharf-Blob-Length': String(served.length), 'Content-Length': '0' }).end();
      return;
    }
    const content = await deps.blobs.open(name, digest, range);
    if (range) {
      res.status(206).set({
        'Content-Range': `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`,
        'Content-Length': String(range.length),
      });
    } else {
      res.status(200).set('Content-Length', String(size));
    }
    await streamTo(res, content.stream);
  }

  return [
    route('GET', 'blob', paths.blob, (name) => ({ kind: 'repository', name, action: 'pull' }), (ctx) => serve(ctx, false)),
    route('HEAD', 'blob', paths.blob, (name) => ({ kind: 'repository', name, action: 'pull' }), (ctx) => serve(ctx, true)),
    route('DELETE', 'blob', paths.blob, (name) => ({ kind: 'repository', name, action: 'delete' }), async ({ res, name, params }) => {
      await deps.blobs.delete(name, parseDigest(params.digest!).value);
      res.status(202).set('Content-Length', '0').end();
    }),
  ];
}
