#!/usr/bin/env bash
# Smoke test of a running compose deployment through its health endpoints:
#   1. every running container of every CryptoScalp service answers /health/readiness 200 on its own
#      port, from inside the container (the image's healthcheck.js, as the HEALTHCHECK runs it);
#   2. the monitor lists at least as many instances of each service as there are containers;
#   3. the monitor's aggregate (health-check.sh) is pass or warn.
#   deploy/scripts/smoke-test.sh [compose args…, e.g. -f docker-compose.prod.yml --env-file …]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
compose=(docker compose -f "$root/docker-compose.prod.yml" "$@")
fail=0
for svc in market-data-gateway cache-service db-proxy monitor exchange-simulator; do
  ids="$("${compose[@]}" ps -q "$svc" 2>/dev/null)"
  if [ -z "$ids" ]; then
    [ "$svc" = exchange-simulator ] && continue
    echo "FAIL  $svc: no running container"; fail=1; continue
  fi
  path=/health/readiness; [ "$svc" = exchange-simulator ] && path=/health
  n=0
  for id in $ids; do
    n=$((n + 1))
    if docker exec -e HEALTHCHECK_PATH="$path" "$id" node /app/healthcheck.js 2>/dev/null; then
      echo "ok    $svc #$n ($(docker inspect --format '{{.Name}}' "$id" | tr -d /)): $path 200"
    else
      echo "FAIL  $svc #$n ($id): $path is not 200 — docker logs $id"; fail=1
    fi
  done
  if [ "$svc" != exchange-simulator ]; then
    seen="$(docker exec "$(echo "$ids" | head -1)" node -e "fetch('http://monitor:3000/api/instances').then(r=>r.json()).then(b=>{const l=Array.isArray(b)?b:(b.instances||[]);console.log(l.filter(i=>i.service==='$svc').length)}).catch(()=>console.log(0))" 2>/dev/null || echo 0)"
    if [ "${seen:-0}" -ge "$n" ]; then echo "ok    monitor sees $seen instance(s) of $svc"
    else echo "FAIL  monitor sees ${seen:-0} instance(s) of $svc, $n running (heartbeats/PUBLIC_URL?)"; fail=1; fi
  fi
done
"$root/deploy/scripts/health-check.sh" --url "http://127.0.0.1:${MONITOR_PORT:-3000}"; hc=$?
[ $hc -le 1 ] || fail=1
exit $fail
