/**
 * The CNI entry point: reads CNI_* and stdin, dispatches on CNI_COMMAND, and prints the result
 * or the error JSON on stdout. VERSION and every input error are answered without loading libc.
 *
 * @module
 */
import { readFileSync, writeSync } from "node:fs";
import process from "node:process";
import { parseNetConf } from "./conf.ts";
import { readCniEnv } from "./env.ts";
import { CniError, ErrorCode, formatError } from "./errors.ts";
import { versionReport } from "./version.ts";

function write(text: string): void {
  if (text !== "") writeSync(1, text);
}

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (err) {
    throw new CniError(ErrorCode.IOFailure, "error reading from stdin", (err as Error).message);
  }
}

/**
 * Runs one CNI command from the environment and stdin; prints the result or the error JSON on
 * stdout and returns the exit status.
 *
 * @example Usage
 * ```ts
 * import process from "node:process";
 * import { pluginMain } from "./main.ts";
 * process.exitCode = await pluginMain();
 * ```
 */
export async function pluginMain(): Promise<number> {
  let version: string | undefined;
  try {
    const env = readCniEnv((name) => process.env[name]);
    if (env.command !== "VERSION" && env.ifname.includes("%")) {
      // The kernel would read it as a template and pick another name.
      throw new CniError(
        ErrorCode.InvalidEnv,
        "interface name contains %",
        `CNI_IFNAME "${env.ifname}" would be read as a name template`,
      );
    }
    if (env.command === "VERSION") {
      write(versionReport(readStdinQuietly()));
      return 0;
    }
    const stdin = readStdin();
    if (/"plugins"\s*:/.test(stdin)) {
      process.stderr.write(
        'tap: stdin has a "plugins" key: a plugin reads one plugin object with "name" and ' +
          '"cniVersion" added, not a whole conflist; "plugins" is ignored\n',
      );
    }
    const conf = parseNetConf(stdin, { command: env.command });
    version = conf.cniVersion;
    const req = { env, conf, stdin };
    const { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } = await import("./plugin.ts");
    switch (env.command) {
      case "ADD":
        write(cmdAdd(req));
        break;
      case "DEL":
        cmdDel(req);
        break;
      case "CHECK":
        cmdCheck(req);
        break;
      case "STATUS":
        cmdStatus(req);
        break;
      case "GC":
        cmdGc(req);
        break;
    }
    return 0;
  } catch (err) {
    const cniErr = err instanceof CniError
      ? err
      : new CniError(ErrorCode.Internal, err instanceof Error ? err.message : String(err));
    if (!(err instanceof CniError) && process.env.TAP_DEBUG) {
      process.stderr.write(`${(err as Error).stack}\n`);
    }
    write(formatError(cniErr, version));
    return 1;
  }
}

function readStdinQuietly(): string {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}
