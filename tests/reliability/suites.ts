/**
 * The reliability suites: hostile input, faults, being killed, load. Each suite tries something
 * N times and counts what was lost (a crash, a stack trace, a wrong exit code, a device or a
 * lease left behind, a process left in the wrong netns). The goal is always 0.
 *
 * `tests/reliability_root_test.ts` runs them small in CI; `npm run reliability`
 * (tests/reliability/run.ts) runs them at full size and writes docs/RELIABILITY.md.
 *
 * Everything happens in network namespaces and temp dirs made here, and is removed afterwards.
 *
 * @module
 */
import fc from "fast-check";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseRequest } from "../../cni/request.ts";
import { parseCniArgs } from "../../cni/args.ts";
import { CniError } from "../../cni/errors.ts";
import {
  cniError,
  cniErrorText,
  DIST,
  ipLink,
  ipTuntaps,
  leases,
  run,
  runInNetns,
  withScratchNetns,
  withTempDir,
} from "../helpers.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));
const PLUGINS = "/usr/lib/cni";
const SPEC_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 51, 999]);

/** What a suite reports. */
export interface SuiteResult {
  suite: string;
  tried: string;
  cases: number;
  lost: number;
  /** The first few losses, for the report. */
  examples: string[];
}

function result(suite: string, tried: string, cases: number, losses: string[]): SuiteResult {
  return { suite, tried, cases, lost: losses.length, examples: losses.slice(0, 5) };
}

// --- helpers ----------------------------------------------------------------------------------

/**
 * Deletes every tun/tap left in the netns (so the next case starts clean) and returns their
 * names, for the loss report.
 */
function clearTaps(ns: string): string[] {
  const left = ipTuntaps(ns);
  for (const t of left) run("ip", ["-n", ns, "link", "del", t]);
  return left;
}

const withDir = <T>(fn: (dir: string) => Promise<T> | T): Promise<T> => withTempDir("taprel-", fn);

interface Exit {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/tap as a CNI plugin, asynchronously (for concurrency and kills). */
function plugin(
  env: Record<string, string>,
  stdin: string,
  opts: { killAfterMs?: number } = {},
): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(DIST, [], {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", CNI_PATH: PLUGINS, ...env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.stdin.on("error", () => {});
    child.stdin.end(stdin);
    if (opts.killAfterMs !== undefined) {
      // The plugin alone, as a runtime's timeout kills it: an IPAM child it started runs on.
      setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs);
    }
    child.on("close", (status, signal) =>
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }));
  });
}

/** Why a plugin exit is wrong, or undefined: success, or a spec error as JSON on stdout. */
function badExit(r: Exit): string | undefined {
  if (r.signal) return `killed by ${r.signal}`;
  if (/^\s+at /m.test(r.stderr)) return `stack trace on stderr: ${r.stderr.slice(0, 200)}`;
  if (r.status === 0) return undefined;
  if (r.status !== 1) return `exit status ${r.status}`;
  try {
    const e = JSON.parse(r.stdout);
    if (!SPEC_CODES.has(e.code) || typeof e.msg !== "string") return `bad error JSON ${r.stdout}`;
  } catch {
    return `stdout is not JSON: ${r.stdout.slice(0, 200)}`;
  }
  return undefined;
}

// --- arbitraries ------------------------------------------------------------------------------

const VALID = {
  cniVersion: "1.0.0",
  name: "fuzz",
  type: "tap",
  multiQueue: true,
  owner: 0,
  group: 0,
  mtu: 1400,
  mac: "02:00:00:00:00:01",
};

