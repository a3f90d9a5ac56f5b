import { z } from 'zod';
import type { RepositoryRecord } from './repository.store.js';

export const repositoryUpdateSchema = z.object({ description: z.string().max(4096).optional() }).passthrough();

/** Harbor's Repository. */
export function repositoryView(repository: RepositoryRecord) {
  return {
    id: repository.id,
    project_id: repository.projectId,
    name: repository.name,
    description: repository.description,
    artifact_count: repository.artifactCount,
    pull_count: repository.pullCount,
    creation_time: repository.creationTime.toISOString(),
    update_time: repository.updateTime.toISOString(),
  };
}
