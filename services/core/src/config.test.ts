import { ConfigError, loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const required = { WHARF_ADMIN_PASSWORD: 'Harbor12345', CORE_SECRET: 'a-secret-of-sixteen+', CORE_TOKEN_PRIVATE_KEY_FILE: '/etc/wharf/token.pem', CORE_ENCRYPTION_KEY: 'an-encryption-key-of-32-characters!!' };

describe('core configuration', () => {
  it('names every missing required variable', () => {
    try {
      loadConfig(configSchema, {});
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['CORE_ENCRYPTION_KEY', 'CORE_SECRET', 'CORE_TOKEN_PRIVATE_KEY_FILE', 'WHARF_ADMIN_PASSWORD']);
    }
  });

  it("uses Harbor's defaults for the token service", () => {
    const config = loadConfig(configSchema, required);
    expect(config.token).toMatchObject({ issuer: 'harbor-token-issuer', service: 'harbor-registry', ttlSeconds: 1800 });
    expect(config.http.port).toBe(8081);
    expect(config.robotNamePrefix).toBe('robot$');
  });

  it('reaches jobservice and is reached by it at local defaults', () => {
    const config = loadConfig(configSchema, required);
    expect(config.jobservice).toEqual({ url: 'http://127.0.0.1:8082', timeoutMs: 10_000 });
    expect(config.internalUrl).toBe('http://127.0.0.1:8081');
    const set = loadConfig(configSchema, { ...required, CORE_JOBSERVICE_URL: 'http://jobservice:8082/', CORE_JOBSERVICE_TIMEOUT: '3s', CORE_INTERNAL_URL: 'http://core:8081/' });
    expect(set.jobservice).toEqual({ url: 'http://jobservice:8082', timeoutMs: 3000 });
    expect(set.internalUrl).toBe('http://core:8081');
  });

  it('reaches the adapter service and bounds concurrent replication executions', () => {
    const config = loadConfig(configSchema, required);
    expect(config.adapter).toEqual({ url: 'http://127.0.0.1:8083', timeoutMs: 60_000 });
    expect(config.replication).toEqual({ maxConcurrentExecutions: 4, outageWindowMs: 120_000, localRegistryUrl: 'http://127.0.0.1:8081', localBlobUrl: 'http://127.0.0.1:5000' });
    expect(config.taskCheck).toEqual({ intervalMs: 30_000, staleAfterMs: 60_000, maxResubmits: 3 });
    expect(config.registryEventRetentionMs).toBe(8 * 24 * 3600 * 1000);
    const set = loadConfig(configSchema, {
      ...required,
      CORE_LOCAL_REGISTRY_URL: 'http://proxy:8080/',
      CORE_LOCAL_REGISTRY_BLOB_URL: 'http://registry-facade:5000/',
      CORE_REPLICATION_MAX_CONCURRENT_EXECUTIONS: '2',
      CORE_REPLICATION_RETRY_WINDOW: '90s',
    });
    expect(set.replication).toEqual({ maxConcurrentExecutions: 2, outageWindowMs: 90_000, localRegistryUrl: 'http://proxy:8080', localBlobUrl: 'http://registry-facade:5000' });
  });

  it('refuses an encryption key shorter than 32 characters, naming it', () => {
    try {
      loadConfig(configSchema, { ...required, CORE_ENCRYPTION_KEY: 'too-short' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['CORE_ENCRYPTION_KEY']);
    }
  });

  it('never prints the admin password or the secret', () => {
    const text = JSON.stringify(loadConfig(configSchema, required));
    expect(text).not.toContain('Harbor12345');
    expect(text).not.toContain('a-secret-of-sixteen+');
    expect(text).not.toContain('an-encryption-key-of-32-characters!!');
  });
});
