/**
 * The whole Wharf suite against CNCF distribution (docker-registry 2.8), all with token auth,
 * in one run on this machine. Three targets:
 *
 *   wharf via proxy   the suite as `npm start` starts it (launcher's startStack: proxy → core →
 *                     registry-facade), admin user, a project made with POST /api/v2.0/projects,
 *                     a token from the proxy's /service/token; every request enters at the proxy
 *   facade direct     the registry-facade of that same stack on its own port, with a token core
 *                     issued (the facade checks it against core's JWKS, as the launcher sets it up)
 *   distribution      Debian's docker-registry with `auth.token` (realm, service, issuer,
 *                     rootcertbundle): a self-signed ES256 certificate made with openssl in the
 *                     temp dir, tokens from the tests' token server (test/src/token-server.ts)
 *
 * Each client learns its realm and service from the target's 401 challenge on /v2/ and asks
 * that realm for a token with Basic credentials (`scope=repository:<name>:pull,push,delete`),
 * as docker does; tokens are fetched again before every round (never timed).
 *
 * Measured per target (medians of BENCH_ROUNDS rounds after one warm-up round; the order of
 * the targets rotates from round to round):
 *   - blob push: BENCH_BLOB_MB MiB as POST, one streamed PATCH, PUT ?digest= (MB/s)
 *   - blob pull: GET, size and sha256 verified while reading (MB/s)
 *   - manifest GET by tag: BENCH_CONNECTIONS workers, one request in flight each over its own
 *     keep-alive connection, for BENCH_GET_SECONDS; every body compared with the manifest
 *     pushed (req/s, p50/p99 latency). Wharf records a pull event for each GET (the facade's
 *     outbox, delivered to core): that is the product's behaviour and is measured as it is.
 *   - CPU seconds of every process during each phase (/proc/<pid>/stat): proxy, core,
 *     registry-facade, the Postgres backends serving the bench's database and redis-server for
 *     the Wharf targets, docker-registry for distribution, and this client. Shown per GiB and
 *     per request; after each phase the bench waits until the servers are quiet and reports
 *     the CPU used meanwhile ("after": pull events being delivered and applied) apart from
 *     the CPU during the phase.
 * Ratios: wharf via proxy / distribution and facade direct / distribution. Nothing is asserted
 * about timings. The same client (lib/http-client.ts) is used for every target, and a null
 * server measured first shows the client's own ceiling on this machine.
 *
 *   npm run bench:suite                                     (builds first; ~10 minutes)
 *   BENCH_BLOB_MB=64 BENCH_ROUNDS=1 BENCH_GET_SECONDS=3 npm run bench:suite   (a quick run)
 *
 * Everything runs on a throwaway database and Redis key prefix (@wharf/testing's
 * createTestDatabase / createTestRedisNamespace, as the tests do) and in a temp dir, all
 * removed at the end: the user's data is never touched. Postgres and Redis must be reachable
 * (TEST_DATABASE_URL, TEST_REDIS_URL; local defaults); the launcher's ensureInfrastructure
 * checks them and starts them where it can.
 * The services write their output straight into <temp>/wharf/logs/*.log.
 *
 * Settings (environment):
 *   BENCH_BLOB_MB       blob size in MiB (1024)
 *   BENCH_ROUNDS        measured rounds; medians are reported (3)
 *   BENCH_GET_SECONDS   length of each measured manifest GET run in seconds (10)
 *   BENCH_CONNECTIONS   concurrent keep-alive connections for manifest GETs (32)
 *   BENCH_BLOCK_MB      size of the repeated random block in MiB (8)
 *   BENCH_LOG_LEVEL     log level of every service and of distribution (info)
 *   BENCH_REGISTRY_ROUTE  where the proxy sends blob traffic, core or registry (the launcher's default)
 *   BENCH_SETTLE_SECONDS  longest wait for the servers to go quiet after a phase (120)
 *   BENCH_KEEP=1        keep the temp directory (logs, storage) for a look afterwards
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestImage, type TestBlob } from '../packages/testing/dist/index.js';
import { BlobPattern, newNonce } from './lib/blob-source.ts';
import { startWharfAndDistribution } from './lib/against-distribution.ts';
import { calibrate, Cleanups, describeCeiling, ensureTestInfrastructure, intSetting, machine, mbps, runBench, syncDisks, type Ceiling } from './lib/harness.ts';
import { BenchClient } from './lib/http-client.ts';
import { deleteBlob, getRepeatedly, MANIFEST_ACCEPT, pullBlob, pushSmallBlob, pushStreamedBlob, putManifest, smallManifests } from './lib/operations.ts';
import { settle, watchCpu, type ProcessGroup } from './lib/registries.ts';
import { fixed, median, MIB, out, quantile, table } from './lib/report.ts';
import { discoverTokenRealm, requestToken } from './lib/token-auth.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function registryRouteSetting(): 'core' | 'registry' | undefined {
  const raw = process.env.BENCH_REGISTRY_ROUTE || undefined;
  if (raw === undefined || raw === 'core' || raw === 'registry') return raw;
  throw new Error(`BENCH_REGISTRY_ROUTE must be core or registry, got ${JSON.stringify(raw)}`);
}

const settings = {
  blobBytes: intSetting('BENCH_BLOB_MB', 1024, 1) * MIB,
  rounds: intSetting('BENCH_ROUNDS', 3, 1),
  getSeconds: intSetting('BENCH_GET_SECONDS', 10, 1),
  connections: intSetting('BENCH_CONNECTIONS', 32, 1),
  blockBytes: intSetting('BENCH_BLOCK_MB', 8, 1) * MIB,
  logLevel: process.env.BENCH_LOG_LEVEL || 'info',
  registryRoute: registryRouteSetting(),
  settleSeconds: intSetting('BENCH_SETTLE_SECONDS', 120, 1),
  keep: process.env.BENCH_KEEP === '1',
};
const GET_WARM_UP_SECONDS = Math.min(2, settings.getSeconds);

/** This process, in the per-process CPU figures. */
const CLIENT = 'client (this process)';

