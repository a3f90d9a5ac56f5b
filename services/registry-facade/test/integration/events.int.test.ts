import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERNAL_TOKEN_SUBJECT } from '@wharf/contracts';
import { createTestImage, createTestTokenIssuer, freePort, type TestTokenIssuer } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facadeProcess, type FacadeProcess } from './process.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  events: {
    id: string;
    timestamp: string;
    action: string;
    target: { mediaType: string; digest: string; size: number; repository: string; url: string; tag?: string };
    request: { id: string; addr: string; host: string; method: string; useragent: string };
    actor: { name?: string };
    source: { addr: string; instanceID: string };
  }[];
}

const SECRET = 'registry-events-secret-0123456789';

/** A receiver standing in for core's /service/notifications: it records what arrives. */
function startReceiver(port: number, deliveries: Delivery[], failFirst: number, refuseOnce?: (event: Delivery['events'][number]) => boolean): Promise<Server> {
  let refused = 0;
  const refusedEvents = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (refused < failFirst) {
        refused += 1;
        res.writeHead(503).end();
        return;
      }
      const { events } = JSON.parse(Buffer.concat(chunks).toString()) as Delivery;
      // As core answers when it could apply only some: the others by id, with the reason.
      const failed = events.filter((e) => refuseOnce?.(e) && !refusedEvents.has(e.id));
      for (const event of failed) refusedEvents.add(event.id);
      deliveries.push({ headers: req.headers, events: events.filter((e) => !failed.includes(e)) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ applied: events.length - failed.length, ignored: 0, ...(failed.length > 0 ? { failed: failed.map((e) => ({ id: e.id, message: 'project not found' })) } : {}) }));
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('registry events', () => {
  let facade: FacadeProcess;
  let receiver: Server | undefined;
  let receiverPort: number;
  const deliveries: Delivery[] = [];
  const events = () => deliveries.flatMap((d) => d.events);

  beforeAll(async () => {
    receiverPort = await freePort();
    facade = await facadeProcess({
      REGISTRY_NOTIFICATIONS_URL: `http://127.0.0.1:${receiverPort}/service/notifications`,
      REGISTRY_NOTIFICATIONS_SECRET: SECRET,
      REGISTRY_NOTIFICATIONS_MIN_BACKOFF: '100ms',
      REGISTRY_NOTIFICATIONS_MAX_BACKOFF: '1s',
      REGISTRY_NOTIFICATIONS_POLL_INTERVAL: '200ms',
      REGISTRY_NOTIFICATIONS_BATCH_SIZE: '7',
    });
  });
  afterAll(async () => {
    await facade.cleanup();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('delivers all 20 push events after the receiver was down and the registry was killed meanwhile', async () => {
    const pushed: { repository: string; tag: string; digest: string }[] = [];
    for (let i = 0; i < 20; i += 1) {
      if (i === 10) {
        await facade.kill();
        await facade.start();
      }
      const image = createTestImage({ layers: 1, layerSize: 64 });
      const repository = `events/app-${i % 3}`;
      await facade.client.pushImage(repository, image, `t${i}`);
      pushed.push({ repository, tag: `t${i}`, digest: image.manifest.digest });
    }

    receiver = await startReceiver(receiverPort, deliveries, 2, (event) => event.target.tag === 't3' || event.target.tag === 't14');
    await waitFor(() => new Set(events().filter((e) => e.action === 'push').map((e) => e.id)).size >= 20);

    const pushes = events().filter((e) => e.action === 'push');
    const byId = new Map<string, (typeof pushes)[number]>();
    for (const event of pushes) {
      const seen = byId.get(event.id);
      // At least once: a repeat is the same event, with the same id and content.
      if (seen) expect(event).toEqual(seen);
      byId.set(event.id, event);
    }
    expect(byId.size).toBe(20);
    // The two events the receiver refused once came again on their own; the others of their batches were not resent.
    for (const tag of ['t3', 't14']) expect(pushes.filter((e) => e.target.tag === tag)).toHaveLength(1);
    expect(pushes.length).toBeLessThanOrEqual(20 + 7);
    expect([...byId.values()].map((e) => ({ repository: e.target.repository, tag: e.target.tag!, digest: e.target.digest })).sort((a, b) => a.tag.localeCompare(b.tag))).toEqual(
      [...pushed].sort((a, b) => a.tag.localeCompare(b.tag)),
    );
    for (const delivery of deliveries) {
      expect(delivery.headers.authorization).toBe(`Harbor-Secret ${SECRET}`);
      expect(delivery.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');
    }
  });

  it('describes each event in distribution\'s envelope', () => {
    const event = events().find((e) => e.action === 'push')!;
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
    expect(event.target).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: expect.any(Number) as number });
    expect(event.target.url).toBe(`${facade.url}/v2/${event.target.repository}/manifests/${event.target.digest}`);
    expect(event.request).toMatchObject({ method: 'PUT', host: new URL(facade.url).host, useragent: expect.any(String) as string });
    expect(event.request.id).toBeTruthy();
    expect(event.source.instanceID).toBeTruthy();
  });

  it('raises pull events for manifest GETs (not HEADs) and delete events', async () => {
    const image = createTestImage({ layers: 1, layerSize: 64 });
    await facade.client.pushImage('events/pulled', image, 'v1');
    await facade.client.request('HEAD', '/v2/events/pulled/manifests/v1');
    await facade.client.request('GET', '/v2/events/pulled/manifests/v1');
    await facade.client.request('DELETE', '/v2/events/pulled/manifests/v1');
    await waitFor(() => events().some((e) => e.action === 'delete' && e.target.repository === 'events/pulled'));
    const forRepo = events().filter((e) => e.target.repository === 'events/pulled');
    expect(forRepo.filter((e) => e.action === 'pull')).toHaveLength(1);
    expect(forRepo.find((e) => e.action === 'pull')!.target).toMatchObject({ tag: 'v1', digest: image.manifest.digest });
    expect(forRepo.find((e) => e.action === 'delete')!.target).toMatchObject({ tag: 'v1', digest: image.manifest.digest });
  });
});

describe('registry events with token authentication', () => {
  let facade: FacadeProcess;
  let receiver: Server | undefined;
  let issuer: TestTokenIssuer;
  let keyDir: string;
  const deliveries: Delivery[] = [];
  const events = () => deliveries.flatMap((d) => d.events);

  beforeAll(async () => {
    const receiverPort = await freePort();
    issuer = await createTestTokenIssuer();
    keyDir = await mkdtemp(join(tmpdir(), 'wharf-keys-'));
    facade = await facadeProcess({
      REGISTRY_AUTH_MODE: 'token',
      REGISTRY_AUTH_TOKEN_REALM: 'https://wharf.example.com/service/token',
      REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE: await issuer.writePublicKey(keyDir),
      REGISTRY_NOTIFICATIONS_URL: `http://127.0.0.1:${receiverPort}/service/notifications`,
      REGISTRY_NOTIFICATIONS_SECRET: SECRET,
      REGISTRY_NOTIFICATIONS_POLL_INTERVAL: '200ms',
    });
    receiver = await startReceiver(receiverPort, deliveries, 0);
  });
  afterAll(async () => {
    await facade.cleanup();
    await new Promise((resolve) => receiver?.close(resolve));
    await rm(keyDir, { recursive: true, force: true });
  });

  it("names the token's subject as the actor, and raises no pull event for core's own reads", async () => {
    const image = createTestImage({ layers: 1, layerSize: 64 });
    const alice = facade.client.withToken(await issuer.token('repository:events/read:pull,push', { subject: 'alice' }));
    const core = facade.client.withToken(await issuer.token('repository:events/read:pull', { subject: INTERNAL_TOKEN_SUBJECT }));
    await alice.pushImage('events/read', image, 'v1');
    expect((await core.request('GET', '/v2/events/read/manifests/v1')).status).toBe(200);
    expect((await alice.request('GET', '/v2/events/read/manifests/v1')).status).toBe(200);
    await waitFor(() => events().some((e) => e.action === 'pull'));
    // The pull event of alice's GET came after core's; a second delivery window for stragglers.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const forRepo = events().filter((e) => e.target.repository === 'events/read');
    expect(forRepo.filter((e) => e.action === 'push').map((e) => e.actor.name)).toEqual(['alice']);
    expect(forRepo.filter((e) => e.action === 'pull').map((e) => e.actor.name)).toEqual(['alice']);
  });
});
