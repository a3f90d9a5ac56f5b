import { describe, expect, it } from 'vitest';
import { JobStatsV1, JobStatusHookV1 } from './index.js';

const stats = { id: 'j1', status: 'Error', name: 'REPLICATION', kind: 'Generic', unique: false, enqueue_time: 1, update_time: 2 } as const;

describe('JobStatsV1', () => {
  it('carries the reason of the last failure as status_message, and stays valid without it', () => {
    expect(JobStatsV1.parse({ ...stats, status_message: 'cannot reach http://adapter: ECONNREFUSED' }).status_message).toBe('cannot reach http://adapter: ECONNREFUSED');
    expect(JobStatsV1.parse(stats).status_message).toBeUndefined();
    expect(JobStatsV1.safeParse({ ...stats, status_message: 42 }).success).toBe(false);
  });

  it('passes status_message through a status hook\'s metadata', () => {
    const hook = JobStatusHookV1.parse({ job_id: 'j1', status: 'Error', metadata: { ...stats, revision: 3, status_message: 'adapter: blob unknown' } });
    expect(hook.metadata?.status_message).toBe('adapter: blob unknown');
  });
});
