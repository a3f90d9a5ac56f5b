import { Readable } from 'node:stream';
import {
  InvalidOffsetError,
  PathNotFoundError,
  type FileInfo,
  type FileWriter,
  type StorageDriver,
} from '../../storage-driver.js';

interface Entry {
  chunks: Buffer[];
  size: number;
  modTime: Date;
}

/** Keeps everything in process memory: unit tests and throw-away development only. */
export class InMemoryDriver implements StorageDriver {
  readonly name = 'inmemory';
  readonly #files = new Map<string, Entry>();

  #get(path: string): Entry {
    const entry = this.#files.get(path);
    if (!entry) throw new PathNotFoundError(path);
    return entry;
  }

  #isDir(path: string): boolean {
    const prefix = `${path}/`;
    for (const key of this.#files.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  async stat(path: string): Promise<FileInfo> {
    const entry = this.#files.get(path);
    if (entry) return { path, size: entry.size, modTime: entry.modTime, isDir: false };
    if (this.#isDir(path)) return { path, size: 0, modTime: new Date(), isDir: true };
    throw new PathNotFoundError(path);
  }

  async getContent(path: string): Promise<Buffer> {
    return Buffer.concat(this.#get(path).chunks);
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    const copy = Buffer.from(content);
    this.#files.set(path, { chunks: [copy], size: copy.byteLength, modTime: new Date() });
  }

  async reader(path: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const entry = this.#get(path);
    const offset = range.offset ?? 0;
    if (offset < 0 || offset > entry.size) throw new InvalidOffsetError(path, offset);
    const end = Math.min(entry.size, offset + (range.length ?? entry.size - offset));
    return Readable.from([Buffer.concat(entry.chunks).subarray(offset, end)].filter((b) => b.byteLength > 0));
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const existing = options.append ? this.#files.get(path) : undefined;
    const entry: Entry = existing ?? { chunks: [], size: 0, modTime: new Date() };
    this.#files.set(path, entry);
    const files = this.#files;
    let closed = false;
    return {
      get size() {
        return entry.size;
      },
      async write(source) {
        let appended = 0;
        for await (const chunk of source) {
          if (closed) throw new Error('writer closed');
          entry.chunks.push(Buffer.from(chunk));
          entry.size += chunk.byteLength;
          entry.modTime = new Date();
          appended += chunk.byteLength;
        }
        return appended;
      },
      async commit() {
        closed = true;
      },
      async close() {
        closed = true;
      },
      async cancel() {
        closed = true;
        if (files.get(path) === entry) files.delete(path);
      },
    };
  }

  async list(path: string): Promise<string[]> {
    const prefix = path === '/' ? '/' : `${path}/`;
    const children = new Set<string>();
    for (const key of this.#files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const next = key.slice(prefix.length).split('/')[0];
      if (next) children.add(`${prefix}${next}`);
    }
    if (children.size === 0 && !this.#files.has(path)) throw new PathNotFoundError(path);
    return [...children].sort();
  }

  async move(source: string, destination: string): Promise<void> {
    const entry = this.#get(source);
    this.#files.delete(source);
    this.#files.set(destination, entry);
  }

  async delete(path: string): Promise<void> {
    let found = this.#files.delete(path);
    const prefix = `${path}/`;
    for (const key of [...this.#files.keys()]) {
      if (key.startsWith(prefix)) {
        this.#files.delete(key);
        found = true;
      }
    }
    if (!found) throw new PathNotFoundError(path);
  }
}

export function createInMemoryDriver(): StorageDriver {
  return new InMemoryDriver();
}
