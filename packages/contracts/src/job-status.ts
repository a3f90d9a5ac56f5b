/**
 * Harbor's job status machine (`src/jobservice/job/status.go`). Within one revision a
 * job only moves to a status with a higher code; the three final statuses share code 3.
 */
export const JOB_STATUSES = ['Pending', 'Scheduled', 'Running', 'Stopped', 'Error', 'Success'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const CODES: Record<JobStatus, number> = { Pending: 0, Scheduled: 1, Running: 2, Stopped: 3, Error: 3, Success: 3 };

export function jobStatusCode(status: JobStatus): number {
  return CODES[status];
}

export function isFinalJobStatus(status: JobStatus): boolean {
  return CODES[status] === 3;
}

/**
 * True when `next` may follow `current` within one revision: a strictly higher code, or
 * the same status again (Harbor's `Validate`). A final status is never left.
 */
export function canMoveJobStatus(current: JobStatus, next: JobStatus): boolean {
  if (current === next) return true;
  return CODES[next] > CODES[current];
}

/** The job kinds of Harbor's launch metadata. */
export const JOB_KINDS = ['Generic', 'Scheduled', 'Periodic'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
