/**
 * The core: create, delete, inspect and list tun/tap devices, in any network namespace.
 *
 * Both faces of the tool, the CLI and the CNI plugin, are thin translations onto these functions.
 *
 * Creation is crash-safe: the device is created with IFF_TUN_EXCL (an existing name fails instead
 * of being attached to) and configured while our fd still holds it non-persistent. TUNSETPERSIST
 * is the very last step, so if the process dies earlier the kernel removes the device when the fd
 * closes.
 *
 * @module
 */
import {
  IFF_MULTI_QUEUE,
  IFF_NO_PI,
  IFF_TAP,
  IFF_TUN,
  IFF_TUN_EXCL,
  IFF_UP,
  IFF_VNET_HDR,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  TUNSETGROUP,
  TUNSETIFF,
  TUNSETOWNER,
  TUNSETPERSIST,
} from "../ffi/consts.ts";
import { TapError } from "../ffi/errors.ts";
import { assertIfname, encodeIfreq, ifreqName } from "../ffi/ifreq.ts";
import { libc } from "../ffi/libc.ts";
import { type LinkChange, NetlinkSocket } from "../ffi/netlink.ts";
import { type Netns, openNetns, withNetns } from "../ffi/netns.ts";
import {
  type AddressSpec,
  AF_INET,
  AF_INET6,
  type Link,
  type RouteSpec,
} from "../ffi/rtnetlink.ts";
import { networkPart, parseCidr, parseIp } from "./ip.ts";
import { formatMac, parseMac } from "./mac.ts";
import { MAX_ID } from "./users.ts";

/** A network namespace: a name under /var/run/netns, a path, or one already opened. */
export type NetnsRef = string | Netns;

/** Where an operation acts. */
export interface NetnsOption {
  /** The network namespace; the current one when absent. */
  netns?: NetnsRef | undefined;
}

/** Options of {@linkcode createTap}. */
export interface CreateTapOptions extends NetnsOption {
  /** Interface name, at most 15 bytes; a `%d` template lets the kernel pick the number. */
  name: string;
  /** `"tap"` (ethernet frames, the default) or `"tun"` (IP packets). */
  mode?: "tap" | "tun";
  /** One fd per queue (IFF_MULTI_QUEUE). Default false. */
  multiQueue?: boolean;
  /** Frames carry a virtio-net header (IFF_VNET_HDR). Default true. */
  vnetHdr?: boolean;
  /** Frames carry a 4-byte packet-information header. Default false, as in `ip tuntap`. */
  pi?: boolean;
  /** Owning uid; unset means no owner (root or CAP_NET_ADMIN only), never uid 0. */
  owner?: number | undefined;
  /** Owning gid; unset means no group. */
  group?: number | undefined;
  /** MTU; the kernel default (1500) when unset. */
  mtu?: number | undefined;
  /** MAC address, e.g. `02:00:00:00:00:01`; random when unset. */
  mac?: string | undefined;
  /** Bring the link up. Default false. */
  up?: boolean;
  /** Transmit queue length; the kernel default (1000) when unset. */
  txqueuelen?: number | undefined;
  /** Name of an existing bridge in the same namespace to make the device a port of. */
  bridge?: string | undefined;
  /** IP addresses to put on the device, as CIDR with the host part: `10.1.0.5/24`, `fd00::5/64`. */
  addresses?: readonly string[] | undefined;
  /** Routes through the device, added after the addresses. */
  routes?: readonly RouteOption[] | undefined;
  /** Set `net.ipv4.conf.<name>.arp_notify` (gratuitous ARP when the link comes up). */
  arpNotify?: boolean | undefined;
}

/** A route for {@linkcode CreateTapOptions.routes}. */
export interface RouteOption {
  /** Destination, CIDR: `0.0.0.0/0`, `10.2.0.0/16`. */
  dst: string;
  /** Gateway; without one the route is link-scoped. */
  gw?: string | undefined;
  /** Metric (lower wins). */
  priority?: number | undefined;
  /** Routing table; main when unset. */
  table?: number | undefined;
  /** Scope: 0 universe, 253 link, 254 host. */
  scope?: number | undefined;
  /** Path MTU metric. */
  mtu?: number | undefined;
  /** Advertised MSS metric. */
  advmss?: number | undefined;
}

