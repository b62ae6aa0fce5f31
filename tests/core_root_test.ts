/**
 * Integration tests of the library (mod.ts) as root, in network namespaces made per test.
 * Every value is checked against what the kernel reports through iproute2.
 */
import assert from "node:assert/strict";
import { ip, ipLink, ipTuntaps, rootTest, runInNetns, withScratchNetns } from "./helpers.ts";

// mod.ts binds libc when loaded, so it is loaded by the tests that run, not at import time.
const load = (): Promise<typeof import("../mod.ts")> => import("../mod.ts");

rootTest("createTap() applies every option and reports what the kernel has", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    const tap = mod.createTap({
      name: "t0",
      netns: ns.name,
      multiQueue: true,
      owner: 1000,
      group: 1001,
      mtu: 1400,
      mac: "02:00:00:00:00:01",
      up: true,
    });
    const link = ipLink(ns.name, "t0");
    const info = link.linkinfo.info_data;
    assert.equal(link.mtu, 1400);
    assert.equal(link.address, "02:00:00:00:00:01");
    assert.ok(link.flags.includes("UP"));
    assert.equal(info.type, "tap");
    assert.equal(info.multi_queue, true);
    assert.equal(info.vnet_hdr, true);
    assert.equal(info.pi, false);
    assert.equal(info.persist, true);
    assert.deepEqual(
      { ...tap },
      {
        name: "t0",
        ifindex: link.ifindex,
        mode: "tap",
        flags: ["tap", "multi_queue", "vnet_hdr", "persist"],
        multiQueue: true,
        vnetHdr: true,
        pi: false,
        persist: true,
        owner: 1000,
        group: 1001,
        mtu: 1400,
        mac: "02:00:00:00:00:01",
        up: true,
        txqueuelen: 1000,
        bridge: null,
      },
    );
    assert.deepEqual(mod.listTaps({ netns: ns.name }), [tap]);
    assert.deepEqual(mod.getTap("t0", { netns: ns.path }), tap);
  });
});

rootTest("createTap() leaves owner and group unset when not given, not 0", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    const tap = mod.createTap({ name: "t0", netns: ns.name });
    const info = ipLink(ns.name, "t0").linkinfo.info_data;
    assert.equal(info.user, undefined);
    assert.equal(info.group, undefined);
    assert.equal(tap.owner, null);
    assert.equal(tap.group, null);
    assert.equal(tap.up, false);
    assert.equal(tap.mtu, 1500);
  });
});

rootTest("createTap() honours vnetHdr false, pi true and mode tun", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    mod.createTap({ name: "t0", netns: ns.name, vnetHdr: false, pi: true });
    const t0 = ipLink(ns.name, "t0").linkinfo.info_data;
    assert.equal(t0.vnet_hdr, false);
    assert.equal(t0.pi, true);
    const tun = mod.createTap({ name: "u0", netns: ns.name, mode: "tun" });
    assert.equal(ipLink(ns.name, "u0").linkinfo.info_data.type, "tun");
    assert.equal(tun.mode, "tun");
    assert.equal(tun.mac, null);
  });
});

rootTest("createTap() fills in a %d template and returns the chosen name", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    const a = mod.createTap({ name: "vm%d", netns: ns.name });
    const b = mod.createTap({ name: "vm%d", netns: ns.name });
    assert.deepEqual([a.name, b.name], ["vm0", "vm1"]);
    assert.ok(ipLink(ns.name, "vm1"));
  });
});

rootTest(
  "createTap() fails with EBUSY on an existing name and leaves that device untouched",
  async () => {
    const mod = await load();
    await withScratchNetns((ns) => {
      const first = mod.createTap({ name: "t0", netns: ns.name, mtu: 1400, multiQueue: true });
      assert.throws(
        () => mod.createTap({ name: "t0", netns: ns.name, mtu: 1300, mac: "02:00:00:00:00:09" }),
        (e: unknown) =>
          e instanceof mod.TapError && e.code === "EBUSY" && e.errno === 16 &&
          e.syscall === "ioctl(TUNSETIFF)" &&
          e.message === 'Cannot create device "t0": device or resource busy (EBUSY)',
      );
      assert.deepEqual(mod.getTap("t0", { netns: ns.name }), first);
      // A device of another kind under the name is refused the same way.
      assert.throws(() => mod.createTap({ name: "lo", netns: ns.name }), { code: "EBUSY" });
      assert.equal(ipLink(ns.name, "lo").linkinfo, undefined);
    });
  },
);