interface Target {
  label: string;
  client: BenchClient;
  /** The processes whose CPU is counted for this target. */
  groups: ProcessGroup[];
  credentials: { username: string; password: string };
  blobRepository: string;
  getRepository: string;
  /** The manifest the GETs must return. */
  manifest?: TestBlob;
  push: number[];
  pull: number[];
  getRate: number[];
  getP50: number[];
  getP99: number[];
  /** Per process (and CLIENT), per measured round: CPU s/GiB pushed, s/GiB pulled, µs per GET during the run and after it. */
  pushCpu: Map<string, number[]>;
  pullCpu: Map<string, number[]>;
  getCpu: Map<string, number[]>;
  getAfterCpu: Map<string, number[]>;
}

const cleanups = new Cleanups();

function newTarget(label: string, url: string, groups: ProcessGroup[], credentials: Target['credentials'], repositoryPrefix: string): Target {
  return {
    label,
    client: new BenchClient(url),
    groups,
    credentials,
    blobRepository: `${repositoryPrefix}/blobs`,
    getRepository: `${repositoryPrefix}/manifests`,
    push: [],
    pull: [],
    getRate: [],
    getP50: [],
    getP99: [],
    pushCpu: new Map(),
    pullCpu: new Map(),
    getCpu: new Map(),
    getAfterCpu: new Map(),
  };
}

/** A fresh token from the realm the target's challenge names, for both of its repositories. */
async function authorize(target: Target): Promise<void> {
  const { realm, service } = await discoverTokenRealm(target.client.baseUrl);
  const token = await requestToken(realm, {
    service,
    scopes: [`repository:${target.blobRepository}:pull,push,delete`, `repository:${target.getRepository}:pull,push`],
    ...target.credentials,
  });
  target.client.authorization = `Bearer ${token}`;
}

function record(into: Map<string, number[]>, cpu: Record<string, number>, clientCpu: number, per: number): void {
  for (const [name, seconds] of [...Object.entries(cpu), [CLIENT, clientCpu] as const]) {
    const values = into.get(name) ?? [];
    values.push(seconds / per);
    into.set(name, values);
  }
}

