import { Router, type Request, type Response } from 'express';
import { toEnvelope } from '@wharf/errors';
import type { Logger } from '@wharf/logging';
import type { ErrorMapper } from '@wharf/http-kit';
import { ApiError } from '@wharf/errors';
import type { ReplicationService } from './replication.service.js';
import { COPY_PROGRESS_MEDIA_TYPE, ReplicationCopyRequestV1, ReplicationDeleteRequestV1, type CopyProgressLineV1 } from '@wharf/contracts';

/** An AbortSignal that fires when the caller hangs up before the answer is complete. */
function hangUpSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the caller hung up'));
  });
  return controller.signal;
}

/**
 * `POST /api/v1/replications/copy`: with `Accept: application/x-ndjson`, progress lines
 * `{"type":"progress","bytes","total"}` then `{"type":"result",…}` (or `{"type":"error","status","errors":[…]}`);
 * otherwise one JSON result once done (errors in the envelope). Hanging up aborts the copy.
 */
export function replicationRoutes(deps: { replication: ReplicationService; logger: Logger; mapError: ErrorMapper }): Router {
  const router = Router();

  router.post('/api/v1/replications/copy', async (req: Request, res: Response) => {
    const params = ReplicationCopyRequestV1.parse(req.body);
    const signal = hangUpSignal(res);
    if (!req.accepts(['application/json', COPY_PROGRESS_MEDIA_TYPE]) || !req.headers.accept?.includes(COPY_PROGRESS_MEDIA_TYPE)) {
      res.json(await deps.replication.copy(params, { signal }));
      return;
    }
    res.status(200).type(COPY_PROGRESS_MEDIA_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.flushHeaders();
    const line = (value: CopyProgressLineV1) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(value)}\n`);
    };
    try {
      const result = await deps.replication.copy(params, { signal, onProgress: (progress) => line({ type: 'progress', ...progress }) });
      line({ type: 'result', ...result });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : (deps.mapError(error, req) ?? new ApiError('UNKNOWN'));
      if (!(error instanceof ApiError) && !deps.mapError(error, req)) deps.logger.error('copy failed', { err: error });
      line({ type: 'error', status: apiError.status, errors: toEnvelope(apiError).errors });
    }
    res.end();
  });

  router.post('/api/v1/replications/delete', async (req: Request, res: Response) => {
    const params = ReplicationDeleteRequestV1.parse(req.body);
    res.json(await deps.replication.delete(params, { signal: hangUpSignal(res) }));
  });

  return router;
}
