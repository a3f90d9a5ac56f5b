import { z } from 'zod';

/**
 * What core's columns can hold. Ids are `serial` (int4); counts and sizes `bigint`. A value
 * outside a column's range cannot name a row, so an id past it is simply not found (404),
 * and a number past it in a body or a query is refused (400) before it reaches Postgres.
 */
export const INT4_MAX = 2 ** 31 - 1;
export const INT4_MIN = -(2 ** 31);
export const INT8_MAX = 2n ** 63n - 1n;
export const INT8_MIN = -(2n ** 63n);

/** A row id of a `serial` column: 1 … 2^31-1. */
export function isRowId(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= INT4_MAX;
}

/**
 * A decimal id as it appears in a path (`/users/42`): digits only (no sign, exponent, space
 * or hex, as Go's ParseInt reads Harbor's), within a `serial` column; undefined otherwise.
 */
export function rowIdOf(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return isRowId(value) ? value : undefined;
}

/** An id in a JSON body that must name a row of a `serial` column (0 where the API means "the local registry"). */
export const rowIdSchema = z.number().int().min(0).max(INT4_MAX);

/**
 * Text a text column can hold: no NUL (Postgres refuses it) and no lone UTF-16 surrogate
 * (it would be stored as U+FFFD, not as sent). A lookup by anything else finds nothing.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
