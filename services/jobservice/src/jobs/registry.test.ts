import { describe, expect, it } from 'vitest';
import { PermanentJobError } from './job.js';
import { createJobTypes } from './registry.js';

const types = createJobTypes({ adapterUrl: 'http://adapter', registryUrl: 'http://registry', secret: 's' });

describe('job type registry', () => {
  it('registers REPLICATION, GARBAGE_COLLECTION, SCHEDULER and DEMO with Harbor\'s limits', () => {
    expect([...types.keys()].sort()).toEqual(['DEMO', 'GARBAGE_COLLECTION', 'REPLICATION', 'SCHEDULER']);
    expect(types.get('REPLICATION')).toMatchObject({ maxFails: 3 });
    expect(types.get('REPLICATION')!.shouldRetry(new Error('x'))).toBe(true);
    expect(types.get('GARBAGE_COLLECTION')).toMatchObject({ maxFails: 1, concurrency: 1 });
    expect(types.get('GARBAGE_COLLECTION')!.shouldRetry(new Error('x'))).toBe(false);
  });

  it('validates each type\'s parameters with its schema', () => {
    expect(types.get('DEMO')!.validate.safeParse({ sleep_ms: 10, fail_times: 2, check_ins: ['a'] }).success).toBe(true);
    expect(types.get('DEMO')!.validate.safeParse({ sleep_ms: -1 }).success).toBe(false);
    expect(types.get('DEMO')!.validate.safeParse({ surprise: true }).success).toBe(false);
    expect(types.get('REPLICATION')!.validate.safeParse({ src_resource: '{}', dst_resource: '{}', speed: 0, copy_by_chunk: false }).success).toBe(true);
    expect(types.get('REPLICATION')!.validate.safeParse({ src_resource: '{}' }).success).toBe(false);
  });

  it('never retries a permanent failure', () => {
    expect(types.get('DEMO')!.shouldRetry(new PermanentJobError('no'))).toBe(false);
    expect(types.get('DEMO')!.shouldRetry(new Error('flaky'))).toBe(true);
  });
});
