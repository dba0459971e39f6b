// One Jest configuration for every project: `module.exports = require('<root>/tools/jest/project-config.js')(__dirname);`
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

module.exports = function projectConfig(projectDir) {
  const root = join(__dirname, '..', '..');
  return {
    // The Nx project name (also the name of the per-project test summary file).
    displayName: JSON.parse(readFileSync(join(projectDir, 'project.json'), 'utf8')).name,
    ...require(join(root, 'jest.preset.js')),
    rootDir: projectDir,
    testEnvironment: 'node',
    transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
    moduleFileExtensions: ['ts', 'js', 'html'],
    coverageDirectory: join(root, 'coverage', relative(root, projectDir)),
  };
};
