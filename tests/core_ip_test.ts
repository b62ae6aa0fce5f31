import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCidr, parseIp } from "../core/ip.ts";

function bytes(text: string): number[] | undefined {
  const ip = parseIp(text);
  return ip && [ip.family, ...ip.bytes];
}

test("parseIp() parses IPv4 addresses", () => {
  assert.deepEqual(bytes("10.1.0.5"), [4, 10, 1, 0, 5]);
  assert.deepEqual(bytes("255.255.255.255"), [4, 255, 255, 255, 255]);
  assert.deepEqual(bytes("0.0.0.0"), [4, 0, 0, 0, 0]);
});

test("parseIp() parses IPv6 addresses in every notation", () => {
  const zeros = new Array(16).fill(0);
  assert.deepEqual(bytes("::"), [6, ...zeros]);
  assert.deepEqual(bytes("::1"), [6, ...zeros.slice(1), 1]);
  assert.deepEqual(bytes("fd00::5"), [6, 0xfd, 0, ...zeros.slice(3), 5]);
  assert.deepEqual(bytes("FD00:0:0:0:0:0:0:5"), bytes("fd00::5"));
  assert.deepEqual(bytes("1:2:3:4:5:6:7::"), [6, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
  assert.deepEqual(bytes("::ffff:10.1.0.5"), [6, ...zeros.slice(6), 0xff, 0xff, 10, 1, 0, 5]);
  assert.deepEqual(bytes("1:2:3:4:5:6:1.2.3.4"), [
    6,
    0,
    1,
    0,
    2,
    0,
    3,
    0,
    4,
    0,
    5,
    0,
    6,
    1,
    2,
    3,
    4,
  ]);
});

test("parseIp() rejects what Go's ParseIP rejects", () => {
  const invalid = [
    "",
    "10.1.0.256",
    "010.1.0.5",
    "10.1.0",
    "10.1.0.5.6",
    "10.1.0.5/16",
    " 10.1.0.5",
    "::1::",
    "1:2:3:4:5:6:7:8:9",
    "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7",
    "fe80::1%eth0",
    "12345::",
    "1.2.3.4::",
    "::1.2.3",
    "g::1",
  ];
  for (const text of invalid) assert.equal(parseIp(text), undefined, text);
});

test("parseCidr() parses addresses with prefix lengths and keeps the host bits", () => {
  assert.deepEqual(parseCidr("10.1.0.5/16"), {
    family: 4,
    bytes: new Uint8Array([10, 1, 0, 5]),
    prefixLength: 16,
  });
  assert.equal(parseCidr("fd00::5/64")?.prefixLength, 64);
  assert.equal(parseCidr("::/0")?.family, 6);
  assert.equal(parseCidr("0.0.0.0/0")?.prefixLength, 0);
  assert.equal(parseCidr("fd00::/128")?.prefixLength, 128);
});

test("parseCidr() rejects bad prefixes", () => {
  for (
    const text of [
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0.0",
      "10.0.0.0/",
      "10.0.0.0/x",
      "10.0.0.0/8/8",
      "/8",
      "10.0.0.0/-1",
    ]
  ) {
    assert.equal(parseCidr(text), undefined, text);
  }
});
