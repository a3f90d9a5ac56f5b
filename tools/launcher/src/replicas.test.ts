import { describe, expect, it } from 'vitest';
import { replicasFromEnv } from './replicas.js';

describe('replicasFromEnv', () => {
  it('reads one count for every service, and a count per service that wins over it', () => {
    expect(replicasFromEnv({})).toEqual({});
    expect(replicasFromEnv({ WHARF_REPLICAS: '2' })).toEqual({ core: 2, 'registry-facade': 2, jobservice: 2, adapter: 2 });
    expect(replicasFromEnv({ WHARF_REPLICAS: '2', WHARF_CORE_REPLICAS: '3', WHARF_ADAPTER_REPLICAS: '1' })).toEqual({ core: 3, 'registry-facade': 2, jobservice: 2, adapter: 1 });
    expect(replicasFromEnv({ WHARF_REGISTRY_REPLICAS: '4', WHARF_JOBSERVICE_REPLICAS: '' })).toEqual({ 'registry-facade': 4 });
  });

  it('refuses a count that is not a whole number from 1 to 16, naming the variable', () => {
    expect(() => replicasFromEnv({ WHARF_REPLICAS: '0' })).toThrow(/WHARF_REPLICAS/);
    expect(() => replicasFromEnv({ WHARF_CORE_REPLICAS: 'two' })).toThrow(/WHARF_CORE_REPLICAS/);
    expect(() => replicasFromEnv({ WHARF_JOBSERVICE_REPLICAS: '17' })).toThrow(/1 to 16/);
  });
});
