import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startPrivatePostgres,
  startPrivateRabbit,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRabbit,
  type PrivateServer,
  type RedisStopMode,
} from '@wharf/testing';
import { createContainersClients, type ContainersClients } from '../containers.js';
import { requireCommands } from '../harbor-checks.js';
import { createRegistryEndpoint, pushLargeImage, startDistribution, type Distribution } from '../replication.js';
import { startSuite, type Suite } from '../suite.js';
import { cleanUp } from '../stack.js';
import { createTempDir, type TempDir } from '../temp-dir.js';
import type { PushTarget } from './push-load.js';

/** What a replication of one fault round copies: repositories of the docker-registry and their digests. */
export interface ReplicationSource {
  /** Matches every repository of the round (`src<n>/**`). */
  filter: string;
  repositories: { name: string; tag: string; digest: string }[];
}

/**
 * Everything the fault suite needs, started once and shared by every fault: Postgres, Redis
 * and RabbitMQ of its own (so that restarting them disturbs no other test on the machine),
 * the whole Wharf suite on them (supervised, as `npm start` runs it), a docker-registry with
 * content for one replication per fault, and skopeo with its state in a temp dir.
 */
export interface FaultBed {
  dir: TempDir;
  postgres: PrivatePostgres;
  redis: PrivateServer<RedisStopMode>;
  rabbit: PrivateRabbit;
  suite: Suite;
  dist: Distribution;
  /** The docker-registry's endpoint in Wharf. */
  registryId: number;
  clients: ContainersClients;
  target: PushTarget;
  /** One replication source per round, in round order. */
  sources: ReplicationSource[];
  /** What the stack's supervisor reported (a service that exited, restarted, back). */
  supervisorLines: { at: number; line: string }[];
  stop(): Promise<void>;
}

/** Like Promise.all, but waits for every start to settle first, so that none is left running unseen when another fails. */
async function allStarted<T extends readonly unknown[]>(starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Starts a {@link FaultBed} with `rounds` replication sources of `repositoriesPerRound`
 * repositories, each one image with a single layer of `layerSize` random bytes.
 */
export async function startFaultBed(label: string, options: { rounds: number; repositoriesPerRound: number; layerSize: number }): Promise<FaultBed> {
  requireCommands({ 'docker-registry': 'docker-registry', skopeo: 'skopeo', 'redis-server': 'redis-server', 'rabbitmq-server': 'rabbitmq-server' });
  const dir = await createTempDir(label);
  const cleanups: (() => Promise<unknown>)[] = [() => dir.remove()];
  const remember = <T extends { stop(): Promise<void> }>(server: T): T => {
    cleanups.unshift(() => server.stop());
    return server;
  };
  try {
    await mkdir(join(dir.path, 'dist'));
    const [postgres, redis, rabbit, dist] = await allStarted([
      startPrivatePostgres({ label }).then(remember),
      startPrivateRedis({ label }).then(remember),
      startPrivateRabbit({ label }).then(remember),
      startDistribution(join(dir.path, 'dist'), { kind: 'basic' }).then(remember),
    ] as const);
    const supervisorLines: FaultBed['supervisorLines'] = [];
    const [suite, sources] = await allStarted([
      startSuite(label, {
        infrastructure: { databaseUrl: postgres.databaseUrl('wharf_faults'), redisUrl: redis.url, amqpUrl: rabbit.url },
        report: (line) => supervisorLines.push({ at: Date.now(), line }),
      }).then(remember),
      seedSources(dist, options),
    ] as const);
    const registryId = await createRegistryEndpoint(suite.admin, 'faults-source', dist);
    const clients = await createContainersClients(join(dir.path, 'clients'), [suite.host]);
    return {
      dir,
      postgres,
      redis,
      rabbit,
      suite,
      dist,
      registryId,
      clients,
      target: { url: suite.url, host: suite.host, username: 'admin', password: suite.adminPassword },
      sources,
      supervisorLines,
      stop: () => cleanUp(cleanups),
    };
  } catch (error) {
    await cleanUp(cleanups).catch(() => undefined);
    throw error;
  }
}

/** Pushes the content of every round's replication into the docker-registry (new random bytes each, so nothing is mounted from an earlier round). */
async function seedSources(dist: Distribution, options: { rounds: number; repositoriesPerRound: number; layerSize: number }): Promise<ReplicationSource[]> {
  const sources: ReplicationSource[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const repositories: ReplicationSource['repositories'] = [];
    for (let n = 1; n <= options.repositoriesPerRound; n++) {
      const name = `src${round}/big-${n}`;
      const { manifestDigest } = await pushLargeImage(dist, name, 'v1', options.layerSize);
      repositories.push({ name, tag: 'v1', digest: manifestDigest });
    }
    sources.push({ filter: `src${round}/**`, repositories });
  }
  return sources;
}
