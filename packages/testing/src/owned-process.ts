import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** An OS account a server runs as when this process is root (`postgres` refuses to run as root). */
export interface Account {
  uid: number;
  gid: number;
  home: string;
}

/** The uid and gid of `name` from /etc/passwd, or undefined when there is no such account. */
export function accountOf(name: string): Account | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid), home: home || '/' };
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A server process this test process started, in a process group of its own. */
export interface OwnedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited (with its code or signal). */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** Sends `signal` to the whole process group (the server and anything it started). */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` to the process itself, then SIGKILL to its group after `timeoutMs`; waits for the exit. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
}

/** Process groups and directories to remove if this process exits before their owner cleaned up. */
const leftovers = { groups: new Set<number>(), dirs: new Set<string>(), hooked: false };

function hookExit(): void {
  if (leftovers.hooked) return;
  leftovers.hooked = true;
  process.once('exit', () => {
    for (const group of leftovers.groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of leftovers.dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes `dir` when this process exits, unless {@link forgetDir} was called first. */
export function removeDirOnExit(dir: string): void {
  hookExit();
  leftovers.dirs.add(dir);
}

export function forgetDir(dir: string): void {
  leftovers.dirs.delete(dir);
}

/**
 * Starts `command` in a new process group (so that stopping it reaches everything it
 * starts), output appended to `logFile`, as `account` when given.
 */
export function spawnOwned(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string; account?: Account }): OwnedProcess {
  hookExit();
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', log, log],
      detached: true,
      ...(options.account ? { uid: options.account.uid, gid: options.account.gid } : {}),
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid ?? -1;
  if (pid > 0) leftovers.groups.add(pid);
  let ended: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = code ?? signal ?? 'unknown';
      leftovers.groups.delete(pid);
      resolve(ended);
    });
    child.once('error', (error) => {
      ended = `spawn failed: ${error.message}`;
      leftovers.groups.delete(pid);
      resolve(ended);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  return {
    child,
    pid,
    exited,
    hasExited: () => ended !== undefined,
    signal: signalGroup,
    async stop(signal, timeoutMs) {
      if (ended !== undefined) {
        signalGroup('SIGKILL');
        return;
      }
      try {
        process.kill(pid, signal);
      } catch {
        // exiting already
      }
      const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      // Anything the server started and left in its group goes too.
      signalGroup('SIGKILL');
    },
  };
}

/** Polls `check` until it resolves true; fails early when `process` exits, naming its log. */
export async function waitUntil(what: string, check: () => Promise<boolean>, owned: OwnedProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (owned.hasExited()) throw new Error(`${what}: the process exited (${String(await owned.exited)})\n--- ${logFile} ---\n${await tailOf(logFile)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms\n--- ${logFile} ---\n${await tailOf(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The last `max` characters of a file ('' when it cannot be read). */
export async function tailOf(file: string, max = 4000): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.length > max ? `…${text.slice(-max)}` : text;
}
