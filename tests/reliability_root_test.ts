/**
 * The reliability suites (tests/reliability/suites.ts) at CI size, against dist/tap, plus the
 * security rules. `npm run reliability` runs the same suites at full size. They test the built
 * binary, not the runtime, so they run once: in the Bun pass of tests/run.sh.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  CLI,
  cni,
  cniError,
  DIST,
  isRoot,
  leases,
  rootTest,
  run,
  runtime,
  withScratchNetns,
  withTempDir,
} from "./helpers.ts";
import * as suites from "./reliability/suites.ts";

const skip = !isRoot
  ? "needs root"
  : runtime !== "bun"
  ? "runs once, in the Bun pass, against dist/tap"
  : false;

function assertNoLoss(r: suites.SuiteResult): void {
  assert.ok(existsSync(DIST), "dist/tap is missing: run `npm run build`");
  assert.equal(r.lost, 0, `${r.suite}: ${r.examples.join("; ")}`);
  assert.ok(r.cases > 0);
}

const SMALL: [string, () => suites.SuiteResult | Promise<suites.SuiteResult>][] = [
  [
    "hostile configs, env and CNI_ARGS in process: only spec errors",
    () => suites.fuzzInProcess(2000),
  ],
  ["hostile configs end to end: spec errors and no device left", () => suites.fuzzEndToEnd(40)],
  ["hostile CLI arguments: documented exit codes and one-line errors", () => suites.fuzzCli(80)],
  ["SIGKILL during ADD leaves nothing a DEL does not clean up", () => suites.sigkillDuringAdd(24)],
  ["a failure at every step gives the right error and leaves nothing", () => suites.faults()],
  ["the thread is back in its own netns after every failure", () => suites.ownNetns(30)],
  ["concurrent ADDs and DELs into many netns lose nothing", () => suites.loadManyNetns(30, 1)],
  ["concurrent ADDs into one netns all succeed", () => suites.loadOneNetns(20)],
  ["two ADDs of one ifname at once: one wins, the winner is untouched", () => suites.sameIfname(5)],
  ["IPAM children inherit no fd of the plugin", () => suites.childFds()],
];
for (const [name, fn] of SMALL) {
  test(name, { skip }, async () => assertNoLoss(await fn()));
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PRODUCT = [
  "cli.ts",
  "mod.ts",
  ...["ffi", "core", "cni"].flatMap((d) =>
    readdirSync(`${ROOT}/${d}`).filter((f) => f.endsWith(".ts")).map((f) => `${d}/${f}`)
  ),
];

test("the product runs no shell and no iproute2", () => {
  for (const file of PRODUCT) {
    const code = readFileSync(`${ROOT}/${file}`, "utf8");
    for (
      const bad of [
        // A spawn of ip or a shell, in any of the runtimes' spellings.
        /(spawn|spawnSync|execFile|execFileSync|Command)\(\s*["'`](\/s?bin\/|\/usr\/s?bin\/)?(ip|sh|bash)["'`]/,
        /shell:\s*true/,
        /execSync|\bexec\(/,
      ]
    ) {
      assert.doesNotMatch(code, bad, `${file} matches ${bad}`);
    }
  }
});

/** Exactly the documented Deno permission set of the CNI path. */
const DENO_FLAGS = [
  "--no-prompt",
  "--allow-ffi",
  "--allow-env=CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH,CNI_NETNS_OVERRIDE,TAP_LIBC,TAP_DEBUG",
];

test("the CNI path runs under Deno with exactly the documented permissions", {
  skip: isRoot ? (runtime === "deno" ? false : "runs in the Deno pass") : "needs root",
}, async () => {
  await withTempDir("tap-perm-", async (dataDir) => {
    await withScratchNetns((ns) => {
      const env = {
        ...(process.env as Record<string, string>),
        CNI_CONTAINERID: "perm",
        CNI_NETNS: ns.path,
        CNI_IFNAME: "tap0",
        CNI_PATH: "/usr/lib/cni",
      };
      const deno = process.execPath;
      const plain = JSON.stringify({
        cniVersion: "1.0.0",
        name: "perm",
        type: "tap",
        multiQueue: true,
      });
      for (const command of ["ADD", "CHECK", "DEL"]) {
        const input = command === "CHECK"
          ? plain.replace("}", ',"prevResult":{"cniVersion":"1.0.0","interfaces":[]}}')
          : plain;
        const r = run(deno, ["run", ...DENO_FLAGS, CLI], {
          env: { ...env, CNI_COMMAND: command },
          input,
        });
        if (command === "CHECK") {
          const msg = cniError(r).msg;
          assert.match(msg, /no interface "tap0"/, "CHECK ran as far as prevResult");
        } else assert.equal(r.status, 0, `${command}: ${r.stdout}${r.stderr}`);
      }
      // With IPAM, --allow-run for the one plugin it runs.
      const withIpam = JSON.stringify({
        cniVersion: "1.0.0",
        name: "perm",
        type: "tap",
        ipam: { type: "host-local", subnet: "10.212.0.0/24", dataDir },
      });
      const flags = [...DENO_FLAGS, "--allow-run=/usr/lib/cni/host-local"];
      for (const command of ["ADD", "DEL"]) {
        const r = run(deno, ["run", ...flags, CLI], {
          env: { ...env, CNI_COMMAND: command },
          input: withIpam,
        });
        assert.equal(r.status, 0, `${command} with IPAM: ${r.stdout}${r.stderr}`);
      }
      // host-local ran (its network's dir exists) and DEL released what ADD reserved.
      assert.ok(existsSync(`${dataDir}/perm`), "host-local kept no state in dataDir");
      assert.deepEqual(leases(dataDir, "perm"), []);
    });
  });
});

rootTest(
  "stderr carries no config by default; TAP_DEBUG=1 gives JSON lines without it",
  async () => {
    await withScratchNetns((ns) => {
      const conf = {
        cniVersion: "1.0.0",
        name: "log",
        type: "tap",
        args: { secret: "hunter2-do-not-log" },
      };
      const quiet = cni({ command: "ADD", netns: ns.path }, conf);
      assert.equal(quiet.status, 0, quiet.stdout);
      assert.equal(quiet.stderr, "");
      const loud = cni({ command: "DEL", netns: ns.path, extraEnv: { TAP_DEBUG: "1" } }, conf);
      assert.equal(loud.status, 0);
      const lines = loud.stderr.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.event), ["start", "done"]);
      assert.equal(lines[0].ifname, "tap0");
      assert.doesNotMatch(loud.stderr, /hunter2/);
    });
  },
);
