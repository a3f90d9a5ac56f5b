import type { NextFunction, Request, Response } from 'express';
import { Router } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Counts every request by method, route label and status, with its duration. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  /** `GET /metrics` in the Prometheus text format. */
  routes: Router;
}

export interface MetricsOptions {
  service: string;
  /** The route label of a request; defaults to express's matched route or `unmatched`. */
  routeLabel?: (req: Request) => string;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const bytesIn = new Counter({
    name: 'http_request_body_bytes_total',
    help: 'Bytes received in request bodies',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });

  const routeLabel =
    options.routeLabel ?? ((req: Request) => (req.route as { path?: string } | undefined)?.path ?? 'unmatched');

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = duration.startTimer();
    // The socket is kept: when the response closes, the request may have let go of it already.
    const socket = req.socket as Request['socket'] | null;
    const startBytes = socket?.bytesRead ?? 0;
    res.once('close', () => {
      const route = routeLabel(req);
      end({ method: req.method, route, status: String(res.statusCode) });
      bytesIn.inc({ method: req.method, route }, Math.max(0, (socket?.bytesRead ?? startBytes) - startBytes));
    });
    next();
  };

  const routes = Router();
  routes.get('/metrics', async (_req: Request, res: Response) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });

  return { registry, middleware, routes };
}
