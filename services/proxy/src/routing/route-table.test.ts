import { describe, expect, it } from 'vitest';
import { canonicalPath, destinationOf } from './route-table.js';

describe('the route table', () => {
  it.each([
    ['/v2/', 'core'],
    ['/v2', 'core'],
    ['/v2/library/app/manifests/latest', 'core'],
    ['/v2/library/app/blobs/sha256:abc', 'core'],
    ['/service/token', 'core'],
    ['/service/keys', 'core'],
    ['/api/v2.0/projects', 'core'],
    ['/api/version', 'core'],
    ['/c/login', 'core'],
    ['/', 'portal'],
    ['/favicon.ico', 'unknown'],
  ])('sends %s to %s', (path, destination) => {
    expect(destinationOf(path, 'core')).toBe(destination);
  });

  it.each([
    '/service/notifications',
    '/service/notifications/',
    '/service/notifications/tasks/42',
    '/service//notifications',
    '/service/%6eotifications',
    '/SERVICE/NOTIFICATIONS',
    '//service/notifications',
    '/service/internal/registry-access',
    '/service/Internal/registry-access',
  ])('keeps the internal %s away from outside', (path) => {
    expect(destinationOf(path, 'core')).toBe('internal');
  });

  it.each(['/service/../service/notifications', '/api/%2e%2e/service/notifications', '/v2/%00', '/api/%zz'])('refuses the path %s', (path) => {
    expect(destinationOf(path, 'core')).toBe('invalid');
  });

  it('sends blob reads and uploads straight to the registry when asked, and manifests, tags and the catalog to core', () => {
    expect(destinationOf('/v2/library/app/blobs/sha256:abc', 'registry')).toBe('registry');
    expect(destinationOf('/v2/library/app/blobs/uploads/', 'registry')).toBe('registry');
    expect(destinationOf('/v2/library/app/blobs/uploads/0a1b', 'registry')).toBe('registry');
    expect(destinationOf('/v2/library/app/manifests/v1', 'registry')).toBe('core');
    expect(destinationOf('/v2/library/app/tags/list', 'registry')).toBe('core');
    expect(destinationOf('/v2/_catalog', 'registry')).toBe('core');
    expect(destinationOf('/v2/library/app/blobs/sha256:abc', 'core')).toBe('core');
  });

  it('canonicalises paths as a server would', () => {
    expect(canonicalPath('/a//b/%63')).toBe('/a/b/c');
    expect(canonicalPath('/a/./b')).toBeUndefined();
  });
});
