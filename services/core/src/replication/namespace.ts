/** The destination name cannot be computed (Harbor answers 400). */
export class NamespaceRewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamespaceRewriteError';
  }
}

/**
 * Harbor's `replaceNamespace` (flow/stage.go): no namespace keeps the source name; a
 * negative count (the legacy default -1) puts the last component under the namespace
 * (`a/b/c` + `ns` → `ns/c`); a count n ≥ 0 drops the first n components and puts the rest
 * under it (n=0 `ns/a/b/c`, n=1 `ns/b/c`); n beyond the components but the last is an error.
 */
export function replaceNamespace(repository: string, namespace: string, replaceCount: number): string {
  if (!namespace) return repository;
  const components = repository.split('/');
  if (replaceCount < 0) return `${namespace}/${components[components.length - 1]!}`;
  if (replaceCount > components.length - 1) {
    throw new NamespaceRewriteError(
      `the source repository ${JSON.stringify(repository)} has ${components.length} path components; dest_namespace_replace_count ${replaceCount} may be at most ${components.length - 1}`,
    );
  }
  return [namespace, ...components.slice(replaceCount)].join('/');
}

/** Harbor's check of the destination name against the destination's `supported_repository_path_component_type`. */
export function checkPathComponents(repository: string, type: string | undefined): void {
  const count = repository.split('/').length;
  if (type === 'ONLY_TWO' && count !== 2) {
    throw new NamespaceRewriteError(`the destination registry accepts only repositories of two path components, not ${JSON.stringify(repository)}`);
  }
  if (type === 'AT_LEAST_TWO' && count < 2) {
    throw new NamespaceRewriteError(`the destination registry needs at least two path components, not ${JSON.stringify(repository)}`);
  }
}
