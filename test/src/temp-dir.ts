import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Unmounts anything left mounted below it (a container engine may), then deletes it. */
  remove(): Promise<void>;
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return table
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * A new directory under the system's temp dir, named in lower case only: podman derives
 * an image name from an `oci:` layout path, and image names must be lower case.
 */
export async function createTempDir(label: string): Promise<TempDir> {
  const created = join(tmpdir(), `wharf-e2e-${label.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}-${randomBytes(6).toString('hex')}`);
  await mkdir(created, { mode: 0o700 });
  const path = await realpath(created);
  return {
    path,
    async remove() {
      for (const point of mountsUnder(path)) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
      await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