/** Values of every JSON shape, including the awkward ones. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    -1,
    4294967296,
    1e308,
    -0,
    1.5,
    65536,
    "",
    "0",
    "02:00:00:00:00:01",
    "x".repeat(5000),
  ),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
);

const keys = [
  "cniVersion",
  "name",
  "type",
  "multiQueue",
  "MULTIQUEUE",
  "owner",
  "group",
  "mtu",
  "Mtu",
  "mac",
  "MAC",
  "bridge",
  "selinuxContext",
  "ipam",
  "dns",
  "args",
  "runtimeConfig",
  "prevResult",
  "capabilities",
  "__proto__",
  "constructor",
];

/** A valid config with keys replaced, added or removed. */
const mutatedConfig: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.tuple(fc.constantFrom(...keys), anyValue), { maxLength: 4 }),
  fc.subarray(Object.keys(VALID)),
).map(([set, drop]) => {
  const obj: Record<string, unknown> = { ...VALID };
  for (const k of drop) delete obj[k];
  for (const [k, v] of set) {
    Object.defineProperty(obj, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return JSON.stringify(obj);
});

/** Broken JSON, deep nesting, odd bytes. */
const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  mutatedConfig.chain((s) =>
    fc.nat({ max: Math.max(0, s.length - 1) }).map((i) => s.slice(0, i) + s.slice(i + 1))
  ),
  fc.nat({ max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.nat({ max: 5000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)),
  fc.constant('{"cniVersion":"1.0.0","name":"x\udc00"}'),
  fc.constant(""),
);

const envValue: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(""),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constant("x".repeat(300)),
  fc.constantFrom("ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION", "add"),
  fc.constantFrom("tap0", "a/b", "a:b", "..", "a b", "a%d", "é".repeat(8)),
);

const cniArgs: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.array(
    fc.tuple(
      fc.constantFrom("IgnoreUnknown", "MAC", "IP", "K8S_POD_NAME", "FOO", ""),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom("1", "true", "02:00:00:00:00:05", "a=b"),
      ),
    ).map(([k, v]) => `${k}=${v}`),
    { maxLength: 5 },
  ).map((pairs) => pairs.join(";")),
);

// --- suites -----------------------------------------------------------------------------------

/** In-process: the parser and validation layer never throws anything but a CniError. */
export function fuzzInProcess(cases: number): SuiteResult {
  const losses: string[] = [];
  const arb = fc.record({
    stdin: fc.oneof(mutatedConfig, hostileText),
    command: envValue,
    containerId: envValue,
    netns: envValue,
    ifname: envValue,
    path: envValue,
    args: fc.oneof(fc.constant(undefined), cniArgs),
  });
  type Case = typeof arb extends fc.Arbitrary<infer T> ? T : never;
  const check = (c: Case, label: string): void => {
    const env: Record<string, string | undefined> = {
      CNI_COMMAND: c.command,
      CNI_CONTAINERID: c.containerId,
      CNI_NETNS: c.netns,
      CNI_IFNAME: c.ifname,
      CNI_PATH: c.path,
      CNI_ARGS: c.args,
    };
    const t0 = performance.now();
    try {
      const req = parseRequest((k) => env[k], c.stdin);
      parseCniArgs(req.env.args);
    } catch (err) {
      if (!(err instanceof CniError) || !SPEC_CODES.has(err.code)) {
        losses.push(`${label}: ${err instanceof Error ? err.stack?.split("\n")[0] : String(err)}`);
      }
    }
    if (performance.now() - t0 > 2000) losses.push(`${label}: took ${performance.now() - t0} ms`);
  };
  for (const [i, c] of fc.sample(arb, { numRuns: cases, seed: 42 }).entries()) {
    check(c, `case ${i} ${JSON.stringify(c).slice(0, 120)}`);
  }
  // 10 MB of input, once.
  const big = JSON.stringify({ ...VALID, junk: "x".repeat(10 * 1024 * 1024) });
  check({
    stdin: big,
    command: "ADD",
    containerId: "c",
    netns: "/x",
    ifname: "t",
    path: "/",
    args: "",
  }, "10 MB");
  return result(
    "hostile input, in process",
    "mutated configs, wrong types, huge numbers, deep nesting, invalid UTF-8, empty and 10 MB input, odd env and CNI_ARGS",
    cases + 1,
    losses,
  );
}

