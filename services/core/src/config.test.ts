import { ConfigError, loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const required = { WHARF_ADMIN_PASSWORD: 'Harbor12345', CORE_SECRET: 'a-secret-of-sixteen+', CORE_TOKEN_PRIVATE_KEY_FILE: '/etc/wharf/token.pem' };

describe('core configuration', () => {
  it('names every missing required variable', () => {
    try {
      loadConfig(configSchema, {});
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['CORE_SECRET', 'CORE_TOKEN_PRIVATE_KEY_FILE', 'WHARF_ADMIN_PASSWORD']);
    }
  });

  it("uses Harbor's defaults for the token service", () => {
    const config = loadConfig(configSchema, required);
    expect(config.token).toMatchObject({ issuer: 'harbor-token-issuer', service: 'harbor-registry', ttlSeconds: 1800 });
    expect(config.http.port).toBe(8081);
    expect(config.robotNamePrefix).toBe('robot$');
  });

  it('never prints the admin password or the secret', () => {
    const text = JSON.stringify(loadConfig(configSchema, required));
    expect(text).not.toContain('Harbor12345');
    expect(text).not.toContain('a-secret-of-sixteen+');
  });
});
