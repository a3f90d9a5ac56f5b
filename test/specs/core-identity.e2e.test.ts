import { randomBytes } from 'node:crypto';
import { createTestImage, type ApiResponse, type HarborClient } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuite, type Suite } from '../src/suite.js';

/** Long enough that five slow (scrypt) failures fit in it, short enough to wait out. */
const LOCKOUT_SECONDS = 10;
const PASSWORD = 'Passw0rd-Wharf';
/** Failed logins from one address (over any accounts) within the window before the address is refused. */
const ADDRESS_LIMIT = 60;
const WRONG = 'Wrong-Passw0rd';
/** With `+`, `/` and `=`, so its URL-encoded and base64 forms differ from it. */
const ADMIN_PASSWORD = `Adm1n+Pass/${randomBytes(4).toString('hex')}=`;

interface Project {
  project_id: number;
  name: string;
}

interface SearchResult {
  project: Project[];
  repository: { repository_name: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const errorCode = (response: ApiResponse) => (response.body as { errors?: { code: string }[] }).errors?.[0]?.code;

describe('identity: visibility, login throttling, sessions, passwords', () => {
  let suite: Suite;
  let anonymous: HarborClient;
  let hiddenId: number;

  const formLogin = (principal: string, password: string) => anonymous.request('POST', '/c/login', { form: { principal, password } });
  const apiAs = (username: string, password: string) => anonymous.request('GET', '/api/v2.0/users/current', { headers: { Authorization: basic(username, password) } });

  beforeAll(async () => {
    suite = await startSuite('core-identity', { adminPassword: ADMIN_PASSWORD, env: { CORE_LOGIN_LOCKOUT: `${LOCKOUT_SECONDS}s`, CORE_LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT), LOG_LEVEL: 'debug' } });
    anonymous = suite.admin.anonymous();
    for (const name of ['outsider', 'insider', 'lock-form', 'lock-basic', 'lock-known', 'lock-known-basic', 'lock-burst', 'lock-twenty', 'parallel', 'parallel-tokens', 'from-elsewhere', 'browser', 'changer', 'bystander']) {
      await suite.admin.createUser(name, PASSWORD);
    }
    hiddenId = await suite.admin.createProject('hidden');
    await suite.admin.createProject('open', { public: true });
    await suite.admin.addMember('hidden', 'insider', 3);
    const registry = await suite.registryAs({ username: 'admin', password: ADMIN_PASSWORD }, ['repository:hidden/app:pull,push', 'repository:open/app:pull,push']);
    await registry.pushImage('hidden/app', createTestImage({ layers: 1 }), 'v1');
    await registry.pushImage('open/app', createTestImage({ layers: 1 }), 'v1');
  });
  afterAll(async () => suite?.stop());

  describe('private projects', () => {
    const directPaths = () => [
      '/projects/hidden',
      `/projects/${hiddenId}`,
      '/projects/hidden/summary',
      `/projects/${hiddenId}/summary`,
      '/projects/hidden/members',
      '/projects/hidden/repositories',
      '/projects/hidden/repositories/app',
      '/projects/hidden/repositories/app/artifacts',
      '/projects/hidden/repositories/app/artifacts/v1',
      '/projects/hidden/repositories/app/artifacts/v1/tags',
    ];

    async function catalogOf(username: string): Promise<string[]> {
      const registry = await suite.registryAs({ username, password: PASSWORD }, ['registry:catalog:*']);
      const catalog = await registry.request('GET', '/v2/_catalog?n=1000');
      expect(catalog.status).toBe(200);
      return catalog.json<{ repositories: string[] }>().repositories;
    }

    it('are invisible to a signed-in non-member: project list, search, repositories and /v2/_catalog', async () => {
      const outsider = suite.admin.as('outsider', PASSWORD);
      const projects = await outsider.get<Project[]>('/projects?page_size=100');
      expect(projects.status).toBe(200);
      expect(projects.body.map((p) => p.name)).toContain('open');
      expect(projects.body.map((p) => p.name)).not.toContain('hidden');
      expect(projects.headers.get('x-total-count')).toBe(String(projects.body.length));
      expect((await outsider.get<Project[]>('/projects?name=hidden')).body).toEqual([]);

      const byName = await outsider.get<SearchResult>('/search?q=hidden');
      expect(byName.status).toBe(200);
      expect(byName.body.project).toEqual([]);
      expect(byName.body.repository).toEqual([]);
      const byRepository = await outsider.get<SearchResult>('/search?q=app');
      expect(byRepository.body.repository.map((r) => r.repository_name)).toEqual(['open/app']);

      const repositories = await outsider.get<{ name: string }[]>('/repositories?page_size=100');
      expect(repositories.body.map((r) => r.name)).toEqual(['open/app']);
      expect(await catalogOf('outsider')).toEqual(['open/app']);
    });

    it('answer a non-member 404 (as for a project that does not exist), never 403, on every direct GET', async () => {
      const outsider = suite.admin.as('outsider', PASSWORD);
      for (const path of directPaths()) {
        const answer = await outsider.get(path);
        const missing = await outsider.get(path.replace('/hidden', '/no-such-project').replace(new RegExp(`^/projects/${hiddenId}(?=/|$)`), '/projects/999999'));
        expect({ path, status: answer.status, code: errorCode(answer) }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
        expect({ path, status: missing.status, code: errorCode(missing) }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      }
    });

    it('are visible to a member everywhere: list, search, catalog and direct GETs', async () => {
      const insider = suite.admin.as('insider', PASSWORD);
      expect((await insider.get<Project[]>('/projects?page_size=100')).body.map((p) => p.name)).toEqual(expect.arrayContaining(['hidden', 'open']));
      const search = await insider.get<SearchResult>('/search?q=hidden');
      expect(search.body.project.map((p) => p.name)).toEqual(['hidden']);
      expect(search.body.repository.map((r) => r.repository_name)).toEqual(['hidden/app']);
      expect((await catalogOf('insider')).sort()).toEqual(['hidden/app', 'open/app']);
      for (const path of directPaths()) expect({ path, status: (await insider.get(path)).status }).toEqual({ path, status: 200 });
    });

    it('show a public project to everyone, anonymous included, and never a private one to anonymous', async () => {
      const projects = await anonymous.get<Project[]>('/projects?page_size=100');
      expect(projects.status).toBe(200);
      expect(projects.body.map((p) => p.name)).toEqual(['open']);
      const search = await anonymous.get<SearchResult>('/search?q=app');
      expect(search.body.repository.map((r) => r.repository_name)).toEqual(['open/app']);
      for (const path of ['/projects/open', '/projects/open/repositories', '/projects/open/repositories/app', '/projects/open/repositories/app/artifacts/v1']) {
        expect({ path, status: (await anonymous.get(path)).status }).toEqual({ path, status: 200 });
        expect({ path, status: (await suite.admin.as('outsider', PASSWORD).get(path)).status }).toEqual({ path, status: 200 });
      }
      for (const path of directPaths()) expect([401, 404]).toContain((await anonymous.get(path)).status);
    });
  });

  describe('login throttling', () => {
    async function expectLocked(answer: ApiResponse) {
      expect(answer.status).toBe(429);
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS);
      return retryAfter;
    }

    it('locks an account after 5 failed browser logins, refuses even the right password (429, Retry-After) on every channel, and lets it in once the window ends', async () => {
      for (let i = 0; i < 5; i += 1) expect((await formLogin('lock-form', WRONG)).status).toBe(401);
      const retryAfter = await expectLocked(await formLogin('lock-form', PASSWORD));
      await expectLocked(await apiAs('lock-form', PASSWORD));
      await expectLocked(await anonymous.request('GET', '/service/token?service=harbor-registry&scope=repository:open/app:pull', { headers: { Authorization: basic('lock-form', PASSWORD) } }));
      // Other accounts are not affected.
      expect((await formLogin('bystander', PASSWORD)).status).toBe(200);

      await sleep(retryAfter * 1000 + 500);
      expect((await formLogin('lock-form', PASSWORD)).status).toBe(200);
      expect((await apiAs('lock-form', PASSWORD)).status).toBe(200);
    });

    it('locks an account after 5 failed Basic logins on the API, for the API, the browser login and the token service alike', async () => {
      for (let i = 0; i < 5; i += 1) expect((await apiAs('lock-basic', WRONG)).status).toBe(401);
      const retryAfter = await expectLocked(await apiAs('lock-basic', PASSWORD));
      await expectLocked(await formLogin('lock-basic', PASSWORD));
      await expectLocked(await anonymous.request('POST', '/service/token', { form: { grant_type: 'password', username: 'lock-basic', password: PASSWORD, service: 'harbor-registry' } }));

      await sleep(retryAfter * 1000 + 500);
      expect((await apiAs('lock-basic', PASSWORD)).status).toBe(200);
    });

    it('answers an unknown account exactly as a wrong password for a known one, failures and lock alike', async () => {
      const sameAnswer = (a: ApiResponse, b: ApiResponse) => {
        const shape = (r: ApiResponse) => ({
          status: r.status,
          body: r.text.replace(/\d+/g, 'N'),
          headers: [...r.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort(),
          retryAfter: r.headers.get('retry-after') === null ? 'none' : 'set',
        });
        expect(shape(a)).toEqual(shape(b));
      };
      for (const [known, attempt] of [
        ['lock-known', formLogin],
        ['lock-known-basic', apiAs],
      ] as const) {
        const unknown = `${known}-nobody`;
        for (let i = 0; i < 5; i += 1) {
          const [a, b] = await Promise.all([attempt(known, WRONG), attempt(unknown, WRONG)]);
          expect(a.status).toBe(401);
          expect(a.text).toBe(b.text);
          sameAnswer(a, b);
        }
        const [a, b] = await Promise.all([attempt(known, PASSWORD), attempt(unknown, PASSWORD)]);
        expect(a.status).toBe(429);
        sameAnswer(a, b);
      }
    });

    it('verifies no more than 5 passwords when many failed logins arrive at once; the rest wait their turn and are refused with 429', async () => {
      const burst = await Promise.all(Array.from({ length: 12 }, () => formLogin('lock-burst', WRONG)));
      const statuses = burst.map((r) => r.status);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    });
  });

  describe('concurrent logins', () => {
    it('lets 50 concurrent logins of one user all in, on the browser login, the API and the token service', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 3 === 0
            ? formLogin('parallel', PASSWORD)
            : i % 3 === 1
              ? apiAs('parallel', PASSWORD)
              : anonymous.request('GET', '/service/token?service=harbor-registry', { headers: { Authorization: basic('parallel', PASSWORD) } }),
        ),
      );
      expect(attempts.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 200));
    });

    it('answers 200 token requests of one user in parallel, each with a token that pulls', async () => {
      const user = suite.admin.as('parallel-tokens', PASSWORD);
      const answers = await Promise.all(Array.from({ length: 200 }, () => user.token(['repository:open/app:pull'])));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 200 }, () => 200));
      const registry = await suite.registryAs({ username: 'parallel-tokens', password: PASSWORD }, ['repository:open/app:pull']);
      expect((await registry.request('GET', '/v2/open/app/manifests/v1')).status).toBe(200);
    });

    it('throttles 20 wrong passwords as configured: 5 refused with 401, then 429 for the rest of the window', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) statuses.push((await apiAs('lock-twenty', WRONG)).status);
      expect(statuses).toEqual([...Array.from({ length: 5 }, () => 401), ...Array.from({ length: 15 }, () => 429)]);
    });

    it('refuses an address that failed too often, whichever accounts it tried, while other addresses still sign in', async () => {
      // The test client is on loopback, which core trusts as a proxy: X-Forwarded-For names the caller.
      const from = (address: string) => ({ 'X-Forwarded-For': address });
      const guesses = await Promise.all(
        Array.from({ length: ADDRESS_LIMIT }, (_, i) => anonymous.request('GET', '/api/v2.0/users/current', { headers: { ...from('10.9.9.9'), Authorization: basic(`stuffed-${i}`, WRONG) } })),
      );
      expect(guesses.map((g) => g.status)).toEqual(Array.from({ length: ADDRESS_LIMIT }, () => 401));
      const blocked = await anonymous.request('GET', '/api/v2.0/users/current', { headers: { ...from('10.9.9.9'), Authorization: basic('from-elsewhere', PASSWORD) } });
      expect(blocked.status).toBe(429);
      const elsewhere = await anonymous.request('GET', '/api/v2.0/users/current', { headers: { ...from('10.9.9.10'), Authorization: basic('from-elsewhere', PASSWORD) } });
      expect(elsewhere.status).toBe(200);
    });
  });

  describe('browser sessions', () => {
    async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
      const login = await formLogin('browser', PASSWORD);
      expect(login.status).toBe(200);
      const setCookie = login.headers.get('set-cookie') ?? '';
      const csrf = login.headers.get('x-harbor-csrf-token') ?? '';
      expect(csrf).not.toBe('');
      return { cookie: setCookie.split(';')[0]!, csrf, setCookie };
    }

    it('signs in with an HttpOnly session cookie and a CSRF token, refuses unsafe API calls without the token (403), accepts them with it, and ends at log_out', async () => {
      const { cookie, csrf, setCookie } = await signIn();
      expect(cookie).toMatch(/^sid=.+/);
      expect(setCookie).toMatch(/;\s*HttpOnly/i);
      expect(setCookie).toMatch(/;\s*Path=\//i);

      const current = await anonymous.get<{ username: string }>('/users/current', { Cookie: cookie });
      expect(current.status).toBe(200);
      expect(current.body.username).toBe('browser');
      expect((await anonymous.get('/users/current')).status).toBe(401);

      const create = (headers: Record<string, string>) => anonymous.request('POST', '/api/v2.0/projects', { json: { project_name: 'browser-made' }, headers: { Cookie: cookie, ...headers } });
      const without = await create({});
      expect(without.status).toBe(403);
      expect((await create({ 'X-Harbor-CSRF-Token': 'not-the-token' })).status).toBe(403);
      expect((await suite.admin.get('/projects/browser-made')).status).toBe(404);
      expect((await create({ 'X-Harbor-CSRF-Token': csrf })).status).toBe(201);
      expect((await suite.admin.get<{ owner_name: string }>('/projects/browser-made')).body.owner_name).toBe('browser');

      const logout = await anonymous.request('GET', '/c/log_out', { headers: { Cookie: cookie } });
      expect(logout.status).toBe(200);
      expect(logout.headers.get('set-cookie') ?? '').toMatch(/^sid=;/);
      expect((await anonymous.get('/users/current', { Cookie: cookie })).status).toBe(401);
      const afterLogout = await anonymous.request('DELETE', '/api/v2.0/projects/browser-made', { headers: { Cookie: cookie, 'X-Harbor-CSRF-Token': csrf } });
      // Now anonymous: refused (401, or 404 for a private project it cannot see), and nothing deleted.
      expect([401, 404]).toContain(afterLogout.status);
      expect((await suite.admin.get('/projects/browser-made')).status).toBe(200);
    });

    it('requires the CSRF token on unsafe API calls whatever the letter case of the path', async () => {
      const { cookie } = await signIn();
      for (const prefix of ['/API/v2.0', '/Api/V2.0', '/api/V2.0']) {
        const name = `csrf-${prefix.replace(/\W/g, '').toLowerCase()}-${randomBytes(2).toString('hex')}`;
        const answer = await anonymous.request('POST', `${prefix}/projects`, { json: { project_name: name }, headers: { Cookie: cookie } });
        // Refused for the missing token (403), or not routed at all (404, as Harbor's case-sensitive router does).
        expect({ prefix, refused: [403, 404].includes(answer.status) }).toEqual({ prefix, refused: true });
        expect((await suite.admin.get(`/projects/${name}`)).status).toBe(404);
      }
    });
  });

  describe('passwords', () => {
    it("enforces Harbor's password rule when users are created: 8 to 128 characters with upper case, lower case and a digit", async () => {
      const rejected = { short: 'Abcdef1', noUpper: 'abcdefg1', noLower: 'ABCDEFG1', noDigit: 'Abcdefgh', tooLong: `Ab1${'x'.repeat(126)}` };
      for (const [kind, password] of Object.entries(rejected)) {
        const username = `weak-${kind.toLowerCase()}`;
        const answer = await suite.admin.post('/users', { username, password, email: `${username}@example.com`, realname: username });
        expect({ kind, status: answer.status }).toEqual({ kind, status: 400 });
        expect((await apiAs(username, password)).status).toBe(401);
      }
      for (const [kind, password] of Object.entries({ shortest: 'Abcdefg1', longest: `Ab1${'x'.repeat(125)}` })) {
        const username = `fine-${kind}`;
        expect(password.length).toBe(kind === 'shortest' ? 8 : 128);
        expect((await suite.admin.post('/users', { username, password, email: `${username}@example.com`, realname: username })).status).toBe(201);
        expect((await apiAs(username, password)).status).toBe(200);
      }
    });

    it('lets a user change their own password with the old one, under the same rule; the old password then fails everywhere', async () => {
      const NEW = 'Changed-Passw0rd';
      const changer = suite.admin.as('changer', PASSWORD);
      const me = await changer.get<{ user_id: number }>('/users/current');
      const change = (client: HarborClient, body: Record<string, string>) => client.put(`/users/${me.body.user_id}/password`, body);

      expect((await change(changer, { old_password: PASSWORD, new_password: 'weakpass' })).status).toBe(400);
      expect((await change(changer, { old_password: PASSWORD, new_password: 'NoDigitsHere' })).status).toBe(400);
      expect((await change(changer, { old_password: PASSWORD, new_password: PASSWORD })).status).toBe(400);
      expect([400, 403]).toContain((await change(changer, { old_password: 'Not-The-0ld-one', new_password: NEW })).status);
      expect((await change(changer, { new_password: NEW })).status).toBe(400);
      expect((await change(suite.admin.as('bystander', PASSWORD), { old_password: PASSWORD, new_password: NEW })).status).toBe(403);
      expect((await apiAs('changer', PASSWORD)).status).toBe(200);

      expect((await change(changer, { old_password: PASSWORD, new_password: NEW })).status).toBe(200);
      expect((await apiAs('changer', PASSWORD)).status).toBe(401);
      expect((await formLogin('changer', PASSWORD)).status).toBe(401);
      expect((await suite.admin.as('changer', PASSWORD).token(['repository:open/app:pull'])).status).toBe(401);
      expect((await apiAs('changer', NEW)).status).toBe(200);
      expect((await formLogin('changer', NEW)).status).toBe(200);

      // A system admin sets another user's password without the old one, under the same rule.
      expect((await change(suite.admin, { new_password: 'short1A' })).status).toBe(400);
      expect((await change(suite.admin, { new_password: PASSWORD })).status).toBe(200);
      expect((await apiAs('changer', NEW)).status).toBe(401);
      expect((await apiAs('changer', PASSWORD)).status).toBe(200);
    });
  });

  describe('logs', () => {
    it('never write the admin password, in any form, to core or registry-facade logs', async () => {
      // A session that handles the admin password in every way it can arrive.
      expect((await formLogin('admin', ADMIN_PASSWORD)).status).toBe(200);
      expect((await formLogin('admin', `${ADMIN_PASSWORD}x`)).status).toBe(401);
      expect((await formLogin('admin-typo', ADMIN_PASSWORD)).status).toBe(401);
      expect((await apiAs('admin', ADMIN_PASSWORD)).status).toBe(200);
      expect((await apiAs('nobody-at-all', ADMIN_PASSWORD)).status).toBe(401);
      expect((await anonymous.request('POST', '/service/token', { form: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, service: 'harbor-registry' } })).status).toBe(200);
      expect((await anonymous.request('POST', '/service/token', { form: { grant_type: 'password', username: 'nobody-at-all', password: ADMIN_PASSWORD, service: 'harbor-registry' } })).status).toBe(401);
      expect((await anonymous.request('GET', '/v2/', { headers: { Authorization: basic('admin', ADMIN_PASSWORD) } })).status).toBe(401);
      const registry = await suite.registryAs({ username: 'admin', password: ADMIN_PASSWORD }, ['repository:open/logged:pull,push']);
      await registry.pushImage('open/logged', createTestImage({ layers: 1 }), 'v1');
      expect((await registry.request('GET', '/v2/open/logged/manifests/v1')).status).toBe(200);
      await sleep(1000);

      const forms = [ADMIN_PASSWORD, encodeURIComponent(ADMIN_PASSWORD), Buffer.from(ADMIN_PASSWORD).toString('base64'), basic('admin', ADMIN_PASSWORD).slice('Basic '.length), PASSWORD];
      for (const service of ['core', 'registry-facade'] as const) {
        const log = await suite.log(service);
        expect(log).toContain('request completed');
        const leaks = log.split('\n').filter((line) => forms.some((form) => line.includes(form)));
        expect({ service, leaks }).toEqual({ service, leaks: [] });
      }
      expect(await suite.log('core')).toContain('/c/login');
    });
  });
});
