import { matchRegistryPath } from '@wharf/oci';

/** Paths for the suite's own services only. */
const INTERNAL = ['/service/notifications', '/service/internal'];

/** Where blob traffic goes: straight to `registry`-facade after core's check, or through `core`. */
export type RegistryRoute = 'core' | 'registry';

export type Destination = 'core' | 'registry' | 'internal' | 'portal' | 'unknown' | 'invalid';

/** The path as a server would resolve it: percent-decoded, `//` collapsed; undefined when it climbs with `..`. */
export function canonicalPath(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const segments = decoded.replace(/\/+/g, '/').split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) return undefined;
  return segments.join('/');
}

/**
 * Harbor's nginx routes, as one table: `/v2`, `/service`, `/api` and `/c` go to core,
 * `/service/notifications` (registry events, job hooks) and `/service/internal` (access
 * checks) are internal and never reachable from outside, `/` is the portal. With
 * `registryRoute: 'registry'`, blob reads and uploads go straight to registry-facade once
 * core has judged the request (see registry-access.ts); manifests, the catalog, tags and
 * referrers still pass through core.
 */
export function destinationOf(path: string, registryRoute: RegistryRoute): Destination {
  const canonical = canonicalPath(path);
  if (canonical === undefined) return 'invalid';
  const lower = canonical.toLowerCase();
  if (INTERNAL.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`))) return 'internal';
  if (lower === '/v2' || lower.startsWith('/v2/')) {
    if (registryRoute === 'registry') {
      const route = matchRegistryPath(path)?.route;
      if (route === 'blob' || route === 'uploads' || route === 'upload') return 'registry';
    }
    return 'core';
  }
  if (lower.startsWith('/service/') || lower.startsWith('/api/') || lower.startsWith('/c/')) return 'core';
  if (canonical === '/' || canonical === '') return 'portal';
  return 'unknown';
}
