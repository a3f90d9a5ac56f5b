import { timingSafeEqual } from 'node:crypto';
import { parseHarborSecret } from '@wharf/contracts';
import type { NextFunction, Request, Response } from 'express';
import { SecretRequiredError } from './http.errors.js';

/** Harbor's secret authenticator: `Authorization: Harbor-Secret <secret>`, compared in constant time. */
export function requireHarborSecret(secret: string) {
  const expected = Buffer.from(secret);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const given = Buffer.from(parseHarborSecret(req.get('authorization')) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    next(new SecretRequiredError());
  };
}
