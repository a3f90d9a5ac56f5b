import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tail, type Cleanups } from './harness.ts';
import { processesNamed, processGroup, startDistribution, type ProcessGroup, type RunningRegistry } from './registries.ts';
import { startDistributionTokenService, type DistributionTokenService } from './token-auth.ts';
import { startWharf, type RunningWharf } from './wharf.ts';

/** The two registries a suite benchmark compares, both with token auth, with what it measures of each. */
export interface BenchPair {
  wharf: RunningWharf;
  adminPassword: string;
  distribution: RunningRegistry;
  tokens: DistributionTokenService;
  /** Wharf's services (proxy first), its database's Postgres backends and redis-server. */
  wharfGroups: ProcessGroup[];
  distributionGroups: ProcessGroup[];
}

/**
 * Starts Wharf as `npm start` does (a throwaway database and Redis prefix, in `workDir/wharf`)
 * and Debian's distribution with token auth (its token service in `workDir/token`), each
 * stopped by `cleanups`, which also prints the last log lines of every process when the
 * benchmark fails.
 */
export async function startWharfAndDistribution(
  cleanups: Cleanups,
  options: { rootDir: string; workDir: string; logLevel: string; registryRoute?: 'core' | 'registry' },
): Promise<BenchPair> {
  for (const name of ['wharf', 'distribution', 'token']) mkdirSync(join(options.workDir, name), { recursive: true });
  const adminPassword = `Bench-${randomBytes(6).toString('hex')}-A1`;
  const wharf = await startWharf({ rootDir: options.rootDir, dir: join(options.workDir, 'wharf'), logLevel: options.logLevel, adminPassword, registryRoute: options.registryRoute });
  cleanups.push(() => wharf.stop());
  const tokens = await startDistributionTokenService(join(options.workDir, 'token'));
  cleanups.push(() => tokens.stop());
  const distribution = await startDistribution({ rootDir: options.rootDir, dir: join(options.workDir, 'distribution'), logLevel: options.logLevel, tokenAuth: tokens.auth });
  cleanups.push(() => distribution.stop());
  const logs = [...wharf.services.map((s) => join(wharf.logDir, `${s.name}.log`)), distribution.logFile];
  cleanups.push(() => {
    if (process.exitCode) for (const log of logs) process.stderr.write(`--- last lines of ${log}\n${tail(log, 15)}\n`);
  });
  return {
    wharf,
    adminPassword,
    distribution,
    tokens,
    wharfGroups: [
      ...wharf.services.map((s) => processGroup(s.name, s.pid)).reverse(),
      processesNamed('postgres', 'postgres', { titleIncludes: ` ${wharf.databaseName} ` }),
      processesNamed('redis', 'redis-server', { shared: true }),
    ],
    distributionGroups: [processGroup('docker-registry', distribution.pid)],
  };
}
