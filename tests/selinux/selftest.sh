#!/usr/bin/env bash
# Self-test of the harness (root; after setup.sh): boots one guest through
# vm.sh, runs the part below marked "guest" in it, then checks its output and
# the avc lines on the host.  Prints "N passed, N failed".
#
#   bash tests/selinux/selftest.sh
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OTHER=system_u:system_r:virtd_t:s0 # valid in Debian's policy, system_r may enter it

if [ "${TAP_SELINUX_VM:-}" = 1 ]; then
  # ---- guest ---------------------------------------------------------------
  echo "context=$(cat /proc/self/attr/current | tr -d '\0')"
  echo "enforce=$(cat /sys/fs/selinux/enforce)"
  echo "cwd=$PWD"
  echo "env=${SELFTEST_VAR:-unset}"
  ip netns add t1
  ip netns exec t1 ip tuntap add dev tq0 mode tap && echo "tq0=ok"
  runcon "$OTHER" ip netns exec t1 ip tuntap add dev tq1 mode tap && echo "tq1=ok"
  # exec label by hand: the label applies to the next execve of this process
  bash -c 'printf %s "$1" >/proc/thread-self/attr/exec && exec cat /proc/self/attr/current' _ "$OTHER" |
    tr -d '\0' | sed 's/^/execlabel=/'; echo
  bash -c 'printf %s "$1" >/proc/thread-self/attr/exec && exec ip netns exec t1 ip tuntap add dev tq2 mode tap' _ "$OTHER" &&
    echo "tq2=ok"
  # reopen kernel_t's persistent tq0 from $OTHER: relabelfrom/relabelto
  runcon "$OTHER" ip netns exec t1 ip tuntap del dev tq0 mode tap && echo "tq0del=ok"
  echo "bun=$(/work/main/node_modules/.bin/bun --version)"
  exit 42
fi

# ---- host ------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
cd "$HERE/../.." || exit 1
SELFTEST_VAR='a b $c' VM_AVC_LOG="$tmp/avc" "$HERE/vm.sh" bash tests/selinux/selftest.sh \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
echo "one vm.sh run: $(($(date +%s) - start)) s"

pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi; }
has() { grep -qE -- "$1" "$tmp/out"; }
avc() { grep -qE -- "$1" "$tmp/avc"; }
ok "exit status passed through (42)" '[ $rc = 42 ]'
ok "guest context is kernel_t" 'has "^context=system_u:system_r:kernel_t:s0$"'
ok "permissive" 'has "^enforce=0$"'
ok "cwd preserved" 'has "^cwd=$PWD$"'
ok "environment passed" 'has "^env=a b \\\$c$"'
ok "baseline tap created" 'has "^tq0=ok$"'
ok "runcon tap created" 'has "^tq1=ok$"'
ok "attr/exec + execve gives the label" 'has "^execlabel=$OTHER$"'
ok "attr/exec tap created" 'has "^tq2=ok$"'
ok "bun runs" 'has "^bun=[0-9]"'
ok "avc: create as kernel_t" 'avc "avc:  granted  \{ create \} for  pid=[0-9]+ comm=\"ip\" scontext=system_u:system_r:kernel_t:s0 tcontext=system_u:system_r:kernel_t:s0 tclass=tun_socket"'
ok "avc: create as $OTHER" 'avc "avc:  (granted|denied)  \{ create \} for .* scontext=$OTHER tcontext=$OTHER tclass=tun_socket"'
ok "avc: relabelfrom kernel_t" 'avc "avc:  (granted|denied)  \{ relabelfrom \} for .* scontext=$OTHER tcontext=system_u:system_r:kernel_t:s0 tclass=tun_socket"'
ok "avc: relabelto $OTHER" 'avc "avc:  (granted|denied)  \{ relabelto \} for .* scontext=$OTHER tcontext=$OTHER tclass=tun_socket"'
if [ "$fail" -gt 0 ]; then
  echo "---- stdout"; cat "$tmp/out"; echo "---- stderr"; cat "$tmp/err"
fi
echo "---- tun_socket avc lines"
grep tun_socket "$tmp/avc"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
