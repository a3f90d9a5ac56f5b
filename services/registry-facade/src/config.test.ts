import { ConfigError, loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

describe('registry-facade configuration', () => {
  it('works with no settings at all, for one machine', () => {
    const config = loadConfig(configSchema, {});
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 5000 });
    expect(config.storage).toEqual({ driver: 'filesystem', root: './data/registry' });
    expect(config.auth).toEqual({ mode: 'none' });
    expect(config.manifestMaxSize).toBe(4 * 1024 * 1024);
    expect(config.uploads.ttlMs).toBe(24 * 3600 * 1000);
    expect(config.notifications).toBeUndefined();
  });

  it('needs a realm and exactly one key source in token mode, naming the variables', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(configSchema, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.variable);
      }
    };
    expect(problems({ REGISTRY_AUTH_MODE: 'token' })).toEqual(['REGISTRY_AUTH_TOKEN_REALM', 'REGISTRY_AUTH_TOKEN_JWKS_URL']);
    expect(problems({ REGISTRY_AUTH_MODE: 'token', REGISTRY_AUTH_TOKEN_REALM: 'https://h/service/token', REGISTRY_AUTH_TOKEN_JWKS_URL: 'http://core/jwks' })).toEqual([]);
    expect(problems({ REGISTRY_NOTIFICATIONS_URL: 'http://core/service/notifications' })).toEqual(['REGISTRY_NOTIFICATIONS_SECRET']);
    expect(problems({ REGISTRY_HTTP_PORT: 'http' })).toEqual(['REGISTRY_HTTP_PORT']);
  });

  it('reads token mode into a typed key source', () => {
    const config = loadConfig(configSchema, {
      REGISTRY_AUTH_MODE: 'token',
      REGISTRY_AUTH_TOKEN_REALM: 'https://wharf.example.com/service/token',
      REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE: '/etc/wharf/token.pem',
    });
    expect(config.auth).toEqual({
      mode: 'token',
      realm: 'https://wharf.example.com/service/token',
      service: 'harbor-registry',
      issuer: 'harbor-token-issuer',
      keys: { source: 'file', publicKeyFile: '/etc/wharf/token.pem' },
    });
  });
});
