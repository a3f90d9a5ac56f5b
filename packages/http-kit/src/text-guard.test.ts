import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import { errorMiddleware, notFound } from './error-middleware.js';
import { requestId } from './request-id.js';
import { bodyTextGuard, invalidTextReason, invalidUrlComponentReason, jsonTextProblem, MAX_JSON_DEPTH, rejectNonUtf8Body, textGuard, urlTextProblem } from './text-guard.js';

describe('invalidUrlComponentReason', () => {
  it('accepts plain text, reserved characters and well-formed UTF-8 escapes', () => {
    for (const component of ['', 'library', 'a+b', 'a%20b', '%2F', 'caf%C3%A9', '%F0%9F%90%B3', 'a%252Fb', "!$&'()*+,;=:@~"]) {
      expect(invalidUrlComponentReason(component), component).toBeUndefined();
    }
  });

  it('finds a NUL, raw or escaped', () => {
    expect(invalidUrlComponentReason('a%00b')).toBe('a NUL character');
    expect(invalidUrlComponentReason('a\u0000b')).toBe('a NUL character');
  });

  it('finds malformed percent-encodings', () => {
    for (const component of ['%', '%z', '%zz', 'a%2', '100%', '%%41']) expect(invalidUrlComponentReason(component), component).toBe('a malformed percent-encoding');
  });

  it('finds escapes that do not decode to UTF-8: surrogates, overlongs, truncated and stray bytes', () => {
    for (const component of ['%ED%A0%80', '%ED%B0%80', '%C0%80', '%C0%AF', '%E2%82', '%80', '%FF', '%F8%88%80%80%80']) {
      expect(invalidUrlComponentReason(component), component).toBe('bytes that are not UTF-8');
    }
  });

  it('refuses characters a URL must escape', () => {
    expect(invalidUrlComponentReason('caf\u00e9')).toBe('a character that must be percent-encoded');
    expect(invalidUrlComponentReason('a\u0001b')).toBe('a character that must be percent-encoded');
  });
});

describe('urlTextProblem', () => {
  it('names the path segment or the query parameter at fault', () => {
    expect(urlTextProblem('/api/v2.0/projects?page=1&q=name%3Dx')).toBeUndefined();
    expect(urlTextProblem('/api/v2.0/projects/a%00b/summary')).toEqual({ in: 'path', segment: 'a%00b', reason: 'a NUL character' });
    expect(urlTextProblem('/api/v2.0/search?q=a%00b')).toEqual({ in: 'query', key: 'q', reason: 'a NUL character' });
    expect(urlTextProblem('/v2/_catalog?n=1&la%73t=%zz')).toEqual({ in: 'query', key: 'last', reason: 'a malformed percent-encoding' });
    expect(urlTextProblem('/x?%ED%A0%80=1')).toEqual({ in: 'query', key: '%ED%A0%80', reason: 'bytes that are not UTF-8' });
  });

  it('leaves a `+` and a bare key alone', () => {
    expect(urlTextProblem('/v2/a/referrers/sha256:x?artifactType=application/vnd.oci.image.config.v1+json&flag')).toBeUndefined();
  });
});

describe('jsonTextProblem', () => {
  it('accepts ordinary JSON, emoji included', () => {
    expect(jsonTextProblem({ name: 'a', tags: ['x', '🐳'], nested: { n: 1, b: true, z: null } })).toBeUndefined();
  });

  it('points at the field holding a NUL or a lone surrogate, keys included', () => {
    expect(jsonTextProblem({ metadata: { public: 'tr\u0000ue' } })).toEqual({ in: 'body', at: 'metadata.public', reason: 'a NUL character' });
    expect(jsonTextProblem({ list: ['ok', 'x\ud800'] })).toEqual({ in: 'body', at: 'list[1]', reason: 'a lone UTF-16 surrogate' });
    expect(jsonTextProblem({ ['k\u0000']: 1 })).toEqual({ in: 'body', at: 'k\u0000', reason: 'a NUL character' });
    expect(jsonTextProblem('\udc00')).toEqual({ in: 'body', at: '', reason: 'a lone UTF-16 surrogate' });
  });

  it('refuses nesting past the limit without recursing', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(jsonTextProblem(deep)?.reason).toBe(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    let fine: unknown = 'leaf';
    for (let i = 0; i < MAX_JSON_DEPTH; i += 1) fine = { a: fine };
    expect(jsonTextProblem(fine)).toBeUndefined();
  });
});

