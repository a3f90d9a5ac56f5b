import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeExampleConfigs } from '@wharf/testing/vitest';
import { configSchema } from './config.js';

describeExampleConfigs(join(dirname(fileURLToPath(import.meta.url)), '..', 'examples'), configSchema);
