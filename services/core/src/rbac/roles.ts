/** Harbor's project roles (src/common/const.go). */
export const Role = {
  ProjectAdmin: 1,
  Developer: 2,
  Guest: 3,
  Maintainer: 4,
  LimitedGuest: 5,
} as const;

export type RoleId = (typeof Role)[keyof typeof Role];

export const roleNames: Readonly<Record<RoleId, string>> = {
  1: 'projectAdmin',
  2: 'developer',
  3: 'guest',
  4: 'maintainer',
  5: 'limitedGuest',
};

export function isRoleId(value: unknown): value is RoleId {
  return value === 1 || value === 2 || value === 3 || value === 4 || value === 5;
}

export type ProjectResource =
  | 'project'
  | 'member'
  | 'metadata'
  | 'log'
  | 'label'
  | 'quota'
  | 'repository'
  | 'tag-retention'
  | 'immutable-tag'
  | 'configuration'
  | 'robot'
  | 'notification-policy'
  | 'scan'
  | 'sbom'
  | 'scanner'
  | 'artifact'
  | 'artifact-addition'
  | 'tag'
  | 'accessory'
  | 'artifact-label'
  | 'preheat-policy'
  | 'export-cve';

export type Action = 'create' | 'read' | 'update' | 'delete' | 'list' | 'pull' | 'push' | 'operate' | 'stop' | 'scanner-pull';

type Grants = Partial<Record<ProjectResource, readonly Action[]>>;

const C = 'create', R = 'read', U = 'update', D = 'delete', L = 'list';

/** Maintainer's grants; projectAdmin adds member, metadata, log, robot, webhook and preheat management. */
const maintainer: Grants = {
  project: [R],
  member: [R, L],
  metadata: [R],
  label: [C, R, U, D, L],
  quota: [R],
  repository: [C, R, U, D, L, 'pull', 'push'],
  'tag-retention': [C, R, U, D, L, 'operate'],
  'immutable-tag': [C, U, D, L],
  configuration: [R],
  robot: [R, L],
  'notification-policy': [R, L],
  scan: [C, R, 'stop'],
  sbom: [C, R, 'stop'],
  scanner: [R],
  artifact: [C, R, D, L],
  'artifact-addition': [R],
  tag: [C, D, L],
  accessory: [L],
  'artifact-label': [C, D],
  'export-cve': [C, R, L],
};

/**
 * Harbor's project permission matrix (src/common/rbac/project/rbac_role.go), role by role.
 * C/R/U/D/L plus pull/push on repositories.
 */
export const rolePolicies: Readonly<Record<RoleId, Grants>> = {
  [Role.ProjectAdmin]: {
    ...maintainer,
    project: [R, U, D],
    member: [C, R, U, D, L],
    metadata: [C, R, U, D],
    log: [L],
    quota: [R],
    configuration: [R, U],
    robot: [C, R, U, D, L],
    'notification-policy': [C, R, U, D, L],
    scanner: [R, C],
    'preheat-policy': [C, R, U, D, L],
  },
  [Role.Maintainer]: maintainer,
  [Role.Developer]: {
    project: [R],
    member: [R, L],
    label: [R, L],
    quota: [R],
    repository: [C, R, U, L, 'pull', 'push'],
    'tag-retention': [C, R, U, D, L, 'operate'],
    configuration: [R],
    robot: [R, L],
    scan: [R],
    sbom: [R],
    scanner: [R],
    artifact: [C, R, L],
    'artifact-addition': [R],
    tag: [C, L],
    accessory: [L],
    'artifact-label': [C, D],
    'export-cve': [C, R, L],
  },
  [Role.Guest]: {
    project: [R],
    member: [R, L],
    label: [R, L],
    quota: [R],
    repository: [R, L, 'pull'],
    configuration: [R],
    robot: [R, L],
    scan: [R],
    sbom: [R],
    scanner: [R],
    artifact: [R, L],
    'artifact-addition': [R],
    tag: [L],
    accessory: [L],
  },
  [Role.LimitedGuest]: {
    project: [R],
    quota: [R],
    repository: [R, L, 'pull'],
    configuration: [R],
    scan: [R],
    sbom: [R],
    scanner: [R],
    artifact: [R, L],
    'artifact-addition': [R],
    tag: [L],
    accessory: [L],
  },
};

/** What anyone, anonymous included, may do in a public project (src/common/rbac/project/rbac_util.go). */
export const publicProjectPolicies: Grants = {
  project: [R],
  repository: [L, 'pull', R],
  artifact: [R, L],
  'artifact-addition': [R],
  tag: [L],
  accessory: [L],
  scan: [R],
  sbom: [R],
  scanner: [R],
};

export function roleAllows(role: RoleId, resource: ProjectResource, action: Action): boolean {
  return rolePolicies[role][resource]?.includes(action) ?? false;
}

export function publicAllows(resource: ProjectResource, action: Action): boolean {
  return publicProjectPolicies[resource]?.includes(action) ?? false;
}
