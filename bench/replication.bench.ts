/**
 * Replication: a Wharf execution against `skopeo sync`, on the same images, in the same run.
 *
 * The issue's targets: 20 images sharing base layers (~500 MB of distinct data) replicated
 * from one registry to another by a Wharf execution in at most half of skopeo's time, with
 * the adapter's peak RSS under 300 MB.
 *
 * Setup (never timed):
 *   source        Debian's CNCF distribution (docker-registry, no auth, filesystem storage in
 *                 the temp dir), registered in Wharf with POST /api/v2.0/registries
 *                 (type docker-registry, anonymous, insecure)
 *   wharf         the whole suite as `npm start` starts it (bench/lib/wharf.ts: registry-facade,
 *                 core, adapter, jobservice, proxy) on a throwaway database and Redis prefix
 *   images        per round a fresh set (lib/image-set.ts): BENCH_REPLICATION_IMAGES images
 *                 `src-rN/app-NN:v1`, OCI manifests, gzip layers (level 0 = stored blocks, so
 *                 that skopeo sees compressed layers and copies them as they are) of random
 *                 bytes: three base layers shared as images FROM common bases share them
 *                 (base-os 10 % and base-runtime 6 % of the data in every image, base-tools
 *                 4 % in half of them) and two layers of each image's own (80 % together),
 *                 BENCH_REPLICATION_MB of distinct data in all. New content every round, so
 *                 nothing is found or mounted from an earlier round (by Wharf's mount hints
 *                 or skopeo's blob-info cache). Pushed by this script (each distinct layer
 *                 streamed from its file once, mounted into the other repositories).
 *
 * Measured, each round, both into the same Wharf (fresh projects per round):
 *   wharf         a pull-based policy (src_registry = the source, dest_registry = local,
 *                 name filter `src-rN/**`, dest_namespace `wharf-rN`, replace count 1,
 *                 manual trigger, override, speed -1): from POST /replication/executions to
 *                 the first poll (every BENCH_POLL_MS) that sees Succeed. Includes what an
 *                 execution is: listing the source, the plan, one REPLICATION job per
 *                 repository through jobservice, the adapter's copies into core, the status
 *                 roll-up from the jobs' hooks.
 *   skopeo        `skopeo sync --src yaml --dest docker --dest-tls-verify=false --dest-creds
 *                 admin:<pw> <yaml> <proxy>/skopeo-rN` (the YAML lists every repository with
 *                 all tags, `[]`, so skopeo lists tags as Wharf does), from spawn to exit.
 *                 Writes through the proxy, as any client does; Wharf's own copy enters at
 *                 core (the local side's URL), which forwards to the same registry-facade.
 * The order alternates from round to round (odd rounds Wharf first). Every copy is checked
 * afterwards: each tag's manifest at the destination must have the source's digest.
 * Second anchor (BENCH_ANCHORS=1, the default), each round: skopeo sync from the source
 * into a fresh distribution, and a push-based Wharf policy (src = local, dest = another fresh
 * distribution) replicating the `wharf-rN` project that round's Wharf run filled.
 * Before the rounds, an untimed warm-up of both tools on a small set of as many images as a
 * round (BENCH_WARMUP_MB in all): the servers then run the first round as warmed up as the
 * others (as many concurrent tasks, database sessions open), as a registry in use would.
 *
 * Reported: per-round times, medians, the ratio wharf/skopeo (target ≤ 0.5), the adapter's
 * peak RSS during its run (VmHWM from /proc/<pid>/status, reset before the run where the
 * kernel allows it; target < 300 MB), the CPU seconds of every process during each run
 * (/proc/<pid>/stat; skopeo's from this process's cutime/cstime once reaped), the bytes moved
 * and a PASS/MISS line per target. Nothing is asserted: this prints figures.
 *
 *   pnpm run bench:replication                                  (builds first; ~5 minutes)
 *   BENCH_REPLICATION_MB=100 BENCH_ROUNDS=1 BENCH_ANCHORS=0 node bench/replication.bench.ts   (quick)
 *
 * Everything runs in a temp dir, on a throwaway database and Redis key prefix, all removed at
 * the end, also on failure or Ctrl-C. skopeo's blob-info cache (/var/lib/containers/cache as
 * root) is removed afterwards if it did not exist before.
 *
 * Settings (environment):
 *   BENCH_REPLICATION_MB      distinct data per image set in MB (10^6 bytes) (500)
 *   BENCH_REPLICATION_IMAGES  images per set, one repository each (20)
 *   BENCH_ROUNDS              measured rounds; medians are reported (3)
 *   BENCH_WARMUP_MB           size of the warm-up set (BENCH_REPLICATION_IMAGES images) in MB; 0 = no warm-up (20)
 *   BENCH_ANCHORS             1: also skopeo → distribution and Wharf push → distribution (1)
 *   BENCH_POLL_MS             execution status poll interval (150)
 *   BENCH_TIMEOUT_SECONDS     longest wait for one execution (1800)
 *   BENCH_SETTLE_SECONDS      longest wait for the servers to go quiet after a run (60)
 *   BENCH_BLOCK_MB            size of the random block layers are made of, MiB (4)
 *   BENCH_LOG_LEVEL           log level of every service and of distribution (info)
 *   BENCH_KEEP=1              keep the temp directory (logs, storage) for a look afterwards
 *   BENCH_ONLY                `wharf` or `skopeo`: run only that copy (to profile one; no ratio)
 * Any ADAPTER_* / JOBSERVICE_* variable set in the environment reaches the services (e.g.
 * ADAPTER_COPY_BLOB_CONCURRENCY=6 to try another setting).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobPattern } from './lib/blob-source.ts';
import { Cleanups, ensureTestInfrastructure, intSetting, machine, runBench, syncDisks, tail } from './lib/harness.ts';
import { BenchClient } from './lib/http-client.ts';
import { buildImageSet, pushImageSet, type ImageSet } from './lib/image-set.ts';
import { processesNamed, processGroup, settle, startDistribution, watchCpu, watchProcess, type ProcessGroup, type RunningRegistry } from './lib/registries.ts';
import { createPolicy, createRegistry, facadeUploadBytes, machineBusySeconds, runExecution, skopeoCacheCleanup, skopeoSync, verifyCopies, type ExecutionRun } from './lib/replication.ts';
import { fixed, MB, median, MIB, out, table } from './lib/report.ts';
import { startWharf, type RunningWharf } from './lib/wharf.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const settings = {
  totalBytes: intSetting('BENCH_REPLICATION_MB', 500, 1) * MB,
  images: intSetting('BENCH_REPLICATION_IMAGES', 20, 2),
  rounds: intSetting('BENCH_ROUNDS', 3, 1),
  warmUpBytes: intSetting('BENCH_WARMUP_MB', 20, 0) * MB,
  anchors: intSetting('BENCH_ANCHORS', 1, 0) > 0,
  pollMs: intSetting('BENCH_POLL_MS', 150, 10),
  timeoutSeconds: intSetting('BENCH_TIMEOUT_SECONDS', 1800, 1),
  settleSeconds: intSetting('BENCH_SETTLE_SECONDS', 60, 1),
  blockBytes: intSetting('BENCH_BLOCK_MB', 4, 1) * MIB,
  logLevel: process.env.BENCH_LOG_LEVEL || 'info',
  keep: process.env.BENCH_KEEP === '1',
  only: process.env.BENCH_ONLY === 'wharf' || process.env.BENCH_ONLY === 'skopeo' ? process.env.BENCH_ONLY : undefined,
};

const TARGET_RATIO = 0.5;
const TARGET_RSS = 300 * MB;
const CLIENT = 'client (this process)';
const SKOPEO = 'skopeo';
const OTHERS = 'not ours (other processes on the machine)';

/** One timed copy: its seconds and the CPU seconds of each process meanwhile. */
interface Measure {
  seconds: number;
  cpu: Record<string, number>;
  /** Bytes registry-facade received for blob uploads (Wharf destinations, from its log). */
  uploaded?: number;
}

