import { z } from 'zod';
import type { RoleId } from '../rbac/roles.js';
import type { ProjectRecord } from './project.store.js';

export const projectRequestSchema = z.object({
  project_name: z.string().max(255).optional(),
  public: z.boolean().nullable().optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.boolean(), z.null()])).optional(),
  cve_allowlist: z
    .object({
      items: z.array(z.object({ cve_id: z.string() })).optional(),
      expires_at: z.number().int().nullable().optional(),
    })
    .passthrough()
    .optional(),
  storage_limit: z.number().int().nullable().optional(),
  registry_id: z.number().int().nullable().optional(),
});

/** Harbor's Project. */
export function projectView(project: ProjectRecord, roles: readonly RoleId[] = []) {
  return {
    project_id: project.id,
    owner_id: project.ownerId ?? 0,
    name: project.name,
    creation_time: project.creationTime.toISOString(),
    update_time: project.updateTime.toISOString(),
    deleted: false,
    owner_name: project.ownerName,
    togglable: true,
    current_user_role_id: roles[0] ?? 0,
    current_user_role_ids: [...roles],
    repo_count: project.repoCount,
    metadata: project.metadata,
    cve_allowlist: {
      id: 0,
      project_id: project.id,
      expires_at: project.cveAllowlist.expiresAt,
      items: project.cveAllowlist.items,
      creation_time: project.creationTime.toISOString(),
      update_time: project.updateTime.toISOString(),
    },
  };
}

/** Harbor's ProjectSummary. */
export function summaryView(project: ProjectRecord, members: Record<number, number>, storageUsed: number) {
  return {
    repo_count: project.repoCount,
    project_admin_count: members[1] ?? 0,
    maintainer_count: members[4] ?? 0,
    developer_count: members[2] ?? 0,
    guest_count: members[3] ?? 0,
    limited_guest_count: members[5] ?? 0,
    quota: { hard: { storage: -1 }, used: { storage: storageUsed } },
  };
}
