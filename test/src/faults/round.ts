import type { ServiceExit } from '@wharf/launcher';
import type { HarborClient, PostgresStopMode, RabbitStopMode, RedisStopMode } from '@wharf/testing';
import { createPolicy, finished, getExecution, startExecution, taskLogs, tasksOf, wharfDigest, type ExecutionView } from '../replication.js';
import type { FaultBed, ReplicationSource } from './bed.js';
import { probeUntilPushed, pullMismatch, startPushLoad, type PushAttempt } from './push-load.js';

export const SERVICE_NAMES = ['registry-facade', 'core', 'jobservice', 'adapter', 'proxy'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type ServerName = 'postgres' | 'redis' | 'rabbitmq';

/** A kill -9 of one service, or restarts of one server one after the other (each in the way `modes` names). */
export type Fault =
  | { kind: 'kill'; service: ServiceName }
  | { kind: 'restart'; server: 'postgres'; modes: PostgresStopMode[] }
  | { kind: 'restart'; server: 'redis'; modes: RedisStopMode[] }
  | { kind: 'restart'; server: 'rabbitmq'; modes: RabbitStopMode[] };

export function faultName(fault: Fault): string {
  return fault.kind === 'kill' ? `kill -9 ${fault.service}` : `restart ${fault.server} (${fault.modes.join(', then ')})`;
}

/** One outage of a round: the dependency down and back, then the first push that succeeded. */
export interface Outage {
  mode: string;
  downAt: number;
  upAt: number;
  /** Milliseconds from `upAt` to the end of the first successful probe push; undefined when none succeeded. */
  recoveryMs: number | undefined;
  probeErrors: string[];
}

/** How the round is paced (ms). */
export interface RoundTiming {
  /** Pushes run this long before the fault. */
  loadBeforeFault: number;
  /** A restarted server stays down this long. */
  serverDown: number;
  /** The bound the suite must meet: a push succeeds within this long of the dependency's return. */
  recoveryBound: number;
  /** Pushes go on this long after the first successful push that follows the return. */
  loadAfterRecovery: number;
  /** How long the replication may take to end after the load stops. */
  replicationEnd: number;
  /** How long a successful push may take to be listed in the API. */
  listing: number;
}

export interface RoundReport {
  fault: string;
  /** When the fault began (the kill, or the first stop of the server) and when the dependency was last back (epoch ms). */
  downAt: number;
  upAt: number;
  outages: Outage[];
  /** The longest time from a return of the dependency to the first successful push after it; undefined when one never came. */
  recoveryMs: number | undefined;
  probeErrors: string[];
  pushes: { total: number; succeeded: number; failed: number; beforeFault: number; duringOutage: number; errors: string[] };
  /** Service exits the fault does not explain (with an excerpt of the service's log). */
  unexpectedExits: string[];
  /** Services (other than the one killed) whose process is not the one that ran before the fault. */
  replacedServices: string[];
  /** Services not up and ready at the end of the round. */
  notReady: string[];
  /** Successful pushes that did not pull back byte-identical. */
  notIdentical: string[];
  /** Successful pushes not listed (with their tag) in the Harbor API. */
  notListed: string[];
  replication: {
    executionId: number;
    /** The execution when the fault was injected (it should be InProgress). */
    atFault: ExecutionView | undefined;
    final: ExecutionView | undefined;
    error: string | undefined;
    /** The task logs when it did not end Succeed. */
    logs: string;
    /** Replicated repositories whose digest in Wharf is not the source's. */
    wrongDigests: string[];
    /** Milliseconds from the dependency's return to the execution's end. */
    endedAfterMs: number | undefined;
  };
  /** Lines the supervisor reported during the round. */
  supervisor: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The lines of a service log that say why it ended: what the process wrote outside its JSON
 * log (Node's report of an uncaught error, with its stack), and logged errors that say it is
 * exiting, since the round began.
 */
function logExcerpt(log: string, sinceMs: number): string {
  const lines = log.split('\n').filter(Boolean);
  const raw = lines.filter((line) => !line.startsWith('{')).slice(-20);
  const fatal = lines
    .filter((line) => line.startsWith('{') && /uncaught|unhandled|fatal|exiting|shutting down/i.test(line))
    .filter((line) => {
      const time = /"timestamp":"([^"]+)"/.exec(line)?.[1];
      return time !== undefined && Date.parse(time) >= sinceMs - 1000;
    })
    .slice(-5);
  const excerpt = [...fatal, ...raw].map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line));
  return excerpt.length > 0 ? excerpt.join('\n') : '(nothing in its log says why)';
}