type Kind = 'wharf' | 'skopeo' | 'skopeo → distribution' | 'wharf push → distribution';

interface Round {
  order: string;
  set: { distinct: number; logical: number };
  runs: Partial<Record<Kind, Measure>>;
  adapterPeak?: number;
  adapterPeakReset?: boolean;
  skopeoPeak?: number;
  wharfDetail?: string;
}

interface Context {
  wharf: RunningWharf;
  source: RunningRegistry;
  sourceId: number;
  groups: ProcessGroup[];
  adapterPid: number;
  workDir: string;
  credentials: { username: string; password: string };
}

const cleanups = new Cleanups();

const hostOf = (url: string): string => new URL(url).host;
const lastElement = (repository: string): string => repository.slice(repository.lastIndexOf('/') + 1);

function withClient(cpu: Record<string, number>, clientCpu: number): Record<string, number> {
  return { ...cpu, [CLIENT]: clientCpu };
}

/**
 * Adds what the machine spent outside the processes watched (the busy time of all CPUs from
 * /proc/stat since `busyBefore`, less the processes counted; redis-server counts as ours):
 * other work on a shared machine takes CPU from the copy.
 */
function withOthers(cpu: Record<string, number>, busyBefore: number): Record<string, number> {
  const ours = Object.values(cpu).reduce((sum, value) => sum + value, 0);
  return { ...cpu, [OTHERS]: Math.max(0, machineBusySeconds() - busyBefore - ours) };
}

