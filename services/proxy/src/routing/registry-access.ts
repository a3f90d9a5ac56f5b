import type { Request, Response } from 'express';
import type { Secret } from '@wharf/config';
import type { RegistryAccessDecisionV1 } from '@wharf/contracts';
import { CoreClient, ServiceCallError } from '@wharf/http-client';
import { requestIdOf } from '@wharf/http-kit';

/** core's decision on one registry request: go on, or the answer to give the client instead. */
export type AccessDecision = RegistryAccessDecisionV1;

export interface RegistryAccessOptions {
  coreUrl: string;
  secret: Secret;
  timeoutMs?: number;
  /** Extra attempts when core cannot be reached (a refused connection, a timeout) or fails. */
  retries?: number;
}

/** core refused the proxy itself (its secret): a misconfiguration, never the client's answer. */
export class AccessCheckRefusedError extends Error {
  constructor(status: number) {
    super(`core refused the proxy's registry access check (${status}); check PROXY_CORE_SECRET against CORE_SECRET`);
    this.name = 'AccessCheckRefusedError';
  }
}

/**
 * Asks core's /v2 gate (`POST /service/internal/registry-access`, through core's client)
 * whether a blob request may go straight to registry-facade: the token, the project's
 * existence and the token's age against the project are core's to judge, so the direct
 * path keeps every policy of the path through core. Only the request line and its
 * Authorization travel; the body waits, unread, until the decision. Every request is judged
 * afresh (no decision is remembered), so a policy change applies to the next request. A
 * refusal of the proxy itself (core does not accept its secret, or its question) is
 * thrown, never relayed as if it were the client's.
 */
export function registryAccess(options: RegistryAccessOptions) {
  const core = new CoreClient({ baseUrl: options.coreUrl, secret: options.secret, timeoutMs: options.timeoutMs ?? 10_000, backoffMs: 100 });
  const attempts = (options.retries ?? 2) + 1;

  return async function decide(req: Request, res: Response): Promise<AccessDecision> {
    try {
      return await core.registryAccess({ method: req.method as 'GET', path: req.path, authorization: req.headers.authorization }, { requestId: requestIdOf(res), attempts });
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 401) throw new AccessCheckRefusedError(error.status);
      throw error;
    }
  };
}

export type RegistryAccess = ReturnType<typeof registryAccess>;
