/** Unit tests (no root) of the byte-level encodings: struct ifreq and rtnetlink messages. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeIfreq, ifnameProblem, ifreqFlags, ifreqName } from "../ffi/ifreq.ts";
import {
  type Attr,
  attrString,
  attrU32,
  encodeLinkMessage,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_TUN_GROUP,
  IFLA_TUN_MULTI_QUEUE,
  IFLA_TUN_OWNER,
  IFLA_TUN_PERSIST,
  IFLA_TUN_PI,
  IFLA_TUN_TYPE,
  IFLA_TUN_VNET_HDR,
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  parseAttrs,
  parseError,
  parseLink,
  parseMessages,
  RTM_NEWLINK,
} from "../ffi/rtnetlink.ts";
import {
  IOCTL_NAMES,
  TUNGETIFF,
  TUNSETGROUP,
  TUNSETIFF,
  TUNSETOWNER,
  TUNSETPERSIST,
} from "../ffi/consts.ts";
import { errnoCode, errnoOf, errnoText, TapError } from "../ffi/errors.ts";

test("ioctl numbers match the kernel's _IOW/_IOR encoding", () => {
  assert.equal(TUNSETIFF, 0x400454ca);
  assert.equal(TUNSETPERSIST, 0x400454cb);
  assert.equal(TUNSETOWNER, 0x400454cc);
  assert.equal(TUNSETGROUP, 0x400454ce);
  assert.equal(TUNGETIFF, 0x800454d2);
  assert.equal(IOCTL_NAMES[TUNSETIFF], "TUNSETIFF");
});

test("encodeIfreq() lays out the name at 0 and the u16 flags at 16 in 40 bytes", () => {
  const ifr = encodeIfreq("tap0", 0x9102);
  assert.equal(ifr.length, 40);
  assert.deepEqual([...ifr.subarray(0, 5)], [0x74, 0x61, 0x70, 0x30, 0]);
  assert.deepEqual([...ifr.subarray(16, 18)], [0x02, 0x91]);
  assert.equal(ifreqName(ifr), "tap0");
  assert.equal(ifreqFlags(ifr), 0x9102);
  assert.ok(ifr.subarray(18).every((b) => b === 0));
});

test("encodeIfreq() refuses a name that does not fit instead of truncating it", () => {
  assert.equal(ifreqName(encodeIfreq("a23456789012345")), "a23456789012345");
  assert.throws(() => encodeIfreq("a234567890123456"), RangeError);
});

test("ifnameProblem() applies the kernel's name rules, counting bytes", () => {
  assert.equal(ifnameProblem("tap0"), undefined);
  assert.equal(ifnameProblem("vm%d"), undefined);
  assert.equal(ifnameProblem("a23456789012345"), undefined);
  assert.match(ifnameProblem("a234567890123456")!, /16 bytes long, the limit is 15/);
  assert.match(ifnameProblem("ééééééé€")!, /17 bytes/);
  assert.match(ifnameProblem("")!, /empty/);
  assert.match(ifnameProblem("..")!, /".."/);
  assert.match(ifnameProblem("a/b")!, /"\/"/);
  assert.match(ifnameProblem("a:b")!, /":"/);
  assert.match(ifnameProblem("a b")!, /whitespace/);
  assert.match(ifnameProblem("a\tb")!, /whitespace/);
});

test("encodeLinkMessage() builds nlmsghdr, ifinfomsg and padded attributes", () => {
  const msg = encodeLinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7, {
    index: 5,
    flags: 1,
    change: 1,
  }, [
    attrU32(IFLA_MTU, 1400),
    attrString(IFLA_IFNAME, "t0"),
  ]);
  const v = new DataView(msg.buffer);
  assert.equal(msg.length, 16 + 16 + 8 + 8);
  assert.equal(v.getUint32(0, true), msg.length);
  assert.equal(v.getUint16(4, true), RTM_NEWLINK);
  assert.equal(v.getUint16(6, true), 5);
  assert.equal(v.getUint32(8, true), 7);
  assert.equal(v.getInt32(20, true), 5);
  assert.equal(v.getUint32(24, true), 1);
  assert.equal(v.getUint32(28, true), 1);
  assert.deepEqual([...msg.subarray(32, 40)], [8, 0, 4, 0, 0x78, 0x05, 0, 0]);
  // "t0\0" is 3 bytes: the attribute length says 7, the padding makes it 8.
  assert.deepEqual([...msg.subarray(40, 48)], [7, 0, 3, 0, 0x74, 0x30, 0, 0]);
});

test("encodeLinkMessage() nests attributes with the right lengths", () => {
  const nested: Attr = { type: IFLA_LINKINFO, nested: [attrString(IFLA_INFO_KIND, "tun")] };
  const msg = encodeLinkMessage(RTM_NEWLINK, 0, 1, {}, [nested]);
  assert.deepEqual([...msg.subarray(32)], [12, 0, 18, 0, 8, 0, 1, 0, 0x74, 0x75, 0x6e, 0]);
});

/** A kernel-style RTM_NEWLINK reply for a tap, built with the encoder. */
function tapReply(seq: number): Uint8Array {
  const u8 = (type: number, v: number): Attr => ({ type, data: new Uint8Array([v]) });
  return encodeLinkMessage(RTM_NEWLINK, 0, seq, { index: 9, flags: 0x1003 }, [
    attrString(IFLA_IFNAME, "tap9"),
    attrU32(IFLA_MTU, 1400),
    { type: IFLA_ADDRESS, data: new Uint8Array([2, 0, 0, 0, 0, 1]) },
    {
      type: IFLA_LINKINFO,
      nested: [
        attrString(IFLA_INFO_KIND, "tun"),
        {
          type: IFLA_INFO_DATA | 0x8000, // NLA_F_NESTED, as the kernel sets it
          nested: [
            u8(IFLA_TUN_TYPE, 2),
            u8(IFLA_TUN_PI, 0),
            u8(IFLA_TUN_VNET_HDR, 1),
            u8(IFLA_TUN_PERSIST, 1),
            u8(IFLA_TUN_MULTI_QUEUE, 1),
            attrU32(IFLA_TUN_OWNER, 1000),
          ],
        },
      ],
    },
  ]);
}

