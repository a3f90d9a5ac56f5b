import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStackSecrets, REPLICATED_SERVICES, type ReplicatedService } from '@wharf/launcher';
import { createContainersClients, type ContainersClients } from '../src/containers.js';
import { listArtifacts, requireCommands, waitForPullCount, waitForPullTime } from '../src/harbor-checks.js';
import { pullMismatch, pushWithNode, pushWithSkopeo, smallImage, type PushAttempt, type PushTarget } from '../src/faults/push-load.js';
import { createPolicy, createRegistryEndpoint, finished, pushLargeImage, startDistribution, startExecution, taskLogs, wharfDigest, type Distribution } from '../src/replication.js';
import { cleanUp } from '../src/stack.js';
import { startSuite, type Suite } from '../src/suite.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

const REPLICAS = { core: 2, 'registry-facade': 2, jobservice: 2, adapter: 2 } as const;
/** A client operation is tried this many times (with a short wait between), as CI clients retry. */
const CLIENT_ATTEMPTS = 3;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One push or pull as the client saw it: ok after `attempts` tries, or failed every time. */
interface Operation {
  kind: 'push' | 'pull';
  attempts: number;
  ok: boolean;
  errors: string[];
  push?: PushAttempt;
}

/** Retries an operation up to CLIENT_ATTEMPTS times; records what happened. */
async function withRetries(kind: Operation['kind'], attempt: () => Promise<string | undefined>): Promise<Operation> {
  const errors: string[] = [];
  for (let n = 1; n <= CLIENT_ATTEMPTS; n++) {
    const error = await attempt().catch((caught: unknown) => (caught as Error).message ?? String(caught));
    if (error === undefined) return { kind, attempts: n, ok: true, errors };
    errors.push(error.slice(0, 300));
    await sleep(300);
  }
  return { kind, attempts: CLIENT_ATTEMPTS, ok: false, errors };
}

/**
 * Node pushers (new small images), a skopeo pusher and Node pullers (of images pushed before)
 * through the proxy until stopped; every logical operation retried as a client would.
 */