/** Bytes registry-facade received for blob uploads into `namespace` (from its log). */
function uploadedInto(ctx: Context, namespace: string): number {
  return facadeUploadBytes(join(ctx.wharf.logDir, 'registry-facade.log'), namespace).bytes;
}

/** Waits for the servers to go quiet (events of the previous run being applied) before the next run. */
async function quiet(ctx: Context): Promise<void> {
  const after = await settle(ctx.groups, settings.settleSeconds);
  if (after.seconds >= settings.settleSeconds) out(`    (servers still busy after ${settings.settleSeconds} s; going on)\n`);
}

/** When each task started and ended relative to the POST, from GET …/tasks. */
async function describeTasks(ctx: Context, run: ExecutionRun, postedAt: number): Promise<string> {
  const response = await ctx.wharf.admin.get<{ start_time: string; end_time: string }[]>(`/replication/executions/${run.execution.id}/tasks?page_size=100`);
  if (response.status !== 200 || !Array.isArray(response.body)) return `tasks: GET answered ${response.status}`;
  const tasks = response.body.map((t) => ({ start: (Date.parse(t.start_time) - postedAt) / 1000, end: (Date.parse(t.end_time) - postedAt) / 1000 }));
  const starts = tasks.map((t) => t.start).filter(Number.isFinite);
  const ends = tasks.map((t) => t.end).filter(Number.isFinite);
  const durations = tasks.map((t) => t.end - t.start).filter(Number.isFinite);
  return (
    `${tasks.length} tasks; first started ${fixed(Math.min(...starts), 2)} s after the POST, last started ${fixed(Math.max(...starts), 2)} s, ` +
    `last ended ${fixed(Math.max(...ends), 2)} s; task time median ${fixed(median(durations), 2)} s, max ${fixed(Math.max(...durations), 2)} s; ${run.polls} polls`
  );
}

