import { InvalidPathError } from '../../storage-driver.js';

/**
 * Where a storage path lives in the bucket. A path `/a/b/data` is the key `<root>/a/b/data`;
 * a file written in several `write()` calls is instead a set of segment objects
 * `<root>/a/b/data.segments/<offset>`, the offset zero-padded so that keys sort in byte
 * order. A path component ending in `.segments` is therefore reserved.
 */
export const SEGMENTS_SUFFIX = '.segments';
const OFFSET_DIGITS = 16;
const SEGMENT_NAME = /^\d{16}$/;

/** `/wharf/registry/` → `wharf/registry`; '' for the bucket's top. */
export function normaliseRootDirectory(root: string): string {
  const trimmed = root.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '' && !/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(trimmed)) {
    throw new Error(`invalid S3 root directory: ${JSON.stringify(root)}`);
  }
  return trimmed;
}

export class S3Keys {
  readonly root: string;

  constructor(rootDirectory = '') {
    this.root = normaliseRootDirectory(rootDirectory);
  }

  /** The object key of a file path. */
  key(path: string): string {
    if (path === '/' || path.split('/').some((part) => part.endsWith(SEGMENTS_SUFFIX))) throw new InvalidPathError(path);
    return this.root ? `${this.root}${path}` : path.slice(1);
  }

  /** The prefix every key below the directory `path` starts with. */
  dirPrefix(path: string): string {
    if (path === '/') return this.root ? `${this.root}/` : '';
    return `${this.key(path)}/`;
  }

  segmentsPrefix(path: string): string {
    return `${this.key(path)}${SEGMENTS_SUFFIX}/`;
  }

  segmentKey(path: string, offset: number): string {
    return `${this.segmentsPrefix(path)}${String(offset).padStart(OFFSET_DIGITS, '0')}`;
  }

  /** Whether a key listed under `segmentsPrefix` is one of our segments. */
  isSegmentKey(prefix: string, key: string): boolean {
    return key.startsWith(prefix) && SEGMENT_NAME.test(key.slice(prefix.length));
  }

  /**
   * The child of `dir` that a listed key or common prefix under `dirPrefix(dir)` stands
   * for: `x/data` and `x/data.segments/` are both the file `<dir>/data`; `x/sub/` is the
   * directory `<dir>/sub`. Undefined for what is not a child (the prefix itself).
   */
  childPath(dir: string, prefix: string, keyOrPrefix: string): string | undefined {
    let name = keyOrPrefix.slice(prefix.length).replace(/\/$/, '');
    if (keyOrPrefix.endsWith('/') && name.endsWith(SEGMENTS_SUFFIX)) name = name.slice(0, -SEGMENTS_SUFFIX.length);
    if (!name || name.includes('/')) return undefined;
    return `${dir === '/' ? '' : dir}/${name}`;
  }
}
