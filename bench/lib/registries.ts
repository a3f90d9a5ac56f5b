import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// bench/ is not a workspace package: the workspace packages are used through their built dist.
import { serviceNodeOptions, startServiceProcess } from '../../tools/launcher/dist/index.js';
import { createTestDatabase, freePort } from '../../packages/testing/dist/index.js';

/** A registry under test, started by the benchmark, with the pid whose memory is read. */
export interface RunningRegistry {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The repository root (where services/ is). */
  rootDir: string;
  /** A fresh directory of this registry's own. */
  dir: string;
  logLevel: string;
  /** Extra environment for the facade (any of its settings). */
  env?: NodeJS.ProcessEnv;
  /** The facade's entry point, to compare another build (default: services/registry-facade/dist/main.js). */
  entry?: string;
}

/**
 * registry-facade from its build, on a fresh database (dropped by stop()) and a fresh storage
 * root, by the launcher's startServiceProcess; its output goes straight to a log file, as
 * distribution's does.
 */
export async function startFacade(options: StartOptions): Promise<RunningRegistry> {
  const database = await createTestDatabase('bench');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(options.dir, 'registry-facade.log');
  try {
    const service = await startServiceProcess({
      name: 'registry-facade',
      entry: options.entry ?? join(options.rootDir, 'services/registry-facade/dist/main.js'),
      nodeArgs: serviceNodeOptions['registry-facade'],
      readyUrl: `${url}/readyz`,
      logFile,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        REGISTRY_HTTP_HOST: '127.0.0.1',
        REGISTRY_HTTP_PORT: String(port),
        REGISTRY_STORAGE_DRIVER: 'filesystem',
        REGISTRY_STORAGE_FILESYSTEM_ROOT: join(options.dir, 'storage'),
        REGISTRY_STORAGE_DELETE_ENABLED: 'true',
        REGISTRY_AUTH_MODE: 'none',
        LOG_LEVEL: options.logLevel,
        ...options.env,
      },
    });
    return {
      name: 'registry-facade',
      url,
      pid: service.pid,
      logFile,
      stop: async () => {
        try {
          await service.stop(15_000);
        } finally {
          await database.drop();
        }
      },
    };
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
}

