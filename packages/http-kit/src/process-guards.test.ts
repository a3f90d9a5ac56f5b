import { PassThrough } from 'node:stream';
import { createLogger } from '@wharf/logging';
import { describe, expect, it } from 'vitest';
import { installProcessGuards, isOperationalError } from './process-guards.js';

const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('isOperationalError', () => {
  it.each([
    ['a refused connection', systemError('ECONNREFUSED')],
    ['a reset connection', systemError('ECONNRESET')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['Postgres shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['Redis away (ioredis gave up)', Object.assign(new Error('Reached the max retries per request limit (which is 3).'), { name: 'MaxRetriesPerRequestError' })],
    ['a Redis command timing out', new Error('Command timed out')],
    ['a timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })],
    ['a fetch failure caused by a refused connection', new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') })],
  ])('counts %s as operational', (_case, error) => {
    expect(isOperationalError(error)).toBe(true);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of null (reading 'remoteAddress')")],
    ['a RangeError', new RangeError('Invalid array length')],
    ['a plain error', new Error('invariant broken')],
    ['a thrown string', 'oops'],
    ['undefined', undefined],
  ])('counts %s as a bug', (_case, error) => {
    expect(isOperationalError(error)).toBe(false);
  });
});

describe('installProcessGuards', () => {
  const capture = () => {
    const stream = new PassThrough();
    const lines: { level: string; message: string }[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: string; message: string })));
    return { logger: createLogger({ service: 'test', stream }), lines };
  };

  it('logs a connection failure nothing handled and keeps the process', async () => {
    const { logger, lines } = capture();
    const exits: number[] = [];
    const uninstall = installProcessGuards({ logger, exit: (code) => exits.push(code) });
    try {
      process.emit('uncaughtException', systemError('ECONNRESET'));
      process.emit('unhandledRejection', new Error('Connection terminated unexpectedly'), Promise.resolve());
      await new Promise((resolve) => setTimeout(resolve, 150));
    } finally {
      uninstall();
    }
    expect(exits).toEqual([]);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(2);
  });

  it('logs a bug with its stack and exits with 70 for the supervisor to restart the service', async () => {
    const { logger, lines } = capture();
    const exits: number[] = [];
    const uninstall = installProcessGuards({ logger, exit: (code) => exits.push(code) });
    try {
      process.emit('uncaughtException', new TypeError("Cannot read properties of null (reading 'remoteAddress')"));
      await new Promise((resolve) => setTimeout(resolve, 150));
    } finally {
      uninstall();
    }
    expect(exits).toEqual([70]);
    expect(lines.find((line) => line.level === 'error')?.message).toBe('unhandled error, exiting');
  });
});
