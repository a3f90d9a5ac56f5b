import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidOffsetError, PathNotFoundError, type FileInfo, type FileWriter, type StorageDriver } from '../../storage-driver.js';
import { createS3Client, type S3StorageConfig } from './s3-client.js';
import { composeInto } from './s3-compose.js';
import { S3Keys } from './s3-keys.js';
import { isInvalidRange, S3Objects, type StoredObject } from './s3-objects.js';
import { exactStream, readParts } from './s3-reader.js';
import { DEFAULT_PART_SIZE, MIN_PART_SIZE, uploadObject, type UploadResult } from './s3-upload.js';

export interface S3DriverOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix for everything the driver stores; '' for the bucket's top. */
  rootDirectory?: string;
  /** Size of multipart upload parts, at least 5 MiB (default 8 MiB). */
  partSize?: number;
  /**
   * Whether a move may compose segments with UploadPartCopy (server-side). Default true; it
   * turns itself off the first time the store answers NotImplemented.
   */
  multipartCopy?: boolean;
}

/** A file as stored: one object, or (once appended to) ordered segments. */
interface StoredFile {
  /** The plain object at the path's key, if any. */
  object: StoredObject | undefined;
  segments: StoredObject[];
  /** What the file's bytes are, in order: the segments when there are any, else the object. */
  parts: StoredObject[];
  size: number;
  modTime: Date;
}

function keysOf(file: StoredFile): string[] {
  return [...(file.object ? [file.object.key] : []), ...file.segments.map((segment) => segment.key)];
}

