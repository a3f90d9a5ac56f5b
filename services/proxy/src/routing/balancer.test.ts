import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import { createApp } from '../app.js';
import { Balancer, FailoverAgent, isConnectionFailure } from './balancer.js';

const logger = createLogger({ service: 'test', level: 'error' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** An upstream answering `<name> <method> <url> <body bytes>` (and 200 on /readyz). */
async function echo(name: string): Promise<string> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end(`${name} ${req.method} ${req.url} ${bytes}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(url: string, options: { method?: string; body?: Buffer; agent?: FailoverAgent } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: options.agent }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('Balancer', () => {
  const urls = ['http://127.0.0.1:1001', 'http://127.0.0.1:1002', 'http://127.0.0.1:1003'];

  it('picks round-robin over the healthy targets, and over all of them when none is', () => {
    const balancer = new Balancer({ name: 'core', urls, logger });
    expect([1, 2, 3, 4].map(() => balancer.pick().index)).toEqual([0, 1, 2, 0]);
    balancer.markDown(balancer.targets[1]!, new Error('refused'));
    const picks = [1, 2, 3, 4].map(() => balancer.pick().index);
    expect(picks.filter((i) => i === 0)).toHaveLength(2);
    expect(picks.filter((i) => i === 2)).toHaveLength(2);
    balancer.markDown(balancer.targets[0]!, new Error('refused'));
    balancer.markDown(balancer.targets[2]!, new Error('refused'));
    expect(new Set([1, 2, 3].map(() => balancer.pick().index))).toEqual(new Set([0, 1, 2]));
  });

  it('offers another target for a retry, healthy ones first, never one already tried', () => {
    const balancer = new Balancer({ name: 'core', urls, logger });
    const [a, b, c] = balancer.targets as [never, never, never];
    balancer.markDown(b, new Error('refused'));
    expect(balancer.another([a])).toBe(c);
    expect(balancer.another([a, c])).toBe(b);
    expect(balancer.another([a, b, c])).toBeUndefined();
    const single = new Balancer({ name: 'one', urls: [urls[0]!], logger });
    expect(single.another([single.targets[0]!])).toBeUndefined();
  });

  it('ejects a target that fails its health check and takes it back once it passes', async () => {
    const failing = new Set<number>([1]);
    const balancer = new Balancer({
      name: 'core',
      urls: urls.slice(0, 2),
      logger,
      checkIntervalMs: 20,
      check: async (target) => {
        if (failing.has(target.index)) throw new Error('not ready');
      },
    });
    balancer.start();
    try {
      await sleep(60);
      expect(balancer.targets.map((t) => t.healthy)).toEqual([true, false]);
      expect([1, 2, 3].map(() => balancer.pick().index)).toEqual([0, 0, 0]);
      failing.clear();
      await sleep(60);
      expect(balancer.targets.map((t) => t.healthy)).toEqual([true, true]);
    } finally {
      balancer.close();
    }
  });

  it('tells connection failures from answers', () => {
    expect(isConnectionFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isConnectionFailure(new Error('core answered 500'))).toBe(false);
  });
});

describe('FailoverAgent', () => {
  it('sends a request whose replica refuses the connection to another one, body and all, and ejects the refusing one', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const live = await echo('live');
    const balancer = new Balancer({ name: 'core', urls: [dead, live], logger });
    const agent = new FailoverAgent(balancer, balancer.targets[0]!);
    try {
      const body = Buffer.alloc(3 * 1024 * 1024, 7);
      const answer = await send(`${dead}/v2/a/blobs/uploads/x`, { method: 'PATCH', body, agent });
      expect(answer).toEqual({ status: 200, text: `live PATCH /v2/a/blobs/uploads/x ${body.length}` });
      expect(balancer.targets[0]!.healthy).toBe(false);
      expect([1, 2].map(() => balancer.pick().index)).toEqual([1, 1]);
    } finally {
      agent.destroy();
    }
  });

  it('fails the request when no replica can be reached', async () => {
    const balancer = new Balancer({ name: 'core', urls: [`http://127.0.0.1:${await closedPort()}`, `http://127.0.0.1:${await closedPort()}`], logger });
    const agent = new FailoverAgent(balancer, balancer.targets[0]!);
    await expect(send(`${balancer.targets[0]!.url}/x`, { method: 'POST', body: Buffer.from('{}'), agent })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });
});

describe('the proxy over replicas', () => {
  async function proxyOver(core: string[], registry: string[]): Promise<string> {
    const app = createApp({
      logger,
      readiness: [],
      externalUrl: 'http://wharf.test',
      upstreams: { core: new Balancer({ name: 'core', urls: core, logger }), registry: new Balancer({ name: 'registry-facade', urls: registry, logger }) },
      registryRoute: 'core',
      scheme: 'http',
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('spreads requests over the replicas round-robin', async () => {
    const proxy = await proxyOver([await echo('core-1'), await echo('core-2')], [await echo('registry')]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await send(`${proxy}/api/v2.0/projects`)).text.split(' ')[0]);
    expect(answers).toEqual(['core-1', 'core-2', 'core-1', 'core-2']);
  });

  it('answers every request, pushes included, while one replica is down', async () => {
    const proxy = await proxyOver([`http://127.0.0.1:${await closedPort()}`, await echo('core-2')], [await echo('registry')]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send(`${proxy}/v2/p/a/manifests/t`, i % 2 ? { method: 'PUT', body: Buffer.from('manifest') } : {}));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.text.split(' ')[0])).toEqual(['core-2', 'core-2', 'core-2', 'core-2']);
    expect(answers[1]!.text).toBe('core-2 PUT /v2/p/a/manifests/t 8');
  });
});
