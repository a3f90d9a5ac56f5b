import type { Logger } from '@wharf/logging';
import { Histogram, type Registry } from 'prom-client';
import { InvalidPathError, type FileWriter, type StorageDriver } from './storage-driver.js';

/** `/` followed by segments of `[A-Za-z0-9._-]`, none of them `.` or `..`. */
const PATH = /^(?:\/[A-Za-z0-9._-]+)+$/;

export function isValidStoragePath(path: string): boolean {
  return typeof path === 'string' && path.length <= 1024 && PATH.test(path) && !path.split('/').some((s) => s === '.' || s === '..');
}

export interface BaseDriverOptions {
  logger: Logger;
  metrics?: Registry;
}

/**
 * Wraps any driver with what every driver needs and none should repeat: one path check
 * (no input can escape the storage root), per-operation latency metrics, and a log line
 * when an operation fails for a reason other than a missing path.
 */
export function withBaseDriver(driver: StorageDriver, options: BaseDriverOptions): StorageDriver {
  const histogram = options.metrics
    ? new Histogram({
        name: 'registry_storage_operation_seconds',
        help: 'Storage driver operation latency in seconds',
        labelNames: ['driver', 'operation', 'outcome'] as const,
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        registers: [options.metrics],
      })
    : undefined;
  const logger = options.logger.child({ component: 'storage', driver: driver.name });

  async function run<T>(operation: string, paths: string[], fn: () => Promise<T>): Promise<T> {
    for (const path of paths) if (!isValidStoragePath(path)) throw new InvalidPathError(path);
    const end = histogram?.startTimer({ driver: driver.name, operation });
    try {
      const result = await fn();
      end?.({ outcome: 'ok' });
      return result;
    } catch (error) {
      end?.({ outcome: 'error' });
      if ((error as Error).name !== 'PathNotFoundError') logger.warn('storage operation failed', { operation, paths, err: error });
      throw error;
    }
  }

  const wrapped: StorageDriver = {
    name: driver.name,
    stat: (path) => run('stat', [path], () => driver.stat(path)),
    getContent: (path) => run('get_content', [path], () => driver.getContent(path)),
    putContent: (path, content) => run('put_content', [path], () => driver.putContent(path, content)),
    reader: (path, range) => run('reader', [path], () => driver.reader(path, range)),
    writer: (path, opts) => run('writer', [path], async (): Promise<FileWriter> => driver.writer(path, opts)),
    list: (path) => run('list', [path], () => driver.list(path)),
    move: (source, destination) => run('move', [source, destination], () => driver.move(source, destination)),
    delete: (path) => run('delete', [path], () => driver.delete(path)),
  };
  if (driver.close) {
    const close = driver.close.bind(driver);
    wrapped.close = () => close();
  }
  if (driver.redirectUrl) {
    const redirect = driver.redirectUrl.bind(driver);
    wrapped.redirectUrl = (path, method) => run('redirect_url', [path], () => redirect(path, method));
  }
  return wrapped;
}
