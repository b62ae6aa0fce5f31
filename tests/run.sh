#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it:
#   1. the build (npm run build) and static checks: deno check (code and JSDoc examples), tsc for
#      every runtime's backend, deno lint, deno fmt --check (one test each)
#   2. every tests/*_test.ts under Deno, Bun and Node (tsx). Files named *_root_test.ts need root:
#      they make their own network namespaces and skip themselves elsewhere.
# It ends with one line "N passed, N failed, N skipped" summed over all runners, and exits
# non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
passed=0 failed=0 skipped=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# count LOG PASS_RE FAIL_RE SKIP_RE: adds the runner's own counts to the totals.
count() {
  local p f s
  p=$(grep -oE "$2" "$1" | grep -oE '[0-9]+' | tail -1)
  f=$(grep -oE "$3" "$1" | grep -oE '[0-9]+' | tail -1)
  s=$(grep -oE "$4" "$1" | grep -oE '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))
  # A runner that crashed before its summary still counts as a failure.
  if [ -z "$p$f" ]; then failed=$((failed + 1)); fi
}

checks=0
check() { # check NAME CMD...: a static check counts as one test
  local name=$1 log="$logs/check-$((checks += 1)).log"; shift
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; cat "$log"
  fi
}

check "npm run build (dist/tap, dist/tap.js)" bash scripts/build.sh
check "deno check" deno check mod.ts cli.ts ffi/ core/ cni/ tests/
check "deno check --doc (JSDoc examples)" deno check --doc mod.ts cli.ts ffi/ core/ cni/
check "tsc --noEmit (Bun, Node and Deno backends)" sh -c 'mkdir -p types && deno types >types/deno.d.ts && tsc -p tsconfig.json'
check "deno doc --lint mod.ts (every public export documented)" deno doc --lint mod.ts
check "deno lint" deno lint
check "deno fmt" deno fmt --check

suite() { # suite NAME PASS_RE FAIL_RE SKIP_RE CMD...: one runner over every test file
  local name=$1 p=$2 f=$3 s=$4 before=$failed; shift 4
  "$@" >"$logs/$name.log" 2>&1
  count "$logs/$name.log" "$p" "$f" "$s"
  if [ "$failed" -ne "$before" ]; then
    echo "FAIL $name: $*"; cat "$logs/$name.log"
  else
    echo "ok   $name: $(grep -E "$p" "$logs/$name.log" | tail -1 | sed 's/^ *//')"
  fi
}

# The benchmark harness, with tiny counts: it must keep working, its numbers mean nothing here.
if [ "$(id -u)" = 0 ]; then
  check "bench smoke run (bun bench/run.ts --quick)" bun bench/run.ts --quick --out "$logs/bench.md"
else
  skipped=$((skipped + 1)); echo "skip bench smoke run (needs root)"
fi

tests=$(ls tests/*_test.ts)
suite deno '[0-9]+ passed' '[0-9]+ failed' '[0-9]+ ignored' deno test -A $tests
suite bun '^ *[0-9]+ pass' '^ *[0-9]+ fail' '^ *[0-9]+ skip' bun test $tests
suite node '^# pass [0-9]+' '^# fail [0-9]+' '^# skipped [0-9]+' node --import tsx --test $tests

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
