import fc from 'fast-check';
import { createTestImage, type HarborClient } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOperations, HarborApiDefinition, ociOperations, type Operation } from '../src/hostile/api-definitions.js';
import { bodyLocationCount, buildRequest, hostileCase, type Fixture, type HostileCase, type HostileParam, type Target } from '../src/hostile/cases.js';
import { ENCODINGS } from '../src/hostile/encoding.js';
import { answerProblem, collectionOf, describeExchange } from '../src/hostile/oracle.js';
import { RawHttpClient, type RawResponse } from '../src/hostile/raw-http.js';
import { RawNumber, type HostileJson } from '../src/hostile/values.js';
import { startSuite, type Suite } from '../src/suite.js';

/**
 * Hostile input, generated from the API definitions: every path, query, header and form
 * parameter of every Harbor route Wharf serves (Harbor's swagger, less the routes that
 * answer "no route"), every `/v2` route of the OCI distribution spec's endpoint table, and
 * the token and login endpoints, with NUL bytes, lone surrogates, numbers past every
 * integer type, overlong strings, wrong types and malformed or non-UTF-8 percent-encodings,
 * and hostile JSON bodies built from the swagger's body schemas. Every answer must be below
 * 500 and in the error envelope, no service process may exit, and nothing may be stored:
 * every collection moves by exactly the creates that were answered 201.
 *
 * First a sweep (each parameter of each route, with a fixed set of values in every
 * encoding), then random cases with fast-check. HOSTILE_SEED and HOSTILE_RUNS reproduce or
 * lengthen a run; a failure prints its seed and the shrunk request.
 */

const PASSWORD = 'Hostile-Pass-2026';
const PROJECT = 'hx-fixture';
const RUNS = Number(process.env.HOSTILE_RUNS ?? 12_000);
const SEED = process.env.HOSTILE_SEED === undefined ? undefined : Number(process.env.HOSTILE_SEED);

