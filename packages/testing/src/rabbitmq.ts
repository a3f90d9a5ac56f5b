import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestVhost {
  /** AMQP URL of the machine's RabbitMQ, on the run's own vhost. */
  url: string;
  vhost: string;
  cleanup(): Promise<void>;
}

const AMQP_URL = process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/** A vhost of its own on the machine's RabbitMQ (made with rabbitmqctl), removed by `cleanup`. */
export async function createTestVhost(label = 'test'): Promise<TestVhost> {
  const vhost = `wharf-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const user = decodeURIComponent(new URL(AMQP_URL).username || 'guest');
  await run('rabbitmqctl', ['add_vhost', vhost]);
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  const url = new URL(AMQP_URL);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: url.toString(),
    vhost,
    cleanup: async () => {
      await run('rabbitmqctl', ['delete_vhost', vhost]);
    },
  };
}
