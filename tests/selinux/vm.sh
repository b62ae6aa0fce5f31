#!/usr/bin/env bash
# Run one command under a real SELinux kernel (permissive) in a throw-away
# QEMU guest (KVM when usable, else TCG) that sees the host's root filesystem
# read-only.  See README.md.
#
#   tests/selinux/vm.sh CMD [ARGS...]
#
# CMD's stdout -> stdout, its stderr -> stderr, the kernel's "avc:" lines of
# the run -> $VM_AVC_LOG (or stderr, between marker lines), exit status ->
# CMD's.  vm.sh's own failures exit 125, a guest that outlives VM_TIMEOUT
# (default 120 s) is killed and vm.sh exits 124.
#
# Knobs (environment): VM_AVC_LOG=path, VM_TIMEOUT=seconds, VM_MEM=MiB,
# VM_SMP=n, VM_WRITABLE=1 (tmpfs overlay over the host root), VM_MODULES="extra
# kernel modules", VM_DMESG_LOG=path (whole guest kernel log of the run),
# VM_CONSOLE_LOG=path (serial console), VM_KEEP=1 (keep the temp directory),
# VM_ACCEL=auto|kvm|tcg, VM_KERNEL=path, TAP_SELINUX_CACHE (default
# /var/tmp/tap-selinux-vm).  Every exported variable of the caller is passed
# to CMD unchanged (VM_* ones too), plus TAP_SELINUX_VM=1.
set -euo pipefail

