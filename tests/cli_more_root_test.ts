/**
 * Integration tests of the CLI beyond create/list/delete: set, templates and --count, bridges,
 * delete of many and --all, --all-netns, the --json schema, completion. As root, in network
 * namespaces made per test; values are checked against what iproute2 reports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  cli,
  cliCommand,
  ip,
  ipLink,
  ipTuntaps,
  rootTest,
  run,
  runInNetns,
  tsCommand,
  withScratchNetns,
} from "./helpers.ts";

/** The documented JSON fields, in order. */
const SCHEMA = [
  "name",
  "ifindex",
  "mode",
  "flags",
  "multiQueue",
  "vnetHdr",
  "pi",
  "persist",
  "owner",
  "group",
  "mtu",
  "mac",
  "up",
  "txqueuelen",
  "bridge",
];

rootTest("tap create --json prints exactly the documented fields, with their types", async () => {
  await withScratchNetns((ns) => {
    const r = cli(["create", "t0", "-n", ns.name, "--json", "--txqueuelen", "77"]);
    assert.equal(r.status, 0, r.stderr);
    const tap = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(tap), SCHEMA);
    assert.deepEqual(
      Object.values(tap).map((v) => v === null ? "null" : Array.isArray(v) ? "array" : typeof v),
      [
        "string",
        "number",
        "string",
        "array",
        "boolean",
        "boolean",
        "boolean",
        "boolean",
        "null",
        "null",
        "number",
        "string",
        "boolean",
        "number",
        "null",
      ],
    );
    assert.equal(ipLink(ns.name, "t0").txqlen, 77);
    const list = JSON.parse(cli(["list", "-n", ns.name, "--json"]).stdout);
    assert.deepEqual(list, [tap]);
  });
});

rootTest("tap create --bridge makes the tap a port; a missing bridge leaves nothing", async () => {
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "br0", "type", "bridge");
    const r = cli(["create", "t0", "-n", ns.name, "--bridge", "br0", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).bridge, "br0");
    assert.equal(ipLink(ns.name, "t0").master, "br0");
    const bad = cli(["create", "t1", "-n", ns.name, "--bridge", "br9"]);
    assert.equal(bad.status, 3);
    assert.equal(bad.stderr, 'Cannot create device "t1": bridge "br9" not found (ENODEV)\n');
    assert.deepEqual(ipTuntaps(ns.name), ["t0"]);
  });
});

rootTest("tap create --multi-queue and --vnet-hdr are accepted spellings", async () => {
  await withScratchNetns((ns) => {
    assert.equal(cli(["create", "t0", "-n", ns.name, "--multi-queue", "--vnet-hdr"]).status, 0);
    const info = ipLink(ns.name, "t0").linkinfo.info_data;
    assert.deepEqual([info.multi_queue, info.vnet_hdr], [true, true]);
    const both = cli(["create", "t1", "-n", ns.name, "--vnet-hdr", "--no-vnet-hdr"]);
    assert.equal(both.status, 2);
  });
});

