#!/usr/bin/env bash
# `npm run build`: dist/tap, one self-contained executable (bun build --compile: it runs with no
# Deno, Bun or node_modules), and dist/tap.js (+ dist/chunks/) for running with a runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
rm -rf dist
# --bytecode needs ESM for the top-level await that binds libc. --splitting keeps each dynamic
# import in its own embedded chunk, so a call loads only the code it runs: Bun deserialises the
# whole entry chunk at start, about 2 ms per 90 kB (docs/BENCHMARKS.md).
# A runtime execs the plugin as root in a directory it does not control: the compiled binary must
# not load a .env (TAP_LIBC could name any library) or a bunfig.toml (preload: any script) there.
bun build --compile --minify --bytecode --splitting --format=esm \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig cli.ts --outfile dist/tap
# Splitting keeps each runtime's FFI backend in its own chunk, loaded only by that runtime:
# a single file would hoist `import "bun:ffi"` to the top, which Node and Deno cannot load.
bun build cli.ts --target=node --format=esm --splitting --minify --external koffi \
  --outdir dist --entry-naming tap.js --chunk-naming 'chunks/[name]-[hash].js'
echo '{ "type": "module" }' >dist/package.json
ls -l dist/tap dist/tap.js
