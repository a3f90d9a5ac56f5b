/**
 * Wharf's registry read and write paths against CNCF distribution (docker-registry 2.8), the
 * load coming from `wrk` (Debian's C load generator), so that the client is never what caps
 * either target. Both registries use token auth; both serve the same image.
 *
 *   wharf      the suite as `npm start` starts it (launcher's startStack), every request
 *              through the proxy (:8080 in production), a token from its /service/token
 *   distribution  Debian's docker-registry with `auth.token`, tokens from the tests' token server
 *
 * Scenarios, each BENCH_ROUNDS rounds alternating the two targets (the first target of each
 * round alternates too), each round a BENCH_WARMUP_SECONDS warm-up then BENCH_SECONDS measured:
 *   - manifest GET by tag, GET by digest: `wrk -t1 -c32`, an OCI image manifest with `Accept` and
 *     `Authorization: Bearer` (a fresh token per round, never timed); HEAD by tag the same with
 *     ApacheBench (`ab -i -k -c32`), as wrk cannot read HEAD answers
 *   - blob pull: `wrk -t1 -c4` GETs of one BENCH_BLOB_MB MiB layer (MB/s)
 *   - chunked push: BENCH_PUSH_MB MiB as POST, PATCHes of BENCH_CHUNK_MB MiB with Content-Range,
 *     PUT ?digest= (MB/s), by this process's HTTP client (a stream of large buffers; its CPU is
 *     reported beside the servers')
 * Reported per round: req/s (or MB/s), p50/p99 latency from wrk's histogram, and CPU µs per
 * request (or CPU s per GiB) of every process: proxy, core, registry-facade, jobservice, the
 * adapter, the Postgres backends of the bench's database, redis-server; docker-registry; and
 * the client (wrk's own user+sys time, from the shell's `times`). Every answer must be 2xx
 * (wrk counts any other status as an error; a round with errors fails the run). Pull events
 * are recorded by Wharf for every GET, as in production: the "after" CPU shows their cost.
 *
 *   npm run bench:wrk                                          (builds first; ~6 minutes)
 * Needs Debian's wrk and apache2-utils (ab) and docker-registry: apt-get install -y wrk apache2-utils docker-registry
 *   BENCH_ROUNDS=1 BENCH_SECONDS=3 BENCH_SCENARIOS=get-tag npm run bench:wrk   (a quick run)
 *
 * Settings (environment):
 *   BENCH_ROUNDS          rounds per scenario and target (3)
 *   BENCH_SECONDS         measured seconds per round (10)
 *   BENCH_WARMUP_SECONDS  unmeasured seconds before each round (1)
 *   BENCH_CONNECTIONS     wrk connections for the manifest scenarios (32)
 *   BENCH_BLOB_CONNECTIONS  wrk connections for the blob pull (4)
 *   BENCH_BLOB_MB         size of the pulled layer (16)
 *   BENCH_PUSH_MB, BENCH_CHUNK_MB  chunked push size and chunk size (256, 16)
 *   BENCH_SCENARIOS       comma-separated subset of get-tag,get-digest,head-tag,blob-pull,chunked-push
 *   BENCH_LOG_LEVEL       log level of every service and of distribution (info)
 *   BENCH_KEEP=1          keep the temp directory (logs, storage)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestImage, type TestBlob } from '../packages/testing/dist/index.js';
import { BlobPattern, newNonce } from './lib/blob-source.ts';
import { startWharfAndDistribution } from './lib/against-distribution.ts';
import { Cleanups, ensureTestInfrastructure, intSetting, machine, mbps, runBench, syncDisks } from './lib/harness.ts';
import { BenchClient } from './lib/http-client.ts';
import { MANIFEST_ACCEPT, pushChunkedBlob, pushSmallBlob, putManifest, smallManifests } from './lib/operations.ts';
import { settle, watchCpu, type ProcessGroup } from './lib/registries.ts';
import { fixed, median, MIB, out, table } from './lib/report.ts';
import { discoverTokenRealm, requestToken } from './lib/token-auth.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['get-tag', 'get-digest', 'head-tag', 'blob-pull', 'chunked-push'] as const;
type Scenario = (typeof SCENARIOS)[number];

const settings = {
  rounds: intSetting('BENCH_ROUNDS', 3, 1),
  seconds: intSetting('BENCH_SECONDS', 10, 1),
  warmUp: intSetting('BENCH_WARMUP_SECONDS', 1, 0),
  connections: intSetting('BENCH_CONNECTIONS', 32, 1),
  blobConnections: intSetting('BENCH_BLOB_CONNECTIONS', 4, 1),
  blobBytes: intSetting('BENCH_BLOB_MB', 16, 1) * MIB,
  pushBytes: intSetting('BENCH_PUSH_MB', 256, 1) * MIB,
  chunkBytes: intSetting('BENCH_CHUNK_MB', 16, 1) * MIB,
  logLevel: process.env.BENCH_LOG_LEVEL || 'info',
  keep: process.env.BENCH_KEEP === '1',
  scenarios: scenariosSetting(),
};

function scenariosSetting(): Scenario[] {
  const raw = process.env.BENCH_SCENARIOS;
  if (!raw) return [...SCENARIOS];
  const picked = raw.split(',').map((s) => s.trim());
  for (const name of picked) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`BENCH_SCENARIOS: unknown scenario ${name} (known: ${SCENARIOS.join(', ')})`);
  return picked as Scenario[];
}

const CLIENT = 'client';

interface Target {
  label: string;
  url: string;
  client: BenchClient;
  groups: ProcessGroup[];
  credentials: { username: string; password: string };
  repository: string;
  pushRepository: string;
  manifest?: TestBlob;
  layer?: TestBlob;
  token?: string;
}

interface Round {
  /** req/s, or MB/s for the blob scenarios. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU µs per request (s per GiB for the blob scenarios), per process and the client. */
  cpu: Record<string, number>;
  after: Record<string, number>;
}

