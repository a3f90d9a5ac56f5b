import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_ACCEPT } from '@wharf/oci';
import { createTestImage, writeOciLayout, type TestImage } from '@wharf/testing';
import type { ContainersClients } from '../containers.js';

/**
 * Clients pushing while a fault happens: Node pushers speaking the distribution protocol
 * through the proxy with a token from the token service (as docker does: token, blob
 * uploads, manifest), and skopeo copying an OCI layout. Every attempt is recorded, so that
 * each push that was answered as a success can be pulled back and looked up afterwards.
 */


/** Where pushes go: the proxy, and the user they push as. */
export interface PushTarget {
  url: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  username: string;
  password: string;
}

export interface PushAttempt {
  client: 'node' | 'skopeo';
  /** `<project>/<name>` */
  repository: string;
  tag: string;
  image: TestImage;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function short(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A small image of random content (two layers), different on every call. */
export function smallImage(): TestImage {
  return createTestImage({ layers: 2, layerSize: 16 * 1024 });
}

/** A registry token from the token service (`/service/token`, Basic auth) for `actions` on `repository`. */
export async function registryToken(target: PushTarget, repository: string, actions: string, signal?: AbortSignal): Promise<string> {
  const query = new URLSearchParams({ service: 'harbor-registry', scope: `repository:${repository}:${actions}` });
  const answer = await fetch(`${target.url}/service/token?${query.toString()}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}` },
    signal,
  });
  const text = await answer.text();
  if (answer.status !== 200) throw new Error(`token request answered ${answer.status}: ${short(text)}`);
  return (JSON.parse(text) as { token: string }).token;
}

/** One push as a registry client makes it: a token, each blob (POST then PUT with the digest), then the manifest. */
export async function pushWithNode(target: PushTarget, repository: string, tag: string, image: TestImage, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const auth = { Authorization: `Bearer ${await registryToken(target, repository, 'pull,push', signal)}` };
  for (const blob of [image.config, ...image.layers]) {
    const start = await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: auth, signal, redirect: 'manual' });
    const startText = await start.text();
    if (start.status !== 202) throw new Error(`upload POST answered ${start.status}: ${short(startText)}`);
    const location = new URL(start.headers.get('location') ?? '', target.url);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: blob.bytes, signal, redirect: 'manual' });
    const putText = await put.text();
    if (put.status !== 201) throw new Error(`blob PUT answered ${put.status}: ${short(putText)}`);
  }
  const manifest = await fetch(`${target.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': image.manifest.mediaType },
    body: image.manifest.bytes,
    signal,
    redirect: 'manual',
  });
  const text = await manifest.text();
  if (manifest.status !== 201) throw new Error(`manifest PUT answered ${manifest.status}: ${short(text)}`);
  const digest = manifest.headers.get('docker-content-digest');
  if (digest !== image.manifest.digest) throw new Error(`manifest PUT answered 201 with digest ${digest}, pushed ${image.manifest.digest}`);
}

/** One push with skopeo (`copy --preserve-digests` from an OCI layout written for it). */
export async function pushWithSkopeo(clients: ContainersClients, target: PushTarget, workDir: string, repository: string, tag: string, image: TestImage, timeoutMs: number): Promise<void> {
  const layout = join(workDir, `layout-${tag}`);
  await mkdir(layout, { recursive: true });
  try {
    await writeOciLayout(layout, { images: [image], tags: { [tag]: image.manifest } });
    const result = await clients.skopeo(
      ['copy', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', `${target.username}:${target.password}`, `oci:${layout}:${tag}`, `docker://${target.host}/${repository}:${tag}`],
      { timeoutMs, allowFailure: true },
    );
    if (result.code !== 0) throw new Error(`skopeo ${result.timedOut ? 'timed out' : `exited ${result.code}`}: ${short(result.stderr, 400)}`);
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}

export interface PushLoad {
  attempts: PushAttempt[];
  /** Lets each pusher finish the attempt it is in, then stops them. */
  stop(): Promise<void>;
}

/**
 * `nodePushers` Node pushers and, with `clients`, one skopeo pusher, each pushing new small
 * images one after the other to `<project>/<its name>` until stopped.
 */
