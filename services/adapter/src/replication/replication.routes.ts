import { Router, type Request, type Response } from 'express';
import { toEnvelope } from '@wharf/errors';
import type { Logger } from '@wharf/logging';
import type { ErrorMapper } from '@wharf/http-kit';
import { ApiError } from '@wharf/errors';
import type { ReplicationService } from './replication.service.js';
import { copyRequest, deleteRequest } from './replication.schemas.js';

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
    const params = copyRequest.parse(req.body);
    const signal = hangUpSignal(res);
    if (!req.accepts(['application/json', 'application/x-ndjson']) || !/application\/x-ndjson/.test(req.headers.accept ?? '')) {
      res.json(await deps.replication.copy(params, { signal }));
      return;
    }
    res.status(200).type('application/x-ndjson');
    res.setHeader('Cache-Control', 'no-store');
    res.flushHeaders();
    const line = (value: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(value)}\n`);
    };
    try {
      const result = await deps.replication.copy(params, { signal, onProgress: (progress) => line({ type: 'progress', ...progress }) });
      line({ type: 'result', ...result });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : (deps.mapError(error, req) ?? new ApiError('UNKNOWN'));
      if (!(error instanceof ApiError) && !deps.mapError(error, req)) deps.logger.error('copy failed', { err: error });
      line({ type: 'error', status: apiError.status, ...toEnvelope(apiError) });
    }
    res.end();
  });

  router.post('/api/v1/replications/delete', async (req: Request, res: Response) => {
    const params = deleteRequest.parse(req.body);
    res.json(await deps.replication.delete(params, { signal: hangUpSignal(res) }));
  });

  return router;
}
