import { createTestArtifact, createTestImage, createTestIndex, type ApiResponse, type HarborClient } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarborOpenApi, parseLinks } from '../src/harbor-openapi.js';
import { startSuite, type Suite } from '../src/suite.js';

/**
 * Harbor API v2.0 contract: every answer of core, success or error, validates against the
 * schema Harbor's own swagger declares for its path, method and status, and carries the
 * headers Harbor documents (X-Total-Count and Link on lists, Location on creates).
 */

const api = new HarborOpenApi();
const PASSWORD = 'Contract-Pass-1';
const P = '/projects/{project_name_or_id}';
const REPOS = '/projects/{project_name}/repositories';
const REPO = `${REPOS}/{repository_name}`;
const ARTIFACTS = `${REPO}/artifacts`;
const ARTIFACT = `${ARTIFACTS}/{reference}`;
const TAGS = `${ARTIFACT}/tags`;
const ROBOT = '/robots/{robot_id}';

/** The status first (with the body in the message), then the answer against Harbor's swagger. */
function expectAnswer(response: ApiResponse, method: string, template: string, status: number): void {
  expect(response.status, `${method} ${template} answered ${response.status}: ${response.text.slice(0, 400)}`).toBe(status);
  expect(api.problems(method, template, response), `${method} ${template} → ${response.status} against Harbor's swagger`).toEqual([]);
}

/** A 201 whose Location is the new resource's path under /api/v2.0. */
function expectLocation(response: ApiResponse, pattern: RegExp): string {
  const location = response.headers.get('location');
  expect(location, 'a 201 create carries Location').toMatch(pattern);
  return location!;
}

function totalOf(response: ApiResponse): number {
  return Number(response.headers.get('x-total-count'));
}

const idOf = (location: string) => Number(location.split('/').pop());

