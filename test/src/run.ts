import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Added to (and overriding) this process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Killed (its whole process group) after this long; default 2 minutes. */
  timeoutMs?: number;
  /** Resolve with the result even when the command exits non-zero (to assert on a refusal). */
  allowFailure?: boolean;
}

export interface RunResult {
  command: string;
  /** The exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  /** stdout exactly as written (for byte-for-byte comparisons). */
  stdoutBytes: Buffer;
  stderr: string;
}

/** A command exited non-zero, was killed, or timed out; the message carries its output. */
export class CommandFailedError extends Error {
  readonly result: RunResult;

  constructor(result: RunResult) {
    const status = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited ${result.code}`;
    super(`${result.command} ${status}\n--- stderr ---\n${tail(result.stderr)}\n--- stdout ---\n${tail(result.stdout)}`);
    this.name = 'CommandFailedError';
    this.result = result;
  }
}

function tail(text: string, max = 4000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a command to completion and captures its output. It runs in a process group of
 * its own so that a timeout ends it and everything it started.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const display = [command, ...args].map(quoteArg).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${display}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(stdout);
      const result: RunResult = {
        command: display,
        code,
        signal,
        timedOut,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if ((code !== 0 || timedOut) && !options.allowFailure) reject(new CommandFailedError(result));
      else resolve(result);
    });
    child.stdin.on('error', () => {
      // the command may exit without reading its input
    });
    child.stdin.end(options.input);
  });
}
