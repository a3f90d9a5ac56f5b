// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Log calls: `<something>logger.<level>(…)` or `log.<level>(…)`. */
const LOG_LEVELS = new Set(['error', 'warn', 'info', 'debug']);
function isLoggerObject(node) {
  if (node.type === 'Identifier') return /^(logger|log)$/i.test(node.name);
  if (node.type === 'MemberExpression') {
    const property = node.property;
    return (property.type === 'Identifier' || property.type === 'PrivateIdentifier') && /logger$/i.test(property.name);
  }
  return false;
}

/** Our log rule (after zot's guidelines): the message is a static, lower-case string literal; data goes in fields. */
const wharfPlugin = {
  rules: {
    'log-message': {
      meta: { type: 'problem', messages: { static: 'log messages are static lower-case string literals; put data in fields' } },
      create(context) {
        return {
          CallExpression(node) {
            const callee = node.callee;
            if (callee.type !== 'MemberExpression' || callee.property.type !== 'Identifier') return;
            if (!LOG_LEVELS.has(callee.property.name) || !isLoggerObject(callee.object)) return;
            const first = node.arguments[0];
            const ok = first && first.type === 'Literal' && typeof first.value === 'string' && /^[a-z]/.test(first.value);
            if (!ok) context.report({ node: first ?? node, messageId: 'static' });
          },
        };
      },
    },
  },
};

const infrastructureModules = ['express', 'pg', 'amqplib', 'ioredis', 'node-pg-migrate', '@wharf/db'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'data/**', '.wharf/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        project: ['packages/*/tsconfig.json', 'services/*/tsconfig.json', 'tools/*/tsconfig.json', 'tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { wharf: wharfPlugin },
    rules: {
      'no-console': 'error',
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      'wharf/log-message': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Port implementations are async by contract even when one of them has nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description', 'ts-ignore': true }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@wharf/*/*', '!@wharf/testing/vitest'], message: 'import a package through its index only' }] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'process.env is read only in main.ts (and CLIs); pass configuration down',
        },
      ],
    },
  },
  {
    // Services hold rules and orchestration; infrastructure reaches them through ports.
    files: ['**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: infrastructureModules.map((name) => ({ name, message: 'services receive ports; infrastructure stays in stores and main.ts' })),
          patterns: [{ group: ['@wharf/*/*', '!@wharf/testing/vitest'], message: 'import a package through its index only' }],
        },
      ],
    },
  },
  {
    // Routes call services, never stores.
    files: ['**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/*.store.js', '**/*.repository.js'], message: 'routes call services, never stores' },
            { group: ['@wharf/*/*', '!@wharf/testing/vitest'], message: 'import a package through its index only' },
          ],
        },
      ],
    },
  },
  {
    // Composition roots, the launcher (which starts processes), scripts and tests may read the environment.
    files: ['**/src/main.ts', 'tools/*/src/**', 'scripts/**', 'bench/**', '**/*.test.ts', '**/test/**', 'packages/testing/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/test/**', 'bench/**', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'max-lines': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