const cleanups = new Cleanups();

/** A fresh token from the realm the target's challenge names. */
async function authorize(target: Target): Promise<void> {
  const { realm, service } = await discoverTokenRealm(target.url);
  target.token = await requestToken(realm, {
    service,
    scopes: [`repository:${target.repository}:pull,push`, `repository:${target.pushRepository}:pull,push,delete`],
    ...target.credentials,
  });
  target.client.authorization = `Bearer ${target.token}`;
}

/** One image: a config, one BENCH_BLOB_MB layer and an OCI manifest, pushed by tag `latest`. */
async function prepare(target: Target): Promise<void> {
  await authorize(target);
  const image = createTestImage({ layers: 1, layerSize: settings.blobBytes });
  const layer = image.layers[0]!;
  await pushSmallBlob(target.client, target.repository, image.config);
  await pushSmallBlob(target.client, target.repository, layer);
  const [manifest] = smallManifests(image.config, layer, 'wrk-bench', 1);
  await putManifest(target.client, target.repository, 'latest', manifest!);
  target.manifest = manifest;
  target.layer = layer;
}

const WRK_SCRIPT = `
local method = os.getenv("WRK_METHOD") or "GET"
wrk.method = method
done = function(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;

interface WrkRun {
  requests: number;
  seconds: number;
  bytes: number;
  p50Ms: number;
  p99Ms: number;
  /** wrk's own user+sys CPU seconds. */
  cpu: number;
}

/** The CPU seconds of the shell's children, from the last line `times` printed ("0m1.234s 0m0.567s"). */
function childCpu(stderr: string): number {
  const times = stderr.trim().split('\n').slice(-1)[0]!.match(/(\d+)m([\d.]+)s/g) ?? [];
  return times.map((t) => /(\d+)m([\d.]+)s/.exec(t)!).reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

/**
 * HEAD requests with ApacheBench (`ab -i -k`): wrk's parser waits for a HEAD answer's body.
 * ab is a single-threaded C client too; it reports whole milliseconds for the percentiles.
 */
async function abHead(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<WrkRun> {
  const args = ['-i', '-k', '-q', '-c', String(connections), '-t', String(seconds), '-n', '100000000'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const child = spawn('bash', ['-c', 'ab "$@"; status=$?; times >&2; exit $status', 'ab', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
  const number = (pattern: RegExp): number => Number(pattern.exec(stdout)?.[1] ?? NaN);
  const requests = number(/Complete requests:\s+(\d+)/);
  const failed = number(/Failed requests:\s+(\d+)/);
  const non2xx = number(/Non-2xx responses:\s+(\d+)/) || 0;
  if (code !== 0 || !Number.isFinite(requests)) throw new Error(`ab failed (exit ${code}): ${stderr.trim()} ${stdout.slice(-500)}`);
  if (failed > 0 || non2xx > 0) throw new Error(`ab saw ${failed} failed request(s) and ${non2xx} non-2xx answer(s) at ${url}`);
  return {
    requests,
    seconds: number(/Time taken for tests:\s+([\d.]+)/),
    bytes: number(/Total transferred:\s+(\d+)/),
    p50Ms: number(/\s50%\s+(\d+)/),
    p99Ms: number(/\s99%\s+(\d+)/),
    cpu: childCpu(stderr),
  };
}

/** Runs wrk through bash so that `times` reports its CPU; fails on any socket error or non-2xx answer. */
async function wrk(scriptFile: string, url: string, headers: Record<string, string>, connections: number, seconds: number, method: string): Promise<WrkRun> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', scriptFile];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const child = spawn('bash', ['-c', 'wrk "$@" >/dev/null; status=$?; times >&2; exit $status', 'wrk', ...args], {
    env: { ...process.env, WRK_METHOD: method },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
  const line = /WRK_RESULT (\{.*\})/.exec(stderr)?.[1];
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${stderr.trim()}`);
  const result = JSON.parse(line) as { requests: number; duration_us: number; bytes: number; errors: number; status_errors: number; p50_us: number; p99_us: number };
  if (result.errors > 0 || result.status_errors > 0) throw new Error(`wrk saw ${result.errors} socket error(s) and ${result.status_errors} non-2xx answer(s) at ${url}`);
  const cpu = childCpu(stderr);
  return { requests: result.requests, seconds: result.duration_us / 1e6, bytes: result.bytes, p50Ms: result.p50_us / 1000, p99Ms: result.p99_us / 1000, cpu };
}

