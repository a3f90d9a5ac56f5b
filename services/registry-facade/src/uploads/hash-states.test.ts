import { createDigester } from '@wharf/oci';
import { describe, expect, it } from 'vitest';
import { HashStates, KeyedMutex } from './hash-states.js';

describe('HashStates', () => {
  it('returns a digester only for the offset it reached, and only once', () => {
    const states = new HashStates();
    const digester = createDigester();
    states.put('u1', 100, digester);
    expect(states.take('u1', 50)).toBeUndefined();
    states.put('u1', 100, digester);
    expect(states.take('u1', 100)).toBe(digester);
    expect(states.take('u1', 100)).toBeUndefined();
  });

  it('forgets the oldest entries beyond its bound', () => {
    const states = new HashStates(2);
    states.put('a', 1, createDigester());
    states.put('b', 1, createDigester());
    states.put('c', 1, createDigester());
    expect(states.take('a', 1)).toBeUndefined();
    expect(states.take('c', 1)).toBeDefined();
  });
});

describe('KeyedMutex', () => {
  it('runs tasks of one key one at a time, in order, even when one fails', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
    };
    await Promise.allSettled([mutex.run('k', task('a', 20, true)), mutex.run('k', task('b', 1)), mutex.run('other', task('c', 1))]);
    expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'));
    expect(log.indexOf('start c')).toBeLessThan(log.indexOf('end a'));
  });
});
