import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

interface Index {
  manifests: (LayoutDescriptor & { annotations?: Record<string, string> })[];
}

function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(dir, 'blobs', algorithm!, hex!);
}

/** The descriptor index.json gives for a tag (`org.opencontainers.image.ref.name`). */
export async function layoutTag(dir: string, tag: string): Promise<LayoutDescriptor> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
  const found = index.manifests.find((entry) => entry.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`${dir} has no tag ${tag}`);
  return { mediaType: found.mediaType, digest: found.digest, size: found.size };
}

export function layoutHasBlob(dir: string, digest: string): boolean {
  return existsSync(blobPath(dir, digest));
}

export function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  return readFile(blobPath(dir, digest));
}
