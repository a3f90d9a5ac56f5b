import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.js';

const ISSUER = 'http://core/service/token registry';

describe('TokenCache', () => {
  it('serves a call with a token asked for more actions on the same repository', () => {
    const cache = new TokenCache({ now: () => 0 });
    cache.set(ISSUER, ['repository:p/a:pull,push'], 'rw', 1000);
    expect(cache.get(ISSUER, ['repository:p/a:pull'])).toBe('rw');
    expect(cache.get(ISSUER, ['repository:p/a:pull,push'])).toBe('rw');
    expect(cache.get(ISSUER, ['repository:p/a:delete'])).toBeUndefined();
    expect(cache.get(ISSUER, ['repository:p/b:pull'])).toBeUndefined();
    // A mount needs both repositories in one token.
    expect(cache.get(ISSUER, ['repository:p/a:pull,push', 'repository:p/b:pull'])).toBeUndefined();
  });

  it('keeps tokens of different issuers apart and drops expired ones', () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now });
    cache.set(ISSUER, ['repository:p/a:pull'], 'core', 1000);
    expect(cache.get('https://auth.docker.io/token registry.docker.io', ['repository:p/a:pull'])).toBeUndefined();
    now = 1000;
    expect(cache.get(ISSUER, ['repository:p/a:pull'])).toBeUndefined();
  });

  it('forgets an issuer on clear, and keeps at most maxPerIssuer tokens', () => {
    const cache = new TokenCache({ now: () => 0, maxPerIssuer: 2 });
    cache.set(ISSUER, ['repository:p/a:pull'], 'a', 1000);
    cache.set(ISSUER, ['repository:p/b:pull'], 'b', 1000);
    cache.set(ISSUER, ['repository:p/c:pull'], 'c', 1000);
    expect(cache.get(ISSUER, ['repository:p/a:pull'])).toBeUndefined();
    expect(cache.get(ISSUER, ['repository:p/c:pull'])).toBe('c');
    cache.clear(ISSUER);
    expect(cache.get(ISSUER, ['repository:p/c:pull'])).toBeUndefined();
  });

  it('honours a wildcard grant', () => {
    const cache = new TokenCache({ now: () => 0 });
    cache.set(ISSUER, ['registry:catalog:*'], 'catalog', 1000);
    expect(cache.get(ISSUER, ['registry:catalog:*'])).toBe('catalog');
  });
});
