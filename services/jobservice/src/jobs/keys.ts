/** Every Redis key jobservice uses, in one place (all under the configured prefix). */
export function redisKeys(prefix: string) {
  return {
    prefix,
    job: (id: string) => `${prefix}job:${id}`,
    unique: (digest: string) => `${prefix}unique:${digest}`,
    /** Jobs to publish at their score (ms): scheduled jobs, retries, and the outbox of fresh ones. */
    scheduled: `${prefix}scheduled`,
    periodic: `${prefix}periodic`,
    periodicTick: (id: string, tick: number) => `${prefix}periodic:${id}:${tick}`,
    executions: (id: string) => `${prefix}executions:${id}`,
    hooks: (id: string) => `${prefix}hooks:${id}`,
    hooksDue: `${prefix}hooks:due`,
    hooksUnacked: `${prefix}hooks:unacked`,
    stopChannel: `${prefix}stop`,
    pools: `${prefix}pools`,
    pool: (id: string) => `${prefix}pool:${id}`,
    poolRunning: (id: string) => `${prefix}pool:${id}:running`,
    /** Who runs a revision of a job now (worker pool, process), with a TTL its worker renews. */
    lease: (id: string, revision: number) => `${prefix}lease:${id}:${revision}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
