import { z } from 'zod';

/**
 * core's answer to a batch of registry events (`POST /service/notifications`): how many it
 * applied and ignored (duplicates, reads that are not pulls), and the events it could not
 * apply, by id. Each event is applied on its own, so one that fails does not hold back the
 * others: the sender deletes the rest and retries only these. An answer without `failed`
 * acknowledges the whole batch.
 */
export const RegistryEventsResultV1 = z.object({
  applied: z.number().int().nonnegative(),
  ignored: z.number().int().nonnegative(),
  failed: z.array(z.object({ id: z.string(), message: z.string() })).optional(),
});
export type RegistryEventsResultV1 = z.infer<typeof RegistryEventsResultV1>;
