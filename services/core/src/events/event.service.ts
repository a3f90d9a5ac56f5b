import { INTERNAL_TOKEN_SUBJECT, type RegistryEventV1, type RegistryEventsResultV1 } from '@wharf/contracts';
import type { Logger } from '@wharf/logging';
import { manifestMediaTypes } from '@wharf/oci';
import type { ArtifactSyncService } from '../artifacts/artifact-sync.service.js';
import type { PgEventRepository, PullEvent } from './event.repository.js';

/** The audit entry of a push or delete, keyed so that the push response and the registry event record it once. */
export function artifactAuditKey(action: string, repository: string, digest: string | undefined, tag: string | undefined, requestId: string | undefined): string {
  return [action, repository, digest ?? '', tag ?? '', requestId ?? ''].join('|');
}

export function artifactResource(repository: string, digest: string | undefined, tag: string | undefined): string {
  return tag ? `${repository}:${tag}` : `${repository}@${digest ?? ''}`;
}

/** A push or delete of an artifact, once applied to the projection (what event-based replication listens to). */
export interface ArtifactChange {
  action: 'push' | 'delete';
  repository: string;
  digest?: string;
  tag?: string;
}

export interface EventServiceDeps {
  events: PgEventRepository;
  sync: ArtifactSyncService;
  logger: Logger;
  /** Told of every push and delete applied; must return at once and never throw (it is called on the event's path). */
  onArtifactChange?: (change: ArtifactChange) => void;
  /** Told of every repository whose manifests or tags an applied event changed (read caches forget it); must not throw. */
  onRepositoryChange?: (repository: string) => void;
}

/**
 * Applies registry events (Harbor's /service/notifications): a push or delete reconciles
 * the artifact with the registry and records one audit entry; a pull counts once. Every
 * event is applied at most once, by its id.
 */
export class EventService {
  readonly #deps: EventServiceDeps;

  constructor(deps: EventServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Pushes and deletes are applied one by one, in order; the batch's pulls together, after
   * them (a pull changes only counters and times, whatever its place in the batch). An event
   * that cannot be applied is reported by id with the reason and does not hold back the
   * others: the sender retries only those, and a sync reads the registry's state, so a push
   * applied after a later event of the same batch still ends where the registry is.
   */
  async apply(events: readonly RegistryEventV1[]): Promise<RegistryEventsResultV1> {
    let applied = 0;
    let ignored = 0;
    const failed: { id: string; message: string }[] = [];
    const pulls: PullEvent[] = [];
    for (const event of events) {
      const pull = this.#pullOf(event);
      if (pull) {
        pulls.push(pull);
        continue;
      }
      try {
        if (event.action !== 'pull' && (await this.#apply(event))) applied += 1;
        else ignored += 1;
      } catch (error) {
        this.#deps.logger.warn('registry event not applied', { eventId: event.id, action: event.action, repository: event.target.repository, err: error });
        failed.push({ id: event.id, message: error instanceof Error ? error.message : String(error) });
      }
    }
    try {
      const counted = await this.#deps.events.applyPulls(pulls);
      applied += counted;
      ignored += pulls.length - counted;
    } catch (error) {
      this.#deps.logger.warn('registry pull events not applied', { count: pulls.length, err: error });
      for (const pull of pulls) failed.push({ id: pull.id, message: error instanceof Error ? error.message : String(error) });
    }
    return failed.length > 0 ? { applied, ignored, failed } : { applied, ignored };
  }

  /** Forgets the ids of events applied before `cutoff` (past the registry's redelivery window). */
  async prune(cutoff: Date): Promise<number> {
    await this.#deps.sync.prune(cutoff);
    return this.#deps.events.pruneApplied(cutoff);
  }

  /** The pull to count for this event; undefined for other actions and for reads that are not pulls. */
  #pullOf(event: RegistryEventV1): PullEvent | undefined {
    const { repository, digest, tag, mediaType } = event.target;
    if (event.action !== 'pull' || (mediaType && !manifestMediaTypes.includes(mediaType))) return undefined;
    const username = event.actor?.name || 'anonymous';
    // core reads manifests itself to project them; those reads are not pulls.
    if (username === INTERNAL_TOKEN_SUBJECT) return undefined;
    const at = event.timestamp ? new Date(event.timestamp) : new Date();
    return { id: event.id, repository, digest, tag, at: Number.isNaN(at.getTime()) ? new Date() : at, resource: artifactResource(repository, digest, tag), username };
  }

  #announce(change: ArtifactChange): void {
    try {
      this.#deps.onArtifactChange?.(change);
    } catch (error) {
      this.#deps.logger.warn('artifact change listener failed', { repository: change.repository, err: error });
    }
  }

  async #apply(event: RegistryEventV1): Promise<boolean> {
    const { repository, digest, tag, mediaType } = event.target;
    if (mediaType && !manifestMediaTypes.includes(mediaType)) return false;
    const username = event.actor?.name || 'anonymous';
    const projectId = await this.#deps.events.projectIdOf(repository);
    switch (event.action) {
      case 'push':
      case 'delete': {
        // Alone for the repository across every core replica: an event redelivered to two
        // replicas at once is applied by one of them, and no sync of the repository interleaves.
        const applied = await this.#deps.sync.exclusive(repository, async () => {
          if (await this.#deps.events.isApplied(event.id)) return false;
          // A push core answered itself was projected then: its event only records it as applied.
          if (event.action === 'delete' || !(await this.#deps.sync.projectedPush(repository, digest, tag))) await this.#deps.sync.syncHeld({ repository, digest, tag });
          await this.#deps.events.markApplied(event.id, event.action, {
            projectId,
            operation: event.action === 'push' ? 'create' : 'delete',
            resourceType: 'artifact',
            resource: artifactResource(repository, digest, tag),
            username,
            dedupeKey: artifactAuditKey(event.action, repository, digest, tag, event.request?.id),
          });
          return true;
        });
        if (!applied) return false;
        this.#deps.onRepositoryChange?.(repository);
        this.#announce({ action: event.action === 'push' ? 'push' : 'delete', repository, ...(digest ? { digest } : {}), ...(tag ? { tag } : {}) });
        return true;
      }
      default:
        this.#deps.logger.debug('registry event ignored', { action: event.action });
        return false;
    }
  }
}
