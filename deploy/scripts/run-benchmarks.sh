#!/usr/bin/env bash
# Runs every benchmark script (benchmarks/*.mjs) one after the other with its defaults, against
# the local servers (NATS, Redis, Postgres), and writes one report:
# benchmarks/results/summary.md — per benchmark: exit code, duration, the last lines it printed,
# and a link to its own report (benchmarks/results/<name>.md).
#   deploy/scripts/run-benchmarks.sh [name…]          e.g. run-benchmarks.sh cache-service data-plane
# They are long (minutes each) and CPU-bound: run them on an otherwise idle machine.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then for f in benchmarks/*.mjs; do names+=("$(basename "$f" .mjs)"); done; fi
echo "building the deployables the benchmarks start"
NX_DAEMON=false npx nx run-many -t build -p market-data-gateway cache-service db-proxy monitor exchange-simulator --configuration=production >/dev/null || { echo "build failed" >&2; exit 1; }
report=benchmarks/results/summary.md
{
  echo "# Benchmark summary"
  echo
  echo "Run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version), commit $(git rev-parse --short HEAD 2>/dev/null)."
  echo
  echo "| benchmark | exit | seconds | report |"
  echo "|---|---|---|---|"
} > "$report.partial"
details=""
failed=0
for name in "${names[@]}"; do
  [ -f "benchmarks/$name.mjs" ] || { echo "no benchmarks/$name.mjs" >&2; failed=1; continue; }
  echo "==> $name"
  start=$(date +%s)
  log="$(mktemp)"
  node "benchmarks/$name.mjs" 2>&1 | tee "$log"; code=${PIPESTATUS[0]}
  secs=$(( $(date +%s) - start ))
  [ "$code" = 0 ] || failed=1
  echo "| $name | $code | $secs | [$name.md]($name.md) |" >> "$report.partial"
  details+=$'\n'"## $name"$'\n\n```\n'"$(tail -n 25 "$log")"$'\n```\n'
  rm -f "$log"
done
printf '%s\n' "$details" >> "$report.partial"
mv "$report.partial" "$report"
echo "report: $report"
exit $failed
