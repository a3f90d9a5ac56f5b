import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
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
 * root. By default its output goes straight to a log file, as distribution's does; with
 * `viaLauncher` it is started by the launcher's startServiceProcess, which relays the output
 * through a pipe into this (busy client) process.
 */
export async function startFacade(options: StartOptions & { viaLauncher?: boolean }): Promise<RunningRegistry> {
  const database = await createTestDatabase('bench');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(options.dir, 'registry-facade.log');
  try {
    const start = options.viaLauncher ? startServiceProcess : startWithLogFile;
    const service = await start({
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

/** Polls `url` until it answers 200; fails when `ended()` says the process is gone or time runs out. */
async function waitReady(name: string, url: string, ended: () => string | undefined, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = ended();
    if (status !== undefined) throw new Error(`${name} exited (${status}) before it was ready; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready at ${url} in time; see ${logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
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

/** startServiceProcess's contract, with the output going straight to the log file. */
async function startWithLogFile(options: {
  name: string;
  entry: string;
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  readyUrl: string;
  logFile: string;
}): Promise<{ pid: number; stop(timeoutMs?: number): Promise<void> }> {
  const child = spawnLogged(process.execPath, [...(options.nodeArgs ?? []), options.entry], options.env, options.logFile);
  try {
    await waitReady(options.name, options.readyUrl, child.ended, options.logFile);
  } catch (error) {
    await child.stop(5000);
    throw error;
  }
  return { pid: child.pid, stop: (timeoutMs = 15_000) => child.stop(timeoutMs) };
}

/** CNCF distribution (Debian's docker-registry 2.8) with a minimal config of our own. */
export async function startDistribution(options: StartOptions): Promise<RunningRegistry> {
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
      '',
    ].join('\n'),
  );
  const child = spawnLogged('docker-registry', ['serve', config], process.env, logFile);
  try {
    await waitReady('docker-registry', `${url}/v2/`, child.ended, logFile, 30_000);
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

/** The null server of null-server.ts, in its own process (so it does not share the client's thread). */
export async function startNullServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./null-server.ts', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
      else reject(new Error(`null server said ${JSON.stringify(line)}`));
    });
    child.once('exit', (code) => reject(new Error(`null server exited (${code})`)));
  });
  lines.close();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
