import fc from 'fast-check';
import type { HarborApiDefinition, Operation, ParamSpec } from './api-definitions.js';
import { ENCODINGS, encodeComponent, percentEncode, type Encoding } from './encoding.js';
import type { RawRequest } from './raw-http.js';
import { hostileJson, hostileText, toJsonText, type HostileJson } from './values.js';

/** What exists in the suite for benign values to name, and the credentials requests are made with. */
export interface Fixture {
  project: string;
  /** Its id, for `{project_name_or_id}`. */
  projectId: number;
  repository: string;
  /** A repository no request may store anything in (a changed tag list there is a failure). */
  sink: string;
  tag: string;
  digest: string;
  /** A blob of `repository` (the image's config). */
  blobDigest: string;
  /** An open upload session in `sink`. */
  uploadUuid: string;
  userId: number;
  memberId: number;
  robotId: number;
  authorization: { admin: string; guest: string; token: string };
}

/** One parameter made hostile: which one (modulo the operation's), with what text, encoded how. */
export interface HostileParam {
  slot: number;
  text: string;
  encoding: Encoding;
  salt: number;
}

export type BodyMutation =
  | { kind: 'none' }
  | { kind: 'field'; path: number; value: HostileJson }
  | { kind: 'add-key'; path: number; key: string; value: HostileJson }
  | { kind: 'whole'; value: HostileJson }
  | { kind: 'text'; text: string };

export type Caller = 'admin' | 'anonymous' | 'guest' | 'token';

/**
 * Which process the request goes to: the proxy (the public entry), or core or
 * registry-facade directly, as the proxy and the services' own replicas reach them, so each
 * service's own handling is under test and not only the proxy's.
 */
export type Target = 'proxy' | 'core' | 'registry';

/** The Content-Type a body goes with: the one it is, none, another, or one naming a charset it is not in. */
export const CONTENT_TYPES = ['declared', 'none', 'text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export interface HostileCase {
  op: number;
  params: HostileParam[];
  body: BodyMutation;
  caller: Caller;
  target: Target;
  contentType: ContentType;
}

export function hostileParam(): fc.Arbitrary<HostileParam> {
  return fc.record({ slot: fc.nat(), text: hostileText(), encoding: fc.constantFrom(...ENCODINGS), salt: fc.nat() });
}

export function bodyMutation(): fc.Arbitrary<BodyMutation> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<BodyMutation>({ kind: 'none' }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('field' as const), path: fc.nat(), value: hostileJson() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('add-key' as const), path: fc.nat(), key: hostileText(), value: hostileJson() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: hostileJson() }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '{"a":', '[1,]', '{"a":1}x', 'nul', '\u0000', '{"a":"\u0000"}', '\ufeff{}', '{"a":1,"a":2}').map((text): BodyMutation => ({ kind: 'text', text })),
    },
  );
}

export function hostileCase(operations: number): fc.Arbitrary<HostileCase> {
  return fc.record({
    op: fc.nat({ max: operations - 1 }),
    params: fc.array(hostileParam(), { minLength: 1, maxLength: 2 }),
    body: bodyMutation(),
    caller: fc.constantFrom<Caller>('admin', 'admin', 'anonymous', 'guest', 'token'),
    target: fc.constantFrom<Target>('proxy', 'proxy', 'core', 'registry'),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant<ContentType>('declared') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
  });
}

/** DELETE names nothing that exists, so no hostile case can remove a fixture; other methods reach the fixtures. */
const reachesFixtures = (op: Operation) => op.method !== 'DELETE';

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

