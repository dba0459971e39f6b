import nx from '@nx/eslint-plugin';
import simpleImportSort from 'eslint-plugin-simple-import-sort';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/coverage', 'benchmarks/results'] },
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', '^.*/tools/webpack/node-app\\.config\\.js$'],
          depConstraints: [
            // No app imports another app; shared libraries depend only on shared libraries.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:testing'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:testing'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:feature', 'type:util', 'type:testing'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            // The exchange simulator (scope:tools, type:testing) may be started in-process by any project's tests.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared', 'scope:tools'] },
            { sourceTag: 'scope:cache', onlyDependOnLibsWithTags: ['scope:cache', 'scope:shared', 'scope:tools'] },
            { sourceTag: 'scope:db', onlyDependOnLibsWithTags: ['scope:db', 'scope:shared', 'scope:tools'] },
            { sourceTag: 'scope:monitor', onlyDependOnLibsWithTags: ['scope:monitor', 'scope:shared', 'scope:tools'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
          ],
        },
      ],
      // STYLE.md: @cryptoscalp/* first, then third party (node: built-ins included), then relative.
      'simple-import-sort/imports': ['error', { groups: [['^\\u0000'], ['^@cryptoscalp/'], ['^node:', '^@?\\w'], ['^\\.']] }],
      'simple-import-sort/exports': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Specs may use loosely typed JSON bodies.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.spec-helpers.ts', '**/spawn-service.ts', '**/service-contract.ts', '**/sim-client.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Test-only libraries (the testing helpers, the exchange simulator) are imported from spec files
    // only: no production bundle may contain them. libs/testing, the simulator library and the
    // simulator app relax this in their own eslint.config.mjs.
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.spec-helpers.ts', '**/jest.config.*'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@cryptoscalp/testing', message: 'test-only library: import it from *.spec.ts / *.int-spec.ts files only' },
            { name: '@cryptoscalp/exchange-simulator', message: 'test-only library: import it from *.spec.ts / *.int-spec.ts files only' },
          ],
        },
      ],
    },
  },
];
