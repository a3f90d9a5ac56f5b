import { ConfigError, isSecret, loadConfig } from '@wharf/config';
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

  it('needs a bucket for S3 storage, and both static keys or neither, naming the variables', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(configSchema, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.variable);
      }
    };
    expect(problems({ REGISTRY_STORAGE_DRIVER: 's3' })).toEqual(['REGISTRY_STORAGE_S3_BUCKET']);
    expect(problems({ REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_ACCESS_KEY: 'AKIA' })).toEqual([
      'REGISTRY_STORAGE_S3_SECRET_KEY',
    ]);
    expect(problems({ REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_SECRET_KEY: 'x' })).toEqual([
      'REGISTRY_STORAGE_S3_ACCESS_KEY',
    ]);
    expect(problems({ REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_ROOT_DIRECTORY: 'a/../b' })).toEqual([
      'REGISTRY_STORAGE_S3_ROOT_DIRECTORY',
    ]);
    expect(problems({ REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b', REGISTRY_STORAGE_S3_ENDPOINT: 'minio:9000' })).toEqual([
      'REGISTRY_STORAGE_S3_ENDPOINT',
    ]);
    // S3 settings do not matter to other drivers
    expect(problems({ REGISTRY_STORAGE_S3_ACCESS_KEY: 'AKIA' })).toEqual([]);
  });

  it('reads S3 storage with the default credential chain and sensible timeouts', () => {
    const config = loadConfig(configSchema, { REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'wharf-blobs' });
    expect(config.storage).toEqual({
      driver: 's3',
      bucket: 'wharf-blobs',
      region: 'us-east-1',
      endpoint: undefined,
      credentials: undefined,
      forcePathStyle: false,
      rootDirectory: '',
      connectTimeoutMs: 5_000,
      requestTimeoutMs: 120_000,
      socketTimeoutMs: 60_000,
      maxAttempts: 5,
    });
  });

  it('reads an S3-compatible store with static keys, keeping the secret out of any dump', () => {
    const config = loadConfig(configSchema, {
      REGISTRY_STORAGE_DRIVER: 's3',
      REGISTRY_STORAGE_S3_BUCKET: 'registry',
      REGISTRY_STORAGE_S3_REGION: 'eu-west-3',
      REGISTRY_STORAGE_S3_ENDPOINT: 'http://minio:9000',
      REGISTRY_STORAGE_S3_ACCESS_KEY: 'minioadmin',
      REGISTRY_STORAGE_S3_SECRET_KEY: 'very-secret-key',
      REGISTRY_STORAGE_S3_FORCE_PATH_STYLE: 'true',
      REGISTRY_STORAGE_S3_ROOT_DIRECTORY: '/wharf/registry/',
      REGISTRY_STORAGE_S3_REQUEST_TIMEOUT: '30s',
      REGISTRY_STORAGE_S3_MAX_ATTEMPTS: '3',
    });
    expect(config.storage).toMatchObject({
      driver: 's3',
      bucket: 'registry',
      region: 'eu-west-3',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      rootDirectory: 'wharf/registry',
      requestTimeoutMs: 30_000,
      maxAttempts: 3,
    });
    if (config.storage.driver !== 's3') throw new Error('expected s3 storage');
    expect(config.storage.credentials?.accessKeyId).toBe('minioadmin');
    expect(isSecret(config.storage.credentials?.secretAccessKey)).toBe(true);
    expect(config.storage.credentials?.secretAccessKey.reveal()).toBe('very-secret-key');
    expect(JSON.stringify(config)).not.toContain('very-secret-key');
  });
});
