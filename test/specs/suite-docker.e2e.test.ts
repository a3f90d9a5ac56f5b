import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients } from '../src/containers.js';
import { startDockerDaemon, type DockerDaemon } from '../src/docker-daemon.js';
import {
  createMember,
  createProject,
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
 * The Harbor login/push/pull flow with the real docker CLI and a dockerd of the test's
 * own, through the whole suite as users run it: proxy → core (token service, Harbor API)
 * → registry-facade.
 */

const PRIVATE = 'dock-private';
const PUBLIC = 'dock-public';
/** What `docker push` prints last. */
const PUSHED = /: digest: (sha256:[0-9a-f]{64}) size: \d+/;
/** What `docker pull` prints. */
const PULLED = /Digest: (sha256:[0-9a-f]{64})/;
/** What `docker manifest push` prints: the digest of the list alone on a line. */
const LIST_PUSHED = /^(sha256:[0-9a-f]{64})$/m;
const DENIED = /denied: requested access to the resource is denied/;

/** Local names of the images `docker load` brings in from the archives. */
const LOCAL = { single: 'wharf-e2e/single:v1', amd64: 'wharf-e2e/multi:amd64', arm64: 'wharf-e2e/multi:arm64' } as const;
type LocalImage = keyof typeof LOCAL;

describe('docker login, push and pull through the whole suite', () => {
  let dir: TempDir;
  let suite: Suite;
  let daemon: DockerDaemon;
  let layout: ImageLayout;
  let host: string;
  const archives = {} as Record<LocalImage, string>;
  /** One DOCKER_CONFIG per identity, so each has its own `docker login`. */
  const configs = {} as Record<'admin' | 'developer' | 'guest' | 'robot' | 'anonymous', string>;
  let developer: Credentials;
  let guest: Credentials;
  let robot: Credentials;
  /** The manifest digests docker printed, by what was pushed. */
  const pushed: { single?: string; amd64?: string; arm64?: string; index?: string } = {};

  type Identity = keyof typeof configs;
  const docker = (as: Identity, args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<RunResult> =>
    daemon.docker(args, { ...options, env: { DOCKER_CONFIG: configs[as] } });
  const ref = (repository: string, tag: string) => `${host}/${repository}:${tag}`;

  /** The image ID docker gives a local image, or undefined when it has none by that name. */
  async function imageId(reference: string): Promise<string | undefined> {
    const inspected = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', reference], { allowFailure: true });
    return inspected.code === 0 ? inspected.stdout.trim() : undefined;
  }

  /** Removes an image with every name it has, so that the next pull really downloads it. */
  async function removeImage(id: string): Promise<void> {
    await daemon.docker(['image', 'rm', '--force', id]);
    expect(await imageId(id), `${id} is gone from the daemon`).toBeUndefined();
  }

  /** `docker load`s one of the archives (again, if it was removed) and tags it as `reference`. */
  async function loadAs(image: LocalImage, reference: string): Promise<void> {
    if ((await imageId(LOCAL[image])) === undefined) {
      const loaded = await daemon.docker(['load', '--input', archives[image]]);
      expect(loaded.stdout).toContain(`Loaded image: ${LOCAL[image]}`);
    }
    await daemon.docker(['tag', LOCAL[image], reference]);
  }

  async function push(as: Identity, reference: string): Promise<string> {
    const result = await docker(as, ['push', reference]);
    const digest = PUSHED.exec(result.stdout)?.[1];
    expect(digest, result.stdout).toBeDefined();
    return digest!;
  }

  /** Pulls with a clean slate: the image must be downloaded; returns the digest docker printed. */
  async function pull(as: Identity, reference: string, platform?: string): Promise<string> {
    const result = await docker(as, ['pull', ...(platform ? ['--platform', platform] : []), reference]);
    const digest = PULLED.exec(result.stdout)?.[1];
    expect(digest, result.stdout).toBeDefined();
    return digest!;
  }

  async function login(as: Identity, credentials: Credentials): Promise<RunResult> {
    return docker(as, ['login', '--username', credentials.username, '--password-stdin', host], { input: credentials.password, allowFailure: true });
  }

  beforeAll(async () => {
    requireCommands({ docker: 'docker.io', dockerd: 'docker.io', skopeo: 'skopeo' });
    dir = await createTempDir('suite-docker');
    layout = await writeImageLayout(join(dir.path, 'layout'));
    // docker load takes docker-archives; skopeo writes them from the OCI layout (the index's
    // children one platform at a time).
    const clients = await createContainersClients(join(dir.path, 'clients'), []);
    archives.single = join(dir.path, 'single.tar');
    archives.amd64 = join(dir.path, 'amd64.tar');
    archives.arm64 = join(dir.path, 'arm64.tar');
    await clients.skopeo(['copy', `oci:${layout.dir}:single`, `docker-archive:${archives.single}:${LOCAL.single}`]);
    for (const arch of ['amd64', 'arm64'] as const) {
      await clients.skopeo(['--override-os', 'linux', '--override-arch', arch, 'copy', `oci:${layout.dir}:multi`, `docker-archive:${archives[arch]}:${LOCAL[arch]}`]);
    }
    for (const identity of ['admin', 'developer', 'guest', 'robot', 'anonymous'] as const) {
      configs[identity] = join(dir.path, `docker-config-${identity}`);
      await mkdir(configs[identity], { recursive: true });
      await writeFile(join(configs[identity], 'config.json'), JSON.stringify({ auths: {} }));
    }

    suite = await startSuite('suite-docker');
    host = suite.host;
    daemon = await startDockerDaemon(join(dir.path, 'daemon'));

    await createProject(suite.admin, PRIVATE, 'private');
    await createProject(suite.admin, PUBLIC, 'public');
    developer = await createMember(suite.admin, 'dock-developer', { [PRIVATE]: 'developer' });
    guest = await createMember(suite.admin, 'dock-guest', { [PRIVATE]: 'guest' });
    robot = await createPullRobot(suite.admin, PRIVATE, 'puller');
  });

  afterAll(async () => {
    try {
      await daemon?.stop();
    } finally {
      try {
        await suite?.stop();
      } finally {
        await dir?.remove();
      }
    }
  });

  it('docker login as admin succeeds, a wrong password is refused with a clear message', async () => {
    const refused = await login('anonymous', { username: 'admin', password: 'not-the-password' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized: invalid username or password/);

    const loggedIn = await login('admin', { username: 'admin', password: suite.adminPassword });
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toContain('Login Succeeded');
    const stored = JSON.parse(await readFile(join(configs.admin, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(stored.auths)).toContain(host);
  });

  it('admin pushes a single-arch image, removes it and pulls it back with the same image ID', async () => {
    const reference = ref(`${PRIVATE}/app`, 'v1');
    await loadAs('single', reference);
    pushed.single = await push('admin', reference);

    await removeImage(layout.single.config.digest);
    expect(await pull('admin', reference)).toBe(pushed.single);
    expect(await imageId(reference)).toBe(layout.single.config.digest);
    const repoDigests = await daemon.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', reference]);
    expect(JSON.parse(repoDigests.stdout) as string[]).toContain(`${host}/${PRIVATE}/app@${pushed.single}`);
  });

  it('admin pushes a two-platform index, and docker pull picks the daemon\'s platform or the one asked for', async () => {
    // dockerd 20.10's classic image store holds one platform per image: docker cannot push an
    // index from its store. The docker CLI's own way to publish one is `docker manifest`:
    // push each platform's image, then `docker manifest create` + `push` assemble the manifest
    // list in the registry, authenticated with what `docker login` stored. That keeps the
    // whole flow docker-only; pulling the list is then docker's platform selection.
    const repository = `${PRIVATE}/multi`;
    for (const arch of ['amd64', 'arm64'] as const) {
      await loadAs(arch, ref(repository, arch));
      pushed[arch] = await push('admin', ref(repository, arch));
    }
    await docker('admin', ['manifest', 'create', '--insecure', ref(repository, 'v1'), ref(repository, 'amd64'), ref(repository, 'arm64')]);
    const listPush = await docker('admin', ['manifest', 'push', '--insecure', '--purge', ref(repository, 'v1')]);
    pushed.index = LIST_PUSHED.exec(listPush.stdout)?.[1];
    expect(pushed.index, listPush.stdout).toBeDefined();

    const index = (await listArtifacts(suite.admin, PRIVATE, 'multi')).find((a) => a.digest === pushed.index);
    expect(index?.manifest_media_type).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(index?.references?.map((r) => [r.child_digest, r.platform?.architecture]).sort()).toEqual(
      [[pushed.amd64, 'amd64'], [pushed.arm64, 'arm64']].sort(),
    );

    for (const arch of ['amd64', 'arm64'] as const) await removeImage(layout[arch].config.digest);
    expect(await pull('admin', ref(repository, 'v1'))).toBe(pushed.index);
    expect(await imageId(ref(repository, 'v1')), 'the daemon (linux/amd64) gets the amd64 image').toBe(layout.amd64.config.digest);
    expect(await pull('admin', ref(repository, 'v1'), 'linux/arm64')).toBe(pushed.index);
    expect(await imageId(ref(repository, 'v1'))).toBe(layout.arm64.config.digest);
    const architecture = await daemon.docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref(repository, 'v1')]);
    expect(architecture.stdout.trim()).toBe('linux/arm64');
  });

  it('a developer logs in and pushes; a guest logs in but its push is refused with docker\'s "denied" message and nothing is stored', async () => {
    expect((await login('developer', developer)).stdout).toContain('Login Succeeded');
    await loadAs('single', ref(`${PRIVATE}/by-developer`, 'v1'));
    expect(await push('developer', ref(`${PRIVATE}/by-developer`, 'v1'))).toBe(pushed.single);

    expect((await login('guest', guest)).stdout).toContain('Login Succeeded');
    await loadAs('single', ref(`${PRIVATE}/by-guest`, 'v1'));
    const refused = await docker('guest', ['push', ref(`${PRIVATE}/by-guest`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(refused.stdout).not.toMatch(PUSHED);
    expect(await getRepository(suite.admin, PRIVATE, 'by-guest'), 'the refused push created no repository').toBeUndefined();

    // a guest may not overwrite a tag of an existing repository either
    await loadAs('single', ref(`${PRIVATE}/app`, 'from-guest'));
    const overwrite = await docker('guest', ['push', ref(`${PRIVATE}/app`, 'from-guest')], { allowFailure: true });
    expect(overwrite.code).not.toBe(0);
    expect(overwrite.stderr).toMatch(DENIED);
    expect(Object.values(await tagsByDigest(suite.admin, PRIVATE, 'app')).flat()).not.toContain('from-guest');
  });

  it('anonymous docker pull works on a public project and is refused on a private one', async () => {
    await loadAs('single', ref(`${PUBLIC}/app`, 'v1'));
    expect(await push('admin', ref(`${PUBLIC}/app`, 'v1'))).toBe(pushed.single);
    await removeImage(layout.single.config.digest);

    expect(await pull('anonymous', ref(`${PUBLIC}/app`, 'v1'))).toBe(pushed.single);
    expect(await imageId(ref(`${PUBLIC}/app`, 'v1'))).toBe(layout.single.config.digest);
    await removeImage(layout.single.config.digest);

    const refused = await docker('anonymous', ['pull', ref(`${PRIVATE}/app`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/pull access denied for .*\/dock-private\/app, repository does not exist or may require 'docker login'/);
    expect(refused.stderr).toMatch(DENIED);
    expect(await imageId(ref(`${PRIVATE}/app`, 'v1'))).toBeUndefined();
  });

  it('a robot account with pull permission logs in with docker login and pulls, but may not push', async () => {
    expect(robot.username).toBe(`robot$${PRIVATE}+puller`);
    const loggedIn = await login('robot', robot);
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toContain('Login Succeeded');

    if ((await imageId(layout.single.config.digest)) !== undefined) await removeImage(layout.single.config.digest);
    expect(await pull('robot', ref(`${PRIVATE}/app`, 'v1'))).toBe(pushed.single);
    expect(await imageId(ref(`${PRIVATE}/app`, 'v1'))).toBe(layout.single.config.digest);

    await daemon.docker(['tag', ref(`${PRIVATE}/app`, 'v1'), ref(`${PRIVATE}/by-robot`, 'v1')]);
    const refused = await docker('robot', ['push', ref(`${PRIVATE}/by-robot`, 'v1')], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(await getRepository(suite.admin, PRIVATE, 'by-robot')).toBeUndefined();
  });

  it('the artifacts API lists what docker pushed, with the tags it was pushed under', async () => {
    expect(await tagsByDigest(suite.admin, PRIVATE, 'app')).toEqual({ [pushed.single!]: ['v1'] });
    expect(await tagsByDigest(suite.admin, PRIVATE, 'by-developer')).toEqual({ [pushed.single!]: ['v1'] });
    expect(await tagsByDigest(suite.admin, PUBLIC, 'app')).toEqual({ [pushed.single!]: ['v1'] });
    expect(await tagsByDigest(suite.admin, PRIVATE, 'multi')).toEqual({
      [pushed.index!]: ['v1'],
      [pushed.amd64!]: ['amd64'],
      [pushed.arm64!]: ['arm64'],
    });
    const app = await listArtifacts(suite.admin, PRIVATE, 'app');
    expect(app[0]).toMatchObject({ type: 'IMAGE', manifest_media_type: 'application/vnd.docker.distribution.manifest.v2+json' });
  });

  it('docker pulls raise the repository\'s pull_count and set the artifact\'s pull_time', async () => {
    // a repository of its own, so that no earlier pull event can still be on its way
    const repository = `${PRIVATE}/counted`;
    await loadAs('single', ref(repository, 'v1'));
    expect(await push('admin', ref(repository, 'v1'))).toBe(pushed.single);
    const before = await listArtifacts(suite.admin, PRIVATE, 'counted');
    expect(before[0]?.pull_time).toBe(NEVER_PULLED);
    expect((await getRepository(suite.admin, PRIVATE, 'counted'))?.pull_count).toBe(0);

    await removeImage(layout.single.config.digest);
    await pull('developer', ref(repository, 'v1'));
    expect(await waitForPullCount(suite.admin, PRIVATE, 'counted', 1)).toBe(1);
    const artifact = await waitForPullTime(suite.admin, PRIVATE, 'counted', pushed.single!);
    expect(Date.parse(artifact.pull_time)).toBeGreaterThanOrEqual(Date.parse(artifact.push_time));

    await removeImage(layout.single.config.digest);
    await pull('robot', ref(repository, 'v1'));
    expect(await waitForPullCount(suite.admin, PRIVATE, 'counted', 2)).toBe(2);

    // the index and the platform image docker chose were pulled earlier in this file
    expect(await waitForPullCount(suite.admin, PRIVATE, 'multi', 1)).toBeGreaterThanOrEqual(1);
    await waitForPullTime(suite.admin, PRIVATE, 'multi', pushed.index!);
    await waitForPullTime(suite.admin, PRIVATE, 'multi', pushed.arm64!);
  });
});
