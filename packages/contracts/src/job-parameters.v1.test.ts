import { describe, expect, it } from 'vitest';
import { CopyProgressLineV1, ReplicationCopyRequestV1, ReplicationJobParamsV1 } from './job-parameters.v1.js';

const resource = { type: 'image', metadata: { repository: { name: 'lib/a' }, artifacts: [] }, registry: { type: 'harbor', url: 'https://h.example.com' } };

describe('replication job v1', () => {
  it('carries resources as JSON strings in the job and reads them as strings or objects at the adapter', () => {
    const params = ReplicationJobParamsV1.parse({ src_resource: JSON.stringify(resource), dst_resource: JSON.stringify(resource), speed: -1 });
    const copy = ReplicationCopyRequestV1.parse({ ...params, speed: null, dst_resource: resource });
    expect(copy.src_resource.metadata.repository.name).toBe('lib/a');
    expect(copy.dst_resource.registry.url).toBe('https://h.example.com');
    expect(copy).toMatchObject({ speed: 0, copy_by_chunk: false });
    expect(ReplicationCopyRequestV1.safeParse({ ...params, src_resource: '{not json' }).success).toBe(false);
  });

  it('tells progress, result and error lines apart', () => {
    expect(CopyProgressLineV1.parse({ type: 'progress', bytes: 10, total: 20 })).toMatchObject({ type: 'progress', bytes: 10 });
    expect(CopyProgressLineV1.parse({ type: 'error', status: 404, errors: [{ code: 'NOT_FOUND', message: 'gone' }] })).toMatchObject({ status: 404 });
    expect(CopyProgressLineV1.safeParse({ type: 'progress' }).success).toBe(false);
  });
});
