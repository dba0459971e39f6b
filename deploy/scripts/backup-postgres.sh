#!/usr/bin/env bash
# Backs up the compose deployment's Postgres (trade history, monitor history) with pg_dump in
# custom format, inside the postgres container (no client needed on the host).
#   deploy/scripts/backup-postgres.sh [output-dir]     → <dir>/cryptoscalp-<UTC time>.dump
# Restore with deploy/scripts/restore-postgres.sh <file>. For point-in-time recovery use WAL
# archiving instead (docs/deployment.md: Backups).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/backups}"
mkdir -p "$out"
file="$out/cryptoscalp-$(date -u +%Y%m%dT%H%M%SZ).dump"
compose=(docker compose -f "$root/docker-compose.prod.yml" ${ENV_FILE:+--env-file "$ENV_FILE"})
"${compose[@]}" exec -T postgres pg_dump -U cryptoscalp -d cryptoscalp --format=custom --compress=6 > "$file.partial"
mv "$file.partial" "$file"
echo "backup written: $file ($(du -h "$file" | cut -f1))"
