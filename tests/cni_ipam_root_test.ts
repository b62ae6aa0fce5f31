/**
 * Integration tests of IPAM delegation, bridges and chains, with Debian's real host-local,
 * static and tuning plugins (/usr/lib/cni), as root, in network namespaces made per test. The
 * only fakes are fault injectors in tests/fixtures.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  cni,
  type CniCall,
  cniError,
  cniErrorText,
  ip,
  ipLink,
  ipTuntaps,
  leases,
  type Ran,
  rootTest,
  run,
  runInNetns,
  type ScratchNetns,
  withScratchNetns,
  withTempDir,
} from "./helpers.ts";
import { VERSIONS } from "./cni_test_helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
const PLUGINS = "/usr/lib/cni";

/** Runs `fn` with a scratch netns and a temporary host-local dataDir, both removed afterwards. */
const withNetnsAndDataDir = <T>(
  fn: (ns: ScratchNetns, dataDir: string) => T | Promise<T>,
): Promise<T> => withScratchNetns((ns) => withTempDir("tap-ipam-", (dataDir) => fn(ns, dataDir)));

function hostLocal(dataDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "host-local", subnet: "10.1.2.0/24", dataDir, ...extra };
}

// The reference plugin's own scenarios: host-local, owner 0, group 0, every version, with and
// without a bridge; STATUS first at 1.1.0; ADD, CHECK, DEL and a second DEL.
for (const cniVersion of VERSIONS) {
  for (const bridge of [false, true]) {
    const title = `reference scenario at ${cniVersion}${bridge ? ", as a port of bridge br1" : ""}`;
    rootTest(title, async () => {
      await withNetnsAndDataDir((ns, dataDir) => {
        if (bridge) ip(ns.name, "link", "add", "br1", "type", "bridge");
        const conf: Record<string, unknown> = {
          cniVersion,
          name: "tapnet",
          type: "tap",
          owner: 0,
          group: 0,
          ipam: hostLocal(dataDir),
          ...(bridge ? { bridge: "br1" } : {}),
        };
        const call: CniCall = {
          command: "ADD",
          containerId: "dummy",
          netns: ns.path,
          ifname: "tapifc",
          path: PLUGINS,
        };
        if (cniVersion === "1.1.0") {
          const status = cni({ ...call, command: "STATUS" }, conf);
          assert.equal(status.status, 0, status.stdout + status.stderr);
        }
        const add = cni(call, conf);
        assert.equal(add.status, 0, add.stdout + add.stderr);
        const result = JSON.parse(add.stdout);
        assert.equal(result.cniVersion, cniVersion);
        const link = ipLink(ns.name, "tapifc");
        assert.equal(link.linkinfo.info_kind, "tun");
        assert.equal(link.linkinfo.info_data.type, "tap");
        if (bridge) assert.equal(link.master, "br1");
        const v4 = ip(ns.name, "-4", "-o", "addr", "show", "dev", "tapifc").trim().split("\n");
        assert.equal(v4.length, 1);
        assert.match(v4[0]!, /inet 10\.1\.2\.\d+\/24/);
        if (cniVersion < "0.3.0") {
          assert.match(result.ip4.ip, /^10\.1\.2\.\d+\/24$/);
          assert.equal(result.ip6, undefined);
        } else {
          assert.equal(result.interfaces.length, 1);
          assert.equal(result.interfaces[0].name, "tapifc");
          assert.equal(result.interfaces[0].mac, link.address);
          assert.equal(result.ips.length, 1);
          assert.equal(result.ips[0].interface, 0);
          assert.equal(result.ips[0].version, cniVersion < "1.0.0" ? "4" : undefined);
        }
        assert.deepEqual(leases(dataDir, "tapnet").length, 1);
        const check = cni({ ...call, command: "CHECK" }, { ...conf, prevResult: result });
        if (cniVersion < "0.4.0") {
          assert.equal(cniError(check).code, 1);
        } else {
          assert.equal(check.status, 0, check.stdout);
        }
        for (let i = 0; i < 2; i++) {
          const del = cni({ ...call, command: "DEL" }, { ...conf, prevResult: result });
          assert.equal(del.status, 0, del.stdout);
        }
        assert.equal(ipLink(ns.name, "tapifc"), undefined);
        assert.deepEqual(leases(dataDir, "tapnet"), []);
      });
    });
  }
}

