/**
 * registry-facade against CNCF distribution (docker-registry 2.8), both started here, in
 * one run on this machine: 1 GiB blob push and pull (MB/s), 1,000 small manifest PUTs
 * (req/s) and the facade's peak RSS while it streams the blob. Prints figures and ratios;
 * asserts nothing about timings.
 *
 *   npm run bench                                   (builds first)
 *   BENCH_BLOB_MB=64 BENCH_MANIFESTS=100 BENCH_ROUNDS=1 npm run bench   (a quick run)
 *
 * Both registries get the same client (lib/http-client.ts): uploads over node:http with a
 * keep-alive agent and 8 MiB writes; downloads through a lean HTTP/1.1 reader over one
 * reused 4 MiB buffer, hashing as bytes arrive (node:http's receive path costs ~3x the CPU,
 * which on a 2-core machine is taken from the registry). A null server measured first shows
 * the client's own ceiling. Both registries log straight to a file in the temp dir.
 *
 * Settings (environment):
 *   BENCH_BLOB_MB       blob size in MiB (1024)
 *   BENCH_MANIFESTS     manifests per round (1000)
 *   BENCH_ROUNDS        measured rounds; medians are reported (3)
 *   BENCH_CONCURRENCY   manifest PUTs in flight (8)
 *   BENCH_BLOCK_MB      size of the repeated random block in MiB (8)
 *   BENCH_LOG_LEVEL     log level of both registries (info, both registries' default)
 *   BENCH_FACADE_ENV    JSON object of extra facade environment, e.g. '{"NODE_OPTIONS":"--cpu-prof --cpu-prof-dir=/tmp/prof"}'
 *   BENCH_FACADE_ENTRY  another facade build's main.js to measure instead (A/B comparisons)
 *   BENCH_KEEP=1        keep the temp directory (logs, storage) for a look afterwards
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestImage } from '../packages/testing/dist/index.js';
import { BlobPattern, newNonce } from './lib/blob-source.ts';
import { calibrate, Cleanups, describeCeiling, intSetting, machine, mbps, runBench, syncDisks, tail, type Ceiling } from './lib/harness.ts';
import { BenchClient } from './lib/http-client.ts';
import { deleteBlob, pullBlob, pushManifests, pushSmallBlob, pushStreamedBlob, smallManifests } from './lib/operations.ts';
import { startDistribution, startFacade, memoryOf, watchProcess, type RunningRegistry, type Watched } from './lib/registries.ts';
import { fixed, MB, median, MIB, out, quantile, table } from './lib/report.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const settings = {
  blobBytes: intSetting('BENCH_BLOB_MB', 1024, 1) * MIB,
  manifests: intSetting('BENCH_MANIFESTS', 1000, 1),
  rounds: intSetting('BENCH_ROUNDS', 3, 1),
  concurrency: intSetting('BENCH_CONCURRENCY', 8, 1),
  blockBytes: intSetting('BENCH_BLOCK_MB', 8, 1) * MIB,
  logLevel: process.env.BENCH_LOG_LEVEL || 'info',
  facadeEnv: JSON.parse(process.env.BENCH_FACADE_ENV || '{}') as NodeJS.ProcessEnv,
  facadeEntry: process.env.BENCH_FACADE_ENTRY || undefined,
  keep: process.env.BENCH_KEEP === '1',
};

interface Target {
  registry: RunningRegistry;
  client: BenchClient;
  push: number[];
  pull: number[];
  manifestRate: number[];
  manifestP50: number[];
  manifestP99: number[];
  /** Server CPU milliseconds per manifest PUT. */
  manifestCpu: number[];
  pushPeak: number[];
  pullPeak: number[];
  /** Server CPU seconds per GiB transferred. */
  pushCpu: number[];
  pullCpu: number[];
  idleRss: number;
}

const cleanups = new Cleanups();

/** Set when the kernel refused a VmHWM reset: peaks then include what came before each transfer. */
let hwmResetFailed = false;

