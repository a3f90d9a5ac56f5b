import { createDigester } from '@wharf/oci';
import { describe, expect, it } from 'vitest';
import { HashStates } from './hash-states.js';

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
