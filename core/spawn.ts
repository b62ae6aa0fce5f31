/**
 * Runs another program and collects its status and output: the IPAM delegate of the CNI plugin,
 * and this program itself for a create under an SELinux label.
 *
 * The child is forked synchronously, in the call, on the calling (JS) thread, before the returned
 * promise first waits. That matters twice: the child inherits the thread's network namespace and
 * its SELinux exec label, and both are per thread.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";

/** How a child ended. */
export interface Ran {
  /** Its exit status (1 when it was killed by a signal). */
  status: number;
  /** Its stdout, as UTF-8. */
  stdout: string;
  /** Its stderr, as UTF-8. */
  stderr: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Deno: Deno.Command adds `env` to the inherited environment without reading it, so a scoped
 * --allow-env is enough (node:child_process in Deno reads the whole environment).
 */
async function denoRun(
  path: string,
  args: string[],
  env: Record<string, string>,
  stdin: string,
): Promise<Ran | undefined> {
  const D = (globalThis as unknown as { Deno: typeof Deno }).Deno;
  let child: Deno.ChildProcess;
  try {
    child = new D.Command(path, { args, env, stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
  } catch (err) {
    if (err instanceof D.errors.NotFound || err instanceof D.errors.NotADirectory) return undefined;
    throw err;
  }
  const writer = child.stdin.getWriter();
  try {
    await writer.write(encoder.encode(stdin));
    await writer.close();
  } catch (err) {
    // A child may exit without reading stdin (a plugin's VERSION does): its status tells.
    if (!(err instanceof D.errors.BrokenPipe)) throw err;
  }
  const out = await child.output();
  return {
    status: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Bun and Node: node:child_process, loaded on first use (most calls never spawn). */
function nodeRun(
  path: string,
  args: string[],
  env: Record<string, string>,
  stdin: string,
): Promise<Ran | undefined> {
  return new Promise((resolve, reject) => {
    const { spawn } = process.getBuiltinModule("node:child_process");
    const child = spawn(path, args, { env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on(
      "error",
      (e: NodeJS.ErrnoException) =>
        e.code === "ENOENT" || e.code === "ENOTDIR" ? resolve(undefined) : reject(e),
    );
    child.on("close", (code) =>
      resolve({
        status: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }));
    child.stdin.on("error", () => {/* the child exited without reading; its status tells */});
    child.stdin.end(stdin);
  });
}

/**
 * Runs `path` with `args`, the inherited environment plus `env`, and `stdin`; resolves to
 * undefined when there is no such file.
 *
 * @example Usage
 * ```ts
 * import { runProgram } from "./spawn.ts";
 * const ran = await runProgram("/usr/lib/cni/host-local", [], { CNI_COMMAND: "VERSION" }, "{}");
 * console.log(ran?.stdout);
 * ```
 */
export const runProgram: (
  path: string,
  args: string[],
  env: Record<string, string>,
  stdin: string,
) => Promise<Ran | undefined> = "Deno" in globalThis ? denoRun : nodeRun;

/**
 * Whether this program is a `bun build --compile` binary (its script lives in Bun's virtual
 * file system), which is its own program: it installs itself, and re-runs without a script.
 *
 * @example Usage
 * ```ts
 * import { isCompiledBinary } from "./spawn.ts";
 * console.log(isCompiledBinary() ? "dist/tap" : "a runtime and a script");
 * ```
 */
export function isCompiledBinary(): boolean {
  return (process.argv[1] ?? "").startsWith("/$bunfs/");
}