rootTest("dual-stack host-local: every address and route is applied and reported", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    const conf = {
      cniVersion: "1.0.0",
      name: "dual",
      type: "tap",
      ipam: {
        type: "host-local",
        dataDir,
        ranges: [[{ subnet: "10.9.0.0/24" }], [{ subnet: "fd00:9::/64" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "10.200.0.0/16", gw: "10.9.0.254" }, {
          dst: "::/0",
        }],
      },
    };
    const call: CniCall = { command: "ADD", netns: ns.path, path: PLUGINS };
    const add = cni(call, conf);
    assert.equal(add.status, 0, add.stdout + add.stderr);
    const result = JSON.parse(add.stdout);
    assert.equal(result.ips.length, 2);
    assert.deepEqual(result.ips.map((i: { interface: number }) => i.interface), [0, 0]);
    const addrs = ip(ns.name, "-o", "addr", "show", "dev", "tap0", "scope", "global");
    for (const i of result.ips) assert.ok(addrs.includes(i.address), `${i.address} in ${addrs}`);
    const r4 = ip(ns.name, "-4", "route", "show", "dev", "tap0");
    assert.match(r4, /default via 10\.9\.0\.1/);
    assert.match(r4, /10\.200\.0\.0\/16 via 10\.9\.0\.254/);
    assert.match(ip(ns.name, "-6", "route", "show", "dev", "tap0"), /default via fd00:9::1/);
    const check = cni({ ...call, command: "CHECK" }, { ...conf, prevResult: result });
    assert.equal(check.status, 0, check.stdout);
    // An address flushed by hand is a CHECK failure naming it.
    ip(ns.name, "addr", "del", result.ips[0].address, "dev", "tap0");
    const broken = cni({ ...call, command: "CHECK" }, { ...conf, prevResult: result });
    assert.match(
      cniError(broken).msg,
      new RegExp(`Failed to match addr ${result.ips[0].address}`),
    );
    assert.equal(cni({ ...call, command: "DEL" }, conf).status, 0);
    assert.deepEqual(leases(dataDir, "dual"), []);
  });
});

rootTest("a layer-3 ADD sets arp_notify, as the reference plugin does", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    const conf = { cniVersion: "1.0.0", name: "arp", type: "tap", ipam: hostLocal(dataDir) };
    assert.equal(cni({ command: "ADD", netns: ns.path, path: PLUGINS }, conf).status, 0);
    const v = runInNetns(ns.name, "cat", ["/proc/sys/net/ipv4/conf/tap0/arp_notify"]);
    assert.equal(v.stdout.trim(), "1");
  });
});

rootTest("static IPAM, and CNI_ARGS IP= passed through to it", async () => {
  await withScratchNetns((ns) => {
    const conf = {
      cniVersion: "0.4.0",
      name: "st",
      type: "tap",
      ipam: { type: "static", addresses: [{ address: "10.98.0.5/24", gateway: "10.98.0.1" }] },
    };
    const add = cni({
      command: "ADD",
      netns: ns.path,
      path: PLUGINS,
      args: "IgnoreUnknown=1;IP=10.98.0.7/24",
    }, conf);
    assert.equal(add.status, 0, add.stdout + add.stderr);
    const ips = JSON.parse(add.stdout).ips.map((i: { address: string }) => i.address);
    assert.deepEqual(ips, ["10.98.0.5/24", "10.98.0.7/24"]);
    const addrs = ip(ns.name, "-4", "-o", "addr", "show", "dev", "tap0");
    assert.match(addrs, /10\.98\.0\.5\/24/);
    assert.match(addrs, /10\.98\.0\.7\/24/);
  });
});

