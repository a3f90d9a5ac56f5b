import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunOptions, type RunResult } from './run.js';

/** A dockerd of the test's own, with all its state in one directory. */
export interface DockerDaemon {
  /** DOCKER_HOST and DOCKER_CONFIG for the CLI. */
  env: NodeJS.ProcessEnv;
  configDir: string;
  logFile: string;
  /** Runs the docker CLI against this daemon. */
  docker(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** SIGTERM to dockerd's process group (SIGKILL after a while), then to a containerd it left behind. */
  stop(): Promise<void>;
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

async function logTail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).slice(-3000);
  } catch {
    return '(no log)';
  }
}

/**
 * Starts dockerd as TESTING.md describes: data-root, exec-root, pidfile and socket in `dir`,
 * no iptables, no bridge, the vfs storage driver, and an empty daemon.json so the machine's
 * /etc/docker/daemon.json does not apply. dockerd starts its own containerd. Resolves when
 * the daemon answers `docker version`; otherwise throws with dockerd's log.
 */
export async function startDockerDaemon(dir: string): Promise<DockerDaemon> {
  const missing = ['dockerd', 'docker'].filter((command) => !commandExists(command));
  if (missing.length > 0) {
    throw new Error(`the docker tests need ${missing.join(' and ')} (Debian: apt-get install -y --no-install-recommends docker.io)`);
  }
  const path = (name: string) => join(dir, name);
  const configDir = path('config');
  await mkdir(path('root'), { recursive: true });
  await mkdir(path('exec'), { recursive: true });
  await mkdir(configDir, { recursive: true });
  await writeFile(path('daemon.json'), '{}');
  await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: {} }));
  const socket = path('docker.sock');
  const logFile = path('dockerd.log');
  const env: NodeJS.ProcessEnv = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: configDir };

  const log = openSync(logFile, 'a');
  const daemon = spawn(
    'dockerd',
    [
      '--config-file', path('daemon.json'),
      '--data-root', path('root'),
      '--exec-root', path('exec'),
      '--pidfile', path('dockerd.pid'),
      '--host', `unix://${socket}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exit: string | undefined;
  daemon.once('exit', (code, signal) => (exit = `${code ?? signal}`));
  daemon.once('error', (error) => (exit = error.message));
  const pid = daemon.pid;

  const docker = (args: readonly string[], options: RunOptions = {}) => run('docker', args, { ...options, env: { ...env, ...options.env } });

  const stop = async (): Promise<void> => {
    if (pid !== undefined && exit === undefined) {
      signalGroup(pid, 'SIGTERM');
      if (!(await waitUntil(() => exit !== undefined, 20_000))) {
        signalGroup(pid, 'SIGKILL');
        await waitUntil(() => exit !== undefined, 5000);
      }
    }
    // dockerd runs containerd in a session of its own; make sure it is gone too
    let containerd: number | undefined;
    try {
      containerd = Number(readFileSync(path('exec/containerd/containerd.pid'), 'utf8').trim()) || undefined;
    } catch {
      containerd = undefined;
    }
    if (containerd !== undefined && alive(containerd)) {
      process.kill(containerd, 'SIGTERM');
      if (!(await waitUntil(() => !alive(containerd), 10_000))) process.kill(containerd, 'SIGKILL');
    }
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exit !== undefined) {
      await stop();
      throw new Error(`dockerd exited (${exit}) before it was ready; its log (${logFile}):\n${await logTail(logFile)}`);
    }
    const probe = await docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true, timeoutMs: 10_000 });
    if (probe.code === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer on ${socket} within 60s: ${probe.stderr.trim()}\nits log:\n${await logTail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return { env, configDir, logFile, docker, stop };
}
