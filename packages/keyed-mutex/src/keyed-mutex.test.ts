import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs work on one key one piece at a time, in arrival order', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const gate = deferred();
    const first = mutex.run('a', async () => {
      order.push('first started');
      await gate.promise;
      order.push('first done');
    });
    const second = mutex.run('a', async () => void order.push('second'));
    const third = mutex.run('a', async () => void order.push('third'));
    await tick();
    expect(order).toEqual(['first started']);
    gate.resolve();
    await Promise.all([first, second, third]);
    expect(order).toEqual(['first started', 'first done', 'second', 'third']);
  });

  it('runs work on different keys at the same time', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const held = mutex.run('a', () => gate.promise);
    let other = false;
    await mutex.run('b', async () => void (other = true));
    expect(other).toBe(true);
    gate.resolve();
    await held;
  });

  it('passes the key on after a task fails, and answers the failure to its caller', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('a', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('a', async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it('forgets a key once nobody holds or waits for it', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const held = mutex.run('a', () => gate.promise);
    const waiting = mutex.run('a', async () => undefined);
    expect(mutex.isLocked('a')).toBe(true);
    gate.resolve();
    await Promise.all([held, waiting]);
    expect(mutex.isLocked('a')).toBe(false);
    expect(mutex.size).toBe(0);
  });

  it('gives up waiting when the signal aborts, and those behind still wait for the holder', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const order: string[] = [];
    const held = mutex.run('a', async () => {
      await gate.promise;
      order.push('holder done');
    });
    const controller = new AbortController();
    const abandoned = mutex.run('a', async () => void order.push('abandoned ran'), { signal: controller.signal });
    const behind = mutex.run('a', async () => void order.push('behind'));
    controller.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    await tick();
    expect(order).toEqual([]);
    expect(mutex.isLocked('a')).toBe(true);
    gate.resolve();
    await Promise.all([held, behind]);
    expect(order).toEqual(['holder done', 'behind']);
    expect(mutex.size).toBe(0);
  });

  it('keeps the key taken until the holder is done when the only waiter gives up', async () => {
    const mutex = new KeyedMutex();
    const release = await mutex.acquire('a');
    const controller = new AbortController();
    const waiting = mutex.acquire('a', { signal: controller.signal });
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(mutex.isLocked('a')).toBe(true);
    release();
    release(); // a second call does nothing
    await tick();
    expect(mutex.isLocked('a')).toBe(false);
  });

  it('refuses at once with an already aborted signal', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.acquire('a', { signal: AbortSignal.abort(new Error('late')) })).rejects.toThrow('late');
    expect(mutex.size).toBe(0);
  });
});
