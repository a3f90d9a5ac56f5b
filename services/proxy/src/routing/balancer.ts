import { Agent, type ClientRequestArgs } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ServiceClient } from '@wharf/http-client';
import type { Logger } from '@wharf/logging';

/** One replica of an upstream. */
export interface UpstreamTarget {
  /** Its position in the balancer's list (an index into per-target tables). */
  readonly index: number;
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /** Passed its last health check and has not refused a connection since. */
  healthy: boolean;
}

export interface BalancerOptions {
  /** The upstream's name, for logs (`core`, `registry-facade`). */
  name: string;
  urls: readonly string[];
  logger: Logger;
  /** How often each target's `/readyz` is asked (with two or more targets); 0: never. */
  checkIntervalMs?: number;
  checkTimeoutMs?: number;
  /** The active check (default: `GET <url>/readyz` answers 200 within the timeout). */
  check?: (target: UpstreamTarget, timeoutMs: number) => Promise<void>;
}

async function readyz(target: UpstreamTarget, timeoutMs: number): Promise<void> {
  const response = await new ServiceClient({ service: target.url, baseUrl: target.url, timeoutMs, attempts: 1 }).request('GET', '/readyz');
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`readyz answered ${response.status}`);
}

/** Lost or refused connections (node:net and undici's codes). */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether an error (or its cause) is a connection that failed, rather than an answer. */
export function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_FAILURES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Round-robin over the healthy replicas of one upstream. `pick()` is O(1) and allocates
 * nothing: it walks a list of the healthy targets that is rebuilt only when a target's
 * health changes. Health is active (each target's `/readyz` every `checkIntervalMs`) and
 * passive (`markDown` on a refused connection, until the next check passes). When no target
 * is healthy every target is tried in turn, so that a check that is wrong for all of them
 * (a shared dependency restarting) never refuses traffic on its own.
 */
export class Balancer {
  readonly name: string;
  readonly targets: readonly UpstreamTarget[];
  #healthy: UpstreamTarget[];
  #cursor = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #check: (target: UpstreamTarget, timeoutMs: number) => Promise<void>;

  constructor(options: BalancerOptions) {
    if (options.urls.length === 0) throw new Error(`no address for ${options.name}`);
    this.name = options.name;
    this.targets = options.urls.map((raw, index) => {
      const url = new URL(raw);
      return { index, url: raw.replace(/\/+$/, ''), hostname: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), healthy: true };
    });
    this.#healthy = [...this.targets];
    this.#logger = options.logger;
    this.#intervalMs = options.checkIntervalMs ?? 1000;
    this.#timeoutMs = options.checkTimeoutMs ?? Math.max(500, Math.min(2000, this.#intervalMs));
    this.#check = options.check ?? readyz;
  }

  /** The next target, round-robin over the healthy ones (over all of them when none is). */
  pick(): UpstreamTarget {
    const list = this.#healthy.length > 0 ? this.#healthy : this.targets;
    let i = this.#cursor;
    if (i >= list.length) i = 0;
    this.#cursor = i + 1;
    return list[i]!;
  }

  /** A target other than those tried, healthy ones first; undefined when every target was tried. */
  another(tried: readonly UpstreamTarget[]): UpstreamTarget | undefined {
    const n = this.targets.length;
    const start = tried.at(-1)?.index ?? 0;
    let fallback: UpstreamTarget | undefined;
    for (let k = 1; k <= n; k++) {
      const target = this.targets[(start + k) % n]!;
      if (tried.includes(target)) continue;
      if (target.healthy) return target;
      fallback ??= target;
    }
    return fallback;
  }

  /** Passive ejection: the target refused a connection; it is skipped until a health check passes. */
  markDown(target: UpstreamTarget, reason: unknown): void {
    if (!target.healthy) return;
    target.healthy = false;
    this.#rebuild();
    this.#logger.warn('upstream replica ejected', { upstream: this.name, target: target.url, err: reason });
  }

  /** Starts the active checks (only with two or more targets: one has no other to send to). */
  start(): void {
    if (this.targets.length < 2 || this.#intervalMs <= 0 || this.#timer || this.#closed) return;
    const round = async (): Promise<void> => {
      await Promise.all(this.targets.map((target) => this.#checkOne(target)));
      if (!this.#closed) this.#timer = setTimeout(() => void round(), this.#intervalMs).unref();
    };
    void round();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #checkOne(target: UpstreamTarget): Promise<void> {
    try {
      await this.#check(target, this.#timeoutMs);
      if (!target.healthy) {
        target.healthy = true;
        this.#rebuild();
        this.#logger.info('upstream replica healthy again', { upstream: this.name, target: target.url });
      }
    } catch (error) {
      if (target.healthy) {
        target.healthy = false;
        this.#rebuild();
        this.#logger.warn('upstream replica failed its health check', { upstream: this.name, target: target.url, err: error });
      }
    }
  }

  #rebuild(): void {
    this.#healthy = this.targets.filter((target) => target.healthy);
  }
}

function connectTo(target: UpstreamTarget, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: target.port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect to ${target.url} timed out`), { code: 'ETIMEDOUT' })), timeoutMs);
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
 * The connections of one target's proxy. A new connection goes to its own target; when that
 * one cannot be reached (refused, unreachable, timed out) the target is ejected and the
 * connection is made to another replica instead. The request is handed its socket only once
 * connected, and writes nothing before (the proxy pipes the body on the request's `socket`
 * event), so this holds for any method: no byte reached a server that failed. A socket made
 * to another replica serves that one request and is not kept alive in this target's pool.
 */
export class FailoverAgent extends Agent {
  readonly #balancer: Balancer;
  readonly #home: UpstreamTarget;
  readonly #connectTimeoutMs: number;
  readonly #foreign = new WeakSet<Duplex>();

  constructor(balancer: Balancer, home: UpstreamTarget, options: { connectTimeoutMs?: number } = {}) {
    // As Node's global agent: keep-alive, most recently used socket first, idle sockets closed after 5 s.
    super({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });
    this.#balancer = balancer;
    this.#home = home;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    void this.#connect().then(
      (socket) => callback?.(null, socket),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  }

  override keepSocketAlive(socket: Duplex): void {
    if (this.#foreign.has(socket)) return false as unknown as void;
    return super.keepSocketAlive(socket);
  }

  async #connect(): Promise<Socket> {
    const tried: UpstreamTarget[] = [];
    let target: UpstreamTarget | undefined = this.#home;
    let lastError: unknown;
    while (target) {
      tried.push(target);
      try {
        const socket = await connectTo(target, this.#connectTimeoutMs);
        // The request attaches its own error handling a tick later; until then an error is not fatal.
        socket.on('error', () => undefined);
        if (target !== this.#home) this.#foreign.add(socket);
        return socket;
      } catch (error) {
        lastError = error;
        this.#balancer.markDown(target, error);
        target = this.#balancer.another(tried);
      }
    }
    throw lastError;
  }
}