/** `proxy 1.23, core 0.45, …` (the processes in the target's order, then the client). */
function describeCpu(cpu: Record<string, number>, clientCpu: number, per: number, digits: number): string {
  return [...Object.entries(cpu), ['client', clientCpu] as const].map(([name, seconds]) => `${name} ${fixed(seconds / per, digits)}`).join(', ');
}

async function blobRound(target: Target, pattern: BlobPattern, measured: boolean): Promise<void> {
  await authorize(target);
  const blob = { nonce: newNonce(), size: settings.blobBytes, digest: '' };
  blob.digest = pattern.digest(blob.nonce, blob.size); // untimed first pass
  syncDisks();
  const pushed = await watchCpu(target.groups, () => pushStreamedBlob(target.client, target.blobRepository, pattern, blob));
  await settle(target.groups, settings.settleSeconds);
  const pulled = await watchCpu(target.groups, () => pullBlob(target.client, target.blobRepository, blob));
  await deleteBlob(target.client, target.blobRepository, blob.digest);
  const gib = blob.size / 2 ** 30;
  const tag = measured ? '' : '  [warm-up]';
  out(`  ${target.label.padEnd(16)} push ${fixed(mbps(blob.size, pushed.result)).padStart(7)} MB/s  CPU s/GiB: ${describeCpu(pushed.cpu, pushed.clientCpu, gib, 2)}${tag}\n`);
  out(`  ${''.padEnd(16)} pull ${fixed(mbps(blob.size, pulled.result)).padStart(7)} MB/s  CPU s/GiB: ${describeCpu(pulled.cpu, pulled.clientCpu, gib, 2)}${tag}\n`);
  if (!measured) return;
  target.push.push(mbps(blob.size, pushed.result));
  target.pull.push(mbps(blob.size, pulled.result));
  record(target.pushCpu, pushed.cpu, pushed.clientCpu, gib);
  record(target.pullCpu, pulled.cpu, pulled.clientCpu, gib);
}

/** One image (config, one tiny layer, an OCI manifest) pushed by tag `latest`: what the GETs read. */
async function prepareGets(target: Target): Promise<void> {
  await authorize(target);
  const image = createTestImage({ layers: 1, layerSize: 256 });
  const layer = image.layers[0]!;
  await pushSmallBlob(target.client, target.getRepository, image.config);
  await pushSmallBlob(target.client, target.getRepository, layer);
  const [manifest] = smallManifests(image.config, layer, 'suite-bench', 1);
  await putManifest(target.client, target.getRepository, 'latest', manifest!);
  target.manifest = manifest;
}

async function getRound(target: Target, measured: boolean): Promise<void> {
  await authorize(target);
  const connectionsBefore = target.client.connectionsOpened;
  const seconds = measured ? settings.getSeconds : GET_WARM_UP_SECONDS;
  const watched = await watchCpu(target.groups, () =>
    getRepeatedly(target.client, `/v2/${target.getRepository}/manifests/latest`, {
      connections: settings.connections,
      seconds,
      headers: { Accept: MANIFEST_ACCEPT },
      expected: target.manifest!.bytes,
    }),
  );
  const after = await settle(target.groups, settings.settleSeconds);
  const run = watched.result;
  const rate = run.requests / run.seconds;
  const p50 = quantile(run.latencies, 0.5);
  const p99 = quantile(run.latencies, 0.99);
  const perRequest = run.requests / 1e6; // CPU seconds / this = µs per request
  const opened = target.client.connectionsOpened - connectionsBefore;
  out(
    `  ${target.label.padEnd(16)} ${run.requests} GETs in ${fixed(run.seconds, 2)} s: ${fixed(rate).padStart(8)} req/s, p50 ${fixed(p50, 2)} ms, p99 ${fixed(p99, 2)} ms, ` +
      `${opened} new connection(s)${measured ? '' : '  [warm-up]'}\n`,
  );
  out(`  ${''.padEnd(16)} CPU µs/req during: ${describeCpu(watched.cpu, watched.clientCpu, perRequest, 0)}\n`);
  out(
    `  ${''.padEnd(16)} CPU µs/req after (${fixed(after.seconds, 1)} s until quiet${after.seconds >= settings.settleSeconds ? ', STILL BUSY' : ''}): ` +
      `${Object.entries(after.cpu).map(([name, cpu]) => `${name} ${fixed(cpu / perRequest, 0)}`).join(', ')}\n`,
  );
  if (!measured) return;
  target.getRate.push(rate);
  target.getP50.push(p50);
  target.getP99.push(p99);
  record(target.getCpu, watched.cpu, watched.clientCpu, perRequest);
  record(target.getAfterCpu, after.cpu, 0, perRequest);
}

