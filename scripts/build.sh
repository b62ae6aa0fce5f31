#!/usr/bin/env bash
# `npm run build`: dist/tap, one self-contained executable (bun build --compile: it runs with no
# Deno, Bun or node_modules), and dist/tap.js (+ dist/chunks/) for running with a runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
rm -rf dist
# --bytecode needs ESM for the top-level await that binds libc.
bun build --compile --minify --bytecode --format=esm cli.ts --outfile dist/tap
# Splitting keeps each runtime's FFI backend in its own chunk, loaded only by that runtime:
# a single file would hoist `import "bun:ffi"` to the top, which Node and Deno cannot load.
bun build cli.ts --target=node --format=esm --splitting --minify --external koffi \
  --outdir dist --entry-naming tap.js --chunk-naming 'chunks/[name]-[hash].js'
echo '{ "type": "module" }' >dist/package.json
ls -l dist/tap dist/tap.js
