import { describe, expect, it } from 'vitest';
import { ProjectGateCache } from './project-gate.cache.js';
import type { ProjectGateInfo } from './project.store.js';

function project(name: string, creationTime = new Date(0)): ProjectGateInfo {
  return { id: 1, name, metadata: {}, creationTime };
}

describe("the gate's project cache", () => {
  it('loads a project once, and anew after it is forgotten or its time is up', async () => {
    let now = 0;
    const loads: string[] = [];
    const cache = new ProjectGateCache({ load: async (name) => (loads.push(name), project(name)), ttlMs: 1000, maxEntries: 10, now: () => now });
    await cache.get('a');
    await cache.get('a');
    expect(loads).toEqual(['a']);
    cache.forget('a');
    await cache.get('a');
    expect(loads).toEqual(['a', 'a']);
    now = 1500;
    await cache.get('a');
    expect(loads).toEqual(['a', 'a', 'a']);
  });

  it('remembers that a project does not exist until it is announced', async () => {
    let exists = false;
    const cache = new ProjectGateCache({ load: async (name) => (exists ? project(name) : undefined), ttlMs: 60_000, maxEntries: 10 });
    expect(await cache.get('new')).toBeUndefined();
    exists = true;
    expect(await cache.get('new')).toBeUndefined();
    cache.forget('new');
    expect(await cache.get('new')).toMatchObject({ name: 'new' });
  });

  it('does not keep what a load read before a change was announced', async () => {
    let release!: () => void;
    const old = project('p', new Date(1));
    let next: ProjectGateInfo = old;
    const cache = new ProjectGateCache({
      load: (name) => new Promise((resolve) => (release = () => resolve(next.name === name ? next : undefined))),
      ttlMs: 60_000,
      maxEntries: 10,
    });
    const inFlight = cache.get('p');
    cache.forget('p');
    release();
    expect(await inFlight).toBe(old);
    next = project('p', new Date(2));
    const fresh = cache.get('p');
    release();
    expect((await fresh)?.creationTime).toEqual(new Date(2));
  });

  it('keeps at most maxEntries, dropping the oldest, and forgets everything on clear', async () => {
    const loads: string[] = [];
    const cache = new ProjectGateCache({ load: async (name) => (loads.push(name), project(name)), ttlMs: 60_000, maxEntries: 2 });
    for (const name of ['a', 'b', 'c', 'b']) await cache.get(name);
    expect(loads).toEqual(['a', 'b', 'c']);
    await cache.get('a');
    expect(loads).toEqual(['a', 'b', 'c', 'a']);
    cache.clear();
    await cache.get('c');
    expect(loads).toEqual(['a', 'b', 'c', 'a', 'c']);
  });
});
