import { createTestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

/** Follows `Link: <…>; rel="next"` until the end, collecting every page. */
async function walk(registry: RegistryUnderTest, first: string, key: 'tags' | 'repositories'): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let next: string | undefined = first;
  let pages = 0;
  while (next) {
    const response = await registry.client.request('GET', next);
    expect(response.status).toBe(200);
    items.push(...response.json<Record<string, string[]>>()[key]!);
    pages += 1;
    const link = response.headers.get('link');
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
  }
  return { items, pages };
}

describe('tags and catalog', () => {
  let registry: RegistryUnderTest;
  const tags = Array.from({ length: 1000 }, (_, i) => `v${i}`);
  const image = createTestImage({ layers: 1 });

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.client.pushImage('library/many', image, image.manifest.digest);
    // Tag the manifest 1,000 times, ten tags per request.
    for (let i = 0; i < tags.length; i += 10) {
      const query = tags.slice(i, i + 10).map((t) => `tag=${t}`).join('&');
      const pushed = await registry.client.request('PUT', `/v2/library/many/manifests/${image.manifest.digest}?${query}`, {
        headers: { 'Content-Type': image.manifest.mediaType },
        body: image.manifest.bytes,
      });
      expect(pushed.status).toBe(201);
    }
  });
  afterAll(async () => registry.stop());

  it('lists every tag in byte order when no page is asked for', async () => {
    const response = await registry.client.request('GET', '/v2/library/many/tags/list');
    const body = response.json<{ name: string; tags: string[] }>();
    expect(body.name).toBe('library/many');
    expect(body.tags).toEqual([...tags].sort());
    expect(response.headers.get('link')).toBeNull();
  });

  it('pages through 1,000 tags with n and Link, stably: every tag once, in order', async () => {
    const first = await walk(registry, '/v2/library/many/tags/list?n=100', 'tags');
    expect(first.pages).toBe(10);
    expect(first.items).toEqual([...tags].sort());
    const second = await walk(registry, '/v2/library/many/tags/list?n=100', 'tags');
    expect(second.items).toEqual(first.items);
    const odd = await walk(registry, '/v2/library/many/tags/list?n=333', 'tags');
    expect(odd.items).toEqual(first.items);
  });

  it('keeps paging stable while tags are added behind the cursor', async () => {
    const page = await registry.client.request('GET', '/v2/library/many/tags/list?n=500');
    const firstHalf = page.json<{ tags: string[] }>().tags;
    await registry.client.request('PUT', `/v2/library/many/manifests/${image.manifest.digest}?tag=a-early`, {
      headers: { 'Content-Type': image.manifest.mediaType },
      body: image.manifest.bytes,
    });
    const rest = await walk(registry, /^<([^>]+)>/.exec(page.headers.get('link')!)![1]!, 'tags');
    expect(new Set([...firstHalf, ...rest.items]).size).toBe(firstHalf.length + rest.items.length);
    expect([...firstHalf, ...rest.items]).toEqual([...tags].sort());
    await registry.client.request('DELETE', '/v2/library/many/manifests/a-early');
  });

  it('starts after `last`, exclusive', async () => {
    const response = await registry.client.request('GET', '/v2/library/many/tags/list?n=3&last=v10');
    expect(response.json<{ tags: string[] }>().tags).toEqual(['v100', 'v101', 'v102']);
    const onlyLast = await registry.client.request('GET', '/v2/library/many/tags/list?last=v997');
    expect(onlyLast.json<{ tags: string[] }>().tags).toEqual(['v998', 'v999']);
  });

  it('answers n=0 with an empty list and no Link', async () => {
    const response = await registry.client.request('GET', '/v2/library/many/tags/list?n=0');
    expect(response.json<{ tags: string[] }>().tags).toEqual([]);
    expect(response.headers.get('link')).toBeNull();
  });

  it('answers fewer than n only at the end', async () => {
    const response = await registry.client.request('GET', '/v2/library/many/tags/list?n=5000');
    expect(response.json<{ tags: string[] }>().tags).toHaveLength(1000);
    expect(response.headers.get('link')).toBeNull();
  });

  it.each(['-1', 'ten', '1.5', '99999999999'])('refuses n=%s with PAGINATION_NUMBER_INVALID', async (n) => {
    const response = await registry.client.request('GET', `/v2/library/many/tags/list?n=${n}`);
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('PAGINATION_NUMBER_INVALID');
  });

  it('orders tags ASCIIbetically (upper case before lower case)', async () => {
    const small = createTestImage({ layers: 1 });
    await registry.client.pushImage('library/case', small, 'beta');
    for (const tag of ['Alpha', 'alpha', '1.0', '_x', 'Zulu']) await registry.client.pushManifest('library/case', tag, small.manifest);
    const response = await registry.client.request('GET', '/v2/library/case/tags/list');
    expect(response.json<{ tags: string[] }>().tags).toEqual(['1.0', 'Alpha', 'Zulu', '_x', 'alpha', 'beta']);
  });

  it('answers NAME_UNKNOWN for the tags of a repository that does not exist', async () => {
    const response = await registry.client.request('GET', '/v2/library/nothing/tags/list');
    expect(response.status).toBe(404);
    expect(firstError(response.body).code).toBe('NAME_UNKNOWN');
  });

  it('lists an existing repository without tags with an empty list', async () => {
    const untagged = createTestImage({ layers: 1 });
    await registry.client.pushImage('library/untagged', untagged, untagged.manifest.digest);
    const response = await registry.client.request('GET', '/v2/library/untagged/tags/list');
    expect(response.status).toBe(200);
    expect(response.json<{ tags: string[] }>().tags).toEqual([]);
  });

  it('pages the catalog with n and Link, in byte order', async () => {
    const small = createTestImage({ layers: 1 });
    const names = Array.from({ length: 25 }, (_, i) => `catalog/repo-${String(i).padStart(2, '0')}`);
    for (const name of names) await registry.client.pushImage(name, small, 'v1');
    const all = await walk(registry, '/v2/_catalog?n=7', 'repositories');
    expect(all.items).toEqual([...all.items].sort());
    expect(all.items.filter((n) => n.startsWith('catalog/'))).toEqual(names);
    expect(new Set(all.items).size).toBe(all.items.length);
    const after = await registry.client.request('GET', '/v2/_catalog?n=2&last=catalog/repo-10');
    expect(after.json<{ repositories: string[] }>().repositories).toEqual(['catalog/repo-11', 'catalog/repo-12']);
  });
});
