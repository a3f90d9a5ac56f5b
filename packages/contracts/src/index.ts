export { JOB_KINDS, JOB_STATUSES, canMoveJobStatus, isFinalJobStatus, jobStatusCode, type JobKind, type JobStatus } from './job-status.js';
export { JobMetadataV1, JobRequestV1 } from './job-request.v1.js';
export { JobAckV1, JobStatsEnvelopeV1, JobStatsV1 } from './job-stats.v1.js';
export { JobStatusHookV1 } from './job-status-hook.v1.js';
export { harborSecretHeader, INTERNAL_TOKEN_SUBJECT, parseHarborSecret } from './harbor-secret.js';
export { filterArtifacts, globMatch, ReplicationFilterV1, repositoryMatches, tagMatches, type FilterableArtifact } from './replication-filter.v1.js';
export { RegistryEventsResultV1 } from './registry-events.v1.js';
