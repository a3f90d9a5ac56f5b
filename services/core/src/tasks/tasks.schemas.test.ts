import { describe, expect, it } from 'vitest';
import { hookJobId, hookRevision, jobHookSchema, taskJobSchema } from './tasks.schemas.js';

describe('status hook parsing', () => {
  it("reads Harbor's hook body", () => {
    const hook = jobHookSchema.parse({
      job_id: '87bbdee19bed5ce09c48a149',
      status: 'Running',
      metadata: { id: '87bbdee19bed5ce09c48a149', name: 'REPLICATION', kind: 'Generic', revision: 1724200000, enqueue_time: 1724199990 },
    });
    expect(hookJobId(hook)).toBe('87bbdee19bed5ce09c48a149');
    expect(hookRevision(hook)).toBe(1724200000);
  });

  it("finds a periodic run's task by its parent job id", () => {
    const hook = jobHookSchema.parse({ job_id: 'abc@1605104520', status: 'Success', metadata: { upstream_job_id: 'abc', revision: 1605104520 } });
    expect(hookJobId(hook)).toBe('abc');
  });

  it('counts a hook without metadata as revision 0', () => {
    const hook = jobHookSchema.parse({ job_id: 'a', status: 'Pending' });
    expect(hookRevision(hook)).toBe(0);
    expect(hookJobId(hook)).toBe('a');
  });

  it('keeps a check-in, and refuses an unknown status or a missing job id', () => {
    expect(jobHookSchema.parse({ job_id: 'a', status: 'Running', check_in: '{"done":3}' }).check_in).toBe('{"done":3}');
    expect(jobHookSchema.safeParse({ job_id: 'a', status: 'Succeed' }).success).toBe(false);
    expect(jobHookSchema.safeParse({ status: 'Running' }).success).toBe(false);
    expect(jobHookSchema.safeParse({ job_id: 'a', status: 'Running', metadata: { revision: 'soon' } }).success).toBe(false);
  });

  it('gives a task job Generic non-unique metadata unless told otherwise', () => {
    expect(taskJobSchema.parse({ name: 'REPLICATION' })).toEqual({ name: 'REPLICATION', parameters: {}, metadata: { kind: 'Generic', unique: false } });
  });
});