/** A tun/tap device as the kernel reports it through rtnetlink. */
export interface TapInfo {
  /** Interface name. */
  name: string;
  /** Interface index in its namespace. */
  ifindex: number;
  /** `"tap"` or `"tun"`. */
  mode: "tap" | "tun";
  /** The tun flags as `ip -j tuntap show` words: mode, then `pi`, `multi_queue`, `vnet_hdr`, `persist` when on. */
  flags: string[];
  /** One fd per queue. */
  multiQueue: boolean;
  /** virtio-net header on. */
  vnetHdr: boolean;
  /** Packet-information header on. */
  pi: boolean;
  /** Survives the close of its last fd. */
  persist: boolean;
  /** Owning uid, or null when unset. */
  owner: number | null;
  /** Owning gid, or null when unset. */
  group: number | null;
  /** MTU. */
  mtu: number;
  /** MAC address in lower-case colon form, or null for a tun (no hardware address). */
  mac: string | null;
  /** Administratively up. */
  up: boolean;
  /** Transmit queue length. */
  txqueuelen: number;
  /** Name of the bridge the device is a port of, or null. */
  bridge: string | null;
}

/** The input is refused before anything is done. */
function invalid(action: string, detail: string): TapError {
  return new TapError(action, detail, { errno: 22, invalidInput: true });
}

/** The options, checked and converted to what the kernel takes. */
interface Prepared {
  flags: number;
  change: LinkChange;
  addresses: AddressSpec[];
  routes: Omit<RouteSpec, "oif">[];
}

function cidr(action: string, what: string, text: string): AddressSpec {
  const prefix = parseCidr(text);
  if (prefix === undefined) {
    throw invalid(action, `invalid ${what} "${text}": expected CIDR like 10.1.0.5/24`);
  }
  return prefix;
}

function prepareRoutes(action: string, routes: readonly RouteOption[]): Omit<RouteSpec, "oif">[] {
  return routes.map((r) => {
    const dst = cidr(action, "route destination", r.dst);
    let gateway: Uint8Array | undefined;
    if (r.gw !== undefined) {
      const gw = parseIp(r.gw);
      if (gw === undefined || gw.bytes.length !== dst.bytes.length) {
        throw invalid(action, `invalid gateway "${r.gw}" for route "${r.dst}"`);
      }
      gateway = gw.bytes;
    }
    return {
      // The kernel wants the network part only in RTA_DST.
      dst: { bytes: networkPart(dst.bytes, dst.prefixLength), prefixLength: dst.prefixLength },
      gateway,
      priority: r.priority,
      table: r.table,
      scope: r.scope,
      mtu: r.mtu,
      advmss: r.advmss,
    };
  });
}

/** The largest MTU of a tap. */
export const MAX_TAP_MTU = 65521;

/** What both creation and {@linkcode setTap} can change through rtnetlink. */
interface LinkOptions {
  mode: "tap" | "tun";
  mtu?: number | undefined;
  mac?: string | undefined;
  txqueuelen?: number | undefined;
}

function linkChange(action: string, options: LinkOptions): LinkChange {
  const change: LinkChange = {};
  if (options.mtu !== undefined) {
    const mtu = options.mtu;
    // The kernel's limits: ETH_MIN_MTU, and for a tap 65535 less the Ethernet header.
    const max = options.mode === "tap" ? MAX_TAP_MTU : 65535;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > max) {
      throw invalid(action, `invalid mtu ${mtu}: must be an integer from 68 to ${max}`);
    }
    change.mtu = mtu;
  }
  if (options.mac !== undefined) {
    if (options.mode === "tun") throw invalid(action, "a tun device has no MAC address");
    const mac = parseMac(options.mac);
    if (typeof mac === "string") {
      throw invalid(action, `invalid MAC address "${options.mac}": ${mac}`);
    }
    change.address = mac;
  }
  if (options.txqueuelen !== undefined) {
    const q = options.txqueuelen;
    if (!Number.isInteger(q) || q < 0 || q > 0xffffffff) {
      throw invalid(action, `invalid txqueuelen ${q}: must be an integer from 0 to 4294967295`);
    }
    change.txqlen = q;
  }
  return change;
}

