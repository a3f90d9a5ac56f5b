/** The header value every call between Wharf's services carries (Harbor's `Harbor-Secret <secret>`). */
export function harborSecretHeader(secret: string): string {
  return `Harbor-Secret ${secret}`;
}

/** The secret of a `Harbor-Secret` header value, or undefined when the header is of another scheme. */
export function parseHarborSecret(header: string | undefined): string | undefined {
  const match = /^Harbor-Secret\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The subject of the tokens core issues to itself and to the services holding the suite
 * secret (Harbor's `harbor-core`). Their manifest reads are not pulls: the registry records
 * no pull event for them (Harbor ignores such reads by their user agent).
 */
export const INTERNAL_TOKEN_SUBJECT = 'harbor-core';