/** The values of the sweep: one of each family, sent in every encoding. */
const SWEEP_TEXTS = ['a\u0000b', 'x\ud800', '99999999999999999999', '1e308', '-1', '0', '2147483648', 'a'.repeat(5000), 'true', '%zz', "' OR '1'='1", 'constructor'];
const SWEEP_JSON: HostileJson[] = ['a\u0000b', '\udc00', new RawNumber('1e400'), new RawNumber('99999999999999999999'), new RawNumber('-9223372036854775809'), -1, {}, [], null, 'x'.repeat(100_000)];

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('hostile input to every route', () => {
  let suite: Suite;
  let admin: HarborClient;
  let client: RawHttpClient;
  let clients: Record<Target, RawHttpClient>;
  let fixture: Fixture;
  const harbor = new HarborApiDefinition();
  /** The routes under test: Harbor's that Wharf serves, every /v2 route, the token and login endpoints. */
  const operations: Operation[] = [];
  const unserved: string[] = [];
  let pids: number[] = [];
  /** Services whose process ended during the run (none may). */
  const ended: string[] = [];
  const before: Record<string, number> = {};
  /** Creates answered 201 (and deletes answered 2xx) per collection. */
  const moved: Record<string, number> = {};
  const unaccounted: string[] = [];

  const totals = async (): Promise<Record<string, number>> => {
    const total = async (path: string) => {
      const response = await admin.get(path);
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.text}`);
      return Number(response.headers.get('x-total-count'));
    };
    return {
      projects: await total('/projects'),
      users: await total('/users'),
      robots: await total('/robots'),
      registries: await total('/registries'),
      policies: await total('/replication/policies'),
      executions: await total('/replication/executions'),
      members: await total(`/projects/${PROJECT}/members`),
      tags: await total(`/projects/${PROJECT}/repositories/app/artifacts/${fixture.digest}/tags`),
      artifacts: await total(`/projects/${PROJECT}/repositories/app/artifacts`),
      repositories: await total(`/projects/${PROJECT}/repositories`),
    };
  };

  /** Sends one request and returns what is wrong with the exchange, if anything; counts creates. */
  const exchange = async (
    operation: Operation,
    hostile: readonly HostileParam[],
    body: HostileCase['body'],
    caller: HostileCase['caller'],
    target: Target = 'proxy',
    contentType: HostileCase['contentType'] = 'declared',
  ): Promise<string | undefined> => {
    const request = buildRequest(operation, hostile, body, caller, fixture, harbor, contentType);
    // registry-facade serves /v2 only; everything else goes to the proxy or core.
    const to = target === 'registry' && operation.api !== 'oci' ? 'core' : target;
    let response: RawResponse;
    try {
      response = await clients[to].send(request);
    } catch (error) {
      return `${to}: ${describeExchange(operation, request, undefined)}: ${(error as Error).message}`;
    }
    const problem = answerProblem(request, response);
    if (problem) return `${to}: ${describeExchange(operation, request, response)}: ${problem}`;
    const created = request.method === 'POST' && response.status === 201;
    const deleted = request.method === 'DELETE' && response.status >= 200 && response.status < 300;
    if (created || deleted) {
      const collection = collectionOf(operation);
      if (!collection || deleted) unaccounted.push(describeExchange(operation, request, response));
      else moved[collection] = (moved[collection] ?? 0) + 1;
    }
    return undefined;
  };

  beforeAll(async () => {
    // Thousands of failed logins come from this one address on purpose; its lockout is not under test here.
    suite = await startSuite('hostile-input', { env: { CORE_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' } });
    admin = suite.admin;
    client = new RawHttpClient(suite.url);
    clients = { proxy: client, core: new RawHttpClient(suite.coreUrl), registry: new RawHttpClient(suite.registryUrl) };

    const projectId = await admin.createProject(PROJECT, { public: true });
    const userId = await admin.createUser('hx-guest', PASSWORD);
    await admin.addMember(PROJECT, 'hx-guest', 3);
    const members = await admin.get<{ id: number; entity_name: string }[]>(`/projects/${PROJECT}/members`);
    const robot = await admin.createRobot({
      name: 'hx-robot',
      level: 'system',
      duration: 1,
      permissions: [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }],
    });
    const scopes = [`repository:${PROJECT}/app:pull,push`, `repository:${PROJECT}/sink:pull,push,delete`, 'registry:catalog:*'];
    const issued = await admin.token(scopes);
    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, scopes);
    const image = createTestImage({ layers: 1 });
    await registry.pushImage(`${PROJECT}/app`, image, 'v1');
    const upload = await registry.request('POST', `/v2/${PROJECT}/sink/blobs/uploads/`);
    if (upload.status !== 202) throw new Error(`opening an upload answered ${upload.status}`);
    fixture = {
      project: PROJECT,
      projectId,
      repository: `${PROJECT}/app`,
      sink: `${PROJECT}/sink`,
      tag: 'v1',
      digest: image.manifest.digest,
      blobDigest: image.config.digest,
      uploadUuid: upload.headers.get('location')!.split('?')[0]!.split('/').pop()!,
      userId,
      memberId: members.body.find((m) => m.entity_name === 'hx-guest')!.id,
      robotId: robot.id,
      authorization: { admin: basic('admin', suite.adminPassword), guest: basic('hx-guest', PASSWORD), token: `Bearer ${issued.body.token}` },
    };

    // "Served" is what the definitions list less what answers core's "no route" (anonymously: nothing changes).
    const probe = async (operation: Operation) => {
      const request = buildRequest(operation, [], { kind: 'none' }, 'anonymous', fixture, harbor);
      const response = await client.send({ ...request, method: request.method === 'HEAD' ? 'GET' : request.method, body: undefined });
      return !(response.status === 404 && /"no route for /.test(response.text));
    };
    for (const operation of [...harbor.operations(), ...ociOperations(), ...authOperations()]) {
      if (await probe(operation)) operations.push(operation);
      else unserved.push(operation.label);
    }
    pids = suite.stack.services.map((service) => service.pid);
    for (const service of suite.stack.services) void service.exited.then((status) => ended.push(`${service.name} (pid ${service.pid}) exited: ${status}`));
    Object.assign(before, await totals());
  });

  afterAll(async () => {
    for (const each of Object.values(clients ?? {})) each.close();
    await suite?.stop();
  });

  it('covers Harbor routes Wharf serves and every /v2 route of the distribution spec', () => {
    const labels = operations.map((operation) => operation.label);
    expect(labels).toEqual(expect.arrayContaining(['GET /projects', 'POST /projects', 'GET /projects/{project_name_or_id}', 'POST /robots', 'GET /users/{user_id}', 'GET /search', 'GET /replication/executions/{id}']));
    expect(operations.filter((operation) => operation.api === 'harbor').length).toBeGreaterThanOrEqual(50);
    expect(ociOperations().filter((operation) => !labels.includes(operation.label))).toEqual([]);
    expect(unserved.length).toBeGreaterThan(0);
  });

  it('answers the cases reported against it with 400 or 404, never 500', async () => {
    const cases: [string, string, number, string | undefined][] = [
      ['GET', '/api/v2.0/projects?name=a%00b', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/projects?q=name%3Da%00b', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/search?q=a%00b', 400, 'BAD_REQUEST'],
      ['GET', `/v2/${PROJECT}/app/tags/list?last=a%00b`, 400, 'TAG_INVALID'],
      ['GET', '/api/v2.0/projects?page=1e308', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/projects?page=99999999999999999999', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/projects/99999999999999999999', 404, 'NOT_FOUND'],
      ['GET', '/api/v2.0/projects/2147483648', 404, 'NOT_FOUND'],
      ['GET', '/api/v2.0/users/2147483648', 404, 'NOT_FOUND'],
      ['GET', '/api/v2.0/replication/executions/2147483648', 404, 'NOT_FOUND'],
      ['GET', '/api/v2.0/users?q=user_id%3D99999999999999999999', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/audit-logs?q=op_time%3D%5B-200000-01-01~%5D', 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/projects?sort=constructor', 400, 'BAD_REQUEST'],
      ['GET', `/api/v2.0/projects/${PROJECT}/repositories/a%2500b`, 400, 'BAD_REQUEST'],
      ['GET', '/api/v2.0/projects?name=%ED%A0%80', 400, 'BAD_REQUEST'],
      ['GET', `/v2/${PROJECT}/a%00pp/manifests/latest`, 400, 'NAME_INVALID'],
    ];
    const answers = [];
    for (const [method, target, status, code] of cases) {
      const response = await client.send({ method, target, headers: { Authorization: target.startsWith('/v2') ? fixture.authorization.token : fixture.authorization.admin } });
      answers.push(`${method} ${target} → ${response.status} ${(JSON.parse(response.text || '{}') as { errors?: { code: string }[] }).errors?.[0]?.code}`);
      expect(answers.at(-1)).toBe(`${method} ${target} → ${status} ${code}`);
    }

    const robots = (await admin.get('/robots')).headers.get('x-total-count');
    const permissions = [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }];
    for (const duration of ['1e15', '2147483648']) {
      const response = await client.send({
        method: 'POST',
        target: '/api/v2.0/robots',
        headers: { Authorization: fixture.authorization.admin, 'Content-Type': 'application/json' },
        body: `{"name":"hx-long","level":"system","duration":${duration},"permissions":${JSON.stringify(permissions)}}`,
      });
      expect(`${duration} → ${response.status}`).toBe(`${duration} → 400`);
    }
    const created = await client.send({
      method: 'POST',
      target: '/api/v2.0/users',
      headers: { Authorization: fixture.authorization.admin, 'Content-Type': 'application/json' },
      body: '{"username":"hx\\ud800","password":"Hostile-Pass-2026","email":"hx@example.com","realname":"x\\u0000"}',
    });
    expect(created.status).toBe(400);
    expect((await admin.get('/robots')).headers.get('x-total-count')).toBe(robots);
  });

  it('sweeps every parameter of every route with each hostile value, across every encoding, and every body field with hostile JSON', async () => {
    const problems: string[] = [];
    for (const operation of operations) {
      for (let slot = 0; slot < operation.params.length; slot += 1) {
        for (const [index, text] of SWEEP_TEXTS.entries()) {
          // Each value escaped properly, and in one other encoding; across values, every encoding.
          for (const encoding of new Set(['escaped' as const, ENCODINGS[(slot + index) % ENCODINGS.length]!])) {
            const target = (['proxy', 'core', 'registry'] as const)[(slot + index) % 3]!;
            const problem = await exchange(operation, [{ slot, text, encoding, salt: index }], { kind: 'none' }, index % 3 === 0 ? 'anonymous' : 'admin', target);
            if (problem) problems.push(problem);
          }
        }
      }
      const fields = bodyLocationCount(operation, fixture, harbor);
      for (let path = 0; path < fields; path += 1) {
        for (const value of SWEEP_JSON) {
          const problem = await exchange(operation, [], { kind: 'field', path, value }, 'admin', path % 2 === 0 ? 'proxy' : 'core');
          if (problem) problems.push(problem);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers random hostile requests (several parameters at once, bodies, callers) below 500', async () => {
    await fc.assert(
      fc.asyncProperty(hostileCase(operations.length), async (hostile) => {
        const problem = await exchange(operations[hostile.op]!, hostile.params, hostile.body, hostile.caller, hostile.target, hostile.contentType);
        if (problem) throw new Error(problem);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('kept every service process alive: the same pids, none exited or restarted', () => {
    expect(ended).toEqual([]);
    expect(suite.stack.exits).toEqual([]);
    expect(suite.stack.services.map((service) => service.pid)).toEqual(pids);
    for (const pid of pids) expect(() => process.kill(pid, 0), `process ${pid}`).not.toThrow();
  });

  it('stored nothing a request was refused for: every total moved by exactly the creates answered 201', async () => {
    expect(unaccounted).toEqual([]);
    const expected = Object.fromEntries(Object.entries(before).map(([collection, total]) => [collection, total + (moved[collection] ?? 0)]));
    expect(await totals()).toEqual(expected);
    const sink = await client.send({ method: 'GET', target: `/v2/${PROJECT}/sink/tags/list`, headers: { Authorization: fixture.authorization.token } });
    expect(sink.status, sink.text).toBe(404);
  });

  it('holds no stored text with a NUL, a lone surrogate or a replacement character', async () => {
    const lists = ['/users?page_size=100', '/projects?page_size=100', '/robots?page_size=100', '/registries?page_size=100', '/replication/policies?page_size=100', `/projects/${PROJECT}/members?page_size=100`];
    const bad: string[] = [];
    for (const list of lists) {
      const response = await admin.get(list);
      expect(response.status, list).toBe(200);
      JSON.parse(response.text, (key: string, value: unknown) => {
        for (const text of [key, value]) if (typeof text === 'string' && (text.includes('\u0000') || text.includes('\ufffd') || !text.isWellFormed())) bad.push(`${list}: ${JSON.stringify(text.slice(0, 100))}`);
        return value;
      });
    }
    expect(bad).toEqual([]);
  });
});
