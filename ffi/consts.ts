/**
 * Kernel ABI constants for tun/tap, sockets, namespaces and rtnetlink.
 *
 * The values are those of asm-generic, which x86_64, arm64 and riscv64 share. mips, ppc, sparc and
 * alpha encode ioctl numbers differently, so {@linkcode assertSupportedArch} refuses them rather
 * than sending them a wrong request number.
 *
 * @module
 */

const IOC_WRITE = 1;
const IOC_READ = 2;
function ioc(dir: number, type: string, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;
}

/** tun ioctl request numbers (`_IOW('T', n, int)` / `_IOR`). */
export const TUNSETIFF: number = ioc(IOC_WRITE, "T", 202, 4);
/** Makes the device outlive its fds (1) or not (0). Takes the value, not a pointer. */
export const TUNSETPERSIST: number = ioc(IOC_WRITE, "T", 203, 4);
/** Sets the owning uid. Takes the value, not a pointer. */
export const TUNSETOWNER: number = ioc(IOC_WRITE, "T", 204, 4);
/** Sets the owning gid. Takes the value, not a pointer. */
export const TUNSETGROUP: number = ioc(IOC_WRITE, "T", 206, 4);
/** Reads the flags of the device attached to the fd into an ifreq. */
export const TUNGETIFF: number = ioc(IOC_READ, "T", 210, 4);

/** `ioctl(nsfd, NS_GET_NSTYPE)` returns the CLONE_NEW* type of a namespace fd (Linux 4.11+). */
export const NS_GET_NSTYPE = 0xb703;

/** Human names of the ioctl requests, for error messages. */
export const IOCTL_NAMES: Readonly<Record<number, string>> = {
  [TUNSETIFF]: "TUNSETIFF",
  [TUNSETPERSIST]: "TUNSETPERSIST",
  [TUNSETOWNER]: "TUNSETOWNER",
  [TUNSETGROUP]: "TUNSETGROUP",
  [TUNGETIFF]: "TUNGETIFF",
  [NS_GET_NSTYPE]: "NS_GET_NSTYPE",
};

/** ifr_flags bits of TUNSETIFF. */
export const IFF_TUN = 0x0001;
/** TAP (ethernet) mode. */
export const IFF_TAP = 0x0002;
/** One fd per queue. */
export const IFF_MULTI_QUEUE = 0x0100;
/** Read-only: set on a persistent device. */
export const IFF_PERSIST = 0x0800;
/** No 4-byte packet-information header on frames. */
export const IFF_NO_PI = 0x1000;
/** Frames carry a virtio-net header. */
export const IFF_VNET_HDR = 0x4000;
/** Fail with EBUSY instead of attaching when the name exists. */
export const IFF_TUN_EXCL = 0x8000;

/** Interface flags (net/if.h). */
export const IFF_UP = 0x1;
/** The link has carrier. */
export const IFF_RUNNING = 0x40;

/** `struct ifreq` is 40 bytes on LP64. */
export const IFREQ_SIZE = 40;
/** Linux interface names hold at most 15 bytes plus the NUL. */
export const IFNAMSIZ = 16;

/** open(2) flags. */
export const O_RDONLY = 0;
/** Read and write. */
export const O_RDWR = 2;
/** Write only. */
export const O_WRONLY = 1;
/** Non-blocking reads and writes. */
export const O_NONBLOCK = 0x800;
/** Close on exec, so exec'd IPAM plugins inherit nothing. */
export const O_CLOEXEC = 0x80000;

/** Socket constants. */
export const AF_NETLINK = 16;
/** Raw socket type (netlink uses it). */
export const SOCK_RAW = 3;
/** Close on exec, for sockets. */
export const SOCK_CLOEXEC = 0x80000;
/** The rtnetlink protocol. */
export const NETLINK_ROUTE = 0;

/** setns(2) namespace type. */
export const CLONE_NEWNET = 0x40000000;

/** Names of the CLONE_NEW* namespace types, for error messages. */
export const NAMESPACE_TYPES: Readonly<Record<number, string>> = {
  0x00000080: "time",
  0x00020000: "mount",
  0x02000000: "cgroup",
  0x04000000: "uts",
  0x08000000: "ipc",
  0x10000000: "user",
  0x20000000: "pid",
  0x40000000: "network",
};

/**
 * Throws unless the CPU architecture uses the asm-generic ioctl encoding these constants assume.
 *
 * @example Usage
 * ```ts
 * import { assertSupportedArch } from "./consts.ts";
 * assertSupportedArch("x64");
 * ```
 */
export function assertSupportedArch(arch: string): void {
  if (arch !== "x64" && arch !== "arm64" && arch !== "riscv64") {
    throw new Error(
      `Cannot use tun/tap ioctls on "${arch}": only x64, arm64 and riscv64 are supported`,
    );
  }
}
