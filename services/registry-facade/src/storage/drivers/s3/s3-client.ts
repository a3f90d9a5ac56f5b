import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Secret } from '@wharf/config';

/** `storage` when REGISTRY_STORAGE_DRIVER=s3 (see config.ts). */
export interface S3StorageConfig {
  driver: 's3';
  bucket: string;
  region: string;
  /** An S3-compatible store (MinIO, Ceph RGW); unset for AWS. */
  endpoint?: string | undefined;
  /** Static keys; unset = the SDK's default credential chain (env, profile, web identity, IMDS). */
  credentials?: { accessKeyId: string; secretAccessKey: Secret } | undefined;
  forcePathStyle: boolean;
  /** Key prefix under which everything is stored; '' for the bucket's top. */
  rootDirectory: string;
  connectTimeoutMs: number;
  /** How long one request may take until the store starts answering (a part upload included). */
  requestTimeoutMs: number;
  /** How long a connection may stay silent, a streamed download included. */
  socketTimeoutMs: number;
  /** Attempts per request, first included, with the SDK's standard retry strategy. */
  maxAttempts: number;
}

const MAX_SOCKETS = 64;

/**
 * One S3 client for the driver: every network call has a connect timeout, a request
 * timeout and an idle timeout, and is retried by the SDK's standard strategy (throttling,
 * transient and 5xx errors, with jittered exponential backoff).
 */
export function createS3Client(config: S3StorageConfig): S3Client {
  const options: S3ClientConfig = {
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    maxAttempts: config.maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: config.socketTimeoutMs,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    }),
  };
  if (config.endpoint) {
    options.endpoint = config.endpoint;
    // S3-compatible stores do not all accept the SDK's default CRC trailers and headers.
    options.requestChecksumCalculation = 'WHEN_REQUIRED';
    options.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (config.credentials) {
    options.credentials = { accessKeyId: config.credentials.accessKeyId, secretAccessKey: config.credentials.secretAccessKey.reveal() };
  }
  return new S3Client(options);
}
