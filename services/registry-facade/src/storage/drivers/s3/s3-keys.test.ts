import { describe, expect, it } from 'vitest';
import { InvalidPathError } from '../../storage-driver.js';
import { normaliseRootDirectory, S3Keys } from './s3-keys.js';
import { partRanges } from './s3-reader.js';

describe('S3 key layout', () => {
  it('puts paths under the root prefix, and segments next to their file', () => {
    const keys = new S3Keys('/wharf/registry/');
    expect(keys.key('/blobs/sha256/ab/abcd/data')).toBe('wharf/registry/blobs/sha256/ab/abcd/data');
    expect(keys.dirPrefix('/uploads')).toBe('wharf/registry/uploads/');
    expect(keys.dirPrefix('/')).toBe('wharf/registry/');
    expect(keys.segmentKey('/uploads/u/data', 8 * 1024 * 1024)).toBe('wharf/registry/uploads/u/data.segments/0000000008388608');
    const bare = new S3Keys('');
    expect(bare.key('/a/data')).toBe('a/data');
    expect(bare.dirPrefix('/')).toBe('');
  });

  it('sorts segment keys in offset order', () => {
    const keys = new S3Keys();
    const offsets = [0, 9, 10, 99_999, 100_000, 2 ** 40];
    const sorted = offsets.map((offset) => keys.segmentKey('/f', offset)).sort();
    expect(sorted).toEqual(offsets.map((offset) => keys.segmentKey('/f', offset)));
  });

  it('recognises only its own segment names', () => {
    const keys = new S3Keys('r');
    const prefix = keys.segmentsPrefix('/f');
    expect(keys.isSegmentKey(prefix, keys.segmentKey('/f', 42))).toBe(true);
    expect(keys.isSegmentKey(prefix, `${prefix}42`)).toBe(false);
    expect(keys.isSegmentKey(prefix, `${prefix}0000000000000042/x`)).toBe(false);
  });

  it('maps listed keys and prefixes to children, a segments prefix to its file', () => {
    const keys = new S3Keys('r');
    const prefix = keys.dirPrefix('/d');
    expect(keys.childPath('/d', prefix, 'r/d/file')).toBe('/d/file');
    expect(keys.childPath('/d', prefix, 'r/d/sub/')).toBe('/d/sub');
    expect(keys.childPath('/d', prefix, 'r/d/data.segments/')).toBe('/d/data');
    expect(keys.childPath('/d', prefix, 'r/d/')).toBeUndefined();
    expect(keys.childPath('/', keys.dirPrefix('/'), 'r/blobs/')).toBe('/blobs');
  });

  it('refuses paths that would collide with segment names', () => {
    const keys = new S3Keys();
    expect(() => keys.key('/a/data.segments/0000000000000000')).toThrow(InvalidPathError);
    expect(() => keys.key('/a.segments')).toThrow(InvalidPathError);
  });

  it('accepts only safe root directories', () => {
    expect(normaliseRootDirectory('//a/b//')).toBe('a/b');
    expect(normaliseRootDirectory('')).toBe('');
    expect(() => normaliseRootDirectory('a b')).toThrow();
    expect(() => normaliseRootDirectory('a//b')).toThrow();
  });
});

describe('partRanges: which bytes of which segment a read needs', () => {
  const at = new Date(0);
  const parts = [10, 0, 5, 20].map((size, i) => ({ key: `s${i}`, size, lastModified: at }));

  it('cuts a read spanning segment boundaries into per-segment ranges', () => {
    expect(partRanges(parts, 8, 10).map(({ part, range }) => [part.key, range.start, range.end])).toEqual([
      ['s0', 8, 9],
      ['s2', 0, 4],
      ['s3', 0, 2],
    ]);
  });

  it('reads within one segment, and nothing past the end', () => {
    expect(partRanges(parts, 10, 1).map(({ part, range }) => [part.key, range.start, range.end])).toEqual([['s2', 0, 0]]);
    expect(partRanges(parts, 30, 100).map(({ part, range }) => [part.key, range.start, range.end])).toEqual([['s3', 15, 19]]);
    expect(partRanges(parts, 35, 10)).toEqual([]);
  });
});
