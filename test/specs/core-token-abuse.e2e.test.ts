import { createHmac, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, issueToken, signingKeyFromPem, type Access, type SigningKey } from '@wharf/auth-token';
import { createTestImage, createTestTokenIssuer, TestRegistryClient, type ApiResponse, type RegistryResponse } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuite, type Suite } from '../src/suite.js';

/**
 * Tokens that must not open /v2, refresh tokens that must not outlive what they stood for,
 * and the token endpoint's answers to wrong requests (HARBOR-FACTS §3d, TESTING.md).
 */

const PROJECT = 'abuse';
const REPO = `${PROJECT}/app`;
const PASSWORD = 'Abuse-Pass-2026';
const SERVICE = 'harbor-registry';
const FULL: Access[] = [{ type: 'repository', name: REPO, actions: ['pull', 'push', 'delete'] }];
const MANIFEST_ACCEPT = { Accept: 'application/vnd.oci.image.manifest.v1+json' };

interface Claims {
  iss: string;
  aud: string | string[];
  sub: string;
  iat: number;
  exp: number;
  access: Access[];
}

type TokenBody = { token: string; access_token: string; refresh_token?: string; expires_in: number };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with ES256 (raw r‖s) by any key: for refresh tokens this test forges. */
function signEs256(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function claimsOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Claims;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function actionsFor(token: string, name: string): string[] | undefined {
  return claimsOf(token).access.find((a) => a.type === 'repository' && a.name === name)?.actions;
}

describe('tokens, refresh tokens and the token endpoint under abuse', () => {
  let suite: Suite;
  /** The key the suite signs its registry tokens with (core's own). */
  let realKey: SigningKey;
  let issuer: string;
  let audience: string;
  let manifestDigest: string;

  /** A token signed the way core signs them; `change` alters one thing. */
  const mint = async (change: { key?: SigningKey; audience?: string; issuer?: string; now?: Date; ttlSeconds?: number; access?: Access[] } = {}) =>
    (
      await issueToken({
        key: change.key ?? realKey,
        issuer: change.issuer ?? issuer,
        audience: change.audience ?? audience,
        subject: 'admin',
        access: change.access ?? FULL,
        ttlSeconds: change.ttlSeconds ?? 300,
        now: change.now,
      })
    ).token;
  const registry = (token: string) => new TestRegistryClient(suite.url, { token });
  const pull = (token: string, repository = REPO) => registry(token).request('GET', `/v2/${repository}/manifests/v1`, { headers: MANIFEST_ACCEPT });
  const tokenEndpoint = (form: Record<string, string | string[]>) => suite.admin.anonymous().request<TokenBody>('POST', '/service/token', { form });
  const refresh = (refreshToken: string, scope: string | string[]) =>
    tokenEndpoint({ grant_type: 'refresh_token', refresh_token: refreshToken, service: SERVICE, client_id: 'docker', scope });

  function expectInvalidToken(response: RegistryResponse): void {
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="[^"]+\/service\/token"/);
    expect(challenge).toContain(`realm="${suite.url}/service/token"`);
    expect(challenge).toContain(`service="${SERVICE}"`);
    expect(challenge).toContain('error="invalid_token"');
    expect(response.json<{ errors: { code: string }[] }>().errors[0]!.code).toBe('UNAUTHORIZED');
  }

  function expectRefused(response: ApiResponse<TokenBody>, status = 401): void {
    expect(response.status).toBe(status);
    expect(response.text).not.toContain('"token"');
  }

  const userId = async (username: string) => {
    const found = await suite.admin.get<{ user_id: number; username: string }[]>(`/users/search?username=${encodeURIComponent(username)}`);
    const user = found.body.find((u) => u.username === username);
    if (!user) throw new Error(`user ${username} not found`);
    return user.user_id;
  };

  beforeAll(async () => {
    suite = await startSuite('core-token-abuse');
    realKey = await signingKeyFromPem(await readFile(join(suite.dir, 'data', 'secrets', 'token-key.pem'), 'utf8'));
    await suite.admin.createProject(PROJECT);
    const image = createTestImage({ layers: 1 });
    manifestDigest = image.manifest.digest;
    await (await suite.registryAs({ username: 'admin', password: suite.adminPassword }, [`repository:${REPO}:pull,push`])).pushImage(REPO, image, 'v1');
    // What the suite's own tokens look like, so that minted ones differ in one thing only.
    const real = await suite.admin.token([`repository:${REPO}:pull`]);
    const claims = claimsOf(real.body.token);
    issuer = claims.iss;
    audience = Array.isArray(claims.aud) ? claims.aud[0]! : claims.aud;
    for (const name of ['abuse-guest', 'abuse-doomed', 'abuse-changer', 'abuse-typo']) {
      await suite.admin.createUser(name, PASSWORD);
      await suite.admin.addMember(PROJECT, name, 3);
    }
  });
  afterAll(async () => suite?.stop());

  describe('bearer tokens refused on /v2 with error="invalid_token"', () => {
    it('a token signed with the suite key and correct claims opens /v2 (the control for every case below)', async () => {
      expect(headerOf(await mint()).kid).toBe(realKey.kid);
      const pulled = await pull(await mint());
      expect(pulled.status).toBe(200);
      expect(pulled.headers.get('docker-content-digest')).toBe(manifestDigest);
    });

    it.each(['abc', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30.', '....'])('a bearer value that is no JWT: %j', async (token) => {
      expectInvalidToken(await pull(token));
    });

    it('a token with alg "none" and no signature', async () => {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: issuer, sub: 'admin', aud: audience, iat: now, nbf: now, exp: now + 300, jti: 'none-alg', access: FULL };
      for (const token of [`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, `${b64({ alg: 'none', typ: 'JWT', kid: realKey.kid })}.${b64(payload)}.`]) {
        expectInvalidToken(await pull(token));
      }
    });

    it('a token signed with HS256 using the public key as the HMAC secret', async () => {
      const now = Math.floor(Date.now() / 1000);
      const header = b64({ alg: 'HS256', typ: 'JWT', kid: realKey.kid });
      const payload = b64({ iss: issuer, sub: 'admin', aud: audience, iat: now, nbf: now, exp: now + 300, jti: 'hs256', access: FULL });
      const publicPem = realKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const signature = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
      expectInvalidToken(await pull(`${header}.${payload}.${signature}`));
    });

    it('a token signed with a foreign key, with its own kid or with the suite key id', async () => {
      const foreign = await createTestTokenIssuer({ issuer, service: audience });
      expectInvalidToken(await pull(await foreign.token(FULL, { subject: 'admin' })));
      const rsa = await generateSigningKey('RS256');
      expectInvalidToken(await pull(await mint({ key: rsa })));
      expectInvalidToken(await pull(await mint({ key: { ...foreign.key, kid: realKey.kid } })));
    });

    it('a real token whose payload was edited to add actions keeps its signature and is refused', async () => {
      const guest = await suite.admin.as('abuse-guest', PASSWORD).token([`repository:${REPO}:pull`]);
      expect(actionsFor(guest.body.token, REPO)).toEqual(['pull']);
      const [header, , signature] = guest.body.token.split('.');
      const claims = claimsOf(guest.body.token);
      const forged = `${header}.${b64({ ...claims, access: FULL })}.${signature}`;
      expectInvalidToken(await registry(forged).request('DELETE', `/v2/${REPO}/manifests/${manifestDigest}`));
      expect((await pull(await mint())).status).toBe(200);
    });

    it('an expired token signed with the suite key', async () => {
      const token = await mint({ now: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 600 });
      expect(claimsOf(token).exp * 1000).toBeLessThan(Date.now() - 3600_000);
      expectInvalidToken(await pull(token));
    });

    it('a token that is not valid yet (issued an hour in the future)', async () => {
      expectInvalidToken(await pull(await mint({ now: new Date(Date.now() + 3600_000) })));
    });

    it('a token for another audience, or from another issuer, signed with the suite key', async () => {
      expectInvalidToken(await pull(await mint({ audience: 'some-other-registry' })));
      expectInvalidToken(await pull(await mint({ issuer: 'some-other-issuer' })));
    });

    it('a refresh token presented as a bearer token', async () => {
      const issued = await suite.admin.as('abuse-guest', PASSWORD).token([`repository:${REPO}:pull`], { offline: true });
      expect(issued.body.refresh_token).toBeTruthy();
      expectInvalidToken(await pull(issued.body.refresh_token!));
    });

    it('a real token issued before its project was deleted and re-created', async () => {
      const project = 'abuse-phoenix';
      const repository = `${project}/app`;
      await suite.admin.createProject(project);
      const old = await suite.admin.token([`repository:${repository}:pull,push`]);
      expect(actionsFor(old.body.token, repository)).toEqual(['pull', 'push', 'delete']);
      expect((await suite.admin.delete(`/projects/${project}`)).status).toBe(200);
      // Token times are whole seconds: let the re-created project be visibly younger.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await suite.admin.createProject(project);
      expectInvalidToken(await registry(old.body.token).request('POST', `/v2/${repository}/blobs/uploads/`));
      expectInvalidToken(await pull(old.body.token, repository));
      const fresh = await suite.admin.token([`repository:${repository}:pull,push`]);
      expect((await registry(fresh.body.token).request('POST', `/v2/${repository}/blobs/uploads/`)).status).toBe(202);
    });

    it('a token minted with the suite key but dated before its project was created', async () => {
      const created = await suite.admin.get<{ creation_time: string }>(`/projects/${PROJECT}`);
      const before = new Date(Date.parse(created.body.creation_time) - 60_000);
      const token = await mint({ now: before, ttlSeconds: 3600 });
      expect(claimsOf(token).exp * 1000).toBeGreaterThan(Date.now());
      expectInvalidToken(await pull(token));
    });
  });

  describe('refresh tokens', () => {
    it('a guest refresh token asking for push gets a token without push, which cannot push', async () => {
      const issued = await suite.admin.as('abuse-guest', PASSWORD).token([`repository:${REPO}:pull`], { offline: true });
      expect(issued.status).toBe(200);
      const refreshed = await refresh(issued.body.refresh_token!, `repository:${REPO}:pull,push,delete`);
      expect(refreshed.status).toBe(200);
      expect(actionsFor(refreshed.body.token, REPO)).toEqual(['pull']);
      expect(claimsOf(refreshed.body.token).sub).toBe('abuse-guest');
      const client = registry(refreshed.body.token);
      expect((await client.request('GET', `/v2/${REPO}/manifests/v1`, { headers: MANIFEST_ACCEPT })).status).toBe(200);
      expect((await client.request('POST', `/v2/${REPO}/blobs/uploads/`)).status).toBe(401);
    });

    it('a refresh token of a robot stops working once the robot is disabled', async () => {
      const robot = await suite.admin.createRobot({
        name: 'refresher',
        level: 'project',
        duration: 30,
        permissions: [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }],
      });
      const issued = await suite.admin.as(robot.name, robot.secret).token([`repository:${REPO}:pull`], { offline: true });
      expect(issued.body.refresh_token).toBeTruthy();
      const before = await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`);
      expect(before.status).toBe(200);
      expect(actionsFor(before.body.token, REPO)).toEqual(['pull']);
      const current = await suite.admin.get<Record<string, unknown>>(`/robots/${robot.id}`);
      expect((await suite.admin.put(`/robots/${robot.id}`, { ...current.body, disable: true })).status).toBe(200);
      expectRefused(await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`));
    });

    it('a refresh token of a robot is refused once the robot\'s secret is refreshed', async () => {
      const robot = await suite.admin.createRobot({
        name: 'rotated',
        level: 'project',
        duration: 30,
        permissions: [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }],
      });
      const issued = await suite.admin.as(robot.name, robot.secret).token([`repository:${REPO}:pull`], { offline: true });
      expect((await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`)).status).toBe(200);
      const rotated = await suite.admin.patch<{ secret: string }>(`/robots/${robot.id}`, {});
      expect(rotated.status).toBe(200);
      expectRefused(await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`));
      expect((await suite.admin.as(robot.name, rotated.body.secret).token([`repository:${REPO}:pull`])).status).toBe(200);
    });

    it('a deleted user\'s old refresh token is refused, even after a user of the same name is created again', async () => {
      const issued = await suite.admin.as('abuse-doomed', PASSWORD).token([`repository:${REPO}:pull`], { offline: true });
      expect((await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`)).status).toBe(200);
      expect((await suite.admin.delete(`/users/${await userId('abuse-doomed')}`)).status).toBe(200);
      expectRefused(await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`));
      await suite.admin.createUser('abuse-doomed', PASSWORD);
      expectRefused(await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`));
    });

    it('after a password change the refresh token got with the old password is refused', async () => {
      const issued = await tokenEndpoint({
        grant_type: 'password',
        access_type: 'offline',
        username: 'abuse-changer',
        password: PASSWORD,
        service: SERVICE,
        scope: `repository:${REPO}:pull`,
      });
      expect(issued.status).toBe(200);
      expect(issued.body.refresh_token).toBeTruthy();
      expect((await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`)).status).toBe(200);
      const id = await userId('abuse-changer');
      const changed = await suite.admin.as('abuse-changer', PASSWORD).put(`/users/${id}/password`, { old_password: PASSWORD, new_password: 'Abuse-Changed-2027' });
      expect(changed.status).toBe(200);
      expectRefused(await refresh(issued.body.refresh_token!, `repository:${REPO}:pull`));
      const again = await suite.admin.as('abuse-changer', 'Abuse-Changed-2027').token([`repository:${REPO}:pull`], { offline: true });
      expect(again.status).toBe(200);
      expect((await refresh(again.body.refresh_token!, `repository:${REPO}:pull`)).status).toBe(200);
    });

    it('an access token, a garbage string or a refresh token signed with another key is no refresh token', async () => {
      const access = await suite.admin.as('abuse-guest', PASSWORD).token([`repository:${REPO}:pull`], { offline: true });
      expectRefused(await refresh(access.body.token, `repository:${REPO}:pull`));
      expectRefused(await refresh('not-a-token', `repository:${REPO}:pull`));
      const claims = claimsOf(access.body.refresh_token!);
      const refreshHeader = headerOf(access.body.refresh_token!);
      const foreign = await generateSigningKey('ES256');
      expectRefused(await refresh(signEs256(refreshHeader, claims, foreign.privateKey), `repository:${REPO}:pull`));
      // The same forging path with the suite key does make a usable refresh token (the control).
      if (realKey.algorithm === 'ES256') expect((await refresh(signEs256(refreshHeader, claims, realKey.privateKey), `repository:${REPO}:pull`)).status).toBe(200);
    });
  });

  describe('the token endpoint', () => {
    it('answers 401 to a wrong password, and issues no token', async () => {
      expectRefused(await suite.admin.as('abuse-typo', 'Wrong-Pass-2026').token([`repository:${REPO}:pull`]));
      expectRefused(await tokenEndpoint({ grant_type: 'password', username: 'abuse-typo', password: 'Wrong-Pass-2026', service: SERVICE, scope: `repository:${REPO}:pull` }));
    });

    it('answers 400 to an unknown service', async () => {
      expectRefused(await suite.admin.token([`repository:${REPO}:pull`], { service: 'some-other-registry' }), 400);
      expectRefused(
        await tokenEndpoint({ grant_type: 'password', username: 'admin', password: suite.adminPassword, service: 'some-other-registry', scope: `repository:${REPO}:pull` }),
        400,
      );
    });

    it.each(['repository', `repository:${REPO}`, `:${REPO}:pull`, 'repository::pull'])('answers 400 to the malformed scope %j', async (scope) => {
      expectRefused(await suite.admin.token([scope]), 400);
    });

    it('reads repeated scope parameters and several space-separated scopes in one value alike', async () => {
      await suite.admin.createProject('abuse-second');
      const expected = [
        { type: 'repository', name: REPO, actions: ['pull', 'push', 'delete'] },
        { type: 'repository', name: 'abuse-second/app', actions: ['pull', 'push', 'delete'] },
      ];
      const repeated = await suite.admin.token([`repository:${REPO}:pull`, 'repository:abuse-second/app:push,pull']);
      expect(repeated.status).toBe(200);
      expect(claimsOf(repeated.body.token).access).toEqual(expected);
      const spaced = await suite.admin.token([`repository:${REPO}:pull repository:abuse-second/app:push,pull`]);
      expect(spaced.status).toBe(200);
      expect(claimsOf(spaced.body.token).access).toEqual(expected);
      const form = await tokenEndpoint({
        grant_type: 'password',
        username: 'admin',
        password: suite.adminPassword,
        service: SERVICE,
        scope: [`repository:${REPO}:pull`, 'repository:abuse-second/app:pull'],
      });
      expect(form.status).toBe(200);
      expect(claimsOf(form.body.token).access).toEqual(expected);
    });

    it('answers 401 to an anonymous login without scope, and 200 with a scope', async () => {
      const login = await suite.admin.anonymous().request('GET', `/service/token?service=${SERVICE}`);
      expect(login.status).toBe(401);
      expect(login.text).not.toContain('"token"');
      const scoped = await suite.admin.anonymous().token([`repository:${REPO}:pull`]);
      expect(scoped.status).toBe(200);
      expect(actionsFor(scoped.body.token, REPO)).toEqual([]);
    });
  });
});
