import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/** Harbor's own OpenAPI 2.0 document (basePath /api/v2.0); `HARBOR_SWAGGER` points elsewhere. */
export const HARBOR_SWAGGER = process.env.HARBOR_SWAGGER ?? '/work/shared/reference/harbor/swagger.yaml';

/** What the contract needs of an answer (a `HarborClient` response has it). */
export interface ContractResponse {
  status: number;
  headers: Headers;
  text: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SwaggerResponse {
  description?: string;
  schema?: JsonObject;
  headers?: Record<string, { type?: string }>;
  $ref?: string;
}

interface SwaggerOperation {
  produces?: string[];
  responses: Record<string, SwaggerResponse>;
}

interface SwaggerDocument {
  produces?: string[];
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, JsonObject>;
  responses: Record<string, SwaggerResponse>;
}

const DOCUMENT_ID = 'harbor-swagger.json';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Every error answer of Harbor is `{"errors":[{"code","message"}]}`. The swagger's `Errors`
 * declares no required field; this is what clients (harbor-cli, go-client, the portal)
 * actually read, so the contract holds error bodies to it as well.
 */
const ERROR_ENVELOPE = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', minLength: 1 }, message: { type: 'string' } } },
    },
  },
};

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Swagger 2.0 schema → JSON Schema (draft 7) as ajv reads it:
 * - `$ref: '#/definitions/X'` points into the whole document, registered once;
 * - `x-nullable: true` admits null (Swagger 2.0 has no `nullable`);
 * - vendor extensions and `example`/`discriminator` are dropped, `additionalProperties` is kept
 *   as declared (Harbor's schemas are open);
 * - a bare `{type: object}` (no properties, no additionalProperties) is go-swagger's
 *   `interface{}`: any JSON value. Harbor's `ExtraAttrs` (`map[string]interface{}`) is one;
 *   Harbor itself answers `"architecture": "amd64"` there.
 */
export function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || key === 'example' || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#/') ? `${DOCUMENT_ID}${value}` : value;
    else if ((key === 'properties' || key === 'definitions') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else out[key] = toJsonSchema(value);
  }
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined && out.allOf === undefined && out.$ref === undefined) {
    delete out.type;
  }
  if (node['x-nullable'] !== true) return out;
  if (typeof out.$ref === 'string') {
    const { $ref, ...rest } = out;
    return { ...rest, anyOf: [{ type: 'null' }, { $ref }] };
  }
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

function describe(errors: readonly ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((e) => `${where}${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** RFC 5988 `Link`: rel → URL. */
export function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  for (const match of (header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) links[match[2]!] = match[1]!;
  return links;
}

/**
 * Harbor's API contract, read from its swagger: for one path template, method and status,
 * whether an answer's status is declared, its body validates against the declared schema,
 * and its declared headers are there.
 */
export class HarborOpenApi {
  readonly #doc: SwaggerDocument;
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #errors: ValidateFunction;
  /** `METHOD template status` of every answer checked, for coverage. */
  readonly exercised = new Set<string>();

  constructor(file = HARBOR_SWAGGER) {
    this.#doc = parse(readFileSync(file, 'utf8')) as SwaggerDocument;
    this.#ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    this.#ajv.addFormat('date-time', { type: 'string', validate: (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)) });
    this.#ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 });
    this.#ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
    this.#ajv.addFormat('int', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
    this.#ajv.addSchema({ $id: DOCUMENT_ID, definitions: toJsonSchema(this.#doc.definitions) });
    this.#errors = this.#ajv.compile(ERROR_ENVELOPE);
  }

  /** The operation, or an error naming what the swagger has for that path. */
  operation(method: string, template: string): SwaggerOperation {
    const item = this.#doc.paths[template];
    if (!item) throw new Error(`${template} is not a path of Harbor's API`);
    const operation = item[method.toLowerCase()];
    if (!operation || !HTTP_METHODS.has(method.toLowerCase())) {
      throw new Error(`${method} ${template} is not in Harbor's API (it has ${Object.keys(item).filter((m) => HTTP_METHODS.has(m)).join(', ')})`);
    }
    return operation;
  }

  /** The declared answer for a status (shared `#/responses/…` resolved), or `default`. */
  response(method: string, template: string, status: number): SwaggerResponse | undefined {
    const responses = this.operation(method, template).responses;
    const declared = responses[String(status)] ?? responses.default;
    if (!declared?.$ref) return declared;
    return this.#doc.responses[declared.$ref.replace('#/responses/', '')];
  }

  declaredStatuses(method: string, template: string): string[] {
    return Object.keys(this.operation(method, template).responses);
  }

  /**
   * Everything wrong with this answer for `METHOD template` under Harbor's swagger; empty
   * when it conforms. Body rules: a declared schema is validated (JSON, or the text itself
   * for `text/plain` operations); an error status without a schema is held to Harbor's error
   * envelope all the same; a success without a schema, and any HEAD answer, has no body.
   */
  problems(method: string, template: string, response: ContractResponse): string[] {
    const operation = this.operation(method, template);
    const where = `${method.toUpperCase()} ${template} → ${response.status}`;
    this.exercised.add(`${method.toUpperCase()} ${template} ${response.status}`);
    const declared = this.response(method, template, response.status);
    if (!declared) return [`${where}: status not declared (declared: ${this.declaredStatuses(method, template).join(', ')}); body ${response.text.slice(0, 300)}`];
    const problems: string[] = [];
    const contentType = response.headers.get('content-type') ?? '';
    const isError = response.status >= 400;

    if (!response.headers.get('x-request-id')) problems.push(`${where}: no X-Request-Id header`);
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      const value = response.headers.get(name);
      if (name === 'X-Total-Count') {
        if (value === null) problems.push(`${where}: no X-Total-Count header`);
        else if (!/^\d+$/.test(value)) problems.push(`${where}: X-Total-Count ${JSON.stringify(value)} is not an integer`);
      } else if (value !== null && header.type === 'integer' && !/^-?\d+$/.test(value)) {
        problems.push(`${where}: header ${name} ${JSON.stringify(value)} is not an integer`);
      }
    }

    if (method.toUpperCase() === 'HEAD') {
      if (response.text !== '') problems.push(`${where}: a HEAD answer has a body: ${response.text.slice(0, 200)}`);
      return problems;
    }
    if (!declared.schema && !isError) {
      if (response.text !== '') problems.push(`${where}: no schema is declared, yet the answer has a body: ${response.text.slice(0, 200)}`);
      return problems;
    }

    const produces = operation.produces ?? this.#doc.produces ?? ['application/json'];
    let body: unknown;
    if (!isError && produces.includes('text/plain') && !produces.includes('application/json')) {
      if (!contentType.startsWith('text/plain')) problems.push(`${where}: Content-Type ${JSON.stringify(contentType)}, expected text/plain`);
      body = response.text;
    } else {
      if (!contentType.includes('application/json')) problems.push(`${where}: Content-Type ${JSON.stringify(contentType)}, expected application/json`);
      try {
        body = JSON.parse(response.text) as unknown;
      } catch {
        return [...problems, `${where}: the body is not JSON: ${response.text.slice(0, 200)}`];
      }
    }

    const schema = declared.schema ?? { $ref: '#/definitions/Errors' };
    const validate = this.#validator(schema);
    if (!validate(body)) problems.push(...describe(validate.errors, `${where}: body`));
    if (isError && !this.#errors(body)) problems.push(...describe(this.#errors.errors, `${where}: error envelope`));
    return problems;
  }

  #validator(schema: JsonObject): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile(toJsonSchema(schema) as object);
      this.#validators.set(key, validate);
    }
    return validate;
  }
}
