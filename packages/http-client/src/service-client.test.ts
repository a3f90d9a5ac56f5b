import { ApiError } from '@wharf/errors';
import { runWithRequestContext } from '@wharf/logging';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceCallError, ServiceUnavailableError } from './service-errors.js';
import { ServiceClient } from './service-client.js';

type Answer = Response | Error | (() => Promise<Response>);

/** A scripted fetch: each call takes the next answer and is recorded. */
function scripted(answers: Answer[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const secret = { reveal: () => 's3cret' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

function client(answers: Answer[], timeoutMs = 1000) {
  const script = scripted(answers);
  return { client: new ServiceClient({ service: 'core', baseUrl: 'http://core:8080/', secret, timeoutMs, backoffMs: 1, fetch: script.fetch }), calls: script.calls };
}

describe('ServiceClient', () => {
  it('sends the suite secret, the request id and the traceparent of the request being served', async () => {
    const { client: core, calls } = client([json(200, {})]);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await runWithRequestContext({ requestId: 'req-1', traceparent }, () => core.request('GET', '/readyz'));
    expect(calls[0]!.url).toBe('http://core:8080/readyz');
    expect(calls[0]!.init.headers).toMatchObject({ Authorization: 'Harbor-Secret s3cret', 'X-Request-Id': 'req-1', traceparent });
  });

  it('retries an idempotent call on network errors and 5xx, and returns the last 5xx once the attempts are spent', async () => {
    const retried = client([reset(), json(503, {}), json(200, { ok: true })]);
    expect((await retried.client.request('GET', '/x')).status).toBe(200);
    expect(retried.calls).toHaveLength(3);

    const down = client([json(502, {}), json(502, {}), json(502, {})]);
    expect((await down.client.request('GET', '/x')).status).toBe(502);
    expect(down.calls).toHaveLength(3);
  });

  it('sends a refused-only call again only when the connection was refused', async () => {
    const again = client([refused(), json(202, {})]);
    expect((await again.client.request('POST', '/jobs', { body: {}, retry: 'refused-only' })).status).toBe(202);
    const once = client([reset(), json(202, {})]);
    await expect(once.client.request('POST', '/jobs', { body: {}, retry: 'refused-only' })).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(once.calls).toHaveLength(1);
  });

  it('does not ask again after a timeout under no-timeout-retry', async () => {
    const slow = () => new Promise<Response>((_resolve, reject) => setTimeout(() => reject(new DOMException('slow', 'TimeoutError')), 5));
    const { client: adapter, calls } = client([slow, json(200, {})]);
    await expect(adapter.request('POST', '/api/v1/resources', { body: {}, retry: 'no-timeout-retry' })).rejects.toThrow(/^cannot reach http:\/\/core:8080 \(core\): no answer within/);
    expect(calls).toHaveLength(1);
  });

  it('reads an error answer into the error table, keeping its code and status', async () => {
    const { client: core } = client([json(404, { errors: [{ code: 'NOT_FOUND', message: 'project 9 not found' }] })]);
    const error = await core.json('GET', '/api/v2.0/projects/9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceCallError);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'project 9 not found', service: 'core', permanent: true });
  });

  it('reads a body that is not the envelope as UNKNOWN with its status', async () => {
    const { client: core } = client([new Response('bad gateway', { status: 502 })]);
    await expect(core.json('GET', '/x', { attempts: 1 })).rejects.toMatchObject({ code: 'UNKNOWN', status: 502, message: 'bad gateway', permanent: false });
  });

  it('validates the answer with the schema given', async () => {
    const schema = z.object({ applied: z.number() });
    const ok = client([json(200, { applied: 2 })]);
    await expect(ok.client.json('POST', '/n', { body: {}, schema })).resolves.toEqual({ applied: 2 });
    const bad = client([json(200, { applied: 'two' })]);
    await expect(bad.client.json('POST', '/n', { body: {}, schema })).rejects.toMatchObject({ code: 'UNKNOWN', status: 502 });
  });

  it('lets a stream flow past the timeout once its headers came', async () => {
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        controller.enqueue(new TextEncoder().encode('{"type":"result"}\n'));
        controller.close();
      },
    });
    const { client: adapter } = client([new Response(stream, { status: 200 })], 20);
    const response = await adapter.request('POST', '/copy', { body: {}, stream: true, attempts: 1 });
    await expect(response.text()).resolves.toBe('{"type":"result"}\n');
  });

  it('throws the caller abort as is, without retrying', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    const aborted = () => Promise.reject(new DOMException('aborted', 'AbortError'));
    const { client: adapter, calls } = client([aborted, json(200, {})]);
    await expect(adapter.request('POST', '/copy', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toHaveLength(1);
  });

  it('calls an absolute URL as given (a status hook)', async () => {
    const { client: core, calls } = client([json(200, {})]);
    await core.request('POST', 'http://other:9/service/notifications/tasks/1', { body: {} });
    expect(calls[0]!.url).toBe('http://other:9/service/notifications/tasks/1');
  });
});
