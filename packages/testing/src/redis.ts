import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export interface TestRedisNamespace {
  url: string;
  /** Every key of the run starts with this. */
  prefix: string;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A key prefix of its own on the machine's Redis. */
export async function createTestRedisNamespace(label = 'test'): Promise<TestRedisNamespace> {
  const prefix = `wharf-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}:`;
  return {
    url: REDIS_URL,
    prefix,
    cleanup: async () => {
      await deleteRedisKeys(REDIS_URL, prefix);
    },
  };
}

/** Deletes every key that starts with `prefix` (a namespace's clean-up, or a test forgetting what a service kept there); returns how many. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
