export { JOB_KINDS, JOB_STATUSES, canMoveJobStatus, isFinalJobStatus, jobStatusCode, type JobKind, type JobStatus } from './job-status.js';
export { JobActionV1, JobMetadataV1, JobRequestV1 } from './job-request.v1.js';
export { JobAckV1, JobStatsEnvelopeV1, JobStatsV1 } from './job-stats.v1.js';
export { JobStatusHookV1 } from './job-status-hook.v1.js';
export {
  COPY_PROGRESS_MEDIA_TYPE,
  CopyProgressLineV1,
  GcJobParamsV1,
  ReplicationCopyRequestV1,
  ReplicationDeleteRequestV1,
  ReplicationJobParamsV1,
  SchedulerJobParamsV1,
  type ReplicationCopyRequestV1Input,
  type ReplicationDeleteRequestV1Input,
} from './job-parameters.v1.js';
export { harborSecretHeader, INTERNAL_TOKEN_SUBJECT, parseHarborSecret } from './harbor-secret.js';
export { filterArtifacts, globMatch, ReplicationFilterV1, repositoryMatches, tagMatches, type FilterableArtifact } from './replication-filter.v1.js';
export {
  AdapterDescriptorV1,
  AdapterPatternV1,
  PlacedResourceV1,
  PrepareRequestV1,
  RegistryCredentialV1,
  RegistryEndpointV1,
  RegistryHealthV1,
  RegistryInfoV1,
  RegistryRequestV1,
  ResourceArtifactV1,
  ResourcesRequestV1,
  ResourcesResultV1,
  ResourceV1,
  type PlacedResourceV1Input,
  type RegistryEndpointV1Input,
  type ResourceV1Input,
} from './replication-resource.v1.js';
export { REGISTRY_EVENT_ACTIONS, REGISTRY_EVENTS_MEDIA_TYPE, RegistryEventsResultV1, RegistryEventsV1, RegistryEventV1, type RegistryEventActionV1 } from './registry-events.v1.js';
export { REGISTRY_ACCESS_PATH, REGISTRY_ACCESS_RELAYED_HEADERS, RegistryAccessRequestV1, type RegistryAccessDecisionV1 } from './registry-access.v1.js';
