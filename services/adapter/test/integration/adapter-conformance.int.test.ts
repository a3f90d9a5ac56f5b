import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerRegistryAdapter } from '../../src/adapters/docker-registry/docker-registry.adapter.js';
import { describeAdapter } from '../../src/adapters/testing/adapter-conformance.js';
import { startDistribution } from '../factories/registries.js';

const deps = { requestTimeoutMs: 10_000, idleTimeoutMs: 10_000 };

for (const kind of ['token', 'basic'] as const) {
  describeAdapter(`docker-registry (${kind} auth)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-adapter-conformance-'));
    const registry = await startDistribution(dir, { kind });
    const adapter = new DockerRegistryAdapter(
      { type: 'docker-registry', url: registry.url, credential: { type: 'basic', access_key: registry.username, access_secret: registry.password } },
      deps,
    );
    return {
      adapter,
      namespace: `conformance-${randomBytes(3).toString('hex')}`,
      cleanup: async () => {
        await registry.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}
