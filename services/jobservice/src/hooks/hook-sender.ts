import { jobStatusCode, type JobAckV1, type JobStatusHookV1 } from '@wharf/contracts';
import { backoffDelay, CoreClient, type HookAnswer } from '@wharf/http-client';
import type { Logger } from '@wharf/logging';
import type { Clock } from '../jobs/ports.js';
import type { HookEvent, PendingHook, RedisHookRepository } from './hook.repository.js';

export interface HookSenderDeps {
  hooks: RedisHookRepository;
  secret: string;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxAgeMs: number;
  concurrency: number;
  pollMs?: number;
}

/**
 * Delivers status hooks (Harbor's hook agent), from the durable per-job queues in Redis:
 * in order per job (one delivery per job at a time, across replicas, by the due set's
 * lease), each POST sent once through core's client, retried with the suite's one backoff until the receiver answers 200 or the event is
 * older than the max age; a 4xx other than 404/409/429 is given up at once and logged
 * once; before a retry an event is dropped when a newer one was acknowledged meanwhile.
 */
export class HookSender {
  readonly #deps: HookSenderDeps;
  readonly #active = new Set<string>();
  readonly #again = new Set<string>();
  /** Jobs the poll leased while this process was already delivering them: ours to deliver next. */
  readonly #owned = new Set<string>();
  readonly #receiver: CoreClient;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(deps: HookSenderDeps) {
    this.#deps = deps;
    // Each hook names its own URL (the job's status_hook); the client brings the secret and the timeout.
    this.#receiver = new CoreClient({ service: 'the status hook receiver', baseUrl: '', secret: { reveal: () => deps.secret }, timeoutMs: deps.timeoutMs });
  }

  get #leaseMs(): number {
    return this.#deps.timeoutMs + 5000;
  }

  start(): void {
    this.#timer = setInterval(() => void this.poll(), this.#deps.pollMs ?? 100);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const deadline = Date.now() + 5000;
    while (this.#active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** A job's status changed in this process: deliver now rather than at the next poll. */
  kick(id: string): void {
    if (this.#closed) return;
    if (this.#active.has(id)) {
      this.#again.add(id);
      return;
    }
    if (this.#active.size >= this.#deps.concurrency) return; // the poll takes it
    this.#active.add(id);
    const now = this.#deps.clock.now();
    void this.#deps.hooks
      .claimOne(id, now, now + this.#leaseMs)
      .then((claimed) => (claimed || this.#owned.delete(id) ? this.#deliver(id) : undefined))
      .catch((error: unknown) => this.#deps.logger.warn('hook delivery failed', { err: error, jobId: id }))
      .finally(() => this.#release(id));
  }

  async poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      const free = this.#deps.concurrency - this.#active.size;
      if (free <= 0) return;
      const now = this.#deps.clock.now();
      const ids = await this.#deps.hooks.claimDue(now, now + this.#leaseMs, free);
      for (const id of ids) {
        if (this.#active.has(id)) {
          this.#owned.add(id);
          this.#again.add(id);
          continue;
        }
        this.#active.add(id);
        void this.#deliver(id)
          .catch((error: unknown) => this.#deps.logger.warn('hook delivery failed', { err: error, jobId: id }))
          .finally(() => this.#release(id));
      }
    } catch (error) {
      this.#deps.logger.warn('hook poll failed', { err: error });
    } finally {
      this.#polling = false;
    }
  }

  #release(id: string): void {
    this.#active.delete(id);
    if (this.#again.delete(id)) this.kick(id);
  }

  async #deliver(id: string): Promise<void> {
    const { hooks, clock, logger } = this.#deps;
    for (;;) {
      if (this.#closed) return;
      const hook = await hooks.head(id);
      if (!hook) return;
      const { event, job } = hook;
      const url = job?.hookUrl;
      if (!url || ((event.attempts ?? 0) > 0 && acknowledgedNewer(job.stats.ack, event))) {
        if ((await hooks.drop(id, hook, '', clock.now() + this.#leaseMs)) === 0) return;
        continue;
      }
      logger.debug('status hook sending', { jobId: id, status: event.status });
      const answer: HookAnswer = await this.#receiver.statusHook(url, body(id, hook));
      logger.debug('status hook answered', { jobId: id, ok: answer.ok });
      const now = clock.now();
      if (answer.ok) {
        if ((await hooks.ack(id, hook, now + this.#leaseMs)) === 0) return;
        continue;
      }
      if (answer.status !== undefined && answer.status >= 400 && answer.status < 500 && ![404, 409, 429].includes(answer.status)) {
        logger.error('status hook refused for good, given up', { jobId: id, status: event.status, httpStatus: answer.status, message: answer.message });
        if ((await hooks.drop(id, hook, `failed: HTTP ${answer.status}`, now + this.#leaseMs)) === 0) return;
        continue;
      }
      const firstAt = event.first_at ?? now;
      if (now - firstAt >= this.#deps.maxAgeMs) {
        logger.error('status hook not delivered within its max age, given up', { jobId: id, status: event.status, message: answer.message });
        if ((await hooks.drop(id, hook, 'expired', now + this.#leaseMs)) === 0) return;
        continue;
      }
      const attempts = (event.attempts ?? 0) + 1;
      const delay = backoffDelay(attempts, { baseMs: this.#deps.minBackoffMs, maxMs: this.#deps.maxBackoffMs });
      if (attempts === 1) logger.warn('status hook delivery failed, retrying', { jobId: id, status: event.status, message: answer.message });
      await hooks.retryLater(id, hook, { ...event, attempts, first_at: firstAt }, now + delay);
      return;
    }
  }
}

/** The hook body: `{job_id, status, check_in, metadata}` with the stats as of this event. */
function body(id: string, hook: PendingHook): JobStatusHookV1 {
  const { event, job } = hook;
  const metadata: Record<string, unknown> = { ...(job?.stats ?? { id }), status: event.status, revision: event.revision };
  delete metadata.check_in;
  delete metadata.check_in_at;
  if (event.check_in !== undefined) metadata.check_in = event.check_in;
  if (event.check_in_at !== undefined) metadata.check_in_at = event.check_in_at;
  const payload: JobStatusHookV1 = { job_id: id, status: event.status, metadata: metadata };
  if (event.check_in !== undefined) payload.check_in = event.check_in;
  return payload;
}

/** True when the receiver already acknowledged a later event than this one. */
export function acknowledgedNewer(ack: JobAckV1 | undefined, event: HookEvent): boolean {
  if (!ack) return false;
  if (ack.revision !== event.revision) return ack.revision > event.revision;
  if (ack.status !== event.status) return jobStatusCode(ack.status) > jobStatusCode(event.status);
  return event.check_in_at !== undefined ? (ack.check_in_at ?? 0) >= event.check_in_at : false;
}
