import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // Test helpers (never bundled: excluded from tsconfig.app.json) may use the test-only libraries and loose JSON.
    files: ['src/testing/**/*.ts'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
];
