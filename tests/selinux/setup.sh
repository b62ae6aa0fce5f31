#!/usr/bin/env bash
# Prepare the host for tests/selinux/vm.sh (run as root; idempotent).
#
#  * installs qemu, the SELinux userland and Debian's reference policy on the
#    host.  The host kernel has no SELinux, so this policy is inert here: it is
#    only *read* by the guest (the host root is shared into it read-only);
#  * downloads (does NOT install) the Debian 6.1 kernel package and unpacks it
#    into $CACHE;
#  * installs a tiny policy module "taptest" that makes the kernel log GRANTED
#    tun_socket checks (auditallow), so a test can see which label created a
#    tap device.
set -euo pipefail

CACHE=${TAP_SELINUX_CACHE:-/var/tmp/tap-selinux-vm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ "$(id -u)" = 0 ] || { echo "setup.sh: must run as root" >&2; exit 1; }
mkdir -p "$CACHE"

PKGS=(qemu-system-x86 selinux-policy-default policycoreutils checkpolicy
      semodule-utils selinux-utils busybox-static cpio kmod xz-utils zstd)

# apt-get update at most once per run, and only when something is missing.
UPDATED=
apt_update() { [ -n "$UPDATED" ] || { apt-get update; UPDATED=1; }; }

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  # --no-install-recommends keeps qemu from pulling a desktop's worth of
  # packages.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Debian's policy packages never activate SELinux on their own (that is
# selinux-activate's job, which edits grub and touches /.autorelabel).  But
# policycoreutils ships selinux-autorelabel-mark.service, which on a systemd
# boot WITHOUT SELinux touches /.autorelabel, so that a later SELinux boot
# relabels every file.  Mask it (a /dev/null link works even where systemd is
# not running) and make sure no relabel is pending.  The host's boot path is
# otherwise untouched: no grub change, no kernel installed.
if [ -e /lib/systemd/system/selinux-autorelabel-mark.service ] &&
   [ ! -L /etc/systemd/system/selinux-autorelabel-mark.service ]; then
  mkdir -p /etc/systemd/system
  ln -sf /dev/null /etc/systemd/system/selinux-autorelabel-mark.service
fi
rm -f /.autorelabel

# ---- kernel -------------------------------------------------------------
# The exact image package that linux-image-amd64 points at, e.g.
# linux-image-6.1.0-57-amd64.  Downloaded and extracted, never installed.
kpkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1
}
KPKG=$(kpkg)
[ -n "$KPKG" ] || { apt_update; KPKG=$(kpkg); }
[ -n "$KPKG" ] || { echo "setup.sh: cannot resolve linux-image-amd64" >&2; exit 1; }
KVER=${KPKG#linux-image-}

if [ ! -e "$CACHE/kernel/boot/vmlinuz-$KVER" ]; then
  tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
  # apt downloads as user _apt when it can write the target directory
  chown _apt "$tmp" 2>/dev/null || true
  (cd "$tmp" && apt-get download "$KPKG") || { apt_update; (cd "$tmp" && apt-get download "$KPKG"); }
  rm -rf "$CACHE/kernel.new"
  dpkg -x "$tmp"/"$KPKG"_*.deb "$CACHE/kernel.new"
  rm -rf "$tmp" "$CACHE/kernel"
  mv "$CACHE/kernel.new" "$CACHE/kernel"
  rm -f "$CACHE"/initramfs-*.cpio.gz   # built for the old kernel
fi
# An uncompressed vmlinux next to it: qemu boots that ELF directly (PVH entry
# point), which skips the xz decompression of the bzImage -- about 4 s under
# TCG.  vm.sh falls back to the bzImage when this file is missing.
VMLINUX=$CACHE/kernel/boot/vmlinux-$KVER
if [ ! -s "$VMLINUX" ]; then
  # the xz stream inside the bzImage starts at the first xz magic
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$CACHE/kernel/boot/vmlinuz-$KVER" | head -n1 | cut -d: -f1)
  if [ -n "$off" ]; then
    # xz complains about the bytes after the stream: ignore, check the result
    tail -c +$((off + 1)) "$CACHE/kernel/boot/vmlinuz-$KVER" | xz -dc >"$VMLINUX.tmp" 2>/dev/null || true
    if [ "$(head -c 4 "$VMLINUX.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
      mv "$VMLINUX.tmp" "$VMLINUX"
    fi
  fi
  rm -f "$VMLINUX.tmp"
fi

# The .deb has no modules.dep (its postinst makes it): build it here.
[ -s "$CACHE/kernel/lib/modules/$KVER/modules.dep" ] || depmod -b "$CACHE/kernel" "$KVER"
echo "$KVER" > "$CACHE/kernel-version"

# ---- policy module ------------------------------------------------------
# Reinstalled when taptest.te changes (its hash is kept in the cache).
sum=$(sha256sum "$HERE/taptest.te" | cut -d' ' -f1)
if ! semodule -l 2>/dev/null | grep -qE '^taptest([[:space:]]|$)' ||
   [ "$(cat "$CACHE/taptest.sha256" 2>/dev/null)" != "$sum" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  checkmodule -M -m -o "$tmp/taptest.mod" "$HERE/taptest.te"
  semodule_package -o "$tmp/taptest.pp" -m "$tmp/taptest.mod"
  # semodule rebuilds /etc/selinux/default/policy/policy.NN, which the guest
  # loads; the host kernel ignores it.
  semodule -i "$tmp/taptest.pp"
  echo "$sum" >"$CACHE/taptest.sha256"
fi

echo "setup.sh: ok (kernel $KVER in $CACHE/kernel, policy module taptest installed)"
