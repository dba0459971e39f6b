import baseConfig from '../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // Test helpers read YAML manifests and zod schemas as loosely typed data, like the specs do.
    files: ['testing/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];
