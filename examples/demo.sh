#!/usr/bin/env bash
# `sudo npm run demo`: the main job end to end. In a scratch network namespace it runs a real CNI
# ADD, CHECK and DEL of a multi-queue tap owned by uid 1000, shows the device with `tap list`, and
# removes everything, even when a step fails. DEMO_RUNTIME=bun runs the plugin under Bun.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "demo: needs root: sudo npm run demo" >&2; exit 1; fi
export PATH="$PWD/node_modules/.bin:$PATH"
case "${DEMO_RUNTIME:-deno}" in
  deno) tap=(./cli.ts) ;;
  bun) tap=(bun cli.ts) ;;
  *) echo "demo: DEMO_RUNTIME must be deno or bun" >&2; exit 2 ;;
esac

ns="tapdemo-$$"
ip netns add "$ns"   # the scratch namespace (a container runtime would make this)
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT

conf='{"cniVersion":"1.0.0","name":"demo","type":"tap","multiQueue":true,"owner":1000,"group":1000,"mtu":1400}'
cni() { # cni COMMAND STDIN: one plugin call, the way a runtime makes it
  CNI_COMMAND=$1 CNI_CONTAINERID=demo CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=tap0 \
    CNI_PATH=/usr/lib/cni "${tap[@]}" <<<"$2"
}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "network config (stdin of every call)"
echo "$conf"
step "CNI ADD in netns $ns"
result=$(cni ADD "$conf")
echo "$result"
step "tap list --netns $ns"
"${tap[@]}" list --netns "$ns"
step "CNI CHECK, with the ADD result as prevResult"
cni CHECK "${conf%\}},\"prevResult\":$result}"
echo "ok"
step "CNI DEL, twice (DEL is idempotent)"
cni DEL "$conf"
cni DEL "$conf"
echo "ok"
step "tap list --netns $ns (empty)"
"${tap[@]}" list --netns "$ns"
echo "(nothing left; the namespace is removed on exit)"
