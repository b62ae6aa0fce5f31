/**
 * IPAM delegation: exec the plugin named by `ipam.type`, found on CNI_PATH, with the same env
 * (CNI_COMMAND replaced) and the same stdin, as cni-spec §8 describes.
 *
 * It is only ever called outside the netns window: a child inherits the calling thread's
 * namespace, and every fd this program opens is O_CLOEXEC, so the child inherits no fd either.
 *
 * Two allowances for IPAM plugins older than spec 1.1.0 (Debian 12 ships 1.1.1 plugins, which
 * speak up to 1.0.0): a 1.1.0 request they refuse as an incompatible version is repeated at 1.0.0,
 * whose IPAM result format is the same; and STATUS or GC is skipped for a plugin whose VERSION
 * does not list 1.1.0, since it cannot know those commands.
 *
 * @module
 */
import type { CniEnv } from "./env.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { foldKey, isJsonObject, parseJson, parseJsonObject } from "./json.ts";
import { parseResult, type Result } from "./result.ts";
import { writeStderr } from "../core/stderr.ts";
import { libc } from "../ffi/libc.ts";
import { type Ran, runProgram } from "../core/spawn.ts";

/** A CNI command that is delegated to IPAM. */
export type IpamCommand = "ADD" | "DEL" | "CHECK" | "STATUS" | "GC";

/** What a delegation needs: the plugin type, the environment and the exact stdin. */
export interface IpamRequest {
  type: string;
  env: CniEnv;
  stdin: string;
  cniVersion: string;
}

/** Finds `type` on CNI_PATH and runs it; a directory without it is skipped. */
async function execPlugin(
  req: IpamRequest,
  command: IpamCommand | "VERSION",
  stdin: string,
): Promise<Ran> {
  if (req.type.includes("/")) {
    throw new CniError(ErrorCode.InvalidConfig, `invalid ipam type "${req.type}": contains "/"`);
  }
  // Our own fds are all O_CLOEXEC; this also covers fds we inherited from whoever ran us (the
  // reference plugin does the same for fds 3 to 255 before it runs ip).
  libc.cloexecFrom(3);
  for (const dir of req.env.path) {
    let r: Ran | undefined;
    try {
      r = await runProgram(`${dir}/${req.type}`, [], { CNI_COMMAND: command }, stdin);
    } catch (err) {
      throw new CniError(
        ErrorCode.Internal,
        `failed to run IPAM plugin "${req.type}"`,
        (err as Error).message,
      );
    }
    if (r === undefined) continue;
    if (r.stderr) writeStderr(r.stderr);
    return r;
  }
  throw new CniError(
    ErrorCode.Internal,
    `failed to find plugin "${req.type}" in path [${req.env.path.join(" ")}]`,
  );
}

/** The delegate's error, passed up with its own code. */
function delegateError(req: IpamRequest, out: Ran): CniError {
  try {
    const e = parseJson(out.stdout);
    if (isJsonObject(e) && typeof e.code === "number" && typeof e.msg === "string") {
      // Its own code, and a message that says where it came from.
      const details = typeof e.details === "string" ? e.details : undefined;
      return new CniError(e.code, `IPAM plugin "${req.type}": ${e.msg}`, details);
    }
  } catch { /* not JSON: fall through */ }
  return new CniError(
    ErrorCode.Internal,
    `IPAM plugin "${req.type}" failed with exit status ${out.status}`,
    out.stdout.trim() || undefined,
  );
}

/** Whether the plugin's VERSION answer lists `version`. */
async function speaks(req: IpamRequest, version: string): Promise<boolean> {
  const out = await execPlugin(req, "VERSION", JSON.stringify({ cniVersion: version }));
  try {
    const v = parseJson(out.stdout);
    return out.status === 0 && isJsonObject(v) && Array.isArray(v.supportedVersions) &&
      v.supportedVersions.includes(version);
  } catch {
    return false;
  }
}

/** stdin with its top-level cniVersion replaced. */
function withVersion(stdin: string, version: string): string {
  const conf = parseJsonObject(stdin);
  for (const key of Object.keys(conf)) if (foldKey(key) === "CNIVERSION") delete conf[key];
  return JSON.stringify({ cniVersion: version, ...conf });
}

/**
 * Runs one IPAM command. ADD returns the result (converted to the internal model); the others
 * return undefined.
 *
 * @throws {CniError} The delegate's own error (its code kept), or 999 when it cannot be run.
 *
 * @example Usage
 * ```ts
 * import { execIpam } from "./ipam.ts";
 * declare const req: import("./ipam.ts").IpamRequest;
 * const result = await execIpam("ADD", req);
 * console.log(result?.ips);
 * ```
 */
export async function execIpam(
  command: IpamCommand,
  req: IpamRequest,
): Promise<Result | undefined> {
  if ((command === "STATUS" || command === "GC") && !(await speaks(req, "1.1.0"))) {
    writeStderr(`tap: IPAM plugin "${req.type}" predates ${command}; skipped\n`);
    return undefined;
  }
  let out = await execPlugin(req, command, req.stdin);
  let version = req.cniVersion;
  if (out.status !== 0) {
    const err = delegateError(req, out);
    if (
      err.code === ErrorCode.IncompatibleVersion && version === "1.1.0" &&
      (command === "ADD" || command === "DEL" || command === "CHECK")
    ) {
      version = "1.0.0";
      out = await execPlugin(req, command, withVersion(req.stdin, version));
    } else {
      throw err;
    }
    if (out.status !== 0) throw delegateError(req, out);
  }
  if (command !== "ADD") return undefined;
  let raw: unknown;
  try {
    raw = parseJson(out.stdout);
  } catch (err) {
    throw new CniError(
      ErrorCode.Decoding,
      `failed to decode the result of IPAM plugin "${req.type}"`,
      (err as Error).message,
    );
  }
  const own = isJsonObject(raw) && typeof raw.cniVersion === "string" ? raw.cniVersion : version;
  return parseResult(raw, own);
}
