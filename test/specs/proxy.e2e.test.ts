import { createHash, randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TestRegistryClient, type RegistryResponse } from '@wharf/testing';
import { run } from '../src/run.js';
import { startSuite, type Suite } from '../src/suite.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

const PASSWORD = 'Proxy-Test-2026';

function blobOf(bytes: Buffer) {
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** A 401 with Harbor's Bearer challenge naming the external realm (and, but for HEAD, the error body). */
function expectChallenge(answer: RegistryResponse, suite: Suite, error: 'invalid_token' | 'insufficient_scope' | undefined): void {
  expect(answer.status, answer.body.toString()).toBe(401);
  const challenge = answer.headers.get('www-authenticate') ?? '';
  expect(challenge).toContain(`realm="${suite.url}/service/token"`);
  if (error) expect(challenge).toContain(`error="${error}"`);
  else expect(challenge).not.toContain('error=');
  if (answer.body.length > 0) expect(answer.json<{ errors: { code: string }[] }>().errors[0]!.code).toBe('UNAUTHORIZED');
}

/**
 * Every policy of core's /v2 gate holds for blob traffic whichever way the proxy sends it:
 * straight to registry-facade after core's access check (`registry`,
 * the default) or through core (`core`). Both run the same cases against the real suite.
 */
describe.each(['registry', 'core'] as const)('the proxy with registry route %s', (registryRoute) => {
  let suite: Suite;
  const project = `p-${registryRoute}`;
  const open = `pub-${registryRoute}`;
  const blob = blobOf(randomBytes(4096));
  const asAdmin = (scopes: string[]) => suite.registryAs({ username: 'admin', password: suite.adminPassword }, scopes);

  beforeAll(async () => {
    suite = await startSuite(`proxy-${registryRoute}`, { registryRoute });
    await suite.admin.createProject(project);
    await suite.admin.createProject(open, { public: true });
    await suite.admin.createUser('guest-user', PASSWORD);
    await suite.admin.addMember(project, 'guest-user', 3);
    for (const name of [project, open]) expect((await (await asAdmin([`repository:${name}/app:pull,push`])).pushBlob(`${name}/app`, blob)).status).toBe(201);
  });
  afterAll(async () => suite?.stop());

  it('streams a 64 MiB blob up in chunks and back down, digest intact, and no answer names an internal address', async () => {
    const big = blobOf(Buffer.concat(Array.from({ length: 64 }, () => randomBytes(1024 * 1024))));
    const registry = await asAdmin([`repository:${project}/big:pull,push`]);
    const started = await registry.request('POST', `/v2/${project}/big/blobs/uploads/`);
    expect(started.status).toBe(202);
    let location = started.headers.get('location')!;
    for (let offset = 0; offset < big.bytes.length; offset += 16 * 1024 * 1024) {
      const chunk = big.bytes.subarray(offset, offset + 16 * 1024 * 1024);
      const patched = await registry.request('PATCH', location, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
      });
      expect(patched.status).toBe(202);
      location = patched.headers.get('location')!;
      for (const internal of [suite.registryUrl, suite.coreUrl]) expect(location).not.toContain(internal);
    }
    const finished = await registry.request('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${big.digest}`);
    expect(finished.status).toBe(201);
    expect(finished.headers.get('docker-content-digest')).toBe(big.digest);
    const pulled = await registry.request('GET', `/v2/${project}/big/blobs/${big.digest}`);
    expect(pulled.status).toBe(200);
    expect(blobOf(pulled.body).digest).toBe(big.digest);
    expect([...pulled.headers.keys()].filter((name) => name.startsWith('x-wharf-'))).toEqual([]);
    const range = await registry.request('GET', `/v2/${project}/big/blobs/${big.digest}`, { headers: { Range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 10-19/${big.bytes.length}`);
    expect(range.body).toEqual(big.bytes.subarray(10, 20));
    // A client asking for the facade's disk handoff itself gets the bytes like anyone else.
    const asked = await registry.request('GET', `/v2/${project}/big/blobs/${big.digest}`, { headers: { 'X-Wharf-Blob-Handoff': 'file', Range: 'bytes=0-9' } });
    expect(asked.status).toBe(206);
    expect(asked.body).toEqual(big.bytes.subarray(0, 10));
    expect(asked.headers.get('x-wharf-blob-file')).toBeNull();
  });

  it('refuses reads and uploads with a token issued before its project was deleted and created again', async () => {
    const name = `phoenix-${registryRoute}`;
    await suite.admin.createProject(name);
    const old = await asAdmin([`repository:${name}/app:pull,push`]);
    expect((await old.pushBlob(`${name}/app`, blob)).status).toBe(201);
    expect((await old.request('GET', `/v2/${name}/app/blobs/${blob.digest}`)).status).toBe(200);
    expect((await suite.admin.delete(`/projects/${name}`)).status).toBe(200);
    // Token times are whole seconds: let the new project be visibly younger than the token.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await suite.admin.createProject(name);
    expectChallenge(await old.request('GET', `/v2/${name}/app/blobs/${blob.digest}`), suite, 'invalid_token');
    expectChallenge(await old.request('HEAD', `/v2/${name}/app/blobs/${blob.digest}`), suite, 'invalid_token');
    expectChallenge(await old.request('POST', `/v2/${name}/app/blobs/uploads/`), suite, 'invalid_token');
    expectChallenge(await old.request('GET', `/v2/${name}/app/manifests/v1`), suite, 'invalid_token');
    const fresh = await asAdmin([`repository:${name}/app:pull,push`]);
    expect((await fresh.pushBlob(`${name}/app`, blob)).status).toBe(201);
  });

  it("refuses a guest's blob upload with Harbor's insufficient_scope challenge, and lets the guest read", async () => {
    const guest = await suite.registryAs({ username: 'guest-user', password: PASSWORD }, [`repository:${project}/app:pull,push`]);
    const refused = await guest.request('POST', `/v2/${project}/app/blobs/uploads/`);
    expectChallenge(refused, suite, 'insufficient_scope');
    expect(refused.body.toString()).toContain(`unauthorized to access repository: ${project}/app, action: push`);
    expect((await guest.request('GET', `/v2/${project}/app/blobs/${blob.digest}`)).status).toBe(200);
  });

  it('tells a system admin that a project does not exist, and anyone else only that access is refused', async () => {
    const admin = await asAdmin(['repository:nowhere/app:pull,push']);
    const missing = await admin.request('POST', '/v2/nowhere/app/blobs/uploads/');
    expect(missing.status).toBe(404);
    expect(missing.json<{ errors: { code: string }[] }>().errors[0]!.code).toBe('NAME_UNKNOWN');
    const guest = await suite.registryAs({ username: 'guest-user', password: PASSWORD }, ['repository:nowhere/app:pull,push']);
    expectChallenge(await guest.request('POST', '/v2/nowhere/app/blobs/uploads/'), suite, 'insufficient_scope');
  });

  it('serves blobs of a public project to anonymous clients and refuses them on a private one', async () => {
    const anonymousOpen = await suite.registryAs(undefined, [`repository:${open}/app:pull`]);
    const pulled = await anonymousOpen.request('GET', `/v2/${open}/app/blobs/${blob.digest}`);
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(blob.digest);
    expect((await anonymousOpen.request('POST', `/v2/${open}/app/blobs/uploads/`)).status).toBe(401);
    const anonymousPrivate = await suite.registryAs(undefined, [`repository:${project}/app:pull`]);
    expectChallenge(await anonymousPrivate.request('GET', `/v2/${project}/app/blobs/${blob.digest}`), suite, 'insufficient_scope');
    expectChallenge(await new TestRegistryClient(suite.url).request('GET', `/v2/${project}/app/blobs/${blob.digest}`), suite, undefined);
  });

  it("core's access check answers bad questions with clear errors: no secret 401, malformed 400, refusals as /v2 would", async () => {
    const secret = (await readFile(join(suite.dir, 'data', 'secrets', 'suite-secret'), 'utf8')).trim();
    const ask = (body: string, authorization = `Harbor-Secret ${secret}`) =>
      fetch(`${suite.coreUrl}/service/internal/registry-access`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: authorization }, body });
    const path = `/v2/${project}/app/blobs/${blob.digest}`;
    const noSecret = await ask(JSON.stringify({ method: 'GET', path }), 'Harbor-Secret wrong-wrong-wrong-wrong');
    expect(noSecret.status).toBe(401);
    for (const body of ['{not json', JSON.stringify({ method: 'BREW', path }), JSON.stringify({ method: 'GET', path: '/api/v2.0/projects' }), JSON.stringify({ method: 'GET' })]) {
      const malformed = await ask(body);
      expect(malformed.status, body).toBe(400);
      expect(((await malformed.json()) as { errors: { code: string; message: string }[] }).errors[0]!.message).toBeTruthy();
    }
    const anonymous = await ask(JSON.stringify({ method: 'GET', path }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain(`realm="${suite.url}/service/token"`);
    const token = (await suite.admin.token([`repository:${project}/app:pull`])).body.token;
    expect((await ask(JSON.stringify({ method: 'GET', path, authorization: `Bearer ${token}` }))).status).toBe(204);
  });

  it('answers 404 from outside for registry events, job hooks and access checks, even with the suite secret', async () => {
    const secret = (await readFile(join(suite.dir, 'data', 'secrets', 'suite-secret'), 'utf8')).trim();
    for (const path of ['/service/notifications', '/service/notifications/tasks/1', '/service//notifications', '/service/internal/registry-access']) {
      const answer = await fetch(`${suite.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Harbor-Secret ${secret}` },
        body: JSON.stringify({ method: 'GET', path: `/v2/${project}/app/blobs/${blob.digest}` }),
      });
      expect(answer.status, path).toBe(404);
      expect(((await answer.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('NOT_FOUND');
    }
  });
});

function request(url: string, options: { method?: string; ca?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { method: options.method ?? 'GET', ca: options.ca, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the proxy with TLS on', () => {
  let suite: Suite;
  let temp: TempDir;
  let ca: Buffer;
  let httpsUrl: string;

  beforeAll(async () => {
    temp = await createTempDir('proxy-tls');
    const cert = join(temp.path, 'tls.crt');
    const key = join(temp.path, 'tls.key');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    ca = await readFile(cert);
    const httpsPort = await freePort();
    suite = await startSuite('proxy-tls', { env: { PROXY_TLS_CERT_FILE: cert, PROXY_TLS_KEY_FILE: key, PROXY_HTTPS_PORT: String(httpsPort) } });
    httpsUrl = `https://127.0.0.1:${httpsPort}`;
  });
  afterAll(async () => {
    await suite?.stop();
    await temp?.remove();
  });

  it('serves the registry over HTTPS with an https token realm', async () => {
    expect(suite.url).toBe(httpsUrl);
    const answer = await request(`${httpsUrl}/v2/`, { ca });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain(`realm="${httpsUrl}/service/token"`);
    const basic = Buffer.from(`admin:${suite.adminPassword}`).toString('base64');
    const token = await request(`${httpsUrl}/service/token?service=harbor-registry`, { ca, headers: { Authorization: `Basic ${basic}` } });
    expect(token.status).toBe(200);
    expect(JSON.parse(token.text)).toHaveProperty('token');
  });

  it('redirects plain HTTP to HTTPS (301 for reads, 308 keeping the method for writes) but answers health checks', async () => {
    const plain = suite.httpUrl;
    const read = await request(`${plain}/v2/lib/app/manifests/v1`);
    expect(read.status).toBe(301);
    expect(read.headers.location).toBe(`${httpsUrl}/v2/lib/app/manifests/v1`);
    const write = await request(`${plain}/api/v2.0/projects`, { method: 'POST' });
    expect(write.status).toBe(308);
    expect(write.headers.location).toBe(`${httpsUrl}/api/v2.0/projects`);
    expect((await request(`${plain}/readyz`)).status).toBe(200);
  });
});

describe('the proxy when it cannot read the blob store disk', () => {
  let suite: Suite;
  let temp: TempDir;

  beforeAll(async () => {
    temp = await createTempDir('proxy-nodisk');
    // A root that holds nothing: every file the facade names is missing here.
    suite = await startSuite('proxy-nodisk', { env: { PROXY_BLOB_FILES_ROOT: temp.path } });
  });
  afterAll(async () => {
    await suite?.stop();
    await temp?.remove();
  });

  it('relays blob downloads from registry-facade instead, whole and ranged', async () => {
    await suite.admin.createProject('nodisk');
    const blob = blobOf(randomBytes(3 * 1024 * 1024 + 7));
    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:nodisk/app:pull,push']);
    expect((await registry.pushBlob('nodisk/app', blob)).status).toBe(201);
    const pulled = await registry.request('GET', `/v2/nodisk/app/blobs/${blob.digest}`);
    expect(pulled.status).toBe(200);
    expect(blobOf(pulled.body).digest).toBe(blob.digest);
    const range = await registry.request('GET', `/v2/nodisk/app/blobs/${blob.digest}`, { headers: { Range: 'bytes=5-9' } });
    expect(range.status).toBe(206);
    expect(range.body).toEqual(blob.bytes.subarray(5, 10));
  });
});
