import { AdapterClient, RegistryFacadeClient } from '@wharf/http-client';
import { createDemoJob } from './demo.job.js';
import { createGcJob } from './gc.job.js';
import type { JobType } from './job.js';
import { createReplicationJob } from './replication.job.js';
import { createSchedulerJob } from './scheduler.job.js';

export interface JobTypeDeps {
  adapterUrl: string;
  registryUrl: string;
  secret: string;
  /** How long a call waits for the other service's first answer (a copy's progress then flows as long as it takes). */
  timeoutMs?: number;
}

export type JobTypes = ReadonlyMap<string, JobType>;

/** Every job type jobservice runs, by Harbor's job name. The one place a job type is registered. */
export function createJobTypes(deps: JobTypeDeps): JobTypes {
  const secret = { reveal: () => deps.secret };
  const timeoutMs = deps.timeoutMs ?? 60_000;
  // Jobs call once: a failed run is retried by the job's own policy (failure-policy.ts).
  const adapter = new AdapterClient({ baseUrl: deps.adapterUrl, secret, timeoutMs, attempts: 1 });
  const registry = new RegistryFacadeClient({ baseUrl: deps.registryUrl, secret, timeoutMs, attempts: 1 });
  return new Map<string, JobType>([
    ['REPLICATION', createReplicationJob({ adapter })],
    ['GARBAGE_COLLECTION', createGcJob({ registry })],
    ['SCHEDULER', createSchedulerJob()],
    ['DEMO', createDemoJob()],
  ]);
}