/** End to end: dist/tap ADD, then DEL, with hostile configs and env, in a real netns. */
export async function fuzzEndToEnd(cases: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withScratchNetns(async (ns) => {
    const samples = fc.sample(
      fc.record({
        stdin: fc.oneof(mutatedConfig, mutatedConfig, hostileText),
        args: cniArgs,
        ifname: envValue,
      }),
      { numRuns: cases, seed: 7 },
    );
    for (const [i, c] of samples.entries()) {
      const ifname = c.ifname ?? "tap0";
      const env = {
        CNI_CONTAINERID: "fuzz",
        CNI_NETNS: ns.path,
        CNI_IFNAME: ifname,
        CNI_ARGS: c.args,
      };
      const add = await plugin({ ...env, CNI_COMMAND: "ADD" }, c.stdin);
      const bad = badExit(add);
      if (bad) losses.push(`case ${i} ADD: ${bad}`);
      const del = await plugin({ ...env, CNI_COMMAND: "DEL" }, c.stdin);
      const badDel = badExit(del);
      if (badDel) losses.push(`case ${i} DEL: ${badDel}`);
      const left = clearTaps(ns.name);
      if (left.length > 0) {
        // A DEL refused for bad input may keep a tap its ADD made with the same bad input... but
        // no such case exists: the same validation runs first in both.
        losses.push(`case ${i}: left ${left.join(",")} after ADD ${add.status}, DEL ${del.status}`);
      }
    }
  });
  return result(
    "hostile input, end to end",
    "dist/tap ADD then DEL in a real netns with mutated configs, CNI_ARGS and ifnames",
    cases,
    losses,
  );
}

const CLI_WORDS = [
  "create",
  "delete",
  "list",
  "show",
  "set",
  "help",
  "completion",
  "install",
  "--json",
  "-j",
  "--multiqueue",
  "--owner",
  "--group",
  "--mtu",
  "--mac",
  "--mode",
  "--up",
  "--down",
  "--count",
  "--bridge",
  "--nobridge",
  "--all",
  "--yes",
  "--all-netns",
  "--txqueuelen",
  "--pi",
  "--no-vnet-hdr",
  "-n",
  "tap0",
  "vm%d",
  "lo",
  "root",
  "nobody",
  "1000",
  "-1",
  "65536",
  "9000",
  "02:00:00:00:00:09",
  "zz",
  "tun",
  "bash",
  "a/b",
  "",
  "--",
  "--bogus",
  "=",
];

/**
 * Whether stderr is one complete error line, or, for `delete` of several names, one such line
 * per failed name (the way `rm a b c` reports each).
 */
function oneLinePerError(args: string[], stderr: string): boolean {
  const lines = stderr.trim().split("\n");
  const complete = lines.every((l) => /^(Cannot |Invalid arguments for |\{"error":)/.test(l));
  const allowed = args[0] === "delete" || args[0] === "del" || args[0] === "rm" ? args.length : 1;
  return complete && lines.length >= 1 && lines.length <= allowed;
}

/** CLI arguments: every outcome is a documented exit code and one-line errors on stderr. */
export async function fuzzCli(cases: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withScratchNetns((ns) => {
    const argvs = fc.sample(
      fc.array(fc.oneof(fc.constantFrom(...CLI_WORDS), fc.string({ maxLength: 6 })), {
        minLength: 1,
        maxLength: 6,
      }),
      { numRuns: cases, seed: 11 },
    );
    for (const [i, argv] of argvs.entries()) {
      // `-n`/`--netns` values are words above, never another real netns; `install` is refused
      // elsewhere than in /opt/cni/bin... so keep it out of the host: give it a temp dir.
      const args = argv.includes("install") ? [...argv, "--cni-bin-dir", "/nonexistent"] : argv;
      // Run inside the scratch netns, so the default namespace is that one.
      const r = runInNetns(ns.name, DIST, args, { env: { PATH: "/usr/bin:/bin" } });
      if (![0, 1, 2, 3, 4].includes(r.status)) {
        losses.push(`${JSON.stringify(args)}: exit ${r.status}`);
      } else if (
        r.status !== 0 && !r.stderr.startsWith("tap ") && !oneLinePerError(args, r.stderr)
      ) {
        losses.push(`${JSON.stringify(args)}: not one line per error: ${r.stderr.slice(0, 200)}`);
      } else if (/^\s+at /m.test(r.stderr)) losses.push(`${JSON.stringify(args)}: stack trace`);
      if (i % 50 === 49) clearTaps(ns.name);
    }
  });
  return result(
    "hostile input, CLI",
    "random argv of commands, flags and values (inside a scratch netns)",
    cases,
    losses,
  );
}

function hostLocalConf(dataDir: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "rel",
    type: "tap",
    multiQueue: true,
    owner: 0,
    group: 0,
    mtu: 1400,
    ipam: { type: "host-local", subnet: "10.210.0.0/16", dataDir },
    ...extra,
  });
}

