import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultBed, type FaultBed } from '../src/faults/bed.js';
import { faultName, runFaultRound, summarize, type Fault, type RoundTiming } from '../src/faults/round.js';

const MiB = 1024 * 1024;

/** Each service killed in turn, then each server the suite depends on restarted. */
const FAULTS: readonly Fault[] = [
  { kind: 'kill', service: 'registry-facade' },
  { kind: 'kill', service: 'core' },
  { kind: 'kill', service: 'jobservice' },
  { kind: 'kill', service: 'adapter' },
  { kind: 'kill', service: 'proxy' },
  // As pg_ctlcluster restart does (sessions told to end), then as a crash would (no goodbye).
  { kind: 'restart', server: 'postgres', modes: ['fast', 'immediate'] },
  // Redis keeps nothing on disk, like the machine's: it comes back empty.
  { kind: 'restart', server: 'redis', modes: ['shutdown'] },
  { kind: 'restart', server: 'rabbitmq', modes: ['stop'] },
];

const TIMING: RoundTiming = {
  loadBeforeFault: 2500,
  serverDown: 2000,
  recoveryBound: 5000,
  loadAfterRecovery: 2500,
  replicationEnd: 150_000,
  listing: 30_000,
};

/**
 * Faults as an operator meets them, under 4 parallel pushes (three registry clients and
 * skopeo) and with a replication copying: kill -9 of each service in turn (the stack's
 * supervisor starts it again, as `npm start` does), and a real restart of Postgres, Redis
 * (which keeps nothing on disk, so it comes back empty) and RabbitMQ, each a server of the
 * test's own. After each fault: no other service process exited, every push that was
 * answered as a success pulls back identical and is listed in the Harbor API, a push
 * succeeds again within 5 s of the dependency's return, and the replication ends Succeed.
 */
describe('faults under push load and a replication', () => {
  let bed: FaultBed;

  beforeAll(async () => {
    // Three repositories of 24 MiB per round, copied at 1.5 MiB/s each: about 16 s of copying.
    bed = await startFaultBed('faults', { rounds: FAULTS.length, repositoriesPerRound: 3, layerSize: 24 * MiB });
  }, 300_000);

  afterAll(async () => {
    await bed?.stop();
  }, 120_000);

  FAULTS.forEach((fault, index) => {
    it(`${faultName(fault)}: no other process exits, successful pushes are kept and listed, pushes recover within 5 s, the replication ends Succeed`, async () => {
      const report = await runFaultRound(bed, fault, index + 1, TIMING);
      process.stdout.write(summarize(report));

      expect.soft(report.unexpectedExits, 'service processes that exited on their own').toEqual([]);
      expect.soft(report.replacedServices, 'services whose process changed').toEqual([]);
      expect.soft(report.notReady, 'services not ready at the end').toEqual([]);
      expect.soft(report.pushes.beforeFault, 'pushes that succeeded before the fault').toBeGreaterThan(0);
      expect.soft(report.notIdentical, 'successful pushes that do not pull back identical').toEqual([]);
      expect.soft(report.notListed, 'successful pushes missing from the Harbor API').toEqual([]);
      expect.soft(report.recoveryMs, `first successful push after the return (ms); probe errors:\n${report.probeErrors.join('\n')}`).toBeDefined();
      expect.soft(report.recoveryMs ?? Infinity, `first successful push after the return (ms); probe errors:\n${report.probeErrors.join('\n')}`).toBeLessThanOrEqual(TIMING.recoveryBound);
      expect.soft(report.replication.atFault?.status, 'the replication was running when the fault came').toBe('InProgress');
      expect
        .soft(report.replication.final?.status, `replication execution ${report.replication.executionId}: ${JSON.stringify(report.replication.final)} ${report.replication.error ?? ''}\n${report.replication.logs}`)
        .toBe('Succeed');
      expect.soft(report.replication.wrongDigests, 'replicated digests').toEqual([]);
    }, 400_000);
  });
});
