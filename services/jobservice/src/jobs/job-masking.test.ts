import { describe, expect, it } from 'vitest';
import { MASKED, maskParameters } from './job-masking.js';

describe('maskParameters', () => {
  it('masks a registry credential inside REPLICATION\'s JSON resources and keeps everything else', () => {
    const src = { type: 'image', registry: { id: 3, url: 'https://hub', credential: { type: 'basic', access_key: 'bob', access_secret: 's3cr3t' }, insecure: false } };
    const dst = { type: 'image', registry: { url: 'http://wharf', credential: { type: 'secret', access_secret: 'harbor-secret-xyz' } }, deleted: false };
    const masked = maskParameters({ src_resource: JSON.stringify(src), dst_resource: JSON.stringify(dst), speed: -1, copy_by_chunk: true });
    const srcOut = JSON.parse(masked.src_resource as string) as typeof src;
    const dstOut = JSON.parse(masked.dst_resource as string) as typeof dst;
    expect(srcOut).toEqual({ ...src, registry: { ...src.registry, credential: { type: 'basic', access_key: 'bob', access_secret: MASKED } } });
    expect(dstOut.registry.credential).toEqual({ type: 'secret', access_secret: MASKED });
    expect(masked).toMatchObject({ speed: -1, copy_by_chunk: true });
    expect(JSON.stringify(masked)).not.toMatch(/s3cr3t|harbor-secret-xyz/);
  });

  it('masks passwords, tokens and keys at any depth, in objects, arrays and JSON text', () => {
    const masked = maskParameters({
      password: 'p',
      nested: { list: [{ token: 't', name: 'n' }], refresh_token: 'r', apiKey: 'k', Authorization: 'Bearer x' },
      text: '[{"private_key":"pk","id":1}]',
    });
    expect(masked).toEqual({
      password: MASKED,
      nested: { list: [{ token: MASKED, name: 'n' }], refresh_token: MASKED, apiKey: MASKED, Authorization: MASKED },
      text: JSON.stringify([{ private_key: MASKED, id: 1 }]),
    });
  });

  it('leaves parameters without secrets, text that is not JSON and empty secrets as they are', () => {
    const params = { sleep_ms: 10, check_ins: ['{not json', 'plain'], vendor_type: 'REPLICATION', access_secret: '', resource: '{"a":1}' };
    expect(maskParameters(params)).toEqual(params);
  });
});
