import { z } from 'zod';
import type { UserRecord } from './user.store.js';

export const userCreationSchema = z.object({
  username: z.string().max(255),
  email: z.string().max(255).optional(),
  realname: z.string().max(255).optional(),
  comment: z.string().max(1024).optional(),
  password: z.string().max(128),
});

export const userProfileSchema = z.object({
  email: z.string().max(255).optional(),
  realname: z.string().max(255).optional(),
  comment: z.string().max(1024).optional(),
});

export const passwordChangeSchema = z.object({
  old_password: z.string().max(128).optional(),
  new_password: z.string().max(128),
});

export const sysadminSchema = z.object({ sysadmin_flag: z.boolean() });

/** Harbor's UserResp. */
export function userView(user: UserRecord) {
  return {
    user_id: user.id,
    username: user.username,
    email: user.email,
    realname: user.realname,
    comment: user.comment,
    sysadmin_flag: user.sysadmin,
    admin_role_in_auth: false,
    creation_time: user.creationTime.toISOString(),
    update_time: user.updateTime.toISOString(),
  };
}
