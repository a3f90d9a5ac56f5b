import { describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { ApiError } from '@wharf/errors';
import { HttpJobServiceClient, jobServiceError } from './jobservice.client.js';

const STATS = { id: 'j1', status: 'Pending', name: 'DEMO', kind: 'Generic', unique: false, enqueue_time: 1, update_time: 1 };

/** A scripted fetch: each call takes the next answer (a Response, or an error to throw) and is recorded. */
function scripted(answers: (Response | Error)[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body: string | undefined }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8082'), { code: 'ECONNREFUSED' }) });
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function client(answers: (Response | Error)[]) {
  const script = scripted(answers);
  return { client: new HttpJobServiceClient({ baseUrl: 'http://js:8082/', secret: new Secret('the-suite-secret-1'), timeoutMs: 1000, backoffMs: 1, fetch: script.fetch }), calls: script.calls };
}

describe('jobservice client', () => {
  it('submits {"job": …} with the Harbor-Secret header and reads the JobStats of a 202', async () => {
    const { client: js, calls } = client([json(202, { job: STATS })]);
    const stats = await js.submit({ name: 'DEMO', parameters: {}, metadata: { kind: 'Generic', unique: false }, status_hook: 'http://core/service/notifications/tasks/1' });
    expect(stats.id).toBe('j1');
    expect(calls[0]).toMatchObject({ url: 'http://js:8082/api/v1/jobs', method: 'POST', headers: { Authorization: 'Harbor-Secret the-suite-secret-1' } });
    expect(JSON.parse(calls[0]!.body!)).toMatchObject({ job: { name: 'DEMO', status_hook: 'http://core/service/notifications/tasks/1' } });
  });

  it('sends a submit again only when the connection was refused', async () => {
    const again = client([refused(), json(202, { job: STATS })]);
    await expect(again.client.submit({ name: 'DEMO', parameters: {}, metadata: { kind: 'Generic' } })).resolves.toMatchObject({ id: 'j1' });
    expect(again.calls).toHaveLength(2);

    const once = client([reset(), json(202, { job: STATS })]);
    await expect(once.client.submit({ name: 'DEMO', parameters: {}, metadata: { kind: 'Generic' } })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(once.calls).toHaveLength(1);

    const failing = client([json(500, { errors: [{ code: 'UNKNOWN', message: 'boom' }] }), json(202, { job: STATS })]);
    await expect(failing.client.submit({ name: 'DEMO', parameters: {}, metadata: { kind: 'Generic' } })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(failing.calls).toHaveLength(1);
  });

  it('retries reads and stops on network errors and 5xx, with a bound', async () => {
    const read = client([reset(), json(503, {}), json(200, { job: { ...STATS, status: 'Running' } })]);
    await expect(read.client.get('j1')).resolves.toMatchObject({ status: 'Running' });
    expect(read.calls).toHaveLength(3);

    const down = client([json(502, {}), json(502, {}), json(502, {}), json(200, { job: STATS })]);
    await expect(down.client.stop('j1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(down.calls).toHaveLength(3);
  });

  it('stops with {"action":"stop"}, a 404 meaning the job is already gone', async () => {
    const { client: js, calls } = client([new Response(null, { status: 204 }), json(404, { errors: [{ code: 'NOT_FOUND', message: 'job x not found' }] })]);
    await expect(js.stop('a@1')).resolves.toBe(true);
    await expect(js.stop('x')).resolves.toBe(false);
    expect(calls[0]).toMatchObject({ url: 'http://js:8082/api/v1/jobs/a%401', method: 'POST', body: '{"action":"stop"}' });
  });

  it('reads a log as text and an unknown job as undefined', async () => {
    const { client: js, calls } = client([new Response('line 1\nline 2\n', { status: 200, headers: { 'Content-Type': 'text/plain' } }), json(404, {})]);
    await expect(js.log('j1')).resolves.toBe('line 1\nline 2\n');
    await expect(js.log('j2')).resolves.toBeUndefined();
    expect(calls[0]!.url).toBe('http://js:8082/api/v1/jobs/j1/log');
  });

  it('turns jobservice errors into ApiErrors', () => {
    expect(jobServiceError(400, { errors: [{ code: 'BAD_REQUEST', message: 'unknown job name' }] })).toMatchObject({ code: 'BAD_REQUEST', status: 400, message: 'unknown job name' });
    expect(jobServiceError(409, { errors: [{ code: 'CONFLICT', message: 'a unique job is queued' }] })).toMatchObject({ code: 'CONFLICT', status: 409 });
    // Harbor's own error body.
    expect(jobServiceError(404, { code: 10010, message: 'object is not found', details: 'j9' })).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'object is not found: j9' });
    expect(jobServiceError(501, 'unsupported action')).toMatchObject({ code: 'UNSUPPORTED', status: 501 });
    // core's secret refused is core's problem, never the API caller's 401.
    const refusedSecret = jobServiceError(401, 'unauthorized');
    expect(refusedSecret).toBeInstanceOf(ApiError);
    expect(refusedSecret).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  });

  it('refuses an accepted submit whose body is not JobStats', async () => {
    const { client: js } = client([json(202, { job: { id: 'j1' } })]);
    await expect(js.submit({ name: 'DEMO', parameters: {}, metadata: { kind: 'Generic' } })).rejects.toMatchObject({ code: 'UNKNOWN', status: 502 });
  });
});
