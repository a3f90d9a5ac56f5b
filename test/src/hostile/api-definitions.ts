import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { HARBOR_SWAGGER } from '../harbor-openapi.js';
import type { HostileJson } from './values.js';

/** The distribution spec whose endpoint table lists every `/v2` route. */
export const OCI_DISTRIBUTION_SPEC = process.env.OCI_DISTRIBUTION_SPEC ?? '/work/shared/reference/oci-distribution-spec/spec.md';

export interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header' | 'form';
  /** The declared type: `string`, `integer`, `boolean`, `array`, …; for `/v2` routes, what the placeholder names (`name`, `digest`, `reference`, `uuid`, `integer`, …). */
  type: string;
}

export interface Operation {
  api: 'harbor' | 'oci' | 'auth';
  method: string;
  /** The path with `{param}` placeholders, as the definition names it (`/api/v2.0` prefixed for Harbor's). */
  template: string;
  /** The definition's own name for the route: `GET /projects/{project_name_or_id}`, `end-3`, … */
  label: string;
  params: ParamSpec[];
  /** The body's JSON schema (Harbor) or kind (`manifest`, `bytes`); undefined without a body. */
  body?: JsonSchema | 'manifest' | 'bytes' | 'form';
}

export type JsonSchema = { [key: string]: unknown };

interface SwaggerParameter {
  $ref?: string;
  name: string;
  in: string;
  type?: string;
  schema?: JsonSchema;
}

interface SwaggerDocument {
  basePath: string;
  paths: Record<string, Record<string, { parameters?: SwaggerParameter[] }>>;
  parameters: Record<string, SwaggerParameter>;
  definitions: Record<string, JsonSchema>;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

/**
 * Harbor's API v2.0 as its swagger declares it: every operation with its path, query and
 * header parameters and its body schema, and skeleton bodies built from the definitions.
 */
export class HarborApiDefinition {
  readonly #doc: SwaggerDocument;

  constructor(file = HARBOR_SWAGGER) {
    this.#doc = parse(readFileSync(file, 'utf8')) as SwaggerDocument;
  }

  operations(): Operation[] {
    const operations: Operation[] = [];
    for (const [path, item] of Object.entries(this.#doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const params: ParamSpec[] = [];
        let body: JsonSchema | undefined;
        for (const declared of operation.parameters ?? []) {
          const parameter = declared.$ref ? this.#doc.parameters[declared.$ref.split('/').pop()!]! : declared;
          if (parameter.in === 'body') body = parameter.schema ?? {};
          else if (parameter.in === 'path' || parameter.in === 'query' || parameter.in === 'header') params.push({ name: parameter.name, in: parameter.in, type: parameter.type ?? 'string' });
        }
        operations.push({ api: 'harbor', method: method.toUpperCase(), template: `${this.#doc.basePath}${path}`, label: `${method.toUpperCase()} ${path}`, params, body });
      }
    }
    return operations;
  }

