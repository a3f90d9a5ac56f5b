import { loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

describe('adapter config', () => {
  it('applies the defaults and keeps the secret redacted', () => {
    const config = loadConfig(configSchema, { ADAPTER_SECRET: 'a-long-secret' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8083 });
    expect(config.copy).toEqual({ retries: 5, backoffMs: 2000, maxBackoffMs: 60_000, chunkSize: 10 * 1024 * 1024, blobConcurrency: 3 });
    expect(config.secret.reveal()).toBe('a-long-secret');
    expect(JSON.stringify(config)).not.toContain('a-long-secret');
  });

  it('requires the secret', () => {
    expect(() => loadConfig(configSchema, {})).toThrow(/ADAPTER_SECRET/);
  });
});
