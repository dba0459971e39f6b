#!/usr/bin/env bash
# Makes sure what the tests need is installed: Debian's chromium for the browser tests, and the
# servers the integration tests use, running on 127.0.0.1:
# PostgreSQL 5432 (trust, databases postgres and test), Redis 6379, NATS with JetStream 4222, and
# that the nats-server and redis-server binaries exist (recovery tests start private ones).
# Starts only what is not already listening; installs (apt) only what is missing. Run as root.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

missing=()
# Browser tests drive Debian's chromium through playwright-core (never a downloaded browser).
command -v chromium >/dev/null || missing+=(chromium)
# The deployment checks validate Prometheus rules, the Alertmanager config and the kustomize overlays.
command -v promtool >/dev/null || missing+=(prometheus)
command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
command -v kubectl >/dev/null || missing+=(kubectl)
command -v redis-server >/dev/null || [ -x /usr/sbin/redis-server ] || missing+=(redis-server)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
if ! up 5432 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then missing+=(postgresql); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packaged services must not grab the ports before we start them our way.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)

if ! up 5432; then
  cluster=$(ls /etc/postgresql | head -1)
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 50); do up 5432 && break; sleep 0.2; done
fi
if ! up 6379; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
if ! up 4222; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$nats_bin" -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server
fi
for port in 5432 6379 4222; do
  for _ in $(seq 1 50); do up "$port" && break; sleep 0.2; done
  up "$port" || { echo "server on 127.0.0.1:$port did not come up" >&2; exit 1; }
done

# Trust auth and a `test` database, as the tests expect (a fresh package install has neither).
if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
  hba=$(su postgres -c "psql -tAc 'SHOW hba_file'")
  sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+all\s+)\S+/\1trust/' "$hba"
  su postgres -c "psql -tAc 'SELECT pg_reload_conf()'" >/dev/null
fi
if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null
fi
echo "servers up: postgres 5432, redis 6379, nats 4222 (JetStream)"
