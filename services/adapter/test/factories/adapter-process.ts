import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServiceProcess, type ServiceProcess } from '@wharf/launcher';
import { freePort } from '@wharf/testing';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

export interface AdapterUnderTest {
  url: string;
  secret: string;
  pid: number;
  logFile: string;
  logs(): string;
  /** POSTs JSON with the secret. */
  post(path: string, body: unknown, init?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response>;
  stop(): Promise<void>;
}

/** The built adapter service (dist/main.js) as a real process. */
export async function startAdapter(dir: string, env: Record<string, string> = {}): Promise<AdapterUnderTest> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = randomBytes(16).toString('hex');
  const logFile = join(dir, 'adapter.log');
  const service: ServiceProcess = await startServiceProcess({
    name: 'adapter',
    entry: ENTRY,
    readyUrl: `${url}/readyz`,
    logFile,
    env: { PATH: process.env.PATH, ADAPTER_HTTP_PORT: String(port), ADAPTER_SECRET: secret, LOG_LEVEL: 'debug', ...env },
  });
  return {
    url,
    secret,
    pid: service.pid,
    logFile,
    logs: () => readFileSync(logFile, 'utf8'),
    post: (path, body, init = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Harbor-Secret ${secret}`, ...init.headers },
        body: JSON.stringify(body),
        signal: init.signal,
      }),
    stop: () => service.stop(10_000),
  };
}
