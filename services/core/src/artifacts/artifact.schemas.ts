import { z } from 'zod';
import type { ArtifactRecord, TagRecord } from './artifact.store.js';

/** Harbor shows "never" as the zero time. */
const NEVER = '0001-01-01T00:00:00.000Z';

export const newTagSchema = z.object({ name: z.string().min(1).max(128) });

export function tagView(tag: TagRecord) {
  return {
    id: tag.id,
    repository_id: tag.repositoryId,
    artifact_id: tag.artifactId,
    name: tag.name,
    push_time: tag.pushTime.toISOString(),
    pull_time: tag.pullTime?.toISOString() ?? NEVER,
    immutable: false,
  };
}

export interface ArtifactViewOptions {
  withTag: boolean;
  withLabel: boolean;
  /** `/api/v2.0/projects/{p}/repositories/{r}` for the addition links. */
  basePath: string;
}

/** Harbor's Artifact. */
export function artifactView(artifact: ArtifactRecord, options: ArtifactViewOptions) {
  const view: Record<string, unknown> = {
    id: artifact.id,
    type: artifact.type,
    media_type: artifact.mediaType,
    manifest_media_type: artifact.manifestMediaType,
    project_id: artifact.projectId,
    repository_id: artifact.repositoryId,
    repository_name: artifact.repositoryName,
    digest: artifact.digest,
    size: artifact.size,
    icon: '',
    push_time: artifact.pushTime.toISOString(),
    pull_time: artifact.pullTime?.toISOString() ?? NEVER,
    extra_attrs: artifact.extraAttrs,
    annotations: artifact.annotations,
    references: artifact.references.map((reference) => ({
      parent_id: reference.parentId,
      child_id: reference.childId ?? 0,
      child_digest: reference.childDigest,
      ...(reference.platform ? { platform: reference.platform } : {}),
      ...(reference.annotations ? { annotations: reference.annotations } : {}),
      ...(reference.urls ? { urls: reference.urls } : {}),
    })),
    addition_links:
      artifact.type === 'IMAGE' && artifact.references.length === 0
        ? {
            build_history: { href: `${options.basePath}/artifacts/${artifact.digest}/additions/build_history`, absolute: false },
            vulnerabilities: { href: `${options.basePath}/artifacts/${artifact.digest}/additions/vulnerabilities`, absolute: false },
          }
        : {},
  };
  if (artifact.artifactType) view.artifact_type = artifact.artifactType;
  if (options.withTag) view.tags = artifact.tags.map(tagView);
  if (options.withLabel) view.labels = [];
  return view;
}