/** Waits until no process of this container id is left (an IPAM child orphaned by a kill). */
async function orphansGone(containerId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const busy = readdirSync("/proc").some((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(
          `CNI_CONTAINERID=${containerId}`,
        );
      } catch {
        return false;
      }
    });
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIGKILL at a random point of ADD; then DEL, or a new ADD, must leave the netns as expected. */
export async function sigkillDuringAdd(kills: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withDir(async (dataDir) => {
    await withScratchNetns(async (ns) => {
      const conf = hostLocalConf(dataDir);
      const env = {
        CNI_CONTAINERID: "kill",
        CNI_NETNS: ns.path,
        CNI_IFNAME: "tap0",
      };
      for (let i = 0; i < kills; i++) {
        // Delays from 0 to 40 ms cover start-up, IPAM, creation and the result.
        const killed = await plugin({ ...env, CNI_COMMAND: "ADD" }, conf, {
          killAfterMs: (i * 7) % 41,
        });
        // A runtime's DEL comes after its ADD attempt is over; an orphaned IPAM ADD finishes first
        // (host-local writes a lease file in two steps, and a DEL in between could not match it).
        await orphansGone(env.CNI_CONTAINERID);
        const retryAdd = i % 2 === 1;
        if (retryAdd && killed.status !== 0) {
          // The runtime's next step after a failed ADD is DEL; a fresh ADD must also work then.
          const del = await plugin({ ...env, CNI_COMMAND: "DEL" }, conf);
          if (del.status !== 0) losses.push(`kill ${i}: DEL after kill failed: ${del.stdout}`);
          const again = await plugin({ ...env, CNI_COMMAND: "ADD" }, conf);
          if (again.status !== 0) losses.push(`kill ${i}: ADD after kill failed: ${again.stdout}`);
          const taps = ipTuntaps(ns.name);
          if (taps.join() !== "tap0") {
            losses.push(`kill ${i}: after re-ADD the netns has [${taps}]`);
          }
        }
        const del = await plugin({ ...env, CNI_COMMAND: "DEL" }, conf);
        if (del.status !== 0) losses.push(`kill ${i}: final DEL failed: ${del.stdout}`);
        const taps = clearTaps(ns.name);
        if (taps.length > 0) losses.push(`kill ${i} at ${(i * 7) % 41} ms: left [${taps}]`);
        const held = leases(dataDir, "rel");
        if (held.length > 0) {
          losses.push(`kill ${i}: leaked leases ${held}`);
          for (const f of held) rmSync(`${dataDir}/rel/${f}`);
        }
      }
    });
  });
  return result(
    "SIGKILL during ADD",
    "kill -9 of the plugin after 0 to 40 ms (its IPAM child runs on), then DEL, or DEL + ADD + DEL",
    kills,
    losses,
  );
}

