#!/usr/bin/env bash
# Creates the secret files docker-compose.prod.yml mounts (deploy/secrets/*.txt), once, at deploy
# time, with random values and mode 600. Existing files are kept. Secrets are never committed
# (.gitignore); deploy/secrets/README.md lists them.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../secrets" && pwd)"
umask 077
for name in postgres_password; do
  file="$dir/$name.txt"
  if [ -s "$file" ]; then echo "kept    $file"; continue; fi
  head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 32 > "$file"
  echo "created $file"
done
