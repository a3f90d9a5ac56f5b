import { JobActionV1, JobRequestV1 } from '@wharf/contracts';
import { z } from 'zod';

export const launchRequest = JobRequestV1;
export type LaunchRequest = z.infer<typeof launchRequest>;

export const actionRequest = JobActionV1;

export const jobIdParam = z.string().min(1).max(300);

export const pagingQuery = z.object({
  page_number: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(500).default(20),
});
