import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';

/**
 * Checks a service's `examples/*.env` and `examples/*.yaml` against its configuration
 * schema, so that the examples in the repository always start the service.
 */
export function describeExampleConfigs(dir: string, schema: z.ZodType): void {
  describe('example configurations', () => {
    const files = readdirSync(dir);

    it('exist', () => {
      expect(files.length).toBeGreaterThan(0);
    });

    it.each(files.filter((f) => f.endsWith('.env')))('%s validates against the schema', (file) => {
      expect(() => loadConfig(schema, parseEnv(readFileSync(join(dir, file), 'utf8')))).not.toThrow();
    });

    it.each(files.filter((f) => f.endsWith('.yaml')))('%s validates against the schema', (file) => {
      expect(() => loadConfig(schema, { CONFIG_FILE: join(dir, file) })).not.toThrow();
    });
  });
}