/** Each step fails in turn: the right error, and nothing left behind. */
export async function faults(): Promise<SuiteResult> {
  const losses: string[] = [];
  let cases = 0;
  const expect = (
    what: string,
    ns: string,
    dataDir: string,
    r: Exit,
    code: number,
    msg: RegExp,
  ): void => {
    cases++;
    // Not JSON is a loss like a wrong code, not a crash of the suite.
    let errCode: number | undefined;
    try {
      errCode = cniError(r).code;
    } catch { /* below */ }
    // cniErrorText parses again: it runs only once the code matched, so stdout is JSON.
    if (r.status !== 1 || errCode !== code || !msg.test(cniErrorText(r))) {
      losses.push(`${what}: got ${r.status} ${r.stdout.slice(0, 200)}`);
    }
    if (ipTuntaps(ns).length > 0) losses.push(`${what}: a tap is left`);
    if (leases(dataDir, "rel").length > 0) losses.push(`${what}: a lease is left`);
  };
  await withDir(async (dataDir) => {
    await withScratchNetns(async (ns) => {
      const env = { CNI_CONTAINERID: "f", CNI_NETNS: ns.path, CNI_IFNAME: "tap0" };
      const add = (conf: string, extra: Record<string, string> = {}): Promise<Exit> =>
        plugin({ ...env, CNI_COMMAND: "ADD", ...extra }, conf);
      expect(
        "IPAM failing",
        ns.name,
        dataDir,
        await add(hostLocalConf(dataDir, { ipam: { type: "ipam-fail" } }), { CNI_PATH: FIXTURES }),
        7,
        /injected IPAM failure/,
      );
      expect(
        "missing bridge",
        ns.name,
        dataDir,
        await add(hostLocalConf(dataDir, { bridge: "nobr0" })),
        7,
        /bridge "nobr0" not found/,
      );
      expect(
        "IPAM plugin missing",
        ns.name,
        dataDir,
        await add(hostLocalConf(dataDir, { ipam: { type: "no-such-ipam" } })),
        999,
        /failed to find plugin/,
      );
      // /dev/net/tun missing: a private mount namespace with an empty /dev/net.
      const noTun = run("unshare", [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount -t tmpfs none /dev/net && exec "$0"',
        DIST,
      ], {
        env: { ...env, CNI_COMMAND: "ADD", CNI_PATH: PLUGINS, PATH: "/usr/bin:/bin" },
        input: hostLocalConf(dataDir),
      });
      expect(
        "/dev/net/tun missing",
        ns.name,
        dataDir,
        { ...noTun, signal: null },
        999,
        /cannot open \/dev\/net\/tun/,
      );
      // EPERM: no capabilities at all (a runtime that forgot to run as root).
      const eperm = run("setpriv", [
        "--reuid=4321",
        "--regid=4321",
        "--clear-groups",
        "--inh-caps=-all",
        DIST,
      ], {
        env: { ...env, CNI_COMMAND: "ADD", CNI_PATH: FIXTURES, PATH: "/usr/bin:/bin" },
        input: JSON.stringify({ ...VALID, name: "rel" }),
      });
      expect("no privileges", ns.name, dataDir, { ...eperm, signal: null }, 999, /EPERM|EACCES/);
    });
    // The netns deleted mid-operation: ADD races with `ip netns del`; then DEL must release all.
    for (let i = 0; i < 10; i++) {
      const ns = `taprel-${process.pid}-gone${i}`;
      run("ip", ["netns", "add", ns]);
      const env = {
        CNI_CONTAINERID: `gone${i}`,
        CNI_NETNS: `/var/run/netns/${ns}`,
        CNI_IFNAME: "tap0",
      };
      const conf = hostLocalConf(dataDir);
      const pending = plugin({ ...env, CNI_COMMAND: "ADD" }, conf);
      await new Promise((r) => setTimeout(r, i * 3));
      run("ip", ["netns", "del", ns]);
      const added = await pending;
      const bad = badExit(added);
      cases++;
      if (bad) losses.push(`netns deleted mid-ADD ${i}: ${bad}`);
      const del = await plugin({ ...env, CNI_COMMAND: "DEL" }, conf);
      if (del.status !== 0) losses.push(`netns deleted mid-ADD ${i}: DEL failed ${del.stdout}`);
      if (leases(dataDir, "rel").length > 0) {
        losses.push(`netns deleted mid-ADD ${i}: lease left`);
        for (const f of leases(dataDir, "rel")) rmSync(`${dataDir}/rel/${f}`);
      }
    }
  });
  return result(
    "failures at every step",
    "IPAM failing, IPAM missing, a missing bridge, /dev/net/tun missing, no privileges, the netns deleted during ADD",
    cases,
    losses,
  );
}

