/**
 * The CNI entry point: reads CNI_* and stdin, dispatches on CNI_COMMAND, and prints the result
 * or the error JSON on stdout. VERSION and every input error are answered without loading libc.
 *
 * Logs go to stderr only: a warning when the input looks wrong, and with TAP_DEBUG=1 one JSON
 * object per line for the start, the end and any error of the call. The config itself is never
 * logged (it may hold secrets of other plugins).
 *
 * @module
 */
import { writeSync } from "node:fs";
import process from "node:process";
import { CniError, ErrorCode, formatError } from "./errors.ts";
import { versionReport } from "./version.ts";
import { writeStderr } from "../core/stderr.ts";
import { readAllStdin } from "../core/stdin.ts";

function write(text: string): void {
  if (text !== "") writeSync(1, text);
}

function readStdin(quiet: boolean): string {
  try {
    return readAllStdin();
  } catch (err) {
    if (quiet) return "";
    throw new CniError(ErrorCode.IOFailure, "error reading from stdin", (err as Error).message);
  }
}

/** A structured debug log line on stderr, when TAP_DEBUG is set. */
function debug(event: string, fields: Record<string, unknown>): void {
  if (process.env.TAP_DEBUG) {
    writeStderr(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }) + "\n");
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
  const started = performance.now();
  let version: string | undefined;
  let where: Record<string, unknown> = {};
  try {
    const get = (name: string): string | undefined => process.env[name];
    if (get("CNI_COMMAND") === "VERSION") {
      write(versionReport(readStdin(true)));
      return 0;
    }
    const stdin = readStdin(false);
    // Loaded after VERSION is answered: VERSION needs neither zod nor libc.
    const { parseRequest } = await import("./request.ts");
    const req = parseRequest(get, stdin);
    const { env } = req;
    where = {
      command: env.command,
      containerId: env.containerId,
      netns: env.netns,
      ifname: env.ifname,
    };
    debug("start", where);
    if (/"plugins"\s*:/.test(stdin)) {
      writeStderr(
        'tap: stdin has a "plugins" key: a plugin reads one plugin object with "name" and ' +
          '"cniVersion" added, not a whole conflist; "plugins" is ignored\n',
      );
    }
    version = req.conf.cniVersion;
    const { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } = await import("./plugin.ts");
    switch (env.command) {
      case "ADD":
        write(await cmdAdd(req));
        break;
      case "DEL":
        await cmdDel(req);
        break;
      case "CHECK":
        await cmdCheck(req);
        break;
      case "STATUS":
        await cmdStatus(req);
        break;
      case "GC":
        await cmdGc(req);
        break;
    }
    debug("done", { ...where, ms: Math.round(performance.now() - started) });
    return 0;
  } catch (err) {
    const cniErr = err instanceof CniError
      ? err
      : new CniError(ErrorCode.Internal, err instanceof Error ? err.message : String(err));
    debug("error", { ...where, code: cniErr.code, msg: cniErr.msg, details: cniErr.details });
    if (!(err instanceof CniError) && process.env.TAP_DEBUG) {
      writeStderr(`${(err as Error).stack}\n`);
    }
    write(formatError(cniErr, version));
    return 1;
  }
}
