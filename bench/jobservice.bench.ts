/**
 * jobservice end to end: a jobservice process (real Redis and RabbitMQ), DEMO no-op jobs
 * submitted over its API, and a local status hook receiver. Prints jobs/s from the first
 * submit to the last Success hook, and p50/p99 from each submit to its Success hook; then
 * a steady phase at a fixed rate with its p99. Asserts nothing about timings.
 *
 *   pnpm run bench:jobservice                         (builds first)
 *   BENCH_JOBS=1000 BENCH_STEADY_SECONDS=5 node bench/jobservice.bench.ts   (a quick run)
 *
 * Settings (environment):
 *   BENCH_JOBS              jobs in the burst phase (10000)
 *   BENCH_CONCURRENCY       submits in flight during the burst (32)
 *   BENCH_STEADY_RATE       jobs per second in the steady phase (100)
 *   BENCH_STEADY_SECONDS    length of the steady phase (20)
 *   BENCH_LOG_LEVEL         jobservice log level (warn)
 *   BENCH_KEEP=1            keep the temp directory (logs) for a look afterwards
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '../tools/launcher/dist/index.js';
import { createTestRedisNamespace, freePort } from '../packages/testing/dist/index.js';
import { Cleanups, intSetting, machine, tail } from './lib/harness.ts';
import { SuccessHookReceiver } from './lib/job-hooks.ts';
import { fixed, out, quantile } from './lib/report.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'bench-secret-0123456789';
const settings = {
  jobs: intSetting('BENCH_JOBS', 10_000, 1),
  concurrency: intSetting('BENCH_CONCURRENCY', 32, 1),
  steadyRate: intSetting('BENCH_STEADY_RATE', 100, 1),
  steadySeconds: intSetting('BENCH_STEADY_SECONDS', 20, 1),
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  keep: process.env.BENCH_KEEP === '1',
};

const cleanups = new Cleanups();

async function submit(url: string, hook: string, submitted: Map<string, number>): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { Authorization: `Harbor-Secret ${SECRET}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ job: { name: 'DEMO', parameters: {}, metadata: { kind: 'Generic' }, status_hook: hook } }),
  });
  const body = (await res.json()) as { job?: { id: string } };
  if (res.status !== 202 || !body.job) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
  submitted.set(body.job.id, started);
}

function latencies(submitted: Map<string, number>, receiver: SuccessHookReceiver): number[] {
  return [...submitted].map(([id, at]) => receiver.success.get(id)! - at).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  cleanups.onSignals();
  out(`jobservice benchmark\n${machine()}\n`);
  out(`${settings.jobs} DEMO no-op jobs, ${settings.concurrency} submits in flight; then ${settings.steadyRate} jobs/s for ${settings.steadySeconds} s; log level ${settings.logLevel}\n`);
  const workDir = cleanups.workDir('wharf-bench-jobservice-', settings.keep);

  const redis = await createTestRedisNamespace('bench-js');
  cleanups.push(() => redis.cleanup());
  const queuePrefix = `bench.${randomBytes(4).toString('hex')}.`;
  const amqpUrl = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
  cleanups.push(() => {
    for (const name of ['DEMO', 'REPLICATION', 'GARBAGE_COLLECTION']) {
      for (const queue of [`${queuePrefix}jobs.${name}`, `${queuePrefix}jobs.${name}.dlq`]) {
        execFileSync('rabbitmqctl', ['delete_queue', queue], { stdio: 'ignore' });
      }
    }
  });

  const receiver = new SuccessHookReceiver();
  const hook = await receiver.start(await freePort());
  cleanups.push(() => receiver.close());

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(workDir, 'jobservice.log');
  const jobservice = await startServiceProcess({
    name: 'jobservice',
    entry: join(ROOT, 'services/jobservice/dist/main.js'),
    readyUrl: `${url}/readyz`,
    logFile,
    env: {
      PATH: process.env.PATH,
      JOBSERVICE_HTTP_PORT: String(port),
      JOBSERVICE_SECRET: SECRET,
      REDIS_URL: redis.url,
      JOBSERVICE_REDIS_PREFIX: redis.prefix,
      AMQP_URL: amqpUrl,
      JOBSERVICE_QUEUE_PREFIX: queuePrefix,
      JOBSERVICE_LOG_DIR: join(workDir, 'job-logs'),
      LOG_LEVEL: settings.logLevel,
    },
  });
  cleanups.push(() => jobservice.stop());

  try {
    // Warm-up: connections, JIT.
    const warm = new Map<string, number>();
    await Promise.all(Array.from({ length: 200 }, () => submit(url, hook, warm)));
    await receiver.waitFor(warm.size);

    out('\nburst\n');
    const burst = new Map<string, number>();
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (next < settings.jobs) {
          next++;
          await submit(url, hook, burst);
        }
      }),
    );
    const submittedAt = performance.now();
    await receiver.waitFor(warm.size + burst.size);
    const end = Math.max(...[...burst.keys()].map((id) => receiver.success.get(id)!));
    const seconds = (end - start) / 1000;
    const burstLatencies = latencies(burst, receiver);
    out(`  ${settings.jobs} jobs submitted in ${fixed((submittedAt - start) / 1000, 2)} s (${fixed(settings.jobs / ((submittedAt - start) / 1000))} submits/s)\n`);
    out(`  end to end: ${fixed(seconds, 2)} s -> ${fixed(settings.jobs / seconds)} jobs/s\n`);
    out(`  submit -> Success hook: p50 ${fixed(quantile(burstLatencies, 0.5))} ms, p99 ${fixed(quantile(burstLatencies, 0.99))} ms\n`);

    out(`\nsteady ${settings.steadyRate} jobs/s for ${settings.steadySeconds} s\n`);
    const steady = new Map<string, number>();
    const total = settings.steadyRate * settings.steadySeconds;
    const steadyStart = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = steadyStart + (i * 1000) / settings.steadyRate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(submit(url, hook, steady));
    }
    await Promise.all(pending);
    await receiver.waitFor(warm.size + burst.size + steady.size);
    const steadyLatencies = latencies(steady, receiver);
    out(`  ${total} jobs: submit -> Success hook p50 ${fixed(quantile(steadyLatencies, 0.5))} ms, p99 ${fixed(quantile(steadyLatencies, 0.99))} ms, max ${fixed(steadyLatencies.at(-1)!)} ms\n`);

    const rate = settings.jobs / seconds;
    const p99 = quantile(steadyLatencies, 0.99);
    out('\nTargets\n');
    out(`  >= 500 jobs/s end to end: ${fixed(rate)} -> ${rate >= 500 ? 'met' : 'NOT met'}\n`);
    out(`  p99 < 250 ms at a steady ${settings.steadyRate} jobs/s: ${fixed(p99)} ms -> ${p99 < 250 ? 'met' : 'NOT met'}\n`);
    out(`  hooks received: ${receiver.hooks} (Running + Success per job)\n`);
  } catch (error) {
    out(`\njobservice log tail:\n${tail(logFile, 30)}\n`);
    throw error;
  } finally {
    await cleanups.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
