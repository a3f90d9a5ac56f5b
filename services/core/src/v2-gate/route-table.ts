import { actionForMethod, matchRegistryPath, type RegistryRoute } from '@wharf/oci';

/** How the gate's routes file serves a request once the gate admitted it. */
export type GateHandling =
  /** `GET /v2/`: any valid token. */
  | 'ping'
  /** `GET /v2/_catalog`: answered by core from its projection. */
  | 'catalog'
  /** Manifest GET/HEAD: served from core's read cache, or passed to the registry and remembered. */
  | 'manifest-read'
  /** Manifest PUT: the body is read, passed to the registry, and projected from what was sent. */
  | 'manifest-push'
  /** Streamed to the registry as it is (blobs, uploads, tags, referrers, manifest deletes). */
  | 'pass';

/**
 * The policies the gate applies to a repository route, in order, after the token and the
 * project's existence. Features add theirs here (read-only mode, quotas and tag immutability
 * come with storage governance); each name has one implementation in the gate service.
 */
export type GatePolicy =
  /** A token issued before its project was (re)created is refused: names are reused after deletes. */
  | 'token-not-older-than-project'
  /** Harbor's "prevent vulnerable images from running": a pull of an artifact at or above the project's severity is refused. */
  | 'prevent-vulnerable';

export interface GateRoute {
  route: RegistryRoute;
  method: string;
  /** What the token must grant on the repository; `catalog` needs `registry:catalog:*` or a principal that sees projects; `none` any valid token. */
  action: 'pull' | 'push' | 'delete' | 'catalog' | 'none';
  handling: GateHandling;
  policies: readonly GatePolicy[];
  /** Changes the repository's manifests or tags (the read cache forgets the repository when it succeeds). */
  changesManifests?: boolean;
}

const always: readonly GatePolicy[] = ['token-not-older-than-project'];

/**
 * Every `/v2` route of the distribution spec with the action it needs and the policies it
 * passes: the one place that says what the gate does with a request. Methods a route does not
 * list (a POST on a manifest, say) need the action of their method (push) and are passed to
 * the registry, whose answer (405, 404) the client gets, as from distribution.
 */
export const GATE_ROUTES: readonly GateRoute[] = [
  { route: 'base', method: 'GET', action: 'none', handling: 'ping', policies: [] },
  { route: 'base', method: 'HEAD', action: 'none', handling: 'ping', policies: [] },
  { route: 'catalog', method: 'GET', action: 'catalog', handling: 'catalog', policies: [] },
  { route: 'manifest', method: 'GET', action: 'pull', handling: 'manifest-read', policies: [...always, 'prevent-vulnerable'] },
  { route: 'manifest', method: 'HEAD', action: 'pull', handling: 'manifest-read', policies: always },
  { route: 'manifest', method: 'PUT', action: 'push', handling: 'manifest-push', policies: always, changesManifests: true },
  { route: 'manifest', method: 'DELETE', action: 'delete', handling: 'pass', policies: always, changesManifests: true },
  { route: 'tags', method: 'GET', action: 'pull', handling: 'pass', policies: always },
  { route: 'referrers', method: 'GET', action: 'pull', handling: 'pass', policies: always },
  { route: 'blob', method: 'GET', action: 'pull', handling: 'pass', policies: always },
  { route: 'blob', method: 'HEAD', action: 'pull', handling: 'pass', policies: always },
  { route: 'blob', method: 'DELETE', action: 'delete', handling: 'pass', policies: always },
  { route: 'uploads', method: 'POST', action: 'push', handling: 'pass', policies: always },
  { route: 'upload', method: 'GET', action: 'push', handling: 'pass', policies: always },
  { route: 'upload', method: 'PATCH', action: 'push', handling: 'pass', policies: always },
  { route: 'upload', method: 'PUT', action: 'push', handling: 'pass', policies: always },
  { route: 'upload', method: 'DELETE', action: 'push', handling: 'pass', policies: always },
];

const byKey = new Map(GATE_ROUTES.map((route) => [`${route.method} ${route.route}`, route]));

export interface MatchedGateRoute {
  route: GateRoute;
  /** The repository name (empty for `base` and `catalog`). */
  name: string;
  params: Record<string, string>;
}

/** The gate's route for a request; undefined for a path outside the distribution spec. */
export function gateRouteOf(method: string, path: string): MatchedGateRoute | undefined {
  const match = matchRegistryPath(path);
  if (!match) return undefined;
  const upper = method.toUpperCase();
  const route =
    byKey.get(`${upper} ${match.route}`) ??
    (match.route === 'base'
      ? { route: match.route, method: upper, action: 'none' as const, handling: 'ping' as const, policies: [] }
      : match.route === 'catalog'
        ? { route: match.route, method: upper, action: 'catalog' as const, handling: 'catalog' as const, policies: [] }
        : { route: match.route, method: upper, action: actionForMethod(upper), handling: 'pass' as const, policies: always });
  return { route, name: match.name, params: match.params };
}
