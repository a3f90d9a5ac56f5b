import type { Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDirectReadable } from '../storage/storage-driver.js';

/**
 * Streams `source` into the response. A client that hangs up mid-download is normal for a
 * registry (clients resume with Range), not an error: the source is released and nothing
 * more happens.
 */
export async function streamTo(res: Response, source: Readable): Promise<void> {
  try {
    if (isDirectReadable(source)) await source.pipeInto(res);
    else await pipeline(source, res);
  } catch (error) {
    if (res.destroyed || (error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      source.destroy();
      return;
    }
    throw error;
  }
}
