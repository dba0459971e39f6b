#!/usr/bin/env bash
# Restores a backup-postgres.sh dump into the compose deployment's Postgres. Stops db-proxy and the
# monitor first (nothing writes while tables are replaced), restores with --clean, starts them
# again; db-proxy then resumes ingest from JetStream (trades still in MD_TRADES are re-applied
# idempotently).
#   deploy/scripts/restore-postgres.sh <file.dump> [--yes]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
file="${1:?usage: restore-postgres.sh <file.dump> [--yes]}"
[ -s "$file" ] || { echo "restore: $file is missing or empty" >&2; exit 1; }
if [ "${2:-}" != --yes ]; then
  read -r -p "Replace the database cryptoscalp with $file? [y/N] " answer
  [ "$answer" = y ] || [ "$answer" = Y ] || { echo "aborted"; exit 1; }
fi
compose=(docker compose -f "$root/docker-compose.prod.yml" ${ENV_FILE:+--env-file "$ENV_FILE"})
"${compose[@]}" stop db-proxy monitor
"${compose[@]}" exec -T postgres pg_restore -U cryptoscalp -d cryptoscalp --clean --if-exists --no-owner --single-transaction < "$file"
"${compose[@]}" start db-proxy monitor
echo "restored $file; db-proxy and monitor restarted"