rootTest("a chain of tap then tuning: tuning gets our result and its changes hold", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    const list = {
      cniVersion: "1.0.0",
      name: "chain",
      plugins: [
        { type: "tap", multiQueue: true, ipam: hostLocal(dataDir) },
        {
          type: "tuning",
          mtu: 1400,
          mac: "02:11:22:33:44:55",
          sysctl: { "net.ipv4.conf.tap0.rp_filter": "0" },
        },
      ],
    };
    // Driven the way libcni drives a list: ADD in order with prevResult, DEL in reverse.
    const env = { netns: ns.path, path: PLUGINS };
    const pluginConf = (i: number, prevResult?: unknown): Record<string, unknown> => ({
      cniVersion: list.cniVersion,
      name: list.name,
      ...list.plugins[i],
      ...(prevResult ? { prevResult } : {}),
    });
    /** Runs Debian's tuning plugin, the second of the list, for the same attachment as ours. */
    const tuning = (command: string, conf: Record<string, unknown>): Ran =>
      run(`${PLUGINS}/tuning`, [], {
        env: {
          ...process.env as Record<string, string>,
          CNI_COMMAND: command,
          CNI_CONTAINERID: "ctr1",
          CNI_NETNS: ns.path,
          CNI_IFNAME: "tap0",
          CNI_PATH: PLUGINS,
        },
        input: JSON.stringify(conf),
      });
    const tap = cni({ command: "ADD", ...env }, pluginConf(0));
    assert.equal(tap.status, 0, tap.stdout + tap.stderr);
    const tuned = tuning("ADD", pluginConf(1, JSON.parse(tap.stdout)));
    assert.equal(tuned.status, 0, tuned.stdout + tuned.stderr);
    const final = JSON.parse(tuned.stdout);
    const link = ipLink(ns.name, "tap0");
    assert.deepEqual([link.mtu, link.address], [1400, "02:11:22:33:44:55"]);
    assert.equal(final.interfaces[0].mac, "02:11:22:33:44:55");
    // CHECK with the chain's final result: tuning changed the MAC and MTU after us.
    const check = cni({ command: "CHECK", ...env }, pluginConf(0, final));
    assert.equal(check.status, 0, check.stdout);
    const tdel = tuning("DEL", pluginConf(1, final));
    assert.equal(tdel.status, 0, tdel.stdout + tdel.stderr);
    assert.equal(cni({ command: "DEL", ...env }, pluginConf(0, final)).status, 0);
    assert.deepEqual(ipTuntaps(ns.name), []);
    assert.deepEqual(leases(dataDir, "chain"), []);
  });
});

rootTest("ADD in a chain keeps prevResult's interfaces and IPs and appends ours", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    const prevResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", mac: "02:00:00:00:00:aa", sandbox: ns.path }],
      ips: [{ address: "192.168.5.5/24", gateway: "192.168.5.1", interface: 0 }],
      routes: [{ dst: "192.168.0.0/16" }],
    };
    const conf = {
      cniVersion: "1.0.0",
      name: "pr",
      type: "tap",
      ipam: hostLocal(dataDir),
      prevResult,
    };
    const add = cni({ command: "ADD", netns: ns.path, path: PLUGINS }, conf);
    assert.equal(add.status, 0, add.stdout + add.stderr);
    const r = JSON.parse(add.stdout);
    assert.deepEqual(r.interfaces.map((i: { name: string }) => i.name), ["eth0", "tap0"]);
    assert.deepEqual(r.ips.map((i: { interface: number }) => i.interface), [0, 1]);
    assert.deepEqual(r.routes, [{ dst: "192.168.0.0/16" }]);
    // A prevResult of another version family is an error, before anything is created.
    const other = cni({ command: "ADD", netns: ns.path, ifname: "tap1", path: PLUGINS }, {
      ...conf,
      prevResult: { ...prevResult, cniVersion: "0.4.0" },
    });
    assert.equal(cniError(other).code, 6);
    assert.equal(ipLink(ns.name, "tap1"), undefined);
    assert.deepEqual(leases(dataDir, "pr").length, 1);
  });
});

rootTest("an IPAM failure passes its code up and leaves no device", async () => {
  await withScratchNetns((ns) => {
    const conf = { cniVersion: "1.0.0", name: "f", type: "tap", ipam: { type: "ipam-fail" } };
    const r = cni({ command: "ADD", netns: ns.path, path: `${FIXTURES}:${PLUGINS}` }, conf);
    assert.equal(r.status, 1);
    assert.deepEqual(cniError(r), {
      cniVersion: "1.0.0",
      code: 7,
      msg: 'IPAM plugin "ipam-fail": injected IPAM failure',
      details: "on purpose",
    });
    assert.deepEqual(ipTuntaps(ns.name), []);
    const missing = cni({ command: "ADD", netns: ns.path, path: PLUGINS }, {
      ...conf,
      ipam: { type: "nope" },
    });
    assert.match(cniError(missing).msg, /failed to find plugin "nope" in path \[\/usr\/lib\/cni\]/);
  });
});

rootTest(
  "an IPAM plugin that exits without reading its stdin is reported by its own error",
  async () => {
    await withScratchNetns((ns) => {
      // 1 MiB of config: more than a pipe holds, so writing it to the plugin hits a closed pipe.
      const conf = {
        cniVersion: "1.0.0",
        name: "nr",
        type: "tap",
        ipam: { type: "ipam-noread" },
        args: { junk: "x".repeat(1 << 20) },
      };
      const r = cni({ command: "ADD", netns: ns.path, path: FIXTURES }, conf);
      assert.equal(r.status, 1);
      assert.deepEqual(
        { code: cniError(r).code, msg: cniError(r).msg },
        { code: 7, msg: 'IPAM plugin "ipam-noread": refused without reading stdin' },
      );
      assert.deepEqual(ipTuntaps(ns.name), []);
    });
  },
);

