import { createDemoJob } from './demo.job.js';
import { createGcJob } from './gc.job.js';
import type { JobType } from './job.js';
import { createReplicationJob } from './replication.job.js';
import { createSchedulerJob } from './scheduler.job.js';

export interface JobTypeDeps {
  adapterUrl: string;
  registryUrl: string;
  secret: string;
}

export type JobTypes = ReadonlyMap<string, JobType>;

/** Every job type jobservice runs, by Harbor's job name. The one place a job type is registered. */
export function createJobTypes(deps: JobTypeDeps): JobTypes {
  return new Map<string, JobType>([
    ['REPLICATION', createReplicationJob(deps)],
    ['GARBAGE_COLLECTION', createGcJob(deps)],
    ['SCHEDULER', createSchedulerJob()],
    ['DEMO', createDemoJob()],
  ]);
}