function startLoad(target: PushTarget, project: string, clients: ContainersClients, workDir: string, pullable: readonly PushAttempt[]) {
  const operations: Operation[] = [];
  let stopping = false;
  const pusher = async (client: 'node' | 'skopeo', name: string) => {
    for (let n = 1; !stopping; n++) {
      const image = smallImage();
      const repository = `${project}/${name}`;
      const tag = `t${n}`;
      const startedAt = Date.now();
      const operation = await withRetries('push', async () => {
        if (client === 'skopeo') await pushWithSkopeo(clients, target, workDir, repository, tag, image, 30_000);
        else await pushWithNode(target, repository, tag, image, 30_000);
        return undefined;
      });
      operation.push = { client, repository, tag, image, startedAt, endedAt: Date.now(), ok: operation.ok };
      operations.push(operation);
    }
  };
  const puller = async (offset: number) => {
    for (let n = offset; !stopping; n++) {
      const push = pullable[n % pullable.length]!;
      operations.push(await withRetries('pull', () => pullMismatch(target, push)));
    }
  };
  const loops = [pusher('node', 'node-1'), pusher('node', 'node-2'), pusher('skopeo', 'skopeo'), puller(0), puller(1)];
  return {
    operations,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Harbor's tags of the repository's artifacts, by digest. */
async function listed(suite: Suite, repository: string): Promise<Map<string, string[]>> {
  const [project, ...rest] = repository.split('/');
  const artifacts = await listArtifacts(suite.admin, project!, rest.join('/'));
  return new Map(artifacts.map((artifact) => [artifact.digest, (artifact.tags ?? []).map((tag) => tag.name)]));
}

/** The successful pushes not listed with their tag, polled for up to `timeoutMs`. */
async function unlisted(suite: Suite, pushes: readonly PushAttempt[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing: string[] = [];
    for (const repository of new Set(pushes.map((push) => push.repository))) {
      const tags = await listed(suite, repository).catch(() => new Map<string, string[]>());
      for (const push of pushes.filter((p) => p.repository === repository)) {
        if (!tags.get(push.image.manifest.digest)?.includes(push.tag)) missing.push(`${push.repository}:${push.tag}`);
      }
    }
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await sleep(1000);
  }
}

interface JobView {
  id: string;
  status: string;
}

/**
 * Two replicas of each service behind the launcher's balancers and the proxy's: push and pull
 * with skopeo and a registry client, pull counts from the registry events, a replication and
 * jobs; then, under a push and pull load with a replication and jobs running, kill -9 of one
 * replica of each service in turn.
 */
describe('two replicas of each service', () => {
  let suite: Suite;
  let dir: TempDir;
  let dist: Distribution;
  let clients: ContainersClients;
  let target: PushTarget;
  let registryId: number;
  let secret: string;
  const cleanups: (() => Promise<unknown>)[] = [];
  const supervisor: string[] = [];

  beforeAll(async () => {
    requireCommands({ 'docker-registry': 'docker-registry', skopeo: 'skopeo' });
    dir = await createTempDir('replicas');
    cleanups.unshift(() => dir.remove());
    await mkdir(join(dir.path, 'dist'));
    dist = await startDistribution(join(dir.path, 'dist'), { kind: 'basic' });
    cleanups.unshift(() => dist.stop());
    suite = await startSuite('replicas', { replicas: REPLICAS, report: (line) => supervisor.push(line) });
    cleanups.unshift(() => suite.stop());
    secret = ensureStackSecrets(join(suite.dir, 'data')).secret;
    clients = await createContainersClients(join(dir.path, 'clients'), [suite.host]);
    target = { url: suite.url, host: suite.host, username: 'admin', password: suite.adminPassword };
    registryId = await createRegistryEndpoint(suite.admin, 'replicas-source', dist);
  }, 240_000);

  afterAll(async () => {
    await cleanUp(cleanups);
  }, 120_000);

  /** Submits a DEMO job at jobservice's balanced address. */
  async function submitDemo(sleepMs: number): Promise<string> {
    const answer = await fetch(`${suite.jobserviceUrl}/api/v1/jobs`, {
      method: 'POST',
      headers: { Authorization: `Harbor-Secret ${secret}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ job: { name: 'DEMO', parameters: { sleep_ms: sleepMs }, metadata: { kind: 'Generic' } } }),
    });
    const body = (await answer.json()) as { job: JobView };
    if (answer.status !== 202) throw new Error(`job submit answered ${answer.status}: ${JSON.stringify(body)}`);
    return body.job.id;
  }

  /** The jobs' statuses once every one ended (Success, Error or Stopped), or as they stand after `timeoutMs`. */
  async function jobsEnded(ids: readonly string[], timeoutMs: number): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses: Record<string, string> = {};
      for (const id of ids) {
        const answer = await fetch(`${suite.jobserviceUrl}/api/v1/jobs/${id}`, { headers: { Authorization: `Harbor-Secret ${secret}` } }).catch(() => undefined);
        statuses[id] = answer?.ok ? ((await answer.json()) as { job: JobView }).job.status : `unanswered (${answer?.status ?? 'no connection'})`;
      }
      if (Object.values(statuses).every((status) => ['Success', 'Error', 'Stopped'].includes(status)) || Date.now() > deadline) return statuses;
      await sleep(500);
    }
  }

  /** A replication of `count` fresh repositories of `size` bytes from the docker-registry into `destination`, started. */
  async function startReplication(name: string, count: number, size: number, speedKiB?: number) {
    const sources: { name: string; digest: string }[] = [];
    for (let n = 1; n <= count; n++) {
      const repository = `${name}/img-${n}`;
      sources.push({ name: repository, digest: (await pushLargeImage(dist, repository, 'v1', size)).manifestDigest });
    }
    await suite.admin.createProject(`${name}-copy`, { public: false });
    const policyId = await createPolicy(suite.admin, {
      name,
      src_registry: { id: registryId },
      dest_namespace: `${name}-copy`,
      filters: [{ type: 'name', value: `${name}/**` }],
      override: true,
      ...(speedKiB ? { speed: speedKiB } : {}),
    });
    return { executionId: await startExecution(suite.admin, policyId), sources, destination: `${name}-copy` };
  }

  async function wrongDigests(replication: { sources: { name: string; digest: string }[]; destination: string }): Promise<string[]> {
    const wrong: string[] = [];
    for (const source of replication.sources) {
      const copied = `${replication.destination}/${source.name.split('/').pop()}`;
      const digest = await wharfDigest(suite, copied, 'v1').catch(() => undefined);
      if (digest !== source.digest) wrong.push(`${copied}:v1 is ${digest ?? 'absent'}, source ${source.digest}`);
    }
    return wrong;
  }

  it('runs each replica as its own process on its own port, with its own log', async () => {
    for (const service of REPLICATED_SERVICES) {
      const names = suite.stack.replicasOf(service);
      expect(names).toEqual([`${service}-1`, `${service}-2`]);
      const pids = names.map((name) => suite.stack.service(name).pid);
      expect(new Set(pids).size).toBe(2);
      for (const name of names) expect((await readFile(join(suite.dir, 'logs', `${name}.log`), 'utf8')).length).toBeGreaterThan(0);
    }
  });

  it('pushes and pulls with skopeo through the proxy, spread over both replicas, and counts the pulls from the registry events', async () => {
    await suite.admin.createProject('basic', { public: false });
    const image = smallImage();
    const workDir = join(dir.path, 'basic');
    await mkdir(workDir, { recursive: true });
    await pushWithSkopeo(clients, target, workDir, 'basic/app', 'v1', image, 60_000);
    const pulled = join(workDir, 'pulled');
    for (let n = 0; n < 6; n++) {
      await rm(pulled, { recursive: true, force: true });
      const result = await clients.skopeo(['copy', '--src-tls-verify=false', '--src-creds', `admin:${suite.adminPassword}`, `docker://${suite.host}/basic/app:v1`, `oci:${pulled}:v1`], { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
    }
    const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests[0]?.digest).toBe(image.manifest.digest);
    expect(await waitForPullCount(suite.admin, 'basic', 'app', 6, 30_000)).toBeGreaterThanOrEqual(6);
    await waitForPullTime(suite.admin, 'basic', 'app', image.manifest.digest, 30_000);
    // Both replicas of core and of registry-facade answered requests of the client.
    for (const service of ['core', 'registry-facade'] as const) {
      for (const name of suite.stack.replicasOf(service)) expect(await suite.log(name), `${name} served /v2`).toMatch(/"(url|path)":"\/v2\/basic\/app\//);
    }
  }, 180_000);

  it('runs a replication and jobs on the replicas', async () => {
    const replication = await startReplication('plain', 3, 2 * MiB);
    const jobs = await Promise.all([1, 2, 3, 4].map(() => submitDemo(500)));
    const execution = await finished(suite.admin, replication.executionId, 120_000);
    expect(execution.status, (await taskLogs(suite.admin, replication.executionId)).join('\n')).toBe('Succeed');
    expect(await wrongDigests(replication)).toEqual([]);
    expect(Object.values(await jobsEnded(jobs, 60_000))).toEqual(['Success', 'Success', 'Success', 'Success']);
  }, 240_000);

  describe('kill -9 of one replica under load', () => {
    let pullable: PushAttempt[];

    beforeAll(async () => {
      await suite.admin.createProject('load', { public: false });
      pullable = [];
      for (let n = 1; n <= 4; n++) {
        const image = smallImage();
        await pushWithNode(target, `load/pulled`, `p${n}`, image, 30_000);
        pullable.push({ client: 'node', repository: 'load/pulled', tag: `p${n}`, image, startedAt: 0, endedAt: 0, ok: true });
      }
    }, 120_000);

    const ROUNDS: { service: ReplicatedService; replica: number }[] = [
      { service: 'registry-facade', replica: 1 },
      { service: 'core', replica: 2 },
      { service: 'jobservice', replica: 1 },
      { service: 'adapter', replica: 2 },
    ];

    ROUNDS.forEach(({ service, replica }, index) => {
      it(`${service}-${replica}: every client operation succeeds within its retries, no push is lost, the replication and the jobs end`, async () => {
        const round = index + 1;
        const victimName = `${service}-${replica}`;
        const project = `k${round}`;
        await suite.admin.createProject(project, { public: false });
        const workDir = join(dir.path, project);
        await mkdir(workDir, { recursive: true });
        const exitsBefore = suite.stack.exits.length;
        const replication = await startReplication(`rep${round}`, 2, 6 * MiB, 2048);
        const jobs = await Promise.all([1, 2, 3, 4].map(() => submitDemo(3000)));
        const load = startLoad(target, project, clients, workDir, pullable);
        let victimPid: number;
        try {
          await sleep(2000);
          const victim = suite.stack.service(victimName);
          victimPid = victim.pid;
          process.kill(victimPid, 'SIGKILL');
          await victim.exited;
          await suite.stack.waitUntilReady(victimName, { exceptPid: victimPid, timeoutMs: 60_000 });
          await sleep(2000);
        } finally {
          await load.stop();
        }
        const operations = load.operations;
        const failed = operations.filter((op) => !op.ok);
        const retried = operations.filter((op) => op.attempts > 1);
        process.stdout.write(
          `[replicas] kill -9 ${victimName}: ${operations.length} operations, ${retried.length} retried, ${failed.length} failed\n` +
            retried.map((op) => `  ${op.kind} after ${op.attempts}: ${op.errors.join(' | ')}\n`).join(''),
        );
        expect.soft(failed.map((op) => `${op.kind}: ${op.errors.join(' | ')}`), 'client operations that failed every attempt').toEqual([]);
        expect.soft(operations.filter((op) => op.kind === 'push' && op.ok).length, 'pushes that succeeded').toBeGreaterThan(3);

        const pushes = operations.filter((op) => op.ok && op.push).map((op) => op.push!);
        const notIdentical: string[] = [];
        for (const push of pushes) {
          const mismatch = await pullMismatch(target, push);
          if (mismatch) notIdentical.push(mismatch);
        }
        expect.soft(notIdentical, 'successful pushes that do not pull back identical').toEqual([]);
        expect.soft(await unlisted(suite, pushes), 'successful pushes missing from the Harbor API').toEqual([]);

        const execution = await finished(suite.admin, replication.executionId, 150_000).catch((error: unknown) => ({ status: `not ended: ${(error as Error).message}` }));
        expect.soft(execution.status, (await taskLogs(suite.admin, replication.executionId).catch(() => [])).join('\n').slice(-4000)).toBe('Succeed');
        if (execution.status === 'Succeed') expect.soft(await wrongDigests(replication)).toEqual([]);
        const statuses = await jobsEnded(jobs, 90_000);
        expect.soft(Object.values(statuses), JSON.stringify(statuses)).toEqual(['Success', 'Success', 'Success', 'Success']);

        const unexpected = suite.stack.exits.slice(exitsBefore).filter((exit) => !(exit.name === victimName && exit.pid === victimPid));
        expect.soft(unexpected.map((exit) => `${exit.name} ${exit.status}`), `exits the kill does not explain; supervisor:\n${supervisor.join('\n')}`).toEqual([]);
      }, 400_000);
    });
  });
});
