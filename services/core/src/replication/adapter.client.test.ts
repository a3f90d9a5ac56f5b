import { describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { ApiError } from '@wharf/errors';
import { HttpAdapterClient } from './adapter.client.js';

function client(answers: (() => Response | Promise<Response>)[], seen: RequestInit[] = []) {
  let call = 0;
  const fetchStub = (async (_url: string, init: RequestInit) => {
    seen.push(init);
    const answer = answers[Math.min(call, answers.length - 1)]!;
    call += 1;
    return answer();
  }) as unknown as typeof fetch;
  return new HttpAdapterClient({ baseUrl: 'http://adapter:8083/', secret: new Secret('suite-secret-xyz'), timeoutMs: 1000, backoffMs: 1, fetch: fetchStub });
}
const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const registry = { type: 'harbor', url: 'https://h.example.com', insecure: false };

describe('the adapter client', () => {
  it('sends the suite secret and retries 5xx answers', async () => {
    const seen: RequestInit[] = [];
    const adapter = client([json(503, {}), json(200, { status: 'healthy' })], seen);
    expect(await adapter.health(registry)).toEqual({ status: 'healthy' });
    expect(seen).toHaveLength(2);
    expect((seen[0]!.headers as Record<string, string>).Authorization).toBe('Harbor-Secret suite-secret-xyz');
  });

  it("keeps the adapter's error code and turns a remote registry's refusal into BAD_REQUEST", async () => {
    await expect(client([json(404, { errors: [{ code: 'NOT_FOUND', message: 'no such adapter' }] })]).info(registry)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no such adapter' });
    await expect(client([json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'x' }] })]).info(registry)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(client([json(400, { errors: [{ code: 'UNAUTHORIZED', message: 'bad password' }] })]).info(registry)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('is UNAVAILABLE when the adapter cannot be reached or keeps failing', async () => {
    const refused = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    const error = await client([refused]).adapters().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('UNAVAILABLE');
    await expect(client([json(500, 'boom')]).adapters()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('reads resources leniently, with or without sizes', async () => {
    const resources = await client([
      json(200, [{ type: 'image', metadata: { repository: { name: 'lib/a' }, artifacts: [{ digest: 'sha256:1', tags: null, size: 10, extra: true }] } }]),
    ]).resources(registry, [], { withSizes: true });
    expect(resources[0]!.metadata.artifacts[0]).toMatchObject({ digest: 'sha256:1', tags: [], labels: [], size: 10 });
  });
});