describe('invalidTextReason', () => {
  it('accepts a surrogate pair and refuses a lone half', () => {
    expect(invalidTextReason('\ud83d\udc33')).toBeUndefined();
    expect(invalidTextReason('\ud83d')).toBe('a lone UTF-16 surrogate');
  });
});

function app(build: (app: express.Express) => void) {
  const server = express();
  server.use(requestId());
  build(server);
  server.use(notFound());
  server.use(errorMiddleware({ logger: createLogger({ service: 'test', stream: new PassThrough() }) }));
  return server;
}

describe('textGuard', () => {
  const server = app((s) => {
    s.use(textGuard({ code: (problem) => (problem.in === 'query' && problem.key === 'n' ? 'PAGINATION_NUMBER_INVALID' : 'BAD_REQUEST') }));
    s.get('/items/:id', (req, res) => void res.json({ id: req.params.id, q: req.query.q ?? null }));
  });

  it('lets valid requests through untouched', async () => {
    const response = await request(server).get('/items/caf%C3%A9?q=a%2Bb');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: 'café', q: 'a+b' });
  });

  it('answers 400 in the envelope, naming the part at fault, before the route runs', async () => {
    const nul = await request(server).get('/items/1?q=a%00b');
    expect(nul.status).toBe(400);
    expect(nul.body).toEqual({ errors: [{ code: 'BAD_REQUEST', message: 'the query parameter "q" holds a NUL character' }] });
    const path = await request(server).get('/items/%ED%A0%80');
    expect(path.status).toBe(400);
    expect(path.body.errors[0].message).toBe('the path segment "%ED%A0%80" holds bytes that are not UTF-8');
    expect((await request(server).get('/items/%zz')).status).toBe(400);
  });

  it('uses the code the service picks', async () => {
    const response = await request(server).get('/items/1?n=%00');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });

  it('answers HEAD without a body', async () => {
    const response = await request(server).head('/items/1?q=%00');
    expect(response.status).toBe(400);
    expect(response.text ?? '').toBe('');
  });

  it('quotes at most 64 characters of what it refuses', async () => {
    const response = await request(server).get(`/items/1?${'k'.repeat(10_000)}=%00`);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message.length).toBeLessThan(200);
  });
});

describe('bodyTextGuard and rejectNonUtf8Body', () => {
  const server = app((s) => {
    s.use(express.json({ verify: rejectNonUtf8Body }), bodyTextGuard());
    s.post('/things', (req, res) => void res.status(201).json(req.body));
  });

  it('passes an ordinary body', async () => {
    const response = await request(server).post('/things').send({ name: 'café 🐳' });
    expect(response.status).toBe(201);
  });

  it('refuses a NUL or a lone surrogate escaped in JSON, naming the field', async () => {
    const nul = await request(server).post('/things').set('Content-Type', 'application/json').send('{"name":"a\\u0000b"}');
    expect(nul.status).toBe(400);
    expect(nul.body.errors[0]).toEqual({ code: 'BAD_REQUEST', message: 'the body field "name" holds a NUL character' });
    const surrogate = await request(server).post('/things').set('Content-Type', 'application/json').send('{"a":{"b":"\\ud800"}}');
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.errors[0].message).toBe('the body field "a.b" holds a lone UTF-16 surrogate');
  });

  it('refuses bytes that are not UTF-8 instead of storing replacement characters', async () => {
    const body = Buffer.from('{"name":"\xff"}', 'latin1');
    const response = await request(server)
      .post('/things')
      .set('Content-Type', 'application/json')
      .serialize((raw: unknown) => raw as string)
      .send(body as unknown as string);
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toEqual({ code: 'BAD_REQUEST', message: 'the body is not UTF-8' });
  });

  it('refuses absurd nesting', async () => {
    const response = await request(server).post('/things').set('Content-Type', 'application/json').send(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(response.status).toBe(400);
  });
});
