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
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill(): Promise<void>;
}

export class ServiceStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceStartError';
  }
}

/** Starts a service with the running Node and waits until its readiness URL answers 200. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
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
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let ended: number | string | undefined;
  void exited.then((status) => (ended = status));
  for (;;) {
    if (ended !== undefined) {
      throw new ServiceStartError(`${options.name} exited (${ended}) before it was ready${options.logFile ? `; see ${options.logFile}` : ''}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ServiceStartError(`${options.name} was not ready at ${options.readyUrl} in time${options.logFile ? `; see ${options.logFile}` : ''}`);
    }
    try {
      const response = await fetch(options.readyUrl, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const stopWith = async (signal: NodeJS.Signals, timeoutMs: number): Promise<void> => {
    if (ended !== undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    name: options.name,
    pid: child.pid!,
    child,
    exited,
    stop: (timeoutMs = 15_000) => stopWith('SIGTERM', timeoutMs),
    kill: () => stopWith('SIGKILL', 5000),
  };
}