function perUnit(cpu: Record<string, number>, clientCpu: number, per: number): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(cpu)) values[name] = seconds / per;
  values[CLIENT] = clientCpu / per;
  return values;
}

async function wrkRound(target: Target, scenario: Scenario, scriptFile: string, measured: boolean): Promise<Round> {
  await authorize(target);
  const manifest = target.manifest!;
  const base = `${target.url}/v2/${target.repository}`;
  const request = {
    'get-tag': { url: `${base}/manifests/latest`, method: 'GET', accept: true },
    'get-digest': { url: `${base}/manifests/${manifest.digest}`, method: 'GET', accept: true },
    'head-tag': { url: `${base}/manifests/latest`, method: 'HEAD', accept: true },
    'blob-pull': { url: `${base}/blobs/${target.layer!.digest}`, method: 'GET', accept: false },
  }[scenario as Exclude<Scenario, 'chunked-push'>];
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}` };
  if (request.accept) headers.Accept = MANIFEST_ACCEPT;
  const connections = scenario === 'blob-pull' ? settings.blobConnections : settings.connections;
  const load = (seconds: number) =>
    request.method === 'HEAD' ? abHead(request.url, headers, connections, seconds) : wrk(scriptFile, request.url, headers, connections, seconds, request.method);
  if (settings.warmUp > 0) await load(settings.warmUp);
  const watched = await watchCpu(target.groups, () => load(measured ? settings.seconds : settings.warmUp || 1));
  const run = watched.result;
  const after = await settle(target.groups, 60);
  const blob = scenario === 'blob-pull';
  const per = blob ? run.bytes / 2 ** 30 : run.requests / 1e6;
  return {
    rate: blob ? mbps(run.bytes, run.seconds) : run.requests / run.seconds,
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    cpu: perUnit(watched.cpu, run.cpu, per),
    after: perUnit(after.cpu, 0, per),
  };
}

async function pushRound(target: Target, pattern: BlobPattern): Promise<Round> {
  await authorize(target);
  const blob = { nonce: newNonce(), size: settings.pushBytes, digest: '' };
  blob.digest = pattern.digest(blob.nonce, blob.size);
  syncDisks();
  const watched = await watchCpu(target.groups, () => pushChunkedBlob(target.client, target.pushRepository, pattern, blob, settings.chunkBytes));
  const after = await settle(target.groups, 60);
  const gib = blob.size / 2 ** 30;
  return { rate: mbps(blob.size, watched.result), p50Ms: NaN, p99Ms: NaN, cpu: perUnit(watched.cpu, watched.clientCpu, gib), after: perUnit(after.cpu, 0, gib) };
}

function describe(values: Record<string, number>, digits: number): string {
  return Object.entries(values)
    .filter(([, v]) => v !== 0 || digits > 0)
    .map(([name, v]) => `${name} ${fixed(v, digits)}`)
    .join(', ');
}

async function main(): Promise<void> {
  cleanups.onSignals();
  out(`Wharf (through the proxy) against distribution, load from wrk\n${machine()}\n`);
  out(
    `${settings.rounds} round(s) per scenario and target, ${settings.warmUp} s warm-up + ${settings.seconds} s each; manifests wrk -t1 -c${settings.connections}, ` +
      `blob pull ${settings.blobBytes / MIB} MiB wrk -t1 -c${settings.blobConnections}, chunked push ${settings.pushBytes / MIB} MiB in ${settings.chunkBytes / MIB} MiB PATCHes; log level ${settings.logLevel}\n`,
  );
  await ensureTestInfrastructure(ROOT);
  const workDir = cleanups.workDir('wharf-wrk-bench-', settings.keep);
  const scriptFile = join(workDir, 'wrk.lua');
  writeFileSync(scriptFile, WRK_SCRIPT);
  const { wharf, adminPassword, distribution, tokens, wharfGroups, distributionGroups } = await startWharfAndDistribution(cleanups, { rootDir: ROOT, workDir, logLevel: settings.logLevel });
  out(`wharf ${wharf.url}: ${wharf.services.map((s) => `${s.name} pid ${s.pid}`).join(', ')}\ndistribution ${distribution.url} (pid ${distribution.pid})\n`);
  await wharf.admin.createProject('bench');

  const targets: Target[] = [
    { label: 'wharf', url: wharf.url, client: new BenchClient(wharf.url), groups: wharfGroups, credentials: { username: 'admin', password: adminPassword }, repository: 'bench/wrk', pushRepository: 'bench/push' },
    {
      label: 'distribution',
      url: distribution.url,
      client: new BenchClient(distribution.url),
      groups: distributionGroups,
      credentials: { username: tokens.username, password: tokens.password },
      repository: 'bench/wrk',
      pushRepository: 'bench/push',
    },
  ];
  cleanups.push(() => {
    for (const target of targets) target.client.close();
  });
  for (const target of targets) await prepare(target);
  out(`manifest ${targets[0]!.manifest!.size} bytes (${targets[0]!.manifest!.mediaType}), layer ${settings.blobBytes / MIB} MiB, the same image on both\n`);
  const pattern = new BlobPattern(8 * MIB);

  const summary: string[][] = [];
  for (const scenario of settings.scenarios) {
    const blob = scenario === 'blob-pull' || scenario === 'chunked-push';
    const unit = blob ? 'MB/s' : 'req/s';
    out(`\n${scenario}\n`);
    const results = new Map<string, Round[]>(targets.map((t) => [t.label, []]));
    for (let round = 0; round < settings.rounds; round += 1) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const result = scenario === 'chunked-push' ? await pushRound(target, pattern) : await wrkRound(target, scenario, scriptFile, true);
        results.get(target.label)!.push(result);
        const latency = Number.isNaN(result.p99Ms) ? '' : `, p50 ${fixed(result.p50Ms, 2)} ms, p99 ${fixed(result.p99Ms, 2)} ms`;
        out(`  round ${round + 1} ${target.label.padEnd(13)} ${fixed(result.rate).padStart(9)} ${unit}${latency}\n`);
        out(`  ${''.padEnd(21)} CPU ${blob ? 's/GiB' : 'µs/req'} during: ${describe(result.cpu, blob ? 2 : 0)}\n`);
        out(`  ${''.padEnd(21)} CPU ${blob ? 's/GiB' : 'µs/req'} after: ${describe(result.after, blob ? 2 : 0)}\n`);
      }
    }
    const [w, d] = [results.get('wharf')!, results.get('distribution')!];
    const rate = (rounds: Round[]) => median(rounds.map((r) => r.rate));
    const p99 = (rounds: Round[]) => median(rounds.map((r) => r.p99Ms));
    const serverCpu = (rounds: Round[]) => median(rounds.map((r) => Object.entries(r.cpu).reduce((sum, [name, v]) => (name === CLIENT ? sum : sum + v), 0)));
    summary.push([
      scenario,
      `${fixed(rate(w))} ${unit}`,
      `${fixed(rate(d))} ${unit}`,
      fixed(rate(w) / rate(d), 2),
      blob ? '-' : `${fixed(p99(w), 2)} / ${fixed(p99(d), 2)}`,
      `${fixed(serverCpu(w), blob ? 2 : 0)} / ${fixed(serverCpu(d), blob ? 2 : 0)}`,
    ]);
  }
  out(`\nMedians of ${settings.rounds} round(s)\n\n`);
  out(table(['scenario', 'wharf', 'distribution', 'wharf/distribution', 'p99 ms wharf / distribution', 'server CPU (µs/req or s/GiB) wharf / distribution'], summary));
  out('\nCPU: utime+stime from /proc/<pid>/stat for the servers, bash `times` for wrk, process.cpuUsage for the push client.\n');
}

await runBench(main, cleanups);
