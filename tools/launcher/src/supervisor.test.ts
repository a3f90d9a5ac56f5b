import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ServiceStartError, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
import { Supervisor } from './supervisor.js';

/** A service process that ends when the test says so (a crash) or when stopped. */
class FakeProcess implements ServiceProcess {
  readonly child = {} as ChildProcess;
  readonly exited: Promise<number | string>;
  exitStatus: number | string | undefined;
  readonly signals: string[] = [];
  readonly name: string;
  readonly pid: number;
  private end!: (status: number | string) => void;

  constructor(name: string, pid: number) {
    this.name = name;
    this.pid = pid;
    this.exited = new Promise((resolve) => (this.end = resolve));
  }

  /** Ends on its own, as a crash or a kill -9 from outside would. */
  crash(status: number | string): void {
    if (this.exitStatus !== undefined) return;
    this.exitStatus = status;
    this.end(status);
  }

  async stop(): Promise<void> {
    this.signals.push('SIGTERM');
    this.crash(0);
  }

  async kill(): Promise<void> {
    this.signals.push('SIGKILL');
    this.crash('SIGKILL');
  }
}

const spec = (name: string): ServiceProcessOptions => ({ name, entry: `${name}.js`, env: {}, readyUrl: 'http://127.0.0.1:1/readyz', logFile: `/logs/${name}.log` });

/** Yields until `check` holds (each fake step settles within a few turns of the event loop). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

/**
 * A supervisor over fake processes, with a clock the test sets and waits that end when the
 * test releases them (or at once with `instantWaits`), so every wait is recorded and no test sleeps.
 */
function harness(options: { instantWaits?: boolean } = {}) {
  let pid = 100;
  let clock = 0;
  const lines: string[] = [];
  const waits: number[] = [];
  const waiting: { ms: number; release: () => void }[] = [];
  const started: FakeProcess[] = [];
  /** Outcomes of the next starts: a failure reason, or undefined for a ready process. */
  const failures: (string | undefined)[] = [];
  const supervisor = new Supervisor({
    start: async (service, signal) => {
      signal.throwIfAborted();
      const failure = failures.shift();
      if (failure) throw new ServiceStartError(`${service.name} ${failure}`, failure);
      const process = new FakeProcess(service.name, (pid += 1));
      started.push(process);
      return process;
    },
    report: (line) => lines.push(line),
    backoff: { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 },
    now: () => clock,
    sleep: (ms, signal) => {
      waits.push(ms);
      if (options.instantWaits) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        waiting.push({ ms, release: resolve });
      });
    },
    exitGraceMs: 0,
  });
  const adopt = (name: string): FakeProcess => {
    const process = new FakeProcess(name, (pid += 1));
    supervisor.adopt(spec(name), process);
    return process;
  };
  return {
    supervisor,
    lines,
    waits,
    waiting,
    started,
    failures,
    adopt,
    advance: (ms: number) => (clock += ms),
    releaseWaits: () => waiting.splice(0).forEach((wait) => wait.release()),
  };
}

