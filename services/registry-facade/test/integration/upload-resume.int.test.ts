import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { digestOf } from '@wharf/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facadeProcess, type FacadeProcess } from './process.js';

const MiB = 1024 * 1024;

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('an upload interrupted by kill -9 of the registry', () => {
  let facade: FacadeProcess;
  beforeAll(async () => {
    facade = await facadeProcess();
  });
  afterAll(async () => facade.cleanup());

  it('resumes from the committed offset after a restart, and never serves a partial blob', async () => {
    const content = randomBytes(8 * MiB);
    const digest = digestOf(content);
    const started = await facade.client.request('POST', '/v2/library/crash/blobs/uploads/');
    const location = started.headers.get('location')!;
    const uploadFile = join(facade.storageRoot, 'uploads', location.split('/').pop()!, 'data');

    const first = await facade.client.request('PATCH', location, { headers: { 'Content-Range': `0-${2 * MiB - 1}` }, body: content.subarray(0, 2 * MiB) });
    expect(first.status).toBe(202);

    // The second chunk is on its way (3 of its 6 MiB sent) when the registry is killed.
    const { port } = new URL(facade.url);
    const inFlight = request({
      host: '127.0.0.1',
      port,
      method: 'PATCH',
      path: location,
      headers: { 'Content-Range': `${2 * MiB}-${8 * MiB - 1}`, 'Content-Length': String(6 * MiB) },
    });
    const failed = new Promise((resolve) => {
      inFlight.on('error', resolve);
      inFlight.on('response', resolve);
    });
    inFlight.write(content.subarray(2 * MiB, 5 * MiB));
    await waitFor(async () => (await stat(uploadFile)).size >= 4 * MiB);
    await facade.kill();
    await failed;

    await facade.start();
    expect((await facade.client.request('HEAD', `/v2/library/crash/blobs/${digest}`)).status).toBe(404);

    const status = await facade.client.request('GET', location);
    expect(status.status).toBe(204);
    const offset = Number(status.headers.get('range')!.split('-')[1]) + 1;
    expect(offset).toBeGreaterThanOrEqual(2 * MiB);
    expect(offset).toBeLessThanOrEqual(5 * MiB);
    expect((await readFile(uploadFile)).subarray(0, offset)).toEqual(content.subarray(0, offset));

    const rest = await facade.client.request('PATCH', location, {
      headers: { 'Content-Range': `${offset}-${8 * MiB - 1}` },
      body: content.subarray(offset),
    });
    expect(rest.status).toBe(202);
    const closed = await facade.client.request('PUT', `${location}?digest=${digest}`);
    expect(closed.status).toBe(201);
    const pulled = await facade.client.request('GET', `/v2/library/crash/blobs/${digest}`);
    expect(pulled.body.equals(content)).toBe(true);
  });

  it('keeps a session across a clean restart too, and completes it with the right digest', async () => {
    const content = randomBytes(3 * MiB);
    const digest = digestOf(content);
    const location = (await facade.client.request('POST', '/v2/library/restart/blobs/uploads/')).headers.get('location')!;
    await facade.client.request('PATCH', location, { headers: { 'Content-Range': `0-${MiB - 1}` }, body: content.subarray(0, MiB) });
    await facade.current().stop();
    await facade.start();
    await facade.client.request('PATCH', location, { headers: { 'Content-Range': `${MiB}-${3 * MiB - 1}` }, body: content.subarray(MiB) });
    const closed = await facade.client.request('PUT', `${location}?digest=${digest}`);
    expect(closed.status).toBe(201);
    expect((await facade.client.request('GET', `/v2/library/restart/blobs/${digest}`)).body.equals(content)).toBe(true);
  });
});
