#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { logLevel } from '@wharf/config';
import { createLogger } from '@wharf/logging';
import { Agent, request } from 'undici';
import { createServices } from '../compose.js';
import { authFileSchema, imagesFileSchema, rulesOf } from './sync-plan.js';
import { runSync, type SyncTask } from './sync-runner.js';

const USAGE = `usage: wharf-sync --auth auth.json --images images.json [--proc N] [--retries N]

  --auth FILE         {"host:port": {"username": "...", "password": "...", "insecure": false}}
  --images FILE       {"host/src/repo:tag1,tag2": "host/dst/repo"} or {"host/src/repo": ["host/a/repo", "host/b/repo"]}
                      (a source without tags copies every tag)
  --proc N            copies at once (default 5)
  --retries N         further rounds for what failed (default 2)
  --retry-delay MS    pause before the first retry round, doubled each round (default 2000)
  --log-level LEVEL   error | warn | info | debug (default warn; logs go to stderr)
`;

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const describeTask = (task: SyncTask) =>
  `${task.source.host}/${task.source.repository}${task.source.reference === '*' ? '' : task.source.reference.includes(':') ? `@${task.source.reference}` : `:${task.source.reference}`} -> ${task.destination.host}/${task.destination.repository}${task.destination.tag ? `:${task.destination.tag}` : ''}`;

/** http or https for a host without a scheme: https first; with `insecure`, plain http when TLS is not spoken there. */
async function resolveUrl(host: string, insecure: boolean): Promise<string> {
  if (/^https?:\/\//.test(host)) return host;
  if (!insecure) return `https://${host}`;
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false, timeout: 5000 } });
  try {
    const answer = await request(`https://${host}/v2/`, { dispatcher, signal: AbortSignal.timeout(5000) });
    await answer.body.dump();
    return `https://${host}`;
  } catch {
    return `http://${host}`;
  } finally {
    await dispatcher.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        auth: { type: 'string' },
        images: { type: 'string' },
        proc: { type: 'string', default: '5' },
        retries: { type: 'string', default: '2' },
        'retry-delay': { type: 'string', default: '2000' },
        'log-level': { type: 'string', default: 'warn' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  if (!args.images) {
    process.stderr.write(`--images is required\n${USAGE}`);
    return 2;
  }
  const proc = Number(args.proc);
  const retries = Number(args.retries);
  const retryDelayMs = Number(args['retry-delay']);
  const level = logLevel().safeParse(args['log-level']);
  if (!Number.isInteger(proc) || proc < 1 || !Number.isInteger(retries) || retries < 0 || !Number.isFinite(retryDelayMs) || retryDelayMs < 0 || !level.success) {
    process.stderr.write(`--proc must be ≥ 1, --retries and --retry-delay ≥ 0, --log-level one of error|warn|info|debug\n${USAGE}`);
    return 2;
  }
  let rules;
  let auth;
  try {
    auth = args.auth ? authFileSchema.parse(JSON.parse(readFileSync(args.auth, 'utf8'))) : {};
    rules = rulesOf(imagesFileSchema.parse(JSON.parse(readFileSync(args.images, 'utf8'))));
  } catch (error) {
    process.stderr.write(`wharf-sync: cannot read the rules: ${(error as Error).message}\n`);
    return 2;
  }

  // Logs go to stderr so the terminal output stays readable; the copy engine logs retries there.
  const logger = createLogger({ service: 'wharf-sync', level: level.data, format: 'pretty', stream: process.stderr });
  const services = createServices({
    logger,
    registry: { requestTimeoutMs: 30_000, idleTimeoutMs: 120_000 },
    copy: { retries: 2, backoffMs: 1000, maxBackoffMs: 10_000, chunkSize: 10 * 1024 * 1024, blobConcurrency: 3 },
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  const started = Date.now();
  let flowed = 0;
  const interactive = process.stdout.isTTY;
  const ticker = interactive
    ? setInterval(() => process.stdout.write(`\r  ${human(flowed)} copied, ${human(flowed / Math.max(1, (Date.now() - started) / 1000))}/s   `), 500)
    : undefined;
  const clearLine = () => interactive && process.stdout.write('\r\x1b[K');

  const summary = await runSync({
    auth,
    rules,
    proc,
    retries,
    retryDelayMs,
    copier: services.copier,
    adapterDeps: services.adapterDeps,
    logger,
    signal: controller.signal,
    resolveUrl,
    events: {
      roundStarted: (round, count) => {
        clearLine();
        out(round === 0 ? `syncing ${count} rule(s) with ${proc} at once` : `retry round ${round}: ${count} task(s)`);
      },
      taskDone: (task) => {
        clearLine();
        const copied = task.result?.copied.length ?? 0;
        out(`  ${copied > 0 ? 'copied ' : 'same   '} ${describeTask(task)}${task.result && task.result.bytes > 0 ? ` (${human(task.result.bytes)})` : ''}`);
      },
      taskFailed: (task, willRetry) => {
        clearLine();
        out(`  ${willRetry ? 'failed ' : 'FAILED '} ${describeTask(task)}: ${task.error ?? 'unknown error'}`);
      },
      progress: (bytes) => {
        flowed += bytes;
      },
    },
  });
  clearInterval(ticker);
  clearLine();
  await services.close();
  const seconds = (Date.now() - started) / 1000;
  const copied = summary.tasks.filter((t) => !t.error && (t.result?.copied.length ?? 0) > 0).length;
  const same = summary.tasks.filter((t) => !t.error && (t.result?.copied.length ?? 0) === 0).length;
  out(`done in ${seconds.toFixed(1)} s: ${copied} copied, ${same} already in sync, ${summary.failed.length} failed, ${human(summary.bytes)} transferred`);
  for (const task of summary.failed) out(`  failed: ${describeTask(task)} after ${task.attempts} attempt(s): ${task.error ?? ''}`);
  await sleep(0);
  return summary.failed.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`wharf-sync failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
