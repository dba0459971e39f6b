#!/usr/bin/env bash
# Builds an app and starts it exactly as deploy/docker/Dockerfile does (no Docker engine needed):
# the production build, the pruned manifest and lockfile of deploy/docker/prune-manifest.mjs, a fresh
# directory with only those, `npm ci --omit=dev`, deploy/docker/slim-node-modules.sh, the bundle, `node main.js` as a non-root user
# (nobody, when run as root) with a read-only application directory; then waits for readiness to
# report `pass`, runs the image's HEALTHCHECK script, and stops it with SIGTERM (exit 0 expected).
#   tools/scripts/prove-image.sh db-proxy [apps|tools]
#   MANIFEST=generated tools/scripts/prove-image.sh db-proxy   # the build's unpruned package.json, unslimmed: the old image, for comparison
# Needs NATS, Redis and Postgres on their default local ports (what the app uses).
set -euo pipefail
app="${1:?usage: prove-image.sh <app> [apps|tools]}"; dir="${2:-apps}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
NX_DAEMON=false npx nx build "$app" --configuration=production >/dev/null
work="$(mktemp -d)"; trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
chmod 755 "$work"
cp -r "dist/$dir/$app/." "$work/"
if [ "${MANIFEST:-pruned}" = pruned ]; then
  rm -f "$work/package.json" "$work/package-lock.json"
  node deploy/docker/prune-manifest.mjs "dist/$dir/$app" --out "$work"
fi
cp deploy/docker/healthcheck.js "$work/healthcheck.js"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund >/dev/null)
[ "${MANIFEST:-pruned}" = pruned ] && deploy/docker/slim-node-modules.sh "$work/node_modules"
chmod -R a+rX,go-w "$work"
port="${PORT:-39$((RANDOM % 900 + 100))}"
path=/health/readiness; live=/health/liveness
[ "$app" = exchange-simulator ] && path=/health && live=/health
as_user=(); [ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
(cd "$work" && NODE_ENV=production HTTP_PORT="$port" exec "${as_user[@]}" node main.js >"$work/../prove-$app-$port.log" 2>&1) & pid=$!
log="$work/../prove-$app-$port.log"; trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work" "$log"' EXIT
status=""
for _ in $(seq 1 150); do
  status="$(curl -s "http://127.0.0.1:$port$path" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{process.stdout.write(JSON.parse(s).status||"")}catch{}})')" || true
  [ "$status" = pass ] && break
  sleep 0.2
done
packages="$(node -e 'console.log(Object.keys(require(process.argv[1]).packages).length-1)' "$work/package-lock.json")"
echo "$app: $(du -sh "$work/node_modules" | cut -f1) of production dependencies, $packages packages (manifest ${MANIFEST:-pruned})"
curl -s -o /dev/null -w "$app $path: HTTP %{http_code}, status ${status:-none}\n" "http://127.0.0.1:$port$path" || true
[ "$status" = pass ] || { echo "$app: readiness never reached pass"; cat "$log"; exit 1; }
# The image's HEALTHCHECK, as Docker runs it inside the container (same user).
HEALTHCHECK_PATH="$live" HTTP_PORT="$port" "${as_user[@]}" node "$work/healthcheck.js" && echo "$app HEALTHCHECK: healthy"
# Graceful stop: readiness drains, connections close, exit 0.
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then echo "$app: still running 20 s after SIGTERM"; cat "$log"; exit 1; fi
wait "$pid" && code=0 || code=$?
pid=""
echo "$app SIGTERM: exit $code"
[ "$code" = 0 ] || { cat "$log"; exit 1; }
