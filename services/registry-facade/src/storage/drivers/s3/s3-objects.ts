import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** One stored object, as HEAD or a listing describes it. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** An inclusive byte range, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

const DELETE_BATCH = 1000;

interface ServiceError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(error: unknown): number | undefined {
  return (error as ServiceError | undefined)?.$metadata?.httpStatusCode;
}

function code(error: unknown): string | undefined {
  const e = error as ServiceError | undefined;
  return e?.Code ?? e?.name;
}

/** A missing key (not a missing bucket, which is a configuration error). */
export function isNoSuchKey(error: unknown): boolean {
  return status(error) === 404 && code(error) !== 'NoSuchBucket';
}

export function isInvalidRange(error: unknown): boolean {
  return status(error) === 416 || code(error) === 'InvalidRange';
}

/** The store does not implement the operation (s3rver and some gateways for UploadPartCopy). */
export function isNotImplemented(error: unknown): boolean {
  return status(error) === 501 || code(error) === 'NotImplemented';
}

/** The few object operations the driver is built from, on one bucket. */
export class S3Objects {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(deps: { client: S3Client; bucket: string }) {
    this.client = deps.client;
    this.bucket = deps.bucket;
  }

  /** The object at `key`, or undefined. */
  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  /** Every object whose key starts with `prefix`, in key order. */
  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of out.Contents ?? []) {
        if (item.Key !== undefined) objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** One level below `prefix`: the keys there and the common prefixes (ending in `/`). */
  async listLevel(prefix: string): Promise<{ keys: string[]; prefixes: string[] }> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const item of out.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      for (const item of out.CommonPrefixes ?? []) if (item.Prefix !== undefined) prefixes.push(item.Prefix);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  }

  /**
   * The object's bytes (from `range.start` to `range.end`, or to the end), or undefined when
   * there is no such key. A start past the end is the store's InvalidRange error.
   */
  async get(key: string, range?: { start: number; end?: number }): Promise<{ body: Readable; length: number } | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
      );
      return { body: out.Body as Readable, length: out.ContentLength ?? 0 };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }));
  }

  /** Server-side copy of one object of at most 5 GiB; atomic for readers of `destination`. */
  async copy(source: string, destination: string): Promise<void> {
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: destination, CopySource: this.copySource(source) }));
  }

  copySource(key: string): string {
    return encodeURI(`${this.bucket}/${key}`);
  }

  /** Deletes the keys, 1000 per request; fails when the store refuses any of them. */
  async deleteAll(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const refused = out.Errors ?? [];
      if (refused.length > 0) {
        const first = refused[0]!;
        throw new Error(`the store refused to delete ${refused.length} objects, e.g. ${first.Key ?? '?'}: ${first.Code ?? ''} ${first.Message ?? ''}`);
      }
    }
  }
}