/** The benign (raw, encoded) value of a parameter that is not the hostile one. */
export function benignValue(op: Operation, param: ParamSpec, fixture: Fixture): string | undefined {
  const live = reachesFixtures(op);
  if (op.api === 'oci') {
    const write = op.method !== 'GET' && op.method !== 'HEAD';
    switch (param.name) {
      case 'name':
        return write ? fixture.sink : fixture.repository;
      case 'other_name':
        return fixture.repository;
      case 'tag-or-digest':
        return write ? 'none' : fixture.tag;
      case 'digest':
        return param.in === 'query' ? (op.template.includes('uploads') && !write ? fixture.blobDigest : ZERO_DIGEST) : live ? fixture.blobDigest : ZERO_DIGEST;
      case 'uuid':
        return fixture.uploadUuid;
      case 'mount':
        return fixture.blobDigest;
      case 'from':
        return fixture.repository;
      case 'n':
        return '2';
      case 'last':
        return 'a';
      case 'digest-algorithm':
        return 'sha256';
      default:
        return undefined;
    }
  }
  if (op.api === 'auth') {
    const values: Record<string, string> = { service: 'harbor-registry', scope: `repository:${fixture.repository}:pull`, grant_type: 'password', username: 'hx-nobody', principal: 'hx-nobody', password: 'wrong' };
    return values[param.name];
  }
  if (param.in !== 'path') return undefined;
  switch (param.name) {
    case 'project_name_or_id':
      return live ? fixture.project : 'hx-none';
    case 'project_name':
      return live ? fixture.project : 'hx-none';
    case 'repository_name':
      return live ? fixture.repository.slice(fixture.project.length + 1) : 'none';
    case 'reference':
      return live ? fixture.digest : ZERO_DIGEST;
    case 'tag_name':
      return live ? fixture.tag : 'none';
    case 'user_id':
      return live ? String(fixture.userId) : '999999';
    case 'robot_id':
      return live ? String(fixture.robotId) : '999999';
    case 'mid':
      return live ? String(fixture.memberId) : '999999';
    default:
      return param.type === 'integer' ? '999999' : 'hxnone';
  }
}

/** Skeleton values validation needs to go past the first field (so one hostile field is what it meets). */
function skeletonOverrides(fixture: Fixture): Record<string, HostileJson> {
  return {
    project_name: 'hxskel',
    username: 'hxskel',
    name: 'hxskel',
    email: 'hxskel@example.com',
    password: 'Hx-Skeleton-1',
    new_password: 'Hx-Skeleton-2',
    old_password: 'Hx-Wrong-1',
    level: 'system',
    kind: 'project',
    namespace: fixture.project,
    resource: 'repository',
    action: 'pull',
    effect: 'allow',
    'Registry.type': 'docker-registry',
    'Registry.id': 424242,
    url: 'http://127.0.0.1:9',
    'ReplicationTrigger.type': 'manual',
    'ReplicationFilter.type': 'name',
    'ReplicationFilter.value': 'x/**',
    role_id: 3,
    duration: 1,
    public: 'false',
    dest_namespace_replace_count: -1,
  };
}

/** Every location in a JSON value (the root first), as key paths. */
function locations(value: HostileJson, out: (string | number)[][] = [], at: (string | number)[] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((item, index) => locations(item, out, [...at, index]));
  else if (value !== null && typeof value === 'object' && value.constructor === Object) for (const [key, item] of Object.entries(value as Record<string, HostileJson>)) locations(item, out, [...at, key]);
  return out;
}

function replaced(value: HostileJson, at: readonly (string | number)[], next: (current: HostileJson) => HostileJson): HostileJson {
  if (at.length === 0) return next(value);
  const [head, ...rest] = at;
  if (Array.isArray(value)) return value.map((item, index) => (index === head ? replaced(item, rest, next) : item));
  const object = value as Record<string, HostileJson>;
  return { ...object, [head!]: replaced(object[head!]!, rest, next) };
}

/** The body of a case: the skeleton with one mutation, as the bytes sent. */
export function bodyText(skeleton: HostileJson, mutation: BodyMutation): string {
  switch (mutation.kind) {
    case 'none':
      return toJsonText(skeleton);
    case 'whole':
      return toJsonText(mutation.value);
    case 'text':
      return mutation.text;
    case 'field': {
      const all = locations(skeleton);
      return toJsonText(replaced(skeleton, all[mutation.path % all.length]!, () => mutation.value));
    }
    case 'add-key': {
      const objects = locations(skeleton).filter((at) => {
        let node: HostileJson = skeleton;
        for (const step of at) node = (node as Record<string | number, HostileJson>)[step]!;
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      if (objects.length === 0) return toJsonText(mutation.value);
      const at = objects[mutation.path % objects.length]!;
      return toJsonText(replaced(skeleton, at, (node) => ({ ...(node as Record<string, HostileJson>), [mutation.key]: mutation.value })));
    }
  }
}

/** A manifest that can never be stored (its config is a blob nobody has), mutated like any other body. */
function manifestSkeleton(): HostileJson {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: ZERO_DIGEST, size: 2 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: ZERO_DIGEST, size: 2 }],
    annotations: { 'org.opencontainers.image.title': 'hx' },
  };
}

