// Container HEALTHCHECK for every CryptoScalp image: GET http://127.0.0.1:<port><path>, exit 0 on 2xx.
// The port is the one the service listens on: HTTP_PORT when set, otherwise the service's own
// default written into the image at build time (/app/.http-port); never a shared fallback.
// The path is HEALTHCHECK_PATH when set, otherwise the app's liveness path written into the image
// (/app/.health-path: /health/liveness for the services, /health for the exchange simulator).
const { readFileSync } = require('node:fs');

const read = (file) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const portFile = process.env.HEALTHCHECK_PORT_FILE || '/app/.http-port';
const port = process.env.HTTP_PORT || read(portFile);
if (!port) {
  process.stderr.write(`healthcheck: HTTP_PORT is not set and ${portFile} is missing\n`);
  process.exit(1);
}
const path = process.env.HEALTHCHECK_PATH || read(process.env.HEALTHCHECK_PATH_FILE || '/app/.health-path') || '/health/liveness';
fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  (err) => {
    process.stderr.write(`healthcheck: ${err.message}\n`);
    process.exit(1);
  },
);
