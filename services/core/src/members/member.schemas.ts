import { z } from 'zod';
import { roleNames } from '../rbac/roles.js';
import type { MemberRecord } from './member.store.js';
import { rowIdSchema } from '../listing/db-range.js';

export const memberSchema = z.object({
  role_id: z.number().int().optional(),
  member_user: z.object({ user_id: rowIdSchema.optional(), username: z.string().optional() }).optional(),
  member_group: z.unknown().optional(),
});

export const roleSchema = z.object({ role_id: z.number().int() });

/** Harbor's ProjectMemberEntity. */
export function memberView(member: MemberRecord) {
  return {
    id: member.id,
    project_id: member.projectId,
    entity_name: member.entityName,
    role_name: roleNames[member.role],
    role_id: member.role,
    entity_id: member.entityId,
    entity_type: member.entityType,
  };
}