function assertIds(
  action: string,
  options: { owner?: number | undefined; group?: number | undefined },
): void {
  for (const key of ["owner", "group"] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > MAX_ID)) {
      throw invalid(action, `invalid ${key} ${v}: must be an integer from 0 to ${MAX_ID}`);
    }
  }
}

/**
 * Checks the options of {@linkcode createTap} without touching anything, so a caller can refuse
 * bad input before it does other work (the CNI plugin, before IPAM hands out an address).
 *
 * @throws {TapError} EINVAL with `invalidInput` for the first bad option.
 *
 * @example Usage
 * ```ts
 * import { checkCreateTap } from "../mod.ts";
 * checkCreateTap({ name: "tap0", mtu: 1400 });
 * ```
 */
export function checkCreateTap(options: CreateTapOptions): void {
  prepare(options);
}

/** Checks and converts the options before anything is touched. */
function prepare(options: CreateTapOptions): Prepared {
  const action = `Cannot create device "${options.name}"`;
  assertIfname(options.name, action);
  const mode = options.mode ?? "tap";
  if (mode !== "tap" && mode !== "tun") throw invalid(action, `invalid mode "${mode}"`);
  assertIds(action, options);
  const change = linkChange(action, { ...options, mode });
  if (options.up) change.up = true;
  if (options.arpNotify !== undefined) change.arpNotify = options.arpNotify;
  if (options.bridge !== undefined) assertIfname(options.bridge, action);
  const addresses = (options.addresses ?? []).map((a) => cidr(action, "address", a));
  const routes = prepareRoutes(action, options.routes ?? []);
  const flags = (mode === "tap" ? IFF_TAP : IFF_TUN) | IFF_TUN_EXCL |
    (options.multiQueue ? IFF_MULTI_QUEUE : 0) |
    (options.vnetHdr ?? true ? IFF_VNET_HDR : 0) |
    (options.pi ? 0 : IFF_NO_PI);
  return { flags, change, addresses, routes };
}

/**
 * Opens the namespace when given by name or path, runs `fn` with it, and closes it again.
 */
function inNetns<T>(ref: NetnsRef | undefined, fn: (ns: Netns | undefined) => T): T {
  if (ref === undefined || typeof ref !== "string") return fn(ref);
  const ns = openNetns(ref);
  try {
    return fn(ns);
  } finally {
    ns.close();
  }
}

/** Runs `fn` with a netlink socket of the namespace, closed afterwards. */
function withNetlink<T>(
  netns: NetnsRef | undefined,
  action: string,
  fn: (nl: NetlinkSocket) => T,
): T {
  return inNetns(netns, (ns) => {
    const { nl } = openHandles(ns, 0, action);
    try {
      return fn(nl);
    } finally {
      nl.close();
    }
  });
}

/** Opens a netlink socket, and the tun clone device when asked, inside the namespace. */
function openHandles(
  ns: Netns | undefined,
  tuns: number,
  action: string,
  flags = O_RDWR | O_CLOEXEC,
): { nl: NetlinkSocket; tunFds: number[] } {
  return withNetns(ns, () => {
    const nl = step("cannot open a netlink socket", () => NetlinkSocket.open(), action);
    const tunFds: number[] = [];
    try {
      for (let i = 0; i < tuns; i++) {
        tunFds.push(
          step("cannot open /dev/net/tun", () => libc.open("/dev/net/tun", flags), action),
        );
      }
      return { nl, tunFds };
    } catch (err) {
      for (const fd of tunFds) libc.close(fd);
      nl.close();
      throw err;
    }
  });
}

/** Reads a link as TapInfo; `names` maps ifindex to name for the bridge, else it is looked up. */
function tapInfo(nl: NetlinkSocket, link: Link, names?: Map<number, string>): TapInfo {
  let bridge: string | null = null;
  if (link.master !== undefined) {
    bridge = names?.get(link.master) ?? nl.getLink(link.master).name;
  }
  return { ...toTapInfo(link), bridge };
}