describe('Harbor API v2.0 contract of core', () => {
  let suite: Suite;
  let admin: HarborClient;
  let anonymous: HarborClient;
  let alice: HarborClient;
  let bob: HarborClient;
  let gina: HarborClient;
  const ids = { alice: 0, bob: 0, gina: 0, project: 0 };
  const digests = { app: '', nested: '', multi: '', old: '', artifact: '' };

  beforeAll(async () => {
    suite = await startSuite('core-api-contract');
    admin = suite.admin;
    anonymous = admin.anonymous();
    ids.alice = await admin.createUser('alice', PASSWORD);
    ids.bob = await admin.createUser('bob', PASSWORD);
    ids.gina = await admin.createUser('gina', PASSWORD);
    alice = admin.as('alice', PASSWORD);
    bob = admin.as('bob', PASSWORD);
    gina = admin.as('gina', PASSWORD);
    ids.project = await admin.createProject('contract');
    await admin.createProject('contract-public', { public: true });
    await admin.addMember('contract', 'alice', 2);
    await admin.addMember('contract', 'gina', 3);

    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, [
      'repository:contract/app:pull,push',
      'repository:contract/team/app:pull,push',
      'repository:contract/multi:pull,push',
      'repository:contract/doomed:pull,push',
      'repository:contract/notes:pull,push',
    ]);
    const app = createTestImage({ layers: 1 });
    const old = createTestImage({ layers: 1 });
    const nested = createTestImage({ layers: 1 });
    const platforms = [createTestImage({ layers: 1 }), createTestImage({ layers: 1, platform: { os: 'linux', architecture: 'arm64' } })];
    await registry.pushImage('contract/app', app, 'v1');
    await registry.pushImage('contract/app', old, 'old');
    await registry.pushImage('contract/team/app', nested, 'v1');
    await registry.pushImage('contract/doomed', createTestImage({ layers: 1 }), 'v1');
    const artifact = createTestArtifact({ artifactType: 'application/vnd.wharf.contract.notes+json', annotations: { 'org.opencontainers.image.title': 'notes' } });
    await registry.pushImage('contract/notes', artifact, 'v1');
    for (const image of platforms) await registry.pushImage('contract/multi', image, image.manifest.digest);
    const index = createTestIndex(platforms);
    const pushed = await registry.pushManifest('contract/multi', 'latest', index);
    if (pushed.status !== 201) throw new Error(`index push answered ${pushed.status}`);
    Object.assign(digests, { app: app.manifest.digest, old: old.manifest.digest, nested: nested.manifest.digest, multi: index.digest, artifact: artifact.manifest.digest });
  });
  afterAll(async () => suite?.stop());

  describe('system', () => {
    it('answers GET /api/version with {"version":"v2.0"}', async () => {
      const response = await anonymous.request('GET', '/api/version');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toEqual({ version: 'v2.0' });
    });

    it('reports health, pong and system info the way Harbor\'s schema describes them', async () => {
      const health = await anonymous.get('/health', { 'X-Request-Id': 'contract-health-1' });
      expectAnswer(health, 'GET', '/health', 200);
      expect(health.headers.get('x-request-id')).toBe('contract-health-1');
      const ping = await anonymous.get('/ping');
      expectAnswer(ping, 'GET', '/ping', 200);
      expect(ping.text).toBe('Pong');
      expectAnswer(await anonymous.get('/systeminfo'), 'GET', '/systeminfo', 200);
      expectAnswer(await admin.get('/systeminfo'), 'GET', '/systeminfo', 200);
    });
  });

  describe('users', () => {
    it('lists users with X-Total-Count and Links to the next and previous pages', async () => {
      const first = await admin.get('/users?page=1&page_size=1');
      expectAnswer(first, 'GET', '/users', 200);
      expect(totalOf(first)).toBeGreaterThanOrEqual(4);
      const links = parseLinks(first.headers.get('link'));
      expect(links.next, `Link: ${first.headers.get('link')}`).toMatch(/^\/api\/v2\.0\/users\?.*page=2/);
      expect(links.prev).toBeUndefined();
      const second = await admin.request('GET', links.next!);
      expectAnswer(second, 'GET', '/users', 200);
      expect(second.body).toHaveLength(1);
      expect(parseLinks(second.headers.get('link')).prev).toMatch(/page=1/);
    });

    it('refuses the user list to anonymous callers with 401 and to non-admins with 403', async () => {
      expectAnswer(await anonymous.get('/users'), 'GET', '/users', 401);
      expectAnswer(await bob.get('/users'), 'GET', '/users', 403);
    });

    it('creates a user with a Location that leads to it', async () => {
      const created = await admin.post('/users', { username: 'dave', password: PASSWORD, email: 'dave@example.com', realname: 'Dave' });
      expectAnswer(created, 'POST', '/users', 201);
      const location = expectLocation(created, /^\/api\/v2\.0\/users\/\d+$/);
      const user = await admin.request<{ username: string }>('GET', location);
      expectAnswer(user, 'GET', '/users/{user_id}', 200);
      expect(user.body.username).toBe('dave');
    });

    it('refuses a taken username with 409, a weak password with 400, anonymous with 401 and non-admins with 403', async () => {
      expectAnswer(await admin.post('/users', { username: 'alice', password: PASSWORD, email: 'other@example.com' }), 'POST', '/users', 409);
      expectAnswer(await admin.post('/users', { username: 'weak', password: 'short', email: 'weak@example.com' }), 'POST', '/users', 400);
      expectAnswer(await anonymous.post('/users', { username: 'anon', password: PASSWORD, email: 'anon@example.com' }), 'POST', '/users', 401);
      expectAnswer(await bob.post('/users', { username: 'bobs', password: PASSWORD, email: 'bobs@example.com' }), 'POST', '/users', 403);
    });

    it('shows the signed-in user at /users/current and answers anonymous callers with 401', async () => {
      const current = await alice.get<{ username: string }>('/users/current');
      expectAnswer(current, 'GET', '/users/current', 200);
      expect(current.body.username).toBe('alice');
      expectAnswer(await admin.get('/users/current'), 'GET', '/users/current', 200);
      expectAnswer(await anonymous.get('/users/current'), 'GET', '/users/current', 401);
    });

    it('answers GET /users/current with 412 for a robot account, which is no user', async () => {
      const robot = await admin.createRobot({
        name: 'whoami',
        level: 'system',
        duration: -1,
        permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'project', action: 'list' }] }],
      });
      expectAnswer(await admin.as(robot.name, robot.secret).get('/users/current'), 'GET', '/users/current', 412);
    });

    it('shows a user to admins and to the user, 403 to others, 401 to anonymous, 404 for an unknown id', async () => {
      expectAnswer(await admin.get(`/users/${ids.alice}`), 'GET', '/users/{user_id}', 200);
      expectAnswer(await alice.get(`/users/${ids.alice}`), 'GET', '/users/{user_id}', 200);
      expectAnswer(await bob.get(`/users/${ids.alice}`), 'GET', '/users/{user_id}', 403);
      expectAnswer(await anonymous.get(`/users/${ids.alice}`), 'GET', '/users/{user_id}', 401);
      expectAnswer(await admin.get('/users/987654'), 'GET', '/users/{user_id}', 404);
    });

    it('updates a profile with 200 and no body; 400 for a bad email, 403 for others, 404 for an unknown id', async () => {
      expectAnswer(await alice.put(`/users/${ids.alice}`, { email: 'alice@example.org', realname: 'Alice A.', comment: 'contract' }), 'PUT', '/users/{user_id}', 200);
      const updated = await admin.get<{ email: string; realname: string }>(`/users/${ids.alice}`);
      expect(updated.body).toMatchObject({ email: 'alice@example.org', realname: 'Alice A.' });
      expectAnswer(await admin.put(`/users/${ids.alice}`, { email: 'not-an-email' }), 'PUT', '/users/{user_id}', 400);
      expectAnswer(await bob.put(`/users/${ids.alice}`, { realname: 'Mallory' }), 'PUT', '/users/{user_id}', 403);
      expectAnswer(await anonymous.put(`/users/${ids.alice}`, { realname: 'Mallory' }), 'PUT', '/users/{user_id}', 401);
      expectAnswer(await admin.put('/users/987654', { realname: 'Nobody' }), 'PUT', '/users/{user_id}', 404);
    });

    it('changes a password with 200 for its owner; 400 for a weak one, 403 for someone else, 401 anonymous', async () => {
      const erin = await admin.createUser('erin', PASSWORD);
      const next = 'Contract-Pass-2';
      expectAnswer(await admin.as('erin', PASSWORD).put(`/users/${erin}/password`, { old_password: PASSWORD, new_password: next }), 'PUT', '/users/{user_id}/password', 200);
      expectAnswer(await admin.as('erin', next).get('/users/current'), 'GET', '/users/current', 200);
      expectAnswer(await admin.put(`/users/${erin}/password`, { new_password: 'weak' }), 'PUT', '/users/{user_id}/password', 400);
      expectAnswer(await bob.put(`/users/${erin}/password`, { old_password: next, new_password: 'Contract-Pass-3' }), 'PUT', '/users/{user_id}/password', 403);
      expectAnswer(await anonymous.put(`/users/${erin}/password`, { new_password: 'Contract-Pass-3' }), 'PUT', '/users/{user_id}/password', 401);
    });

    it('answers 403 "current password is incorrect" when users change their own password with a wrong old one', async () => {
      const frank = await admin.createUser('frank', PASSWORD);
      const response = await admin.as('frank', PASSWORD).put(`/users/${frank}/password`, { old_password: 'Wrong-Pass-9', new_password: 'Contract-Pass-2' });
      expectAnswer(response, 'PUT', '/users/{user_id}/password', 403);
    });

    it('searches users by name with X-Total-Count and a next Link, and answers anonymous callers with 401', async () => {
      const found = await bob.get<{ user_id: number; username: string }[]>('/users/search?username=ali');
      expectAnswer(found, 'GET', '/users/search', 200);
      expect(found.body.map((u) => u.username)).toContain('alice');
      expect(totalOf(found)).toBe(found.body.length);
      const paged = await admin.get('/users/search?username=a&page=1&page_size=1');
      expectAnswer(paged, 'GET', '/users/search', 200);
      expect(totalOf(paged)).toBeGreaterThan(1);
      expect(parseLinks(paged.headers.get('link')).next).toMatch(/page=2/);
      expectAnswer(await anonymous.get('/users/search?username=ali'), 'GET', '/users/search', 401);
    });

    it('deletes a user with 200, then answers 404; 403 for non-admins and 401 for anonymous callers', async () => {
      const doomed = await admin.createUser('doomed', PASSWORD);
      expectAnswer(await bob.delete(`/users/${doomed}`), 'DELETE', '/users/{user_id}', 403);
      expectAnswer(await anonymous.delete(`/users/${doomed}`), 'DELETE', '/users/{user_id}', 401);
      expectAnswer(await admin.delete(`/users/${doomed}`), 'DELETE', '/users/{user_id}', 200);
      expectAnswer(await admin.delete(`/users/${doomed}`), 'DELETE', '/users/{user_id}', 404);
      expectAnswer(await admin.get(`/users/${doomed}`), 'GET', '/users/{user_id}', 404);
    });
  });

  describe('projects', () => {
    it('lists projects with X-Total-Count and a next Link, for admins and for anonymous callers', async () => {
      const first = await admin.get<{ name: string }[]>('/projects?page=1&page_size=1');
      expectAnswer(first, 'GET', '/projects', 200);
      expect(totalOf(first)).toBeGreaterThanOrEqual(2);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/projects\?.*page=2/);
      expectAnswer(await admin.request('GET', next!), 'GET', '/projects', 200);
      const all = await admin.get('/projects?page_size=100');
      expectAnswer(all, 'GET', '/projects', 200);
      expect(all.headers.get('link')).toBeNull();
      const visible = await anonymous.get<{ name: string }[]>('/projects');
      expectAnswer(visible, 'GET', '/projects', 200);
      expect(visible.body.map((p) => p.name)).toEqual(['contract-public']);
    });

    it('refuses a malformed q with 400 in the error envelope', async () => {
      expectAnswer(await admin.get('/projects?q=bogus'), 'GET', '/projects', 400);
      expectAnswer(await admin.get('/repositories?q=bogus'), 'GET', '/repositories', 400);
      expectAnswer(await admin.get('/audit-logs?q=bogus'), 'GET', '/audit-logs', 400);
      expectAnswer(await admin.get('/projects/contract/repositories?q=bogus'), 'GET', REPOS, 400);
    });

    it('refuses page_size above 100 with 422, as Harbor\'s parameter validation does', async () => {
      expectAnswer(await admin.get('/projects?page_size=101'), 'GET', '/projects', 422);
      expectAnswer(await admin.get('/projects/contract/repositories?page_size=101'), 'GET', REPOS, 422);
      expectAnswer(await admin.get('/projects/contract/repositories/app/artifacts?page_size=101'), 'GET', ARTIFACTS, 422);
      expectAnswer(await admin.get('/projects/contract/repositories/app/artifacts/v1/tags?page_size=101'), 'GET', TAGS, 422);
    });

    it('answers HEAD /projects?project_name= with 200 and no body for a taken name', async () => {
      expectAnswer(await admin.request('HEAD', '/api/v2.0/projects?project_name=contract'), 'HEAD', '/projects', 200);
      expectAnswer(await alice.request('HEAD', '/api/v2.0/projects?project_name=contract'), 'HEAD', '/projects', 200);
    });

    it('answers HEAD /projects?project_name= with 404 for a free name and 400 without a name', async () => {
      expectAnswer(await admin.request('HEAD', '/api/v2.0/projects?project_name=no-such-project'), 'HEAD', '/projects', 404);
      expectAnswer(await admin.request('HEAD', '/api/v2.0/projects'), 'HEAD', '/projects', 400);
    });

    it('creates a project with a Location by id, or by name when X-Resource-Name-In-Location is true', async () => {
      const byId = await admin.post('/projects', { project_name: 'created-by-id', metadata: { public: 'false' } });
      expectAnswer(byId, 'POST', '/projects', 201);
      const location = expectLocation(byId, /^\/api\/v2\.0\/projects\/\d+$/);
      const project = await admin.request<{ name: string }>('GET', location);
      expectAnswer(project, 'GET', P, 200);
      expect(project.body.name).toBe('created-by-id');
      const byName = await admin.post('/projects', { project_name: 'created-by-name' }, { 'X-Resource-Name-In-Location': 'true' });
      expectAnswer(byName, 'POST', '/projects', 201);
      expect(byName.headers.get('location')).toBe('/api/v2.0/projects/created-by-name');
    });

    it('refuses a taken project name with 409, an invalid one with 400 and anonymous callers with 401', async () => {
      expectAnswer(await admin.post('/projects', { project_name: 'contract' }), 'POST', '/projects', 409);
      expectAnswer(await admin.post('/projects', { project_name: 'Not A Name' }), 'POST', '/projects', 400);
      expectAnswer(await anonymous.post('/projects', { project_name: 'anonymous-project' }), 'POST', '/projects', 401);
    });

    it('reads a project by id and by name, as admin and as a member', async () => {
      const byId = await admin.get<{ project_id: number; name: string }>(`/projects/${ids.project}`);
      expectAnswer(byId, 'GET', P, 200);
      expect(byId.body).toMatchObject({ project_id: ids.project, name: 'contract' });
      expectAnswer(await admin.get('/projects/contract'), 'GET', P, 200);
      const asMember = await alice.get<{ current_user_role_id: number }>('/projects/contract');
      expectAnswer(asMember, 'GET', P, 200);
      expect(asMember.body.current_user_role_id).toBe(2);
      expectAnswer(await anonymous.get('/projects/contract-public'), 'GET', P, 200);
      expectAnswer(await admin.get('/projects/no-such-project'), 'GET', P, 404);
    });

    it('treats an all-digit project segment as a name when X-Is-Resource-Name is true', async () => {
      await admin.createProject('424242');
      const byName = await admin.request<{ name: string }>('GET', '/api/v2.0/projects/424242', { headers: { 'X-Is-Resource-Name': 'true' } });
      expectAnswer(byName, 'GET', P, 200);
      expect(byName.body.name).toBe('424242');
      expectAnswer(await admin.get('/projects/424242'), 'GET', P, 404);
      const summary = await admin.request('GET', '/api/v2.0/projects/424242/summary', { headers: { 'X-Is-Resource-Name': 'true' } });
      expectAnswer(summary, 'GET', `${P}/summary`, 200);
      const members = await admin.request('GET', '/api/v2.0/projects/424242/members', { headers: { 'X-Is-Resource-Name': 'true' } });
      expectAnswer(members, 'GET', `${P}/members`, 200);
      const deleted = await admin.request('DELETE', '/api/v2.0/projects/424242', { headers: { 'X-Is-Resource-Name': 'true' } });
      expectAnswer(deleted, 'DELETE', P, 200);
    });

    // Wharf keeps private projects invisible to non-members (404 like an unknown project),
    // where Harbor answers 403; the 404 is a declared status of this operation.
    it('answers 404, as for an unknown project, to a signed-in user who is not a member of a private project', async () => {
      expectAnswer(await bob.get('/projects/contract'), 'GET', P, 404);
    });

    it('updates a project with 200; 400 for bad metadata, 403 for a developer, 401 for anonymous, 404 for an unknown one', async () => {
      expectAnswer(await admin.put('/projects/contract', { metadata: { auto_scan: 'true', severity: 'high' } }), 'PUT', P, 200);
      const project = await admin.get<{ metadata: Record<string, string> }>('/projects/contract');
      expect(project.body.metadata).toMatchObject({ auto_scan: 'true', severity: 'high', public: 'false' });
      expectAnswer(await admin.put('/projects/contract', { metadata: { public: 'maybe' } }), 'PUT', P, 400);
      expectAnswer(await alice.put('/projects/contract', { metadata: { auto_scan: 'false' } }), 'PUT', P, 403);
      expectAnswer(await anonymous.put('/projects/contract-public', { metadata: { auto_scan: 'true' } }), 'PUT', P, 401);
      expectAnswer(await admin.put('/projects/no-such-project', { metadata: { auto_scan: 'true' } }), 'PUT', P, 404);
    });

    it('summarises a project as a ProjectSummary, and answers 404 for an unknown one', async () => {
      const summary = await admin.get<{ repo_count: number; developer_count: number; guest_count: number }>('/projects/contract/summary');
      expectAnswer(summary, 'GET', `${P}/summary`, 200);
      expect(summary.body).toMatchObject({ developer_count: 1, guest_count: 1 });
      expect(summary.body.repo_count).toBeGreaterThanOrEqual(3);
      expectAnswer(await alice.get('/projects/contract/summary'), 'GET', `${P}/summary`, 200);
      expectAnswer(await admin.get('/projects/no-such-project/summary'), 'GET', `${P}/summary`, 404);
    });

    it('refuses to delete a project holding repositories with 412, and a developer with 403', async () => {
      expectAnswer(await admin.delete('/projects/contract'), 'DELETE', P, 412);
      expectAnswer(await alice.delete('/projects/contract'), 'DELETE', P, 403);
    });

    it('deletes an empty project with 200, then answers 404', async () => {
      const id = await admin.createProject('short-lived');
      expectAnswer(await admin.delete(`/projects/${id}`), 'DELETE', P, 200);
      expectAnswer(await admin.delete(`/projects/${id}`), 'DELETE', P, 404);
      expectAnswer(await admin.get('/projects/short-lived'), 'GET', P, 404);
    });
  });

  describe('project members', () => {
    it('lists members with X-Total-Count and a next Link', async () => {
      const first = await admin.get('/projects/contract/members?page=1&page_size=1');
      expectAnswer(first, 'GET', `${P}/members`, 200);
      expect(totalOf(first)).toBeGreaterThanOrEqual(3);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/projects\/contract\/members\?.*page=2/);
      expectAnswer(await admin.request('GET', next!), 'GET', `${P}/members`, 200);
      expectAnswer(await alice.get(`/projects/${ids.project}/members`), 'GET', `${P}/members`, 200);
      expectAnswer(await admin.get('/projects/no-such-project/members'), 'GET', `${P}/members`, 404);
    });

    it('adds a member with a Location that leads to it', async () => {
      const added = await admin.post('/projects/contract/members', { role_id: 3, member_user: { username: 'bob' } });
      expectAnswer(added, 'POST', `${P}/members`, 201);
      const location = expectLocation(added, /^\/api\/v2\.0\/projects\/[^/]+\/members\/\d+$/);
      const member = await admin.request<{ entity_name: string; role_id: number }>('GET', location);
      expectAnswer(member, 'GET', `${P}/members/{mid}`, 200);
      expect(member.body).toMatchObject({ entity_name: 'bob', role_id: 3 });
      expectAnswer(await admin.delete(`/projects/contract/members/${idOf(location)}`), 'DELETE', `${P}/members/{mid}`, 200);
    });

    it('refuses a second membership with 409, an unknown role with 400 and a developer with 403', async () => {
      expectAnswer(await admin.post('/projects/contract/members', { role_id: 2, member_user: { username: 'alice' } }), 'POST', `${P}/members`, 409);
      expectAnswer(await admin.post('/projects/contract/members', { role_id: 9, member_user: { username: 'bob' } }), 'POST', `${P}/members`, 400);
      expectAnswer(await alice.post('/projects/contract/members', { role_id: 3, member_user: { username: 'bob' } }), 'POST', `${P}/members`, 403);
    });

    it('reads, re-roles and removes a member with 200s, then answers 404; a developer may not change roles', async () => {
      const added = await admin.post('/projects/contract/members', { role_id: 3, member_user: { username: 'bob' } });
      const mid = idOf(added.headers.get('location')!);
      expectAnswer(await alice.get(`/projects/contract/members/${mid}`), 'GET', `${P}/members/{mid}`, 200);
      expectAnswer(await admin.put(`/projects/contract/members/${mid}`, { role_id: 4 }), 'PUT', `${P}/members/{mid}`, 200);
      const member = await admin.get<{ role_id: number; role_name: string }>(`/projects/${ids.project}/members/${mid}`);
      expectAnswer(member, 'GET', `${P}/members/{mid}`, 200);
      expect(member.body).toMatchObject({ role_id: 4, role_name: 'maintainer' });
      expectAnswer(await alice.put(`/projects/contract/members/${mid}`, { role_id: 1 }), 'PUT', `${P}/members/{mid}`, 403);
      expectAnswer(await admin.put(`/projects/contract/members/${mid}`, { role_id: 9 }), 'PUT', `${P}/members/{mid}`, 400);
      expectAnswer(await alice.delete(`/projects/contract/members/${mid}`), 'DELETE', `${P}/members/{mid}`, 403);
      expectAnswer(await admin.delete(`/projects/contract/members/${mid}`), 'DELETE', `${P}/members/{mid}`, 200);
      expectAnswer(await admin.get(`/projects/contract/members/${mid}`), 'GET', `${P}/members/{mid}`, 404);
      expectAnswer(await admin.put(`/projects/contract/members/${mid}`, { role_id: 2 }), 'PUT', `${P}/members/{mid}`, 404);
      expectAnswer(await admin.delete(`/projects/contract/members/${mid}`), 'DELETE', `${P}/members/{mid}`, 404);
    });
  });

  describe('repositories', () => {
    it('lists a project\'s repositories with X-Total-Count and a next Link', async () => {
      const first = await alice.get('/projects/contract/repositories?page=1&page_size=1');
      expectAnswer(first, 'GET', REPOS, 200);
      expect(totalOf(first)).toBeGreaterThanOrEqual(4);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/projects\/contract\/repositories\?.*page=2/);
      expectAnswer(await alice.request('GET', next!), 'GET', REPOS, 200);
      expectAnswer(await admin.get('/projects/no-such-project/repositories'), 'GET', REPOS, 404);
    });

    it('lists every repository the caller may see at /repositories', async () => {
      const all = await admin.get<{ name: string }[]>('/repositories?page_size=100');
      expectAnswer(all, 'GET', '/repositories', 200);
      expect(all.body.map((r) => r.name)).toEqual(expect.arrayContaining(['contract/app', 'contract/team/app']));
      const paged = await admin.get('/repositories?page=1&page_size=2');
      expectAnswer(paged, 'GET', '/repositories', 200);
      expect(parseLinks(paged.headers.get('link')).next).toMatch(/page=2/);
      expectAnswer(await anonymous.get('/repositories'), 'GET', '/repositories', 200);
    });

    it('reads and describes a nested repository addressed as team%252Fapp', async () => {
      const repository = await alice.get<{ name: string; artifact_count: number }>(`/projects/contract/repositories/team%252Fapp`);
      expectAnswer(repository, 'GET', REPO, 200);
      expect(repository.body).toMatchObject({ name: 'contract/team/app', artifact_count: 1 });
      expectAnswer(await admin.put('/projects/contract/repositories/team%252Fapp', { description: 'the team app' }), 'PUT', REPO, 200);
      const described = await admin.get<{ description: string }>('/projects/contract/repositories/team%252Fapp');
      expect(described.body.description).toBe('the team app');
      expectAnswer(await gina.put('/projects/contract/repositories/team%252Fapp', { description: 'guest edit' }), 'PUT', REPO, 403);
      expectAnswer(await admin.get('/projects/contract/repositories/team%252Fnope'), 'GET', REPO, 404);
      expectAnswer(await admin.put('/projects/contract/repositories/nope', { description: 'x' }), 'PUT', REPO, 404);
    });

    it('deletes a repository with its artifacts with 200, then answers 404; a developer may not', async () => {
      expectAnswer(await alice.delete('/projects/contract/repositories/doomed'), 'DELETE', REPO, 403);
      expectAnswer(await admin.delete('/projects/contract/repositories/doomed'), 'DELETE', REPO, 200);
      expectAnswer(await admin.get('/projects/contract/repositories/doomed'), 'GET', REPO, 404);
      expectAnswer(await admin.delete('/projects/contract/repositories/doomed'), 'DELETE', REPO, 404);
    });
  });

  describe('artifacts and tags', () => {
    it('lists the artifacts of a repository with X-Total-Count and a next Link', async () => {
      const first = await alice.get('/projects/contract/repositories/multi/artifacts?page=1&page_size=1');
      expectAnswer(first, 'GET', ARTIFACTS, 200);
      expect(totalOf(first)).toBe(3);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/projects\/contract\/repositories\/multi\/artifacts\?.*page=2/);
      expectAnswer(await alice.request('GET', next!), 'GET', ARTIFACTS, 200);
      expectAnswer(await alice.get('/projects/contract/repositories/team%252Fapp/artifacts?with_label=true'), 'GET', ARTIFACTS, 200);
      expectAnswer(await admin.get('/projects/no-such-project/repositories/app/artifacts'), 'GET', ARTIFACTS, 404);
    });

    it('reads an artifact by tag and by digest, an index with its references included', async () => {
      const byTag = await alice.get<{ digest: string }>('/projects/contract/repositories/app/artifacts/v1');
      expectAnswer(byTag, 'GET', ARTIFACT, 200);
      expect(byTag.body.digest).toBe(digests.app);
      expectAnswer(await alice.get(`/projects/contract/repositories/app/artifacts/${digests.app}`), 'GET', ARTIFACT, 200);
      const nested = await alice.get<{ repository_name: string }>(`/projects/contract/repositories/team%252Fapp/artifacts/${digests.nested}`);
      expectAnswer(nested, 'GET', ARTIFACT, 200);
      expect(nested.body.repository_name).toBe('contract/team/app');
      const index = await alice.get<{ references: unknown[] }>('/projects/contract/repositories/multi/artifacts/latest?with_label=true');
      expectAnswer(index, 'GET', ARTIFACT, 200);
      expect(index.body.references).toHaveLength(2);
      const notes = await alice.get<{ artifact_type: string; annotations: Record<string, string> }>(`/projects/contract/repositories/notes/artifacts/${digests.artifact}`);
      expectAnswer(notes, 'GET', ARTIFACT, 200);
      expect(notes.body.artifact_type).toBe('application/vnd.wharf.contract.notes+json');
    });

    it('answers 404 for an unknown tag, digest, repository or project', async () => {
      expectAnswer(await alice.get('/projects/contract/repositories/app/artifacts/nope'), 'GET', ARTIFACT, 404);
      expectAnswer(await alice.get(`/projects/contract/repositories/app/artifacts/sha256:${'0'.repeat(64)}`), 'GET', ARTIFACT, 404);
      expectAnswer(await alice.get('/projects/contract/repositories/nope/artifacts/v1'), 'GET', ARTIFACT, 404);
      expectAnswer(await admin.get('/projects/no-such-project/repositories/app/artifacts/v1'), 'GET', ARTIFACT, 404);
    });

    it('lists an artifact\'s tags with X-Total-Count, and a next Link when there are more', async () => {
      expectAnswer(await alice.post('/projects/contract/repositories/app/artifacts/v1/tags', { name: 'stable' }), 'POST', TAGS, 201);
      const tags = await alice.get<{ name: string }[]>('/projects/contract/repositories/app/artifacts/v1/tags');
      expectAnswer(tags, 'GET', TAGS, 200);
      expect(tags.body.map((t) => t.name).sort()).toEqual(['stable', 'v1']);
      expect(totalOf(tags)).toBe(2);
      const paged = await alice.get('/projects/contract/repositories/app/artifacts/v1/tags?page=1&page_size=1');
      expectAnswer(paged, 'GET', TAGS, 200);
      expect(parseLinks(paged.headers.get('link')).next).toMatch(/page=2/);
      expectAnswer(await alice.get('/projects/contract/repositories/app/artifacts/nope/tags'), 'GET', TAGS, 404);
    });

    // Harbor's shared 201 response declares Location, but Harbor sets none on a new tag (there is no API to read one tag).
    it('adds a tag with 201; 409 for a taken tag, 400 for an invalid one, 403 for a guest, 404 for an unknown artifact', async () => {
      expectAnswer(await alice.post(`/projects/contract/repositories/team%252Fapp/artifacts/${digests.nested}/tags`, { name: 'v2' }), 'POST', TAGS, 201);
      const tagged = await alice.get<{ digest: string }>('/projects/contract/repositories/team%252Fapp/artifacts/v2');
      expect(tagged.body.digest).toBe(digests.nested);
      expectAnswer(await alice.post('/projects/contract/repositories/team%252Fapp/artifacts/v1/tags', { name: 'v2' }), 'POST', TAGS, 409);
      expectAnswer(await alice.post('/projects/contract/repositories/team%252Fapp/artifacts/v1/tags', { name: '-bad tag' }), 'POST', TAGS, 400);
      expectAnswer(await gina.post('/projects/contract/repositories/team%252Fapp/artifacts/v1/tags', { name: 'v3' }), 'POST', TAGS, 403);
      expectAnswer(await alice.post('/projects/contract/repositories/team%252Fapp/artifacts/nope/tags', { name: 'v3' }), 'POST', TAGS, 404);
    });

    it('deletes a tag with 200, then answers 404; a developer may not', async () => {
      expectAnswer(await alice.post('/projects/contract/repositories/app/artifacts/v1/tags', { name: 'temporary' }), 'POST', TAGS, 201);
      expectAnswer(await alice.delete('/projects/contract/repositories/app/artifacts/v1/tags/temporary'), 'DELETE', `${TAGS}/{tag_name}`, 403);
      expectAnswer(await admin.delete('/projects/contract/repositories/app/artifacts/v1/tags/temporary'), 'DELETE', `${TAGS}/{tag_name}`, 200);
      expectAnswer(await admin.delete('/projects/contract/repositories/app/artifacts/v1/tags/temporary'), 'DELETE', `${TAGS}/{tag_name}`, 404);
      const tags = await admin.get<{ name: string }[]>('/projects/contract/repositories/app/artifacts/v1/tags');
      expect(tags.body.map((t) => t.name)).not.toContain('temporary');
    });

    it('deletes an artifact by digest with 200, then answers 404; a developer may not', async () => {
      expectAnswer(await alice.delete(`/projects/contract/repositories/app/artifacts/${digests.old}`), 'DELETE', ARTIFACT, 403);
      expectAnswer(await admin.delete(`/projects/contract/repositories/app/artifacts/${digests.old}`), 'DELETE', ARTIFACT, 200);
      expectAnswer(await admin.get(`/projects/contract/repositories/app/artifacts/${digests.old}`), 'GET', ARTIFACT, 404);
      expectAnswer(await admin.delete(`/projects/contract/repositories/app/artifacts/${digests.old}`), 'DELETE', ARTIFACT, 404);
      expectAnswer(await anonymous.delete('/projects/contract-public/repositories/app/artifacts/v1'), 'DELETE', ARTIFACT, 401);
    });
  });

  describe('robot accounts', () => {
    const projectRobot = (name: string) => ({
      name,
      description: 'contract robot',
      level: 'project',
      duration: 30,
      permissions: [{ kind: 'project', namespace: 'contract', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    const systemRobot = (name: string) => ({
      name,
      level: 'system',
      duration: -1,
      permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'project', action: 'list' }] }],
    });

    it('creates a robot with a Location, answering RobotCreated with its secret', async () => {
      const created = await admin.post<{ id: number; name: string; secret: string }>('/robots', projectRobot('builder'));
      expectAnswer(created, 'POST', '/robots', 201);
      expect(expectLocation(created, /^\/api\/v2\.0\/robots\/\d+$/)).toBe(`/api/v2.0/robots/${created.body.id}`);
      expect(created.body.name).toBe('robot$contract+builder');
      expect(created.body.secret).not.toBe('');
      expectAnswer(await admin.post('/robots', systemRobot('auditor')), 'POST', '/robots', 201);
    });

    it('refuses an invalid robot with 400, anonymous callers with 401 and non-admins creating system robots with 403', async () => {
      expectAnswer(await admin.post('/robots', { ...projectRobot('bad'), level: 'galaxy' }), 'POST', '/robots', 400);
      expectAnswer(await anonymous.post('/robots', systemRobot('anon')), 'POST', '/robots', 401);
      expectAnswer(await bob.post('/robots', systemRobot('bobs')), 'POST', '/robots', 403);
    });

    it('lists robots with X-Total-Count and a next Link', async () => {
      await admin.createRobot(systemRobot('lister-1'));
      await admin.createRobot(systemRobot('lister-2'));
      const first = await admin.get('/robots?page=1&page_size=1');
      expectAnswer(first, 'GET', '/robots', 200);
      expect(totalOf(first)).toBeGreaterThanOrEqual(2);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/robots\?.*page=2/);
      expectAnswer(await admin.request('GET', next!), 'GET', '/robots', 200);
      expectAnswer(await admin.get(`/robots?q=${encodeURIComponent(`Level=project,ProjectID=${ids.project}`)}`), 'GET', '/robots', 200);
    });

    it('reads, updates, refreshes the secret of and deletes a robot, then answers 404', async () => {
      const robot = await admin.createRobot(projectRobot('lifecycle'));
      const read = await admin.get<Record<string, unknown>>(`/robots/${robot.id}`);
      expectAnswer(read, 'GET', ROBOT, 200);
      expect(read.body).toMatchObject({ name: 'robot$contract+lifecycle', level: 'project', secret: '' });
      expectAnswer(await admin.put(`/robots/${robot.id}`, { ...read.body, description: 'updated', disable: true }), 'PUT', ROBOT, 200);
      const updated = await admin.get<{ description: string; disable: boolean }>(`/robots/${robot.id}`);
      expect(updated.body).toMatchObject({ description: 'updated', disable: true });
      const refreshed = await admin.patch<{ secret: string }>(`/robots/${robot.id}`, {});
      expectAnswer(refreshed, 'PATCH', ROBOT, 200);
      expect(refreshed.body.secret.length).toBeGreaterThanOrEqual(8);
      expectAnswer(await admin.patch(`/robots/${robot.id}`, { secret: 'weak' }), 'PATCH', ROBOT, 400);
      expectAnswer(await admin.put(`/robots/${robot.id}`, { ...read.body, level: 'system' }), 'PUT', ROBOT, 400);
      expectAnswer(await anonymous.get(`/robots/${robot.id}`), 'GET', ROBOT, 401);
      expectAnswer(await anonymous.delete(`/robots/${robot.id}`), 'DELETE', ROBOT, 401);
      expectAnswer(await admin.delete(`/robots/${robot.id}`), 'DELETE', ROBOT, 200);
      expectAnswer(await admin.get(`/robots/${robot.id}`), 'GET', ROBOT, 404);
      expectAnswer(await admin.put(`/robots/${robot.id}`, read.body), 'PUT', ROBOT, 404);
      expectAnswer(await admin.patch(`/robots/${robot.id}`, {}), 'PATCH', ROBOT, 404);
      expectAnswer(await admin.delete(`/robots/${robot.id}`), 'DELETE', ROBOT, 404);
    });

    it('shows a project robot to the project\'s members', async () => {
      const robot = await admin.createRobot(projectRobot('visible'));
      expectAnswer(await alice.get(`/robots/${robot.id}`), 'GET', ROBOT, 200);
      expectAnswer(await alice.get(`/robots?q=${encodeURIComponent(`Level=project,ProjectID=${ids.project}`)}`), 'GET', '/robots', 200);
    });

    it('answers 403 to a signed-in non-admin reading, changing or deleting a system robot', async () => {
      const robot = await admin.createRobot(systemRobot('guarded'));
      expectAnswer(await bob.get(`/robots/${robot.id}`), 'GET', ROBOT, 403);
      expectAnswer(await bob.patch(`/robots/${robot.id}`, {}), 'PATCH', ROBOT, 403);
      expectAnswer(await bob.delete(`/robots/${robot.id}`), 'DELETE', ROBOT, 403);
    });
  });

  describe('audit logs, search and statistics', () => {
    it('lists the audit log with X-Total-Count and a next Link, and answers anonymous callers with 401', async () => {
      const first = await admin.get('/audit-logs?page=1&page_size=1');
      expectAnswer(first, 'GET', '/audit-logs', 200);
      expect(totalOf(first)).toBeGreaterThan(1);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/audit-logs\?.*page=2/);
      expectAnswer(await admin.request('GET', next!), 'GET', '/audit-logs', 200);
      expectAnswer(await alice.get('/audit-logs'), 'GET', '/audit-logs', 200);
      expectAnswer(await anonymous.get('/audit-logs'), 'GET', '/audit-logs', 401);
    });

    it('lists a project\'s logs with X-Total-Count and a next Link, and answers anonymous callers with 401', async () => {
      const first = await admin.get<{ resource: string }[]>('/projects/contract/logs?page=1&page_size=1');
      expectAnswer(first, 'GET', '/projects/{project_name}/logs', 200);
      expect(totalOf(first)).toBeGreaterThan(1);
      const next = parseLinks(first.headers.get('link')).next;
      expect(next).toMatch(/^\/api\/v2\.0\/projects\/contract\/logs\?.*page=2/);
      expectAnswer(await admin.request('GET', next!), 'GET', '/projects/{project_name}/logs', 200);
      expectAnswer(await anonymous.get('/projects/contract-public/logs'), 'GET', '/projects/{project_name}/logs', 401);
    });

    it('searches projects and repositories as Harbor\'s Search, for members and anonymous callers', async () => {
      const found = await alice.get<{ project: { name: string }[]; repository: { repository_name: string }[] }>('/search?q=contract');
      expectAnswer(found, 'GET', '/search', 200);
      expect(found.body.project.map((p) => p.name)).toContain('contract');
      expect(found.body.repository.map((r) => r.repository_name)).toContain('contract/team/app');
      expectAnswer(await anonymous.get('/search?q=contract'), 'GET', '/search', 200);
    });

    it('counts projects and repositories in /statistics, and answers anonymous callers with 401', async () => {
      const statistics = await admin.get<{ total_project_count: number; private_project_count: number }>('/statistics');
      expectAnswer(statistics, 'GET', '/statistics', 200);
      expect(statistics.body.total_project_count).toBeGreaterThanOrEqual(2);
      expectAnswer(await alice.get('/statistics'), 'GET', '/statistics', 200);
      expectAnswer(await anonymous.get('/statistics'), 'GET', '/statistics', 401);
    });
  });

  it('has checked a success answer of every operation in the contract', () => {
    const operations = [
      'GET /health', 'GET /ping', 'GET /systeminfo',
      'GET /users', 'POST /users', 'GET /users/current', 'GET /users/{user_id}', 'PUT /users/{user_id}', 'DELETE /users/{user_id}',
      'PUT /users/{user_id}/password', 'GET /users/search',
      'GET /projects', 'HEAD /projects', 'POST /projects', `GET ${P}`, `PUT ${P}`, `DELETE ${P}`, `GET ${P}/summary`,
      `GET ${P}/members`, `POST ${P}/members`, `GET ${P}/members/{mid}`, `PUT ${P}/members/{mid}`, `DELETE ${P}/members/{mid}`,
      `GET ${REPOS}`, `GET ${REPO}`, `PUT ${REPO}`, `DELETE ${REPO}`,
      `GET ${ARTIFACTS}`, `GET ${ARTIFACT}`, `DELETE ${ARTIFACT}`, `GET ${TAGS}`, `POST ${TAGS}`, `DELETE ${TAGS}/{tag_name}`,
      'GET /robots', 'POST /robots', `GET ${ROBOT}`, `PUT ${ROBOT}`, `PATCH ${ROBOT}`, `DELETE ${ROBOT}`,
      'GET /audit-logs', 'GET /projects/{project_name}/logs', 'GET /search', 'GET /statistics', 'GET /repositories',
    ];
    const succeeded = new Set([...api.exercised].filter((key) => /\s2\d\d$/.test(key)).map((key) => key.replace(/\s\d+$/, '')));
    expect(operations.filter((operation) => !succeeded.has(operation))).toEqual([]);
  });
});
