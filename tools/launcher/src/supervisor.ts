import { DEFAULT_BACKOFF, formatDelay, RestartBackoff, type BackoffPolicy } from './restart-backoff.js';
import { logPlace, ServiceStartError, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';

/** A service process of the stack that ended without the stack asking it to. */
export interface ServiceExit {
  name: string;
  pid: number;
  /** The exit code, or the signal name (`SIGKILL`). */
  status: number | string;
  at: Date;
}

export interface SupervisorDeps {
  /** Starts one service and resolves once it is ready; aborting `signal` stops it and rejects. */
  start(spec: ServiceProcessOptions, signal: AbortSignal): Promise<ServiceProcess>;
  /** One line for the person running the stack (`core exited (SIGKILL); restarting in 1 s — log: …`). */
  report(line: string): void;
  backoff?: BackoffPolicy;
  now?: () => number;
  /** Resolves after `ms`, rejects as soon as `signal` is aborted. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * How long an exit is held before it counts as unexpected, so that a stop that began at
   * the same moment wins (Ctrl-C in a terminal reaches the services as well as the launcher).
   */
  exitGraceMs?: number;
}

/** Where one service is: up and ready, on its way back (a wait or a start in progress), or stopped for good. */
type SlotState = 'running' | 'restarting' | 'stopped';

interface Slot {
  spec: ServiceProcessOptions;
  index: number;
  process: ServiceProcess;
  readyAt: number;
  state: SlotState;
  backoff: RestartBackoff;
  /** A start in progress (the supervisor's, or restart()'s), with its wait. */
  pending?: { controller: AbortController; done: Promise<ServiceProcess> };
  /** restart() calls on this service, one after the other. */
  queue: Promise<unknown>;
  /** Resolved (and replaced) whenever `state` or `process` changes, or the process is seen to exit. */
  changed: { promise: Promise<void>; resolve: () => void };
}

function signalled(): Slot['changed'] {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Keeps the services of a stack running, as compose's `restart: always` and Kubernetes do: a
 * service that exits on its own is recorded in `exits`, reported with its status and log, and
 * started again after a backoff (1 s doubling to 30 s, reset once a run has lasted a minute);
 * a start that does not get ready is retried the same way, never given up on. A service the
 * stack stops on purpose (`restart`, `stop`) is not restarted behind its back.
 */
export class Supervisor {
  /** The current process of every service, in start order (a restarted service's entry is replaced). */
  readonly services: ServiceProcess[] = [];
  readonly exits: ServiceExit[] = [];
  private readonly slots = new Map<string, Slot>();
  /** Processes the stack itself stopped or killed: their exit is expected. */
  private readonly deliberate = new WeakSet<ServiceProcess>();
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly exitGraceMs: number;
  private readonly deps: SupervisorDeps;

  constructor(deps: SupervisorDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? abortableSleep;
    this.exitGraceMs = deps.exitGraceMs ?? 100;
  }

  /** Takes a started, ready service under supervision. */
  adopt(spec: ServiceProcessOptions, process: ServiceProcess): void {
    if (this.slots.has(spec.name)) throw new Error(`${spec.name} is already supervised`);
    const slot: Slot = {
      spec,
      index: this.services.length,
      process,
      readyAt: this.now(),
      state: 'running',
      backoff: new RestartBackoff(this.deps.backoff ?? DEFAULT_BACKOFF),
      queue: Promise.resolve(),
      changed: signalled(),
    };
    this.slots.set(spec.name, slot);
    this.services.push(process);
    this.watch(slot, process);
  }

  /** The service's current process (perhaps one that has just died and is being replaced). */
  current(name: string): ServiceProcess {
    return this.slot(name).process;
  }

  /**
   * Resolves with the service's process once it is up and ready, and is not `exceptPid`
   * (the pid of a process the caller just killed, whose exit may not have been seen yet).
   */
  async waitUntilReady(name: string, options: { exceptPid?: number; timeoutMs?: number } = {}): Promise<ServiceProcess> {
    const slot = this.slot(name);
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const { process, state, changed } = slot;
      if (state === 'running' && process.exitStatus === undefined && process.pid !== options.exceptPid) return process;
      if (state === 'stopped') throw new Error(`${name} was stopped with the stack`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${name} was not up and ready again in time; log: ${logPlace(slot.spec)}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed.promise, new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 1000))))]);
      clearTimeout(timer);
    }
  }

  /**
   * Stops one service (SIGTERM, or SIGKILL as a crash with `kill`), keeps it down for
   * `downMs`, and starts it again (retrying with backoff until it is ready); resolves when it
   * is ready. The supervisor leaves the service alone meanwhile.
   */
  restart(name: string, how: { kill?: boolean; downMs?: number } = {}): Promise<ServiceProcess> {
    const slot = this.slot(name);
    const run = slot.queue.then(() => this.restartNow(slot, how));
    slot.queue = run.catch(() => undefined);
    return run;
  }

  /** Ends supervision, cancels every pending start, then stops the services, last started first. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the stack is stopping'));
    const slots = [...this.slots.values()];
    await Promise.all(slots.map((slot) => this.cancelPending(slot)));
    await Promise.all(slots.map((slot) => slot.queue));
    for (const slot of slots.reverse()) {
      this.deliberate.add(slot.process);
      this.setState(slot, 'stopped');
      await slot.process.stop();
    }
  }

  /** Ends supervision and SIGKILLs every service at once (a second Ctrl-C). */
  async kill(): Promise<void> {
    this.stopping.abort(new Error('the stack is stopping'));
    const slots = [...this.slots.values()];
    for (const slot of slots) slot.pending?.controller.abort(new Error('the stack is stopping'));
    await Promise.all(
      slots.map((slot) => {
        this.deliberate.add(slot.process);
        this.setState(slot, 'stopped');
        return slot.process.kill();
      }),
    );
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no service ${name} in this stack`);
    return slot;
  }

  private setState(slot: Slot, state: SlotState): void {
    slot.state = state;
    this.notify(slot);
  }

  private notify(slot: Slot): void {
    const { resolve } = slot.changed;
    slot.changed = signalled();
    resolve();
  }

  private watch(slot: Slot, process: ServiceProcess): void {
    void process.exited.then(async (status) => {
      this.notify(slot);
      if (this.exitGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, this.exitGraceMs));
      if (this.stopping.signal.aborted || this.deliberate.has(process) || slot.process !== process || slot.state !== 'running') return;
      const at = this.now();
      this.exits.push({ name: slot.spec.name, pid: process.pid, status, at: new Date(at) });
      const wait = slot.backoff.next(at - slot.readyAt);
      this.deps.report(`${slot.spec.name} exited (${status}); restarting in ${formatDelay(wait)} — log: ${logPlace(slot.spec)}`);
      this.setState(slot, 'restarting');
      this.launch(slot, wait, true).catch(() => undefined);
    });
  }

  private async restartNow(slot: Slot, how: { kill?: boolean; downMs?: number }): Promise<ServiceProcess> {
    this.stopping.signal.throwIfAborted();
    this.setState(slot, 'restarting');
    await this.cancelPending(slot);
    const process = slot.process;
    this.deliberate.add(process);
    await (how.kill ? process.kill() : process.stop());
    if (how.downMs) await this.sleep(how.downMs, this.stopping.signal);
    return this.launch(slot, 0, false);
  }

  /** Starts the service after `firstWaitMs`, again and again with backoff until one start is ready. */
  private launch(slot: Slot, firstWaitMs: number, bySupervisor: boolean): Promise<ServiceProcess> {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.stopping.signal]);
    const { name } = slot.spec;
    const done = (async () => {
      let wait = firstWaitMs;
      for (;;) {
        if (wait > 0) await this.sleep(wait, signal);
        signal.throwIfAborted();
        try {
          const process = await this.deps.start(slot.spec, signal);
          if (signal.aborted) {
            await process.stop();
            signal.throwIfAborted();
          }
          slot.process = process;
          slot.readyAt = this.now();
          this.services[slot.index] = process;
          this.watch(slot, process);
          this.setState(slot, 'running');
          if (bySupervisor) this.deps.report(`${name} is running again (pid ${process.pid})`);
          return process;
        } catch (error) {
          if (signal.aborted) throw error;
          wait = slot.backoff.next(0);
          const reason = error instanceof ServiceStartError ? error.reason : (error as Error).message;
          this.deps.report(`${name} did not start (${reason}); retrying in ${formatDelay(wait)} — log: ${logPlace(slot.spec)}`);
        }
      }
    })();
    const pending = { controller, done };
    slot.pending = pending;
    void done
      .finally(() => {
        if (slot.pending === pending) slot.pending = undefined;
      })
      .catch(() => undefined);
    return done;
  }

  private async cancelPending(slot: Slot): Promise<void> {
    const pending = slot.pending;
    if (!pending) return;
    pending.controller.abort(new Error(`the start of ${slot.spec.name} was cancelled`));
    await pending.done.catch(() => undefined);
  }
}
