import { randomBytes } from 'node:crypto';
import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import type { ProjectService } from '../projects/project.service.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { isSysadmin, type Principal, type RobotPermission } from '../rbac/principal.js';
import { meetsPasswordRule, PASSWORD_RULE, type PasswordHasher } from '../users/password-hasher.js';
import { RobotExistsError, RobotInvalidError, RobotNotFoundError } from './robot.errors.js';
import type { RobotRecord, RobotStore } from './robot.store.js';

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ACTIONS = new Set(['*', 'pull', 'push', 'create', 'read', 'update', 'delete', 'list', 'operate', 'scanner-pull', 'stop']);
const PROJECT_RESOURCES = new Set([
  '*', 'repository', 'artifact', 'tag', 'artifact-label', 'label', 'scan', 'sbom', 'scanner', 'accessory', 'artifact-addition', 'tag-retention',
  'immutable-tag', 'notification-policy', 'metadata', 'member', 'log', 'quota', 'robot', 'preheat-policy', 'export-cve', 'configuration',
]);
const SYSTEM_RESOURCES = new Set([
  '*', 'audit-log', 'catalog', 'project', 'user', 'user-group', 'registry', 'replication', 'replication-policy', 'replication-adapter',
  'distribution', 'garbage-collection', 'scan-all', 'system-volumes', 'purge-audit', 'jobservice-monitor', 'security-hub', 'ldap-user',
  'preheat-instance', 'label', 'robot', 'scanner', 'quota', 'export-cve',
]);
const DEFAULT_DURATION_DAYS = 30;

export interface RobotInput {
  name?: string;
  description?: string;
  secret?: string;
  level?: string;
  disable?: boolean;
  duration?: number | null;
  permissions?: { kind?: string; namespace?: string; access?: { resource?: string; action?: string; effect?: string }[] }[];
}

export interface RobotServiceDeps {
  robots: RobotStore;
  projects: ProjectService;
  hasher: PasswordHasher;
  logger: Logger;
  namePrefix: string;
  now?: () => Date;
}

/** Robot accounts (Harbor's robot v2): system or project level, permissions per project and action, secrets hashed at rest. */
export class RobotService {
  readonly #deps: RobotServiceDeps;
  readonly #now: () => Date;

