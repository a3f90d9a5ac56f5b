import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '@wharf/logging';
import { createTestRedisNamespace, type TestRedisNamespace } from '@wharf/testing';
import { ProjectChanges } from '../../src/projects/project-changes.js';

/** Two core replicas on the machine's real Redis: a change announced by one reaches both. */
describe('project change announcements', () => {
  let namespace: TestRedisNamespace;
  const connections: Redis[] = [];
  const changes: ProjectChanges[] = [];
  const logger = createLogger({ service: 'core', level: 'error', format: 'json' });

  beforeAll(async () => {
    namespace = await createTestRedisNamespace('project-changes');
  });
  afterAll(async () => {
    for (const bus of changes) bus.close();
    for (const redis of connections) redis.disconnect();
    await namespace?.cleanup();
  });

  async function replica(): Promise<{ bus: ProjectChanges; forgotten: string[]; cleared: () => number }> {
    const redis = new Redis(namespace.url);
    connections.push(redis);
    const bus = new ProjectChanges({ redis, prefix: namespace.prefix, logger });
    changes.push(bus);
    const forgotten: string[] = [];
    let clears = 0;
    bus.listen({ forget: (name) => forgotten.push(name), clear: () => (clears += 1) });
    await bus.start();
    return { bus, forgotten, cleared: () => clears };
  }

  it('tells the announcing replica at once and the others through Redis', async () => {
    const one = await replica();
    const two = await replica();
    await one.bus.announce('library');
    expect(one.forgotten).toContain('library');
    const deadline = Date.now() + 5000;
    while (!two.forgotten.includes('library') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(two.forgotten).toContain('library');
  });

  it('makes a replica forget everything when its subscription is lost', async () => {
    const one = await replica();
    const before = one.cleared();
    changes.at(-1)!.close();
    const deadline = Date.now() + 5000;
    while (one.cleared() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(one.cleared()).toBeGreaterThan(before);
  });
});
