import { deleteRedisKeys, startPrivateRedis, type PrivateServer, type RedisStopMode } from '@wharf/testing';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, waitFor, type Namespace } from './harness.js';

describe('jobservice losing its Redis state', () => {
  let ns: Namespace;
  const receiver = new HookReceiver();

  beforeAll(async () => {
    ns = await createNamespace('loss');
    await receiver.start();
  });

  afterAll(async () => {
    await ns?.cleanup();
    await receiver.stop();
  });

  it('still stores and reports the final status of a job running when its stats were lost', async () => {
    const js = await ns.spawn();
    const job = await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 2000 }, status_hook: receiver.url });
    await waitFor('running', () => receiver.of(job.id).some((h) => h.status === 'Running'));
    // Only the namespace's own keys: the machine's Redis is shared.
    expect(await deleteRedisKeys(ns.redis.url, ns.redis.prefix)).toBeGreaterThan(0);
    expect((await fetch(`${js.url}/api/v1/jobs/${job.id}`, { headers: AUTH })).status).toBe(404);
    const success = await waitFor('success hook', () => receiver.of(job.id).find((h) => h.status === 'Success'), 20_000);
    expect(success.metadata).toMatchObject({ id: job.id, name: 'DEMO', revision: job.revision, parameters: { sleep_ms: 2000 } });
    const final = await getJob(js.url, job.id);
    expect(final).toMatchObject({ status: 'Success', web_hook_url: receiver.url, revision: job.revision });
    await waitFor('acknowledged', async () => (await getJob(js.url, job.id)).ack?.status === 'Success');
    await js.stop();
  }, 60_000);

  it('dead-letters a message whose job is gone before it started, with a warning naming the job', async () => {
    const js = await ns.spawn();
    const model = await connect(process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672');
    try {
      const channel = await model.createConfirmChannel();
      channel.sendToQueue(`${ns.queuePrefix}jobs.DEMO`, Buffer.from(JSON.stringify({ id: 'lost-before-start', revision: 1 })), { persistent: true });
      await channel.waitForConfirms();
    } finally {
      await model.close();
    }
    type Stats = { dead_letters: Record<string, number> };
    await waitFor('dead letter counted', async () => ((await (await fetch(`${js.url}/api/v1/stats`)).json()) as Stats).dead_letters.DEMO! >= 1);
    const line = (await js.processLog()).split('\n').find((l) => l.includes('lost-before-start'));
    expect(line).toMatch(/"level":"warn"/);
    await js.stop();
  }, 60_000);
});

describe('jobservice through a Redis restart that empties it', () => {
  let redis: PrivateServer<RedisStopMode>;
  let ns: Namespace;
  const receiver = new HookReceiver();

  beforeAll(async () => {
    // A server of the test's own (no persistence, as the machine's): the shared one is never restarted.
    redis = await startPrivateRedis({ label: 'jobservice' });
    ns = await createNamespace('redis-restart', { redisUrl: redis.url });
    await receiver.start();
  });

  afterAll(async () => {
    await ns?.cleanup();
    await redis?.stop();
    await receiver.stop();
  });

  it('keeps running, reports the Success of the job that ran through it, and takes new jobs after', async () => {
    const js = await ns.spawn();
    const job = await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 3000 }, status_hook: receiver.url });
    await waitFor('running', () => receiver.of(job.id).some((h) => h.status === 'Running'));
    await redis.restart(1000, { mode: 'kill' });
    await waitFor('success hook', () => receiver.of(job.id).some((h) => h.status === 'Success'), 30_000);
    expect(js.current().child.exitCode).toBeNull();
    expect((await getJob(js.url, job.id)).status).toBe('Success');
    const after = await launch(js.url, { name: 'DEMO', parameters: {}, status_hook: receiver.url });
    await waitFor('a new job done', () => receiver.of(after.id).some((h) => h.status === 'Success'), 20_000);
    // The process logged the outage and its end, and nothing crashed.
    const log = await js.processLog();
    expect(log).toMatch(/redis connection error/);
    expect(log).toMatch(/redis connection restored/);
    expect(log).toMatch(/job stats lost while the job ran, re-created from the worker/);
    expect(log).not.toMatch(/"level":"error"/);
    await js.stop();
  }, 90_000);
});