CACHE=${TAP_SELINUX_CACHE:-/var/tmp/tap-selinux-vm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TIMEOUT=${VM_TIMEOUT:-120}

fail() { echo "vm.sh: $*" >&2; exit 125; }

[ $# -ge 1 ] || { sed -n '2,21s/^# \{0,1\}//p' "$0" >&2; exit 125; }
[ "$(id -u)" = 0 ] || fail "must run as root"
[ -r "$CACHE/kernel-version" ] || fail "no kernel in $CACHE: run tests/selinux/setup.sh first"
KVER=$(cat "$CACHE/kernel-version")
VMLINUZ=$CACHE/kernel/boot/vmlinuz-$KVER
# setup.sh's uncompressed copy boots faster (PVH entry, no decompression)
[ ! -s "$CACHE/kernel/boot/vmlinux-$KVER" ] || VMLINUZ=$CACHE/kernel/boot/vmlinux-$KVER
VMLINUZ=${VM_KERNEL:-$VMLINUZ}
MODDIR=$CACHE/kernel/lib/modules/$KVER
[ -r "$VMLINUZ" ] || fail "missing $VMLINUZ: run tests/selinux/setup.sh"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing: run tests/selinux/setup.sh"
BUSYBOX=$(command -v busybox) || fail "busybox missing: run tests/selinux/setup.sh"
# the initramfs has no libc: busybox must be the static build
{ ldd "$BUSYBOX" 2>&1 || true; } | grep -qE 'not a dynamic|statically linked' ||
  fail "$BUSYBOX is not static (apt-get install busybox-static)"

# ---- kernel modules ----------------------------------------------------
# modules.dep is made by "depmod -b" (the .deb ships none: depmod runs in its
# postinst, which we never run).
[ -s "$MODDIR/modules.dep" ] || depmod -b "$CACHE/kernel" "$KVER" || fail "depmod"

# virtio_pci: the PCI transport; virtio-rng: entropy so getrandom() does not
# stall bun/deno; 9p*: the shares; tun: /dev/net/tun; bridge, veth: what a CNI
# plugin typically needs next to a tap.  Dependencies (virtio, netfs, fscache,
# llc, stp, ...) come from modules.dep.
WANT="virtio_pci virtio-rng 9pnet_virtio 9p overlay tun bridge veth ${VM_MODULES:-}"
declare -A seen=()
ORDER=()
add_module() { # add_module NAME-or-PATH: append it after its dependencies
  local m=$1 line path deps i
  if [[ $m != */* ]]; then
    # accept foo_bar and foo-bar: file names use either
    line=$(grep -E "(^|/)(${m//[-_]/[-_]})\.ko(\.[gx]z|\.zst)?:" "$MODDIR/modules.dep" | head -n1) || true
    if [ -z "$line" ]; then
      grep -qE "/(${m//[-_]/[-_]})\.ko$" "$MODDIR/modules.builtin" && return 0 # built in
      fail "kernel module $m not found in $MODDIR"
    fi
  else
    line=$(grep -E "^$m:" "$MODDIR/modules.dep") || fail "bad module path $m"
  fi
  path=${line%%:*}
  [ -z "${seen[$path]:-}" ] || return 0
  seen[$path]=1
  read -ra deps <<<"${line#*:}"
  # modules.dep lists the full closure, deepest last: load in reverse
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_module "${deps[i]}"; done
  ORDER+=("$path")
}
for m in $WANT; do add_module "$m"; done

# ---- initramfs (cached) ------------------------------------------------
key=$( { echo "$KVER"; printf '%s\n' "${ORDER[@]}"; cat "$HERE/guest-init.sh"; sha256sum "$BUSYBOX"; } |
       sha256sum | cut -c1-16)
INITRD=$CACHE/initramfs-$KVER-$key.cpio.gz
if [ ! -s "$INITRD" ]; then
  d=$(mktemp -d "$CACHE/initramfs.XXXXXX")
  mkdir -p "$d"/{bin,sbin,dev,proc,sys,modules,host,io}
  cp "$BUSYBOX" "$d/bin/busybox"
  ln -s busybox "$d/bin/sh"
  cp "$HERE/guest-init.sh" "$d/init"
  chmod 755 "$d/init"
  : >"$d/modules.order"
  for p in "${ORDER[@]}"; do
    b=$(basename "$p")
    case $b in # busybox insmod wants them uncompressed
      *.xz) xz -dc "$MODDIR/$p" >"$d/modules/${b%.xz}"; b=${b%.xz} ;;
      *.zst) zstd -qdc "$MODDIR/$p" >"$d/modules/${b%.zst}"; b=${b%.zst} ;;
      *.gz) gzip -dc "$MODDIR/$p" >"$d/modules/${b%.gz}"; b=${b%.gz} ;;
      *) cp "$MODDIR/$p" "$d/modules/$b" ;;
    esac
    echo "$b" >>"$d/modules.order"
  done
  (cd "$d" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$INITRD.tmp.$$"
  mv "$INITRD.tmp.$$" "$INITRD"
  rm -rf "$d"
  # old initramfs builds are useless now
  find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$INITRD")" -delete
fi

# ---- per-run directory: shared read-write as 9p tag "vmio" ----------------
# In the guest it is /run/tap-selinux-vm (inside the chroot).
RUN=$(mktemp -d "${TMPDIR:-/tmp}/tap-selinux-vm.XXXXXX")
QPID=
cleanup() {
  [ -z "$QPID" ] || kill "$QPID" 2>/dev/null || true
  if [ -n "${VM_KEEP:-}" ]; then echo "vm.sh: kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Options read by the guest's init (sourced by busybox sh).
printf 'WRITABLE=%s\n' "${VM_WRITABLE:+1}" >"$RUN/options"

# /tmp, /run and /dev/shm are fresh tmpfs in the guest, so a working directory
# under them (a CI clone in /tmp, say) is shared on its own, read-only, and
# mounted at the same path.
CWD_SHARE=()
case $PWD/ in
  /tmp/* | /run/* | /var/run/* | /dev/shm/*)
    printf 'CWD=%q\n' "$PWD" >>"$RUN/options"
    CWD_SHARE=(-virtfs "local,path=$PWD,mount_tag=cwd,security_model=none,readonly=on,multidevs=remap")
    ;;
esac

# The command script, run by the chroot's (host's) bash.  The caller's
# environment is rebuilt exactly (env -0 parsing keeps odd values intact),
# minus what bash sets itself.
{
  echo '#!/bin/bash'
  echo '# generated by tests/selinux/vm.sh'
  echo 'for __v in $(compgen -e); do unset "$__v"; done; unset __v'
  while IFS= read -r -d '' kv; do
    name=${kv%%=*}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $name in PWD | OLDPWD | SHLVL | _ | BASH_FUNC_*) continue ;; esac
    printf 'export %s=%q\n' "$name" "${kv#*=}"
  done < <(env -0)
  echo 'export TAP_SELINUX_VM=1'
  printf 'cd -- %q || { echo "vm.sh: working directory %q is not visible in the guest (under /tmp or /run?)" >&2; exit 125; }\n' "$PWD" "$PWD"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$RUN/run.sh"

# No network device at all (-nodefaults, -nic none).  The serial console goes
# to a file; it is shown only when the guest fails.
# security=selinux picks SELinux over AppArmor (Debian's default LSM);
# selinux=1 is ignored by this kernel (no SELINUX_BOOTPARAM) but harmless;
# enforcing=0 = permissive.  loglevel=4 keeps the avc lines off the console
# (they are read with dmesg); audit_backlog_limit and log_buf_len make room for
# many of them.
CMDLINE="console=ttyS0 loglevel=4 panic=-1 security=selinux selinux=1 enforcing=0"
CMDLINE+=" audit_backlog_limit=8192 log_buf_len=8M random.trust_cpu=on"
# Accelerator.  KVM needs hardware virtualisation (vmx/svm).  Some hosts
# expose /dev/kvm through PVM instead (module kvm_pvm, no vmx/svm in
# /proc/cpuinfo): KVM_CREATE_VM works there, but PVM only runs guest kernels
# built as PVM guests; a stock Debian kernel crawls through its decompressor
# and never boots.  There we fall back to TCG (software emulation).
ACCEL=${VM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    ACCEL=kvm
  else
    ACCEL=tcg
  fi
fi
case $ACCEL in
  # -arch-capabilities: some nested KVMs refuse to set MSR 0x10a and qemu aborts
  kvm) ACCEL_ARGS=(-enable-kvm -cpu host,-arch-capabilities) ;;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu max) ;;
  *) fail "VM_ACCEL must be auto, kvm or tcg" ;;
esac

start=$(date +%s)
qemu-system-x86_64 \
  "${ACCEL_ARGS[@]}" -machine pc -m "${VM_MEM:-2048}" -smp "${VM_SMP:-2}" \
  -nodefaults -no-user-config -display none -nic none -no-reboot \
  -serial "file:$RUN/console.log" -monitor none \
  -kernel "$VMLINUZ" -initrd "$INITRD" -append "$CMDLINE" \
  -device virtio-rng-pci \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$RUN,mount_tag=vmio,security_model=none,multidevs=remap" \
  "${CWD_SHARE[@]}" \
  </dev/null >"$RUN/qemu.log" 2>&1 &
QPID=$!

timed_out=
while kill -0 "$QPID" 2>/dev/null; do
  if (($(date +%s) - start >= TIMEOUT)); then
    timed_out=1
    kill "$QPID" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
qrc=0
wait "$QPID" || qrc=$?
QPID=

[ -z "${VM_CONSOLE_LOG:-}" ] || cp "$RUN/console.log" "$VM_CONSOLE_LOG"
[ -z "${VM_DMESG_LOG:-}" ] || [ ! -e "$RUN/dmesg.log" ] || cp "$RUN/dmesg.log" "$VM_DMESG_LOG"

guest_failed() {
  echo "vm.sh: $1" >&2
  echo "---- qemu ----" >&2
  cat "$RUN/qemu.log" >&2
  [ ! -s "$RUN/init-error" ] || { echo "---- guest init error ----" >&2; cat "$RUN/init-error" >&2; }
  echo "---- guest console (last 60 lines) ----" >&2
  tail -n 60 "$RUN/console.log" >&2 || true
  echo "----" >&2
}

if [ -n "$timed_out" ]; then
  guest_failed "guest killed after ${TIMEOUT}s (VM_TIMEOUT)"
  [ ! -e "$RUN/stdout" ] || { echo "---- command stdout so far ----" >&2; cat "$RUN/stdout" >&2; }
  [ ! -e "$RUN/stderr" ] || { echo "---- command stderr so far ----" >&2; cat "$RUN/stderr" >&2; }
  exit 124
fi
if [ ! -s "$RUN/status" ]; then
  guest_failed "guest stopped without running the command (qemu exit $qrc)"
  exit 125
fi

cat "$RUN/stdout"
cat "$RUN/stderr" >&2
if [ -n "${VM_AVC_LOG:-}" ]; then
  cp "$RUN/avc.log" "$VM_AVC_LOG"
else
  {
    echo "---- vm.sh: avc lines ----"
    cat "$RUN/avc.log"
    echo "---- vm.sh: end of avc lines ----"
  } >&2
fi
exit "$(cat "$RUN/status")"
