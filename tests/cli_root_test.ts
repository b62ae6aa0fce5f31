/**
 * Integration tests of the human CLI, run under the same runtime as the test runner, as root in
 * network namespaces made per test. Values are checked against what iproute2 reports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cli, ip, ipLink, ipTuntaps, rootTest, run, withScratchNetns } from "./helpers.ts";

rootTest("tap create applies every flag; list --json agrees; delete removes it", async () => {
  await withScratchNetns((ns) => {
    const created = cli([
      "create",
      "t0",
      "--multiqueue",
      "--owner",
      "1000",
      "--group",
      "1000",
      "--mtu",
      "1400",
      "--mac",
      "02:00:00:00:00:01",
      "--netns",
      ns.name,
      "--up",
    ]);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout, "t0\n");
    const link = ipLink(ns.name, "t0");
    const info = link.linkinfo.info_data;
    assert.deepEqual(
      [link.mtu, link.address, link.flags.includes("UP"), info.type, info.multi_queue],
      [1400, "02:00:00:00:00:01", true, "tap", true],
    );
    // iproute2 prints the owner by name when /etc/passwd knows it.
    const name = (kind: string): string =>
      run("getent", [kind, "1000"]).stdout.split(":")[0] || "1000";
    assert.deepEqual(
      [info.user, info.group, info.persist, info.vnet_hdr],
      [name("passwd"), name("group"), true, true],
    );
    const listed = cli(["list", "--netns", ns.name, "--json"]);
    assert.equal(listed.status, 0, listed.stderr);
    const [tap] = JSON.parse(listed.stdout);
    assert.deepEqual(
      [tap.name, tap.multiQueue, tap.owner, tap.group, tap.mtu, tap.mac, tap.up, tap.ifindex],
      ["t0", true, 1000, 1000, 1400, "02:00:00:00:00:01", true, link.ifindex],
    );
    const deleted = cli(["delete", "t0", "--netns", ns.name]);
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.equal(ipLink(ns.name, "t0"), undefined);
  });
});

rootTest("tap create --no-vnet-hdr, --pi and --mode tun set those flags", async () => {
  await withScratchNetns((ns) => {
    assert.equal(cli(["create", "t0", "-n", ns.name, "--no-vnet-hdr", "--pi"]).status, 0);
    const info = ipLink(ns.name, "t0").linkinfo.info_data;
    assert.deepEqual([info.vnet_hdr, info.pi, info.multi_queue], [false, true, false]);
    assert.equal(cli(["create", "u0", "-n", ns.name, "--mode", "tun"]).status, 0);
    assert.equal(ipLink(ns.name, "u0").linkinfo.info_data.type, "tun");
  });
});

rootTest("tap create resolves --owner and --group names and refuses unknown ones", async () => {
  await withScratchNetns((ns) => {
    const r = cli(["create", "t0", "-n", ns.name, "--user", "root", "--group", "daemon", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const tap = JSON.parse(r.stdout);
    assert.deepEqual([tap.owner, tap.group], [0, 1]);
    const listed = cli(["list", "-n", ns.name]);
    assert.match(
      listed.stdout,
      /^t0: tap vnet_hdr persist user root group daemon mtu 1500 mac \S+ down$/m,
    );
    const bad = cli(["create", "t1", "-n", ns.name, "--owner", "no-such-user-x"]);
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      'Cannot resolve user "no-such-user-x": no such user in /etc/passwd (EINVAL)\n',
    );
    assert.deepEqual(ipTuntaps(ns.name), ["t0"]);
  });
});

rootTest("tap create on an existing name fails with EBUSY in one line, exit 1", async () => {
  await withScratchNetns((ns) => {
    assert.equal(cli(["create", "tap0", "-n", ns.name, "--mtu", "1400"]).status, 0);
    const again = cli(["create", "tap0", "-n", ns.name, "--mtu", "1300"]);
    assert.equal(again.status, 1);
    assert.equal(again.stderr, 'Cannot create device "tap0": device or resource busy (EBUSY)\n');
    assert.equal(again.stdout, "");
    assert.equal(ipLink(ns.name, "tap0").mtu, 1400);
  });
});

rootTest("tap delete refuses a veth and a missing device, with exit 1 and 3", async () => {
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
    const veth = cli(["delete", "eth0", "-n", ns.name]);
    assert.equal(veth.status, 1);
    assert.equal(
      veth.stderr,
      'Cannot delete device "eth0": not a tun/tap device (it is a veth) (EINVAL)\n',
    );
    assert.ok(ipLink(ns.name, "eth0"));
    const missing = cli(["delete", "nope0", "-n", ns.name]);
    assert.equal(missing.status, 3);
    assert.equal(missing.stderr, 'Cannot delete device "nope0": no such device (ENODEV)\n');
  });
});

rootTest("tap list and show print one ip-tuntap-style line per device", async () => {
  await withScratchNetns((ns) => {
    assert.equal(cli(["list", "-n", ns.name]).stdout, "");
    assert.equal(cli(["list", "-n", ns.name, "--json"]).stdout, "[]\n");
    cli(["create", "t0", "-n", ns.name, "--multiqueue", "--mac", "02:00:00:00:00:02", "--up"]);
    const show = cli(["show", "t0", "-n", ns.name]);
    assert.equal(
      show.stdout,
      "t0: tap multi_queue vnet_hdr persist mtu 1500 mac 02:00:00:00:00:02 up\n",
    );
    const missing = cli(["show", "t9", "-n", ns.name, "--json"]);
    assert.equal(missing.status, 3);
    assert.equal(JSON.parse(missing.stderr).error.code, "ENODEV");
  });
});

rootTest("a missing --netns is reported with exit 3 and creates nothing", () => {
  const r = cli(["create", "t0", "--netns", "tap-no-such-netns"]);
  assert.equal(r.status, 3);
  assert.equal(
    r.stderr,
    'Cannot open network namespace "/var/run/netns/tap-no-such-netns": no such file or directory (ENOENT)\n',
  );
});

test("usage errors exit 2 with one line on stderr", () => {
  const cases: [string[], RegExp][] = [
    [["create"], /^Invalid arguments for "tap create": missing NAME\n$/],
    [
      ["create", "t0", "--bogus"],
      /^Invalid arguments for "tap create": unknown option "--bogus"\n$/,
    ],
    [
      ["create", "t0", "--mtu", "big"],
      /^Invalid arguments for "tap create": --mtu must be a whole number, not "big"\n$/,
    ],
    [["create", "t0", "--mode", "x"], /--mode must be "tap" or "tun"/],
    [
      ["set", "t0", "--owner", "-1"],
      /^Invalid arguments for "tap set": option "--owner" needs a value \(one that starts with "-" is written --owner=VALUE\)\n$/,
    ],
    [["show", "a", "b"], /unexpected argument "b"/],
    [["frobnicate"], /^Invalid arguments for "tap": unknown command "frobnicate"/],
    [[], /^tap \d+\.\d+\.\d+: create and manage/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, re, args.join(" "));
    assert.equal(r.stdout, "");
  }
});

test("tap --help, tap help COMMAND and COMMAND --help describe each subcommand", () => {
  const main = cli(["--help"]);
  assert.equal(main.status, 0);
  for (const c of ["create", "delete", "list", "show"]) {
    assert.match(main.stdout, new RegExp(`tap ${c}`));
    const a = cli([c, "--help"]);
    const b = cli(["help", c]);
    assert.equal(a.status, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, new RegExp(`^Usage: tap ${c}`));
    assert.match(a.stdout, /Examples:/);
  }
});

test("tap --version prints the package version", async () => {
  const { VERSION } = await import("../core/version.ts");
  assert.equal(cli(["--version"]).stdout, `tap ${VERSION}\n`);
});
