import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { createLogger, type Logger } from '@wharf/logging';
import type { JobLogStore } from '../jobs/ports.js';

export interface JobLog {
  /** The job's own winston logger, opened on first use (most runs of small jobs never need one). */
  readonly logger: Logger;
  /** One line from the worker itself (start, end), appended without a logger. */
  note(message: string, fields?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** One log file per job (`<dir>/<jobId>.log`), written while the job runs and readable at any time. */
export class FileJobLogs implements JobLogStore {
  readonly #dir: string;
  readonly #level: 'error' | 'warn' | 'info' | 'debug';

  constructor(deps: { dir: string; level?: 'error' | 'warn' | 'info' | 'debug' }) {
    this.#dir = deps.dir;
    this.#level = deps.level ?? 'info';
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  fileOf(jobId: string): string {
    return join(this.#dir, `${jobId.replace(/[^A-Za-z0-9@._-]/g, '_')}.log`);
  }

  open(jobId: string): JobLog {
    const file = this.fileOf(jobId);
    let opened: { logger: Logger; stream: NodeJS.WritableStream & { on: typeof createWriteStream.prototype.on } } | undefined;
    const level = this.#level;
    return {
      get logger(): Logger {
        if (!opened) {
          const stream = createWriteStream(file, { flags: 'a' });
          stream.on('error', () => undefined);
          opened = { logger: createLogger({ service: 'jobservice', level, format: 'pretty', stream }).child({ jobId }), stream };
        }
        return opened.logger;
      },
      note: async (message, fields = {}) => {
        const line = `${new Date().toISOString()} info [jobservice] ${message} ${JSON.stringify({ jobId, ...fields })}\n`;
        await appendFile(file, line).catch(() => undefined);
      },
      close: async () => {
        if (!opened) return;
        const { logger, stream } = opened;
        const finished = Promise.race([once(stream, 'finish'), once(stream, 'error')]).catch(() => undefined);
        logger.close();
        stream.end();
        await finished;
      },
    };
  }

  async read(jobId: string): Promise<string | undefined> {
    try {
      return await readFile(this.fileOf(jobId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Deletes logs last written longer than `maxAgeMs` ago; returns how many. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (!name.endsWith('.log')) continue;
      const file = join(this.#dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await unlink(file).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }
}
