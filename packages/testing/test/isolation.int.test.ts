import amqp from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedisNamespace, createTestVhost } from '../src/index.js';

describe('per-run isolation on the machine\'s real servers', () => {
  it('creates a fresh Postgres database and drops it', async () => {
    const db = await createTestDatabase('iso');
    const client = new pg.Client(db.url);
    await client.connect();
    const tables = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.rows[0].n).toBe(0);
    await client.end();
    await db.drop();
    const admin = new pg.Client(db.url.replace(/\/[^/]+$/, '/postgres'));
    await admin.connect();
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(db.url).pathname.slice(1)]);
    expect(left.rowCount).toBe(0);
    await admin.end();
  });

  it('gives each run its own Redis key prefix and removes its keys', async () => {
    const namespace = await createTestRedisNamespace('iso');
    const redis = new Redis(namespace.url);
    await redis.set(`${namespace.prefix}a`, '1');
    await redis.set('wharf-unrelated-key-kept', '1');
    await namespace.cleanup();
    expect(await redis.exists(`${namespace.prefix}a`)).toBe(0);
    expect(await redis.exists('wharf-unrelated-key-kept')).toBe(1);
    await redis.del('wharf-unrelated-key-kept');
    redis.disconnect();
  });

  it('gives each run its own RabbitMQ vhost', async () => {
    const vhost = await createTestVhost('iso');
    const connection = await amqp.connect(vhost.url);
    const channel = await connection.createChannel();
    await channel.assertQueue('jobs.test', { durable: true });
    await connection.close();
    await vhost.cleanup();
    await expect(amqp.connect(vhost.url)).rejects.toThrow();
  }, 60_000);
});