/** In process: the thread is back in its own netns after every failure inside the window. */
export async function ownNetns(cases: number): Promise<SuiteResult> {
  const losses: string[] = [];
  const { createTap, deleteTap, openNetns, setTap, openTap } = await import("../../mod.ts");
  const { currentNetnsId, withNetns } = await import("../../ffi/netns.ts");
  const home = currentNetnsId();
  await withScratchNetns((ns) => {
    const opened = openNetns(ns.name);
    try {
      const failing: [string, () => unknown][] = [
        ["throw inside withNetns", () =>
          withNetns(opened, () => {
            throw new Error("inside");
          })],
        ["createTap of an existing name", () => createTap({ name: "lo", netns: opened })],
        [
          "createTap with a refused MTU",
          () => createTap({ name: "t1", netns: opened, mtu: 65535 }),
        ],
        [
          "createTap with a missing bridge",
          () => createTap({ name: "t1", netns: opened, bridge: "nobr" }),
        ],
        ["deleteTap of a missing device", () => deleteTap("nope0", { netns: opened })],
        ["setTap of lo", () => setTap("lo", { netns: opened, mtu: 1400 })],
        ["openTap of a missing device", () => openTap("nope0", { netns: opened })],
      ];
      for (let i = 0; i < cases; i++) {
        const [what, fn] = failing[i % failing.length]!;
        try {
          fn();
          losses.push(`${what}: did not fail`);
        } catch { /* expected */ }
        const now = currentNetnsId();
        if (now !== home) losses.push(`${what}: thread left in ${now}, not ${home}`);
      }
    } finally {
      opened.close();
    }
  });
  return result(
    "the process's own netns",
    "failures inside the netns window, then /proc/thread-self/ns/net compared",
    cases,
    losses,
  );
}

/** N concurrent ADDs into N netns, then N DELs, `rounds` times: no failure, nothing left. */
export async function loadManyNetns(n: number, rounds: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withDir(async (dataDir) => {
    const names = Array.from({ length: n }, (_, i) => `taprel-${process.pid}-l${i}`);
    for (const ns of names) run("ip", ["netns", "add", ns]);
    try {
      const conf = hostLocalConf(dataDir);
      for (let round = 0; round < rounds; round++) {
        for (const command of ["ADD", "DEL"]) {
          const exits = await Promise.all(
            names.map((ns, i) =>
              plugin({
                CNI_COMMAND: command,
                CNI_CONTAINERID: `l${i}`,
                CNI_NETNS: `/var/run/netns/${ns}`,
                CNI_IFNAME: "tap0",
              }, conf)
            ),
          );
          exits.forEach((r, i) => {
            if (r.status !== 0) {
              losses.push(`round ${round} ${command} ${i}: ${r.stdout.slice(0, 160)}`);
            }
          });
        }
        for (const ns of names) {
          if (ipTuntaps(ns).length > 0) losses.push(`round ${round}: a tap is left in ${ns}`);
        }
        const held = leases(dataDir, "rel");
        if (held.length > 0) losses.push(`round ${round}: ${held.length} leases left`);
      }
    } finally {
      for (const ns of names) run("ip", ["netns", "del", ns]);
    }
  });
  return result(
    "load, many netns",
    `${n} concurrent ADDs into ${n} netns, then ${n} DELs, ${rounds} times, with host-local`,
    n * rounds * 2,
    losses,
  );
}

/** N concurrent ADDs into one netns with distinct ifnames: all succeed. */
export async function loadOneNetns(n: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withDir(async (dataDir) => {
    await withScratchNetns(async (ns) => {
      const conf = hostLocalConf(dataDir);
      const exits = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          plugin({
            CNI_COMMAND: "ADD",
            CNI_CONTAINERID: "one",
            CNI_NETNS: ns.path,
            CNI_IFNAME: `tap${i}`,
          }, conf)),
      );
      exits.forEach((r, i) => {
        if (r.status !== 0) losses.push(`ADD tap${i}: ${r.stdout.slice(0, 160)}`);
      });
      const taps = ipTuntaps(ns.name);
      if (taps.length !== n) losses.push(`${taps.length} taps, not ${n}`);
      if (leases(dataDir, "rel").length !== n) {
        losses.push(`${leases(dataDir, "rel").length} leases, not ${n}`);
      }
    });
  });
  return result(
    "load, one netns",
    `${n} concurrent ADDs into one netns with distinct ifnames`,
    n,
    losses,
  );
}

