import { createHash, randomBytes } from 'node:crypto';
import type { JobStatsV1 } from '@wharf/contracts';
import type { Logger } from '@wharf/logging';
import { parseCron } from '../scheduling/cron.js';
import {
  DuplicateJobError,
  InvalidJobIdError,
  InvalidJobMetadataError,
  InvalidJobParametersError,
  JobNotFoundError,
  UnknownJobNameError,
  UnsupportedActionError,
} from './job.errors.js';
import { maskStats } from './job-masking.js';
import type { JobRepository } from './job.repository.js';
import type { LaunchRequest } from './job.schemas.js';
import type { Clock, JobLogStore, JobPublisher, WorkerPoolDirectory, WorkerPoolInfo } from './ports.js';
import type { JobTypes } from './registry.js';

/** How long a fresh job stays in the publish schedule as a safety net until the broker confirmed it. */
export const OUTBOX_LEASE_MS = 15_000;

export interface JobServiceDeps {
  jobs: JobRepository;
  publisher: JobPublisher;
  pools: WorkerPoolDirectory;
  logs: JobLogStore;
  types: JobTypes;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
  /** Called when a status changed here (a stop), so its hook goes out at once. */
  onStatusChanged?: (jobId: string) => void;
}

/** The jobservice API's rules: launching, reading, stopping jobs (Harbor's `core.Controller`). */
export class JobService {
  readonly #deps: JobServiceDeps;
  readonly #newId: () => string;

  constructor(deps: JobServiceDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? (() => randomBytes(12).toString('hex'));
  }

  async launch(request: LaunchRequest['job']): Promise<JobStatsV1> {
    const { types, jobs, clock } = this.#deps;
    const type = types.get(request.name);
    if (!type) throw new UnknownJobNameError(request.name, [...types.keys()]);
    const parsed = type.validate.safeParse(request.parameters);
    if (!parsed.success) {
      throw new InvalidJobParametersError(
        request.name,
        parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
      );
    }
    const { kind, schedule_delay: delay, cron_spec: cronSpec, unique = false } = request.metadata;
    if (kind === 'Scheduled' && !(delay && delay > 0)) throw new InvalidJobMetadataError('a Scheduled job needs schedule_delay > 0 (seconds)');
    if (kind === 'Periodic') {
      if (!cronSpec) throw new InvalidJobMetadataError('a Periodic job needs cron_spec');
      try {
        parseCron(cronSpec);
      } catch (error) {
        throw new InvalidJobMetadataError(`cron_spec ${JSON.stringify(cronSpec)} does not parse: ${(error as Error).message}`);
      }
    }

    const nowMs = clock.now();
    const now = Math.floor(nowMs / 1000);
    const id = this.#newId();
    const stats: JobStatsV1 = {
      id,
      name: request.name,
      kind,
      status: kind === 'Generic' ? 'Pending' : 'Scheduled',
      unique,
      ref_link: `/api/v1/jobs/${id}`,
      enqueue_time: now,
      update_time: now,
      revision: now,
      parameters: request.parameters,
      executions: 0,
    };
    if (request.status_hook) stats.web_hook_url = request.status_hook;
    if (kind === 'Scheduled') stats.run_at = now + delay!;
    if (kind === 'Periodic') stats.cron_spec = cronSpec!.trim();

    const dueMs = kind === 'Generic' ? nowMs + OUTBOX_LEASE_MS : kind === 'Scheduled' ? nowMs + delay! * 1000 : undefined;
    const { duplicateOf } = await jobs.create(stats, { uniqueKey: unique ? uniqueDigest(request.name, request.parameters) : undefined, dueMs });
    if (duplicateOf) throw new DuplicateJobError(duplicateOf);

    if (kind === 'Generic') {
      try {
        await this.#deps.publisher.publish(request.name, { id, revision: now });
        await jobs.published(id, dueMs!);
      } catch (error) {
        // Stored and in the publish schedule: the scheduler publishes it once the broker is back.
        this.#deps.logger.warn('job stored, publishing deferred', { jobId: id, err: error });
        await jobs.schedule(id, nowMs + 1000).catch(() => undefined);
      }
    }
    return maskStats(stats);
  }

  /** A job's stats, secrets in its parameters masked. */
  async get(id: string): Promise<JobStatsV1> {
    const record = await this.#deps.jobs.get(id);
    if (!record) throw new JobNotFoundError(id);
    return maskStats(record.stats);
  }

  /** Harbor's op command: only `stop` exists. */
  async act(id: string, action: string): Promise<void> {
    if (action !== 'stop') throw new UnsupportedActionError(action);
    const { jobs } = this.#deps;
    const record = await jobs.get(id);
    if (!record) throw new JobNotFoundError(id);
    const { status, kind } = record.stats;
    if (status === 'Success' || status === 'Error' || status === 'Stopped') return;
    // The flag (and its pub/sub announcement) reaches a running job; a job not yet running is stopped here.
    await jobs.requestStop(id);
    if (kind === 'Periodic' || status === 'Pending' || status === 'Scheduled') {
      if ((await jobs.setStatus(id, 'Stopped')) === 'changed') this.#deps.onStatusChanged?.(id);
      await jobs.unschedule(id);
    }
  }

  async log(id: string): Promise<string> {
    if (id.includes('..') || id.includes('/')) throw new InvalidJobIdError(id);
    const text = await this.#deps.logs.read(id);
    if (text !== undefined) return text;
    if (await this.#deps.jobs.get(id)) return '';
    throw new JobNotFoundError(id);
  }

  async executions(id: string, page: { page_number: number; page_size: number }): Promise<{ total: number; jobs: JobStatsV1[] }> {
    if (!(await this.#deps.jobs.get(id))) throw new JobNotFoundError(id);
    const { total, jobs } = await this.#deps.jobs.executions(id, (page.page_number - 1) * page.page_size, page.page_size);
    return { total, jobs: jobs.map(maskStats) };
  }

  async stats(): Promise<{ worker_pools: WorkerPoolInfo[]; dead_letters: Record<string, number> }> {
    const [pools, deadLetters] = await Promise.all([this.#deps.pools.list(), this.#deps.publisher.deadLetterCounts()]);
    return { worker_pools: pools, dead_letters: deadLetters };
  }
}

/** Same name and same parameters (keys in any order) give the same digest. */
export function uniqueDigest(name: string, parameters: Record<string, unknown>): string {
  return createHash('sha256').update(name).update('\0').update(stableJson(parameters)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
