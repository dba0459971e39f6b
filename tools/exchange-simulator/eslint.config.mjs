import baseConfig from '../../eslint.config.mjs';

// A test-only project: it may import the other test-only libraries outside spec files.
export default [...baseConfig, { files: ['**/*.ts'], rules: { 'no-restricted-imports': 'off' } }];