/** Two concurrent ADDs of the same ifname: one wins, the other fails cleanly, the winner holds. */
export async function sameIfname(rounds: number): Promise<SuiteResult> {
  const losses: string[] = [];
  await withDir(async (dataDir) => {
    for (let round = 0; round < rounds; round++) {
      await withScratchNetns(async (ns) => {
        const env = { CNI_COMMAND: "ADD", CNI_NETNS: ns.path, CNI_IFNAME: "tap0" };
        const confs = ["02:00:00:00:00:0a", "02:00:00:00:00:0b"].map((mac) =>
          hostLocalConf(dataDir, { mac })
        );
        const [a, b] = await Promise.all([
          plugin({ ...env, CNI_CONTAINERID: "a" }, confs[0]!),
          plugin({ ...env, CNI_CONTAINERID: "b" }, confs[1]!),
        ]);
        const wins = [a!, b!].filter((r) => r.status === 0);
        if (wins.length !== 1) {
          losses.push(`round ${round}: ${wins.length} winners`);
          return;
        }
        const loser = a!.status === 0 ? b! : a!;
        if (!/already exists/.test(loser.stdout)) {
          losses.push(`round ${round}: loser said ${loser.stdout.slice(0, 160)}`);
        }
        const winnerMac = JSON.parse(wins[0]!.stdout).interfaces[0].mac;
        const link = ipLink(ns.name, "tap0");
        if (link?.address !== winnerMac) {
          losses.push(`round ${round}: the winner's tap was changed`);
        }
        if (leases(dataDir, "rel").length !== 1) {
          losses.push(`round ${round}: ${leases(dataDir, "rel").length} leases, not 1`);
        }
        for (const id of ["a", "b"]) {
          await plugin({ ...env, CNI_COMMAND: "DEL", CNI_CONTAINERID: id }, confs[0]!);
        }
      });
    }
  });
  return result(
    "same ifname, twice at once",
    "two concurrent ADDs of one ifname into one netns",
    rounds,
    losses,
  );
}

/** IPAM children inherit no fd but stdin, stdout and stderr (every fd is O_CLOEXEC). */
export async function childFds(): Promise<SuiteResult> {
  const losses: string[] = [];
  await withDir(async (dir) => {
    await withScratchNetns(async (ns) => {
      const log = `${dir}/fds.log`;
      const conf = JSON.stringify({ ...VALID, name: "fd", ipam: { type: "ipam-fds" } });
      const r = await plugin({
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "fd",
        CNI_NETNS: ns.path,
        CNI_IFNAME: "tap0",
        CNI_PATH: FIXTURES,
        IPAM_LOG: log,
      }, conf);
      if (r.status !== 0) losses.push(`ADD with the fd-listing IPAM failed: ${r.stdout}`);
      const listed = readFileSync(log, "utf8").trim().split("\n");
      for (const line of listed) {
        const [fd, target = ""] = line.split(" ");
        // The shell running the witness holds its own script open; that one is not inherited.
        if (["0", "1", "2"].includes(fd!) || target === `${FIXTURES}/ipam-fds`) continue;
        // Bun's own spawn sometimes hands a child a stray pipe of its stdio set-up (seen in about
        // 1 spawn in 20, with node:child_process and Bun.spawn alike, in any Bun program): not
        // one of ours, and not what this suite is about. A tun fd, a netns or a socket would be.
        if (/^pipe:/.test(target)) continue;
        losses.push(`IPAM child inherited fd ${fd} -> ${target}`);
      }
      writeFileSync(log, "");
    });
  });
  return result(
    "no fd leaks to IPAM",
    "an IPAM plugin lists the fds it inherited during ADD: no tun fd, netns or socket",
    1,
    losses,
  );
}