function toTapInfo(link: Link): Omit<TapInfo, "bridge"> {
  const t = link.tun!;
  const mode = t.type === IFF_TUN ? "tun" : "tap";
  const flags: string[] = [mode];
  if (t.pi) flags.push("pi");
  if (t.multiQueue) flags.push("multi_queue");
  if (t.vnetHdr) flags.push("vnet_hdr");
  if (t.persist) flags.push("persist");
  return {
    name: link.name,
    ifindex: link.index,
    mode,
    flags,
    multiQueue: t.multiQueue,
    vnetHdr: t.vnetHdr,
    pi: t.pi,
    persist: t.persist,
    owner: t.owner ?? null,
    group: t.group ?? null,
    mtu: link.mtu,
    mac: mode === "tap" && link.address ? formatMac(link.address) : null,
    up: (link.flags & IFF_UP) !== 0,
    txqueuelen: link.txqlen ?? 0,
  };
}

/**
 * Creates a persistent tun/tap device, configured in full before it is made persistent.
 *
 * @returns The device as the kernel reports it afterwards.
 * @throws {TapError} EINVAL for bad options (nothing is created), EBUSY when the name exists
 *   (the existing device is not touched), and the errno of any failed step; the device is then
 *   removed again.
 *
 * @example A multi-queue tap for uid 1000 in netns "blue"
 * ```ts
 * import { createTap } from "../mod.ts";
 * const tap = createTap({ name: "tap0", netns: "blue", multiQueue: true, owner: 1000, up: true });
 * console.log(tap.ifindex, tap.mac);
 * ```
 */
export function createTap(options: CreateTapOptions): TapInfo {
  const { flags, change, addresses, routes } = prepare(options);
  return inNetns(options.netns, (ns) => {
    let action = `Cannot create device "${options.name}"`;
    const { nl, tunFds: [tunFd = -1] } = openHandles(ns, 1, action);
    let persistent = false;
    let name = options.name;
    try {
      if (options.bridge !== undefined) change.master = bridgeIndex(nl, options.bridge, action);
      const ifr = encodeIfreq(options.name, flags);
      libc.ioctl(tunFd, TUNSETIFF, ifr);
      name = ifreqName(ifr);
      action = `Cannot create device "${name}"`;
      if (options.owner !== undefined) libc.ioctl(tunFd, TUNSETOWNER, options.owner);
      if (options.group !== undefined) libc.ioctl(tunFd, TUNSETGROUP, options.group);
      step("cannot configure the link", () => nl.setLink(name, change));
      if (addresses.length > 0 || routes.length > 0) {
        const index = nl.getLink(name).index;
        addresses.forEach((a, i) => {
          const what = a.bytes.length === 16
            ? `cannot add IPv6 address "${
              options.addresses![i]
            }" (is IPv6 disabled in the namespace?)`
            : `cannot add address "${options.addresses![i]}"`;
          step(what, () => nl.addAddress(index, a));
        });
        routes.forEach((r, i) =>
          step(
            `cannot add route to "${options.routes![i]!.dst}"`,
            () => nl.addRoute({ ...r, oif: index }),
          )
        );
      }
      libc.ioctl(tunFd, TUNSETPERSIST, 1);
      persistent = true;
      return tapInfo(nl, nl.getLink(name));
    } catch (err) {
      // Before TUNSETPERSIST the close below removes the device; after it, delete explicitly.
      if (persistent) {
        try {
          nl.deleteLink(name);
        } catch { /* already gone */ }
      }
      throw err instanceof StepError
        ? TapError.relabel(err.error, action, err.step)
        : TapError.relabel(err, action);
    } finally {
      libc.close(tunFd);
      nl.close();
    }
  });
}

/**
 * Runs one step of a larger action; a failure names the step before the errno text. With
 * `action` the error is final; without, the action is added where it is known (after TUNSETIFF
 * a template name is resolved).
 */
function step<T>(what: string, fn: () => T, action?: string): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof TapError)) throw err;
    // Only opening the clone device or a socket is refused for want of privileges; an EACCES
    // elsewhere (an IPv6 address with IPv6 disabled) means something else.
    const denied = (err.code === "EPERM" || err.code === "EACCES") &&
      what.startsWith("cannot open");
    const hint = denied ? " (needs root or CAP_NET_ADMIN)" : "";
    if (action !== undefined) throw TapError.relabel(err, action, `${what}${hint}`);
    throw new StepError(`${what}${hint}`, err);
  }
}

/** A failed step, carried up to the action's relabel. */
class StepError extends Error {
  constructor(readonly step: string, readonly error: TapError) {
    super(error.message);
  }
}