async function wharfPull(ctx: Context, set: ImageSet, prefix: string, project: string, round: Round | undefined): Promise<Measure> {
  await ctx.wharf.admin.createProject(project);
  const policy = await createPolicy(ctx.wharf.admin, { name: `pull-${project}`, source: ctx.sourceId, destination: null, nameFilter: `${prefix}/**`, destNamespace: project, replaceCount: 1 });
  syncDisks();
  const postedAt = Date.now();
  const busy = machineBusySeconds();
  const watched = await watchProcess(ctx.adapterPid, () => watchCpu(ctx.groups, () => runExecution(ctx.wharf.admin, policy, { pollMs: settings.pollMs, timeoutSeconds: settings.timeoutSeconds })));
  const run = watched.result.result;
  const cpu = withOthers(withClient(watched.result.cpu, watched.result.clientCpu), busy);
  await verifyCopies(ctx.wharf.url, set.images, (image) => `${project}/${lastElement(image.repository)}`, ctx.credentials);
  const detail = await describeTasks(ctx, run, postedAt);
  if (round) {
    round.adapterPeak = watched.peak;
    round.adapterPeakReset = watched.hwmReset;
    round.wharfDetail = detail;
  }
  const uploaded = uploadedInto(ctx, project);
  out(
    `    wharf                     ${fixed(run.seconds, 2).padStart(7)} s  ${fixed(set.distinctBytes / MB / run.seconds).padStart(6)} MB/s  ${fixed(uploaded / MB)} MB uploaded into the facade, ` +
      `adapter peak RSS ${fixed(watched.peak / MB)} MB; ${detail}\n`,
  );
  await quiet(ctx);
  return { seconds: run.seconds, cpu, uploaded };
}

async function skopeoInto(ctx: Context, set: ImageSet, destination: { url: string; namespace: string; credentials?: Context['credentials'] }, label: string, round: Round | undefined, dir: string): Promise<Measure> {
  syncDisks();
  const busy = machineBusySeconds();
  const watched = await watchCpu(ctx.groups, () =>
    skopeoSync({
      yamlPath: join(dir, `${destination.namespace}.yaml`),
      logPath: join(dir, `${destination.namespace}-${label.replaceAll(/\W+/g, '_')}.log`),
      sourceHost: hostOf(ctx.source.url),
      images: set.images,
      destination: `${hostOf(destination.url)}/${destination.namespace}`,
      credentials: destination.credentials,
    }),
  );
  const run = watched.result;
  const cpu = withOthers({ ...withClient(watched.cpu, watched.clientCpu), [SKOPEO]: run.cpu }, busy);
  await verifyCopies(destination.url, set.images, (image) => `${destination.namespace}/${lastElement(image.repository)}`, destination.credentials);
  if (round && label === 'skopeo') round.skopeoPeak = run.peak;
  const uploaded = destination.url === ctx.wharf.url ? uploadedInto(ctx, destination.namespace) : undefined;
  out(
    `    ${label.padEnd(25)} ${fixed(run.seconds, 2).padStart(7)} s  ${fixed(set.distinctBytes / MB / run.seconds).padStart(6)} MB/s  ` +
      `${uploaded !== undefined ? `${fixed(uploaded / MB)} MB uploaded into the facade, ` : ''}skopeo CPU ${fixed(run.cpu, 2)} s, peak RSS ${fixed(run.peak / MB)} MB\n`,
  );
  await quiet(ctx);
  return { seconds: run.seconds, cpu, uploaded };
}

async function freshDistribution(dir: string): Promise<RunningRegistry> {
  mkdirSync(dir, { recursive: true });
  const registry = await startDistribution({ rootDir: ROOT, dir, logLevel: settings.logLevel });
  return registry;
}