  /**
   * A body of the declared shape whose fields hold plausible values (so that a single
   * hostile field is what a server must refuse): strings, ids that name nothing, and the
   * few values that validation needs to go on (`overrides`, by `Definition.property` or
   * by property name).
   */
  skeleton(schema: JsonSchema, overrides: Readonly<Record<string, HostileJson>>, depth = 0, owner = ''): HostileJson {
    const ref = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop()! : undefined;
    const resolved = ref ? this.#doc.definitions[ref] ?? {} : schema;
    const definition = ref ?? owner;
    if (depth > 4) return null;
    const type = resolved.type as string | undefined;
    if (type === 'array') return [this.skeleton((resolved.items as JsonSchema | undefined) ?? {}, overrides, depth + 1, definition)];
    if (type === 'object' || resolved.properties) {
      const out: Record<string, HostileJson> = {};
      for (const [name, property] of Object.entries((resolved.properties as Record<string, JsonSchema> | undefined) ?? {})) {
        if (property.readOnly === true) continue;
        const override = overrides[`${definition}.${name}`] ?? overrides[name];
        out[name] = override !== undefined ? override : this.skeleton(property, overrides, depth + 1, definition);
      }
      const additional = resolved.additionalProperties;
      if (additional && typeof additional === 'object' && Object.keys(out).length === 0) out.hxkey = this.skeleton(additional as JsonSchema, overrides, depth + 1, definition);
      return out;
    }
    if (Array.isArray(resolved.enum) && resolved.enum.length > 0) return resolved.enum[0] as HostileJson;
    if (type === 'integer' || type === 'number') return 424242;
    if (type === 'boolean') return false;
    if (resolved.format === 'date-time') return '2024-01-01T00:00:00Z';
    return 'hxskel';
  }
}

/** What a `<placeholder>` of the spec's endpoint table names. */
const PLACEHOLDERS: Record<string, string> = {
  name: 'name',
  other_name: 'name',
  digest: 'digest',
  'tag-or-digest': 'reference',
  reference: 'reference',
  integer: 'integer',
  tagname: 'tag',
  algorithm: 'algorithm',
  artifactType: 'media-type',
};

/**
 * The `/v2` routes of the OCI distribution spec, read from its endpoint table (end-1 …):
 * methods, path placeholders and query parameters. `<blob-push-location>` is the upload
 * session's path, `/v2/<name>/blobs/uploads/<uuid>`. The catalog, which the spec leaves
 * to registries and every one in use serves, is added as `catalog`.
 */
export function ociOperations(file = OCI_DISTRIBUTION_SPEC): Operation[] {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^\|\s*end-\d+[a-z]?\s*\|/.test(line));
  const operations: Operation[] = [];
  for (const row of rows) {
    const [id, methods, rawPath] = row.split('|').slice(1, 4).map((cell) => cell.trim().replace(/`/g, ''));
    const path = rawPath!.replace('<blob-push-location>', '/v2/<name>/blobs/uploads/<uuid>');
    const [pathPart, queryPart] = path.split('?') as [string, string | undefined];
    const params: ParamSpec[] = [];
    const template = pathPart.replace(/<([^>]+)>/g, (_, name: string) => {
      params.push({ name, in: 'path', type: PLACEHOLDERS[name] ?? name });
      return `{${name}}`;
    });
    for (const pair of (queryPart ?? '').split('&').filter(Boolean)) {
      const [name, value = ''] = pair.split('=');
      if (params.some((p) => p.in === 'query' && p.name === name)) continue;
      const placeholder = /^<(.+)>$/.exec(value)?.[1];
      params.push({ name: name!, in: 'query', type: placeholder ? PLACEHOLDERS[placeholder] ?? placeholder : 'tag' });
    }
    for (const method of methods!.split('/').map((m) => m.trim())) {
      const body = method === 'PUT' && template.includes('/manifests/') ? 'manifest' : method === 'PATCH' || (method === 'PUT' && template.includes('/uploads/')) ? 'bytes' : undefined;
      operations.push({ api: 'oci', method, template, label: `${id} ${method} ${path}`, params, body });
    }
  }
  operations.push({
    api: 'oci',
    method: 'GET',
    template: '/v2/_catalog',
    label: 'catalog GET /v2/_catalog?n=<integer>&last=<name>',
    params: [
      { name: 'n', in: 'query', type: 'integer' },
      { name: 'last', in: 'query', type: 'name' },
    ],
  });
  return operations;
}

/**
 * The endpoints outside both definitions that every client calls: the token service
 * (`GET`, and the OAuth2 form `POST`, as docker and podman send them) and the portal's
 * browser login.
 */
export function authOperations(): Operation[] {
  const query = (...names: string[]) => names.map((name): ParamSpec => ({ name, in: 'query', type: 'string' }));
  const form = (...names: string[]) => names.map((name): ParamSpec => ({ name, in: 'form', type: 'string' }));
  return [
    { api: 'auth', method: 'GET', template: '/service/token', label: 'GET /service/token', params: query('service', 'scope', 'account', 'offline_token', 'client_id') },
    {
      api: 'auth',
      method: 'POST',
      template: '/service/token',
      label: 'POST /service/token',
      params: form('grant_type', 'service', 'scope', 'refresh_token', 'username', 'password', 'client_id', 'access_type'),
      body: 'form',
    },
    { api: 'auth', method: 'POST', template: '/c/login', label: 'POST /c/login', params: form('principal', 'password'), body: 'form' },
  ];
}
