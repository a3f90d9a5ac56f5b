import { describe, expect, it } from 'vitest';
import { MAX_COPY_SIZE, planCopy } from './s3-compose.js';
import type { StoredObject } from './s3-objects.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const at = new Date(0);
const parts = (...sizes: number[]): StoredObject[] => sizes.map((size, i) => ({ key: `k${i}`, size, lastModified: at }));

describe('planCopy: how a move composes its source on S3', () => {
  it('copies a single object or segment with one CopyObject, empty ones included', () => {
    expect(planCopy(parts(10), { partCopy: true })).toEqual({ kind: 'copy', source: parts(10)[0] });
    expect(planCopy(parts(0), { partCopy: false })).toMatchObject({ kind: 'copy', source: { key: 'k0' } });
    expect(planCopy(parts(MAX_COPY_SIZE), { partCopy: false })).toMatchObject({ kind: 'copy' });
    // empty segments (a write that stored nothing) do not count
    expect(planCopy(parts(0, 300, 0), { partCopy: true })).toMatchObject({ kind: 'copy', source: { key: 'k1' } });
  });

  it('copies segments on the server when every one but the last is at least 5 MiB', () => {
    expect(planCopy(parts(5 * MiB, 8 * MiB, 10), { partCopy: true })).toEqual({
      kind: 'part-copy',
      parts: [
        { source: parts(5 * MiB)[0], range: { start: 0, end: 5 * MiB - 1 } },
        { source: { key: 'k1', size: 8 * MiB, lastModified: at }, range: { start: 0, end: 8 * MiB - 1 } },
        { source: { key: 'k2', size: 10, lastModified: at }, range: { start: 0, end: 9 } },
      ],
    });
  });

  it('streams segments when one before the last is under 5 MiB, or when UploadPartCopy is off', () => {
    expect(planCopy(parts(5 * MiB - 1, 8 * MiB), { partCopy: true })).toEqual({ kind: 'stream', size: 13 * MiB - 1 });
    expect(planCopy(parts(8 * MiB, 8 * MiB), { partCopy: false })).toEqual({ kind: 'stream', size: 16 * MiB });
  });

  it('copies an object over 5 GiB in ranges of at most 5 GiB, or streams it without UploadPartCopy', () => {
    const big = parts(12 * GiB);
    const plan = planCopy(big, { partCopy: true });
    expect(plan.kind).toBe('part-copy');
    if (plan.kind !== 'part-copy') return;
    expect(plan.parts.map((part) => part.range)).toEqual([
      { start: 0, end: 4 * GiB - 1 },
      { start: 4 * GiB, end: 8 * GiB - 1 },
      { start: 8 * GiB, end: 12 * GiB - 1 },
    ]);
    for (const part of plan.parts) expect(part.range.end - part.range.start + 1).toBeLessThanOrEqual(MAX_COPY_SIZE);
    expect(planCopy(big, { partCopy: false })).toEqual({ kind: 'stream', size: 12 * GiB });
  });

  it('splits large segments among others and numbers parts in order', () => {
    const plan = planCopy(parts(6 * MiB, 100, 7), { partCopy: true, minPartSize: 50, maxCopySize: 4 * MiB });
    expect(plan.kind).toBe('part-copy');
    if (plan.kind !== 'part-copy') return;
    expect(plan.parts.map((part) => [part.source.key, part.range.start, part.range.end])).toEqual([
      ['k0', 0, 3 * MiB - 1],
      ['k0', 3 * MiB, 6 * MiB - 1],
      ['k1', 0, 99],
      ['k2', 0, 6],
    ]);
  });

  it('streams when server-side copy would need more than 10,000 parts', () => {
    const many = parts(...Array.from({ length: 10_001 }, () => 5 * MiB));
    expect(planCopy(many, { partCopy: true }).kind).toBe('stream');
  });
});
