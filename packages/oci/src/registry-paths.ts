/**
 * The `/v2` routes of the distribution spec as path patterns, in the order they must be
 * tried (upload sessions before blobs). Repository names may contain `/`; they are
 * captured as `name` and must still be checked against the name grammar.
 */
export const registryPaths = {
  base: /^\/v2\/?$/,
  catalog: /^\/v2\/_catalog$/,
  tags: /^\/v2\/(?<name>.+)\/tags\/list$/,
  manifest: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/,
  uploads: /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/,
  upload: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<uuid>[^/]+)$/,
  blob: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/,
  referrers: /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/,
} as const;

export type RegistryRoute = keyof typeof registryPaths;

/** The route and repository name of a `/v2` path; undefined for a path outside the spec. */
export function matchRegistryPath(path: string): { route: RegistryRoute; name: string; params: Record<string, string> } | undefined {
  for (const [route, pattern] of Object.entries(registryPaths) as [RegistryRoute, RegExp][]) {
    const match = pattern.exec(path);
    if (match) {
      const params = { ...match.groups } as Record<string, string>;
      return { route, name: params.name ?? '', params };
    }
  }
  return undefined;
}

/** The registry action a request needs on its repository (distribution's and Harbor's rule). */
export function actionForMethod(method: string): 'pull' | 'push' | 'delete' {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  if (method === 'DELETE') return 'delete';
  return 'push';
}