rootTest("tap create --count N makes N devices from a template and prints each name", async () => {
  await withScratchNetns((ns) => {
    const r = cli(["create", "vm%d", "--count", "3", "-n", ns.name, "--up"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "vm0\nvm1\nvm2\n");
    assert.deepEqual(ipTuntaps(ns.name).sort(), ["vm0", "vm1", "vm2"]);
    for (const n of ["vm0", "vm1", "vm2"]) assert.ok(ipLink(ns.name, n).flags.includes("UP"));
    const json = JSON.parse(cli(["create", "q%d", "--count", "2", "-n", ns.name, "--json"]).stdout);
    assert.deepEqual(json.map((t: { name: string }) => t.name), ["q0", "q1"]);
    // A batch that fails makes nothing: here the bridge does not exist.
    const bad = cli(["create", "z%d", "--count", "2", "-n", ns.name, "--bridge", "nobr0"]);
    assert.equal(bad.status, 3);
    assert.deepEqual(ipTuntaps(ns.name).filter((n) => n.startsWith("z")), []);
    const noTemplate = cli(["create", "vm", "--count", "2", "-n", ns.name]);
    assert.equal(noTemplate.status, 2);
    assert.match(noTemplate.stderr, /--count needs a template NAME such as "vm%d"/);
  });
});

rootTest("tap set changes each attribute as the kernel then reports it", async () => {
  await withScratchNetns((ns) => {
    ip(ns.name, "link", "add", "br0", "type", "bridge");
    assert.equal(cli(["create", "t0", "-n", ns.name, "--owner", "1000"]).status, 0);
    const set = (...args: string[]): ReturnType<typeof cli> => {
      const r = cli(["set", "t0", "-n", ns.name, ...args]);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    set("--mtu", "1280");
    assert.equal(ipLink(ns.name, "t0").mtu, 1280);
    set("--mac", "02:00:00:00:00:77");
    assert.equal(ipLink(ns.name, "t0").address, "02:00:00:00:00:77");
    set("--txqueuelen", "42");
    assert.equal(ipLink(ns.name, "t0").txqlen, 42);
    set("--up");
    assert.ok(ipLink(ns.name, "t0").flags.includes("UP"));
    set("--down");
    assert.ok(!ipLink(ns.name, "t0").flags.includes("UP"));
    set("--bridge", "br0");
    assert.equal(ipLink(ns.name, "t0").master, "br0");
    set("--nobridge");
    assert.equal(ipLink(ns.name, "t0").master, undefined);
    const json = JSON.parse(set("--owner", "root", "--group", "daemon", "--json").stdout);
    assert.deepEqual([json.owner, json.group], [0, 1]);
    const witness = ip(ns.name, "-d", "link", "show", "t0");
    assert.match(witness, /user root group daemon/);
    assert.equal(cli(["set", "t0", "-n", ns.name]).status, 2, "nothing to change is a usage error");
    assert.equal(cli(["set", "t0", "-n", ns.name, "--up", "--down"]).status, 2);
    assert.equal(cli(["set", "nope0", "-n", ns.name, "--up"]).status, 3);
    ip(ns.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    assert.equal(cli(["set", "v0", "-n", ns.name, "--mtu", "1400"]).status, 1);
    assert.equal(ipLink(ns.name, "v0").mtu, 1500, "a veth is never changed");
  });
});

const ATTACH = fileURLToPath(new URL("./fixtures/attach.ts", import.meta.url));

/**
 * The command line that runs `argv` as `uid` (gid `uid`, no supplementary groups) with no
 * capability but CAP_DAC_OVERRIDE: file access as root has it, and no network administration.
 * Split into command and arguments for {@linkcode runInNetns}.
 */
function asUid(uid: number, argv: string[]): [string, string[]] {
  return ["setpriv", [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    "--clear-groups",
    "--inh-caps=-all,+dac_override",
    "--ambient-caps=+dac_override",
    ...argv,
  ]];
}

/** Tries to open the tap as `uid` with no capabilities but file access (as a VMM would). */
function attachAs(ns: string, uid: number, name: string): number {
  const [cmd, args] = tsCommand(ATTACH, ["--allow-ffi"]);
  return runInNetns(ns, ...asUid(uid, [cmd, ...args, name])).status;
}

rootTest("tap set --owner on a persistent tap really changes who may open it", async () => {
  await withScratchNetns((ns) => {
    assert.equal(cli(["create", "t0", "-n", ns.name, "--owner", "1234"]).status, 0);
    assert.equal(attachAs(ns.name, 1234, "t0"), 0);
    assert.equal(attachAs(ns.name, 4321, "t0"), 1);
    assert.equal(cli(["set", "t0", "-n", ns.name, "--owner", "4321"]).status, 0);
    assert.equal(attachAs(ns.name, 4321, "t0"), 0);
    assert.equal(attachAs(ns.name, 1234, "t0"), 1);
    assert.equal(cli(["set", "t0", "-n", ns.name, "--group", "5555"]).status, 0);
    assert.equal(attachAs(ns.name, 1234, "t0"), 1, "group 5555 is not one of uid 1234's");
  });
});

rootTest("tap delete takes several names, refuses non-taps, and --all needs --yes", async () => {
  await withScratchNetns((ns) => {
    cli(["create", "a%d", "--count", "3", "-n", ns.name]);
    ip(ns.name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    const some = cli(["delete", "a0", "v0", "a1", "-n", ns.name]);
    assert.equal(some.status, 1);
    assert.equal(
      some.stderr,
      'Cannot delete device "v0": not a tun/tap device (it is a veth) (EINVAL)\n',
    );
    assert.deepEqual(ipTuntaps(ns.name), ["a2"]);
    cli(["create", "b0", "-n", ns.name]);
    const noYes = cli(["delete", "--all", "-n", ns.name]);
    assert.equal(noYes.status, 2);
    assert.deepEqual(ipTuntaps(ns.name).length, 2);
    assert.equal(cli(["delete", "--all", "--yes", "-n", ns.name]).status, 0);
    assert.deepEqual(ipTuntaps(ns.name), []);
    assert.ok(ipLink(ns.name, "v0"), "--all leaves the veth");
  });
});

rootTest("tap list --all-netns walks /var/run/netns and labels each device", async () => {
  await withScratchNetns(async (a) => {
    await withScratchNetns((b) => {
      cli(["create", "ta", "-n", a.name]);
      cli(["create", "tb", "-n", b.name]);
      const text = cli(["list", "--all-netns"]).stdout;
      assert.match(text, new RegExp(`netns ${a.name}:\\nta: tap vnet_hdr persist`));
      assert.match(text, new RegExp(`netns ${b.name}:\\ntb: tap`));
      const json = JSON.parse(cli(["list", "--all-netns", "--json"]).stdout);
      const mine = json.filter((t: { netns: string }) => t.netns === a.name || t.netns === b.name);
      assert.deepEqual(
        mine.map((t: { name: string; netns: string }) => [t.name, t.netns]).sort(),
        [
          ["ta", a.name],
          ["tb", b.name],
        ].sort(),
      );
    });
  });
});

test("aliases add, del, ls and help for them work like the commands", () => {
  assert.equal(cli(["help", "add"]).stdout, cli(["create", "--help"]).stdout);
  assert.equal(cli(["del", "--help"]).stdout, cli(["delete", "--help"]).stdout);
  assert.equal(cli(["ls", "--bogus"]).status, 2);
});

test("tap completion prints a bash script that bash accepts, and refuses other shells", () => {
  const bash = cli(["completion", "bash"]);
  assert.equal(bash.status, 0);
  assert.match(bash.stdout, /complete -F _tap tap/);
  const checked = run("bash", ["-n"], { input: bash.stdout });
  assert.equal(checked.status, 0, checked.stderr);
  assert.match(cli(["completion", "zsh"]).stdout, /^#compdef tap/);
  assert.equal(cli(["completion", "fish"]).status, 2);
});

test("--json usage errors are JSON on stderr", () => {
  const r = cli(["create", "--json"]);
  assert.equal(r.status, 2);
  assert.deepEqual(JSON.parse(r.stderr), {
    error: { message: 'Invalid arguments for "tap create": missing NAME', code: "EUSAGE" },
  });
});

rootTest("permission denied exits 4", async () => {
  await withScratchNetns((ns) => {
    const [cmd, base] = cliCommand();
    // Without CAP_NET_ADMIN (but allowed to open /dev/net/tun), creating fails with EPERM.
    const r = runInNetns(ns.name, ...asUid(4321, [cmd, ...base, "create", "t0"]));
    assert.equal(r.status, 4, r.stderr);
    assert.equal(r.stderr, 'Cannot create device "t0": operation not permitted (EPERM)\n');
    assert.deepEqual(ipTuntaps(ns.name), []);
  });
});

rootTest(
  "tap list --all-netns skips a stale entry and lists the current netns once, by name",
  async () => {
    await withScratchNetns((ns) => {
      cli(["create", "ta", "-n", ns.name]);
      const stale = `/var/run/netns/tapt-stale-${process.pid}`;
      writeFileSync(stale, "");
      try {
        // Run inside the scratch netns: it is both "current" and a named entry.
        const [cmd, base] = cliCommand();
        const r = runInNetns(ns.name, cmd, [...base, "list", "--all-netns", "--json"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /skipping netns "tapt-stale-\d+": not a network namespace/);
        const mine = JSON.parse(r.stdout).filter((t: { name: string }) => t.name === "ta");
        assert.deepEqual(mine.map((t: { netns: string | null }) => t.netns), [ns.name]);
      } finally {
        rmSync(stale, { force: true });
      }
    });
  },
);

test("a closed stdout ends the CLI quietly", () => {
  const [cmd, base] = cliCommand();
  const r = run("sh", ["-c", `"$0" "$@" | true`, cmd, ...base, "help"]);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, "");
});