/** Push-based: the project a Wharf run filled, from the local Wharf into a fresh distribution. */
async function wharfPush(ctx: Context, set: ImageSet, project: string, dir: string): Promise<Measure> {
  const target = await freshDistribution(dir);
  try {
    const id = await createRegistry(ctx.wharf.admin, { name: `dist-${project}`, url: target.url });
    const policy = await createPolicy(ctx.wharf.admin, { name: `push-${project}`, source: null, destination: id, nameFilter: `${project}/**`, destNamespace: '', replaceCount: -1 });
    const groups = [...ctx.groups, processGroup('docker-registry (destination)', target.pid)];
    syncDisks();
    const busy = machineBusySeconds();
    const watched = await watchCpu(groups, () => runExecution(ctx.wharf.admin, policy, { pollMs: settings.pollMs, timeoutSeconds: settings.timeoutSeconds }));
    const run = watched.result;
    const cpu = withOthers(withClient(watched.cpu, watched.clientCpu), busy);
    await verifyCopies(target.url, set.images, (image) => `${project}/${lastElement(image.repository)}`);
    out(`    ${'wharf push → distribution'.padEnd(25)} ${fixed(run.seconds, 2).padStart(7)} s  ${fixed(set.distinctBytes / MB / run.seconds).padStart(6)} MB/s\n`);
    await quiet(ctx);
    return { seconds: run.seconds, cpu };
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function skopeoToDistribution(ctx: Context, set: ImageSet, dir: string): Promise<Measure> {
  const target = await freshDistribution(join(dir, 'registry'));
  try {
    const groups = [...ctx.groups, processGroup('docker-registry (destination)', target.pid)];
    return await skopeoInto({ ...ctx, groups }, set, { url: target.url, namespace: 'skopeo' }, 'skopeo → distribution', undefined, dir);
  } finally {
    await target.stop();
    rmSync(join(dir, 'registry'), { recursive: true, force: true });
  }
}

/** One round (or the warm-up, without `round`): a fresh image set, then each copy in the round's order. */
async function runRound(ctx: Context, label: string, shape: { totalBytes: number; images: number }, wharfFirst: boolean, round?: Round): Promise<void> {
  const dir = join(ctx.workDir, label);
  mkdirSync(dir, { recursive: true });
  const prefix = `src-${label}`;
  const set = await buildImageSet(dir, prefix, new BlobPattern(settings.blockBytes), shape);
  try {
    const client = new BenchClient(ctx.source.url);
    try {
      await pushImageSet(client, set);
    } finally {
      client.close();
    }
  } finally {
    set.remove();
  }
  out(
    `  ${label}${round ? '' : ' [warm-up, not counted]'}: ${set.images.length} images, ${set.layers.length} distinct layers, ${fixed(set.distinctBytes / MB)} MB distinct ` +
      `(${fixed(set.logicalBytes / MB)} MB as referenced), ${wharfFirst ? 'Wharf first' : 'skopeo first'}\n`,
  );
  await quiet(ctx);
  const wharfProject = `wharf-${label}`;
  const steps: [Kind, () => Promise<Measure>][] = [
    ['wharf', () => wharfPull(ctx, set, prefix, wharfProject, round)],
    [
      'skopeo',
      async () => {
        await ctx.wharf.admin.createProject(`skopeo-${label}`);
        return skopeoInto(ctx, set, { url: ctx.wharf.url, namespace: `skopeo-${label}`, credentials: ctx.credentials }, 'skopeo', round, dir);
      },
    ],
  ];
  if (!wharfFirst) steps.reverse();
  if (settings.only) steps.splice(0, steps.length, ...steps.filter(([kind]) => kind === settings.only));
  if (settings.anchors && !settings.only) {
    const anchors: [Kind, () => Promise<Measure>][] = [
      ['skopeo → distribution', () => skopeoToDistribution(ctx, set, dir)],
      ['wharf push → distribution', () => wharfPush(ctx, set, wharfProject, join(dir, 'push-destination'))],
    ];
    if (!wharfFirst) anchors.reverse();
    steps.push(...anchors);
  }
  for (const [kind, step] of steps) {
    const measure = await step();
    if (round) round.runs[kind] = measure;
  }
  if (round) {
    round.order = wharfFirst ? 'wharf first' : 'skopeo first';
    round.set = { distinct: set.distinctBytes, logical: set.logicalBytes };
  }
}

function summary(rounds: Round[], ctx: Context): void {
  const seconds = (kind: Kind): number[] => rounds.map((r) => r.runs[kind]?.seconds).filter((s): s is number => s !== undefined);
  const wharf = median(seconds('wharf'));
  const skopeo = median(seconds('skopeo'));
  const ratio = wharf / skopeo;
  const peaks = rounds.map((r) => r.adapterPeak ?? Number.NaN);
  const peak = Math.max(...peaks);
  const distinct = median(rounds.map((r) => r.set.distinct));
  const logical = median(rounds.map((r) => r.set.logical));

  out(`\nPer round (seconds; MB = 10^6 bytes)\n\n`);
  const kinds: Kind[] = ['wharf', 'skopeo', ...(settings.anchors ? (['skopeo → distribution', 'wharf push → distribution'] as Kind[]) : [])];
  out(
    table(
      ['round', 'order', ...kinds, 'wharf/skopeo', 'adapter peak RSS (MB)'],
      rounds.map((r, i) => [
        String(i + 1),
        r.order,
        ...kinds.map((kind) => fixed(r.runs[kind]?.seconds ?? Number.NaN, 2)),
        fixed((r.runs.wharf?.seconds ?? Number.NaN) / (r.runs.skopeo?.seconds ?? Number.NaN), 2),
        `${fixed((r.adapterPeak ?? Number.NaN) / MB)}${r.adapterPeakReset ? '' : ' (since start)'}`,
      ]),
    ),
  );
  out(`\nWharf tasks per round:\n${rounds.map((r, i) => `  round ${i + 1}: ${r.wharfDetail ?? ''}`).join('\n')}\n`);

  out(`\nMedians of ${rounds.length} round(s), ${fixed(distinct / MB)} MB distinct per set (${fixed(logical / MB)} MB as the images reference it)\n\n`);
  out(
    table(
      ['copy', 'time (s)', 'distinct MB/s', 'vs skopeo → wharf'],
      kinds.map((kind) => {
        const s = median(seconds(kind));
        return [kind, fixed(s, 2), fixed(distinct / MB / s), fixed(s / skopeo, 2)];
      }),
    ),
  );

  const processes = [...new Set(rounds.flatMap((r) => kinds.flatMap((kind) => Object.keys(r.runs[kind]?.cpu ?? {}))))];
  const cpuOf = (kind: Kind, name: string): number => median(rounds.map((r) => r.runs[kind]?.cpu[name]).filter((v): v is number => v !== undefined));
  out(`\nCPU seconds per process during each copy (median over rounds; redis-server is the machine's one server, shared)\n\n`);
  out(
    table(
      ['process', ...kinds],
      [
        ...processes.map((name) => [name, ...kinds.map((kind) => fixed(cpuOf(kind, name), 2))]),
        ['all ours but the client', ...kinds.map((kind) => fixed(processes.filter((name) => name !== CLIENT && name !== OTHERS).reduce((sum, name) => sum + (Number.isFinite(cpuOf(kind, name)) ? cpuOf(kind, name) : 0), 0), 2))],
      ],
    ),
  );
  const skopeoPeak = Math.max(...rounds.map((r) => r.skopeoPeak ?? Number.NaN));
  out(`\nskopeo's own peak RSS (sampled): ${fixed(skopeoPeak / MB)} MB\n`);
  out(`adapter (pid ${ctx.adapterPid}) peak RSS over its runs: ${fixed(peak / MB)} MB (VmHWM${rounds.every((r) => r.adapterPeakReset) ? ', reset before each run' : ', NOT reset: since the adapter started'})\n`);
  const uploaded = (kind: Kind): string => fixed(median(rounds.map((r) => r.runs[kind]?.uploaded ?? Number.NaN)) / MB);
  out(
    `bytes: ${fixed(distinct / MB)} MB of distinct blobs (layers + configs) per set, ${fixed(logical / MB)} MB as referenced by the ${settings.images} images; ` +
      `uploaded into registry-facade (its log, median): wharf ${uploaded('wharf')} MB, skopeo ${uploaded('skopeo')} MB\n`,
  );

  out(`\nwharf ${fixed(wharf, 2)} s vs skopeo sync ${fixed(skopeo, 2)} s (medians): ratio wharf/skopeo ${fixed(ratio, 3)}\n`);
  out(`${ratio <= TARGET_RATIO ? 'PASS' : 'MISS'}  time: wharf/skopeo ${fixed(ratio, 3)} (target ≤ ${TARGET_RATIO})\n`);
  out(`${peak < TARGET_RSS ? 'PASS' : 'MISS'}  adapter peak RSS ${fixed(peak / MB)} MB (target < ${TARGET_RSS / MB} MB)\n`);
}

async function main(): Promise<void> {
  cleanups.onSignals();
  out(`Wharf replication benchmark: a pull-based Wharf execution vs skopeo sync, same images, same destination suite\n${machine()}\n`);
  out(
    `settings: ${settings.images} images, ${settings.totalBytes / MB} MB distinct per set, ${settings.rounds} round(s)` +
      `${settings.warmUpBytes > 0 ? ` + warm-up (${settings.warmUpBytes / MB} MB, ${settings.images} images)` : ''}, anchors ${settings.anchors ? 'on' : 'off'}, ` +
      `poll ${settings.pollMs} ms, log level ${settings.logLevel}, block ${settings.blockBytes / MIB} MiB\n`,
  );
  const tuned = Object.entries(process.env).filter(([name]) => /^(ADAPTER|JOBSERVICE|CORE|PROXY|REGISTRY)_/.test(name));
  out(`service settings from the environment: ${tuned.length > 0 ? tuned.map(([k, v]) => `${k}=${v}`).join(' ') : '(none: defaults)'}\n`);
  await ensureTestInfrastructure(ROOT);

  const workDir = cleanups.workDir('wharf-replication-bench-', settings.keep);
  cleanups.push(skopeoCacheCleanup());
  out(`work dir ${workDir}\n`);

  const adminPassword = `Bench-${randomBytes(6).toString('hex')}-A1`;
  const wharf = await startWharf({ rootDir: ROOT, dir: join(workDir, 'wharf'), logLevel: settings.logLevel, adminPassword });
  cleanups.push(() => wharf.stop());
  mkdirSync(join(workDir, 'source'));
  const source = await startDistribution({ rootDir: ROOT, dir: join(workDir, 'source'), logLevel: settings.logLevel });
  cleanups.push(() => source.stop());
  const logs = [...wharf.services.map((s) => join(wharf.logDir, `${s.name}.log`)), source.logFile];
  cleanups.push(() => {
    if (process.exitCode) for (const log of logs) process.stderr.write(`--- last lines of ${log}\n${tail(log, 15)}\n`);
  });
  const adapterPid = wharf.services.find((s) => s.name === 'adapter')?.pid;
  if (adapterPid === undefined) throw new Error('the stack has no adapter service');
  out(`wharf: proxy ${wharf.url}; ${wharf.services.map((s) => `${s.name} pid ${s.pid}`).join(', ')}\nsource distribution ${source.url} (pid ${source.pid})\n`);

  const sourceId = await createRegistry(wharf.admin, { name: 'bench-source', url: source.url });
  const groups = [
    ...wharf.services.map((s) => processGroup(s.name, s.pid)),
    processesNamed('postgres backends', 'postgres', { titleIncludes: ` ${wharf.databaseName} ` }),
    processesNamed('redis-server', 'redis-server', { shared: true }),
    processGroup('docker-registry (source)', source.pid),
  ];
  const ctx: Context = { wharf, source, sourceId, groups, adapterPid, workDir, credentials: { username: 'admin', password: adminPassword } };

  if (settings.warmUpBytes > 0) {
    out('\nWarm-up\n');
    await runRound(ctx, 'warm', { totalBytes: settings.warmUpBytes, images: settings.images }, true);
  }
  out('\nRounds\n');
  const rounds: Round[] = [];
  for (let i = 1; i <= settings.rounds; i += 1) {
    const round: Round = { order: '', set: { distinct: 0, logical: 0 }, runs: {} };
    await runRound(ctx, `r${i}`, { totalBytes: settings.totalBytes, images: settings.images }, i % 2 === 1, round);
    rounds.push(round);
  }
  summary(rounds, ctx);
  out(
    '\nNotes: times are wall clock from the POST of the execution to the poll that saw Succeed (Wharf) and from spawn to exit (skopeo); ' +
      'both copy the same images into the same Wharf, new projects and new content every round. CPU: utime+stime from /proc (10 ms ticks); ' +
      "postgres backends: those serving the bench's database.\n",
  );
}

await runBench(main, cleanups);
