export {
  createPool,
  SERVICE_POOL_IDLE_TIMEOUT_MS,
  pingPool,
  withTransaction,
  quoteIdent,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
  type QueryResultRow,
} from './pool.js';
export { migrate, ensureDatabase, dropDatabase, type MigrateOptions } from './migrate.js';
