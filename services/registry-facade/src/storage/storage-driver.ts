import type { Readable, Writable } from 'node:stream';

/**
 * The port every blob store implements, shaped after distribution's StorageDriver so that
 * both a filesystem and an object store (S3 multipart uploads) fit it. Paths are absolute
 * within the driver's root, `/`-separated, and made only of `[A-Za-z0-9._-]` segments;
 * `paths.ts` decides the layout. Registry logic (blobs, uploads, manifests) stays above.
 */
export interface StorageDriver {
  readonly name: string;
  stat(path: string): Promise<FileInfo>;
  /** Whole content of a small file (manifests). */
  getContent(path: string): Promise<Buffer>;
  /** Writes a small file atomically: readers see the old content or the new, never a part. */
  putContent(path: string, content: Uint8Array): Promise<void>;
  /** Streams `length` bytes (default: to the end) from `offset`. */
  reader(path: string, range?: { offset?: number; length?: number }): Promise<Readable>;
  /**
   * Opens a writer. With `append`, it resumes after the bytes already there (the
   * `size` of the writer starts at the file's size); otherwise it starts empty.
   */
  writer(path: string, options?: { append?: boolean }): Promise<FileWriter>;
  /** Direct children of a directory, as full paths. */
  list(path: string): Promise<string[]>;
  /** Moves a file, replacing what is at `destination`. */
  move(source: string, destination: string): Promise<void>;
  /** Deletes a file or a whole directory. */
  delete(path: string): Promise<void>;
  /** A URL the client may fetch the content from directly, when the driver offers one. */
  redirectUrl?(path: string, method: 'GET' | 'HEAD'): Promise<string | undefined>;
  /** Releases connections the driver holds (at shutdown). */
  close?(): void | Promise<void>;
}

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

export interface FileWriter {
  /** Bytes in the file so far: what was there when it was opened plus what was appended. */
  readonly size: number;
  /**
   * Appends every chunk `source` yields and resolves with the number of bytes appended.
   * When `source` fails mid-way the bytes that reached the file stay, `size` tells how
   * many, and the error is rethrown.
   */
  write(source: AsyncIterable<Uint8Array>): Promise<number>;
  /** Makes the content durable and closes the writer. */
  commit(): Promise<void>;
  /** Removes the file and closes the writer. */
  cancel(): Promise<void>;
  /** Closes the writer, keeping what was written. */
  close(): Promise<void>;
}

/** Nothing at that path. */
export class PathNotFoundError extends Error {
  readonly path: string;

  constructor(path: string) {
    super(`path not found: ${path}`);
    this.name = 'PathNotFoundError';
    this.path = path;
  }
}

/** The path is not one the driver accepts (see `base-driver.ts`). */
export class InvalidPathError extends Error {
  readonly path: string;

  constructor(path: string) {
    super(`invalid storage path: ${JSON.stringify(path)}`);
    this.name = 'InvalidPathError';
    this.path = path;
  }
}

/** A read was asked to start beyond the end of the file. */
export class InvalidOffsetError extends Error {
  readonly path: string;
  readonly offset: number;

  constructor(path: string, offset: number) {
    super(`invalid offset ${offset} for ${path}`);
    this.name = 'InvalidOffsetError';
    this.path = path;
    this.offset = offset;
  }
}

/** The driver does not offer this operation. */
export class UnsupportedOperationError extends Error {
  constructor(operation: string) {
    super(`operation not supported by this storage driver: ${operation}`);
    this.name = 'UnsupportedOperationError';
  }
}

/**
 * A reader stream that can also write itself straight into a destination through a few
 * reused buffers (no allocation, no garbage per chunk). Consumes the stream.
 */
export interface DirectReadable extends Readable {
  pipeInto(destination: Writable): Promise<void>;
}

export function isDirectReadable(stream: Readable): stream is DirectReadable {
  return typeof (stream as Partial<DirectReadable>).pipeInto === 'function';
}
