import { describe, expect, it } from 'vitest';
import type { PgEventOutbox } from './event.repository.js';
import { EventService } from './event.service.js';
import type { RegistryEvent, RequestOrigin } from './registry-event.js';

const origin: RequestOrigin = { requestId: 'r', addr: '127.0.0.1', host: 'h', method: 'GET', userAgent: 'ua', actor: 'alice', baseUrl: 'http://h' };
const pull = (repository: string) => ({ action: 'pull' as const, repository, digest: `sha256:${'a'.repeat(64)}` });

/** An outbox whose writes finish when the test says so. */
function slowOutbox() {
  const writes: { events: RegistryEvent[]; finish: (error?: Error) => void }[] = [];
  const outbox = {
    addLazily: (events: readonly RegistryEvent[]) =>
      new Promise<void>((resolve, reject) => writes.push({ events: [...events], finish: (error) => (error ? reject(error) : resolve()) })),
  } as unknown as PgEventOutbox;
  return { outbox, writes };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('pull events', () => {
  it('are written at once when alone, and together while a write is under way', async () => {
    const { outbox, writes } = slowOutbox();
    const events = new EventService({ outbox, source: { addr: 'a', instanceID: 'i' }, enabled: true });
    const first = events.record([pull('a/one')], origin);
    await tick();
    expect(writes.map((w) => w.events.length)).toEqual([1]);
    const later = [events.record([pull('a/two')], origin), events.record([pull('a/three')], origin), events.record([pull('a/four')], origin)];
    await tick();
    expect(writes).toHaveLength(1);
    writes[0]!.finish();
    await first;
    await tick();
    expect(writes.map((w) => w.events.map((e) => e.target.repository))).toEqual([['a/one'], ['a/two', 'a/three', 'a/four']]);
    writes[1]!.finish();
    await Promise.all(later);
    await events.flushed();
  });

  it('fail together when their write fails, and the next ones are written anew', async () => {
    const { outbox, writes } = slowOutbox();
    const events = new EventService({ outbox, source: { addr: 'a', instanceID: 'i' }, enabled: true });
    const failing = events.record([pull('a/one')], origin);
    await tick();
    writes[0]!.finish(new Error('database down'));
    await expect(failing).rejects.toThrow('database down');
    const next = events.record([pull('a/two')], origin);
    await tick();
    writes[1]!.finish();
    await expect(next).resolves.toBeUndefined();
  });

  it('are neither built nor written when events are off', async () => {
    const { outbox, writes } = slowOutbox();
    const events = new EventService({ outbox, source: { addr: 'a', instanceID: 'i' }, enabled: false });
    await events.record([pull('a/one')], origin);
    expect(writes).toHaveLength(0);
  });
});
