import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface ServiceProcessOptions {
  name: string;
  /** The service's compiled entry point (`services/<name>/dist/main.js`). */
  entry: string;
  /** Options for Node itself, before the entry point (see node-options.ts). */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Polled until it answers 200. */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** The service appends its output to this file itself; otherwise it goes to this process's stdout, prefixed. */
  logFile?: string;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** The exit code or signal name once the process has ended (as seen by this process), else undefined. */
  readonly exitStatus: number | string | undefined;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill(): Promise<void>;
}

export class ServiceStartError extends Error {
  /** What went wrong, without the service's name or log (`exited (1) before it was ready`). */
  readonly reason: string;

  constructor(message: string, reason: string = message) {
    super(message);
    this.name = 'ServiceStartError';
    this.reason = reason;
  }
}

/** Where a service's output goes, for messages: its log file, or this terminal. */
export function logPlace(options: Pick<ServiceProcessOptions, 'name' | 'logFile'>): string {
  return options.logFile ?? `this terminal (lines prefixed [${options.name}])`;
}

/**
 * Starts a service with the running Node and waits until its readiness URL answers 200.
 * Aborting `signal` while it waits stops the new process and rejects with the signal's reason.
 */
export async function startServiceProcess(options: ServiceProcessOptions, signal?: AbortSignal): Promise<ServiceProcess> {
  signal?.throwIfAborted();
  let child: ChildProcess;
  if (options.logFile) {
    // The service writes its log file itself: no bytes relayed through this process.
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = openSync(options.logFile, 'a');
    try {
      child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], { env: options.env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
  } else {
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${options.name}] ${line}\n`));
    }
  }
  let ended: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signalName) => {
      ended = code ?? signalName ?? 'unknown';
      resolve(ended);
    });
  });

  const stopWith = async (signalName: NodeJS.Signals, timeoutMs: number): Promise<void> => {
    if (ended !== undefined) return;
    child.kill(signalName);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  const see = options.logFile ? `; see ${options.logFile}` : '';
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (signal?.aborted) {
      await stopWith('SIGTERM', 5000);
      throw signal.reason;
    }
    if (ended !== undefined) {
      const reason = `exited (${ended}) before it was ready`;
      throw new ServiceStartError(`${options.name} ${reason}${see}`, reason);
    }
    if (Date.now() > deadline) {
      await stopWith('SIGKILL', 5000);
      const reason = `was not ready at ${options.readyUrl} in time`;
      throw new ServiceStartError(`${options.name} ${reason}${see}`, reason);
    }
    try {
      const timeout = AbortSignal.timeout(2000);
      const response = await fetch(options.readyUrl, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not listening yet (or aborted: checked above)
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    name: options.name,
    pid: child.pid!,
    child,
    exited,
    get exitStatus() {
      return ended;
    },
    stop: (timeoutMs = 15_000) => stopWith('SIGTERM', timeoutMs),
    kill: () => stopWith('SIGKILL', 5000),
  };
}