rootTest("an IPAM result without IPs is an error, and the allocation is released", async () => {
  await withNetnsAndDataDir((ns, dir) => {
    const log = `${dir}/ipam.log`;
    const conf = { cniVersion: "1.0.0", name: "n", type: "tap", ipam: { type: "ipam-noip" } };
    const r = cni(
      { command: "ADD", netns: ns.path, path: FIXTURES, extraEnv: { IPAM_LOG: log } },
      conf,
    );
    assert.equal(cniError(r).msg, "IPAM plugin returned missing IP config");
    assert.deepEqual(ipTuntaps(ns.name), []);
    assert.equal(readFileSync(log, "utf8"), "DEL ctr1\n");
  });
});

rootTest(
  "a missing bridge, or one that is not a bridge, fails with no tap and no lease left",
  async () => {
    await withNetnsAndDataDir((ns, dataDir) => {
      ip(ns.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
      for (
        const [bridge, re] of [["br1", /bridge "br1" not found/], [
          "v0",
          /"v0" is not a bridge/,
        ]] as const
      ) {
        const conf = {
          cniVersion: "1.0.0",
          name: "b",
          type: "tap",
          bridge,
          ipam: hostLocal(dataDir),
        };
        const r = cni({ command: "ADD", netns: ns.path, path: PLUGINS }, conf);
        assert.equal(r.status, 1);
        assert.match(cniErrorText(r), re);
        assert.deepEqual(ipTuntaps(ns.name), []);
        assert.deepEqual(leases(dataDir, "b"), []);
      }
    });
  },
);

rootTest("an address the kernel refuses rolls back the device and the lease", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    // IPv6 off in the netns: adding the host-local IPv6 address fails after the tap exists.
    runInNetns(ns.name, "sysctl", ["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    const conf = {
      cniVersion: "1.0.0",
      name: "v6",
      type: "tap",
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "fd00:7::/64" }]] },
    };
    const r = cni({ command: "ADD", netns: ns.path, path: PLUGINS }, conf);
    assert.equal(r.status, 1, r.stdout);
    assert.match(cniError(r).details ?? "", /RTM_NEWADDR|\(E[A-Z]+\)/);
    assert.deepEqual(ipTuntaps(ns.name), []);
    assert.deepEqual(leases(dataDir, "v6"), []);
  });
});

rootTest("DEL after the netns is gone still releases the lease", async () => {
  await withTempDir("tap-ipam-", async (dataDir) => {
    const conf = { cniVersion: "1.0.0", name: "gone", type: "tap", ipam: hostLocal(dataDir) };
    let path = "";
    await withScratchNetns((ns) => {
      path = ns.path;
      assert.equal(cni({ command: "ADD", netns: ns.path, path: PLUGINS }, conf).status, 0);
      assert.equal(leases(dataDir, "gone").length, 1);
    });
    const del = cni({ command: "DEL", netns: path, path: PLUGINS }, conf);
    assert.equal(del.status, 0, del.stdout);
    assert.deepEqual(leases(dataDir, "gone"), []);
    const empty = cni({ command: "DEL", netns: "", path: PLUGINS }, conf);
    assert.equal(empty.status, 0, empty.stdout);
  });
});

rootTest("GC at 1.1.0 never removes a valid attachment", async () => {
  await withNetnsAndDataDir((ns, dataDir) => {
    const conf = { cniVersion: "1.1.0", name: "gc", type: "tap", ipam: hostLocal(dataDir) };
    for (const [id, ifname] of [["ctr1", "tap1"], ["ctr2", "tap2"]] as const) {
      const r = cni(
        { command: "ADD", containerId: id, netns: ns.path, ifname, path: PLUGINS },
        conf,
      );
      assert.equal(r.status, 0, r.stdout);
    }
    const gc = cni({
      command: "GC",
      path: PLUGINS,
      extraEnv: { CNI_CONTAINERID: "", CNI_IFNAME: "" },
    }, {
      ...conf,
      "cni.dev/valid-attachments": [{ containerID: "ctr1", ifname: "tap1" }],
    });
    assert.equal(gc.status, 0, gc.stdout);
    const held = leases(dataDir, "gc").map((f) => readFileSync(`${dataDir}/gc/${f}`, "utf8"));
    assert.ok(held.some((h) => h.startsWith("ctr1")), "ctr1's lease must survive GC");
  });
});
