import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { isNotImplemented, type ByteRange, type S3Objects, type StoredObject } from './s3-objects.js';
import { readParts } from './s3-reader.js';
import { abort, MAX_PARTS, MIN_PART_SIZE, uploadObject } from './s3-upload.js';

/** The largest object CopyObject copies, and the largest range one UploadPartCopy copies. */
export const MAX_COPY_SIZE = 5 * 1024 * 1024 * 1024;

export type CopyPlan =
  /** One CopyObject. */
  | { kind: 'copy'; source: StoredObject }
  /** A multipart upload whose parts are server-side copies (UploadPartCopy) of these ranges. */
  | { kind: 'part-copy'; parts: { source: StoredObject; range: ByteRange }[] }
  /** Read every part and upload the bytes again (a multipart upload, or one PutObject). */
  | { kind: 'stream'; size: number };

export interface PlanOptions {
  /** Whether the store may be asked for UploadPartCopy. */
  partCopy: boolean;
  minPartSize?: number;
  maxCopySize?: number;
}

/**
 * How to make one object out of `parts` (in order), copying on the server wherever S3's
 * rules allow it: a single part of at most 5 GiB is one CopyObject; several parts, or one
 * larger part, are a multipart upload of UploadPartCopy ranges when every part but the last
 * is at least 5 MiB (a part larger than 5 GiB is copied in several ranges); anything else
 * is streamed through the driver.
 */
export function planCopy(parts: readonly StoredObject[], options: PlanOptions): CopyPlan {
  if (parts.length === 0) throw new Error('nothing to copy');
  const minPart = options.minPartSize ?? MIN_PART_SIZE;
  const maxCopy = options.maxCopySize ?? MAX_COPY_SIZE;
  const filled = parts.filter((part) => part.size > 0);
  const size = filled.reduce((total, part) => total + part.size, 0);
  if (filled.length <= 1) {
    const only = filled[0] ?? parts[0]!;
    if (only.size <= maxCopy) return { kind: 'copy', source: only };
  }
  if (options.partCopy && filled.slice(0, -1).every((part) => part.size >= minPart)) {
    const ranges: { source: StoredObject; range: ByteRange }[] = [];
    for (const part of filled) {
      const pieces = Math.ceil(part.size / maxCopy);
      const piece = Math.ceil(part.size / pieces);
      for (let start = 0; start < part.size; start += piece) {
        ranges.push({ source: part, range: { start, end: Math.min(part.size, start + piece) - 1 } });
      }
    }
    if (ranges.length <= MAX_PARTS) return { kind: 'part-copy', parts: ranges };
  }
  return { kind: 'stream', size };
}

export interface ComposeOptions {
  partSize: number;
  /** Shared by the driver: turned off the first time the store answers NotImplemented. */
  partCopy: { enabled: boolean };
}

/**
 * Writes the concatenation of `parts` to `destination` as one object. Every path ends in
 * one atomic step (CopyObject, CompleteMultipartUpload or PutObject), so a reader of
 * `destination` sees the old object or the whole new one, never a part of it.
 */
export async function composeInto(objects: S3Objects, destination: string, parts: readonly StoredObject[], options: ComposeOptions): Promise<void> {
  const plan = planCopy(parts, { partCopy: options.partCopy.enabled });
  if (plan.kind === 'copy') {
    await objects.copy(plan.source.key, destination);
    return;
  }
  if (plan.kind === 'part-copy') {
    try {
      await copyParts(objects, destination, plan.parts);
      return;
    } catch (error) {
      if (!isNotImplemented(error)) throw error;
      options.partCopy.enabled = false;
    }
  }
  const size = parts.reduce((total, part) => total + part.size, 0);
  const partSize = Math.max(options.partSize, Math.ceil(size / MAX_PARTS));
  const result = await uploadObject(objects, destination, readParts(objects, parts, 0, size), { partSize, keepPartial: false });
  if (result.sourceError) throw result.sourceError.error;
  if (result.bytes !== size) throw new Error(`copied ${result.bytes} of ${size} bytes to ${destination}`);
}

async function copyParts(objects: S3Objects, destination: string, ranges: readonly { source: StoredObject; range: ByteRange }[]): Promise<void> {
  const { client, bucket } = objects;
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: destination }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('the store returned no multipart upload id');
  try {
    const completed: CompletedPart[] = [];
    for (const [index, { source, range }] of ranges.entries()) {
      const PartNumber = index + 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: destination,
          UploadId: uploadId,
          PartNumber,
          CopySource: objects.copySource(source.key),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
        }),
      );
      completed.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: destination, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
  } catch (error) {
    await abort(objects, destination, uploadId);
    throw error;
  }
}