/** Finds a bridge by name, before anything is created, so a wrong name leaves nothing behind. */
function bridgeIndex(nl: NetlinkSocket, bridge: string, action: string): number {
  let link: Link;
  try {
    link = nl.getLink(bridge);
  } catch (err) {
    if (err instanceof TapError && err.code === "ENODEV") {
      throw new TapError(action, `bridge "${bridge}" not found`, {
        errno: 19,
        cause: err,
        invalidInput: true,
      });
    }
    throw err;
  }
  if (link.kind !== "bridge") {
    throw invalid(action, `"${bridge}" is not a bridge (it is a ${link.kind ?? "plain device"})`);
  }
  return link.index;
}

/** Reads a link and checks that it is a tun/tap device. */
function getTunLink(nl: NetlinkSocket, name: string, action: string): Link {
  let link: Link;
  try {
    link = nl.getLink(name);
  } catch (err) {
    throw TapError.relabel(err, action);
  }
  if (link.tun === undefined) {
    throw new TapError(
      action,
      link.kind ? `not a tun/tap device (it is a ${link.kind})` : "not a tun/tap device",
      { errno: 22 },
    );
  }
  return link;
}

/**
 * Deletes a tun/tap device through rtnetlink, whatever flags it was created with.
 *
 * @throws {TapError} ENODEV when there is no such device; EINVAL when the device is not a
 *   tun/tap (it is left alone: `deleteTap("eth0")` never removes eth0).
 *
 * @example Usage
 * ```ts
 * import { deleteTap } from "../mod.ts";
 * deleteTap("tap0", { netns: "blue" });
 * ```
 */
export function deleteTap(name: string, options: NetnsOption = {}): void {
  const action = `Cannot delete device "${name}"`;
  assertIfname(name, action);
  withNetlink(options.netns, action, (nl) => {
    const link = getTunLink(nl, name, action);
    try {
      nl.deleteLink(link.index);
    } catch (err) {
      throw TapError.relabel(err, action);
    }
  });
}

/**
 * Reads one tun/tap device.
 *
 * @throws {TapError} ENODEV when there is no such device, EINVAL when it is not a tun/tap.
 *
 * @example Usage
 * ```ts
 * import { getTap } from "../mod.ts";
 * console.log(getTap("tap0", { netns: "blue" }).multiQueue);
 * ```
 */
export function getTap(name: string, options: NetnsOption = {}): TapInfo {
  const action = `Cannot show device "${name}"`;
  assertIfname(name, action);
  return withNetlink(options.netns, action, (nl) => tapInfo(nl, getTunLink(nl, name, action)));
}

/** The TUNSETIFF flags that attach to an existing device without changing it. */
function attachFlags(link: Link): number {
  const t = link.tun!;
  return (t.type === IFF_TUN ? IFF_TUN : IFF_TAP) | (t.pi ? 0 : IFF_NO_PI) |
    (t.vnetHdr ? IFF_VNET_HDR : 0) | (t.multiQueue ? IFF_MULTI_QUEUE : 0);
}

/** Changes for {@linkcode setTap}; absent fields are left as they are. */
export interface SetTapOptions extends NetnsOption {
  /** New MTU. */
  mtu?: number | undefined;
  /** New MAC address. */
  mac?: string | undefined;
  /** New owning uid (the kernel cannot unset an owner once set). */
  owner?: number | undefined;
  /** New owning gid. */
  group?: number | undefined;
  /** Bring the link up (true) or down (false). */
  up?: boolean | undefined;
  /** New transmit queue length. */
  txqueuelen?: number | undefined;
  /** A bridge in the same namespace to join, or null to leave the current one. */
  bridge?: string | null | undefined;
}

/**
 * Changes an existing tun/tap device. Owner and group are set on the device itself (the fd
 * attaches with the device's exact flags, so nothing else changes), and take effect for the next
 * open; the rest goes through one rtnetlink request.
 *
 * @throws {TapError} ENODEV when there is no such device, EINVAL for a device of another kind or a
 *   bad value, EBUSY when owner or group is asked for while a program holds a single-queue tap.
 *
 * @example Give tap0 to uid 1000 and raise its MTU
 * ```ts
 * import { setTap } from "../mod.ts";
 * setTap("tap0", { owner: 1000, mtu: 9000, up: true });
 * ```
 */
