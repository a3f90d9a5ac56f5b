import { INTERNAL_TOKEN_SUBJECT } from '@wharf/contracts';
import type { Action } from './roles.js';

/** One entry of a robot's permissions (Harbor's RobotPermission). */
export interface RobotPermission {
  kind: 'project' | 'system';
  /** A project name, `*` for every project, or `/` for system permissions. */
  namespace: string;
  access: { resource: string; action: Action | '*'; effect?: 'allow' | 'deny' }[];
}

/** Who is asking (Harbor's security context). */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: number; username: string; sysadmin: boolean }
  | { kind: 'robot'; id: number; name: string; level: 'system' | 'project'; projectId: number | null; permissions: readonly RobotPermission[] }
  /** Another service of the suite (`Authorization: Harbor-Secret`). */
  | { kind: 'internal' };

export const anonymous: Principal = { kind: 'anonymous' };

export function isSysadmin(principal: Principal): boolean {
  return (principal.kind === 'user' && principal.sysadmin) || principal.kind === 'internal';
}

/** The name the audit log and tokens use for the principal. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'internal':
      return INTERNAL_TOKEN_SUBJECT;
    case 'user':
      return principal.username;
    case 'robot':
      return principal.name;
  }
}
