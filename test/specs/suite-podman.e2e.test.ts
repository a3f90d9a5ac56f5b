import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients, type ContainersClients } from '../src/containers.js';
import {
  createMember,
  createProject,
  expectContainersLogin,
  createPullRobot,
  getRepository,
  listArtifacts,
  NEVER_PULLED,
  requireCommands,
  tagsByDigest,
  waitForPullCount,
  waitForPullTime,
  type Credentials,
} from '../src/harbor-checks.js';
import type { RunResult } from '../src/run.js';
import { startSuite, type Suite } from '../src/suite.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

/**
 * The Harbor login/push/pull flow with the real podman, through the whole suite as users
 * run it (proxy → core → registry-facade). podman's storage, runroot, registries.conf and
 * auth files all live in the test's temp dir (vfs driver; the suite's address is marked
 * insecure in registries.conf, so no --tls-verify flag is needed).
 */

const PRIVATE = 'pod-private';
const PUBLIC = 'pod-public';
const DENIED = /denied: requested access to the resource is denied/;

const hexOf = (digest: string): string => digest.slice('sha256:'.length);
/** The last line `podman pull` prints is the image ID. */
const lastLine = (text: string): string => text.trim().split('\n').at(-1)!.trim();

describe('podman login, push and pull through the whole suite', () => {
  let dir: TempDir;
  let suite: Suite;
  let clients: ContainersClients;
  let layout: ImageLayout;
  let host: string;
  /** One auth file per identity, so each has its own `podman login`. */
  const authFiles = {} as Record<'admin' | 'developer' | 'guest' | 'robot' | 'anonymous', string>;
  let developer: Credentials;
  let guest: Credentials;
  let robot: Credentials;
  const pushed: { single?: string; index?: string } = {};

  type Identity = keyof typeof authFiles;
  const podman = (as: Identity, args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<RunResult> =>
    clients.podman(args, { ...options, env: { REGISTRY_AUTH_FILE: authFiles[as] } });
  const ref = (repository: string, tag: string) => `${host}/${repository}:${tag}`;

  async function exists(image: string): Promise<boolean> {
    return (await clients.podman(['image', 'exists', image], { allowFailure: true })).code === 0;
  }

  /** Removes an image with all its names, so that the next pull really downloads it. */
  async function removeImage(id: string): Promise<void> {
    if (await exists(id)) await clients.podman(['rmi', '--force', id]);
    expect(await exists(id), `${id} is gone from local storage`).toBe(false);
  }

  /** Brings the layout's single image into local storage (again, if removed) as `reference`. */
  async function loadSingleAs(reference: string): Promise<void> {
    const id = hexOf(layout.single.config.digest);
    if (!(await exists(id))) expect(lastLine((await clients.podman(['pull', `oci:${layout.dir}:single`])).stdout)).toBe(id);
    await clients.podman(['tag', id, reference]);
  }

  /** `podman push --digestfile`; returns the digest podman wrote. */
  async function push(as: Identity, reference: string): Promise<string> {
    const file = join(dir.path, 'pushed.digest');
    await writeFile(file, '');
    await podman(as, ['push', '--digestfile', file, reference]);
    const digest = (await readFile(file, 'utf8')).trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    return digest;
  }

  /** Pulls and returns the image ID podman printed. */
  async function pull(as: Identity, reference: string, platform?: string): Promise<string> {
    return lastLine((await podman(as, ['pull', ...(platform ? ['--platform', platform] : []), reference])).stdout);
  }

  async function login(as: Identity, credentials: Credentials): Promise<RunResult> {
    return podman(as, ['login', '--username', credentials.username, '--password-stdin', host], { input: credentials.password, allowFailure: true });
  }

  /** The digest the registry answers for a reference, as `skopeo inspect` shows it to admin. */
  async function registryDigest(reference: string): Promise<string> {
    const inspected = await clients.skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authFiles.admin, `docker://${reference}`]);
    return `sha256:${createHash('sha256').update(inspected.stdoutBytes).digest('hex')}`;
  }

  beforeAll(async () => {
    requireCommands({ podman: 'podman', skopeo: 'skopeo' });
    dir = await createTempDir('suite-podman');
    layout = await writeImageLayout(join(dir.path, 'layout'));
    suite = await startSuite('suite-podman');
    host = suite.host;
    clients = await createContainersClients(join(dir.path, 'clients'), [host]);
    for (const identity of ['admin', 'developer', 'guest', 'robot', 'anonymous'] as const) {
      authFiles[identity] = join(dir.path, `auth-${identity}.json`);
      await writeFile(authFiles[identity], JSON.stringify({ auths: {} }));
    }

    await createProject(suite.admin, PRIVATE, 'private');
    await createProject(suite.admin, PUBLIC, 'public');
    developer = await createMember(suite.admin, 'pod-developer', { [PRIVATE]: 'developer' });
    guest = await createMember(suite.admin, 'pod-guest', { [PRIVATE]: 'guest' });
    robot = await createPullRobot(suite.admin, PRIVATE, 'puller');
  });

  afterAll(async () => {
    try {
      await suite?.stop();
    } finally {
      await dir?.remove();
    }
  });

  it('podman login as admin succeeds, a wrong password is refused', async () => {
    await expectContainersLogin(login, { adminPassword: suite.adminPassword, authFile: authFiles.admin, host });
  });

  it('admin pushes a single-arch image, removes it and pulls it back with the same image ID and config', async () => {
    const reference = ref(`${PRIVATE}/app`, 'v1');
    await loadSingleAs(reference);
    pushed.single = await push('admin', reference);
    expect(await registryDigest(reference)).toBe(pushed.single);

    await removeImage(hexOf(layout.single.config.digest));
    // podman recompresses layers on push: the image ID (config digest) is what survives
    expect(await pull('admin', reference)).toBe(hexOf(layout.single.config.digest));
    const inspected = await clients.podman(['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', reference]);
    expect(inspected.stdout.trim()).toBe(`${hexOf(layout.single.config.digest)} ${pushed.single}`);
  });

  it('admin pushes a two-platform index with podman manifest push --all; podman pull picks amd64 or the --platform asked for', async () => {
    const list = ref(`${PRIVATE}/multi`, 'v1');
    await podman('admin', ['manifest', 'create', list]);
    await podman('admin', ['manifest', 'add', '--all', list, `oci:${layout.dir}:multi`]);
    const file = join(dir.path, 'list.digest');
    await podman('admin', ['manifest', 'push', '--all', '--digestfile', file, list, `docker://${list}`]);
    pushed.index = (await readFile(file, 'utf8')).trim();
    expect(pushed.index).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryDigest(list)).toBe(pushed.index);

    const index = (await listArtifacts(suite.admin, PRIVATE, 'multi')).find((a) => a.digest === pushed.index);
    expect(index?.references?.map((r) => `${r.platform?.os}/${r.platform?.architecture}`).sort()).toEqual(['linux/amd64', 'linux/arm64']);

    await podman('admin', ['manifest', 'rm', list]);
    expect(await pull('admin', list)).toBe(hexOf(layout.amd64.config.digest));
    expect(await pull('admin', list, 'linux/arm64')).toBe(hexOf(layout.arm64.config.digest));
    const architecture = await clients.podman(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', hexOf(layout.arm64.config.digest)]);
    expect(architecture.stdout.trim()).toBe('linux/arm64');
  });

  it('a developer logs in and pushes; a guest logs in but its push is refused with a "denied" message and nothing is stored', async () => {
    expect((await login('developer', developer)).stdout).toContain('Login Succeeded');
    await loadSingleAs(ref(`${PRIVATE}/by-developer`, 'v1'));
    const byDeveloper = await push('developer', ref(`${PRIVATE}/by-developer`, 'v1'));
    expect(await registryDigest(ref(`${PRIVATE}/by-developer`, 'v1'))).toBe(byDeveloper);

    expect((await login('guest', guest)).stdout).toContain('Login Succeeded');
    await loadSingleAs(ref(`${PRIVATE}/by-guest`, 'v1'));
    const refused = await podman('guest', ['push', ref(`${PRIVATE}/by-guest`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(refused.stderr).toMatch(/unauthorized to access repository: pod-private\/by-guest, action: push/);
    expect(await getRepository(suite.admin, PRIVATE, 'by-guest'), 'the refused push created no repository').toBeUndefined();
  });

  it('anonymous podman pull works on a public project and is refused on a private one', async () => {
    await loadSingleAs(ref(`${PUBLIC}/app`, 'v1'));
    await push('admin', ref(`${PUBLIC}/app`, 'v1'));
    await removeImage(hexOf(layout.single.config.digest));

    expect(await pull('anonymous', ref(`${PUBLIC}/app`, 'v1'))).toBe(hexOf(layout.single.config.digest));
    await removeImage(hexOf(layout.single.config.digest));

    const refused = await podman('anonymous', ['pull', ref(`${PRIVATE}/app`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(refused.stderr).toMatch(/unauthorized to access repository: pod-private\/app, action: pull/);
    expect(await exists(ref(`${PRIVATE}/app`, 'v1'))).toBe(false);
  });

  it('a robot account with pull permission logs in with podman login and pulls, but may not push', async () => {
    const loggedIn = await login('robot', robot);
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toContain('Login Succeeded');

    await removeImage(hexOf(layout.single.config.digest));
    expect(await pull('robot', ref(`${PRIVATE}/app`, 'v1'))).toBe(hexOf(layout.single.config.digest));

    await clients.podman(['tag', hexOf(layout.single.config.digest), ref(`${PRIVATE}/by-robot`, 'v1')]);
    const refused = await podman('robot', ['push', ref(`${PRIVATE}/by-robot`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(await getRepository(suite.admin, PRIVATE, 'by-robot')).toBeUndefined();
  });

  it('the artifacts API lists what podman pushed, with the tags it was pushed under', async () => {
    expect(await tagsByDigest(suite.admin, PRIVATE, 'app')).toEqual({ [pushed.single!]: ['v1'] });
    const multi = await tagsByDigest(suite.admin, PRIVATE, 'multi');
    expect(Object.keys(multi)).toHaveLength(3);
    expect(multi[pushed.index!]).toEqual(['v1']);
    const children = (await listArtifacts(suite.admin, PRIVATE, 'multi')).find((a) => a.digest === pushed.index)!.references!.map((r) => r.child_digest);
    for (const child of children) expect(multi[child], `child ${child} is listed, untagged`).toEqual([]);
    expect(Object.keys(await tagsByDigest(suite.admin, PRIVATE, 'by-developer'))).toHaveLength(1);
  });

  it('podman pulls raise the repository\'s pull_count and set the artifact\'s pull_time', async () => {
    // a repository of its own, so that no earlier pull event can still be on its way
    const reference = ref(`${PRIVATE}/counted`, 'v1');
    await loadSingleAs(reference);
    const digest = await push('admin', reference);
    const [artifact] = await listArtifacts(suite.admin, PRIVATE, 'counted');
    expect(artifact?.pull_time).toBe(NEVER_PULLED);
    expect((await getRepository(suite.admin, PRIVATE, 'counted'))?.pull_count).toBe(0);

    await removeImage(hexOf(layout.single.config.digest));
    await pull('developer', reference);
    expect(await waitForPullCount(suite.admin, PRIVATE, 'counted', 1)).toBe(1);
    const pulled = await waitForPullTime(suite.admin, PRIVATE, 'counted', digest);
    expect(Date.parse(pulled.pull_time)).toBeGreaterThanOrEqual(Date.parse(pulled.push_time));

    await pull('robot', reference);
    expect(await waitForPullCount(suite.admin, PRIVATE, 'counted', 2)).toBe(2);

    // the index was pulled earlier in this file
    await waitForPullTime(suite.admin, PRIVATE, 'multi', pushed.index!);
  });
});
