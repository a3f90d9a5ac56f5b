/** The services that may run as several processes (the proxy is the one entry). */
export const REPLICATED_SERVICES = ['core', 'registry-facade', 'jobservice', 'adapter'] as const;
export type ReplicatedService = (typeof REPLICATED_SERVICES)[number];

/** How many processes of each service to run (1 when absent). */
export type Replicas = Partial<Record<ReplicatedService, number>>;

/** The variable that sets one service's count (`WHARF_REPLICAS` sets every service's). */
export const REPLICA_VARIABLES: Record<ReplicatedService, string> = {
  core: 'WHARF_CORE_REPLICAS',
  'registry-facade': 'WHARF_REGISTRY_REPLICAS',
  jobservice: 'WHARF_JOBSERVICE_REPLICAS',
  adapter: 'WHARF_ADAPTER_REPLICAS',
};

export const MAX_REPLICAS = 16;

function count(name: string, value: string): number {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_REPLICAS) throw new Error(`${name} must be a whole number from 1 to ${MAX_REPLICAS} (got ${JSON.stringify(value)})`);
  return parsed;
}

/**
 * The replica counts an environment asks for: `WHARF_REPLICAS` for every service, then
 * `WHARF_<SERVICE>_REPLICAS` for one (it wins). Unset or empty variables leave the default, 1.
 */
export function replicasFromEnv(env: Readonly<Record<string, string | undefined>>): Replicas {
  const all = env.WHARF_REPLICAS ? count('WHARF_REPLICAS', env.WHARF_REPLICAS) : undefined;
  const replicas: Replicas = {};
  for (const service of REPLICATED_SERVICES) {
    const own = env[REPLICA_VARIABLES[service]];
    const value = own ? count(REPLICA_VARIABLES[service], own) : all;
    if (value !== undefined) replicas[service] = value;
  }
  return replicas;
}
