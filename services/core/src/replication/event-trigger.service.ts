import pLimit from 'p-limit';
import type { Logger } from '@wharf/logging';
import type { ArtifactChange } from '../events/event.service.js';
import { filterArtifacts, repositoryMatches, type ResourceV1 } from '@wharf/contracts';
import type { PolicyService } from './policy.service.js';
import type { ReplicationService } from './replication.service.js';

/** How many artifact changes may wait before new ones are dropped (with a warning). */
const MAX_PENDING = 10_000;

/**
 * Event-based replication (Harbor's replication event handler): after a push or a delete
 * of a local artifact is applied, every enabled `event_based` policy replicating from this
 * Wharf whose filters match starts an EVENT run for just that artifact; a delete only when
 * the policy replicates deletions. Changes are queued in process and handled one at a
 * time, off the registry event's path, so replication never slows or fails an event.
 */
export class ReplicationEventTrigger {
  readonly #deps: { policies: PolicyService; replication: ReplicationService; logger: Logger };
  /** One change at a time, in arrival order. */
  readonly #queue = pLimit(1);
  readonly #running = new Set<Promise<void>>();

  constructor(deps: { policies: PolicyService; replication: ReplicationService; logger: Logger }) {
    this.#deps = deps;
  }

  /** Queues the change and returns at once. */
  notify(change: ArtifactChange): void {
    if (this.#queue.activeCount + this.#queue.pendingCount >= MAX_PENDING) {
      this.#deps.logger.warn('event-based replication queue full, change dropped', { repository: change.repository, action: change.action });
      return;
    }
    const handled: Promise<void> = this.#queue(() => this.#handle(change))
      .catch((error: unknown) => void this.#deps.logger.error('event-based replication failed', { repository: change.repository, action: change.action, err: error }))
      .finally(() => this.#running.delete(handled));
    this.#running.add(handled);
  }

  /** Resolves once every queued change has been handled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  async #handle(change: ArtifactChange): Promise<void> {
    if (!change.digest && !change.tag) return;
    const resource: ResourceV1 = {
      type: 'image',
      metadata: {
        repository: { name: change.repository, metadata: {} },
        artifacts: [{ type: 'IMAGE', digest: change.digest ?? '', tags: change.tag ? [change.tag] : [], labels: [] }],
      },
    };
    for (const policy of await this.#deps.policies.eventBased()) {
      if (change.action === 'delete' && !policy.replicateDeletion) continue;
      if (!repositoryMatches(policy.filters, change.repository)) continue;
      if (filterArtifacts(policy.filters, resource.metadata.artifacts).length === 0) continue;
      const operation = change.action === 'delete' ? { kind: 'deletion' as const, isDeleteTag: Boolean(change.tag) } : { kind: 'copy' as const };
      await this.#deps.replication.startPolicy(policy, { trigger: 'EVENT', resources: [resource], operation });
    }
  }
}
