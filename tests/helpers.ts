/**
 * Shared test helpers: scratch network namespaces, spawning the CLI under the runtime that runs
 * the tests, and reading what the kernel reports through iproute2 (an independent witness; the
 * product itself never runs ip).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { randomBytes } from "node:crypto";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Integration tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN for setns). */
export const isRoot: boolean = process.getuid?.() === 0;

/** Why integration tests are skipped, or false when they run. */
const skipUnlessRoot: string | false = isRoot ? false : "needs root";

/**
 * Declares a test that needs root; it is skipped, visibly, elsewhere.
 *
 * @example Usage
 * ```ts
 * import { rootTest } from "./helpers.ts";
 * rootTest("creates a tap", async () => {});
 * ```
 */
export function rootTest(name: string, fn: () => void | Promise<void>): void {
  test(name, { skip: skipUnlessRoot }, fn);
}

/** Absolute path of cli.ts. */
export const CLI: string = fileURLToPath(new URL("../cli.ts", import.meta.url));

/** Absolute path of the compiled plugin, dist/tap (`npm run build`; tests/run.sh builds it). */
export const DIST: string = fileURLToPath(new URL("../dist/tap", import.meta.url));

/** A short unique suffix, so parallel runs never collide. */
export function uniq(): string {
  return randomBytes(3).toString("hex");
}

/** The result of a finished process. */
export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command synchronously and captures its output.
 *
 * @example Usage
 * ```ts
 * import { run } from "./helpers.ts";
 * run("true", []).status; // 0
 * ```
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Ran {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? (process.env as Record<string, string>),
    input: opts.input ?? "",
    cwd: opts.cwd,
    encoding: "utf8",
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The command line that runs a TypeScript file under the runtime running the tests, with the
 * given Deno permission flags (ignored elsewhere).
 */
export function tsCommand(file: string, denoFlags: string[]): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "--no-prompt", ...denoFlags, file]];
  return [process.execPath, runtime === "node" ? ["--import", "tsx", file] : [file]];
}

/** The command line that runs cli.ts under the runtime running the tests. */
export function cliCommand(): [string, string[]] {
  // The shebang's permissions, exactly.
  return tsCommand(CLI, [
    "--allow-ffi",
    "--allow-env",
    "--allow-run",
    "--allow-read=/etc/passwd,/etc/group,/var/run/netns",
  ]);
}

/**
 * This process's environment without any CNI_* variable, plus `extra`: a plugin run by a test
 * must see only the CNI_* variables the test gives it, never ones the test itself inherited.
 *
 * @example Usage
 * ```ts
 * import { envWithoutCni } from "./helpers.ts";
 * envWithoutCni({ CNI_COMMAND: "VERSION" }).CNI_COMMAND; // "VERSION"
 * ```
 */
export function envWithoutCni(extra: Record<string, string> = {}): Record<string, string> {
  const env = { ...process.env } as Record<string, string>;
  for (const k of Object.keys(env)) if (k.startsWith("CNI_")) delete env[k];
  return { ...env, ...extra };
}

/**
 * Runs the human CLI with `args`.
 *
 * @example Usage
 * ```ts
 * import { cli } from "./helpers.ts";
 * cli(["--version"]).stdout; // "tap 0.1.0\n"
 * ```
 */
export function cli(args: string[], env: Record<string, string> = {}): Ran {
  const [cmd, base] = cliCommand();
  return run(cmd, [...base, ...args], { env: envWithoutCni(env) });
}

/** The CNI_* variables of one plugin call. */
export interface CniCall {
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  path?: string;
  extraEnv?: Record<string, string>;
}

/**
 * Runs cli.ts as a CNI plugin with the given env and stdin config.
 *
 * @example Usage
 * ```ts
 * import { cni } from "./helpers.ts";
 * cni({ command: "VERSION" }, "").stdout;
 * ```
 */
export function cni(call: CniCall, config: unknown): Ran {
  const env: Record<string, string> = {
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? "ctr1",
    CNI_NETNS: call.netns ?? "",
    CNI_IFNAME: call.ifname ?? "tap0",
    CNI_ARGS: call.args ?? "",
    CNI_PATH: call.path ?? "/usr/lib/cni",
    ...call.extraEnv,
  };
  const [cmd, base] = cliCommand();
  return run(cmd, base, {
    env: envWithoutCni(env),
    input: typeof config === "string" ? config : JSON.stringify(config),
  });
}

/** A scratch network namespace made for one test. */
export interface ScratchNetns {
  name: string;
  path: string;
}

