/**
 * A synchronous rtnetlink socket: link get, dump, change and delete.
 *
 * Open it inside the target netns ({@linkcode withNetns}); it keeps that namespace for its whole
 * life, so every request afterwards is made from the original namespace.
 *
 * @module
 */
import { AF_NETLINK, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW } from "./consts.ts";
import { TapError } from "./errors.ts";
import { libc } from "./libc.ts";
import {
  type Attr,
  attrString,
  attrU32,
  encodeLinkMessage,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_TXQLEN,
  type Link,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseError,
  parseLink,
  parseMessages,
  RTM_DELLINK,
  RTM_GETLINK,
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
  #request(
    type: number,
    flags: number,
    ref: LinkRef,
    extra: readonly Attr[],
    info = {},
  ): Uint8Array[] {
    const seq = ++this.#seq;
    const { index, attrs } = refInfo(ref);
    const msg = encodeLinkMessage(type, NLM_F_REQUEST | flags, seq, { index, ...info }, [
      ...attrs,
      ...extra,
    ]);
    const syscall = `netlink ${RTM_NAMES[type] ?? type}`;
    libc.send(this.#fd, msg);
    const replies: Uint8Array[] = [];
    for (;;) {
      const n = libc.recv(this.#fd, this.#buf);
      for (const m of parseMessages(this.#buf.subarray(0, n))) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const errno = parseError(m.payload);
          if (errno !== 0) throw TapError.syscall(syscall, errno);
          return replies;
        }
        if (m.type === NLMSG_DONE) return replies;
        replies.push(m.payload.slice());
        if (!(m.flags & NLM_F_MULTI) && !(flags & NLM_F_ACK)) return replies;
      }
    }
  }

  /**
   * Reads one link by ifindex or name.
   *
   * @throws {TapError} ENODEV when there is no such link.
   */
  getLink(ref: LinkRef): Link {
    const [reply] = this.#request(RTM_GETLINK, 0, ref, [attrU32(IFLA_EXT_MASK, 1)]);
    if (reply === undefined) throw TapError.syscall("netlink RTM_GETLINK", 19);
    return parseLink(reply);
  }

  /** Reads every link of the socket's namespace. */
  dumpLinks(): Link[] {
    return this.#request(RTM_GETLINK, NLM_F_DUMP, 0, [attrU32(IFLA_EXT_MASK, 1)]).map(parseLink);
  }

  /** Applies `change` to a link in one request. */
  setLink(ref: LinkRef, change: LinkChange): void {
    const attrs: Attr[] = [];
    if (change.mtu !== undefined) attrs.push(attrU32(IFLA_MTU, change.mtu));
    if (change.address !== undefined) attrs.push({ type: IFLA_ADDRESS, data: change.address });
    if (change.master !== undefined) attrs.push(attrU32(IFLA_MASTER, change.master));
    if (change.txqlen !== undefined) attrs.push(attrU32(IFLA_TXQLEN, change.txqlen));
    const info = change.up === undefined ? {} : { flags: change.up ? 1 : 0, change: 1 };
    if (attrs.length === 0 && change.up === undefined) return;
    this.#request(RTM_NEWLINK, NLM_F_ACK, ref, attrs, info);
  }

  /** Deletes a link, whatever its kind and flags. */
  deleteLink(ref: LinkRef): void {
    this.#request(RTM_DELLINK, NLM_F_ACK, ref, []);
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
