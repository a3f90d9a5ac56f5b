import { describe, expect, it } from 'vitest';
import { canMoveJobStatus, JobRequestV1, JobStatusHookV1, parseHarborSecret } from './index.js';

describe('job status machine', () => {
  it('moves forward within a revision and never leaves a final status', () => {
    expect(canMoveJobStatus('Pending', 'Running')).toBe(true);
    expect(canMoveJobStatus('Running', 'Running')).toBe(true);
    expect(canMoveJobStatus('Running', 'Success')).toBe(true);
    expect(canMoveJobStatus('Success', 'Running')).toBe(false);
    expect(canMoveJobStatus('Success', 'Error')).toBe(false);
    expect(canMoveJobStatus('Scheduled', 'Pending')).toBe(false);
  });
});

describe('wire formats', () => {
  it('accepts Harbor\'s launch request and status hook', () => {
    const request = JobRequestV1.parse({
      job: { name: 'REPLICATION', parameters: { speed: 0 }, metadata: { kind: 'Generic', unique: false }, status_hook: 'http://core:8081/service/notifications/tasks/42' },
    });
    expect(request.job.metadata.kind).toBe('Generic');
    const hook = JobStatusHookV1.parse({ job_id: 'abc', status: 'Running', metadata: { id: 'abc', revision: 1700000000, upstream_job_id: 'p1' } });
    expect(hook.metadata?.revision).toBe(1700000000);
  });

  it('refuses an unknown kind or status', () => {
    expect(JobRequestV1.safeParse({ job: { name: 'X', metadata: { kind: 'Sometimes' } } }).success).toBe(false);
    expect(JobStatusHookV1.safeParse({ job_id: 'a', status: 'Done' }).success).toBe(false);
  });

  it('reads the secret of a Harbor-Secret header only', () => {
    expect(parseHarborSecret('Harbor-Secret s3cr3t')).toBe('s3cr3t');
    expect(parseHarborSecret('Basic abc')).toBeUndefined();
    expect(parseHarborSecret(undefined)).toBeUndefined();
  });
});
