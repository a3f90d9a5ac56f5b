import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bool, byteSize, duration, port, secret } from './fragments.js';
import { ConfigError, loadConfig } from './load-config.js';

const schema = z
  .object({
    APP_PORT: port().default(5000),
    APP_TIMEOUT: duration().prefault('30s'),
    APP_MAX_BODY: byteSize().prefault('4mb'),
    APP_DEBUG: bool().default(false),
    APP_SECRET: secret(8),
  })
  .transform((env) => ({
    http: { port: env.APP_PORT, timeoutMs: env.APP_TIMEOUT, maxBody: env.APP_MAX_BODY },
    debug: env.APP_DEBUG,
    secret: env.APP_SECRET,
  }));

describe('loadConfig', () => {
  it('applies defaults from the schema and nests the result', () => {
    const config = loadConfig(schema, { APP_SECRET: 'abcdefgh' });
    expect(config.http).toEqual({ port: 5000, timeoutMs: 30_000, maxBody: 4 * 1024 * 1024 });
    expect(config.debug).toBe(false);
    expect(config.secret.reveal()).toBe('abcdefgh');
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig(schema, { APP_PORT: '70000', APP_TIMEOUT: 'soon', APP_SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['APP_PORT', 'APP_SECRET', 'APP_TIMEOUT']);
    expect((error as ConfigError).message).toContain('APP_PORT');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(schema, { APP_PORT: '', APP_SECRET: 'abcdefgh' }).http.port).toBe(5000);
  });

  it('reads a YAML file named by CONFIG_FILE and lets the environment win', () => {
    const files: Record<string, string> = { '/etc/app.yaml': 'APP_PORT: 6000\nAPP_DEBUG: true\nAPP_SECRET: from-file-123\n' };
    const config = loadConfig(
      schema,
      { CONFIG_FILE: '/etc/app.yaml', APP_PORT: '7000' },
      { readFile: (path) => files[path] ?? '' },
    );
    expect(config.http.port).toBe(7000);
    expect(config.debug).toBe(true);
    expect(config.secret.reveal()).toBe('from-file-123');
  });

  it('returns a frozen object', () => {
    const config = loadConfig(schema, { APP_SECRET: 'abcdefgh' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('never prints a secret', () => {
    const config = loadConfig(schema, { APP_SECRET: 'abcdefgh' });
    expect(JSON.stringify(config)).not.toContain('abcdefgh');
    expect(inspect(config)).not.toContain('abcdefgh');
    expect(String(config.secret)).toBe('[redacted]');
  });
});
