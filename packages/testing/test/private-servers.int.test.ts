import { existsSync } from 'node:fs';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ensureDatabase } from '@wharf/db';
import { startPrivatePostgres, startPrivateRabbit, startPrivateRedis } from '../src/index.js';

/** True while something accepts TCP connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('private RabbitMQ node', () => {
  it('takes clients on its own port, keeps durable queues and persistent messages across a clean stop and a kill -9, and leaves nothing behind', async () => {
    const rabbit = await startPrivateRabbit({ label: 'int' });
    try {
      expect(rabbit.url).not.toContain(':5672/');
      expect(rabbit.nodeName).toMatch(/^wharf-int-[0-9a-f]+@localhost$/);

      const publish = async (body: string) => {
        const connection = await amqp.connect(rabbit.url);
        const channel = await connection.createConfirmChannel();
        await channel.assertQueue('jobs.durable', { durable: true });
        channel.sendToQueue('jobs.durable', Buffer.from(body), { persistent: true });
        await channel.waitForConfirms();
        await connection.close();
      };
      await publish('one');

      // A client connected across the restart sees its connection close.
      const watcher = await amqp.connect(rabbit.url);
      const closed = new Promise<void>((resolve) => watcher.on('close', () => resolve()));
      watcher.on('error', () => undefined);

      const times = await rabbit.restart(1000, { mode: 'stop' });
      await closed;
      expect(times.upAt - times.downAt).toBeGreaterThanOrEqual(1000);
      await publish('two');

      await rabbit.restart(0, { mode: 'kill' });
      const connection = await amqp.connect(rabbit.url);
      const channel = await connection.createChannel();
      const bodies: string[] = [];
      for (;;) {
        const message = await channel.get('jobs.durable', { noAck: true });
        if (!message) break;
        bodies.push(message.content.toString());
      }
      await connection.close();
      expect(bodies).toEqual(['one', 'two']);

      expect(await rabbit.ctl(['list_queues', 'name', 'durable'])).toContain('jobs.durable');
    } finally {
      await rabbit.stop();
    }
    expect(await listening(rabbit.port)).toBe(false);
    expect(existsSync(rabbit.dir)).toBe(false);
    await rabbit.stop();
  }, 180_000);
});

describe('private Redis', () => {
  it('loses every key on a restart, as the machine\'s Redis (no persistence) would', async () => {
    const redis = await startPrivateRedis({ label: 'int' });
    try {
      const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
      client.on('error', () => undefined);
      await client.set('wharf:key', 'value');
      const times = await redis.restart(500);
      expect(times.upAt - times.downAt).toBeGreaterThanOrEqual(500);
      expect(await client.get('wharf:key')).toBeNull();
      await client.set('wharf:key', 'again');
      await redis.restart(0, { mode: 'kill' });
      expect(await client.get('wharf:key')).toBeNull();
      client.disconnect();
    } finally {
      await redis.stop();
    }
    expect(await listening(redis.port)).toBe(false);
    expect(existsSync(redis.dir)).toBe(false);
  }, 60_000);
});

describe('private Postgres', () => {
  it('cuts every session on a restart (fast and immediate) and keeps committed data', async () => {
    const postgres = await startPrivatePostgres({ label: 'int' });
    try {
      const url = postgres.databaseUrl('wharf_int');
      await ensureDatabase(url);
      const client = new pg.Client(url);
      const errors: Error[] = [];
      client.on('error', (error) => errors.push(error));
      await client.connect();
      await client.query('CREATE TABLE kept (v text)');
      await client.query("INSERT INTO kept VALUES ('one')");

      await postgres.restart(500);
      await expect(client.query('SELECT 1')).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);

      await postgres.restart(0, { mode: 'immediate' });
      const again = new pg.Client(url);
      await again.connect();
      const rows = await again.query<{ v: string }>('SELECT v FROM kept');
      expect(rows.rows.map((r) => r.v)).toEqual(['one']);
      await again.end();
      await client.end().catch(() => undefined);
    } finally {
      await postgres.stop();
    }
    expect(await listening(postgres.port)).toBe(false);
    expect(existsSync(postgres.dir)).toBe(false);
  }, 120_000);
});
