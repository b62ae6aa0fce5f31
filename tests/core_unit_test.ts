/** Unit tests (no root) of the pure core helpers: MAC parsing and passwd/group resolution. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatMac, parseMac } from "../core/mac.ts";
import { MAX_ID, parseIdFile, resolveId } from "../core/users.ts";
import { VERSION } from "../core/version.ts";

test("parseMac() accepts unicast colon-hex in any case and formats back in lower case", () => {
  const mac = parseMac("02:AB:cd:00:00:01");
  assert.ok(mac instanceof Uint8Array);
  assert.equal(formatMac(mac), "02:ab:cd:00:00:01");
});

test("parseMac() says why a MAC is refused", () => {
  assert.match(parseMac("01:00:5e:00:00:01") as string, /multicast/);
  assert.match(parseMac("ff:ff:ff:ff:ff:ff") as string, /multicast/);
  assert.match(parseMac("00:00:00:00:00:00") as string, /all zero/);
  for (
    const bad of [
      "",
      "zz",
      "02:00:00:00:00",
      "02:00:00:00:00:00:01",
      "02-00-00-00-00-01",
      "2:0:0:0:0:1",
    ]
  ) {
    assert.match(parseMac(bad) as string, /six colon-separated hex bytes/, bad);
  }
});

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment

qemu:x:107:110::/var/lib/qemu:/usr/sbin/nologin
+nis
broken-line
1000:x:4242:4242::/home/odd:/bin/sh
`;

test("parseIdFile() reads name and id, skipping comments, blanks, NIS and broken lines", () => {
  assert.deepEqual(parseIdFile(PASSWD), [
    { name: "root", id: 0 },
    { name: "qemu", id: 107 },
    { name: "1000", id: 4242 },
  ]);
  assert.deepEqual(parseIdFile("kvm:x:110:qemu\n"), [{ name: "kvm", id: 110 }]);
});

test("resolveId() takes numbers first, then names, as iproute2 does", () => {
  const read = (): string => PASSWD;
  assert.equal(resolveId("107", "user", read), 107);
  assert.equal(resolveId("qemu", "user", read), 107);
  assert.equal(
    resolveId("1000", "user", read),
    1000,
    "a number is a number even if a user has that name",
  );
  assert.match(resolveId("nobody-here", "user", read) as string, /no such user in \/etc\/passwd/);
  assert.match(resolveId(String(MAX_ID + 1), "group", read) as string, /out of range/);
  assert.match(
    resolveId("x", "group", () => {
      throw new Error("EACCES");
    }) as string,
    /cannot read \/etc\/group/,
  );
});

test("VERSION matches package.json and deno.json", () => {
  for (const file of ["../package.json", "../deno.json"]) {
    const json = JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8"));
    assert.equal(json.version, VERSION, file);
  }
});