/** Polls `url` until it answers `readyStatus`; fails when `ended()` says the process is gone or time runs out. */
async function waitReady(name: string, url: string, ended: () => string | undefined, logFile: string, timeoutMs = 60_000, readyStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = ended();
    if (status !== undefined) throw new Error(`${name} exited (${status}) before it was ready; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready at ${url} in time; see ${logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === readyStatus) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `command args` with stdout and stderr appended to `logFile` directly (no pipe through this process). */
function spawnLogged(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): { pid: number; ended(): string | undefined; stop(timeoutMs: number): Promise<void> } {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', log, log] });
  closeSync(log);
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = String(code ?? signal);
      resolve();
    });
    child.once('error', (error) => {
      status = error.message;
      resolve();
    });
  });
  return {
    pid: child.pid ?? -1,
    ended: () => status,
    stop: async (timeoutMs) => {
      if (status !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** distribution's `auth.token` section: tokens signed by a key whose certificate is in `rootCertBundle`. */
export interface DistributionTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** A PEM file of the certificates whose keys may sign tokens. */
  rootCertBundle: string;
}

/** CNCF distribution (Debian's docker-registry 2.8) with a minimal config of our own; with `tokenAuth`, token auth. */
export async function startDistribution(options: StartOptions & { tokenAuth?: DistributionTokenAuth }): Promise<RunningRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(options.dir, 'config.yml');
  const logFile = join(options.dir, 'distribution.log');
  // distribution's log levels: error, warn, info, debug (the facade's names, fatal aside).
  const level = ['error', 'warn', 'info', 'debug'].includes(options.logLevel) ? options.logLevel : 'info';
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      `  level: ${level}`,
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(options.dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      // As in distribution's own sample config and Debian's packaged one.
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...(options.tokenAuth
        ? [
            'auth:',
            '  token:',
            `    realm: ${JSON.stringify(options.tokenAuth.realm)}`,
            `    service: ${JSON.stringify(options.tokenAuth.service)}`,
            `    issuer: ${JSON.stringify(options.tokenAuth.issuer)}`,
            `    rootcertbundle: ${JSON.stringify(options.tokenAuth.rootCertBundle)}`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  const child = spawnLogged('docker-registry', ['serve', config], process.env, logFile);
  try {
    // With token auth, /v2/ answers 401 with a challenge once the registry is up.
    await waitReady('docker-registry', `${url}/v2/`, child.ended, logFile, 30_000, options.tokenAuth ? 401 : 200);
  } catch (error) {
    await child.stop(5000);
    throw error;
  }
  return { name: 'distribution', url, pid: child.pid, logFile, stop: () => child.stop(10_000) };
}

/** Resident set size and its high-water mark of a process, in bytes (from /proc/<pid>/status). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets the process's VmHWM to its current RSS (Linux: `5` into clear_refs); false where not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export interface Watched<T> {
  result: T;
  /** Peak RSS in bytes during the task (or since the process started if VmHWM could not be reset). */
  peak: number;
  /** CPU seconds the watched process used during the task. */
  cpu: number;
  /** CPU seconds this (client) process used during the task. */
  clientCpu: number;
  /** False when VmHWM could not be reset: `peak` then also covers what came before the task. */
  hwmReset: boolean;
}

/**
 * Watches a process while `task` runs: its RSS sampled every 20 ms and its VmHWM at the
 * end (reset first, so the peak is the task's own where the kernel allows it), and the
 * CPU time it and this client used.
 */
export async function watchProcess<T>(pid: number, task: () => Promise<T>): Promise<Watched<T>> {
  const hwmReset = resetPeak(pid);
  let maxSampled = memoryOf(pid).rss;
  const timer = setInterval(() => {
    try {
      maxSampled = Math.max(maxSampled, memoryOf(pid).rss);
    } catch {
      // the process went away; the task will fail on its own
    }
  }, 20);
  const cpuBefore = cpuSecondsOf(pid);
  const clientBefore = process.cpuUsage();
  try {
    const result = await task();
    const client = process.cpuUsage(clientBefore);
    const cpu = cpuSecondsOf(pid) - cpuBefore;
    const { hwm, rss } = memoryOf(pid);
    return { result, peak: Math.max(hwm, rss, maxSampled), cpu, clientCpu: (client.user + client.system) / 1e6, hwmReset };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Processes whose CPU time is counted together: one service (one pid), or every process of
 * a server such as Postgres, whose backends come and go (found by name in /proc each time).
 */
export interface ProcessGroup {
  name: string;
  pids(): number[];
  /** Serves others on this machine too (its CPU is counted, but settle() does not wait for it to be quiet). */
  shared?: boolean;
}

export function processGroup(name: string, pid: number): ProcessGroup {
  return { name, pids: () => [pid] };
}

/**
 * Every process whose /proc/<pid>/comm is `command` (e.g. `postgres`, `redis-server`) and,
 * with `titleIncludes`, whose command line (the process title) contains it: a Postgres
 * backend's title names its database (`postgres: 15/main: <user> <database> <client> idle`).
 */
export function processesNamed(name: string, command: string, options: { titleIncludes?: string; shared?: boolean } = {}): ProcessGroup {
  const { titleIncludes, shared } = options;
  return {
    name,
    shared,
    pids: () =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .filter((entry) => {
          try {
            if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== command) return false;
            return titleIncludes === undefined || readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(titleIncludes);
          } catch {
            return false; // gone meanwhile
          }
        })
        .map(Number),
  };
}

/** CPU seconds of each group's processes at one moment (pid → seconds, per group). */
type CpuSnapshot = Map<string, Map<number, number>>;

function snapshotCpu(groups: readonly ProcessGroup[]): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const group of groups) {
    const pids = new Map<number, number>();
    for (const pid of group.pids()) {
      try {
        pids.set(pid, cpuSecondsOf(pid));
      } catch {
        // gone meanwhile
      }
    }
    snapshot.set(group.name, pids);
  }
  return snapshot;
}

/**
 * CPU seconds each group used between two snapshots. A process that started in between
 * counts from zero; one that ended in between is lost (a Postgres backend that lives only
 * that long: the services keep pooled connections, so hardly ever).
 */
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [name, pids] of after) {
    let sum = 0;
    for (const [pid, seconds] of pids) sum += seconds - (before.get(name)?.get(pid) ?? 0);
    used[name] = sum;
  }
  return used;
}

export interface CpuWatched<T> {
  result: T;
  /** CPU seconds per group (by name) during the task. */
  cpu: Record<string, number>;
  /** CPU seconds of this (client) process during the task. */
  clientCpu: number;
}

/** The CPU time each group and this client used while `task` ran. */
export async function watchCpu<T>(groups: readonly ProcessGroup[], task: () => Promise<T>): Promise<CpuWatched<T>> {
  const before = snapshotCpu(groups);
  const clientBefore = process.cpuUsage();
  const result = await task();
  const client = process.cpuUsage(clientBefore);
  return { result, cpu: cpuBetween(before, snapshotCpu(groups)), clientCpu: (client.user + client.system) / 1e6 };
}

/**
 * Waits until the groups that are not shared are quiet (together at most 5% of one core in
 * three 500 ms samples in a row, longer than registry-facade's 1 s event poll, or until
 * `maxSeconds` passed) and returns the CPU each used meanwhile: the work a phase left behind
 * (queued events being delivered and applied).
 */
export async function settle(groups: readonly ProcessGroup[], maxSeconds = 30): Promise<{ seconds: number; cpu: Record<string, number> }> {
  const started = performance.now();
  const first = snapshotCpu(groups);
  let previous = first;
  let quiet = 0;
  while (quiet < 3 && performance.now() - started < maxSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = snapshotCpu(groups);
    const used = cpuBetween(previous, now);
    const total = groups.filter((group) => !group.shared).reduce((sum, group) => sum + (used[group.name] ?? 0), 0);
    quiet = total <= 0.05 * 0.5 + 1e-9 ? quiet + 1 : 0;
    previous = now;
  }
  return { seconds: (performance.now() - started) / 1000, cpu: cpuBetween(first, previous) };
}

/** The null server of null-server.ts, in its own process (so it does not share the client's thread). */
export interface HelperProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The null server (null-server.ts) in its own process. */
export function startNullServer(): Promise<HelperProcess> {
  return startHelper('null-server.ts', []);
}

/** A bare TCP relay (tcp-relay.ts) to `port`, in its own process. */
export function startTcpRelay(port: number): Promise<HelperProcess> {
  return startHelper('tcp-relay.ts', [String(port)]);
}

/** Runs one of this folder's scripts, which prints `listening <port>` once ready. */
async function startHelper(name: string, args: readonly string[]): Promise<HelperProcess> {
  const script = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
      else reject(new Error(`${name} said ${JSON.stringify(line)}`));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
  });
  lines.close();
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