/** The skeleton body of an operation (JSON bodies only), before any mutation. */
export function skeletonOf(operation: Operation, fixture: Fixture, harbor: HarborApiDefinition): HostileJson | undefined {
  if (operation.body === 'manifest') return manifestSkeleton();
  if (operation.body === undefined || operation.body === 'bytes' || operation.body === 'form') return undefined;
  return harbor.skeleton(operation.body, skeletonOverrides(fixture));
}

/** How many locations (the root, every member and element) a `field` mutation can choose from. */
export function bodyLocationCount(operation: Operation, fixture: Fixture, harbor: HarborApiDefinition): number {
  const skeleton = skeletonOf(operation, fixture, harbor);
  return skeleton === undefined ? 0 : locations(skeleton).length;
}

/** Header values must be latin1 without controls on the wire; a hostile text is squeezed into that. */
const headerSafe = (text: string) => text.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, '?').slice(0, 8000);

/**
 * The request of one case: the operation's parameters with benign values, except the
 * chosen ones; the body (skeleton, mutated); the caller's credentials.
 */
export function buildRequest(
  operation: Operation,
  hostile: readonly HostileParam[],
  body: BodyMutation,
  caller: Caller,
  fixture: Fixture,
  harbor: HarborApiDefinition,
  contentType: ContentType = 'declared',
): RawRequest {
  const chosen = new Map<ParamSpec, HostileParam>();
  for (const param of hostile) if (operation.params.length > 0) chosen.set(operation.params[param.slot % operation.params.length]!, param);
  const valueOf = (param: ParamSpec): string | undefined => {
    const bad = chosen.get(param);
    if (bad) return encodeComponent(bad.text, bad.encoding, bad.salt);
    const benign = benignValue(operation, param, fixture);
    return benign === undefined ? undefined : percentEncode(benign, ':/@');
  };
  let path = operation.template;
  const query: string[] = [];
  const form: string[] = [];
  const headers: Record<string, string> = {};
  for (const param of operation.params) {
    const value = valueOf(param);
    if (param.in === 'path') path = path.replace(`{${param.name}}`, value ?? 'hxnone');
    else if (value === undefined) continue;
    else if (param.in === 'query') query.push(`${param.name}=${value}`);
    else if (param.in === 'form') form.push(`${param.name}=${value}`);
    else {
      const bad = chosen.get(param);
      headers[param.name] = bad ? headerSafe(bad.text) : decodeURIComponent(value);
    }
  }
  const credentials: Record<Caller, string | undefined> = {
    admin: fixture.authorization.admin,
    guest: fixture.authorization.guest,
    token: fixture.authorization.token,
    anonymous: undefined,
  };
  const authorization = operation.api === 'oci' && caller === 'admin' ? fixture.authorization.token : credentials[caller];
  if (authorization) headers.Authorization = authorization;
  let payload: string | Buffer | undefined;
  if (operation.body === 'form') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    payload = form.join('&');
  } else if (operation.body === 'bytes') {
    headers['Content-Type'] = 'application/octet-stream';
    payload = Buffer.from(body.kind === 'text' ? body.text : 'hx-bytes');
  } else if (operation.body) {
    headers['Content-Type'] = operation.body === 'manifest' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/json';
    payload = bodyText(skeletonOf(operation, fixture, harbor)!, body);
  }
  if (payload !== undefined && contentType === 'none') delete headers['Content-Type'];
  else if (payload !== undefined && contentType !== 'declared') headers['Content-Type'] = contentType;
  return { method: operation.method, target: query.length > 0 ? `${path}?${query.join('&')}` : path, headers, body: payload };
}
