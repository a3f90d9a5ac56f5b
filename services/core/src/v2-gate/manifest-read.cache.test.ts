import { describe, expect, it } from 'vitest';
import { ManifestReadCache } from './manifest-read.cache.js';

const head = (digest: string, size = 3) => ({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size });

describe('ManifestReadCache', () => {
  it('answers a reference it was told, with the body by digest', () => {
    const cache = new ManifestReadCache();
    cache.remember(cache.ticket(), 'lib/app', 'latest', head('sha256:a'), Buffer.from('abc'));
    expect(cache.head('lib/app', 'latest')).toMatchObject(head('sha256:a'));
    expect(cache.body('sha256:a')?.toString()).toBe('abc');
    expect(cache.head('lib/other', 'latest')).toBeUndefined();
  });

  it('forgets a repository when it changes, and does not keep an answer that raced the change', () => {
    const cache = new ManifestReadCache();
    cache.remember(cache.ticket(), 'lib/app', 'latest', head('sha256:a'));
    const ticket = cache.ticket();
    cache.forget('lib/app');
    expect(cache.head('lib/app', 'latest')).toBeUndefined();
    // The registry was asked before the change and answered after it: its answer may be the old one.
    cache.remember(ticket, 'lib/app', 'latest', head('sha256:a'));
    expect(cache.head('lib/app', 'latest')).toBeUndefined();
  });

  it('trusts a reference for its TTL only, and never a body whose size differs from the answer', () => {
    let now = 0;
    const cache = new ManifestReadCache({ referenceTtlMs: 10_000, now: () => now });
    cache.remember(cache.ticket(), 'lib/app', 'latest', head('sha256:a', 5), Buffer.from('abc'));
    expect(cache.head('lib/app', 'latest')).toBeUndefined();
    cache.remember(cache.ticket(), 'lib/app', 'latest', head('sha256:b'), Buffer.from('abc'));
    now = 9_999;
    expect(cache.head('lib/app', 'latest')?.digest).toBe('sha256:b');
    now = 10_000;
    expect(cache.head('lib/app', 'latest')).toBeUndefined();
  });

  it('forgets everything when announcements may have been missed', () => {
    const cache = new ManifestReadCache();
    cache.remember(cache.ticket(), 'lib/app', 'v1', head('sha256:a'));
    cache.clear();
    expect(cache.head('lib/app', 'v1')).toBeUndefined();
  });
});