rootTest("createTap() rejects bad names without truncating and creates nothing", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    for (const name of ["a234567890123456", "a/b", "a:b", "a b", "", ".", ".."]) {
      assert.throws(() => mod.createTap({ name, netns: ns.name }), { code: "EINVAL" }, name);
    }
    assert.doesNotThrow(() => mod.createTap({ name: "a23456789012345", netns: ns.name }));
    assert.deepEqual(ipTuntaps(ns.name), ["a23456789012345"]);
  });
});

rootTest("createTap() rejects bad values before creating anything", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    const bad = [
      { mac: "01:00:5e:00:00:01" },
      { mac: "00:00:00:00:00:00" },
      { mac: "zz" },
      { mtu: 67 },
      { mtu: 1.5 },
      { owner: -1 },
      { group: 4294967295 },
    ];
    for (const opts of bad) {
      assert.throws(
        () => mod.createTap({ name: "t0", netns: ns.name, ...opts }),
        (e: unknown) => e instanceof mod.TapError && e.code === "EINVAL" && !e.syscall,
        JSON.stringify(opts),
      );
    }
    assert.deepEqual(ipTuntaps(ns.name), []);
  });
});

rootTest("createTap() removes the device when the kernel refuses a later step", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    // With IPv6 off in the namespace, adding an IPv6 address fails after TUNSETIFF, while the
    // device exists and is already configured.
    runInNetns(ns.name, "sysctl", ["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    assert.throws(
      () =>
        mod.createTap({
          name: "t0",
          netns: ns.name,
          mtu: 1400,
          up: true,
          addresses: ["10.3.0.2/24", "fd00:3::2/64"],
        }),
      (e: unknown) =>
        e instanceof mod.TapError && e.syscall === "netlink RTM_NEWADDR" &&
        /cannot add IPv6 address "fd00:3::2\/64"/.test(e.message),
    );
    assert.deepEqual(ipTuntaps(ns.name), []);
  });
});

rootTest("createTap() puts addresses and routes on the device before it persists", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    mod.createTap({
      name: "t0",
      netns: ns.name,
      up: true,
      addresses: ["10.3.0.2/24", "fd00:3::2/64"],
      routes: [{ dst: "10.40.0.0/16", gw: "10.3.0.1" }, {
        dst: "0.0.0.0/0",
        gw: "10.3.0.1",
        priority: 50,
      }],
    });
    assert.match(
      ip(ns.name, "-o", "addr", "show", "dev", "t0"),
      /inet 10\.3\.0\.2\/24 brd 10\.3\.0\.255/,
    );
    assert.match(ip(ns.name, "-o", "addr", "show", "dev", "t0"), /inet6 fd00:3::2\/64/);
    const routes = ip(ns.name, "-4", "route", "show", "dev", "t0");
    assert.match(routes, /10\.40\.0\.0\/16 via 10\.3\.0\.1/);
    assert.match(routes, /default via 10\.3\.0\.1 metric 50/);
    const details = mod.inspectTap("t0", { netns: ns.name });
    assert.equal(details.addresses.filter((a) => a.prefixLength === 24).length, 1);
    assert.ok(
      details.routes.some((r) => r.dst.prefixLength === 16 && r.gateway?.join(".") === "10.3.0.1"),
    );
    assert.throws(
      () => mod.createTap({ name: "t1", netns: ns.name, addresses: ["10.3.0.300/24"] }),
      { code: "EINVAL" },
    );
    assert.deepEqual(ipTuntaps(ns.name), ["t0"]);
  });
});

rootTest("createTap() and listTaps() refuse a path that is not a network namespace", async () => {
  const mod = await load();
  for (const netns of ["/etc/passwd", "/tmp", "/proc/self/ns/mnt", "/proc/self/ns/uts"]) {
    assert.throws(
      () => mod.createTap({ name: "tnotns0", netns }),
      (e: unknown) =>
        e instanceof mod.TapError && e.code === "EINVAL" &&
        /not a network namespace/.test(e.message),
      netns,
    );
  }
  assert.throws(() => mod.listTaps({ netns: "tap-no-such-netns" }), { code: "ENOENT" });
});

rootTest("deleteTap() removes taps whatever their flags", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    mod.createTap({ name: "t0", netns: ns.name, multiQueue: true });
    mod.createTap({ name: "t1", netns: ns.name, vnetHdr: false, pi: true });
    ip(ns.name, "tuntap", "add", "dev", "t2", "mode", "tun");
    for (const name of ["t0", "t1", "t2"]) mod.deleteTap(name, { netns: ns.name });
    assert.deepEqual(ipTuntaps(ns.name), []);
    assert.throws(() => mod.deleteTap("t0", { netns: ns.name }), { code: "ENODEV" });
  });
});

