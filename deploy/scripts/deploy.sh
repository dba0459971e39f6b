#!/usr/bin/env bash
# One command for a compose deployment on this machine:
#   pre-flight checks → secrets → build → up → wait until every container is healthy → smoke test.
#   deploy/scripts/deploy.sh [--demo] [--observability] [--scale N] [--no-build] [--env-file FILE]
# --demo adds the exchange simulator as the data source; --observability Prometheus, Alertmanager
# and Grafana; --scale N runs N gateway replicas. Each failure ends with one message saying what
# failed and what to look at. Exit 0 only when the smoke test passed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
env_file="$root/deploy/env/.env.production"; profiles=(); scale=""; build=true; timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) profiles+=(--profile demo) ;;
    --observability) profiles+=(--profile observability) ;;
    --scale) scale="$2"; shift ;;
    --no-build) build=false ;;
    --env-file) env_file="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    -h|--help) sed -n 2,7p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deploy: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "deploy: FAILED: $*" >&2; exit 1; }
step() { echo "==> $*"; }

step "pre-flight"
command -v docker >/dev/null || die "docker is not installed (https://docs.docker.com/engine/install/)"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is the daemon running? is $USER in the docker group?)"
v="$(docker compose version --short 2>/dev/null)" || die "the Compose v2 plugin is missing (docker compose); the old docker-compose v1 cannot read this file"
[ "$(printf '%s\n2.24.0\n' "${v#v}" | sort -V | head -1)" = 2.24.0 ] || die "Docker Compose $v is too old: 2.24 or newer is needed (depends_on required:false, env_file required:false)"
command -v curl >/dev/null || die "curl is needed for the health checks"
free_kb="$(df -Pk "$root" | awk 'NR==2 {print $4}')"
[ "${free_kb:-0}" -gt 4000000 ] || die "less than 4 GB free on $(df -P "$root" | awk 'NR==2 {print $6}') (images and volumes need it)"
"$root/deploy/scripts/init-secrets.sh"
env_args=()
if [ -f "$env_file" ]; then env_args=(--env-file "$env_file")
else echo "    no $env_file: defaults (the demo simulator as data source; copy deploy/env/.env.production.example to set feeds)"; fi
compose=(docker compose -f "$root/docker-compose.prod.yml" "${env_args[@]}" "${profiles[@]}")
"${compose[@]}" config --quiet || die "docker-compose.prod.yml does not validate with this env file (see the message above)"

if $build; then
  step "build"
  "${compose[@]}" build || die "image build failed (see the build output above; tools/scripts/prove-image.sh <app> reproduces the runtime stage without Docker)"
fi

step "up"
up_args=(up -d --remove-orphans)
[ -n "$scale" ] && up_args+=(--scale "market-data-gateway=$scale")
"${compose[@]}" "${up_args[@]}" || die "docker compose up failed (see above; docker compose logs <service>)"

step "waiting until every container is healthy (up to ${timeout}s)"
deadline=$(( $(date +%s) + timeout ))
while :; do
  unhealthy=()
  for id in $("${compose[@]}" ps -q); do
    state="$(docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")"
    case "${state#* }" in healthy) ;; *) unhealthy+=("${state#/}") ;; esac
  done
  [ ${#unhealthy[@]} -eq 0 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    printf '    not healthy: %s\n' "${unhealthy[@]}" >&2
    die "containers not healthy after ${timeout}s: docker compose logs <service>; docker inspect --format '{{json .State.Health}}' <container>"
  fi
  sleep 3
done
echo "    all containers healthy"

step "smoke test"
"$root/deploy/scripts/smoke-test.sh" "${env_args[@]}" "${profiles[@]}" || die "smoke test failed (lines marked FAIL above)"
echo "==> deployed: dashboard http://127.0.0.1:${MONITOR_PORT:-3000}/"