export function setTap(name: string, options: SetTapOptions): TapInfo {
  const action = `Cannot change device "${name}"`;
  assertIfname(name, action);
  assertIds(action, options);
  if (typeof options.bridge === "string") assertIfname(options.bridge, action);
  const ids = options.owner !== undefined || options.group !== undefined;
  return inNetns(options.netns, (ns) => {
    const { nl, tunFds: [tunFd = -1] } = openHandles(ns, ids ? 1 : 0, action);
    try {
      const link = getTunLink(nl, name, action);
      const mode = link.tun!.type === IFF_TUN ? "tun" : "tap";
      const change = linkChange(action, { ...options, mode });
      if (options.up !== undefined) change.up = options.up;
      if (options.bridge !== undefined) {
        change.master = options.bridge === null ? 0 : bridgeIndex(nl, options.bridge, action);
      }
      try {
        if (ids) {
          libc.ioctl(tunFd, TUNSETIFF, encodeIfreq(name, attachFlags(link)));
          if (options.owner !== undefined) libc.ioctl(tunFd, TUNSETOWNER, options.owner);
          if (options.group !== undefined) libc.ioctl(tunFd, TUNSETGROUP, options.group);
        }
        nl.setLink(link.index, change);
        return tapInfo(nl, nl.getLink(link.index));
      } catch (err) {
        throw TapError.relabel(err, action);
      }
    } finally {
      if (tunFd >= 0) libc.close(tunFd);
      nl.close();
    }
  });
}

/** Options of {@linkcode openTap}. */
export interface OpenTapOptions extends NetnsOption {
  /** How many queue fds to open; more than 1 needs a multi-queue device. Default 1. */
  queues?: number;
  /** Open the fds O_NONBLOCK: `read` returns null instead of waiting. Default false. */
  nonBlocking?: boolean;
}

/**
 * The open queues of a tun/tap device, for a program that reads and writes frames. Frames carry
 * the headers the device was created with (a virtio-net header with vnet_hdr, 4 bytes of packet
 * information with pi). Closing the last fd of a non-persistent device removes it.
 *
 * @example Write one frame into queue 1
 * ```ts
 * import { openTap } from "../mod.ts";
 * using tap = openTap("tap0", { queues: 2 });
 * tap.write(new Uint8Array(60), 1);
 * ```
 */
export class TapQueues {
  #fds: number[];
  /** The device name. */
  readonly name: string;

  /** Wraps fds already attached to `name`; use {@linkcode openTap}. */
  constructor(name: string, fds: number[]) {
    this.name = name;
    this.#fds = fds;
  }

  /** The queue fds (O_CLOEXEC), e.g. to hand to a VMM. Empty after close. */
  get fds(): readonly number[] {
    return this.#fds;
  }

