export { createTestDatabase, type TestDatabase } from './postgres.js';
export { createTestRedisNamespace, deleteRedisKeys, type TestRedisNamespace } from './redis.js';
export { createTestVhost, type TestVhost } from './rabbitmq.js';
export { freePort } from './free-port.js';
export {
  createTestImage,
  createTestIndex,
  createTestArtifact,
  writeOciLayout,
  blobOf,
  type TestBlob,
  type TestImage,
  type TestImageOptions,
} from './oci-images.js';
export { TestRegistryClient, type RegistryResponse } from './registry-client.js';
export { createTestTokenIssuer, type TestTokenIssuer, type TokenOptions } from './tokens.js';
export { HarborClient, type ApiResponse } from './harbor-client.js';
export { libtrustKeyId } from './libtrust.js';
export {
  startPrivatePostgres,
  startPrivateRedis,
  startPrivateRabbit,
  type PrivateServer,
  type PrivatePostgres,
  type PrivateRabbit,
  type RestartTimes,
  type PostgresStopMode,
  type RedisStopMode,
  type RabbitStopMode,
} from './private-servers.js';
