import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Secret } from '@wharf/config';
import S3rver from 's3rver';
import { createS3Client } from '../../src/storage/drivers/s3/s3-client.js';

/** s3rver's built-in account. */
export const S3RVER_KEY = 'S3RVER';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** A client built as the driver builds it (timeouts, retries, path-style addressing). */
  client: S3Client;
  /** Every key under `prefix`, in key order, with its size. */
  objects(prefix: string): Promise<{ key: string; size: number }[]>;
  stop(): Promise<void>;
}

/**
 * s3rver (an S3-compatible server in Node: objects, copy, multi-delete, ListObjectsV2,
 * multipart uploads; no UploadPartCopy, no AbortMultipartUpload, and a delimited listing
 * finds common prefixes only one level below the listed prefix) on a free port, storing in
 * a temporary directory, with one fresh bucket.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'wharf-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = `wharf-${randomUUID().slice(0, 8)}`;
  const client = createS3Client({
    driver: 's3',
    bucket,
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: new Secret(S3RVER_KEY) },
    forcePathStyle: true,
    rootDirectory: '',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 60_000,
    socketTimeoutMs: 60_000,
    maxAttempts: 3,
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    client,
    objects: async (prefix) => {
      const found: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const item of out.Contents ?? []) found.push({ key: item.Key!, size: item.Size ?? 0 });
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
    stop: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
