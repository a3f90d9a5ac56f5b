import { createFilesystemDriver } from './drivers/filesystem/filesystem.driver.js';
import { createInMemoryDriver } from './drivers/inmemory/inmemory.driver.js';
import type { S3StorageConfig } from './drivers/s3/s3-client.js';
import { createS3Driver } from './drivers/s3/s3.driver.js';
import type { StorageDriver } from './storage-driver.js';

export type { S3StorageConfig } from './drivers/s3/s3-client.js';

export type StorageConfig = { driver: 'filesystem'; root: string } | S3StorageConfig | { driver: 'inmemory' };

/** Driver name → factory. A new driver is one folder under `drivers/` and one line here. */
export const storageDrivers: { [K in StorageConfig['driver']]: (config: Extract<StorageConfig, { driver: K }>) => StorageDriver } = {
  filesystem: (config) => createFilesystemDriver({ root: config.root }),
  s3: (config) => createS3Driver(config),
  inmemory: () => createInMemoryDriver(),
};

export function createStorageDriver(config: StorageConfig): StorageDriver {
  const factory = storageDrivers[config.driver] as (config: StorageConfig) => StorageDriver;
  return factory(config);
}
