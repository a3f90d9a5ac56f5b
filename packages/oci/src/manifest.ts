import AjvDraft04 from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import contentDescriptorSchema from './schema/content-descriptor.json' with { type: 'json' };
import defsDescriptorSchema from './schema/defs-descriptor.json' with { type: 'json' };
import defsSchema from './schema/defs.json' with { type: 'json' };
import imageIndexSchema from './schema/image-index-schema.json' with { type: 'json' };
import imageManifestSchema from './schema/image-manifest-schema.json' with { type: 'json' };
import { isImageManifestMediaType, isIndexMediaType, MediaType, normaliseMediaType } from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  artifactType?: string;
  platform?: Platform;
}

interface ManifestCommon {
  /** The manifest's media type: its `mediaType` field, else the request's Content-Type, else inferred. */
  mediaType: string;
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageManifest extends ManifestCommon {
  kind: 'image';
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex extends ManifestCommon {
  kind: 'index';
  manifests: Descriptor[];
}

export type ParsedManifest = ImageManifest | ImageIndex;

/** The body is not a manifest the registry accepts; `reasons` says why, one line each. */
export class ManifestInvalidError extends Error {
  readonly reasons: readonly string[];

  constructor(reasons: readonly string[]) {
    super(reasons[0] ?? 'manifest invalid');
    this.name = 'ManifestInvalidError';
    this.reasons = reasons;
  }
}

const SCHEMA_BASE = 'https://opencontainers.org/schema/';

/** Removes the draft-04 `id` keywords so every `$ref` resolves against the file it was read from. */
function withoutIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIds);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'id' && typeof value === 'string') continue;
    out[key] = withoutIds(value);
  }
  return out;
}

function compileValidators(): { manifest: ValidateFunction; index: ValidateFunction } {
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  // The one deviation from the schemas: image-manifest-schema.json requires at least one
  // layer, while manifest.md only says layers SHOULD have one and the distribution spec
  // says the list of blobs MAY be empty (its conformance suite pushes such manifests).
  const manifest = withoutIds(imageManifestSchema) as { properties: { layers: Record<string, unknown> } };
  delete manifest.properties.layers.minItems;
  const files: Record<string, unknown> = {
    'defs.json': withoutIds(defsSchema),
    'defs-descriptor.json': withoutIds(defsDescriptorSchema),
    'content-descriptor.json': withoutIds(contentDescriptorSchema),
    'image-manifest-schema.json': manifest,
    'image-index-schema.json': withoutIds(imageIndexSchema),
  };
  for (const [file, schema] of Object.entries(files)) ajv.addSchema(schema as object, `${SCHEMA_BASE}${file}`);
  return {
    manifest: ajv.getSchema(`${SCHEMA_BASE}image-manifest-schema.json`) as ValidateFunction,
    index: ajv.getSchema(`${SCHEMA_BASE}image-index-schema.json`) as ValidateFunction,
  };
}

let validators: ReturnType<typeof compileValidators> | undefined;

/** Content types that say nothing about which manifest this is. */
const GENERIC_TYPES = new Set(['application/json', 'application/octet-stream', 'text/plain']);

/**
 * Reads a manifest or index body and validates it against the OCI image-spec JSON schemas.
 * The media type is the body's `mediaType`, else the request's `Content-Type`, else
 * inferred from the shape (`manifests` → OCI index, `config` → OCI manifest). A body whose
 * `mediaType` disagrees with its Content-Type is refused, as are Docker schema 1 manifests.
 */
export function parseManifest(body: Uint8Array, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ManifestInvalidError(['manifest is not valid UTF-8 JSON']);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ManifestInvalidError(['manifest must be a JSON object']);
  }
  const document = json as Record<string, unknown>;
  const declared = normaliseMediaType(contentType);
  const field = document.mediaType;
  if (field !== undefined && typeof field !== 'string') throw new ManifestInvalidError(['mediaType must be a string']);

  if (document.schemaVersion === 1 || field === MediaType.DockerSchema1 || field === MediaType.DockerSchema1Signed ||
    declared === MediaType.DockerSchema1 || declared === MediaType.DockerSchema1Signed) {
    throw new ManifestInvalidError(['Docker schema 1 manifests are not supported; push a Docker schema 2 or OCI manifest']);
  }
  if (field !== undefined && declared !== undefined && !GENERIC_TYPES.has(declared) && field !== declared) {
    throw new ManifestInvalidError([`mediaType ${field} does not match the Content-Type ${declared}`]);
  }

  let mediaType = field ?? (declared && !GENERIC_TYPES.has(declared) ? declared : undefined);
  if (mediaType === undefined) {
    if (Array.isArray(document.manifests)) mediaType = MediaType.OciIndex;
    else if (document.config !== undefined) mediaType = MediaType.OciManifest;
    else throw new ManifestInvalidError(['cannot tell the manifest type: set mediaType or Content-Type']);
  }
  if (!isIndexMediaType(mediaType) && !isImageManifestMediaType(mediaType)) {
    throw new ManifestInvalidError([`unsupported manifest media type ${mediaType}`]);
  }

  validators ??= compileValidators();
  const index = isIndexMediaType(mediaType);
  const validate = index ? validators.index : validators.manifest;
  if (!validate(document)) {
    throw new ManifestInvalidError(
      (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`),
    );
  }
  if ((mediaType === MediaType.DockerManifest || mediaType === MediaType.DockerManifestList) && field === undefined) {
    throw new ManifestInvalidError([`a ${mediaType} must carry its mediaType field`]);
  }

  const common: ManifestCommon = {
    mediaType,
    subject: document.subject as Descriptor | undefined,
    artifactType: document.artifactType as string | undefined,
    annotations: document.annotations as Record<string, string> | undefined,
  };
  if (index) return { kind: 'index', ...common, manifests: document.manifests as Descriptor[] };
  return {
    kind: 'image',
    ...common,
    config: document.config as Descriptor,
    layers: (document.layers as Descriptor[] | undefined) ?? [],
  };
}

/**
 * The `artifactType` a referrers list gives this manifest: its own `artifactType`, else,
 * for an image manifest, its config's media type; an index without one has none.
 */
export function effectiveArtifactType(manifest: ParsedManifest): string | undefined {
  if (manifest.artifactType) return manifest.artifactType;
  return manifest.kind === 'image' ? manifest.config.mediaType : undefined;
}