describe('Supervisor', () => {
  it('starts a service that exited on its own again after 1 s, naming it, its status and its log, and records the exit', async () => {
    const h = harness();
    h.adopt('registry-facade');
    const core = h.adopt('core');
    h.advance(5000);
    core.crash('SIGKILL');
    await until(() => h.waiting.length === 1, 'a wait before the restart');
    expect(h.lines).toEqual(['core exited (SIGKILL); restarting in 1 s — log: /logs/core.log']);
    expect(h.supervisor.exits).toEqual([{ name: 'core', pid: core.pid, status: 'SIGKILL', at: new Date(5000) }]);
    expect(h.started).toHaveLength(0);

    h.releaseWaits();
    const back = await h.supervisor.waitUntilReady('core', { exceptPid: core.pid, timeoutMs: 5000 });
    expect(back).toBe(h.started[0]);
    expect(h.supervisor.current('core')).toBe(back);
    expect(h.supervisor.services.map((s) => s.name)).toEqual(['registry-facade', 'core']);
    expect(h.supervisor.services[1]).toBe(back);
    expect(h.lines.at(-1)).toBe(`core is running again (pid ${back.pid})`);
  });

  it('waits twice as long each time a service dies soon after it starts, up to the maximum, and from 1 s again after a long run', async () => {
    const h = harness({ instantWaits: true });
    let current = h.adopt('jobservice');
    for (let i = 0; i < 7; i += 1) {
      h.advance(2000);
      current.crash(1);
      current = (await h.supervisor.waitUntilReady('jobservice', { exceptPid: current.pid, timeoutMs: 5000 })) as FakeProcess;
    }
    expect(h.waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    h.advance(60_000);
    current.crash(1);
    await h.supervisor.waitUntilReady('jobservice', { exceptPid: current.pid, timeoutMs: 5000 });
    expect(h.waits.at(-1)).toBe(1000);
    expect(h.supervisor.exits).toHaveLength(8);
  });

  it('retries a start that does not get ready, with growing waits, until one is ready', async () => {
    const h = harness({ instantWaits: true });
    const adapter = h.adopt('adapter');
    h.failures.push('exited (1) before it was ready', 'was not ready at http://127.0.0.1:1/readyz in time');
    adapter.crash(1);
    const back = await h.supervisor.waitUntilReady('adapter', { exceptPid: adapter.pid, timeoutMs: 5000 });
    expect(h.waits).toEqual([1000, 2000, 4000]);
    expect(h.lines).toEqual([
      'adapter exited (1); restarting in 1 s — log: /logs/adapter.log',
      'adapter did not start (exited (1) before it was ready); retrying in 2 s — log: /logs/adapter.log',
      'adapter did not start (was not ready at http://127.0.0.1:1/readyz in time); retrying in 4 s — log: /logs/adapter.log',
      `adapter is running again (pid ${back.pid})`,
    ]);
  });

  it('leaves a service it was told to restart alone: down for downMs, not counted as an exit, started once', async () => {
    const h = harness();
    const core = h.adopt('core');
    const restarted = h.supervisor.restart('core', { kill: true, downMs: 60_000 });
    await until(() => h.waiting.length === 1, 'the down time');
    expect(core.signals).toEqual(['SIGKILL']);
    expect(h.waiting[0]!.ms).toBe(60_000);
    // Down: nothing started it again behind the restart's back.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(h.started).toHaveLength(0);
    h.releaseWaits();
    const back = await restarted;
    expect(h.started).toEqual([back]);
    expect(h.supervisor.current('core')).toBe(back);
    expect(h.supervisor.exits).toEqual([]);
    expect(h.lines).toEqual([]);
  });

  it('a restart asked while the supervisor waits to bring a crashed service back replaces that wait', async () => {
    const h = harness();
    const core = h.adopt('core');
    core.crash('SIGSEGV');
    await until(() => h.waiting.length === 1, "the supervisor's wait");
    h.waiting.splice(0);
    const back = await h.supervisor.restart('core');
    expect(h.started).toEqual([back]);
    expect(h.supervisor.exits.map((e) => e.status)).toEqual(['SIGSEGV']);
  });

  it('stop ends supervision first: a pending restart is cancelled and an exit during the stop is not restarted', async () => {
    const h = harness();
    const first = h.adopt('registry-facade');
    const second = h.adopt('core');
    second.crash(1);
    await until(() => h.waiting.length === 1, 'a wait before the restart');
    await h.supervisor.stop();
    expect(first.signals).toEqual(['SIGTERM']);
    expect(h.started).toHaveLength(0);
    await expect(h.supervisor.waitUntilReady('core', { timeoutMs: 1000 })).rejects.toThrow(/stopped/);
    await expect(h.supervisor.restart('core')).rejects.toThrow(/stopping/);
    expect(h.lines).toEqual(['core exited (1); restarting in 1 s — log: /logs/core.log']);
  });

  it('an exit seen after a stop began (Ctrl-C reaching the services too) is neither recorded nor reported', async () => {
    const h = harness();
    const proxy = h.adopt('proxy');
    const stopping = h.supervisor.stop();
    proxy.crash(0);
    await stopping;
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.supervisor.exits).toEqual([]);
    expect(h.lines).toEqual([]);
  });

  it('kill SIGKILLs every service at once and restarts none', async () => {
    const h = harness();
    const a = h.adopt('core');
    const b = h.adopt('proxy');
    await h.supervisor.kill();
    expect([a.signals, b.signals]).toEqual([['SIGKILL'], ['SIGKILL']]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.started).toHaveLength(0);
    expect(h.supervisor.exits).toEqual([]);
  });

  it('says where a service logs when its output goes to the terminal', async () => {
    const h = harness();
    const process = new FakeProcess('core', 7);
    h.supervisor.adopt({ ...spec('core'), logFile: undefined }, process);
    process.crash(2);
    await until(() => h.lines.length === 1, 'the report');
    expect(h.lines[0]).toBe('core exited (2); restarting in 1 s — log: this terminal (lines prefixed [core])');
  });
});
