// Dates in tests are UTC (workers inherit the environment).
process.env.TZ = 'UTC';

const nxPreset = require('@nx/jest/preset').default;

module.exports = {
  ...nxPreset,
  // Unit specs (*.spec.ts) and integration specs against the real servers (*.int-spec.ts).
  testMatch: ['**/?(*.)+(spec|test|int-spec).[jt]s?(x)'],
  testTimeout: 30000,
  reporters: ['default', require.resolve('./tools/jest/summary-reporter.js')],
};
