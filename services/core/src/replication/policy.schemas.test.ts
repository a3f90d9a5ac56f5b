import { describe, expect, it } from 'vitest';
import { PolicyInvalidError } from './policy.errors.js';
import { toPolicyFields, validateCron, type PolicyRequest } from './policy.schemas.js';

const base: PolicyRequest = { name: 'p', src_registry: { id: 1 } };
const invalid = (request: Partial<PolicyRequest>) => () => toPolicyFields({ ...base, ...request });

describe("Harbor's replication policy rules", () => {
  it('takes one remote side and the local Wharf as the other (id 0 or absent)', () => {
    expect(toPolicyFields(base)).toMatchObject({ srcRegistryId: 1, destRegistryId: 0 });
    expect(toPolicyFields({ name: 'p', src_registry: { id: 0 }, dest_registry: { id: 2 } })).toMatchObject({ srcRegistryId: 0, destRegistryId: 2 });
    expect(invalid({ src_registry: null, dest_registry: null })).toThrow(/either src_registry or dest_registry/);
    expect(invalid({ src_registry: { id: 0 }, dest_registry: { id: 0 } })).toThrow(PolicyInvalidError);
    expect(invalid({ src_registry: { id: 1 }, dest_registry: { id: 2 } })).toThrow(/cannot both be remote/);
  });

  it("gives omitted fields Harbor's defaults", () => {
    expect(toPolicyFields(base)).toMatchObject({ destNamespace: '', destNamespaceReplaceCount: -1, trigger: { type: 'manual', cron: '' }, filters: [], replicateDeletion: false, override: false, enabled: false, speed: -1, copyByChunk: false, singleActiveReplication: false });
    expect(toPolicyFields({ ...base, deletion: true }).replicateDeletion).toBe(true);
  });

  it('allows decorations on tag and label filters only, matches or excludes', () => {
    expect(toPolicyFields({ ...base, filters: [{ type: 'tag', value: 'v*', decoration: 'excludes' }, { type: 'label', value: ['a'], decoration: 'matches' }] }).filters).toEqual([
      { type: 'tag', value: 'v*', decoration: 'excludes' },
      { type: 'label', value: ['a'], decoration: 'matches' },
    ]);
    expect(invalid({ filters: [{ type: 'name', value: 'a/**', decoration: 'matches' }] })).toThrow('only tag and label filter support decoration');
    expect(invalid({ filters: [{ type: 'resource', value: 'image', decoration: 'excludes' }] })).toThrow('only tag and label filter support decoration');
    expect(invalid({ filters: [{ type: 'tag', value: 'v*', decoration: 'sometimes' }] })).toThrow(/invalid decoration/);
  });

  it('needs an array of strings for a label filter and a string for the others', () => {
    expect(invalid({ filters: [{ type: 'label', value: 'prod' }] })).toThrow(/array of strings/);
    expect(invalid({ filters: [{ type: 'label', value: ['prod', 3] }] })).toThrow(/array of strings/);
    expect(invalid({ filters: [{ type: 'name', value: ['a'] }] })).toThrow(/must be a string/);
    expect(invalid({ filters: [{ type: 'colour', value: 'red' }] })).toThrow(/invalid filter type/);
  });

  it('takes image or artifact as the resource filter', () => {
    expect(toPolicyFields({ ...base, filters: [{ type: 'resource', value: 'artifact' }] }).filters).toEqual([{ type: 'resource', value: 'artifact' }]);
    expect(invalid({ filters: [{ type: 'resource', value: 'chart' }] })).toThrow(/invalid resource filter/);
  });

  it('needs a 6-field cron with seconds 0 and minutes not * for a scheduled trigger', () => {
    expect(toPolicyFields({ ...base, trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 */6 * * *' } } }).trigger).toEqual({ type: 'scheduled', cron: '0 0 */6 * * *' });
    expect(invalid({ trigger: { type: 'scheduled', trigger_settings: { cron: '' } } })).toThrow(/cannot be empty/);
    expect(invalid({ trigger: { type: 'scheduled' } })).toThrow(/cannot be empty/);
    expect(() => validateCron('0 */6 * * *')).toThrow(/6 fields/);
    expect(() => validateCron('5 0 * * * *')).toThrow(/1st field/);
    expect(() => validateCron('0 * * * * *')).toThrow(/2nd field/);
    expect(() => validateCron('0 0 25 * * *')).toThrow(/field 3/);
    expect(() => validateCron('0 15 10 ? * MON-FRI')).not.toThrow();
    expect(invalid({ trigger: { type: 'hourly' } })).toThrow(/invalid trigger type/);
  });

  it('keeps no cron for a trigger that is not scheduled', () => {
    expect(toPolicyFields({ ...base, trigger: { type: 'event_based', trigger_settings: { cron: '0 0 * * * *' } } }).trigger).toEqual({ type: 'event_based', cron: '' });
  });

  it('refuses a speed below -1', () => {
    expect(toPolicyFields({ ...base, speed: 1024 }).speed).toBe(1024);
    expect(invalid({ speed: -2 })).toThrow('speed cannot be less than -1');
  });
});
