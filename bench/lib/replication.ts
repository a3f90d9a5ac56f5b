import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { HarborClient } from '../../packages/testing/dist/index.js';
import type { BenchImage } from './image-set.ts';
import { BenchError, MANIFEST_ACCEPT } from './operations.ts';
import { discoverTokenRealm, requestToken } from './token-auth.ts';

/** The id at the end of a 201's Location (`/api/v2.0/registries/3` → 3). */
function createdId(response: { status: number; headers: Headers; text: string }, what: string): number {
  if (response.status !== 201) throw new BenchError(`${what}: expected 201, got ${response.status}: ${response.text.slice(0, 300)}`);
  const id = Number(/\/(\d+)$/.exec(response.headers.get('location') ?? '')?.[1]);
  if (!Number.isInteger(id) || id <= 0) throw new BenchError(`${what}: no id in Location ${String(response.headers.get('location'))}`);
  return id;
}

/** `POST /api/v2.0/registries`: a docker-registry endpoint (anonymous unless credentials are given). */
export async function createRegistry(admin: HarborClient, options: { name: string; url: string; credential?: { username: string; password: string } }): Promise<number> {
  const credential = options.credential ? { type: 'basic', access_key: options.credential.username, access_secret: options.credential.password } : undefined;
  const response = await admin.post('/registries', { name: options.name, type: 'docker-registry', url: options.url, insecure: true, ...(credential ? { credential } : {}) });
  return createdId(response, `create registry ${options.name}`);
}

/**
 * `POST /api/v2.0/replication/policies`, manual trigger, override on, unlimited speed; the
 * source repositories chosen by a name filter. `source`/`destination` null = the local Wharf.
 */
export async function createPolicy(
  admin: HarborClient,
  options: { name: string; source: number | null; destination: number | null; nameFilter: string; destNamespace: string; replaceCount: number },
): Promise<number> {
  const response = await admin.post('/replication/policies', {
    name: options.name,
    src_registry: options.source === null ? null : { id: options.source },
    dest_registry: options.destination === null ? null : { id: options.destination },
    dest_namespace: options.destNamespace,
    dest_namespace_replace_count: options.replaceCount,
    filters: [{ type: 'name', value: options.nameFilter }],
    trigger: { type: 'manual' },
    override: true,
    enabled: true,
    speed: -1,
  });
  return createdId(response, `create policy ${options.name}`);
}

export interface ExecutionView {
  id: number;
  status: string;
  status_text?: string;
  total: number;
  succeed: number;
  failed: number;
  in_progress: number;
  stopped: number;
}

export interface ExecutionRun {
  /** From the POST to the first poll that saw Succeed. */
  seconds: number;
  execution: ExecutionView;
  polls: number;
}

/** Starts an execution of the policy and polls it every `pollMs` until it ends; anything but Succeed throws. */
export async function runExecution(admin: HarborClient, policyId: number, options: { pollMs: number; timeoutSeconds: number }): Promise<ExecutionRun> {
  const started = performance.now();
  const id = createdId(await admin.post('/replication/executions', { policy_id: policyId }), `start execution of policy ${policyId}`);
  let polls = 0;
  for (;;) {
    const response = await admin.get<ExecutionView>(`/replication/executions/${id}`);
    polls += 1;
    if (response.status !== 200) throw new BenchError(`execution ${id}: GET answered ${response.status}: ${response.text.slice(0, 300)}`);
    const execution = response.body;
    if (execution.status === 'Succeed') return { seconds: (performance.now() - started) / 1000, execution, polls };
    if (execution.status !== 'InProgress') {
      const tasks = await admin.get(`/replication/executions/${id}/tasks?page_size=100`);
      throw new BenchError(`execution ${id} ended ${execution.status} (${execution.status_text ?? ''}): ${JSON.stringify(execution)}; tasks: ${tasks.text.slice(0, 2000)}`);
    }
    if (performance.now() - started > options.timeoutSeconds * 1000) throw new BenchError(`execution ${id} still ${execution.status} after ${options.timeoutSeconds} s: ${JSON.stringify(execution)}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/**
 * Checks that `registryUrl` serves, for every image, `<namespace>/<last path element>:<tag>`
 * with exactly the source's manifest (sha256 of the body and Docker-Content-Digest). With
 * credentials, a token for all the repositories is fetched from the registry's realm.
 */
export async function verifyCopies(
  registryUrl: string,
  images: readonly BenchImage[],
  destinationOf: (image: BenchImage) => string,
  credentials?: { username: string; password: string },
): Promise<void> {
  let authorization: string | undefined;
  if (credentials) {
    const { realm, service } = await discoverTokenRealm(registryUrl);
    const token = await requestToken(realm, { service, scopes: images.map((image) => `repository:${destinationOf(image)}:pull`), ...credentials });
    authorization = `Bearer ${token}`;
  }
  const wrong: string[] = [];
  for (const image of images) {
    const repository = destinationOf(image);
    const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${image.tag}`, {
      headers: { Accept: MANIFEST_ACCEPT, ...(authorization ? { Authorization: authorization } : {}) },
    });
    const body = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (response.status !== 200) wrong.push(`${repository}:${image.tag} answered ${response.status}`);
    else if (digest !== image.manifest.digest || response.headers.get('docker-content-digest') !== image.manifest.digest) {
      wrong.push(`${repository}:${image.tag} is ${digest} (header ${String(response.headers.get('docker-content-digest'))}), the source's is ${image.manifest.digest}`);
    }
  }
  if (wrong.length > 0) throw new BenchError(`${registryUrl}: ${wrong.length} of ${images.length} tag(s) differ from the source:\n  ${wrong.join('\n  ')}`);
}