function newest(objects: readonly StoredObject[]): Date {
  return new Date(Math.max(...objects.map((object) => object.lastModified.getTime())));
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Stores files as objects in one bucket (AWS S3, MinIO, Ceph RGW). A file written by
 * `putContent` or `move` is one object. S3 objects cannot be appended to, so a file written
 * through `writer()` is a series of segment objects `<key>.segments/<offset>`, one per
 * `write()`, each complete on its own; stat, reader, move and delete treat them as one
 * file, and `move` composes them into one object at the destination. Invariant: when a
 * plain object and segments coexist (an append to a plain object was interrupted between
 * copying it to segment 0 and deleting it), the object equals the segments' content, and
 * the segments are the file.
 */
export class S3Driver implements StorageDriver {
  readonly name = 's3';
  readonly #client: S3Client;
  readonly #objects: S3Objects;
  readonly #keys: S3Keys;
  readonly #partSize: number;
  readonly #partCopy: { enabled: boolean };

  constructor(deps: S3DriverOptions) {
    this.#client = deps.client;
    this.#objects = new S3Objects({ client: deps.client, bucket: deps.bucket });
    this.#keys = new S3Keys(deps.rootDirectory);
    this.#partSize = deps.partSize ?? DEFAULT_PART_SIZE;
    if (this.#partSize < MIN_PART_SIZE) throw new Error(`S3 part size must be at least ${MIN_PART_SIZE} bytes`);
    this.#partCopy = { enabled: deps.multipartCopy ?? true };
  }

  async #file(path: string): Promise<StoredFile | undefined> {
    const prefix = this.#keys.segmentsPrefix(path);
    const [object, listed] = await Promise.all([this.#objects.head(this.#keys.key(path)), this.#objects.list(prefix)]);
    const segments = listed.filter((item) => this.#keys.isSegmentKey(prefix, item.key));
    const parts = segments.length > 0 ? segments : object ? [object] : [];
    if (parts.length === 0) return undefined;
    return { object, segments, parts, size: parts.reduce((total, part) => total + part.size, 0), modTime: newest(parts) };
  }

  async #deleteSegments(path: string): Promise<void> {
    const prefix = this.#keys.segmentsPrefix(path);
    const segments = await this.#objects.list(prefix);
    if (segments.length > 0) await this.#objects.deleteAll(segments.map((segment) => segment.key));
  }

  async stat(path: string): Promise<FileInfo> {
    const file = await this.#file(path);
    if (file) return { path, size: file.size, modTime: file.modTime, isDir: false };
    const below = await this.#objects.list(this.#keys.dirPrefix(path));
    if (below.length === 0) throw new PathNotFoundError(path);
    return { path, size: 0, modTime: newest(below), isDir: true };
  }

  async getContent(path: string): Promise<Buffer> {
    const got = await this.#objects.get(this.#keys.key(path));
    if (got) return collect(got.body);
    const file = await this.#file(path);
    if (!file) throw new PathNotFoundError(path);
    return collect(readParts(this.#objects, file.parts, 0, file.size));
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    const key = this.#keys.key(path);
    await this.#deleteSegments(path);
    await this.#objects.put(key, content);
  }

  async reader(path: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const offset = range.offset ?? 0;
    if (offset < 0) throw new InvalidOffsetError(path, offset);
    const wanted = range.length;
    if (wanted === undefined || wanted > 0) {
      // One GET when the file is one object (every blob is).
      const key = this.#keys.key(path);
      const byteRange = offset === 0 && wanted === undefined ? undefined : { start: offset, end: wanted === undefined ? undefined : offset + wanted - 1 };
      const got = await this.#objects.get(key, byteRange).catch((error: unknown) => {
        if (isInvalidRange(error)) return undefined;
        throw error;
      });
      if (got) return wanted !== undefined && got.length > wanted ? exactStream(got.body, wanted, key) : got.body;
    }
    const file = await this.#file(path);
    if (!file) throw new PathNotFoundError(path);
    if (offset > file.size) throw new InvalidOffsetError(path, offset);
    const length = Math.min(wanted ?? file.size - offset, file.size - offset);
    if (length <= 0) return Readable.from([]);
    return readParts(this.#objects, file.parts, offset, length);
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const file = await this.#file(path);
    if (!options.append || !file) {
      if (file) await this.#objects.deleteAll(keysOf(file));
      return this.#openWriter(path, 0, false);
    }
    if (file.object && file.segments.length === 0) {
      // An object written whole becomes segment 0, so that appends follow it.
      await composeInto(this.#objects, this.#keys.segmentKey(path, 0), [file.object], this.#composeOptions());
    }
    if (file.object) await this.#objects.deleteAll([file.object.key]);
    return this.#openWriter(path, file.size, true);
  }

  #openWriter(path: string, size: number, exists: boolean): FileWriter {
    return new S3Writer({
      size,
      exists,
      upload: (offset, source) => uploadObject(this.#objects, this.#keys.segmentKey(path, offset), source, { partSize: this.#partSize, keepPartial: true }),
      create: () => this.#objects.put(this.#keys.segmentKey(path, 0), new Uint8Array(0)),
      remove: async () => {
        const file = await this.#file(path);
        if (file) await this.#objects.deleteAll(keysOf(file));
      },
    });
  }

  async list(path: string): Promise<string[]> {
    const prefix = this.#keys.dirPrefix(path);
    const { keys, prefixes } = await this.#objects.listLevel(prefix);
    const children = new Set<string>();
    for (const item of [...keys, ...prefixes]) {
      const child = this.#keys.childPath(path, prefix, item);
      if (child) children.add(child);
    }
    if (children.size === 0) throw new PathNotFoundError(path);
    return [...children].sort();
  }

  async move(source: string, destination: string): Promise<void> {
    const file = await this.#file(source);
    if (!file) throw new PathNotFoundError(source);
    if (source === destination) return;
    // The destination becomes one object; segments of an older file there would shadow it.
    await this.#deleteSegments(destination);
    await composeInto(this.#objects, this.#keys.key(destination), file.parts, this.#composeOptions());
    await this.#objects.deleteAll(keysOf(file));
  }

  async delete(path: string): Promise<void> {
    const [file, below] = await Promise.all([this.#file(path), this.#objects.list(this.#keys.dirPrefix(path))]);
    const keys = [...(file ? keysOf(file) : []), ...below.map((object) => object.key)];
    if (keys.length === 0) throw new PathNotFoundError(path);
    await this.#objects.deleteAll(keys);
  }

  /** Releases the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  #composeOptions() {
    return { partSize: this.#partSize, partCopy: this.#partCopy };
  }
}

interface S3WriterDeps {
  size: number;
  exists: boolean;
  /** Stores what `source` yields as the segment at `offset`. */
  upload(offset: number, source: AsyncIterable<Uint8Array>): Promise<UploadResult>;
  /** Creates the file empty (a writer closed before anything was stored). */
  create(): Promise<void>;
  remove(): Promise<void>;
}

/** Each `write()` is one new segment, durable once it returns; commit and close have nothing left to flush. */
class S3Writer implements FileWriter {
  readonly #deps: S3WriterDeps;
  #size: number;
  #exists: boolean;
  #closed = false;

  constructor(deps: S3WriterDeps) {
    this.#deps = deps;
    this.#size = deps.size;
    this.#exists = deps.exists;
  }

  get size(): number {
    return this.#size;
  }

  async write(source: AsyncIterable<Uint8Array>): Promise<number> {
    if (this.#closed) throw new Error('writer closed');
    const result = await this.#deps.upload(this.#size, source);
    if (result.bytes > 0 || !result.sourceError) this.#exists = true;
    this.#size += result.bytes;
    if (result.sourceError) throw result.sourceError.error;
    return result.bytes;
  }

  async commit(): Promise<void> {
    await this.close();
  }

  async cancel(): Promise<void> {
    this.#closed = true;
    await this.#deps.remove();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // As a file opened for writing exists even when nothing was written to it.
    if (!this.#exists) await this.#deps.create();
  }
}

export function createS3Driver(config: S3StorageConfig): StorageDriver {
  return new S3Driver({ client: createS3Client(config), bucket: config.bucket, rootDirectory: config.rootDirectory });
}