async function blobRound(target: Target, pattern: BlobPattern, repository: string, record: boolean): Promise<void> {
  const blob = { nonce: newNonce(), size: settings.blobBytes, digest: '' };
  blob.digest = pattern.digest(blob.nonce, blob.size); // untimed first pass
  syncDisks(); // no dirty pages of the previous transfer in this one's way
  const pushed = await watchProcess(target.registry.pid, () => pushStreamedBlob(target.client, repository, pattern, blob));
  const pulled = await watchProcess(target.registry.pid, () => pullBlob(target.client, repository, blob));
  await deleteBlob(target.client, repository, blob.digest);
  if (!pushed.hwmReset || !pulled.hwmReset) hwmResetFailed = true;
  const gib = blob.size / 2 ** 30;
  const describe = (w: Watched<number>): string =>
    `${fixed(mbps(blob.size, w.result)).padStart(6)} MB/s, peak RSS ${fixed(w.peak / MB).padStart(5)} MB, ` +
    `CPU/GiB server ${fixed(w.cpu / gib, 2)} s client ${fixed(w.clientCpu / gib, 2)} s`;
  out(`  ${target.registry.name.padEnd(16)} push ${describe(pushed)} | pull ${describe(pulled)}${record ? '' : '  [warm-up]'}\n`);
  if (!record) return;
  target.push.push(mbps(blob.size, pushed.result));
  target.pull.push(mbps(blob.size, pulled.result));
  target.pushPeak.push(pushed.peak);
  target.pullPeak.push(pulled.peak);
  target.pushCpu.push(pushed.cpu / gib);
  target.pullCpu.push(pulled.cpu / gib);
}

async function manifestRound(target: Target, repository: string, count: number, record: boolean): Promise<void> {
  const image = createTestImage({ layers: 1, layerSize: 256 });
  const layer = image.layers[0]!;
  await pushSmallBlob(target.client, repository, image.config);
  await pushSmallBlob(target.client, repository, layer);
  const manifests = smallManifests(image.config, layer, repository.replace(/\W/g, '-'), count);
  const watched = await watchProcess(target.registry.pid, () => pushManifests(target.client, repository, manifests, settings.concurrency));
  const run = watched.result;
  const cpuMs = (watched.cpu * 1000) / count;
  const rate = count / run.seconds;
  const p50 = quantile(run.latencies, 0.5);
  const p99 = quantile(run.latencies, 0.99);
  out(`  ${target.registry.name.padEnd(16)} ${count} manifest PUTs in ${fixed(run.seconds, 2)} s: ${fixed(rate)} req/s, p50 ${fixed(p50, 2)} ms, p99 ${fixed(p99, 2)} ms, server CPU ${fixed(cpuMs, 2)} ms/req${record ? '' : '  [warm-up]'}\n`);
  if (!record) return;
  target.manifestRate.push(rate);
  target.manifestP50.push(p50);
  target.manifestP99.push(p99);
  target.manifestCpu.push(cpuMs);
}

function newTarget(registry: RunningRegistry): Target {
  return {
    registry,
    client: new BenchClient(registry.url),
    push: [],
    pull: [],
    manifestRate: [],
    manifestP50: [],
    manifestP99: [],
    manifestCpu: [],
    pushPeak: [],
    pullPeak: [],
    pushCpu: [],
    pullCpu: [],
    idleRss: memoryOf(registry.pid).rss,
  };
}

function summary(facade: Target, distribution: Target, ceiling: Ceiling): void {
  const blobLabel = `${settings.blobBytes / MIB} MiB`;
  type Row = { metric: string; pick: (t: Target) => number; digits: number };
  const rows: Row[] = [
    { metric: `blob push ${blobLabel} (MB/s)`, pick: (t) => median(t.push), digits: 1 },
    { metric: `blob pull ${blobLabel} (MB/s)`, pick: (t) => median(t.pull), digits: 1 },
    { metric: `manifest PUT, ${settings.concurrency} in flight (req/s)`, pick: (t) => median(t.manifestRate), digits: 1 },
    { metric: 'manifest PUT p50 latency (ms)', pick: (t) => median(t.manifestP50), digits: 2 },
    { metric: 'manifest PUT p99 latency (ms)', pick: (t) => median(t.manifestP99), digits: 2 },
    { metric: 'server CPU per manifest PUT (ms)', pick: (t) => median(t.manifestCpu), digits: 2 },
    { metric: 'server CPU per GiB pushed (s)', pick: (t) => median(t.pushCpu), digits: 2 },
    { metric: 'server CPU per GiB pulled (s)', pick: (t) => median(t.pullCpu), digits: 2 },
    { metric: 'RSS when idle after start (MB)', pick: (t) => t.idleRss / MB, digits: 1 },
    { metric: `peak RSS pushing ${blobLabel} (MB, max)`, pick: (t) => Math.max(...t.pushPeak) / MB, digits: 1 },
    { metric: `peak RSS pulling ${blobLabel} (MB, max)`, pick: (t) => Math.max(...t.pullPeak) / MB, digits: 1 },
  ];
  out(`\nResults (median of ${settings.rounds} round(s); MB = 10^6 bytes)\n\n`);
  out(
    table(
      ['metric', 'registry-facade', 'distribution', 'ratio (facade/distribution)'],
      rows.map((row) => {
        const a = row.pick(facade);
        const b = row.pick(distribution);
        return [row.metric, fixed(a, row.digits), fixed(b, row.digits), fixed(a / b, 2)];
      }),
    ),
  );

  out(`\nPeak RSS: VmHWM of the registry process, reset (clear_refs) before each transfer and cross-checked with VmRSS sampled every 20 ms` +
    `${hwmResetFailed ? '; the reset was REFUSED here, so peaks include what came before' : ''}.\n`);
  out(`Client ceiling (same client, null server in its own process, no disk): ${describeCeiling(ceiling)}\n`);

  const pushRatio = median(facade.push) / median(distribution.push);
  const pullRatio = median(facade.pull) / median(distribution.pull);
  const peak = Math.max(...facade.pushPeak, ...facade.pullPeak) / MB;
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  out('\nTargets\n');
  out(`  blob push >= 0.9x distribution: ${fixed(pushRatio, 2)}x -> ${met(pushRatio >= 0.9)}\n`);
  out(`  blob pull >= 0.9x distribution: ${fixed(pullRatio, 2)}x -> ${met(pullRatio >= 0.9)}\n`);
  out(`  facade peak RSS < 200 MB while streaming ${blobLabel}: ${fixed(peak)} MB -> ${met(peak < 200)}` +
    `${settings.blobBytes < 1024 * MIB ? ' (blob smaller than 1 GiB: not the target run)' : ''}\n`);
}

