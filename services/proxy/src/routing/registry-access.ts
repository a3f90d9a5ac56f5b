import type { Request, Response } from 'express';
import type { Secret } from '@wharf/config';
import { requestIdOf } from '@wharf/http-kit';

/** core's decision on one registry request: go on, or the answer to give the client instead. */
export type AccessDecision = { allowed: true } | { allowed: false; status: number; headers: Record<string, string>; body: Buffer };

export interface RegistryAccessOptions {
  coreUrl: string;
  secret: Secret;
  timeoutMs?: number;
  /** Extra attempts when core cannot be reached (a refused connection, a timeout). */
  retries?: number;
}

/** core refused the proxy itself (its secret): a misconfiguration, never the client's answer. */
export class AccessCheckRefusedError extends Error {
  constructor(status: number) {
    super(`core refused the proxy's registry access check (${status}); check PROXY_CORE_SECRET against CORE_SECRET`);
    this.name = 'AccessCheckRefusedError';
  }
}

/** The headers of core's refusal that the client must see. */
const RELAYED = ['content-type', 'www-authenticate', 'docker-distribution-api-version', 'retry-after'];

/**
 * Asks core's /v2 gate (`POST /service/internal/registry-access`) whether a blob request
 * may go straight to registry-facade: the token, the project's existence and the token's
 * age against the project are core's to judge, so the direct path keeps every policy of
 * the path through core. Only the request line and its Authorization travel; the body
 * waits, unread, until the decision. Every request is judged afresh (no decision is
 * remembered), so a policy change applies to the next request. A refusal of the proxy
 * itself (core does not accept its secret, or its question) is thrown, never relayed as if
 * it were the client's.
 */
export function registryAccess(options: RegistryAccessOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const endpoint = `${options.coreUrl}/service/internal/registry-access`;

  return async function decide(req: Request, res: Response): Promise<AccessDecision> {
    const body = JSON.stringify({ method: req.method, path: req.path, authorization: req.headers.authorization });
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await fetch(endpoint, {
          method: 'POST',
          headers: {
            Authorization: `Harbor-Secret ${options.secret.reveal()}`,
            'Content-Type': 'application/json',
            'X-Request-Id': requestIdOf(res),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const content = Buffer.from(await answer.arrayBuffer());
        if (answer.status === 204) return { allowed: true };
        // The gate's own 401s always carry their Bearer challenge; one without is core refusing the proxy.
        if (answer.status === 401 && !answer.headers.has('www-authenticate')) throw new AccessCheckRefusedError(answer.status);
        if (answer.status >= 500) throw new Error(`core answered the registry access check with ${answer.status}`);
        const headers: Record<string, string> = {};
        for (const name of RELAYED) {
          const value = answer.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        return { allowed: false, status: answer.status, headers, body: content };
      } catch (error) {
        if (error instanceof AccessCheckRefusedError || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  };
}

export type RegistryAccess = ReturnType<typeof registryAccess>;
