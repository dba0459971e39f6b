// Writes each project's totals to tmp/jest-results/<project>.json (an Nx-cached output), so
// `npm test` can close with one line for the whole workspace, cached projects included.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const [context] = [...contexts];
    const name = context?.config?.displayName?.name ?? context?.config?.displayName ?? 'unknown';
    const dir = join(__dirname, '..', '..', 'tmp', 'jest-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({
        project: name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}

module.exports = SummaryReporter;