/**
 * Runs `fn` with a fresh network namespace, and always deletes it afterwards (with every device
 * in it), whether `fn` passes or throws. It also fails the test when the host netns gained or
 * lost a tun/tap meanwhile: nothing here may touch the host.
 *
 * @example Usage
 * ```ts
 * import { withScratchNetns } from "./helpers.ts";
 * await withScratchNetns(async (ns) => console.log(ns.path));
 * ```
 */
export async function withScratchNetns<T>(fn: (ns: ScratchNetns) => T | Promise<T>): Promise<T> {
  const name = `tapt-${process.pid}-${uniq()}`;
  const added = run("ip", ["netns", "add", name]);
  if (added.status !== 0) throw new Error(`Cannot create netns "${name}": ${added.stderr}`);
  const hostBefore = ipTuntaps(undefined).join(" ");
  let result: T;
  try {
    result = await fn({ name, path: `/var/run/netns/${name}` });
  } finally {
    run("ip", ["netns", "del", name]);
  }
  const hostAfter = ipTuntaps(undefined).join(" ");
  if (hostAfter !== hostBefore) {
    throw new Error(`The host netns changed: tun/tap "${hostBefore}" became "${hostAfter}"`);
  }
  return result;
}

/** What `ip -d -j link show` reports for one device, or undefined when it does not exist. */
// deno-lint-ignore no-explicit-any
export function ipLink(ns: string | undefined, name: string): any {
  const r = run("ip", [...(ns ? ["-n", ns] : []), "-d", "-j", "link", "show", "dev", name]);
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout)[0];
}

/** Names of the tun/tap devices in a namespace (the host's when ns is undefined), per iproute2. */
export function ipTuntaps(ns: string | undefined): string[] {
  const r = run("ip", [...(ns ? ["-n", ns] : []), "-j", "-d", "link", "show", "type", "tun"]);
  if (r.status !== 0) throw new Error(`ip link failed: ${r.stderr}`);
  return (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

/** Runs an ip command in a namespace and throws when it fails. */
export function ip(ns: string, ...args: string[]): string {
  const r = run("ip", ["-n", ns, ...args]);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Runs a command inside the named network namespace (`ip netns exec`), as {@linkcode run} does:
 * it returns the status and output and never throws on a non-zero exit, since some tests expect
 * one. `ip netns exec` also mounts the namespace's own /sys, so sysfs shows its devices.
 *
 * @example Usage
 * ```ts
 * import { runInNetns, withScratchNetns } from "./helpers.ts";
 * await withScratchNetns((ns) => runInNetns(ns.name, "readlink", ["/proc/self/ns/net"]).stdout);
 * ```
 */
export function runInNetns(
  ns: string,
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2] = {},
): Ran {
  return run("ip", ["netns", "exec", ns, cmd, ...args], opts);
}

/**
 * Runs `fn` with a fresh temporary directory, removed afterwards whatever happens.
 *
 * @example Usage
 * ```ts
 * import { withTempDir } from "./helpers.ts";
 * await withTempDir("tap-ipam-", (dir) => console.log(dir));
 * ```
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => T | Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CNI error as a plugin prints it on stdout. */
export interface CniErrorOutput {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/**
 * The CNI error a plugin printed on stdout. It throws when stdout is not JSON, which fails the
 * test: a plugin that failed must say why in the spec's form.
 *
 * @example Usage
 * ```ts
 * import { cniError } from "./helpers.ts";
 * cniError({ stdout: '{"code":7,"msg":"no"}' }).code; // 7
 * ```
 */
export function cniError(r: { stdout: string }): CniErrorOutput {
  return JSON.parse(r.stdout);
}

/**
 * The msg and details of the CNI error on stdout, as one string to match a pattern against
 * (the reference plugin puts some causes in msg and others in details).
 *
 * @example Usage
 * ```ts
 * import { cniErrorText } from "./helpers.ts";
 * cniErrorText({ stdout: '{"code":7,"msg":"no","details":"why"}' }); // "no why"
 * ```
 */
export function cniErrorText(r: { stdout: string }): string {
  const e = cniError(r);
  return `${e.msg} ${e.details ?? ""}`;
}

/** The leases host-local holds for a network in `dataDir`: one file per reserved IP, sorted. */
export function leases(dataDir: string, network: string): string[] {
  try {
    return readdirSync(`${dataDir}/${network}`).filter((f) => /^[0-9a-f.:]+$/.test(f)).sort();
  } catch {
    return [];
  }
}
