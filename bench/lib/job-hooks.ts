import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';

/** A status hook receiver that notes when each job's Success hook arrived (performance.now()). */
export class SuccessHookReceiver {
  readonly success = new Map<string, number>();
  hooks = 0;
  #server: Server | undefined;
  #waiters: { count: number; resolve: () => void }[] = [];

  async start(port: number): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.hooks++;
        const hook = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { job_id: string; status: string };
        if (hook.status === 'Success' && !this.success.has(hook.job_id)) {
          this.success.set(hook.job_id, performance.now());
          this.#waiters = this.#waiters.filter((w) => (this.success.size >= w.count ? (w.resolve(), false) : true));
        }
        res.writeHead(200).end();
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}/service/notifications/tasks/1`;
  }

  /** Resolves once `count` Success hooks arrived in all. */
  waitFor(count: number): Promise<void> {
    if (this.success.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
