import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestImage, createTestIndex, type TestImage } from '@wharf/testing';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients, type ContainersClients } from '../src/containers.js';
import { createProject, requireCommands, tagsByDigest } from '../src/harbor-checks.js';
import {
  createPolicy,
  digestAt,
  distributionTags,
  expectSecretsHidden,
  expectSucceeded,
  pushImage,
  pushIndex,
  pushIndexToWharf,
  pushToWharf,
  replicate,
  startReplicationBed,
  wharfDigest,
  type Distribution,
  type DryRunView,
  type ReplicationBed,
} from '../src/replication.js';
import { ROOT_DIR } from '../src/stack.js';
import type { Suite } from '../src/suite.js';
import type { TempDir } from '../src/temp-dir.js';

/**
 * Replication between Wharf and a foreign registry (Debian's docker-registry, basic auth),
 * driven as an admin drives it: a registry endpoint, a policy, an execution; checked as a
 * user checks it, with skopeo and the registries' own answers (digests, tags, artifacts).
 */

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const WHARF_SYNC = join(ROOT_DIR, 'services/adapter/dist/cli/wharf-sync.js');

describe('replication between Wharf and docker-registry', () => {
  let bed: ReplicationBed;
  let dir: TempDir;
  let suite: Suite;
  let dist: Distribution;
  let distHost: string;
  let clients: ContainersClients;
  let layout: ImageLayout;
  let registryId: number;

  const skopeo = (args: readonly string[], input?: string) => clients.skopeo(args, { input });
  /** The digest of the bytes a registry serves for a reference (`skopeo inspect --raw`). */
  const rawDigest = async (reference: string) => sha256((await skopeo(['inspect', '--raw', '--tls-verify=false', reference])).stdoutBytes);

  beforeAll(async () => {
    requireCommands({ skopeo: 'skopeo' });
    bed = await startReplicationBed('replication', async (path) => (layout = await writeImageLayout(join(path, 'layout'))));
    ({ dir, suite, dist, registryId } = bed);
    distHost = new URL(dist.url).host;
    clients = await createContainersClients(join(dir.path, 'clients'), [suite.host, distHost]);
    await skopeo(['login', '--tls-verify=false', '--username', 'admin', '--password-stdin', suite.host], suite.adminPassword);
    await skopeo(['login', '--tls-verify=false', '--username', dist.username!, '--password-stdin', distHost], dist.password);
  });
  afterAll(async () => bed?.stop());

  it('push mode: a manual policy copies an image and a two-platform index, every tag, with identical digests', async () => {
    await createProject(suite.admin, 'push', 'private');
    const push = (tag: 'single' | 'multi', target: string) =>
      skopeo(['copy', ...(tag === 'multi' ? ['--all'] : []), '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${tag}`, `docker://${suite.host}/${target}`]);
    for (const tag of ['v1', 'v2', 'latest']) await push('single', `push/app:${tag}`);
    for (const tag of ['1.0', 'stable']) await push('multi', `push/multi:${tag}`);

    const policyId = await createPolicy(suite.admin, {
      name: 'push-to-distribution',
      dest_registry: { id: registryId },
      filters: [{ type: 'name', value: 'push/**' }],
      trigger: { type: 'manual' },
      override: true,
    });
    const execution = await replicate(suite.admin, policyId);
    await expectSucceeded(suite.admin, execution, 2);
    expect(execution.trigger).toBe('manual');

    for (const tag of ['v1', 'v2', 'latest']) {
      expect(await rawDigest(`docker://${distHost}/push/app:${tag}`)).toBe(layout.single.manifest.digest);
      expect(await rawDigest(`docker://${suite.host}/push/app:${tag}`)).toBe(layout.single.manifest.digest);
    }
    for (const tag of ['1.0', 'stable']) {
      expect(await rawDigest(`docker://${distHost}/push/multi:${tag}`)).toBe(layout.index.digest);
    }
    for (const child of [layout.amd64, layout.arm64]) {
      expect(await rawDigest(`docker://${distHost}/push/multi@${child.manifest.digest}`)).toBe(child.manifest.digest);
    }
    expect(await distributionTags(dist, 'push/app')).toEqual(['latest', 'v1', 'v2']);
    expect(await distributionTags(dist, 'push/multi')).toEqual(['1.0', 'stable']);
    // The copy is whole: skopeo pulls the arm64 image of the index from the destination.
    const arm64 = await skopeo(['--override-arch', 'arm64', 'inspect', '--tls-verify=false', '--format', '{{.Os}}/{{.Architecture}}', `docker://${distHost}/push/multi:stable`]);
    expect(arm64.stdout.trim()).toBe('linux/arm64');
  });

  it('pull mode: a policy from the distribution into a Wharf project; same digests, artifacts listed with their tags', async () => {
    const web = createTestImage({ layers: 2 });
    const amd64 = createTestImage({ platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = createTestImage({ platform: { os: 'linux', architecture: 'arm64' } });
    await pushImage(dist, 'upstream/web', web, ['1.0', '1.1']);
    const index = await pushIndex(dist, 'upstream/tools/multi', [amd64, arm64], ['latest']);
    await createProject(suite.admin, 'mirror', 'private');

    const policyId = await createPolicy(suite.admin, {
      name: 'pull-from-distribution',
      src_registry: { id: registryId },
      dest_namespace: 'mirror',
      filters: [{ type: 'name', value: 'upstream/**' }],
    });
    const execution = await replicate(suite.admin, policyId);
    await expectSucceeded(suite.admin, execution, 2);

    // dest_namespace with the legacy replace count: mirror/<last path component>.
    expect(await wharfDigest(suite, 'mirror/web', '1.0')).toBe(web.manifest.digest);
    expect(await wharfDigest(suite, 'mirror/web', '1.1')).toBe(web.manifest.digest);
    expect(await wharfDigest(suite, 'mirror/multi', 'latest')).toBe(index.digest);
    expect(await rawDigest(`docker://${suite.host}/mirror/multi:latest`)).toBe(index.digest);
    for (const child of [amd64, arm64]) expect(await rawDigest(`docker://${suite.host}/mirror/multi@${child.manifest.digest}`)).toBe(child.manifest.digest);

    expect(await tagsByDigest(suite.admin, 'mirror', 'web')).toEqual({ [web.manifest.digest]: ['1.0', '1.1'] });
    const multi = await tagsByDigest(suite.admin, 'mirror', 'multi');
    expect(multi[index.digest]).toEqual(['latest']);
  });

  it('override false keeps a different image under the tag at the destination; override true replaces it', async () => {
    await createProject(suite.admin, 'ovr', 'private');
    const ours = createTestImage();
    const theirs = createTestImage();
    await pushToWharf(suite, 'ovr/app', ours, ['v1']);
    await pushImage(dist, 'ovr/app', theirs, ['v1']);
    const body = { name: 'override', dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'ovr/**' }], override: false, enabled: true };
    const policyId = await createPolicy(suite.admin, body);

    const kept = await replicate(suite.admin, policyId);
    expect(kept.status, JSON.stringify(kept)).toBe('Succeed');
    expect(await digestAt(dist, 'ovr/app', 'v1')).toBe(theirs.manifest.digest);

    const updated = await suite.admin.put(`/replication/policies/${policyId}`, { ...body, override: true });
    expect(updated.status, updated.text).toBe(200);
    expect((await suite.admin.get<{ override: boolean }>(`/replication/policies/${policyId}`)).body.override).toBe(true);
    const replaced = await replicate(suite.admin, policyId);
    await expectSucceeded(suite.admin, replaced, 1);
    expect(await digestAt(dist, 'ovr/app', 'v1')).toBe(ours.manifest.digest);
  });

  it('name and tag filters (matches, excludes) select exactly the planned set; the dry run lists what the run copies', async () => {
    await createProject(suite.admin, 'flt', 'private');
    const image = (): TestImage => createTestImage({ layers: 1, layerSize: 1024 });
    const [a1, aRc, aDev, b, lint, other, cDev] = [image(), image(), image(), image(), image(), image(), image()];
    await pushToWharf(suite, 'flt/app-a', a1, ['v1']);
    await pushToWharf(suite, 'flt/app-a', aRc, ['v2-rc1']);
    await pushToWharf(suite, 'flt/app-a', aDev, ['dev']);
    await pushToWharf(suite, 'flt/app-b', b, ['v1', 'v2']);
    await pushToWharf(suite, 'flt/tools/lint', lint, ['v1']);
    await pushToWharf(suite, 'flt/other', other, ['v1']);
    await pushToWharf(suite, 'flt/app-c', cDev, ['dev']);

    const policyId = await createPolicy(suite.admin, {
      name: 'filtered',
      dest_registry: { id: registryId },
      dest_namespace: 'filtered',
      dest_namespace_replace_count: 1,
      filters: [
        { type: 'name', value: 'flt/{app-*,tools/**}' },
        { type: 'tag', value: 'v*', decoration: 'matches' },
        { type: 'tag', value: '*-rc*', decoration: 'excludes' },
      ],
    });
    const expected = { 'filtered/app-a': ['v1'], 'filtered/app-b': ['v1', 'v2'], 'filtered/tools/lint': ['v1'] };

    const dryRun = await suite.admin.post<DryRunView>(`/replication/policies/${policyId}/dry-run`);
    expect(dryRun.status, dryRun.text).toBe(200);
    const planned = Object.fromEntries(dryRun.body.repositories.map((r) => [r.dst, r.artifacts.flatMap((a) => a.tags).sort()]));
    expect(planned).toEqual(expected);
    expect(dryRun.body.repositories.map((r) => r.src).sort()).toEqual(['flt/app-a', 'flt/app-b', 'flt/tools/lint']);
    expect(dryRun.body.totals).toMatchObject({ repositories: 3, artifacts: 3, tags: 4 });
    expect(dryRun.body.repositories.flatMap((r) => r.artifacts).every((a) => !a.present_at_destination)).toBe(true);
    // A dry run copies nothing.
    expect(await distributionTags(dist, 'filtered/app-a')).toEqual([]);

    const execution = await replicate(suite.admin, policyId);
    await expectSucceeded(suite.admin, execution, 3);
    for (const [repository, tags] of Object.entries(expected)) expect(await distributionTags(dist, repository), repository).toEqual(tags);
    for (const absent of ['filtered/other', 'filtered/app-c']) expect(await distributionTags(dist, absent), absent).toEqual([]);
    expect(await digestAt(dist, 'filtered/app-a', 'v1')).toBe(a1.manifest.digest);
    expect(await digestAt(dist, 'filtered/app-b', 'v2')).toBe(b.manifest.digest);
    expect(await digestAt(dist, 'filtered/tools/lint', 'v1')).toBe(lint.manifest.digest);
    expect(await digestAt(dist, 'filtered/app-a', aRc.manifest.digest)).toBeUndefined();
    expect(await digestAt(dist, 'filtered/app-a', aDev.manifest.digest)).toBeUndefined();

    // Afterwards the dry run sees everything already there.
    const again = await suite.admin.post<DryRunView>(`/replication/policies/${policyId}/dry-run`);
    expect(again.body.repositories.flatMap((r) => r.artifacts).every((a) => a.present_at_destination)).toBe(true);
  });

  it('wharf-sync copies a list from Wharf (admin credentials, through the proxy) to the distribution with identical digests', async () => {
    await createProject(suite.admin, 'sync', 'private');
    const app = createTestImage({ layers: 2 });
    const beta = createTestImage();
    const amd64 = createTestImage({ platform: { os: 'linux', architecture: 'amd64' } });
    const arm64 = createTestImage({ platform: { os: 'linux', architecture: 'arm64' } });
    const index = createTestIndex([amd64, arm64]);
    await pushToWharf(suite, 'sync/app', app, ['v1', 'v2']);
    await pushToWharf(suite, 'sync/app', beta, ['beta']);
    await pushIndexToWharf(suite, 'sync/multi', [amd64, arm64], index, ['latest']);

    const authFile = join(dir.path, 'sync-auth.json');
    const imagesFile = join(dir.path, 'sync-images.json');
    await writeFile(
      authFile,
      JSON.stringify({
        [suite.host]: { username: 'admin', password: suite.adminPassword, insecure: true },
        [distHost]: { username: dist.username, password: dist.password, insecure: true },
      }),
    );
    await writeFile(imagesFile, JSON.stringify({ [`${suite.host}/sync/app:v1,beta`]: `${distHost}/synced/app`, [`${suite.host}/sync/multi`]: `${distHost}/synced/multi` }));
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [WHARF_SYNC, '--auth', authFile, '--images', imagesFile, '--retries', '0'], { timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/3 copied, 0 already in sync, 0 failed/);
    expect(run.output).not.toContain(suite.adminPassword);
    expect(run.output).not.toContain(dist.password!);
    expect(await digestAt(dist, 'synced/app', 'v1')).toBe(app.manifest.digest);
    expect(await digestAt(dist, 'synced/app', 'beta')).toBe(beta.manifest.digest);
    expect(await distributionTags(dist, 'synced/app')).toEqual(['beta', 'v1']);
    expect(await rawDigest(`docker://${distHost}/synced/multi:latest`)).toBe(index.digest);
    for (const child of [amd64, arm64]) expect(await digestAt(dist, 'synced/multi', child.manifest.digest)).toBe(child.manifest.digest);
  });

  it('the registry password never shows: not in /registries, not in any service log, not in any task log', async () => {
    const registry = await suite.admin.get<{ credential: { access_key: string; access_secret: string } }>(`/registries/${registryId}`);
    expect(registry.status).toBe(200);
    expect(registry.body.credential).toMatchObject({ type: 'basic', access_secret: '*****' });
    await expectSecretsHidden(suite, [dist.password!]);
  });
});
