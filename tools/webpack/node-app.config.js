// One webpack configuration for every deployable Node app (the four services and the simulator):
// a single bundled main.js plus a package.json / package-lock.json that list only the
// dependencies the bundle imports (the Docker image installs exactly those).
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join, relative } = require('path');

module.exports = function nodeAppConfig(projectDir) {
  const workspaceRoot = join(__dirname, '..', '..');
  return {
    output: {
      path: join(workspaceRoot, 'dist', relative(workspaceRoot, projectDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && { devtoolModuleFilenameTemplate: '[absolute-resource-path]' }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
};
