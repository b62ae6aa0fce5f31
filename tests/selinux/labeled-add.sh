#!/usr/bin/env bash
# Guest side of tests/selinux_root_test.ts (run through vm.sh from the repo root): CNI ADDs with
# selinuxContext under each runtime, a context the kernel refuses, and iproute2 reopening the
# labeled tap as a witness of its label. Prints one "key=value" line per fact; the test reads them
# with the avc lines.
set -uo pipefail
LABEL=${LABEL:?}
ip netns add s1
export CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/s1 CNI_PATH=/usr/lib/cni CNI_COMMAND=ADD
IPAM='}'
conf() { printf '{"cniVersion":"1.0.0","name":"t","type":"tap","selinuxContext":"%s"%s' "$1" "$IPAM"; }
add() { # add IFNAME LABEL CMD...: one CNI ADD, its status, stdout and stderr on one line each
  local ifname=$1 label=$2 out status
  shift 2
  out=$(conf "$label" | CNI_IFNAME=$ifname "$@" 2>/tmp/stderr)
  status=$?
  if [ "$status" -ge 128 ]; then
    # A runtime killed by a signal under software emulation (seen once: SIGSEGV) is not the plugin
    # refusing anything: report it, remove what it may have left, and try once more.
    echo "$ifname.crashed=$status $(tr '\n' ' ' </tmp/stderr)"
    ip -n s1 link del "$ifname" 2>/dev/null
    out=$(conf "$label" | CNI_IFNAME=$ifname "$@" 2>/tmp/stderr)
    status=$?
  fi
  echo "$ifname.status=$status"
  echo "$ifname.out=$(tr -d '\n' <<<"$out")"
  echo "$ifname.stderr=$(tr '\n' ' ' </tmp/stderr)"
}
echo "self=$(tr -d '\0' </proc/self/attr/current)"
add tap0 "$LABEL" dist/tap
add tap1 "$LABEL" node_modules/.bin/bun cli.ts
add tap2 "$LABEL" node_modules/.bin/deno run --no-prompt --allow-ffi --allow-env --allow-run cli.ts
add tap3 "$LABEL" node --import tsx cli.ts
add tap4 system_u:system_r:no_such_t:s0 dist/tap
# With host-local IPAM: the child puts the address on the tap before it is persistent.
IPAM=',"ipam":{"type":"host-local","subnet":"10.99.0.0/24","dataDir":"/tmp/hl"}}'
add tap5 "$LABEL" dist/tap
echo "tap5.addr=$(ip -n s1 -o -4 addr show dev tap5 | awk '{print $4}')"
conf "$LABEL" | CNI_IFNAME=tap5 CNI_COMMAND=DEL dist/tap && echo "tap5.del=ok"
echo "tap5.leases=$(ls /tmp/hl/t | grep -c '^10\.')"
echo "links=$(ip -n s1 -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
# Reopening a tap relabels it to the opener and logs relabelfrom with the tap's label as tcontext.
ip -n s1 tuntap del dev tap0 mode tap && echo "witness=ok"
