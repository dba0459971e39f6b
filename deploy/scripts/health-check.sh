#!/usr/bin/env bash
# Asks the monitor for the platform's aggregate health (GET /api/health) and says it.
#   deploy/scripts/health-check.sh [--json] [--url http://127.0.0.1:3000] [--timeout 5]
# Exit code: 0 pass, 1 warn, 2 fail (also when the monitor cannot be reached or answers nonsense).
# Human output: the overall status, the primary root cause, then one line per check.
# --json: the monitor's body as is (application/health+json).
set -uo pipefail
url="${MONITOR_URL:-http://127.0.0.1:${MONITOR_PORT:-3000}}"; json=false; timeout=5
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json=true ;;
    --url) url="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    -h|--help) sed -n 2,6p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "health-check: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
body="$(curl -s --max-time "$timeout" "${url%/}/api/health")"; rc=$?
if [ $rc -ne 0 ] || [ -z "$body" ]; then
  if $json; then printf '{"status":"fail","output":"monitor unreachable at %s"}\n' "$url"
  else echo "FAIL  monitor unreachable at $url (curl exit $rc): is it running? docker compose ps monitor"; fi
  exit 2
fi
# Top-level fields without jq/node on the host: the body is one JSON object whose first key is status.
status="$(printf '%s' "$body" | sed -n 's/^{[[:space:]]*"status"[[:space:]]*:[[:space:]]*"\([a-z]*\)".*/\1/p')"
case "$status" in pass) code=0 ;; warn) code=1 ;; fail) code=2 ;; *) code=2; status=unknown ;; esac
if $json; then printf '%s\n' "$body"; exit $code; fi
output="$(printf '%s' "$body" | sed -n 's/.*"output"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -1)"
printf '%s  platform health from %s%s\n' "$(echo "$status" | tr a-z A-Z)" "$url" "${output:+: $output}"
# One line per check: "<name>  <status>" (the checks object holds arrays of {status,…}).
printf '%s' "$body" | grep -o '"[^"]*":\[{[^]]*"status":"[a-z]*"' | sed 's/^"\([^"]*\)":\[{.*"status":"\([a-z]*\)"$/  \2\t\1/' | grep -v 'rootCauses$' | sort | uniq
exit $code
