import { createFilesystemDriver } from './drivers/filesystem/filesystem.driver.js';
import { createInMemoryDriver } from './drivers/inmemory/inmemory.driver.js';
import type { S3StorageConfig } from './drivers/s3/s3-client.js';
import type { FileWriter, StorageDriver } from './storage-driver.js';

export type { S3StorageConfig } from './drivers/s3/s3-client.js';

export type StorageConfig = { driver: 'filesystem'; root: string } | S3StorageConfig | { driver: 'inmemory' };

/** Driver name → factory. A new driver is one folder under `drivers/` and one line here. */
export const storageDrivers: { [K in StorageConfig['driver']]: (config: Extract<StorageConfig, { driver: K }>) => StorageDriver } = {
  filesystem: (config) => createFilesystemDriver({ root: config.root }),
  s3: (config) => s3DriverLoadedApart(config),
  inmemory: () => createInMemoryDriver(),
};

export function createStorageDriver(config: StorageConfig): StorageDriver {
  const factory = storageDrivers[config.driver] as (config: StorageConfig) => StorageDriver;
  return factory(config);
}

/**
 * The S3 driver, its module (and the AWS SDK under it) loaded when the driver is created
 * rather than with the service: a deployment on another driver never holds the SDK's code
 * and objects (some 7.5 MB of heap, which every full garbage collection of a busy registry
 * would otherwise walk). Calls made before it is loaded wait for it.
 */
function s3DriverLoadedApart(config: S3StorageConfig): StorageDriver {
  const loading = import('./drivers/s3/s3.driver.js').then((module) => module.createS3Driver(config));
  loading.catch(() => undefined); // reported by the first call
  return {
    name: 's3',
    stat: async (path) => (await loading).stat(path),
    getContent: async (path) => (await loading).getContent(path),
    putContent: async (path, content) => (await loading).putContent(path, content),
    reader: async (path, range) => (await loading).reader(path, range),
    writer: async (path, options): Promise<FileWriter> => (await loading).writer(path, options),
    list: async (path) => (await loading).list(path),
    move: async (source, destination) => (await loading).move(source, destination),
    delete: async (path) => (await loading).delete(path),
    close: async () => (await loading.catch(() => undefined))?.close?.(),
  };
}
