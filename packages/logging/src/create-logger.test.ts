import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';
import { runWithRequestContext } from './request-context.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the service and the request id of the current request', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'registry-facade', stream });
    runWithRequestContext({ requestId: 'req-1' }, () => logger.info('blob upload committed', { digest: 'sha256:abc' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'blob upload committed',
      service: 'registry-facade',
      requestId: 'req-1',
      digest: 'sha256:abc',
    });
  });

  it('never writes credentials', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'core', stream });
    logger.warn('login failed', { headers: { authorization: 'Basic dXNlcjpwYXNz', host: 'x' }, password: 'hunter2' });
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    expect(text).not.toContain('dXNlcjpwYXNz');
    expect(text).not.toContain('hunter2');
    expect(lines[0]).toMatchObject({ headers: { authorization: '[redacted]', host: 'x' }, password: '[redacted]' });
  });

  it('puts errors under err with their stack', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ service: 'core', stream });
    logger.error('event delivery failed', { err: new Error('connection refused') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]?.err).toMatchObject({ name: 'Error', message: 'connection refused' });
    expect(String((lines[0]?.err as { stack: string }).stack)).toContain('connection refused');
  });
});
