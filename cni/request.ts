/**
 * A CNI request, validated as skel does, plus the checks of this plugin.
 *
 * @module
 */
import { type NetConf, parseNetConf } from "./conf.ts";
import { type CniEnv, readCniEnv } from "./env.ts";
import { CniError, ErrorCode } from "./errors.ts";

/** One validated CNI request, before anything is done with it. */
export interface Request {
  env: CniEnv;
  conf: NetConf;
  stdin: string;
}

/**
 * Validates the environment and the config of a request (not VERSION), as skel does, plus the
 * checks of this plugin. Pure: it reads nothing and changes nothing, so it can be fuzzed.
 *
 * @throws {CniError} With the spec's code for every bad input.
 *
 * @example Usage
 * ```ts
 * import { parseRequest } from "./request.ts";
 * const env = { CNI_COMMAND: "DEL", CNI_CONTAINERID: "c1", CNI_IFNAME: "tap0" };
 * parseRequest((k) => env[k as keyof typeof env], '{"cniVersion":"1.0.0","name":"n"}');
 * ```
 */
export function parseRequest(get: (name: string) => string | undefined, stdin: string): Request {
  const env = readCniEnv(get);
  checkIfname(env);
  return { env, conf: parseNetConf(stdin, { command: env.command }), stdin };
}

function checkIfname(env: CniEnv): void {
  if (env.command !== "VERSION" && env.ifname.includes("%")) {
    // The kernel would read it as a template and pick another name.
    throw new CniError(
      ErrorCode.InvalidEnv,
      "interface name contains %",
      `CNI_IFNAME "${env.ifname}" would be read as a name template`,
    );
  }
}
