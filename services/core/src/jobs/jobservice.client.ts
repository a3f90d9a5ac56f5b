import type { Secret } from '@wharf/config';
import type { JobStatsV1 } from '@wharf/contracts';
import { JobserviceClient, type JobLaunch } from '@wharf/http-client';

export { jobServiceError, type JobLaunch } from '@wharf/http-client';

/**
 * core's port to jobservice (Harbor's `src/common/job/client.go`). Errors are ApiErrors:
 * jobservice's own error answers keep their code (BAD_REQUEST for an unknown job name or
 * bad parameters, CONFLICT for a duplicate unique job); an unreachable jobservice, one
 * answering 5xx, or one refusing core's secret is UNAVAILABLE.
 */
export interface JobServiceClient {
  /** `POST /api/v1/jobs`: the accepted job's stats (its id, its first status). */
  submit(job: JobLaunch): Promise<JobStatsV1>;
  /** `GET /api/v1/jobs/{id}`; undefined when jobservice does not know the job. */
  get(jobId: string): Promise<JobStatsV1 | undefined>;
  /** `POST /api/v1/jobs/{id} {"action":"stop"}`; false when the job is already gone (404). */
  stop(jobId: string): Promise<boolean>;
  /** `GET /api/v1/jobs/{id}/log` as text; undefined when there is no such job or log. */
  log(jobId: string): Promise<string | undefined>;
}

export interface HttpJobServiceClientDeps {
  /** jobservice's base URL, without `/api/v1`. */
  baseUrl: string;
  /** The suite's secret, sent as `Authorization: Harbor-Secret <secret>`. */
  secret: Secret;
  timeoutMs: number;
  /** Attempts of an idempotent call (default 3); a submit is sent again only when the connection was refused. */
  attempts?: number;
  /** First backoff ceiling between attempts (default 200 ms), doubled after each. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** core's jobservice port over the suite's one jobservice client (@wharf/http-client). */
export class HttpJobServiceClient extends JobserviceClient implements JobServiceClient {
  constructor(deps: HttpJobServiceClientDeps) {
    super(deps);
  }
}
