import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { HarborClient } from '@wharf/testing';

/**
 * What a Harbor user sets up and checks around a login/push/pull with a real client:
 * projects, members, robot accounts, the artifacts listing and the pull statistics.
 * Every helper goes through the public Harbor API (`/api/v2.0`) as the given client.
 */

/** Harbor's project role ids. */
export const ROLE = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
export type RoleName = keyof typeof ROLE;

export interface Credentials {
  username: string;
  password: string;
}

/** Harbor shows "never pulled" as the zero time. */
export const NEVER_PULLED = '0001-01-01T00:00:00.000Z';

/** A password that meets Harbor's rule (8+ characters, upper, lower and a digit). */
export const MEMBER_PASSWORD = 'Member-Passw0rd';

export interface ArtifactView {
  digest: string;
  type: string;
  media_type: string;
  manifest_media_type: string;
  push_time: string;
  pull_time: string;
  tags?: { name: string; pull_time: string }[] | null;
  references?: { child_digest: string; platform?: { os: string; architecture: string } }[];
}

export interface RepositoryView {
  name: string;
  artifact_count: number;
  pull_count: number;
}

/** Fails with a message naming the Debian package when a client the test drives is not installed. */
export function requireCommands(commands: Record<string, string>): void {
  const missing = Object.entries(commands).filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    throw new Error(`these tests drive ${missing.map(([c]) => c).join(', ')}, which is not installed (Debian: apt-get install -y --no-install-recommends ${packages})`);
  }
}

/** Creates a public or private project; returns its id. */
export async function createProject(admin: HarborClient, name: string, visibility: 'public' | 'private'): Promise<number> {
  return admin.createProject(name, { public: visibility === 'public' });
}

/** Creates a user and makes it a member of each project with the role given there. */
export async function createMember(admin: HarborClient, username: string, roles: Record<string, RoleName>, password = MEMBER_PASSWORD): Promise<Credentials> {
  await admin.createUser(username, password);
  for (const [project, role] of Object.entries(roles)) await admin.addMember(project, username, ROLE[role]);
  const members = await admin.get<{ entity_name: string; role_id: number }[]>(`/projects/${Object.keys(roles)[0]}/members?entityname=${username}`);
  const member = members.body.find((m) => m.entity_name === username);
  if (!member) throw new Error(`${username} is not listed as a member after being added: ${members.status} ${members.text}`);
  return { username, password };
}

/**
 * Creates a project-level robot account (Harbor's robot v2, `POST /api/v2.0/robots`) that
 * may only pull the project's repositories; returns the name clients log in with
 * (`robot$<project>+<name>`) and the secret, which Harbor shows only this once.
 */
export async function createPullRobot(admin: HarborClient, project: string, name: string): Promise<Credentials> {
  const robot = await admin.createRobot({
    name,
    level: 'project',
    duration: 30,
    description: 'pulls in the end-to-end tests',
    permissions: [{ kind: 'project', namespace: project, access: [{ resource: 'repository', action: 'pull' }] }],
  });
  if (!robot.secret || !robot.name.includes(project)) throw new Error(`the robot answer lacks its name or secret: ${JSON.stringify(robot)}`);
  return { username: robot.name, password: robot.secret };
}

/** Harbor expects a `/` inside a repository name to be encoded twice in API paths. */
function repositoryPath(project: string, repository: string): string {
  return `/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(repository))}`;
}

/** `GET /projects/{p}/repositories/{r}`; undefined when the repository does not exist. */
export async function getRepository(admin: HarborClient, project: string, repository: string): Promise<RepositoryView | undefined> {
  const answer = await admin.get<RepositoryView>(repositoryPath(project, repository));
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new Error(`reading repository ${project}/${repository} answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** Every artifact of a repository with its tags (`with_tag=true`), newest first as Harbor lists them. */
export async function listArtifacts(admin: HarborClient, project: string, repository: string): Promise<ArtifactView[]> {
  const answer = await admin.get<ArtifactView[]>(`${repositoryPath(project, repository)}/artifacts?with_tag=true&page_size=100`);
  if (answer.status !== 200) throw new Error(`listing artifacts of ${project}/${repository} answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** digest → sorted tag names, for every artifact of the repository (untagged ones map to []). */
export async function tagsByDigest(admin: HarborClient, project: string, repository: string): Promise<Record<string, string[]>> {
  const artifacts = await listArtifacts(admin, project, repository);
  return Object.fromEntries(artifacts.map((a) => [a.digest, (a.tags ?? []).map((t) => t.name).sort()]));
}

/** Polls `read` until `done` holds or the time is up; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Pull events travel asynchronously (registry-facade → core): waits, for a bounded time,
 * until the repository's pull_count reaches `atLeast`, and returns what it then shows.
 */
export async function waitForPullCount(admin: HarborClient, project: string, repository: string, atLeast: number, timeoutMs = 20_000): Promise<number> {
  const seen = await eventually(
    async () => (await getRepository(admin, project, repository))?.pull_count ?? 0,
    (count) => count >= atLeast,
    timeoutMs,
  );
  if (seen < atLeast) throw new Error(`pull_count of ${project}/${repository} is ${seen} after ${timeoutMs / 1000}s, expected at least ${atLeast}`);
  return seen;
}

/** Waits until the artifact shows a pull time (it starts as "never"); returns the artifact. */
export async function waitForPullTime(admin: HarborClient, project: string, repository: string, digest: string, timeoutMs = 20_000): Promise<ArtifactView> {
  const read = async () => (await listArtifacts(admin, project, repository)).find((a) => a.digest === digest);
  const artifact = await eventually(read, (a) => a !== undefined && a.pull_time !== NEVER_PULLED, timeoutMs);
  if (!artifact) throw new Error(`${project}/${repository} lists no artifact ${digest}`);
  if (artifact.pull_time === NEVER_PULLED) throw new Error(`${project}/${repository}@${digest} still shows no pull time after ${timeoutMs / 1000}s`);
  return artifact;
}

/**
 * `podman login` / `skopeo login` (the containers tools share the auth file format): a wrong
 * admin password is refused and stores nothing, the right one prints "Login Succeeded" and
 * stores the host in the auth file.
 */
export async function expectContainersLogin(
  login: (as: 'admin' | 'anonymous', credentials: Credentials) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  options: { adminPassword: string; authFile: string; host: string },
): Promise<void> {
  const refused = await login('anonymous', { username: 'admin', password: 'not-the-password' });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/invalid username\/password/);

  const loggedIn = await login('admin', { username: 'admin', password: options.adminPassword });
  expect(loggedIn.code, loggedIn.stderr).toBe(0);
  expect(loggedIn.stdout).toContain('Login Succeeded');
  const stored = JSON.parse(await readFile(options.authFile, 'utf8')) as { auths: Record<string, unknown> };
  expect(Object.keys(stored.auths)).toContain(options.host);
}
