import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunOptions, type RunResult } from './run.js';

/** skopeo and podman with every piece of their state (storage, auth, config) in one temp dir. */
export interface ContainersClients {
  env: NodeJS.ProcessEnv;
  authFile: string;
  skopeo(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  podman(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/**
 * Writes storage.conf (vfs, graphroot and runroot inside `dir`), registries.conf (the
 * registries given are plain-HTTP), containers.conf, policy.json and an empty auth file,
 * and returns runners for skopeo and podman that use them.
 */
export async function createContainersClients(dir: string, insecureRegistries: readonly string[]): Promise<ContainersClients> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const file = (name: string) => join(dir, name);
  const authFile = file('auth.json');
  const policyFile = file('policy.json');
  await writeFile(authFile, JSON.stringify({ auths: {} }));
  await writeFile(policyFile, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  await writeFile(
    file('storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`,
  );
  await writeFile(
    file('registries.conf'),
    [
      'unqualified-search-registries = []',
      ...insecureRegistries.map((location) => `\n[[registry]]\nlocation = "${location}"\ninsecure = true`),
      '',
    ].join('\n'),
  );
  await writeFile(
    file('containers.conf'),
    [
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "none"',
      `tmp_dir = "${join(dir, 'libpod')}"`,
      `image_copy_tmp_dir = "${join(dir, 'tmp')}"`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    CONTAINERS_STORAGE_CONF: file('storage.conf'),
    CONTAINERS_REGISTRIES_CONF: file('registries.conf'),
    CONTAINERS_CONF: file('containers.conf'),
    REGISTRY_AUTH_FILE: authFile,
    DOCKER_CONFIG: file('docker-config'),
    TMPDIR: file('tmp'),
  };
  return {
    env,
    authFile,
    skopeo: (args, options = {}) => run('skopeo', ['--policy', policyFile, ...args], { ...options, env: { ...env, ...options.env } }),
    podman: (args, options = {}) => run('podman', args, { ...options, env: { ...env, ...options.env } }),
  };
}
