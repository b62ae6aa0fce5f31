/**
 * The compiled binary, dist/tap (tests/run.sh builds it first), copied alone into an empty
 * directory: no Deno, Bun or node_modules beside it. It must pass the CNI ADD/CHECK/DEL scenario
 * and the CLI's create/list/delete, and install itself atomically.
 */
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, existsSync, statSync, writeFileSync } from "node:fs";
import {
  DIST,
  ipLink,
  ipTuntaps,
  rootTest,
  run,
  withScratchNetns,
  withTempDir,
} from "./helpers.ts";

/** Runs `fn` with dist/tap copied alone into a fresh directory, with PATH holding nothing else. */
function withLoneBinary(fn: (bin: string, dir: string) => void | Promise<void>): Promise<void> {
  return withTempDir("tap-dist-", async (dir) => {
    copyFileSync(DIST, `${dir}/tap`);
    chmodSync(`${dir}/tap`, 0o755);
    await fn(`${dir}/tap`, dir);
  });
}

/** Runs the binary with a minimal environment: no PATH entries with runtimes in them. */
function bin(
  path: string,
  args: string[],
  env: Record<string, string> = {},
  input = "",
): ReturnType<typeof run> {
  return run(path, args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env }, input });
}

rootTest("dist/tap alone passes the CNI ADD, CHECK, DEL, DEL scenario", async () => {
  await withLoneBinary(async (tap, dir) => {
    await withScratchNetns((ns) => {
      const conf = {
        cniVersion: "1.0.0",
        name: "t",
        type: "tap",
        multiQueue: true,
        owner: 0,
        group: 0,
        mtu: 1400,
      };
      const env = { CNI_CONTAINERID: "c1", CNI_NETNS: ns.path, CNI_IFNAME: "tap0", CNI_PATH: dir };
      const add = bin(tap, [], { ...env, CNI_COMMAND: "ADD" }, JSON.stringify(conf));
      assert.equal(add.status, 0, add.stdout + add.stderr);
      const result = JSON.parse(add.stdout);
      assert.equal(result.interfaces[0].mac, ipLink(ns.name, "tap0").address);
      assert.equal(ipLink(ns.name, "tap0").mtu, 1400);
      const check = bin(
        tap,
        [],
        { ...env, CNI_COMMAND: "CHECK" },
        JSON.stringify({ ...conf, prevResult: result }),
      );
      assert.equal(check.status, 0, check.stdout);
      for (let i = 0; i < 2; i++) {
        const del = bin(tap, [], { ...env, CNI_COMMAND: "DEL" }, JSON.stringify(conf));
        assert.equal(del.status, 0, del.stdout);
      }
      assert.deepEqual(ipTuntaps(ns.name), []);
      const version = bin(tap, [], { CNI_COMMAND: "VERSION" }, "");
      assert.match(version.stdout, /"supportedVersions":\["0\.1\.0"/);
    });
  });
});

rootTest("dist/tap ignores a .env and a bunfig.toml in its working directory", async () => {
  // A runtime execs the plugin as root from a directory it does not control: Bun's compiled
  // binaries would otherwise load .env (TAP_LIBC: any library) and bunfig.toml (preload: any
  // script) from there.
  await withLoneBinary((tap, dir) => {
    writeFileSync(`${dir}/.env`, "TAP_LIBC=/nonexistent/evil.so\n");
    writeFileSync(`${dir}/bunfig.toml`, 'preload = ["./evil.js"]\n');
    writeFileSync(
      `${dir}/evil.js`,
      `require("node:fs").writeFileSync(${JSON.stringify(`${dir}/ran`)}, "");\n`,
    );
    const env = {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: "DEL",
      CNI_CONTAINERID: "c1",
      CNI_NETNS: "/var/run/netns/tap-test-absent",
      CNI_IFNAME: "tap0",
      CNI_PATH: dir,
    };
    const del = run(tap, [], {
      env,
      input: '{"cniVersion":"1.0.0","name":"t","type":"tap"}',
      cwd: dir,
    });
    assert.equal(del.status, 0, del.stdout + del.stderr);
    assert.equal(existsSync(`${dir}/ran`), false, "bunfig.toml's preload ran");
    const list = run(tap, ["list"], { env: { PATH: env.PATH }, cwd: dir });
    assert.equal(list.status, 0, list.stderr);
  });
});

rootTest("dist/tap alone creates, lists and deletes", async () => {
  await withLoneBinary(async (tap) => {
    await withScratchNetns((ns) => {
      const made = bin(tap, [
        "create",
        "t0",
        "--multiqueue",
        "--owner",
        "1000",
        "--mtu",
        "1400",
        "-n",
        ns.name,
        "--up",
      ]);
      assert.equal(made.status, 0, made.stderr);
      const [listed] = JSON.parse(bin(tap, ["list", "-n", ns.name, "--json"]).stdout);
      assert.deepEqual([listed.name, listed.multiQueue, listed.owner, listed.mtu], [
        "t0",
        true,
        1000,
        1400,
      ]);
      assert.equal(bin(tap, ["delete", "t0", "-n", ns.name]).status, 0);
      assert.deepEqual(ipTuntaps(ns.name), []);
    });
  });
});

rootTest(
  "dist/tap install copies itself atomically and replaces other programs only with --force",
  async () => {
    await withLoneBinary((tap) =>
      withTempDir("tap-cnibin-", (target) => {
        const first = bin(tap, ["install", "--cni-bin-dir", target]);
        assert.equal(first.status, 0, first.stderr);
        assert.equal(first.stdout, `Installed ${target}/tap\n`);
        assert.equal(statSync(`${target}/tap`).mode & 0o777, 0o755);
        assert.match(bin(`${target}/tap`, ["--version"]).stdout, /^tap \d/);
        assert.match(
          bin(tap, ["install", "--cni-bin-dir", target]).stdout,
          /replaced an earlier tap/,
        );
        copyFileSync("/bin/true", `${target}/tap`);
        const refused = bin(tap, ["install", "--cni-bin-dir", target]);
        assert.equal(refused.status, 2);
        assert.match(
          refused.stderr,
          /a file of another program is there \(use --force to replace it\) \(EEXIST\)/,
        );
        assert.equal(bin(tap, ["install", "--cni-bin-dir", target, "--force"]).status, 0);
        assert.match(bin(`${target}/tap`, ["--version"]).stdout, /^tap \d/);
        assert.deepEqual(run("ls", ["-A", target]).stdout, "tap\n", "no temp file is left");
      })
    );
  },
);
