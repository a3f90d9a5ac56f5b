import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { loadConfig } from '@wharf/config';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');

describe('example configurations', () => {
  const files = readdirSync(EXAMPLES);

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.filter((f) => f.endsWith('.env')))('%s validates against the schema', (file) => {
    expect(() => loadConfig(configSchema, parseEnv(readFileSync(join(EXAMPLES, file), 'utf8')))).not.toThrow();
  });

  it.each(files.filter((f) => f.endsWith('.yaml')))('%s validates against the schema', (file) => {
    const path = join(EXAMPLES, file);
    expect(() => loadConfig(configSchema, { CONFIG_FILE: path })).not.toThrow();
  });
});
