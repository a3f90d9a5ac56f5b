import { describe, expect, it, vi } from 'vitest';
import { bearerChallenge } from './challenge.js';
import { issueToken } from './issue.js';
import { generateSigningKey } from './keys.js';
import { formatScope, grants, InvalidScopeError, parseScopes } from './scope.js';
import { createTokenVerifier, TokenInvalidError } from './verify.js';

describe('scopes', () => {
  it('reads repeated scopes and several scopes in one value, as clients send them', () => {
    expect(parseScopes(['repository:a/b:pull,push repository:c/d:pull', 'registry:catalog:*'])).toEqual([
      { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
      { type: 'repository', name: 'c/d', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('splits at the first and last colon, so names may hold a host with a port', () => {
    expect(parseScopes('repository:registry.local:5000/team/app:push,pull')).toEqual([
      { type: 'repository', name: 'registry.local:5000/team/app', actions: ['push', 'pull'] },
    ]);
  });

  it('refuses a scope without type, name and actions', () => {
    expect(() => parseScopes('repository')).toThrow(InvalidScopeError);
    expect(() => parseScopes('repository:pull')).toThrow(InvalidScopeError);
  });

  it('formats a scope back', () => {
    expect(formatScope({ type: 'repository', name: 'a/b', actions: ['pull', 'push'] })).toBe('repository:a/b:pull,push');
  });

  it('grants an action listed, or every action with *', () => {
    const access = [{ type: 'repository', name: 'a/b', actions: ['pull'] }, { type: 'repository', name: 'c', actions: ['*'] }];
    expect(grants(access, 'repository', 'a/b', 'pull')).toBe(true);
    expect(grants(access, 'repository', 'a/b', 'push')).toBe(false);
    expect(grants(access, 'repository', 'c', 'delete')).toBe(true);
    expect(grants(access, 'repository', 'a/bc', 'pull')).toBe(false);
  });
});

describe('challenge', () => {
  it('builds the Bearer challenge distribution sends', () => {
    expect(bearerChallenge({ realm: 'https://h/service/token', service: 'harbor-registry' })).toBe('Bearer realm="https://h/service/token",service="harbor-registry"');
    expect(
      bearerChallenge({
        realm: 'https://h/service/token',
        service: 'harbor-registry',
        scopes: [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }, 'repository:c:pull'],
        error: 'insufficient_scope',
      }),
    ).toBe('Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:a/b:pull,push repository:c:pull",error="insufficient_scope"');
  });
});

describe('tokens', () => {
  it.each(['ES256', 'RS256'] as const)('issues a %s token that the verifier accepts, with its access', async (algorithm) => {
    const key = await generateSigningKey(algorithm);
    const { token, expiresIn } = await issueToken({
      key,
      issuer: 'harbor-token-issuer',
      audience: 'harbor-registry',
      subject: 'alice',
      access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }],
      ttlSeconds: 1800,
    });
    expect(expiresIn).toBe(1800);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string; alg: string };
    expect(header).toMatchObject({ kid: key.kid, alg: algorithm });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { aud: unknown };
    expect(payload.aud).toBe('harbor-registry');
    const claims = await createTokenVerifier({ issuer: 'harbor-token-issuer', audience: 'harbor-registry', keys: { publicKey: key.publicKey } }).verify(token);
    expect(claims.subject).toBe('alice');
    expect(claims.access).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
  });

  it('refuses expired, foreign-key, wrong-audience and wrong-issuer tokens, saying why', async () => {
    const key = await generateSigningKey();
    const other = await generateSigningKey();
    const verifier = createTokenVerifier({ issuer: 'iss', audience: 'aud', keys: { publicKey: key.publicKey }, clockToleranceSeconds: 0 });
    const make = (overrides: Partial<Parameters<typeof issueToken>[0]>) =>
      issueToken({ key, issuer: 'iss', audience: 'aud', subject: 's', access: [], ttlSeconds: 60, ...overrides }).then((t) => t.token);
    const reason = async (token: string) => verifier.verify(token).then(() => 'accepted', (e: TokenInvalidError) => e.reason);
    expect(await reason(await make({ now: new Date(Date.now() - 120_000) }))).toBe('expired');
    expect(await reason(await make({ key: other }))).toBe('signature');
    expect(await reason(await make({ audience: 'elsewhere' }))).toBe('claims');
    expect(await reason(await make({ issuer: 'someone' }))).toBe('claims');
    expect(await reason('garbage')).toBe('malformed');
  });

  it('remembers a verified token only until it expires, and never a refused one', async () => {
    const key = await generateSigningKey();
    const verifier = createTokenVerifier({ issuer: 'iss', audience: 'aud', keys: { publicKey: key.publicKey }, clockToleranceSeconds: 0, cacheSize: 2 });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { token } = await issueToken({ key, issuer: 'iss', audience: 'aud', subject: 's', access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }], ttlSeconds: 60 });
      const first = await verifier.verify(token);
      expect(await verifier.verify(token)).toBe(first);
      expect(Object.isFrozen(first.access[0]!.actions)).toBe(true);
      vi.setSystemTime(Date.now() + 61_000);
      await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
    } finally {
      vi.useRealTimers();
    }
    const foreign = await issueToken({ key: await generateSigningKey(), issuer: 'iss', audience: 'aud', subject: 's', access: [], ttlSeconds: 60 });
    await expect(verifier.verify(foreign.token)).rejects.toMatchObject({ reason: 'signature' });
    await expect(verifier.verify(foreign.token)).rejects.toMatchObject({ reason: 'signature' });
  });
});
