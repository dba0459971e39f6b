#!/bin/sh
# Removes from an installed node_modules what Node never loads at run time: TypeScript sources and
# declarations, source maps of dependencies, Markdown docs. Licence files stay. Run by the image's
# runtime stage after `npm ci --omit=dev`, and by tools/scripts/prove-image.sh the same way.
#   deploy/docker/slim-node-modules.sh /app/node_modules
set -eu
dir="${1:?usage: slim-node-modules.sh <node_modules>}"
find "$dir" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
  -o -name '*.md' -o -name '*.markdown' \) -delete
find "$dir" -type d -empty -delete
