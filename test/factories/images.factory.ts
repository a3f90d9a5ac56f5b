import { createTestImage, createTestIndex, writeOciLayout, type TestBlob, type TestImage } from '@wharf/testing';

/** What an OCI layout written by `writeImageLayout` holds, under the tags `single` and `multi`. */
export interface ImageLayout {
  dir: string;
  /** A three-layer OCI image, tagged `single`. */
  single: TestImage;
  /** A two-platform OCI index over `amd64` and `arm64`, tagged `multi`. */
  index: TestBlob;
  amd64: TestImage;
  arm64: TestImage;
}

/** Writes a fresh OCI layout (random layer content, so no run reuses another's blobs). */
export async function writeImageLayout(dir: string): Promise<ImageLayout> {
  const single = createTestImage({ layers: 3, layerSize: 256 * 1024 });
  const amd64 = createTestImage({ layers: 2, layerSize: 64 * 1024, platform: { os: 'linux', architecture: 'amd64' } });
  const arm64 = createTestImage({ layers: 2, layerSize: 64 * 1024, platform: { os: 'linux', architecture: 'arm64' } });
  const index = createTestIndex([amd64, arm64]);
  await writeOciLayout(dir, { images: [single, amd64, arm64], indexes: [index], tags: { single: single.manifest, multi: index } });
  return { dir, single, index, amd64, arm64 };
}
