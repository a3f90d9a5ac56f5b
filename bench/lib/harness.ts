import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { endpointOf, ensureInfrastructure } from '../../tools/launcher/dist/index.js';
import { newNonce, type BlobPattern } from './blob-source.ts';
import { BenchClient } from './http-client.ts';
import { BenchError, getRepeatedly, pushStreamedBlob } from './operations.ts';
import { cpuSecondsOf, startNullServer, startTcpRelay } from './registries.ts';
import { fixed, MB, median, out, quantile } from './report.ts';

/** An integer setting from the environment (`fallback` when unset). */
export function intSetting(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Node, CPU, kernel, memory and distribution's version, one per line. */
export function machine(): string {
  const cpu = cpus();
  let registryVersion = 'unknown';
  try {
    registryVersion = execFileSync('docker-registry', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  return [
    `node ${process.version} (${process.execPath})`,
    `${cpu.length} CPU(s): ${cpu[0]?.model ?? 'unknown'}, ${arch()}, Linux ${release()}, ${fixed(totalmem() / 2 ** 30)} GiB RAM`,
    `distribution: ${registryVersion}`,
  ].join('\n');
}

/** No dirty pages of the previous transfer in the next one's way. */
export function syncDisks(): void {
  execFileSync('sync');
}

export const mbps = (bytes: number, seconds: number): number => bytes / MB / seconds;

/** The last `lines` lines of a file, or `(no log)`. */
export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Cleanup steps run last-in first-out, each one's failure reported and passed over. */
export class Cleanups {
  readonly #steps: (() => Promise<void> | void)[] = [];

  push(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step();
      } catch (error) {
        process.stderr.write(`cleanup: ${(error as Error).message}\n`);
      }
    }
  }

  /** A fresh temp directory `<prefix>XXXXXX`, removed last (kept and named with `keep`). */
  workDir(prefix: string, keep: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.push(() => {
      if (keep) out(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    });
    return dir;
  }

  /** On SIGINT/SIGTERM: clean up, then exit 130. */
  onSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up\n`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
}

/** Postgres and Redis as the tests find them (TEST_DATABASE_URL, TEST_REDIS_URL; local defaults), started by the launcher when down. */
export async function ensureTestInfrastructure(rootDir: string): Promise<void> {
  await ensureInfrastructure(
    [endpointOf('postgres', process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'), endpointOf('redis', process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379')],
    (line) => out(`${line}\n`),
    rootDir,
  );
}

/** Runs a benchmark's `main`: a failure is printed and sets the exit code; the cleanups run either way. */
export async function runBench(main: () => Promise<void>, cleanups: Cleanups): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  } finally {
    await cleanups.run();
  }
}

export interface Ceiling {
  /** MB/s per measured round. */
  push: number[];
  pull: number[];
  /** GETs/s per measured round (when reads were asked for). */
  reads: number[];
  readP50: number[];
  readP99: number[];
  /** Pulls through a bare TCP relay in front of the null server: MB/s, and the relay's CPU s per GiB. */
  relayPull: number[];
  relayCpuPerGiB: number[];
}

/**
 * The same client against the null server (its own process, no disk, no auth): the most this
 * client shows on this machine. One warm-up round, then `rounds` measured ones; with `reads`,
 * each round also GETs a small body over `connections` keep-alive connections for `seconds`.
 * Each round also pulls through a bare TCP relay (its own process, no HTTP parsing): the
 * least any proxy hop costs on this machine.
 */
export async function calibrate(
  pattern: BlobPattern,
  options: { rounds: number; blobBytes: number; reads?: { connections: number; seconds: number; warmUpSeconds: number; size: number } },
): Promise<Ceiling> {
  const server = await startNullServer();
  const relay = await startTcpRelay(Number(new URL(server.url).port));
  const client = new BenchClient(server.url);
  const relayed = new BenchClient(relay.url);
  const ceiling: Ceiling = { push: [], pull: [], reads: [], readP50: [], readP99: [], relayPull: [], relayCpuPerGiB: [] };
  try {
    for (let round = 0; round <= options.rounds; round += 1) {
      const blob = { nonce: newNonce(), size: options.blobBytes, digest: '' };
      blob.digest = pattern.digest(blob.nonce, blob.size);
      const push = await pushStreamedBlob(client, 'null', pattern, blob);
      const started = performance.now();
      const download = await client.download(`/v2/null/blobs/${blob.digest}?size=${blob.size}`);
      const pull = (performance.now() - started) / 1000;
      if (download.bytes !== blob.size) throw new BenchError(`null server: read ${download.bytes} of ${blob.size} bytes`);
      const relayCpu = cpuSecondsOf(relay.pid);
      const relayStarted = performance.now();
      const throughRelay = await relayed.download(`/v2/null/blobs/${blob.digest}?size=${blob.size}`);
      const relayPull = (performance.now() - relayStarted) / 1000;
      const relayCpuPerGiB = ((cpuSecondsOf(relay.pid) - relayCpu) * 1024 ** 3) / blob.size;
      if (throughRelay.bytes !== blob.size) throw new BenchError(`tcp relay: read ${throughRelay.bytes} of ${blob.size} bytes`);
      let reads = '';
      if (options.reads) {
        const { connections, seconds, warmUpSeconds, size } = options.reads;
        const run = await getRepeatedly(client, `/v2/null/manifests/latest?size=${size}`, { connections, seconds: round > 0 ? seconds : warmUpSeconds, expectedSize: size });
        const rate = run.requests / run.seconds;
        reads = `   GET ${fixed(rate).padStart(8)} req/s (p50 ${fixed(quantile(run.latencies, 0.5), 2)} ms, p99 ${fixed(quantile(run.latencies, 0.99), 2)} ms)`;
        if (round > 0) {
          ceiling.reads.push(rate);
          ceiling.readP50.push(quantile(run.latencies, 0.5));
          ceiling.readP99.push(quantile(run.latencies, 0.99));
        }
      }
      out(`  ${'null server'.padEnd(16)} push ${fixed(mbps(blob.size, push)).padStart(7)} MB/s   pull ${fixed(mbps(blob.size, pull)).padStart(7)} MB/s${reads}${round > 0 ? '' : '  [warm-up]'}\n`);
      out(`  ${'via tcp relay'.padEnd(16)}                     pull ${fixed(mbps(blob.size, relayPull)).padStart(7)} MB/s   relay CPU ${fixed(relayCpuPerGiB, 2)} s/GiB${round > 0 ? '' : '  [warm-up]'}\n`);
      if (round === 0) continue;
      ceiling.push.push(mbps(blob.size, push));
      ceiling.pull.push(mbps(blob.size, pull));
      ceiling.relayPull.push(mbps(blob.size, relayPull));
      ceiling.relayCpuPerGiB.push(relayCpuPerGiB);
    }
  } finally {
    client.close();
    relayed.close();
    await relay.stop();
    await server.stop();
  }
  return ceiling;
}

/** One line describing the client ceiling. */
export function describeCeiling(ceiling: Ceiling): string {
  const reads = ceiling.reads.length > 0 ? `, small GETs ${fixed(median(ceiling.reads))} req/s (p50 ${fixed(median(ceiling.readP50), 2)} ms, p99 ${fixed(median(ceiling.readP99), 2)} ms)` : '';
  const relay = ceiling.relayPull.length > 0 ? `; pulled through a bare TCP relay (node:net pipe, no HTTP): ${fixed(median(ceiling.relayPull))} MB/s with ${fixed(median(ceiling.relayCpuPerGiB), 2)} relay CPU s/GiB` : '';
  return `push ${fixed(median(ceiling.push))} MB/s, pull ${fixed(median(ceiling.pull))} MB/s (pull includes the client's sha256)${reads}${relay}`;
}
