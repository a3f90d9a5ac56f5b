import { createServer, type Server } from 'node:http';
import { freePort } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, getJob, HookReceiver, launch, waitFor, type Namespace } from './harness.js';

/** A stand-in for the adapter's copy route: answers every copy with a result line. */
async function startAdapter(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.end('{"type":"progress","bytes":10,"total":10}\n{"type":"result","bytes":10,"copied":[]}\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const replication = (hook: string) => ({
  name: 'REPLICATION',
  parameters: {
    src_resource: JSON.stringify({ type: 'image', registry: { url: 'http://src', credential: { type: 'basic', access_key: 'u', access_secret: 'p' } } }),
    dst_resource: JSON.stringify({ type: 'image', registry: { url: 'http://dst' } }),
  },
  status_hook: hook,
});

describe('a dependency outage', () => {
  let ns: Namespace;
  const receiver = new HookReceiver();
  const servers: Server[] = [];

  beforeAll(async () => {
    ns = await createNamespace('outage');
    await receiver.start();
  });

  afterAll(async () => {
    for (const server of servers) server.close();
    await ns?.cleanup();
    await receiver.stop();
  });

  it('is retried with backoff: a replication whose adapter refuses connections for 15 s ends Success', async () => {
    const port = await freePort();
    const js = await ns.spawn({ JOBSERVICE_ADAPTER_URL: `http://127.0.0.1:${port}`, JOBSERVICE_RETRY_OUTAGE_WINDOW: '2m', JOBSERVICE_RETRY_OUTAGE_MAX_DELAY: '2s' });
    const launchedAt = Date.now();
    const job = await launch(js.url, replication(receiver.url));
    // The outage is noticed and its reason reported on the retry.
    const retried = await waitFor('a retry', () => receiver.of(job.id).find((h) => h.status === 'Pending'));
    expect(retried.metadata?.status_message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    expect((await getJob(js.url, job.id)).status_message).toMatch(/ECONNREFUSED/);
    await waitFor('15 s of outage', () => Date.now() - launchedAt >= 15_000, 20_000, 200);
    expect((await getJob(js.url, job.id)).status).not.toBe('Error');
    servers.push(await startAdapter(port));
    await waitFor('success', () => receiver.of(job.id).find((h) => h.status === 'Success'), 20_000);
    const final = await getJob(js.url, job.id);
    expect(final.status).toBe('Success');
    expect(final.status_message).toBeUndefined();
    // The API shows the job's parameters with the registry credential masked.
    expect(JSON.parse(final.parameters!.src_resource as string)).toMatchObject({ registry: { credential: { access_key: 'u', access_secret: '*****' } } });
    expect(receiver.of(job.id).filter((h) => h.status === 'Pending').length).toBeGreaterThanOrEqual(3);
    await js.stop();
  }, 60_000);

  it('longer than the window ends Error, with a status_message naming the cause', async () => {
    const port = await freePort();
    const js = await ns.spawn({ JOBSERVICE_ADAPTER_URL: `http://127.0.0.1:${port}`, JOBSERVICE_RETRY_OUTAGE_WINDOW: '3s', JOBSERVICE_RETRY_OUTAGE_MAX_DELAY: '1s' });
    const job = await launch(js.url, replication(receiver.url));
    const error = await waitFor('error hook', () => receiver.of(job.id).find((h) => h.status === 'Error'), 20_000);
    expect(error.metadata?.status_message).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    const final = await getJob(js.url, job.id);
    expect(final.status).toBe('Error');
    expect(final.status_message).toMatch(/ECONNREFUSED/);
    // Retried over the whole window, not by the type's three failures.
    const hooks = receiver.of(job.id);
    expect(hooks.at(-1)!.at - hooks[0]!.at).toBeGreaterThanOrEqual(2900);

    // An ordinary failure keeps the type's limits and reports its reason too.
    const doomed = await launch(js.url, { name: 'DEMO', parameters: { fail_permanently: true }, status_hook: receiver.url });
    const failed = await waitFor('doomed error hook', () => receiver.of(doomed.id).find((h) => h.status === 'Error'));
    expect(failed.metadata?.status_message).toBe('demo job asked to fail for good');
    await js.stop();
  }, 60_000);
});