test("parseMessages() splits a buffer holding several messages", () => {
  const a = tapReply(1);
  const b = tapReply(2);
  const buf = new Uint8Array(a.length + b.length);
  buf.set(a);
  buf.set(b, a.length);
  assert.deepEqual(parseMessages(buf).map((m) => [m.type, m.seq]), [[RTM_NEWLINK, 1], [
    RTM_NEWLINK,
    2,
  ]]);
  assert.deepEqual(parseMessages(buf.subarray(0, 10)), []);
});

test("parseLink() decodes a tap link with its IFLA_TUN_* attributes", () => {
  const [m] = parseMessages(tapReply(3));
  const link = parseLink(m!.payload);
  assert.deepEqual({ ...link, address: [...link.address!] }, {
    index: 9,
    flags: 0x1003,
    name: "tap9",
    mtu: 1400,
    address: [2, 0, 0, 0, 0, 1],
    master: undefined,
    txqlen: undefined,
    kind: "tun",
    tun: {
      type: 2,
      pi: false,
      vnetHdr: true,
      persist: true,
      multiQueue: true,
      owner: 1000,
      group: undefined,
      numQueues: 0,
      numDisabledQueues: 0,
    },
  });
  assert.equal(IFLA_TUN_GROUP, 2);
});

test("parseError() turns NLMSG_ERROR's negative errno into a positive one, 0 for an ACK", () => {
  assert.equal(NLMSG_ERROR, 2);
  assert.equal(parseError(new Uint8Array([0xef, 0xff, 0xff, 0xff])), 17);
  assert.equal(parseError(new Uint8Array(4)), 0);
});

test("parseAttrs() strips NLA_F_NESTED and stops at a truncated attribute", () => {
  const a = parseAttrs(new Uint8Array([8, 0, 0x02, 0x80, 1, 2, 3, 4, 200, 0, 5, 0]));
  assert.deepEqual([...a.keys()], [2]);
});

test("TapError formats the std-style message and keeps errno, code and syscall", () => {
  const low = TapError.syscall("ioctl(TUNSETIFF)", 16);
  assert.equal(low.message, "ioctl(TUNSETIFF) failed: device or resource busy (EBUSY)");
  const err = TapError.relabel(low, 'Cannot create device "tap0"') as TapError;
  assert.equal(err.message, 'Cannot create device "tap0": device or resource busy (EBUSY)');
  assert.deepEqual([err.syscall, err.errno, err.code, err.detail], [
    "ioctl(TUNSETIFF)",
    16,
    "EBUSY",
    "device or resource busy",
  ]);
  assert.equal(err.name, "TapError");
  assert.equal(err.cause, low);
  const plain = new Error("bug");
  assert.equal(TapError.relabel(plain, "x"), plain);
  assert.deepEqual([errnoCode(1), errnoText(19), errnoOf("ENODEV"), errnoCode(4000)], [
    "EPERM",
    "no such device",
    19,
    "E4000",
  ]);
});