/** CPU seconds of this process's children that have ended and been waited for (cutime + cstime). */
export function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

export interface SkopeoRun {
  seconds: number;
  /** CPU seconds skopeo used (user + system, from this process's cutime/cstime once it was reaped). */
  cpu: number;
  /** Peak RSS of skopeo in bytes (sampled every 50 ms from /proc/<pid>/status). */
  peak: number;
}

/**
 * `skopeo sync --src yaml --dest docker <yaml> <destination>`: every repository of the
 * images, all tags (`[]`), from the source registry (plain HTTP) into `destination`
 * (`host:port/namespace`), each image landing at `<destination>/<last path element>`.
 */
export async function skopeoSync(options: {
  yamlPath: string;
  logPath: string;
  sourceHost: string;
  images: readonly BenchImage[];
  destination: string;
  credentials?: { username: string; password: string };
}): Promise<SkopeoRun> {
  const repositories = [...new Set(options.images.map((image) => image.repository))];
  writeFileSync(options.yamlPath, [`${options.sourceHost}:`, '  tls-verify: false', '  images:', ...repositories.map((r) => `    ${r}: []`), ''].join('\n'));
  const args = [
    'sync',
    '--src',
    'yaml',
    '--dest',
    'docker',
    '--dest-tls-verify=false',
    ...(options.credentials ? ['--dest-creds', `${options.credentials.username}:${options.credentials.password}`] : ['--dest-no-creds']),
    options.yamlPath,
    options.destination,
  ];
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = spawn('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      if (kb) peak = Math.max(peak, Number(kb) * 1024);
    } catch {
      // ended
    }
  }, 50);
  const code = await new Promise<number | string>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? String(signal)));
    child.once('error', (error) => resolve(error.message));
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // The exit handler runs after libuv reaped the child: its times are in our cutime/cstime now.
  const cpu = childrenCpuSeconds() - cpuBefore;
  writeFileSync(options.logPath, Buffer.concat(output));
  if (code !== 0) throw new BenchError(`skopeo sync exited ${code}; see ${options.logPath}:\n${Buffer.concat(output).toString('utf8').slice(-2000)}`);
  return { seconds, cpu, peak };
}

/**
 * skopeo keeps a blob-info cache (where it saw which blob; used to find mount sources) in
 * /var/lib/containers/cache when run as root, $HOME/.local/share/containers/cache otherwise.
 * Returns a cleanup that removes what a run created there if nothing was there before.
 */
export function skopeoCacheCleanup(): () => void {
  const candidates = process.getuid?.() === 0 ? ['/var/lib/containers/cache', '/var/lib/containers'] : [`${process.env.HOME ?? ''}/.local/share/containers/cache`];
  const absent = candidates.filter((dir) => !existsSync(dir));
  return () => {
    // The deepest first: a parent is removed only if this run created it too.
    for (const dir of absent) rmSync(dir, { recursive: true, force: true });
  };
}

/** CPU seconds every process on the machine has used so far (busy time of all CPUs from /proc/stat). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: all but idle and iowait.
  const busy = fields.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
  return busy / 100;
}

/**
 * Bytes registry-facade received for blob uploads (PATCH and PUT under
 * `/v2/<namespace>/…/blobs/uploads/`) from its JSON log (`request completed` lines, level
 * info): what a copy actually streamed into Wharf, shared layers copied more than once
 * included.
 */
export function facadeUploadBytes(logFile: string, namespace: string): { bytes: number; requests: number } {
  let bytes = 0;
  let requests = 0;
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { bytes: Number.NaN, requests: 0 };
  }
  const prefix = `/v2/${namespace}/`;
  for (const line of text.split('\n')) {
    if (!line.includes(prefix) || !line.includes('/blobs/uploads/')) continue;
    try {
      const entry = JSON.parse(line) as { message?: string; method?: string; path?: string; bytesIn?: number };
      if (entry.message !== 'request completed' || (entry.method !== 'PATCH' && entry.method !== 'PUT') || !entry.path?.startsWith(prefix)) continue;
      bytes += entry.bytesIn ?? 0;
      requests += 1;
    } catch {
      // not a JSON line
    }
  }
  return { bytes, requests };
}