export function startPushLoad(options: { target: PushTarget; project: string; nodePushers: number; clients?: ContainersClients; workDir: string; attemptTimeoutMs?: number }): PushLoad {
  const attempts: PushAttempt[] = [];
  let stopping = false;
  const timeoutMs = options.attemptTimeoutMs ?? 30_000;
  const loop = async (client: 'node' | 'skopeo', name: string) => {
    const repository = `${options.project}/${name}`;
    for (let n = 1; !stopping; n++) {
      const image = smallImage();
      const tag = `t${n}`;
      const startedAt = Date.now();
      let error: string | undefined;
      try {
        if (client === 'skopeo') await pushWithSkopeo(options.clients!, options.target, options.workDir, repository, tag, image, timeoutMs);
        else await pushWithNode(options.target, repository, tag, image, timeoutMs);
      } catch (caught) {
        error = short((caught as Error).message ?? String(caught));
      }
      attempts.push({ client, repository, tag, image, startedAt, endedAt: Date.now(), ok: error === undefined, ...(error ? { error } : {}) });
      // A failed push is tried again soon, as a CI job retrying would.
      await sleep(error ? 250 : 50);
    }
  };
  const loops = [
    ...Array.from({ length: options.nodePushers }, (_, i) => loop('node', `node-${i + 1}`)),
    ...(options.clients ? [loop('skopeo', 'skopeo')] : []),
  ];
  return {
    attempts,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/**
 * Pushes a new small image to `repository` again and again (each attempt at most
 * `attemptTimeoutMs`) until one succeeds or `timeoutMs` has passed; returns every attempt.
 */
export async function probeUntilPushed(target: PushTarget, repository: string, options: { timeoutMs: number; attemptTimeoutMs: number }): Promise<PushAttempt[]> {
  const attempts: PushAttempt[] = [];
  const deadline = Date.now() + options.timeoutMs;
  for (let n = 1; Date.now() < deadline; n++) {
    const image = smallImage();
    const tag = `p${Date.now()}-${n}`;
    const startedAt = Date.now();
    try {
      await pushWithNode(target, repository, tag, image, options.attemptTimeoutMs);
      attempts.push({ client: 'node', repository, tag, image, startedAt, endedAt: Date.now(), ok: true });
      return attempts;
    } catch (error) {
      attempts.push({ client: 'node', repository, tag, image, startedAt, endedAt: Date.now(), ok: false, error: short((error as Error).message) });
      await sleep(100);
    }
  }
  return attempts;
}

/** Pulls the pushed tag back through the proxy: undefined when the manifest and every blob are byte-identical, else what differs. */
export async function pullMismatch(target: PushTarget, attempt: PushAttempt): Promise<string | undefined> {
  const where = `${attempt.repository}:${attempt.tag} (${attempt.client})`;
  try {
    const auth = { Authorization: `Bearer ${await registryToken(target, attempt.repository, 'pull', AbortSignal.timeout(15_000))}` };
    const manifest = await fetch(`${target.url}/v2/${attempt.repository}/manifests/${attempt.tag}`, { headers: { ...auth, Accept: MANIFEST_ACCEPT }, signal: AbortSignal.timeout(15_000) });
    const bytes = Buffer.from(await manifest.arrayBuffer());
    if (manifest.status !== 200) return `${where}: manifest GET answered ${manifest.status}: ${short(bytes.toString())}`;
    if (sha256(bytes) !== attempt.image.manifest.digest) return `${where}: manifest pulled as ${sha256(bytes)}, pushed ${attempt.image.manifest.digest}`;
    for (const blob of [attempt.image.config, ...attempt.image.layers]) {
      const answer = await fetch(`${target.url}/v2/${attempt.repository}/blobs/${blob.digest}`, { headers: auth, signal: AbortSignal.timeout(15_000) });
      const content = Buffer.from(await answer.arrayBuffer());
      if (answer.status !== 200) return `${where}: blob ${blob.digest} GET answered ${answer.status}`;
      if (sha256(content) !== blob.digest) return `${where}: blob ${blob.digest} pulled as ${sha256(content)}`;
    }
    return undefined;
  } catch (error) {
    return `${where}: ${short((error as Error).message)}`;
  }
}
