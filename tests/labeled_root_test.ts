/**
 * The child side of a create under an SELinux label (core/labeled.ts), on this host: the part
 * that needs no SELinux. The whole path, label included, is tested in an SELinux VM by
 * selinux_root_test.ts.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  cliCommand,
  ipLink,
  ipTuntaps,
  rootTest,
  run,
  runInNetns,
  withScratchNetns,
} from "./helpers.ts";

/** Runs `cli.ts __create-labeled` with a request. */
function child(request: unknown): ReturnType<typeof run> {
  const [cmd, base] = cliCommand();
  return run(cmd, [...base, "__create-labeled"], { input: JSON.stringify(request) });
}

/** Runs the child with the read end of its stdout closed at once, as if its parent had died. */
function orphanedChild(request: unknown): Promise<number> {
  const [cmd, base] = cliCommand();
  const p = spawn(cmd, [...base, "__create-labeled"], { stdio: ["pipe", "pipe", "inherit"] });
  p.stdout.destroy();
  p.stdin.end(JSON.stringify(request));
  return new Promise((resolve) => p.on("exit", (code) => resolve(code ?? -1)));
}

function netnsId(ns: string): string {
  return runInNetns(ns, "readlink", ["/proc/self/ns/net"]).stdout.trim();
}

const OPTIONS = { name: "tap0", multiQueue: true, vnetHdr: true, mtu: 1400, up: true, owner: 7 };

rootTest("a labeled create's child makes the tap the request describes and prints it", async () => {
  await withScratchNetns((ns) => {
    const r = child({ options: OPTIONS, netns: { path: ns.path, id: netnsId(ns.name) } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const { tap } = JSON.parse(r.stdout);
    const link = ipLink(ns.name, "tap0");
    assert.equal(tap.ifindex, link.ifindex);
    assert.equal(tap.mac, link.address);
    assert.deepEqual([link.mtu, tap.owner, tap.multiQueue, tap.persist], [1400, 7, true, true]);
  });
});

rootTest("a labeled create's child reports EBUSY as JSON and leaves the existing tap", async () => {
  await withScratchNetns((ns) => {
    const request = { options: OPTIONS, netns: { path: ns.path, id: netnsId(ns.name) } };
    assert.equal(child(request).status, 0);
    const before = ipLink(ns.name, "tap0");
    const again = child(request);
    assert.equal(again.status, 1);
    assert.deepEqual(JSON.parse(again.stdout).error, {
      detail: "device or resource busy",
      errno: 16,
      syscall: "ioctl(TUNSETIFF)",
      invalidInput: false,
    });
    assert.equal(ipLink(ns.name, "tap0").ifindex, before.ifindex);
  });
});

rootTest("a labeled create's child refuses a netns path that now names another netns", async () => {
  await withScratchNetns((ns) => {
    const r = child({ options: OPTIONS, netns: { path: ns.path, id: "net:[1]" } });
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.errno, 116);
    assert.deepEqual(ipTuntaps(ns.name), []);
  });
});

rootTest(
  "a labeled create's child removes the tap when its reply cannot be delivered",
  async () => {
    await withScratchNetns(async (ns) => {
      const request = { options: OPTIONS, netns: { path: ns.path, id: netnsId(ns.name) } };
      assert.equal(await orphanedChild(request), 1);
      assert.deepEqual(ipTuntaps(ns.name), [], "the undelivered tap was left behind");
    });
  },
);
