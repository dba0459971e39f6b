// Container HEALTHCHECK for every CryptoScalp image: GET http://127.0.0.1:<port><path>, exit 0 on 2xx.
// The port is the one the service listens on: HTTP_PORT when set, otherwise the service's own
// default written into the image at build time (/app/.http-port); never a shared fallback.
const { readFileSync } = require('node:fs');

const portFile = process.env.HEALTHCHECK_PORT_FILE || '/app/.http-port';
let port = process.env.HTTP_PORT;
if (!port) {
  try {
    port = readFileSync(portFile, 'utf8').trim();
  } catch {
    process.stderr.write(`healthcheck: HTTP_PORT is not set and ${portFile} is missing\n`);
    process.exit(1);
  }
}
const path = process.env.HEALTHCHECK_PATH || '/health/liveness';
fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  (err) => {
    process.stderr.write(`healthcheck: ${err.message}\n`);
    process.exit(1);
  },
);
