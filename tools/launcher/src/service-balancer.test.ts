import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceBalancer, type ServiceBalancer } from './service-balancer.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server answering its name (and the body length it received). */
function named(name: string): Server {
  return createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end(`${name} ${bytes}`));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function balancerOver(ports: number[], options: { waitForTargetMs?: number } = {}): Promise<ServiceBalancer> {
  const balancer = await startServiceBalancer({
    name: 'core',
    host: '127.0.0.1',
    port: await freePort(),
    targets: ports.map((port) => ({ host: '127.0.0.1', port, readyUrl: `http://127.0.0.1:${port}/readyz` })),
    checkIntervalMs: 100,
    ...options,
  });
  cleanups.push(() => balancer.close());
  return balancer;
}

/** A request on a connection of its own (so each one is balanced). */
async function ask(url: string, body?: string): Promise<string> {
  const answer = await fetch(url, { method: body ? 'POST' : 'GET', body, headers: { Connection: 'close' } });
  return answer.text();
}

describe('startServiceBalancer', () => {
  it('hands connections to the replicas in turn', async () => {
    const balancer = await balancerOver([await listen(named('a')), await listen(named('b'))]);
    const answers = [await ask(balancer.url), await ask(balancer.url), await ask(balancer.url), await ask(balancer.url)];
    expect(answers.sort()).toEqual(['a 0', 'a 0', 'b 0', 'b 0']);
  });

  it('makes a connection a replica refuses to another one, the request body intact', async () => {
    const balancer = await balancerOver([await freePort(), await listen(named('b'))]);
    for (let i = 0; i < 4; i++) expect(await ask(balancer.url, 'x'.repeat(100_000))).toBe('b 100000');
    expect(balancer.health()).toEqual([false, true]);
  });

  it('holds a connection while no replica can be reached, until one is back', async () => {
    const port = await freePort();
    const balancer = await balancerOver([port, await freePort()]);
    const answer = ask(balancer.url, 'job');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await listen(named('back'), port);
    expect(await answer).toBe('back 3');
  });
});
