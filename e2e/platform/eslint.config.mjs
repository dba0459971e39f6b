import baseConfig from '../../eslint.config.mjs';

// Every file of this project is test code: the harness may import the test-only libraries and read
// the services' JSON answers as loosely typed data, like the specs do.
export default [
  ...baseConfig,
  { files: ['**/*.ts'], rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' } },
];
