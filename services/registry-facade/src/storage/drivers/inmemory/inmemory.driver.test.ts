import { describeStorageDriver } from '../../testing/driver-conformance.js';
import { InMemoryDriver } from './inmemory.driver.js';

describeStorageDriver('inmemory', async () => {
  const driver = new InMemoryDriver();
  return {
    driver,
    leftovers: async () => driver.list('/').catch(() => []),
    cleanup: async () => undefined,
  };
});
