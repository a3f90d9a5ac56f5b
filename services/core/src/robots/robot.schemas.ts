import { z } from 'zod';
import type { RobotRecord } from './robot.store.js';
import { INT4_MAX } from '../listing/db-range.js';

const accessSchema = z.object({ resource: z.string().optional(), action: z.string().optional(), effect: z.string().optional() });
const permissionSchema = z.object({ kind: z.string().optional(), namespace: z.string().optional(), access: z.array(accessSchema).optional() });

export const robotCreateSchema = z.object({
  name: z.string().max(255).optional(),
  description: z.string().max(1024).optional(),
  secret: z.string().max(128).optional(),
  level: z.string().optional(),
  disable: z.boolean().optional(),
  // Days, stored in an int4 column; the expiry (seconds since the epoch) then fits its bigint one.
  duration: z.number().int().max(INT4_MAX, `duration is at most ${INT4_MAX} days`).nullable().optional(),
  permissions: z.array(permissionSchema).optional(),
});

export const robotUpdateSchema = robotCreateSchema.passthrough();

export const robotSecretSchema = z.object({ secret: z.string().max(128).optional() });

/** Harbor's Robot; the secret is never shown again after creation or refresh. */
export function robotView(robot: RobotRecord, fullName: string) {
  return {
    id: robot.id,
    name: fullName,
    description: robot.description,
    secret: '',
    level: robot.level,
    duration: robot.duration,
    editable: true,
    disable: robot.disabled,
    expires_at: robot.expiresAt,
    permissions: robot.permissions,
    creator_type: robot.creatorType,
    creator_ref: robot.creatorRef,
    creation_time: robot.creationTime.toISOString(),
    update_time: robot.updateTime.toISOString(),
  };
}