function summary(targets: Target[], ceiling: Ceiling): void {
  const [proxy, facade, distribution] = targets as [Target, Target, Target];
  const blobLabel = `${settings.blobBytes / MIB} MiB`;
  const serverTotal = (cpu: Map<string, number[]>): number => [...cpu].filter(([name]) => name !== CLIENT).reduce((sum, [, values]) => sum + median(values), 0);
  type Row = { metric: string; pick: (t: Target) => number; digits: number };
  const rows: Row[] = [
    { metric: `blob push ${blobLabel} (MB/s)`, pick: (t) => median(t.push), digits: 1 },
    { metric: `blob pull ${blobLabel} (MB/s)`, pick: (t) => median(t.pull), digits: 1 },
    { metric: `manifest GET, ${settings.connections} connections (req/s)`, pick: (t) => median(t.getRate), digits: 1 },
    { metric: 'manifest GET p50 latency (ms)', pick: (t) => median(t.getP50), digits: 2 },
    { metric: 'manifest GET p99 latency (ms)', pick: (t) => median(t.getP99), digits: 2 },
    { metric: 'server CPU per GiB pushed (s)', pick: (t) => serverTotal(t.pushCpu), digits: 2 },
    { metric: 'server CPU per GiB pulled (s)', pick: (t) => serverTotal(t.pullCpu), digits: 2 },
    { metric: 'server CPU per manifest GET, during (µs)', pick: (t) => serverTotal(t.getCpu), digits: 0 },
    { metric: 'server CPU per manifest GET, after (µs)', pick: (t) => serverTotal(t.getAfterCpu), digits: 0 },
  ];
  out(`\nResults (median of ${settings.rounds} round(s); MB = 10^6 bytes; server CPU = every process listed below but the client)\n\n`);
  out(
    table(
      ['metric', proxy.label, facade.label, distribution.label, 'proxy/distribution', 'facade/distribution'],
      rows.map((row) => {
        const [a, b, c] = [row.pick(proxy), row.pick(facade), row.pick(distribution)];
        return [row.metric, fixed(a, row.digits), fixed(b, row.digits), fixed(c, row.digits), fixed(a / c, 2), fixed(b / c, 2)];
      }),
    ),
  );

  const processes = [...new Set(targets.flatMap((t) => [...t.groups.map((g) => g.name)])), CLIENT];
  const perProcess = (title: string, pick: (t: Target) => Map<string, number[]>, digits: number): void => {
    out(`\n${title}\n\n`);
    out(
      table(
        ['process', ...targets.map((t) => t.label)],
        processes.map((name) => [name, ...targets.map((t) => (pick(t).has(name) ? fixed(median(pick(t).get(name)!), digits) : '-'))]),
      ),
    );
  };
  perProcess('CPU seconds per GiB pushed, per process (median)', (t) => t.pushCpu, 2);
  perProcess('CPU seconds per GiB pulled, per process (median)', (t) => t.pullCpu, 2);
  perProcess('CPU µs per manifest GET while the GETs ran, per process (median)', (t) => t.getCpu, 0);
  perProcess('CPU µs per manifest GET after the run until the servers were quiet (pull events), per process (median)', (t) => t.getAfterCpu, 0);

  out(`\nClient ceiling (same client, null server in its own process, no disk, no auth): ${describeCeiling(ceiling)}\n`);
  out(
    'CPU: utime+stime from /proc/<pid>/stat (10 ms ticks). postgres backends: those serving the bench\'s own database ' +
      "(Postgres's shared walwriter/checkpointer are not counted); redis-server: the machine's one server, shared.\n",
  );
  out(`Services log at ${settings.logLevel} straight into their files (as distribution does).\n`);
}

