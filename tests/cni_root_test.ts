/**
 * Integration tests of the CNI plugin: cli.ts is exec'd the way a runtime execs it (env + stdin),
 * under the runtime running the tests, as root, in network namespaces made per test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cni,
  cniError,
  cniErrorText,
  ip,
  ipLink,
  ipTuntaps,
  rootTest,
  withScratchNetns,
} from "./helpers.ts";
import { VERSIONS } from "./cni_test_helpers.ts";

const REFERENCE = { name: "t", type: "tap", multiQueue: true, owner: 0, group: 0, mtu: 1400 };
const RESULT_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

for (const cniVersion of RESULT_VERSIONS) {
  rootTest(`the reference config works at ${cniVersion}: ADD, CHECK, DEL, DEL`, async () => {
    await withScratchNetns((ns) => {
      const conf = { cniVersion, ...REFERENCE };
      const call = { netns: ns.path, ifname: "tap0" };
      const add = cni({ command: "ADD", ...call }, conf);
      assert.equal(add.status, 0, add.stdout + add.stderr);
      const result = JSON.parse(add.stdout);
      const link = ipLink(ns.name, "tap0");
      const iface: Record<string, unknown> = { name: "tap0", mac: link.address, sandbox: ns.path };
      if (cniVersion === "1.1.0") iface.mtu = 1400;
      assert.deepEqual(result.cniVersion, cniVersion);
      assert.deepEqual(result.interfaces, [iface]);
      assert.equal(add.stdout.endsWith("\n"), false, "no trailing newline, as the reference");
      const info = link.linkinfo.info_data;
      assert.deepEqual(
        [link.mtu, link.flags.includes("UP"), info.type, info.multi_queue, info.persist],
        [1400, true, "tap", true, true],
      );
      assert.equal(
        ip(ns.name, "-d", "link", "show", "tap0").match(/user (\S+) group (\S+)/)?.[0],
        "user root group root",
      );

      const check = cni({ command: "CHECK", ...call }, { ...conf, prevResult: result });
      if (cniVersion < "0.4.0") {
        assert.equal(check.status, 1);
        assert.equal(cniError(check).code, 1);
      } else {
        assert.equal(check.status, 0, check.stdout);
        assert.equal(check.stdout, "");
      }
      for (let i = 0; i < 2; i++) {
        const del = cni({ command: "DEL", ...call }, { ...conf, prevResult: result });
        assert.equal(del.status, 0, del.stdout);
        assert.equal(del.stdout, "");
      }
      assert.deepEqual(ipTuntaps(ns.name), []);
    });
  });
}

for (const cniVersion of ["0.1.0", "0.2.0", undefined]) {
  rootTest(
    `a layer-2 ADD at ${cniVersion ?? "no cniVersion"} fails before creating anything`,
    async () => {
      await withScratchNetns((ns) => {
        const add = cni({ command: "ADD", netns: ns.path }, { cniVersion, ...REFERENCE });
        assert.equal(add.status, 1);
        const err = cniError(add);
        assert.equal(err.code, 1);
        assert.match(err.details ?? "", /cannot express/);
        assert.deepEqual(ipTuntaps(ns.name), []);
      });
    },
  );
}

rootTest("the Multus flow: owner 0, group 0, multi-queue and the pod's MAC all apply", async () => {
  await withScratchNetns((ns) => {
    const conf = {
      cniVersion: "0.4.0",
      name: "tap-net",
      type: "tap",
      multiQueue: true,
      owner: 0,
      group: 0,
      mtu: 1450,
      capabilities: { mac: true },
      runtimeConfig: { mac: "50:00:00:00:00:10" },
    };
    const args = "IgnoreUnknown=true;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=p;" +
      "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u1;MAC=50:00:00:00:00:10";
    const add = cni({ command: "ADD", netns: ns.path, ifname: "ext0", args }, conf);
    assert.equal(add.status, 0, add.stdout);
    const link = ipLink(ns.name, "ext0");
    assert.equal(link.address, "50:00:00:00:00:10");
    assert.equal(link.mtu, 1450);
    assert.equal(link.linkinfo.info_data.multi_queue, true);
    assert.equal(JSON.parse(add.stdout).interfaces[0].mac, "50:00:00:00:00:10");
    assert.deepEqual(JSON.parse(add.stdout).dns, {});
  });
});

rootTest(
  "MAC precedence: runtimeConfig.mac, then CNI_ARGS MAC, then the config's mac",
  async () => {
    await withScratchNetns((ns) => {
      const base = { cniVersion: "1.0.0", name: "t", type: "tap", mac: "02:00:00:00:00:01" };
      const cases: [string, Record<string, unknown>, string, string][] = [
        ["a0", {}, "", "02:00:00:00:00:01"],
        ["a1", {}, "IgnoreUnknown=1;MAC=02:00:00:00:00:02", "02:00:00:00:00:02"],
        [
          "a2",
          { runtimeConfig: { mac: "02:00:00:00:00:03" } },
          "MAC=02:00:00:00:00:02",
          "02:00:00:00:00:03",
        ],
      ];
      for (const [ifname, extra, args, want] of cases) {
        const add = cni({ command: "ADD", netns: ns.path, ifname, args }, { ...base, ...extra });
        assert.equal(add.status, 0, add.stdout);
        assert.equal(ipLink(ns.name, ifname).address, want, ifname);
      }
    });
  },
);

rootTest("ADD on an existing CNI_IFNAME fails and leaves that interface untouched", async () => {
  await withScratchNetns((ns) => {
    const conf = { cniVersion: "1.0.0", name: "t", type: "tap", mtu: 1400 };
    assert.equal(cni({ command: "ADD", netns: ns.path }, conf).status, 0);
    ip(ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
    for (const ifname of ["tap0", "eth0"]) {
      const before = ipLink(ns.name, ifname);
      const again = cni({ command: "ADD", netns: ns.path, ifname }, { ...conf, mtu: 1300 });
      assert.equal(again.status, 1);
      assert.match(cniError(again).msg, new RegExp(`"${ifname}" already exists`));
      assert.deepEqual(ipLink(ns.name, ifname), before);
    }
    assert.deepEqual(ipTuntaps(ns.name), ["tap0"]);
  });
});

rootTest("CHECK fails when the device is gone or does not match", async () => {
  await withScratchNetns((ns) => {
    const conf = { cniVersion: "1.1.0", name: "t", type: "tap", multiQueue: true, owner: 0 };
    const call = { netns: ns.path, ifname: "tap0" };
    const result = JSON.parse(cni({ command: "ADD", ...call }, conf).stdout);
    const checks: [Record<string, unknown>, RegExp][] = [
      [{ ...conf }, /Required prevResult missing/],
      [{ ...conf, prevResult: { ...result, interfaces: [] } }, /no interface "tap0"/],
      [{ ...conf, multiQueue: false, prevResult: result }, /multiQueue/],
      [{ ...conf, owner: 7, prevResult: result }, /owner/],
      [{
        ...conf,
        prevResult: {
          ...result,
          interfaces: [{ ...result.interfaces[0], mac: "02:00:00:00:00:99" }],
        },
      }, /mac/],
    ];
    for (const [c, re] of checks) {
      const r = cni({ command: "CHECK", ...call }, c);
      assert.equal(r.status, 1, JSON.stringify(c));
      assert.match(cniErrorText(r), re);
    }
    ip(ns.name, "link", "del", "tap0");
    const gone = cni({ command: "CHECK", ...call }, { ...conf, prevResult: result });
    assert.equal(gone.status, 1);
    assert.match(cniError(gone).details ?? "", /no such device/);
  });
});

rootTest("DEL is idempotent: empty netns, vanished netns, missing device all exit 0", async () => {
  const conf = { cniVersion: "1.0.0", name: "t", type: "tap" };
  for (const netns of ["", "/var/run/netns/tap-no-such-netns"]) {
    const r = cni({ command: "DEL", netns }, conf);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, "");
  }
  await withScratchNetns((ns) => {
    assert.equal(cni({ command: "DEL", netns: ns.path, ifname: "nope0" }, conf).status, 0);
  });
});

rootTest("DEL leaves a device of another kind under CNI_IFNAME alone", async () => {
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
    const r = cni({ command: "DEL", netns: ns.path, ifname: "eth0" }, {
      cniVersion: "1.0.0",
      name: "t",
      type: "tap",
    });
    assert.equal(r.status, 0);
    assert.ok(ipLink(ns.name, "eth0"));
  });
});

rootTest("bad input gets the spec error code and leaves nothing behind", async () => {
  await withScratchNetns((ns) => {
    const ok = { cniVersion: "1.0.0", name: "t", type: "tap" };
    const cases: [string, Parameters<typeof cni>[0], unknown, number, RegExp][] = [
      [
        "broken JSON",
        { command: "ADD" },
        '{"cniVersion":"1.0.0",\n "name": "t"\n "type":"tap"}',
        6,
        /line 3, column 2/,
      ],
      [
        "no name",
        { command: "ADD" },
        { cniVersion: "1.0.0", type: "tap" },
        7,
        /missing network name/,
      ],
      [
        "bad version",
        { command: "ADD" },
        { ...ok, cniVersion: "9.9.9" },
        1,
        /incompatible CNI versions/,
      ],
      ["wrong type", { command: "ADD" }, { ...ok, owner: "0" }, 7, /owner/],
      ["float mtu", { command: "ADD" }, '{"cniVersion":"1.0.0","name":"t","mtu":1400.0}', 7, /mtu/],
      ["bad MAC", { command: "ADD" }, { ...ok, mac: "zz" }, 7, /MAC/],
      ["mtu too big", { command: "ADD" }, { ...ok, mtu: 65535 }, 7, /mtu 65535/],
      ["unknown CNI_ARGS", { command: "ADD", args: "FOO=bar" }, ok, 4, /FOO=bar/],
      ["long ifname", { command: "ADD", ifname: "a234567890123456" }, ok, 4, /too long/],
      ["ifname with /", { command: "ADD", ifname: "a/b" }, ok, 4, /\//],
      ["bad container id", { command: "ADD", containerId: "-x" }, ok, 4, /containerID/],
      ["unknown command", { command: "FOO" }, ok, 4, /unknown CNI_COMMAND: FOO/],
      [
        "selinux on a host without it",
        { command: "ADD" },
        { ...ok, selinuxcontext: "system_u:system_r:container_t:s0" },
        2,
        /selinux/i,
      ],
    ];
    for (const [what, call, conf, code, re] of cases) {
      const r = cni({ netns: ns.path, ...call }, conf);
      assert.equal(r.status, 1, what);
      assert.equal(cniError(r).code, code, `${what}: ${r.stdout}`);
      assert.match(cniErrorText(r), re, what);
      assert.deepEqual(ipTuntaps(ns.name), [], what);
    }
    const missing = cni({ command: "ADD", extraEnv: { CNI_NETNS: "", CNI_IFNAME: "" } }, ok);
    assert.equal(
      cniError(missing).msg,
      "required env variables [CNI_NETNS,CNI_IFNAME] missing",
    );
  });
});

rootTest("CNI_NETNS must be another network namespace", () => {
  const ok = { cniVersion: "1.0.0", name: "t", type: "tap" };
  const cases: [string, number, RegExp][] = [
    ["/var/run/netns/tap-no-such-netns", 999, /failed to open netns/],
    ["/etc/passwd", 8, /not a network namespace/],
    ["/tmp", 8, /not a network namespace/],
    ["/proc/self/ns/uts", 8, /uts namespace/],
    ["/proc/self/ns/net", 8, /should not be the same/],
  ];
  for (const [netns, code, re] of cases) {
    const r = cni({ command: "ADD", netns, ifname: "tapnsx0" }, ok);
    assert.equal(r.status, 1, netns);
    assert.equal(cniError(r).code, code, `${netns}: ${r.stdout}`);
    assert.match(cniErrorText(r), re, netns);
  }
  // DEL of a path that is not a netns is an error too, not a silent success.
  assert.equal(cniError(cni({ command: "DEL", netns: "/etc/passwd" }, ok)).code, 8);
});

test("VERSION lists every supported version, whatever stdin holds", () => {
  for (const stdin of ['{"cniVersion":"0.4.0"}', "", "garbage"]) {
    const r = cni({ command: "VERSION" }, stdin);
    assert.equal(r.status, 0);
    const v = JSON.parse(r.stdout);
    assert.deepEqual(v.supportedVersions, VERSIONS);
  }
});

rootTest("STATUS and GC succeed at 1.1.0 and are refused below it", () => {
  const conf = { cniVersion: "1.1.0", name: "t", type: "tap" };
  for (const command of ["STATUS", "GC"]) {
    const r = cni({ command, extraEnv: { CNI_CONTAINERID: "", CNI_IFNAME: "" } }, conf);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, "");
    const old = cni({ command }, { ...conf, cniVersion: "1.0.0" });
    assert.equal(cniError(old).code, 1);
    assert.match(cniError(old).msg, new RegExp(`does not allow ${command}`));
  }
});

rootTest("a 1 MiB config is read whole, even from a non-blocking pipe", async () => {
  // Node's spawnSync (the Node pass of this suite) hands the child a non-blocking stdin pipe:
  // reading it must wait on EAGAIN, not fail with code 5.
  await withScratchNetns((ns) => {
    const conf = {
      cniVersion: "1.0.0",
      name: "big",
      type: "tap",
      args: { junk: "x".repeat(1 << 20) },
    };
    const add = cni({ command: "ADD", netns: ns.path }, conf);
    assert.equal(add.status, 0, add.stdout.slice(0, 300));
    assert.deepEqual(ipTuntaps(ns.name), ["tap0"]);
  });
});
