// The service bundle (shared config) plus the dashboard: the browser code is bundled with esbuild
// (uPlot included, from node_modules: no CDN) and emitted with the page and styles into
// dist/apps/monitor/dashboard/, next to main.js, where the DashboardController serves them.
const { join } = require('path');
const { readFileSync } = require('fs');
const base = require('../../tools/webpack/node-app.config.js')(__dirname);

class DashboardAssetsPlugin {
  apply(compiler) {
    const { RawSource } = compiler.webpack.sources;
    const dir = join(__dirname, 'dashboard');
    compiler.hooks.thisCompilation.tap('DashboardAssets', (compilation) => {
      compilation.hooks.processAssets.tapPromise({ name: 'DashboardAssets', stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, async () => {
        const esbuild = require('esbuild');
        const result = await esbuild.build({
          entryPoints: [join(dir, 'src', 'main.ts')],
          bundle: true,
          write: false,
          format: 'iife',
          target: ['chrome110', 'firefox110', 'safari16'],
          minify: process.env.NODE_ENV === 'production',
          sourcemap: false,
          metafile: true,
          logLevel: 'silent',
        });
        compilation.emitAsset('dashboard/app.js', new RawSource(result.outputFiles[0].text));
        for (const input of Object.keys(result.metafile.inputs)) compilation.fileDependencies.add(join(process.cwd(), input));
        for (const file of ['index.html', 'app.css']) {
          compilation.emitAsset(`dashboard/${file}`, new RawSource(readFileSync(join(dir, file))));
          compilation.fileDependencies.add(join(dir, file));
        }
        const uplotCss = require.resolve('uplot/dist/uPlot.min.css');
        compilation.emitAsset('dashboard/vendor/uPlot.min.css', new RawSource(readFileSync(uplotCss)));
      });
    });
  }
}

module.exports = { ...base, plugins: [...base.plugins, new DashboardAssetsPlugin()] };
