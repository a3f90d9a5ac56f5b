import { createHash } from 'node:crypto';
import type { JobStatsV1 } from '@wharf/contracts';
import type { JobLaunch, JobServiceClient } from '../../jobs/jobservice.client.js';
import type { FetchedManifest } from '../../registry/registry.client.js';
import type { AdapterClient } from '../../replication/adapter.client.js';

type Endpoint = Parameters<AdapterClient['health']>[0];
type Result<K extends keyof AdapterClient> = Awaited<ReturnType<AdapterClient[K]>>;
import type { AttemptGate, SessionData, SessionStore } from '../../sessions/session.store.js';
import type { PasswordHasher } from '../../users/password-hasher.js';

/** A password "hash" that is the password, marked: fast, and never equal to the password itself. */
export class FakePasswordHasher implements PasswordHasher {
  async hash(password: string): Promise<string> {
    return `fake$${password}`;
  }

  async verify(password: string, hash: string): Promise<boolean> {
    return hash === `fake$${password}`;
  }
}

/** A cipher that only marks what it seals (the real one is tested on its own). */
export const fakeCipher = {
  encrypt: (plaintext: string): string => `sealed:${plaintext}`,
  decrypt: (sealed: string): string => sealed.replace(/^sealed:/, ''),
};

const digestOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

/**
 * registry-facade as core's RegistryClient sees it: manifests by tag and digest, and small
 * blobs (configs), per repository.
 */
export class InMemoryRegistry {
  readonly #manifests = new Map<string, Map<string, FetchedManifest>>();
  readonly #tags = new Map<string, Map<string, string>>();
  readonly #blobs = new Map<string, Buffer>();

  /** Stores blobs (a config) as pushed before their manifest. */
  putBlob(body: Buffer): string {
    const digest = digestOf(body);
    this.#blobs.set(digest, body);
    return digest;
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const digest = reference.startsWith('sha256:') ? reference : this.#tags.get(repository)?.get(reference);
    return digest ? this.#manifests.get(repository)?.get(digest) : undefined;
  }

  async resolve(repository: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const manifest = await this.getManifest(repository, reference);
    return manifest && { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.body.length };
  }

  async getSmallBlob(_repository: string, digest: string, maxBytes: number): Promise<Buffer | undefined> {
    const blob = this.#blobs.get(digest);
    return blob && blob.length <= maxBytes ? blob : undefined;
  }

  async putManifest(repository: string, reference: string, manifest: { mediaType: string; body: Buffer }): Promise<string> {
    const digest = digestOf(manifest.body);
    const manifests = this.#manifests.get(repository) ?? new Map<string, FetchedManifest>();
    manifests.set(digest, { digest, mediaType: manifest.mediaType, body: manifest.body });
    this.#manifests.set(repository, manifests);
    if (!reference.startsWith('sha256:')) {
      const tags = this.#tags.get(repository) ?? new Map<string, string>();
      tags.set(reference, digest);
      this.#tags.set(repository, tags);
    }
    return digest;
  }

  /** A tag deletes the tag; a digest the manifest and every tag on it. */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const tags = this.#tags.get(repository) ?? new Map<string, string>();
    if (!reference.startsWith('sha256:')) return tags.delete(reference);
    for (const [tag, digest] of tags) if (digest === reference) tags.delete(tag);
    return this.#manifests.get(repository)?.delete(reference) ?? false;
  }

  tagsOf(repository: string): string[] {
    return [...(this.#tags.get(repository)?.keys() ?? [])].sort();
  }

  has(repository: string, digest: string): boolean {
    return this.#manifests.get(repository)?.has(digest) ?? false;
  }
}

/**
 * jobservice as core's port sees it: submitted jobs get ids job-1, job-2…; `down` makes it
 * refuse every call as an unreachable jobservice would; `forget` loses a job (a Redis
 * restarted empty).
 */
export class FakeJobService implements JobServiceClient {
  readonly jobs = new Map<string, JobStatsV1 & { launch: JobLaunch }>();
  readonly stopped: string[] = [];
  failure: Error | undefined;
  #next = 0;

  async submit(job: JobLaunch): Promise<JobStatsV1> {
    if (this.failure) throw this.failure;
    this.#next += 1;
    const stats = { id: `job-${this.#next}`, name: job.name, kind: job.metadata?.kind ?? 'Generic', status: 'Pending', revision: 1 } as unknown as JobStatsV1;
    this.jobs.set(stats.id, { ...stats, launch: job });
    return stats;
  }

  async get(jobId: string): Promise<JobStatsV1 | undefined> {
    if (this.failure) throw this.failure;
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    const { launch: _launch, ...stats } = job;
    return stats;
  }

  async stop(jobId: string): Promise<boolean> {
    if (this.failure) throw this.failure;
    this.stopped.push(jobId);
    return this.jobs.has(jobId);
  }

  async log(jobId: string): Promise<string | undefined> {
    return this.jobs.has(jobId) ? `log of ${jobId}\n` : undefined;
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}

/** The adapter service: the registry types it knows, and a health per registry URL (healthy unless told). */
export class FakeAdapter implements AdapterClient {
  readonly types: string[] = ['docker-registry', 'harbor'];
  readonly healthOf = new Map<string, Result<'health'>>();
  readonly resourcesOf = new Map<string, Result<'resources'>>();
  readonly prepared: Endpoint[] = [];

  async adapters(): Promise<Result<'adapters'>> {
    return this.types.map((type) => ({ type }));
  }

  async health(registry: Endpoint): Promise<Result<'health'>> {
    return this.healthOf.get(registry.url) ?? { status: 'healthy' };
  }

  async info(registry: Endpoint): Promise<Result<'info'>> {
    return { type: registry.type, supported_resource_filters: [], supported_triggers: ['manual', 'scheduled', 'event_based'] } as unknown as Result<'info'>;
  }

  async resources(registry: Endpoint): Promise<Result<'resources'>> {
    return this.resourcesOf.get(registry.url) ?? ([] as Result<'resources'>);
  }

  async prepare(registry: Endpoint): Promise<void> {
    this.prepared.push(registry);
  }
}

/** Sessions and login throttling in memory: failures per account and per address, locked at the limit. */
export class InMemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, SessionData>();
  readonly #failures = new Map<string, number>();
  #next = 0;

  async create(data: Omit<SessionData, 'csrfToken' | 'createdAt'>): Promise<{ id: string; session: SessionData }> {
    this.#next += 1;
    const id = `session-${this.#next}`;
    const session: SessionData = { ...data, csrfToken: `csrf-${this.#next}`, createdAt: 0 };
    this.sessions.set(id, session);
    return { id, session };
  }

  async touch(id: string): Promise<SessionData | undefined> {
    return this.sessions.get(id);
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async beginAttempt(account: string, address: string, limits: { maxFailures: number; maxAddressFailures: number }): Promise<AttemptGate> {
    const locked = (this.#failures.get(`a:${account.toLowerCase()}`) ?? 0) >= limits.maxFailures || (this.#failures.get(`ip:${address}`) ?? 0) >= limits.maxAddressFailures;
    return locked ? { state: 'locked', retryAfterMs: 60_000 } : { state: 'go' };
  }

  async endAttempt(account: string, address: string, outcome: { outcome: 'succeeded' | 'failed' | 'undecided' }): Promise<void> {
    const key = `a:${account.toLowerCase()}`;
    if (outcome.outcome === 'succeeded') this.#failures.delete(key);
    if (outcome.outcome !== 'failed') return;
    this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1);
    this.#failures.set(`ip:${address}`, (this.#failures.get(`ip:${address}`) ?? 0) + 1);
  }
}
