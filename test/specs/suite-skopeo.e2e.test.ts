import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
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
import { layoutTag } from '../src/oci-layout.js';
import type { RunResult } from '../src/run.js';
import { startSuite, type Suite } from '../src/suite.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

/**
 * The Harbor login/push/pull flow with the real skopeo, through the whole suite as users
 * run it (proxy → core → registry-facade). skopeo keeps digests exactly (`copy --all
 * --preserve-digests`), so every check compares the layout's own digests.
 */

const ONE = 'skopeo-one';
const TWO = 'skopeo-two';
const PUBLIC = 'skopeo-public';
const DENIED = /denied: requested access to the resource is denied/;
const INDEX = 'application/vnd.oci.image.index.v1+json';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('skopeo login, copy and inspect through the whole suite', () => {
  let dir: TempDir;
  let suite: Suite;
  let clients: ContainersClients;
  let layout: ImageLayout;
  let host: string;
  /** One auth file per identity, so each has its own `skopeo login`. */
  const authFiles = {} as Record<'admin' | 'developer' | 'guest' | 'robot' | 'anonymous', string>;
  let developer: Credentials;
  let guest: Credentials;
  let robot: Credentials;
  let outputs = 0;

  type Identity = keyof typeof authFiles;
  const skopeo = (as: Identity, args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<RunResult> =>
    clients.skopeo(args, { ...options, env: { REGISTRY_AUTH_FILE: authFiles[as] } });
  const docker = (repository: string, tag: string) => `docker://${host}/${repository}:${tag}`;
  /** A fresh OCI layout directory to copy into. */
  const outputDir = () => join(dir.path, `out-${(outputs += 1)}`);

  async function login(as: Identity, credentials: Credentials): Promise<RunResult> {
    return skopeo(as, ['login', '--tls-verify=false', '--username', credentials.username, '--password-stdin', host], {
      input: credentials.password,
      allowFailure: true,
    });
  }

  /** Layout → registry, keeping every digest. */
  function pushArgs(tag: 'single' | 'multi', destination: string): string[] {
    return ['copy', ...(tag === 'multi' ? ['--all'] : []), '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${tag}`, destination];
  }

  /** Registry → a new OCI layout; returns the digest of what was copied out. */
  async function pullDigest(as: Identity, source: string, all = false): Promise<string> {
    const out = outputDir();
    await skopeo(as, ['copy', ...(all ? ['--all'] : []), '--preserve-digests', '--src-tls-verify=false', source, `oci:${out}:copied`]);
    return (await layoutTag(out, 'copied')).digest;
  }

  /** The digest of the bytes the registry serves for a reference (`skopeo inspect --raw`). */
  async function rawDigest(as: Identity, reference: string): Promise<string> {
    return sha256((await skopeo(as, ['inspect', '--raw', '--tls-verify=false', reference])).stdoutBytes);
  }

  /** What `skopeo inspect` reports as the image's digest. */
  async function inspectDigest(as: Identity, reference: string): Promise<string> {
    return (await skopeo(as, ['inspect', '--tls-verify=false', '--format', '{{.Digest}}', reference])).stdout.trim();
  }

  beforeAll(async () => {
    requireCommands({ skopeo: 'skopeo' });
    dir = await createTempDir('suite-skopeo');
    layout = await writeImageLayout(join(dir.path, 'layout'));
    suite = await startSuite('suite-skopeo');
    host = suite.host;
    clients = await createContainersClients(join(dir.path, 'clients'), [host]);
    for (const identity of ['admin', 'developer', 'guest', 'robot', 'anonymous'] as const) {
      authFiles[identity] = join(dir.path, `auth-${identity}.json`);
      await writeFile(authFiles[identity], JSON.stringify({ auths: {} }));
    }

    await createProject(suite.admin, ONE, 'private');
    await createProject(suite.admin, TWO, 'private');
    await createProject(suite.admin, PUBLIC, 'public');
    developer = await createMember(suite.admin, 'skopeo-developer', { [ONE]: 'developer', [TWO]: 'developer' });
    guest = await createMember(suite.admin, 'skopeo-guest', { [ONE]: 'guest' });
    robot = await createPullRobot(suite.admin, ONE, 'puller');
  });

  afterAll(async () => {
    try {
      await suite?.stop();
    } finally {
      await dir?.remove();
    }
  });

  it('skopeo login as admin succeeds, a wrong password is refused', async () => {
    await expectContainersLogin(login, { adminPassword: suite.adminPassword, authFile: authFiles.admin, host });
  });

  it('copies an OCI layout image into a project; inspect and a copy back out show the same digests', async () => {
    await skopeo('admin', pushArgs('single', docker(`${ONE}/app`, 'v1')));
    expect(await inspectDigest('admin', docker(`${ONE}/app`, 'v1'))).toBe(layout.single.manifest.digest);
    expect(await rawDigest('admin', docker(`${ONE}/app`, 'v1'))).toBe(layout.single.manifest.digest);
    expect(await pullDigest('admin', docker(`${ONE}/app`, 'v1'))).toBe(layout.single.manifest.digest);
  });

  it('copies a two-platform index with --all; the index and both platform images keep their digests', async () => {
    await skopeo('admin', pushArgs('multi', docker(`${ONE}/multi`, 'v1')));
    expect(await rawDigest('admin', docker(`${ONE}/multi`, 'v1'))).toBe(layout.index.digest);
    for (const child of [layout.amd64, layout.arm64]) {
      expect(await rawDigest('admin', `docker://${host}/${ONE}/multi@${child.manifest.digest}`)).toBe(child.manifest.digest);
    }
    const arm64 = await skopeo('admin', ['--override-arch', 'arm64', 'inspect', '--tls-verify=false', '--format', '{{.Os}}/{{.Architecture}}', docker(`${ONE}/multi`, 'v1')]);
    expect(arm64.stdout.trim()).toBe('linux/arm64');
    expect(await pullDigest('admin', docker(`${ONE}/multi`, 'v1'), true)).toBe(layout.index.digest);
  });

  it('a developer of both projects copies the image and the index from one project to the other, digests unchanged', async () => {
    expect((await login('developer', developer)).stdout).toContain('Login Succeeded');
    await skopeo('developer', ['copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', docker(`${ONE}/app`, 'v1'), docker(`${TWO}/app`, 'v1')]);
    await skopeo('developer', ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', docker(`${ONE}/multi`, 'v1'), docker(`${TWO}/multi`, 'v1')]);

    expect(await inspectDigest('developer', docker(`${TWO}/app`, 'v1'))).toBe(layout.single.manifest.digest);
    expect(await rawDigest('developer', docker(`${TWO}/multi`, 'v1'))).toBe(layout.index.digest);
    for (const child of [layout.amd64, layout.arm64]) {
      expect(await rawDigest('developer', `docker://${host}/${TWO}/multi@${child.manifest.digest}`)).toBe(child.manifest.digest);
    }
  });

  it('a guest logs in but its copy into the project is refused with a "denied" message and nothing is stored', async () => {
    expect((await login('guest', guest)).stdout).toContain('Login Succeeded');
    const refused = await skopeo('guest', pushArgs('single', docker(`${ONE}/by-guest`, 'v1')), { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(refused.stderr).toMatch(/unauthorized to access repository: skopeo-one\/by-guest, action: push/);
    expect(await getRepository(suite.admin, ONE, 'by-guest'), 'the refused copy created no repository').toBeUndefined();

    // copying between projects needs push on the destination: a guest of one project is refused too
    const across = await skopeo('guest', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', docker(`${ONE}/app`, 'v1'), docker(`${TWO}/by-guest`, 'v1')], {
      allowFailure: true,
    });
    expect(across.code).not.toBe(0);
    expect(across.stderr).toMatch(DENIED);
    expect(await getRepository(suite.admin, TWO, 'by-guest')).toBeUndefined();
  });

  it('anonymous skopeo copy works from a public project and is refused on a private one', async () => {
    await skopeo('admin', pushArgs('single', docker(`${PUBLIC}/app`, 'v1')));
    expect(await pullDigest('anonymous', docker(`${PUBLIC}/app`, 'v1'))).toBe(layout.single.manifest.digest);
    expect(await inspectDigest('anonymous', docker(`${PUBLIC}/app`, 'v1'))).toBe(layout.single.manifest.digest);

    const out = outputDir();
    const refused = await skopeo('anonymous', ['copy', '--src-tls-verify=false', docker(`${ONE}/app`, 'v1'), `oci:${out}:copied`], { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(refused.stderr).toMatch(/unauthorized to access repository: skopeo-one\/app, action: pull/);
    const inspected = await skopeo('anonymous', ['inspect', '--tls-verify=false', docker(`${ONE}/app`, 'v1')], { allowFailure: true });
    expect(inspected.code).not.toBe(0);
  });

  it('a robot account with pull permission logs in with skopeo login and copies out, but may not push', async () => {
    const loggedIn = await login('robot', robot);
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toContain('Login Succeeded');
    expect(await pullDigest('robot', docker(`${ONE}/app`, 'v1'))).toBe(layout.single.manifest.digest);
    expect(await pullDigest('robot', docker(`${ONE}/multi`, 'v1'), true)).toBe(layout.index.digest);

    const refused = await skopeo('robot', pushArgs('single', docker(`${ONE}/by-robot`, 'v1')), { allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(DENIED);
    expect(await getRepository(suite.admin, ONE, 'by-robot')).toBeUndefined();
  });

  it('the artifacts API lists what skopeo copied, in both projects, with their tags', async () => {
    const image = { [layout.single.manifest.digest]: ['v1'] };
    const index = { [layout.index.digest]: ['v1'], [layout.amd64.manifest.digest]: [], [layout.arm64.manifest.digest]: [] };
    for (const project of [ONE, TWO]) {
      expect(await tagsByDigest(suite.admin, project, 'app')).toEqual(image);
      expect(await tagsByDigest(suite.admin, project, 'multi')).toEqual(index);
      const listed = (await listArtifacts(suite.admin, project, 'multi')).find((a) => a.digest === layout.index.digest);
      expect(listed?.manifest_media_type).toBe(INDEX);
      expect(listed?.references?.map((r) => r.child_digest).sort()).toEqual([layout.amd64.manifest.digest, layout.arm64.manifest.digest].sort());
    }
    expect(await tagsByDigest(suite.admin, PUBLIC, 'app')).toEqual(image);
  });

  it('copies out of the registry raise the repository\'s pull_count and set the artifact\'s pull_time', async () => {
    // repositories of their own, so that no earlier pull event can still be on its way
    await skopeo('admin', pushArgs('single', docker(`${ONE}/counted`, 'v1')));
    await skopeo('admin', pushArgs('multi', docker(`${ONE}/counted-index`, 'v1')));
    const [artifact] = await listArtifacts(suite.admin, ONE, 'counted');
    expect(artifact?.pull_time).toBe(NEVER_PULLED);
    expect((await getRepository(suite.admin, ONE, 'counted'))?.pull_count).toBe(0);
    expect((await getRepository(suite.admin, ONE, 'counted-index'))?.pull_count).toBe(0);

    await pullDigest('developer', docker(`${ONE}/counted`, 'v1'));
    expect(await waitForPullCount(suite.admin, ONE, 'counted', 1)).toBe(1);
    const pulled = await waitForPullTime(suite.admin, ONE, 'counted', layout.single.manifest.digest);
    expect(Date.parse(pulled.pull_time)).toBeGreaterThanOrEqual(Date.parse(pulled.push_time));
    await pullDigest('robot', docker(`${ONE}/counted`, 'v1'));
    expect(await waitForPullCount(suite.admin, ONE, 'counted', 2)).toBe(2);

    // copy --all reads the index and each platform's manifest: three manifest pulls
    await pullDigest('robot', docker(`${ONE}/counted-index`, 'v1'), true);
    expect(await waitForPullCount(suite.admin, ONE, 'counted-index', 3)).toBe(3);
    for (const digest of [layout.index.digest, layout.amd64.manifest.digest, layout.arm64.manifest.digest]) {
      await waitForPullTime(suite.admin, ONE, 'counted-index', digest);
    }
  });
});
