import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStorageDriver } from '../../testing/driver-conformance.js';
import { InvalidPathError } from '../../storage-driver.js';
import { FilesystemDriver } from './filesystem.driver.js';

describeStorageDriver('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'wharf-fs-driver-'));
  return {
    driver: new FilesystemDriver({ root }),
    leftovers: async () => readdir(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('filesystem driver', () => {
  it('never resolves a path outside its root', async () => {
    const root = await mkdtemp(join(tmpdir(), 'wharf-fs-driver-'));
    const driver = new FilesystemDriver({ root });
    await expect(driver.getContent('/../../etc/passwd')).rejects.toBeInstanceOf(InvalidPathError);
    await rm(root, { recursive: true, force: true });
  });
});