  constructor(deps: RobotServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The name clients log in with: the prefix plus the stored name. */
  fullName(robot: RobotRecord): string {
    return `${this.#deps.namePrefix}${robot.name}`;
  }

  async create(principal: Principal, input: RobotInput): Promise<{ robot: RobotRecord; secret: string }> {
    const level = input.level === 'project' ? 'project' : input.level === 'system' ? 'system' : undefined;
    if (!level) throw new RobotInvalidError('level must be "system" or "project"');
    const name = (input.name ?? '').trim();
    if (!NAME.test(name) || name.length > 255) throw new RobotInvalidError('the robot name must be lower-case letters and digits, separated by single . _ or -');
    const permissions = this.#permissions(input.permissions, level);
    let stored = name;
    let projectId: number | null = null;
    if (level === 'project') {
      const project = await this.#deps.projects.require(principal, { name: permissions[0]!.namespace }, 'robot', 'create');
      stored = `${project.name}+${name}`;
      projectId = project.id;
    } else if (!isSysadmin(principal)) {
      throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError('only system admins may create system robot accounts');
    }
    const secret = input.secret ?? generateSecret();
    if (!meetsPasswordRule(secret)) throw new RobotInvalidError(`secret: ${PASSWORD_RULE}`);
    const duration = this.#duration(input.duration);
    const robot = await this.#deps.robots.create({
      name: stored,
      description: input.description ?? '',
      secretHash: await this.#deps.hasher.hash(secret),
      level,
      projectId,
      duration,
      expiresAt: this.#expiresAt(duration),
      disabled: input.disable ?? false,
      creatorType: principal.kind === 'robot' ? 'robot' : 'local',
      creatorRef: principal.kind === 'user' || principal.kind === 'robot' ? principal.id : 0,
      permissions,
    });
    if (!robot) throw new RobotExistsError(`${this.#deps.namePrefix}${stored}`);
    this.#deps.logger.info('robot account created', { robot: this.fullName(robot), level });
    return { robot, secret };
  }

  async list(principal: Principal, query: ListQuery): Promise<{ items: RobotRecord[]; total: number }> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (!isSysadmin(principal)) {
      const scope = query.conditions.find((c) => (c.key === 'ProjectID' || c.key === 'project_id') && c.kind === 'exact');
      if (!scope || scope.kind !== 'exact') throw new ForbiddenError('list the robots of one project with q=ProjectID=<id>');
      await this.#deps.projects.require(principal, { id: Number(scope.value) }, 'robot', 'list');
    }
    return this.#deps.robots.list(query);
  }

  async get(principal: Principal, id: number): Promise<RobotRecord> {
    return this.#authorized(principal, id, 'read');
  }

  async update(principal: Principal, id: number, input: RobotInput): Promise<void> {
    const robot = await this.#authorized(principal, id, 'update');
    if (input.level !== undefined && input.level !== robot.level) throw new RobotInvalidError('the level of a robot account cannot change');
    const permissions = input.permissions ? this.#permissions(input.permissions, robot.level) : robot.permissions;
    if (robot.level === 'project' && permissions[0]?.namespace !== robot.name.split('+')[0]) {
      throw new RobotInvalidError('a project robot account keeps the permissions of its own project');
    }
    const duration = input.duration !== undefined ? this.#duration(input.duration) : robot.duration;
    await this.#deps.robots.update(id, {
      description: input.description ?? robot.description,
      disabled: input.disable ?? robot.disabled,
      duration,
      expiresAt: duration === robot.duration ? robot.expiresAt : this.#expiresAt(duration),
      permissions,
    });
  }

  /**
   * Sets the given secret, or a generated one. Returns the generated secret (shown this
   * once), or '' when the caller chose it, as Harbor does.
   */
  async refreshSecret(principal: Principal, id: number, secret: string | undefined): Promise<string> {
    await this.#authorized(principal, id, 'update');
    const chosen = secret !== undefined && secret.length > 0;
    const next = chosen ? secret : generateSecret();
    if (!meetsPasswordRule(next)) throw new RobotInvalidError(`secret: ${PASSWORD_RULE}`);
    await this.#deps.robots.setSecret(id, await this.#deps.hasher.hash(next));
    return chosen ? '' : next;
  }

  async delete(principal: Principal, id: number): Promise<void> {
    await this.#authorized(principal, id, 'delete');
    await this.#deps.robots.delete(id);
  }

  /** Enabled and not expired. */
  usable(robot: RobotRecord): boolean {
    return !robot.disabled && (robot.expiresAt === -1 || robot.expiresAt * 1000 > this.#now().getTime());
  }

  async findByFullName(fullName: string): Promise<RobotRecord | undefined> {
    if (!fullName.startsWith(this.#deps.namePrefix)) return undefined;
    return this.#deps.robots.findByName(fullName.slice(this.#deps.namePrefix.length));
  }

  async findById(id: number): Promise<RobotRecord | undefined> {
    return this.#deps.robots.findById(id);
  }

  async #authorized(principal: Principal, id: number, action: 'read' | 'update' | 'delete'): Promise<RobotRecord> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    const robot = await this.#deps.robots.findById(id);
    if (!robot) throw new RobotNotFoundError(id);
    if (isSysadmin(principal)) return robot;
    if (robot.level === 'project' && robot.projectId !== null) {
      // A robot of a project the caller cannot see is not found; one they may not manage is forbidden.
      try {
        await this.#deps.projects.require(principal, { id: robot.projectId }, 'robot', action);
      } catch (error) {
        if (error instanceof ForbiddenError) throw error;
        throw new RobotNotFoundError(id);
      }
      return robot;
    }
    throw new ForbiddenError('only system admins may manage system robot accounts');
  }

  #permissions(input: RobotInput['permissions'], level: 'system' | 'project'): RobotPermission[] {
    if (!input || input.length === 0) throw new RobotInvalidError('a robot account needs at least one permission');
    const permissions = input.map((permission): RobotPermission => {
      const kind = permission.kind === 'system' ? 'system' : permission.kind === 'project' ? 'project' : undefined;
      if (!kind) throw new RobotInvalidError('permission kind must be "system" or "project"');
      const namespace = permission.namespace ?? '';
      if (kind === 'system' && namespace !== '/') throw new RobotInvalidError('a system permission has namespace "/"');
      if (kind === 'project' && !(namespace === '*' || NAME.test(namespace))) throw new RobotInvalidError('a project permission names a project or "*"');
      const resources = kind === 'system' ? SYSTEM_RESOURCES : PROJECT_RESOURCES;
      const access = (permission.access ?? []).map((entry): RobotPermission['access'][number] => {
        if (!entry.resource || !resources.has(entry.resource)) throw new RobotInvalidError(`unknown ${kind} resource ${entry.resource ?? ''}`);
        if (!entry.action || !ACTIONS.has(entry.action)) throw new RobotInvalidError(`unknown action ${entry.action ?? ''}`);
        const effect = entry.effect ?? 'allow';
        if (effect !== 'allow' && effect !== 'deny') throw new RobotInvalidError('effect must be "allow" or "deny"');
        return { resource: entry.resource, action: entry.action as RobotPermission['access'][number]['action'], effect };
      });
      if (access.length === 0) throw new RobotInvalidError('a permission needs at least one access entry');
      return { kind, namespace, access };
    });
    if (level === 'project' && (permissions.length !== 1 || permissions[0]!.kind !== 'project' || permissions[0]!.namespace === '*')) {
      throw new RobotInvalidError('a project robot account has exactly one permission, for its project');
    }
    return permissions;
  }

  #duration(duration: number | null | undefined): number {
    if (duration === undefined || duration === null || duration === 0) return DEFAULT_DURATION_DAYS;
    if (!Number.isInteger(duration) || (duration < 1 && duration !== -1)) throw new RobotInvalidError('duration is a number of days, or -1 for never');
    return duration;
  }

  #expiresAt(durationDays: number): number {
    return durationDays === -1 ? -1 : Math.floor(this.#now().getTime() / 1000) + durationDays * 86_400;
  }
}

function generateSecret(): string {
  for (;;) {
    const secret = randomBytes(24).toString('base64url').replace(/[-_]/g, '');
    if (meetsPasswordRule(secret)) return secret;
  }
}
