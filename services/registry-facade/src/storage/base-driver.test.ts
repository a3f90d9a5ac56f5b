import { createLogger } from '@wharf/logging';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isValidStoragePath, withBaseDriver } from './base-driver.js';
import { InMemoryDriver } from './drivers/inmemory/inmemory.driver.js';
import { InvalidPathError } from './storage-driver.js';

describe('base driver', () => {
  it.each([
    '/blobs/sha256/ab/abcd/data',
    '/uploads/8d4c0c8e-3a43-4f1e-9d0e-4ad6b2f3b7c1/data',
  ])('accepts %s', (path) => {
    expect(isValidStoragePath(path)).toBe(true);
  });

  it.each(['', 'relative/path', '/a/../b', '/a/./b', '/..', '/a//b', '/a/b/', '/a/%2e%2e/b', '/a/\0/b', '/a b', '/a\\b'])(
    'refuses %j',
    (path) => {
      expect(isValidStoragePath(path)).toBe(false);
    },
  );

  it('refuses an invalid path before the driver sees it', async () => {
    const driver = withBaseDriver(new InMemoryDriver(), { logger: createLogger({ service: 'test', stream: new PassThrough() }) });
    await expect(driver.putContent('/a/../escape', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidPathError);
    await expect(driver.move('/ok', '/../escape')).rejects.toBeInstanceOf(InvalidPathError);
  });
});