rootTest("deleteTap() refuses devices that are not tun/tap and leaves them", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    ip(ns.name, "link", "add", "br0", "type", "bridge");
    for (const name of ["v0", "br0", "lo"]) {
      assert.throws(
        () => mod.deleteTap(name, { netns: ns.name }),
        (e: unknown) =>
          e instanceof mod.TapError && e.code === "EINVAL" &&
          /not a tun\/tap device/.test(e.message),
      );
      assert.ok(ipLink(ns.name, name), `${name} must still exist`);
    }
  });
});

rootTest("listTaps() lists only tun/tap devices of the namespace asked for", async () => {
  const mod = await load();
  await withScratchNetns(async (a) => {
    await withScratchNetns((b) => {
      ip(a.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
      mod.createTap({ name: "ta", netns: a.name, owner: 0, group: 0 });
      mod.createTap({ name: "tb", netns: b.path });
      assert.deepEqual(mod.listTaps({ netns: a.name }).map((t) => [t.name, t.owner]), [["ta", 0]]);
      assert.deepEqual(mod.listTaps({ netns: b.name }).map((t) => t.name), ["tb"]);
    });
  });
});

/** rx_packets of a device, as `ip -s` reports it. */
function rxPackets(ns: string, name: string): number {
  return JSON.parse(ip(ns, "-s", "-j", "link", "show", "dev", name))[0].stats64.rx.packets;
}

rootTest(
  "openTap() opens two queues of a multi-queue tap; a frame written is counted",
  async () => {
    const mod = await load();
    await withScratchNetns((ns) => {
      mod.createTap({ name: "mq0", netns: ns.name, multiQueue: true, vnetHdr: false, up: true });
      const before = rxPackets(ns.name, "mq0");
      {
        using tap = mod.openTap("mq0", { netns: ns.name, queues: 2 });
        assert.equal(tap.fds.length, 2);
        assert.equal(ipLink(ns.name, "mq0").linkinfo.info_data.numqueues, 2);
        // A broadcast frame of a local experimental ethertype: it goes into this namespace only.
        const frame = new Uint8Array(60);
        frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x42, 0x88, 0xb5]);
        assert.equal(tap.write(frame, 1), 60);
        assert.equal(tap.write(frame, 0), 60);
        assert.throws(() => tap.write(frame, 2), RangeError);
      }
      assert.equal(rxPackets(ns.name, "mq0") - before, 2);
      assert.equal(ipLink(ns.name, "mq0").linkinfo.info_data.numqueues, 0, "using closed both");
      assert.ok(ipLink(ns.name, "mq0"), "closing the queues of a persistent tap keeps it");
    });
  },
);

rootTest("openTap() refuses two queues of a single-queue tap, and a second holder", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    mod.createTap({ name: "sq0", netns: ns.name, up: true });
    assert.throws(() => mod.openTap("sq0", { netns: ns.name, queues: 2 }), { code: "EINVAL" });
    const held = mod.openTap("sq0", { netns: ns.name, nonBlocking: true });
    try {
      assert.throws(() => mod.openTap("sq0", { netns: ns.name }), { code: "EBUSY" });
      assert.equal(
        held.read(new Uint8Array(2048)),
        null,
        "nothing waits on a fresh tap... or a frame",
      );
    } finally {
      held.close();
      held.close();
    }
    assert.deepEqual(held.fds, []);
    assert.throws(() => mod.openTap("nope0", { netns: ns.name }), { code: "ENODEV" });
  });
});

rootTest("setTap() changes owner, group, mtu, mac and bridge of an existing tap", async () => {
  const mod = await load();
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "br0", "type", "bridge");
    mod.createTap({ name: "t0", netns: ns.name, multiQueue: true });
    const tap = mod.setTap("t0", {
      netns: ns.name,
      owner: 7,
      group: 8,
      mtu: 1300,
      mac: "02:00:00:00:00:33",
      bridge: "br0",
      up: true,
      txqueuelen: 9,
    });
    assert.deepEqual(
      [tap.owner, tap.group, tap.mtu, tap.mac, tap.bridge, tap.up, tap.txqueuelen, tap.multiQueue],
      [7, 8, 1300, "02:00:00:00:00:33", "br0", true, 9, true],
    );
    const link = ipLink(ns.name, "t0");
    assert.deepEqual([link.mtu, link.address, link.master, link.txqlen], [
      1300,
      "02:00:00:00:00:33",
      "br0",
      9,
    ]);
    assert.equal(mod.setTap("t0", { netns: ns.name, bridge: null }).bridge, null);
    assert.throws(() => mod.setTap("t0", { netns: ns.name, mtu: 10 }), { code: "EINVAL" });
    assert.throws(() => mod.setTap("lo", { netns: ns.name, mtu: 1400 }), { code: "EINVAL" });
  });
});
