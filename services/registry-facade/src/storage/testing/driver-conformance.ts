import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidOffsetError, isDirectReadable, PathNotFoundError, type StorageDriver } from '../storage-driver.js';

export interface DriverUnderTest {
  driver: StorageDriver;
  /** Every path the driver still holds (to prove a test left nothing behind). */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function* chunksOf(...buffers: Buffer[]): AsyncIterable<Uint8Array> {
  for (const buffer of buffers) yield buffer;
}

/**
 * The behaviour every StorageDriver must have. Each driver's test file calls this with a
 * factory; a test that leaves objects behind fails.
 */
export function describeStorageDriver(name: string, factory: () => Promise<DriverUnderTest>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let subject: DriverUnderTest;
    let driver: StorageDriver;

    beforeEach(async () => {
      subject = await factory();
      driver = subject.driver;
    });

    afterEach(async () => {
      const left = await subject.leftovers();
      await subject.cleanup();
      expect(left, 'the test left objects behind').toEqual([]);
    });

    it('stores small content and reads it back, replacing it atomically', async () => {
      await driver.putContent('/a/b/data', Buffer.from('first'));
      expect((await driver.getContent('/a/b/data')).toString()).toBe('first');
      await driver.putContent('/a/b/data', Buffer.from('second'));
      expect((await driver.getContent('/a/b/data')).toString()).toBe('second');
      const info = await driver.stat('/a/b/data');
      expect(info.size).toBe(6);
      expect(info.isDir).toBe(false);
      await driver.delete('/a');
    });

    it('reports a missing path as PathNotFoundError on every operation', async () => {
      await expect(driver.stat('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.getContent('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.reader('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.list('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.move('/missing', '/elsewhere')).rejects.toBeInstanceOf(PathNotFoundError);
      await expect(driver.delete('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
    });

    it('streams a byte range from an offset', async () => {
      const content = randomBytes(300_000);
      await driver.putContent('/r/data', content);
      expect(await readAll(await driver.reader('/r/data'))).toEqual(content);
      expect(await readAll(await driver.reader('/r/data', { offset: 1000 }))).toEqual(content.subarray(1000));
      expect(await readAll(await driver.reader('/r/data', { offset: 10, length: 20 }))).toEqual(content.subarray(10, 30));
      expect(await readAll(await driver.reader('/r/data', { offset: content.length }))).toEqual(Buffer.alloc(0));
      await expect(driver.reader('/r/data', { offset: content.length + 1 })).rejects.toBeInstanceOf(InvalidOffsetError);
      await driver.delete('/r');
    });

    it('serves a range through pipeInto, when the reader offers it, byte for byte', async () => {
      const content = randomBytes(3 * 1024 * 1024 + 123);
      await driver.putContent('/p/data', content);
      for (const range of [{}, { offset: 5, length: 2 * 1024 * 1024 }, { offset: content.length - 7 }]) {
        const reader = await driver.reader('/p/data', range);
        const offset = range.offset ?? 0;
        const expected = content.subarray(offset, offset + (range.length ?? content.length - offset));
        if (!isDirectReadable(reader)) {
          expect((await readAll(reader)).equals(expected)).toBe(true);
          continue;
        }
        const sink = new PassThrough();
        const collected = readAll(sink);
        await reader.pipeInto(sink);
        expect((await collected).equals(expected)).toBe(true);
      }
      await driver.delete('/p');
    });

    it('writes a stream, then resumes appending where it stopped', async () => {
      const first = randomBytes(70_000);
      const second = randomBytes(50_000);
      const writer = await driver.writer('/w/data');
      expect(writer.size).toBe(0);
      expect(await writer.write(chunksOf(first.subarray(0, 1000), first.subarray(1000)))).toBe(first.length);
      expect(writer.size).toBe(first.length);
      await writer.close();

      const resumed = await driver.writer('/w/data', { append: true });
      expect(resumed.size).toBe(first.length);
      await resumed.write(chunksOf(second));
      expect(resumed.size).toBe(first.length + second.length);
      await resumed.commit();

      expect(await driver.getContent('/w/data')).toEqual(Buffer.concat([first, second]));
      await driver.delete('/w');
    });

    it('keeps what was written when the source fails mid-way', async () => {
      const part = randomBytes(10_000);
      const writer = await driver.writer('/f/data');
      async function* failing(): AsyncIterable<Uint8Array> {
        yield part;
        throw new Error('client went away');
      }
      await expect(writer.write(failing())).rejects.toThrow('client went away');
      expect(writer.size).toBe(part.length);
      await writer.close();
      expect(await driver.getContent('/f/data')).toEqual(part);
      await driver.delete('/f');
    });

    it('cancel removes what the writer wrote', async () => {
      const writer = await driver.writer('/c/data');
      await writer.write(chunksOf(randomBytes(100)));
      await writer.cancel();
      await expect(driver.stat('/c/data')).rejects.toBeInstanceOf(PathNotFoundError);
      await driver.delete('/c').catch(() => undefined);
    });

    it('moves a file over an existing one', async () => {
      await driver.putContent('/m/src/data', Buffer.from('new'));
      await driver.putContent('/m/dst/data', Buffer.from('old'));
      await driver.move('/m/src/data', '/m/dst/data');
      expect((await driver.getContent('/m/dst/data')).toString()).toBe('new');
      await expect(driver.stat('/m/src/data')).rejects.toBeInstanceOf(PathNotFoundError);
      await driver.delete('/m');
    });

    it('lists direct children and deletes whole directories', async () => {
      await driver.putContent('/l/one/data', Buffer.from('1'));
      await driver.putContent('/l/two/data', Buffer.from('2'));
      expect((await driver.list('/l')).sort()).toEqual(['/l/one', '/l/two']);
      await driver.delete('/l');
      await expect(driver.stat('/l/one/data')).rejects.toBeInstanceOf(PathNotFoundError);
    });
  });
}
