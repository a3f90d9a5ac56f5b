import { Router, type Request, type Response } from 'express';

/** One dependency the service needs to serve traffic (a pool, a driver, a broker). */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface HealthOptions {
  checks: readonly ReadinessCheck[];
  /** Per-check deadline. */
  timeoutMs?: number;
  /** Set while shutting down, so that load balancers stop sending traffic. */
  isShuttingDown?: () => boolean;
}

/** `GET /healthz` (the process is alive) and `GET /readyz` (every dependency answers). */
export function healthRoutes(options: HealthOptions): Router {
  const router = Router();
  const timeoutMs = options.timeoutMs ?? 2000;

  router.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req: Request, res: Response) => {
    if (options.isShuttingDown?.()) {
      res.status(503).json({ status: 'shutting_down', checks: {} });
      return;
    }
    const results = await Promise.all(
      options.checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, { status: 'ok' }] as const;
        } catch (error) {
          return [name, { status: 'down', error: (error as Error).message }] as const;
        }
      }),
    );
    const healthy = results.every(([, result]) => result.status === 'ok');
    const checks = Object.fromEntries(results) as Record<string, { status: string; error?: string }>;
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unavailable', checks });
  });

  return router;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
