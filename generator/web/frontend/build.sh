#!/bin/sh
# Rebuild the vendored editor bundle from the pinned packages of package-lock.json (run after changing them):
#   cd generator/web/frontend && sh build.sh
# The result, static/workspace/vendor/editor.bundle.js, is committed; nothing else ever runs npm.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npx esbuild entry.js --bundle --minify --format=iife --global-name=CM --legal-comments=eof \
  --target=es2020 --outfile=../static/workspace/vendor/editor.bundle.js
