import { describe, expect, it } from 'vitest';
import { itemsOf } from '../replication/replication.service.js';
import { authFor, parseImageReference, rulesOf } from './sync-plan.js';
import { ResourceV1 } from '@wharf/contracts';

describe('image references (namespace handling)', () => {
  it.each([
    ['registry.local:5000/library/nginx:1.25,latest', { host: 'registry.local:5000', repository: 'library/nginx', references: ['1.25', 'latest'] }],
    ['registry.local/a/b/c', { host: 'registry.local', repository: 'a/b/c', references: [] }],
    ['localhost/app@sha256:abc', { host: 'localhost', repository: 'app', references: ['sha256:abc'] }],
    ['http://10.0.0.1:5000/team/app:v1', { host: 'http://10.0.0.1:5000', repository: 'team/app', references: ['v1'] }],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it('refuses a reference without a registry host or with a bad name', () => {
    expect(() => parseImageReference('library/nginx:1')).toThrow(/registry host/);
    expect(() => parseImageReference('nginx')).toThrow(/registry host/);
    expect(() => parseImageReference('r.local/Library/Nginx')).toThrow(/repository name/);
  });

  it('expands one source to several destinations and refuses a destination tag for many source tags', () => {
    expect(rulesOf({ 'r.local/a:1': ['d.local/x', 'd.local/y:2'] }).map((r) => r.destination.repository)).toEqual(['x', 'y']);
    expect(() => rulesOf({ 'r.local/a:1,2': 'd.local/x:3' })).toThrow(/exactly one/);
  });

  it('finds credentials with or without the scheme', () => {
    const auth = { 'r.local:5000': { username: 'u', password: 'p' } };
    expect(authFor(auth, 'http://r.local:5000')?.username).toBe('u');
    expect(authFor(auth, 'other')).toBeUndefined();
  });
});

describe('itemsOf (Harbor resources to copy items)', () => {
  const resource = (artifacts: { digest?: string; tags?: string[] }[] | undefined) => ResourceV1.parse({ type: 'image', metadata: { repository: { name: 'a' }, artifacts } });

  it('reads each artifact by its first tag and writes the destination artifact tags', async () => {
    const items = await itemsOf(resource([{ digest: 'sha256:1', tags: ['v1', 'latest'] }, { digest: 'sha256:2', tags: [] }]), resource([{ tags: ['v1', 'latest'] }, { tags: [] }]), async () => []);
    expect(items).toEqual([
      { reference: 'v1', tags: ['v1', 'latest'] },
      { reference: 'sha256:2', tags: [] },
    ]);
  });

  it('copies every tag when the source names no artifacts', async () => {
    expect(await itemsOf(resource(undefined), resource(undefined), async () => ['a', 'b'])).toEqual([
      { reference: 'a', tags: ['a'] },
      { reference: 'b', tags: ['b'] },
    ]);
  });
});
