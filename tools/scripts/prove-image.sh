#!/usr/bin/env bash
# Builds an app and starts it exactly as the Docker runtime stage does (no Docker engine
# needed): a fresh directory with only the generated package.json/package-lock.json,
# `npm ci --omit=dev`, the bundle, `node main.js`; then checks liveness and readiness.
#   tools/scripts/prove-image.sh db-proxy [apps|tools]
set -euo pipefail
app="$1"; dir="${2:-apps}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
NX_DAEMON=false npx nx build "$app" --configuration=production >/dev/null
work="$(mktemp -d)"; trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "dist/$dir/$app/package.json" "dist/$dir/$app/package-lock.json" "$work/"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund >/dev/null)
cp -r "dist/$dir/$app/." "$work/"
port="${PORT:-39$((RANDOM % 900 + 100))}"
(cd "$work" && NODE_ENV=production HTTP_PORT="$port" exec node main.js >"$work/out.log" 2>&1) & pid=$!
path=/health/readiness; [ "$app" = exchange-simulator ] && path=/health
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port$path" >/dev/null && break; sleep 0.2; done
echo "$app: $(du -sh "$work/node_modules" | cut -f1) of production dependencies"
curl -s -o /dev/null -w "$app $path: HTTP %{http_code}\n" "http://127.0.0.1:$port$path" || true
curl -sf "http://127.0.0.1:$port$path" >/dev/null || { cat "$work/out.log"; exit 1; }
# The image's HEALTHCHECK, as Docker runs it inside the container.
HEALTHCHECK_PATH="$([ "$app" = exchange-simulator ] && echo /health || echo /health/liveness)" HTTP_PORT="$port" \
  node deploy/docker/healthcheck.js && echo "$app HEALTHCHECK: healthy"
