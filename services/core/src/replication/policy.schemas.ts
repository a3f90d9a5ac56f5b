import type { ReplicationFilterV1 } from '@wharf/contracts';
import { z } from 'zod';
import type { Registry } from '../registries/registry.schemas.js';
import { registryView } from '../registries/registry.schemas.js';
import { PolicyInvalidError } from './policy.errors.js';
import { rowIdSchema } from '../listing/db-range.js';

export const TRIGGER_TYPES = ['manual', 'scheduled', 'event_based'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** A replication policy (Harbor's `model.Policy`); registry id 0 is the local Wharf. */
export interface ReplicationPolicy {
  id: number;
  name: string;
  description: string;
  srcRegistryId: number;
  destRegistryId: number;
  destNamespace: string;
  destNamespaceReplaceCount: number;
  trigger: { type: TriggerType; cron: string };
  filters: ReplicationFilterV1[];
  replicateDeletion: boolean;
  override: boolean;
  enabled: boolean;
  speed: number;
  copyByChunk: boolean;
  singleActiveReplication: boolean;
  creationTime: Date;
  updateTime: Date;
}

export type PolicyFields = Omit<ReplicationPolicy, 'id' | 'creationTime' | 'updateTime'>;

const registryRef = z.looseObject({ id: rowIdSchema.nullish() }).nullish();

/** The body of `POST|PUT /replication/policies[/{id}]` (Harbor's ReplicationPolicy; the rules are checked by `toPolicyFields`). */
export const policyRequestSchema = z.looseObject({
  name: z.string().trim().min(1, 'name is required').max(255),
  description: z.string().max(1024).nullish(),
  src_registry: registryRef,
  dest_registry: registryRef,
  dest_namespace: z.string().max(255).nullish(),
  dest_namespace_replace_count: z.number().int().min(-128).max(127).nullish(),
  trigger: z.looseObject({ type: z.string().nullish(), trigger_settings: z.looseObject({ cron: z.string().nullish() }).nullish() }).nullish(),
  filters: z.array(z.looseObject({ type: z.string(), value: z.unknown(), decoration: z.string().nullish() })).max(100).nullish(),
  replicate_deletion: z.boolean().nullish(),
  deletion: z.boolean().nullish(),
  override: z.boolean().nullish(),
  enabled: z.boolean().nullish(),
  speed: z.number().int().max(2 ** 31 - 1).nullish(),
  copy_by_chunk: z.boolean().nullish(),
  single_active_replication: z.boolean().nullish(),
});
export type PolicyRequest = z.output<typeof policyRequestSchema>;

const CRON_BOUNDS: readonly [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const NAMES = /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i;

function cronFieldValid(field: string, [min, max]: readonly [number, number]): boolean {
  if (field === '?') return true;
  return field.split(',').every((part) => {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') return false;
    if (step !== undefined && !/^\d+$/.test(step)) return false;
    if (range === '*') return true;
    const bounds = range.split('-');
    if (bounds.length > 2) return false;
    return bounds.every((b) => NAMES.test(b) || (/^\d+$/.test(b) && Number(b) >= min && Number(b) <= max));
  });
}

/** Harbor's cron rules for a scheduled policy: six fields (seconds first), seconds 0, minutes not `*`, each field parseable. */
export function validateCron(cron: string): void {
  if (!cron) throw new PolicyInvalidError('the cron string cannot be empty when the trigger type is scheduled');
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 6) throw new PolicyInvalidError(`invalid cron ${JSON.stringify(cron)}: it must have 6 fields (seconds first)`);
  if (fields[0] !== '0') throw new PolicyInvalidError(`invalid cron ${JSON.stringify(cron)}: the 1st field (indicating Seconds of time) of the cron setting must be 0`);
  if (fields[1] === '*') throw new PolicyInvalidError(`invalid cron ${JSON.stringify(cron)}: the 2nd field (indicating Minutes of time) of the cron setting must not be *`);
  fields.forEach((field, index) => {
    if (!cronFieldValid(field, CRON_BOUNDS[index]!)) throw new PolicyInvalidError(`invalid cron ${JSON.stringify(cron)}: field ${index + 1} ${JSON.stringify(field)}`);
  });
}

function toFilter(raw: { type: string; value: unknown; decoration?: string | null | undefined }): ReplicationFilterV1 {
  const decoration = raw.decoration ?? '';
  if (decoration !== '' && raw.type !== 'tag' && raw.type !== 'label') throw new PolicyInvalidError('only tag and label filter support decoration');
  if (decoration !== '' && decoration !== 'matches' && decoration !== 'excludes') throw new PolicyInvalidError(`invalid decoration ${JSON.stringify(decoration)}: matches or excludes`);
  const withDecoration: Pick<ReplicationFilterV1, 'decoration'> = decoration === '' ? {} : { decoration: decoration === 'excludes' ? 'excludes' : 'matches' };
  switch (raw.type) {
    case 'name':
    case 'tag':
    case 'resource': {
      if (typeof raw.value !== 'string') throw new PolicyInvalidError(`the value of the ${raw.type} filter must be a string`);
      if (raw.type === 'resource' && raw.value !== 'image' && raw.value !== 'artifact') {
        throw new PolicyInvalidError(`invalid resource filter ${JSON.stringify(raw.value)}: image or artifact`);
      }
      return { type: raw.type, value: raw.value, ...withDecoration };
    }
    case 'label': {
      if (!Array.isArray(raw.value) || !raw.value.every((v) => typeof v === 'string')) throw new PolicyInvalidError('the value of the label filter must be an array of strings');
      return { type: 'label', value: raw.value, ...withDecoration };
    }
    default:
      throw new PolicyInvalidError(`invalid filter type ${JSON.stringify(raw.type)}`);
  }
}

/** Harbor's `Policy.Validate` on a request, and the policy it describes (omitted fields take Harbor's defaults). */
export function toPolicyFields(request: PolicyRequest): PolicyFields {
  const src = request.src_registry?.id ?? 0;
  const dest = request.dest_registry?.id ?? 0;
  if (src === 0 && dest === 0) throw new PolicyInvalidError('either src_registry or dest_registry must be a remote registry (the other side is this Wharf)');
  if (src !== 0 && dest !== 0) throw new PolicyInvalidError('src_registry and dest_registry cannot both be remote: one side must be this Wharf');
  const triggerType = request.trigger?.type || 'manual';
  if (!(TRIGGER_TYPES as readonly string[]).includes(triggerType)) throw new PolicyInvalidError(`invalid trigger type ${JSON.stringify(triggerType)}: manual, scheduled or event_based`);
  const cron = request.trigger?.trigger_settings?.cron?.trim() ?? '';
  if (triggerType === 'scheduled') validateCron(cron);
  const speed = request.speed ?? -1;
  if (speed < -1) throw new PolicyInvalidError('speed cannot be less than -1');
  const namespace = request.dest_namespace?.trim() ?? '';
  if (namespace && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(namespace)) {
    throw new PolicyInvalidError(`invalid dest_namespace ${JSON.stringify(namespace)}`);
  }
  return {
    name: request.name,
    description: request.description ?? '',
    srcRegistryId: src,
    destRegistryId: dest,
    destNamespace: namespace,
    destNamespaceReplaceCount: request.dest_namespace_replace_count ?? -1,
    trigger: { type: triggerType as TriggerType, cron: triggerType === 'scheduled' ? cron : '' },
    filters: (request.filters ?? []).map(toFilter),
    replicateDeletion: request.replicate_deletion ?? request.deletion ?? false,
    override: request.override ?? false,
    enabled: request.enabled ?? false,
    speed,
    copyByChunk: request.copy_by_chunk ?? false,
    singleActiveReplication: request.single_active_replication ?? false,
  };
}

/** Harbor's ReplicationPolicy view, with both registries (masked; the local Wharf as id 0). */
export function policyView(policy: ReplicationPolicy, src: Registry, dest: Registry) {
  return {
    id: policy.id,
    name: policy.name,
    description: policy.description,
    src_registry: registryView(src),
    dest_registry: registryView(dest),
    dest_namespace: policy.destNamespace,
    dest_namespace_replace_count: policy.destNamespaceReplaceCount,
    trigger: { type: policy.trigger.type, trigger_settings: { cron: policy.trigger.cron } },
    filters: policy.filters,
    replicate_deletion: policy.replicateDeletion,
    deletion: policy.replicateDeletion,
    override: policy.override,
    enabled: policy.enabled,
    speed: policy.speed,
    copy_by_chunk: policy.copyByChunk,
    single_active_replication: policy.singleActiveReplication,
    creation_time: policy.creationTime.toISOString(),
    update_time: policy.updateTime.toISOString(),
  };
}
