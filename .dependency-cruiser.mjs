/**
 * Import rules of the workspace, checked by `pnpm run lint` (dependency-cruiser).
 * See docs/ARCHITECTURE.md, "Dependency rules".
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules form no import cycle: move the piece both sides need into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-cross-service-import',
      severity: 'error',
      comment: 'A service never imports the source of another service; services talk over HTTP and the queue, with wire formats in @wharf/contracts.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'no-package-imports-service',
      severity: 'error',
      comment: 'Packages never import services (the package graph is acyclic and sits below the services).',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-package-imports-tool',
      severity: 'error',
      comment: 'Packages never import tools.',
      from: { path: '^packages/' },
      to: { path: '^tools/' },
    },
    {
      name: 'no-deep-package-import',
      severity: 'error',
      comment: 'A workspace package is imported through its index (its exports map) only.',
      from: { pathNot: '^packages/([^/]+)/' },
      to: { path: '^packages/([^/]+)/src/', pathNot: ['^packages/[^/]+/src/index\\.ts$', '^packages/testing/src/vitest/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '^coverage/', '^data/', '^\\.wharf/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