async function main(): Promise<void> {
  cleanups.onSignals();
  out(`Wharf suite benchmark (proxy → core → registry-facade, registry-facade direct, distribution; token auth everywhere)\n${machine()}\n`);
  out(
    `blob ${settings.blobBytes / MIB} MiB (random ${settings.blockBytes / MIB} MiB block repeated, unique per push), ` +
      `manifest GETs ${settings.connections} connections x ${settings.getSeconds} s, ${settings.rounds} round(s) + 1 warm-up, ` +
      `log level ${settings.logLevel}, proxy registry route ${settings.registryRoute ?? "(the launcher's default)"}\n`,
  );
  await ensureTestInfrastructure(ROOT);

  const workDir = cleanups.workDir('wharf-suite-bench-', settings.keep);
  out(`work dir ${workDir}\n\n`);

  const { wharf, adminPassword, distribution, tokens, wharfGroups, distributionGroups } = await startWharfAndDistribution(cleanups, {
    rootDir: ROOT,
    workDir,
    logLevel: settings.logLevel,
    registryRoute: settings.registryRoute,
  });
  out(`wharf: proxy ${wharf.url}, registry-facade ${wharf.registryUrl}; ${wharf.services.map((s) => `${s.name} pid ${s.pid}`).join(', ')}\n`);
  out(`distribution ${distribution.url} (pid ${distribution.pid}), token realm ${tokens.auth.realm}\n`);

  const project = 'bench';
  await wharf.admin.createProject(project);
  out(`project ${project} created with POST /api/v2.0/projects as admin\n`);

  const adminCredentials = { username: 'admin', password: adminPassword };
  const targets = [
    newTarget('wharf via proxy', wharf.url, wharfGroups, adminCredentials, `${project}/via-proxy`),
    newTarget('facade direct', wharf.registryUrl, wharfGroups, adminCredentials, `${project}/direct`),
    newTarget('distribution', distribution.url, distributionGroups, { username: tokens.username, password: tokens.password }, `${project}/distribution`),
  ];
  cleanups.push(() => {
    for (const target of targets) target.client.close();
  });
  for (const target of targets) {
    const { realm, service } = await discoverTokenRealm(target.client.baseUrl);
    out(`  ${target.label.padEnd(16)} ${target.client.baseUrl}: token realm ${realm}, service ${service}\n`);
  }
  const pattern = new BlobPattern(settings.blockBytes);
  const rotated = (round: number): Target[] => targets.map((_, i) => targets[(i + round) % targets.length]!);

  for (const target of targets) await prepareGets(target);
  const manifest = targets[0]!.manifest!;

  out('\nClient calibration (null server: discards uploads, serves bytes from memory; GETs of a body the size of the manifest)\n');
  const ceiling = await calibrate(pattern, {
    rounds: settings.rounds,
    blobBytes: settings.blobBytes,
    reads: { connections: settings.connections, seconds: settings.getSeconds, warmUpSeconds: GET_WARM_UP_SECONDS, size: manifest.size },
  });

  out('\nBlob push + pull (push: POST, one streamed PATCH, PUT ?digest=; pull: GET, sha256 verified while reading)\n');
  for (let round = 0; round <= settings.rounds; round += 1) {
    for (const target of rotated(round)) await blobRound(target, pattern, round > 0);
  }

  out(`\nManifest GETs by tag (${settings.connections} keep-alive connections, one request in flight on each; every body compared with the manifest pushed)\n`);
  out(`  manifest ${manifest.size} bytes (${manifest.mediaType}), pushed by tag latest to each target before the blob rounds\n`);
  for (let round = 0; round <= settings.rounds; round += 1) {
    for (const target of rotated(round)) await getRound(target, round > 0);
  }

  summary(targets, ceiling);
}

await runBench(main, cleanups);
