import { PassThrough } from 'node:stream';
import { createLogger } from '@wharf/logging';
import { describe, expect, it } from 'vitest';
import type { ArtifactSyncService } from '../artifacts/artifact-sync.service.js';
import type { PgEventRepository, PullEvent } from './event.repository.js';
import { EventService } from './event.service.js';
import type { RegistryEventV1 } from '@wharf/contracts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const push = (id: string, repository: string): RegistryEventV1 => ({ id, action: 'push', target: { repository, digest: `sha256:${id}`, tag: 'v1', mediaType: MANIFEST } });
const pull = (id: string): RegistryEventV1 => ({ id, action: 'pull', target: { repository: 'lib/app', digest: 'sha256:p', tag: 'v1', mediaType: MANIFEST }, actor: { name: 'alice' } });

function service(options: { failSyncOf?: string; failPulls?: boolean }) {
  const applied: string[] = [];
  const pulls: PullEvent[] = [];
  const events = {
    isApplied: async () => false,
    markApplied: async (id: string) => void applied.push(id),
    applyPulls: async (batch: readonly PullEvent[]) => {
      if (options.failPulls) throw new Error('Connection terminated unexpectedly');
      pulls.push(...batch);
      return batch.length;
    },
    projectIdOf: async () => 1,
  } as unknown as PgEventRepository;
  const sync = {
    projectedPush: async () => false,
    exclusive: async <T>(_repository: string, task: () => Promise<T>) => task(),
    syncHeld: async ({ repository }: { repository: string }) => {
      if (repository === options.failSyncOf) throw new Error(`registry answered 500 for ${repository}`);
    },
  } as unknown as ArtifactSyncService;
  const logger = createLogger({ service: 'test', stream: new PassThrough().resume() });
  return { events: new EventService({ events, sync, logger }), applied, pulls };
}

describe('EventService.apply', () => {
  it('applies every event it can and names the one it cannot, with the reason', async () => {
    const { events, applied, pulls } = service({ failSyncOf: 'lib/broken' });
    const result = await events.apply([push('a', 'lib/app'), push('b', 'lib/broken'), pull('c'), push('d', 'lib/app')]);
    expect(result).toEqual({ applied: 3, ignored: 0, failed: [{ id: 'b', message: 'registry answered 500 for lib/broken' }] });
    expect(applied).toEqual(['a', 'd']);
    expect(pulls.map((p) => p.id)).toEqual(['c']);
  });

  it('names every pull of the batch when the pulls cannot be counted, and still applies the pushes', async () => {
    const { events, applied } = service({ failPulls: true });
    const result = await events.apply([pull('p1'), push('a', 'lib/app'), pull('p2')]);
    expect(result.applied).toBe(1);
    expect(result.failed?.map((f) => f.id)).toEqual(['p1', 'p2']);
    expect(applied).toEqual(['a']);
  });

  it('answers without a failed list when everything was applied', async () => {
    const { events } = service({});
    expect(await events.apply([push('a', 'lib/app')])).toEqual({ applied: 1, ignored: 0 });
  });
});