async function main(): Promise<void> {
  cleanups.onSignals();
  out(`registry-facade benchmark\n${machine()}\n`);
  out(`blob ${settings.blobBytes / MIB} MiB (random ${settings.blockBytes / MIB} MiB block repeated, unique per push), ` +
    `${settings.manifests} manifests x ${settings.concurrency} in flight, ${settings.rounds} round(s) + 1 warm-up, log level ${settings.logLevel}\n`);
  if (settings.facadeEntry || Object.keys(settings.facadeEnv).length > 0) {
    out(`facade overrides: entry ${settings.facadeEntry ?? '(default)'}, env ${JSON.stringify(settings.facadeEnv)}\n`);
  }

  const workDir = cleanups.workDir('wharf-bench-', settings.keep);
  for (const name of ['facade', 'distribution']) mkdirSync(join(workDir, name));
  out(`work dir ${workDir}\n\n`);

  const facadeRegistry = await startFacade({ rootDir: ROOT, dir: join(workDir, 'facade'), logLevel: settings.logLevel, env: settings.facadeEnv, entry: settings.facadeEntry });
  cleanups.push(() => facadeRegistry.stop());
  const distributionRegistry = await startDistribution({ rootDir: ROOT, dir: join(workDir, 'distribution'), logLevel: settings.logLevel });
  cleanups.push(() => distributionRegistry.stop());
  const logs = [facadeRegistry.logFile, distributionRegistry.logFile];
  cleanups.push(() => {
    if (process.exitCode) for (const log of logs) process.stderr.write(`--- last lines of ${log}\n${tail(log, 15)}\n`);
  });
  out(`registry-facade ${facadeRegistry.url} (pid ${facadeRegistry.pid}); distribution ${distributionRegistry.url} (pid ${distributionRegistry.pid})\n`);

  const facade = newTarget(facadeRegistry);
  const distribution = newTarget(distributionRegistry);
  cleanups.push(() => {
    facade.client.close();
    distribution.client.close();
  });
  const pattern = new BlobPattern(settings.blockBytes);

  out('\nClient calibration (null server: discards uploads, serves bytes from memory)\n');
  const ceiling = await calibrate(pattern, { rounds: settings.rounds, blobBytes: settings.blobBytes });

  out('\nBlob push + pull (push: POST, one streamed PATCH, PUT ?digest=; pull: GET, sha256 verified while reading)\n');
  for (let round = 0; round <= settings.rounds; round += 1) {
    // Alternate which registry goes first, so neither always follows the other's writes.
    const order = round % 2 === 0 ? [facade, distribution] : [distribution, facade];
    for (const target of order) await blobRound(target, pattern, 'bench/blobs', round > 0);
  }

  out(`\nManifest PUTs (distinct OCI manifests over one config + one tiny layer, by tag, ${settings.concurrency} in flight)\n`);
  for (let round = 0; round <= settings.rounds; round += 1) {
    const order = round % 2 === 0 ? [facade, distribution] : [distribution, facade];
    const count = round === 0 ? Math.min(settings.manifests, 200) : settings.manifests;
    for (const target of order) await manifestRound(target, `bench/manifests-${round}`, count, round > 0);
  }

  summary(facade, distribution, ceiling);
}

await runBench(main, cleanups);
