import type { Logger } from '@wharf/logging';
import type { z } from 'zod';

/** What a running job gets (Harbor's `job.Context`). */
export interface JobContext {
  jobId: string;
  /** Aborted when the job is stopped (or the worker shuts down); long work must honour it. */
  signal: AbortSignal;
  /** The job's own log (one file per job, served by `GET /api/v1/jobs/{id}/log`). */
  logger: Logger;
  /** Sends a check-in (free text or JSON) to the status hook, as Harbor's `Checkin`. */
  checkIn(message: string): Promise<void>;
  /** How many times this job failed before this run. */
  fails: number;
}

/**
 * A job type (Harbor's `job.Interface`): how often it may fail, how many run at once in one
 * worker pool, which failures are worth a retry, its parameter schema and its work.
 */
export interface JobType<P = unknown> {
  maxFails: number;
  concurrency: number;
  shouldRetry(error: unknown): boolean;
  validate: z.ZodType<P>;
  run(ctx: JobContext, params: P): Promise<void>;
}

/** A failure no retry can mend (the job ends Error at once, whatever `shouldRetry` says). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** Widens a typed job type for the registry map. */
export function jobType<P>(type: JobType<P>): JobType {
  return type;
}
