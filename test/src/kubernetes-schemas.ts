import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import ts from 'typescript';
import type { RenderedManifest } from './chart-render.js';
import { ROOT_DIR } from './stack.js';

/**
 * Validation of rendered manifests against the Kubernetes API's schemas, in two passes:
 *
 * - kubernetes-models' `validate()`: the JSON schema of each kind, generated from the
 *   Kubernetes OpenAPI document (types, formats, required fields, enums);
 * - kubernetes-models' TypeScript declarations, generated from the same document, as the
 *   types of the manifests written out as object literals: the compiler's excess-property
 *   check rejects any field the API does not define, at any depth (what `kubectl apply`'s
 *   strict field validation does; the JSON schemas allow unknown fields).
 */
const models: Record<string, { module: string; model: new (data: never) => { validate(): void } }> = {
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', model: ConfigMap },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', model: Secret },
  'v1/Service': { module: 'kubernetes-models/v1/Service', model: Service },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1/ServiceAccount', model: ServiceAccount },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', model: PersistentVolumeClaim },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', model: Deployment },
  'networking.k8s.io/v1/Ingress': { module: 'kubernetes-models/networking.k8s.io/v1/Ingress', model: Ingress },
};

function describe(manifest: RenderedManifest): string {
  const { apiVersion, kind, metadata } = manifest.object;
  return `${manifest.source}: ${apiVersion}/${kind} ${metadata?.name ?? '(no name)'}`;
}

/** Problems found by the JSON schemas (and kinds this check has no schema for). */
export function schemaErrors(manifests: readonly RenderedManifest[]): string[] {
  const errors: string[] = [];
  for (const manifest of manifests) {
    const { apiVersion, kind } = manifest.object;
    const entry = models[`${apiVersion}/${kind}`];
    if (!entry) {
      errors.push(`${describe(manifest)}: no schema for this kind here (add it to test/src/kubernetes-schemas.ts)`);
      continue;
    }
    try {
      new entry.model(structuredClone(manifest.object) as never).validate();
    } catch (error) {
      errors.push(`${describe(manifest)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/** Problems found by type-checking the manifests against the API's types: unknown fields above all. */
export function strictFieldErrors(manifests: readonly RenderedManifest[]): string[] {
  const file = join(ROOT_DIR, 'test', '__rendered_manifests__.ts');
  let source = '';
  let lineCount = 0;
  /** The first line of each manifest's statement, in order. */
  const owners: { line: number; manifest: RenderedManifest }[] = [];
  const append = (text: string): void => {
    source += `${text}\n`;
    lineCount += text.split('\n').length;
  };
  manifests.forEach((manifest, index) => {
    const entry = models[`${manifest.object.apiVersion}/${manifest.object.kind}`];
    if (!entry) return;
    append(`import type { I${manifest.object.kind} as T${index} } from ${JSON.stringify(entry.module)};`);
    owners.push({ line: lineCount, manifest });
    append(`export const m${index}: T${index} = ${JSON.stringify(manifest.object, null, 2)};`);
  });

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    name === file ? ts.createSourceFile(name, source, languageVersion, true) : getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram({ rootNames: [file], options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file || !d.file);

  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line: at } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const owner = [...owners].reverse().find((o) => o.line <= at);
    const text = source.split('\n')[at]?.trim() ?? '';
    return `${owner ? describe(owner.manifest) : '(imports)'}: ${message} (at: ${text})`;
  });
}
