import { createHash, randomBytes } from 'node:crypto';

const HEADER = 32;

/**
 * Deterministic, incompressible blob content that is never held whole in memory: one
 * random block (a few MiB) repeated, each repetition starting with a 32-byte header of
 * (nonce, block index) so that every blob, and every block in it, differs. The same
 * (nonce, size) always yields the same bytes, so a blob can be hashed in a first pass and
 * streamed in a second one without the client hashing during the timed transfer.
 */
export class BlobPattern {
  readonly blockSize: number;
  readonly #block: Buffer;

  constructor(blockSize: number) {
    if (blockSize < 1024) throw new Error('block size must be at least 1 KiB');
    this.blockSize = blockSize;
    this.#block = randomBytes(blockSize);
  }

  /** The blob's bytes as a sequence of views (a 32-byte header, then the block's rest, per block). */
  *chunks(nonce: Buffer, size: number): Generator<Uint8Array> {
    if (nonce.byteLength !== 16) throw new Error('nonce must be 16 bytes');
    let index = 0;
    for (let offset = 0; offset < size; offset += this.blockSize, index += 1) {
      const length = Math.min(this.blockSize, size - offset);
      const header = Buffer.alloc(HEADER);
      nonce.copy(header, 0);
      header.writeBigUInt64BE(BigInt(index), 16);
      header.writeBigUInt64BE(BigInt(size), 24);
      yield header.subarray(0, Math.min(HEADER, length));
      if (length > HEADER) yield this.#block.subarray(HEADER, length);
    }
  }

  /** `sha256:<hex>` of the blob (a pass over the same chunks). */
  digest(nonce: Buffer, size: number): string {
    const hash = createHash('sha256');
    for (const chunk of this.chunks(nonce, size)) hash.update(chunk);
    return `sha256:${hash.digest('hex')}`;
  }
}

export function newNonce(): Buffer {
  return randomBytes(16);
}
