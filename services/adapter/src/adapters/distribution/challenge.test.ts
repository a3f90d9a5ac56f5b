import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenge.js';
import { nextLink } from './link.js';
import { rangeEnd } from './distribution-client.js';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' } },
    ]);
  });

  it('reads a Basic challenge and several challenges in one header', () => {
    expect(parseChallenges('Basic realm="Registry Realm", Bearer realm="http://a/token",service="s"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'http://a/token', service: 's' } },
    ]);
  });

  it('accepts unquoted values, escaped quotes, spaces and odd case', () => {
    expect(parseChallenges('BEARER Realm=http://x/token , Service="a \\"b\\""')).toEqual([{ scheme: 'bearer', params: { realm: 'http://x/token', service: 'a "b"' } }]);
  });

  it('answers nothing for a missing or empty header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('nextLink', () => {
  it('resolves a relative rel="next" target against the request URL', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', 'http://r:5000/v2/_catalog?n=2')).toBe('http://r:5000/v2/_catalog?last=b&n=2');
  });

  it('finds next among several links and ignores the others', () => {
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/v2/a/tags/list?last=t&n=5>; rel=next', 'https://x/')).toBe('https://x/v2/a/tags/list?last=t&n=5');
    expect(nextLink('<https://x/prev>; rel="prev"', 'https://x/')).toBeUndefined();
    expect(nextLink(undefined, 'https://x/')).toBeUndefined();
  });
});

describe('rangeEnd', () => {
  it('turns an upload Range into the bytes held', () => {
    expect(rangeEnd('0-1023')).toBe(1024);
    expect(rangeEnd('bytes=0-9')).toBe(10);
    expect(rangeEnd('0-0')).toBe(0);
    expect(rangeEnd(undefined)).toBe(0);
  });
});
