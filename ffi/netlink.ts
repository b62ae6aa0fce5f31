/**
 * A synchronous rtnetlink socket: link get, dump, change and delete.
 *
 * Open it inside the target netns ({@linkcode withNetns}); it keeps that namespace for its whole
 * life, so every request afterwards is made from the original namespace.
 *
 * @module
 */
import { AF_NETLINK, IFF_UP, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW } from "./consts.ts";
import { TapError } from "./errors.ts";
import { libc } from "./libc.ts";
import {
  type AddressEntry,
  type AddressSpec,
  AF_INET,
  type Attr,
  attrString,
  attrU32,
  encodeAddAddress,
  encodeAddRoute,
  encodeDump,
  encodeLinkMessage,
  type IfInfo,
  IFLA_ADDRESS,
  IFLA_AF_SPEC,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INET_CONF,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_TXQLEN,
  IPV4_DEVCONF_ARP_NOTIFY,
  type Link,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseAddress,
  parseError,
  parseLink,
  parseMessages,
  parseRoute,
  type RouteEntry,
  type RouteSpec,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWLINK,
} from "./rtnetlink.ts";

const RTM_NAMES: Record<number, string> = {
  [RTM_NEWLINK]: "RTM_NEWLINK",
  [RTM_DELLINK]: "RTM_DELLINK",
  [RTM_GETLINK]: "RTM_GETLINK",
};

/** Which link a request is about: an ifindex or a name. */
export type LinkRef = number | string;

/** Changes for {@linkcode NetlinkSocket.setLink}; absent fields are left alone. */
export interface LinkChange {
  mtu?: number;
  /** 6-byte hardware address. */
  address?: Uint8Array;
  /** Bring the link up (true) or down (false). */
  up?: boolean;
  /** ifindex of a bridge to join, or 0 to leave one. */
  master?: number;
  txqlen?: number;
  /** Set `net.ipv4.conf.<if>.arp_notify`, through IFLA_AF_SPEC instead of /proc/sys. */
  arpNotify?: boolean;
}

function refInfo(ref: LinkRef): { index: number; attrs: Attr[] } {
  return typeof ref === "number"
    ? { index: ref, attrs: [] }
    : { index: 0, attrs: [attrString(IFLA_IFNAME, ref)] };
}

/**
 * An rtnetlink socket (SOCK_CLOEXEC).
 *
 * @example List the links of the current namespace
 * ```ts
 * import { NetlinkSocket } from "./netlink.ts";
 * using nl = NetlinkSocket.open();
 * for (const link of nl.dumpLinks()) console.log(link.name, link.kind);
 * ```
 */
export class NetlinkSocket {
  #fd: number;
  #seq = 0;
  readonly #buf = new Uint8Array(65536);

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Opens a socket in the calling thread's current network namespace. */
  static open(): NetlinkSocket {
    return new NetlinkSocket(libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  }

  /**
   * Sends one request and collects the reply messages of its sequence number: until NLMSG_DONE
   * for a dump, until the acknowledgement with NLM_F_ACK, else the one reply.
   */
  #transact(syscall: string, encode: (seq: number) => Uint8Array): Uint8Array[] {
    const seq = ++this.#seq;
    const msg = encode(seq);
    const flags = new DataView(msg.buffer).getUint16(6, true);
    libc.send(this.#fd, msg);
    const replies: Uint8Array[] = [];
    for (;;) {
      const n = libc.recv(this.#fd, this.#buf);
      for (const m of parseMessages(this.#buf.subarray(0, n))) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const errno = parseError(m.payload);
          if (errno !== 0) throw TapError.syscall(`netlink ${syscall}`, errno);
          return replies;
        }
        if (m.type === NLMSG_DONE) return replies;
        replies.push(m.payload.slice());
        if (!(m.flags & NLM_F_MULTI) && !(flags & NLM_F_ACK)) return replies;
      }
    }
  }

  /** A link request: by index, or by name with IFLA_IFNAME. */
  #link(type: number, flags: number, ref: LinkRef, extra: readonly Attr[], info: IfInfo = {}) {
    const { index, attrs } = refInfo(ref);
    return this.#transact(
      RTM_NAMES[type] ?? String(type),
      (seq) =>
        encodeLinkMessage(type, NLM_F_REQUEST | flags, seq, { ...info, index }, [
          ...attrs,
          ...extra,
        ]),
    );
  }

  /**
   * Reads one link by ifindex or name.
   *
   * @throws {TapError} ENODEV when there is no such link.
   */
  getLink(ref: LinkRef): Link {
    const [reply] = this.#link(RTM_GETLINK, 0, ref, [attrU32(IFLA_EXT_MASK, 1)]);
    if (reply === undefined) throw TapError.syscall("netlink RTM_GETLINK", 19);
    return parseLink(reply);
  }

  /** Reads every link of the socket's namespace. */
  dumpLinks(): Link[] {
    return this.#link(RTM_GETLINK, NLM_F_DUMP, 0, [attrU32(IFLA_EXT_MASK, 1)]).map(parseLink);
  }

  /** Applies `change` to a link in one request. */
  setLink(ref: LinkRef, change: LinkChange): void {
    const attrs: Attr[] = [];
    if (change.mtu !== undefined) attrs.push(attrU32(IFLA_MTU, change.mtu));
    if (change.address !== undefined) attrs.push({ type: IFLA_ADDRESS, data: change.address });
    if (change.master !== undefined) attrs.push(attrU32(IFLA_MASTER, change.master));
    if (change.txqlen !== undefined) attrs.push(attrU32(IFLA_TXQLEN, change.txqlen));
    if (change.arpNotify !== undefined) {
      const conf = attrU32(IPV4_DEVCONF_ARP_NOTIFY, change.arpNotify ? 1 : 0);
      const inet = { type: AF_INET, nested: [{ type: IFLA_INET_CONF, nested: [conf] }] };
      attrs.push({ type: IFLA_AF_SPEC, nested: [inet] });
    }
    const info = change.up === undefined ? {} : { flags: change.up ? IFF_UP : 0, change: IFF_UP };
    if (attrs.length === 0 && change.up === undefined) return;
    this.#link(RTM_NEWLINK, NLM_F_ACK, ref, attrs, info);
  }

  /** Deletes a link, whatever its kind and flags. */
  deleteLink(ref: LinkRef): void {
    this.#link(RTM_DELLINK, NLM_F_ACK, ref, []);
  }

  /**
   * Adds an IP address to a link.
   *
   * @throws {TapError} EEXIST when the link has it already.
   */
  addAddress(index: number, address: AddressSpec): void {
    this.#transact("RTM_NEWADDR", (seq) => encodeAddAddress(seq, index, address));
  }

  /** Reads every address of one family (AF_INET or AF_INET6) in the namespace. */
  dumpAddresses(family: number): AddressEntry[] {
    return this.#transact("RTM_GETADDR", (seq) => encodeDump(RTM_GETADDR, seq, family))
      .map(parseAddress);
  }

  /**
   * Adds a route.
   *
   * @throws {TapError} EEXIST when the route exists.
   */
  addRoute(route: RouteSpec): void {
    this.#transact("RTM_NEWROUTE", (seq) => encodeAddRoute(seq, route));
  }

  /** Reads every route of one family in the namespace, all tables. */
  dumpRoutes(family: number): RouteEntry[] {
    return this.#transact("RTM_GETROUTE", (seq) => encodeDump(RTM_GETROUTE, seq, family))
      .map(parseRoute);
  }

  /** Closes the socket; safe to call twice. */
  close(): void {
    if (this.#fd >= 0) libc.close(this.#fd);
    this.#fd = -1;
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
