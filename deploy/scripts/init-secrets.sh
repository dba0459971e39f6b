#!/usr/bin/env bash
# Creates the secret files docker-compose.prod.yml mounts (deploy/secrets/*.txt), once, at deploy
# time, with random values. Existing files are kept. Secrets are never committed (.gitignore);
# deploy/secrets/README.md lists them.
#
# Permissions: the folder is 700 (only the operator reaches the files on the host); the files are
# 444 because Compose bind-mounts file secrets with their host mode and owner, and the containers
# read them as their own users (node 1000, postgres 70, redis 999, grafana 472): a 600 file owned
# by the operator would be unreadable inside. The folder is the boundary on the host.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../secrets" && pwd)"
chmod 700 "$dir"
random() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c "$1"; }
for name in nats_password redis_password postgres_password monitor_api_token grafana_admin_password; do
  file="$dir/$name.txt"
  if [ -s "$file" ]; then echo "kept    $file"; continue; fi
  (umask 077; random 32 > "$file")
  chmod 444 "$file"
  echo "created $file"
done
