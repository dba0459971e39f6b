#!/usr/bin/env bash
# Builds the five images from deploy/docker/Dockerfile, tagged <registry>/<app>:<tag>, with the
# version, git revision and build date in their OCI labels.
#   deploy/scripts/build-images.sh [--tag 0.1.0] [--registry cryptoscalp] [--push] [app…]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${TAG:-$(node -p "require('$root/package.json').version" 2>/dev/null || echo latest)}"
registry="${REGISTRY:-cryptoscalp}"; push=false; apps=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift ;;
    --registry) registry="$2"; shift ;;
    --push) push=true ;;
    -*) echo "build-images: unknown option $1" >&2; exit 2 ;;
    *) apps+=("$1") ;;
  esac
  shift
done
[ ${#apps[@]} -gt 0 ] || apps=(market-data-gateway cache-service db-proxy monitor exchange-simulator)
command -v docker >/dev/null || { echo "build-images: docker is not installed" >&2; exit 1; }
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for app in "${apps[@]}"; do
  dir=apps; [ "$app" = exchange-simulator ] && dir=tools
  [ -d "$root/$dir/$app" ] || { echo "build-images: no project $dir/$app" >&2; exit 1; }
  echo "==> $registry/$app:$tag"
  docker build -f "$root/deploy/docker/Dockerfile" \
    --build-arg APP="$app" --build-arg APP_DIR="$dir" --build-arg APP_VERSION="$tag" \
    --build-arg VCS_REF="$revision" --build-arg BUILD_DATE="$created" \
    -t "$registry/$app:$tag" "$root"
  if $push; then docker push "$registry/$app:$tag"; fi
done
