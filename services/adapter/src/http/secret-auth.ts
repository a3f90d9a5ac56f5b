import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { parseHarborSecret } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';

/** Every API call carries `Authorization: Harbor-Secret <secret>` (Harbor's internal calls); else 401. */
export function requireHarborSecret(secret: string) {
  const expected = Buffer.from(secret);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const given = Buffer.from(parseHarborSecret(req.headers.authorization) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    next(new ApiError('UNAUTHORIZED', { message: 'a valid Harbor-Secret is required' }));
  };
}
