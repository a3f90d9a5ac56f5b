import { createTestImage } from '@wharf/testing';
import type { TestCore } from './test-core.js';

/** Pushes a new image to registry-facade's fake and projects it, as a push through the /v2 gate does; returns its digest. */
export async function pushImage(core: TestCore, repository: string, tag: string): Promise<string> {
  const image = createTestImage({ layers: 1 });
  core.registry.putBlob(image.config.bytes);
  const digest = await core.registry.putManifest(repository, tag, { mediaType: image.manifest.mediaType, body: image.manifest.bytes });
  await core.sync.sync({ repository, tag });
  return digest;
}