/** An error message without what differs from one push to the next (digests, ids, times, ports), to count kinds of errors. */
function errorKind(error: string): string {
  return error
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:…')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/time="[^"]*"/g, '')
    .replace(/\/v2\/[^ "]*/g, '/v2/…')
    .slice(0, 200);
}

/** Harbor's artifacts of one repository: digest → tags. */
async function listedTags(admin: HarborClient, repository: string): Promise<Map<string, Set<string>>> {
  const [project, ...rest] = repository.split('/');
  const name = encodeURIComponent(encodeURIComponent(rest.join('/')));
  const listed = new Map<string, Set<string>>();
  for (let page = 1; ; page++) {
    const answer = await admin.get<{ digest: string; tags?: { name: string }[] | null }[]>(`/projects/${project}/repositories/${name}/artifacts?page=${page}&page_size=100&with_tag=true`);
    if (answer.status === 404) return listed;
    if (answer.status !== 200) throw new Error(`listing ${repository} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    for (const artifact of answer.body) listed.set(artifact.digest, new Set((artifact.tags ?? []).map((tag) => tag.name)));
    if (answer.body.length < 100) return listed;
  }
}

/** The successful pushes not (yet) listed with their tag; polled until all are or `timeoutMs` passes. */
async function unlisted(admin: HarborClient, pushes: readonly PushAttempt[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing: string[] = [];
    for (const repository of new Set(pushes.map((push) => push.repository))) {
      let listed: Map<string, Set<string>>;
      try {
        listed = await listedTags(admin, repository);
      } catch (error) {
        missing.push(`${repository}: ${message(error)}`);
        continue;
      }
      for (const push of pushes.filter((p) => p.repository === repository)) {
        if (!listed.get(push.image.manifest.digest)?.has(push.tag)) missing.push(`${push.repository}:${push.tag} (${push.image.manifest.digest}, ${push.client})`);
      }
    }
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await sleep(1000);
  }
}

/** Starts the round's replication (pull-based, from the docker-registry) and waits until it copies bytes. */
async function startReplication(bed: FaultBed, round: number, source: ReplicationSource): Promise<{ executionId: number; destination: string }> {
  const destination = `r${round}`;
  await bed.suite.admin.createProject(destination, { public: false });
  const policyId = await createPolicy(bed.suite.admin, {
    name: `faults-${round}`,
    src_registry: { id: bed.registryId },
    dest_namespace: destination,
    filters: [{ type: 'name', value: source.filter }],
    override: true,
    // 1.5 MiB/s per task: each copy takes several seconds, so the fault lands while it runs.
    speed: 1536,
  });
  const executionId = await startExecution(bed.suite.admin, policyId);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const tasks = await tasksOf(bed.suite.admin, executionId);
    if (tasks.some((task) => (task.bytes_copied ?? 0) > 0)) break;
    const execution = await getExecution(bed.suite.admin, executionId);
    if (execution.status !== 'InProgress') throw new Error(`the replication ended before it copied anything: ${JSON.stringify(execution)}`);
    if (Date.now() > deadline) throw new Error(`the replication copied nothing in 60 s: ${JSON.stringify(tasks)}`);
    await sleep(200);
  }
  return { executionId, destination };
}

/** Injects the fault (restart number `step`); resolves when the dependency is back (the killed service ready again, the server answering). */
async function inject(bed: FaultBed, fault: Fault, step: number, timing: RoundTiming): Promise<{ downAt: number; upAt: number; killedPid?: number }> {
  if (fault.kind === 'kill') {
    const stack = bed.suite.stack;
    const victim = stack.service(fault.service);
    const killedPid = victim.pid;
    process.kill(killedPid, 'SIGKILL');
    await victim.exited;
    const downAt = Date.now();
    // The stack's supervisor starts it again, as `npm start` does.
    await stack.waitUntilReady(fault.service, { exceptPid: killedPid, timeoutMs: 120_000 });
    return { downAt, upAt: Date.now(), killedPid };
  }
  if (fault.server === 'postgres') return bed.postgres.restart(timing.serverDown, { mode: fault.modes[step] });
  if (fault.server === 'redis') return bed.redis.restart(timing.serverDown, { mode: fault.modes[step] });
  return bed.rabbit.restart(timing.serverDown, { mode: fault.modes[step] });
}

/**
 * One fault under load: a replication copying, four pushers pushing (three Node clients
 * and skopeo), the fault injected, a probe pushing until a push succeeds again; then the
 * replication waited for, and every successful push pulled back and looked up in the API.
 */
export async function runFaultRound(bed: FaultBed, fault: Fault, round: number, timing: RoundTiming): Promise<RoundReport> {
  const { suite } = bed;
  const stack = suite.stack;
  const source = bed.sources[round - 1]!;
  const project = `f${round}`;
  await suite.admin.createProject(project, { public: false });
  const replication = await startReplication(bed, round, source);

  const pidsBefore = new Map(SERVICE_NAMES.map((name) => [name, stack.service(name).pid]));
  const exitsBefore = stack.exits.length;
  const supervisorBefore = bed.supervisorLines.length;
  const roundStart = Date.now();

  const load = startPushLoad({ target: bed.target, project, nodePushers: 3, clients: bed.clients, workDir: bed.dir.path });
  let loadStopped = false;
  const stopLoad = async () => {
    if (loadStopped) return;
    loadStopped = true;
    await load.stop();
  };
  let killedPid: number | undefined;
  let atFault: ExecutionView | undefined;
  const outages: Outage[] = [];
  const probe: PushAttempt[] = [];
  try {
    await sleep(timing.loadBeforeFault);
    atFault = await getExecution(suite.admin, replication.executionId).catch(() => undefined);
    const steps = fault.kind === 'kill' ? ['kill -9'] : fault.modes;
    for (const [step, mode] of steps.entries()) {
      const injected = await inject(bed, fault, step, timing);
      killedPid ??= injected.killedPid;
      const attempts = await probeUntilPushed(bed.target, `${project}/probe`, { timeoutMs: 60_000, attemptTimeoutMs: 5000 });
      probe.push(...attempts);
      const first = attempts.find((push) => push.ok);
      outages.push({
        mode,
        downAt: injected.downAt,
        upAt: injected.upAt,
        recoveryMs: first ? first.endedAt - injected.upAt : undefined,
        probeErrors: attempts.filter((push) => !push.ok).map((push) => `${mode}: ${push.endedAt - injected.upAt} ms after the return: ${push.error}`),
      });
    }
    await sleep(timing.loadAfterRecovery);
  } finally {
    await stopLoad();
  }
  const downAt = outages[0]?.downAt ?? 0;
  const upAt = outages.at(-1)?.upAt ?? 0;

  let final: ExecutionView | undefined;
  let replicationError: string | undefined;
  try {
    final = await finished(suite.admin, replication.executionId, timing.replicationEnd);
  } catch (error) {
    replicationError = message(error);
    final = await getExecution(suite.admin, replication.executionId).catch(() => undefined);
  }
  const logs = final?.status === 'Succeed' ? '' : (await taskLogs(suite.admin, replication.executionId).catch((error: unknown) => [message(error)])).join('\n---\n');
  const wrongDigests: string[] = [];
  if (final?.status === 'Succeed') {
    for (const repository of source.repositories) {
      const copied = `${replication.destination}/${repository.name.split('/').pop()}`;
      const digest = await wharfDigest(suite, copied, repository.tag).catch(() => undefined);
      if (digest !== repository.digest) wrongDigests.push(`${copied}:${repository.tag} is ${digest ?? 'absent'}, source ${repository.digest}`);
    }
  }

  const pushes = [...load.attempts, ...probe];
  const succeeded = pushes.filter((push) => push.ok);
  const notIdentical: string[] = [];
  for (const push of succeeded) {
    const mismatch = await pullMismatch(bed.target, push);
    if (mismatch) notIdentical.push(mismatch);
  }
  const notListed = await unlisted(suite.admin, succeeded, timing.listing);

  const notReady: string[] = [];
  for (const name of SERVICE_NAMES) {
    await stack.waitUntilReady(name, { timeoutMs: 30_000 }).catch((error: unknown) => notReady.push(`${name}: ${message(error)}`));
  }
  const explained = (exit: ServiceExit) => fault.kind === 'kill' && exit.name === fault.service && exit.pid === killedPid;
  const unexpectedExits: string[] = [];
  for (const exit of stack.exits.slice(exitsBefore).filter((e) => !explained(e))) {
    unexpectedExits.push(`${exit.name} (pid ${exit.pid}) exited ${exit.status} at ${exit.at.toISOString()}\n${logExcerpt(await suite.log(exit.name), roundStart)}`);
  }
  const replacedServices = SERVICE_NAMES.filter((name) => !(fault.kind === 'kill' && name === fault.service) && stack.service(name).pid !== pidsBefore.get(name)).map(
    (name) => `${name}: pid ${pidsBefore.get(name)} → ${stack.service(name).pid}`,
  );

  const failures = pushes.filter((push) => !push.ok);
  return {
    fault: faultName(fault),
    downAt,
    upAt,
    outages,
    recoveryMs: outages.some((outage) => outage.recoveryMs === undefined) ? undefined : Math.max(...outages.map((outage) => outage.recoveryMs!)),
    probeErrors: outages.flatMap((outage) => outage.probeErrors),
    pushes: {
      total: pushes.length,
      succeeded: succeeded.length,
      failed: failures.length,
      beforeFault: load.attempts.filter((push) => push.ok && push.endedAt < downAt).length,
      duringOutage: load.attempts.filter((push) => push.ok && outages.some((outage) => push.startedAt >= outage.downAt && push.endedAt <= outage.upAt)).length,
      errors: [...new Set(failures.map((push) => errorKind(push.error ?? '')))].slice(0, 8),
    },
    unexpectedExits,
    replacedServices,
    notReady,
    notIdentical,
    notListed,
    replication: {
      executionId: replication.executionId,
      atFault,
      final,
      error: replicationError,
      logs: logs.slice(-6000),
      wrongDigests,
      endedAfterMs: final?.end_time ? Date.parse(final.end_time) - upAt : undefined,
    },
    supervisor: bed.supervisorLines.slice(supervisorBefore).map((entry) => `${new Date(entry.at).toISOString()} ${entry.line}`),
  };
}

/** A short human summary of a round (written to the test output). */
export function summarize(report: RoundReport): string {
  const replication = report.replication.final
    ? `${report.replication.final.status} (${report.replication.final.succeed}/${report.replication.final.total} tasks, ${report.replication.final.failed} failed)`
    : `unknown (${report.replication.error ?? 'no answer'})`;
  return [
    `[faults] ${report.fault}:`,
    ...report.outages.map(
      (outage) => `  ${outage.mode}: down ${outage.upAt - outage.downAt} ms; first push ${outage.recoveryMs === undefined ? 'never' : `${outage.recoveryMs} ms`} after the return`,
    ),
    `  pushes ${report.pushes.succeeded}/${report.pushes.total} succeeded (${report.pushes.beforeFault} before the fault, ${report.pushes.duringOutage} during it)`,
    `  replication at fault ${report.replication.atFault?.status ?? '?'} → ${replication}${report.replication.endedAfterMs === undefined ? '' : `, ended ${report.replication.endedAfterMs} ms after the return`}`,
    ...(report.pushes.errors.length > 0 ? [`  push errors: ${report.pushes.errors.join(' | ')}`] : []),
    `  unexpected exits ${report.unexpectedExits.length}, replaced ${report.replacedServices.length}, not identical ${report.notIdentical.length}, not listed ${report.notListed.length}`,
    ...report.supervisor.map((line) => `  supervisor: ${line}`),
    '',
  ].join('\n');
}