  #fd(queue: number): number {
    const fd = this.#fds[queue];
    if (fd === undefined) {
      throw new RangeError(`Cannot use queue ${queue} of "${this.name}": ${this.#fds.length} open`);
    }
    return fd;
  }

  /** Reads one frame into `buf`; returns its length, or null when non-blocking and none waits. */
  read(buf: Uint8Array, queue = 0): number | null {
    try {
      return libc.read(this.#fd(queue), buf);
    } catch (err) {
      if (err instanceof TapError && err.code === "EAGAIN") return null;
      throw TapError.relabel(err, `Cannot read from "${this.name}"`);
    }
  }

  /** Writes one frame; returns the bytes written. */
  write(frame: Uint8Array, queue = 0): number {
    try {
      return libc.write(this.#fd(queue), frame);
    } catch (err) {
      throw TapError.relabel(err, `Cannot write to "${this.name}"`);
    }
  }

  /** Closes every queue fd; safe to call twice. */
  close(): void {
    for (const fd of this.#fds) libc.close(fd);
    this.#fds = [];
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens queue fds of an existing tun/tap device, with the device's own flags.
 *
 * @throws {TapError} ENODEV when there is no such device; EINVAL for several queues of a
 *   single-queue device; EBUSY when a single-queue device is already held open.
 *
 * @example Two queues of a multi-queue tap
 * ```ts
 * import { openTap } from "../mod.ts";
 * const tap = openTap("tap0", { netns: "blue", queues: 2 });
 * console.log(tap.fds);
 * tap.close();
 * ```
 */
export function openTap(name: string, options: OpenTapOptions = {}): TapQueues {
  const action = `Cannot open device "${name}"`;
  assertIfname(name, action);
  const queues = options.queues ?? 1;
  if (!Number.isInteger(queues) || queues < 1 || queues > 256) {
    throw invalid(action, `invalid queue count ${queues}: must be from 1 to 256`);
  }
  const flags = O_RDWR | O_CLOEXEC | (options.nonBlocking ? O_NONBLOCK : 0);
  return inNetns(options.netns, (ns) => {
    const { nl, tunFds: fds } = openHandles(ns, queues, action, flags);
    try {
      const link = getTunLink(nl, name, action);
      if (queues > 1 && !link.tun!.multiQueue) {
        throw invalid(action, `it is single-queue, so it has no ${queues} queues to open`);
      }
      try {
        for (const fd of fds) libc.ioctl(fd, TUNSETIFF, encodeIfreq(name, attachFlags(link)));
      } catch (err) {
        throw TapError.relabel(err, action);
      }
      return new TapQueues(name, fds.splice(0));
    } finally {
      for (const fd of fds) libc.close(fd);
      nl.close();
    }
  });
}

/** An IP address or route destination: bytes (4 or 16) and prefix length. */
export interface IpPrefixBytes {
  /** The address, 4 bytes (IPv4) or 16 (IPv6), network byte order. */
  bytes: Uint8Array;
  /** The prefix length, e.g. 24. */
  prefixLength: number;
}

/** What {@linkcode inspectTap} reports besides the device itself. */
export interface TapDetails extends TapInfo {
  /** The addresses on the device. */
  addresses: IpPrefixBytes[];
  /** The routes through the device, all tables. */
  routes: { dst: IpPrefixBytes; gateway: Uint8Array | undefined; table: number }[];
}

/**
 * Reads one tun/tap device together with its addresses and routes (for CNI CHECK).
 *
 * @throws {TapError} ENODEV when there is no such device, EINVAL when it is not a tun/tap.
 *
 * @example Usage
 * ```ts
 * import { inspectTap } from "../mod.ts";
 * console.log(inspectTap("tap0", { netns: "blue" }).addresses.length);
 * ```
 */
export function inspectTap(name: string, options: NetnsOption = {}): TapDetails {
  const action = `Cannot inspect device "${name}"`;
  assertIfname(name, action);
  return withNetlink(options.netns, action, (nl) => {
    const link = getTunLink(nl, name, action);
    const addresses: IpPrefixBytes[] = [];
    const routes: TapDetails["routes"] = [];
    try {
      for (const family of [AF_INET, AF_INET6]) {
        for (const a of nl.dumpAddresses(family)) {
          const bytes = a.local ?? a.address;
          if (a.index === link.index && bytes) {
            addresses.push({ bytes, prefixLength: a.prefixLength });
          }
        }
        for (const r of nl.dumpRoutes(family)) {
          if (r.oif !== link.index) continue;
          const dst = r.dst ?? new Uint8Array(family === AF_INET ? 4 : 16);
          routes.push({
            dst: { bytes: dst, prefixLength: r.dstLength },
            gateway: r.gateway,
            table: r.table,
          });
        }
      }
    } catch (err) {
      throw TapError.relabel(err, action);
    }
    return { ...tapInfo(nl, link), addresses, routes };
  });
}

/**
 * Lists the tun/tap devices of a namespace, read through rtnetlink (sysfs would show the
 * namespace of whoever mounted it, not the one asked for).
 *
 * @example Usage
 * ```ts
 * import { listTaps } from "../mod.ts";
 * for (const tap of listTaps({ netns: "blue" })) console.log(tap.name, tap.flags.join(" "));
 * ```
 */
export function listTaps(options: NetnsOption = {}): TapInfo[] {
  const action = "Cannot list devices";
  return withNetlink(options.netns, action, (nl) => {
    try {
      const links = nl.dumpLinks();
      const names = new Map(links.map((l) => [l.index, l.name]));
      return links.filter((l) => l.tun !== undefined).map((l) => tapInfo(nl, l, names));
    } catch (err) {
      throw TapError.relabel(err, action);
    }
  });
}
