import { connect, createServer, type Server, type Socket } from 'node:net';

/** One replica behind a service's address. */
export interface BalancedTarget {
  host: string;
  port: number;
  /** Polled for health (200 = healthy). */
  readyUrl: string;
}

export interface ServiceBalancerOptions {
  name: string;
  host: string;
  /** The service's address: what the other services are given. */
  port: number;
  targets: readonly BalancedTarget[];
  /** How often each replica's readiness URL is asked. */
  checkIntervalMs?: number;
  /** How long a connection waits for a replica when none can be reached (then it is closed). */
  waitForTargetMs?: number;
  connectTimeoutMs?: number;
}

export interface ServiceBalancer {
  /** `http://host:port` */
  url: string;
  /** Which replicas are healthy now (in target order). */
  health(): boolean[];
  close(): Promise<void>;
}

interface TargetState extends BalancedTarget {
  healthy: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connectTo(target: BalancedTarget, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => socket.destroy(new Error('connect timed out')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * A service's one address in front of its replicas, as a Kubernetes Service or compose's
 * service name gives it: a TCP balancer on the service's port that hands each connection to
 * the next healthy replica (round-robin; health from each replica's `/readyz` every second,
 * and a replica that refuses a connection is skipped until its check passes). The client's
 * bytes are read only once a replica accepted the connection, so a refused connection is
 * made to another replica with nothing lost; while no replica can be reached, a connection
 * waits (up to `waitForTargetMs`) for one to come back. The bytes are piped, never parsed.
 */
export async function startServiceBalancer(options: ServiceBalancerOptions): Promise<ServiceBalancer> {
  const targets: TargetState[] = options.targets.map((target) => ({ ...target, healthy: true }));
  const checkIntervalMs = options.checkIntervalMs ?? 1000;
  const waitForTargetMs = options.waitForTargetMs ?? 15_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const sockets = new Set<Socket>();
  let cursor = 0;
  let closed = false;

  const pick = (tried: ReadonlySet<TargetState>): TargetState | undefined => {
    let fallback: TargetState | undefined;
    for (let k = 0; k < targets.length; k++) {
      const target = targets[(cursor + k) % targets.length]!;
      if (tried.has(target)) continue;
      if (target.healthy) {
        cursor = (cursor + k + 1) % targets.length;
        return target;
      }
      fallback ??= target;
    }
    return fallback;
  };

  const route = async (client: Socket): Promise<void> => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const deadline = Date.now() + waitForTargetMs;
    for (;;) {
      const tried = new Set<TargetState>();
      for (let target = pick(tried); target && !client.destroyed && !closed; target = pick(tried)) {
        tried.add(target);
        let upstream: Socket;
        try {
          upstream = await connectTo(target, connectTimeoutMs);
        } catch {
          target.healthy = false;
          continue;
        }
        if (client.destroyed || closed) {
          upstream.destroy();
          return;
        }
        sockets.add(upstream);
        upstream.on('close', (hadError) => {
          sockets.delete(upstream);
          if (hadError) client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.pipe(client);
        client.pipe(upstream);
        return;
      }
      if (client.destroyed || closed || Date.now() >= deadline) {
        client.destroy();
        return;
      }
      await sleep(250);
    }
  };

  const server: Server = createServer({ pauseOnConnect: true, noDelay: true, keepAlive: true }, (client) => void route(client));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<void> => {
    await Promise.all(
      targets.map(async (target) => {
        try {
          const response = await fetch(target.readyUrl, { signal: AbortSignal.timeout(Math.max(500, checkIntervalMs)) });
          await response.arrayBuffer();
          target.healthy = response.status === 200;
        } catch {
          target.healthy = false;
        }
      }),
    );
    if (!closed) timer = setTimeout(() => void check(), checkIntervalMs).unref();
  };
  timer = setTimeout(() => void check(), checkIntervalMs).unref();

  return {
    url: `http://${options.host}:${options.port}`,
    health: () => targets.map((target) => target.healthy),
    async close() {
      closed = true;
      clearTimeout(timer);
      const done = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await done;
    },
  };
}
