/**
 * Reads and validates the `CNI_*` environment variables, following the Go skel package:
 * same order, same rules, same messages.
 *
 * @example Usage
 * ```ts
 * import { readCniEnv } from "./env.ts";
 *
 * // In the plugin: readCniEnv((name) => process.env[name])
 * const vars: Record<string, string> = { CNI_COMMAND: "VERSION" };
 * readCniEnv((name) => vars[name]).command; // "VERSION"
 * ```
 *
 * @module
 */

import { CniError, ErrorCode } from "./errors.ts";
import { IFNAMSIZ } from "../ffi/consts.ts";

/**
 * A CNI command, the value of `CNI_COMMAND`.
 *
 * @example Usage
 * ```ts
 * import type { CniCommand } from "./env.ts";
 *
 * const command: CniCommand = "ADD";
 * ```
 */
export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "STATUS" | "GC";

/**
 * The validated environment of one plugin invocation. Variables that were not set (or
 * were empty) are empty strings.
 *
 * @example Usage
 * ```ts
 * import type { CniEnv } from "./env.ts";
 *
 * function describe(env: CniEnv): string {
 *   return `${env.command} ${env.containerId}/${env.ifname}`;
 * }
 * ```
 */
export interface CniEnv {
  /** `CNI_COMMAND`. */
  command: CniCommand;
  /** `CNI_CONTAINERID`. */
  containerId: string;
  /** `CNI_NETNS`: path of the container's network namespace. */
  netns: string;
  /** `CNI_IFNAME`: interface name inside the container. */
  ifname: string;
  /** `CNI_ARGS`, unparsed (see `parseCniArgs` in `args.ts`). */
  args: string;
  /** `CNI_PATH` split on `:`, empty entries dropped. */
  path: string[];
  /** `CNI_NETNS_OVERRIDE` is `1` or `true` (any case). */
  netnsOverride: boolean;
}

const COMMANDS: readonly string[] = ["ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC"];

// IFNAMSIZ counts the terminating NUL.
const MAX_IFNAME_BYTES = IFNAMSIZ - 1;

/**
 * What container ids and network names may look like (Go's `utils.ValidateContainerID`
 * and `utils.ValidateNetworkName`): ASCII alphanumerics first, then also `_`, `.` and `-`.
 *
 * @example Usage
 * ```ts
 * import { CNI_NAME_PATTERN } from "./env.ts";
 *
 * CNI_NAME_PATTERN.test("-bad"); // false
 * ```
 */
export const CNI_NAME_PATTERN: RegExp = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

// Go's unicode.IsSpace: ASCII whitespace, U+0085, U+00A0 and the Z categories.
const IFNAME_FORBIDDEN = /[/:\t\n\v\f\r \u0085\p{Z}]/u;

interface EnvVariable {
  name: string;
  requiredFor: readonly string[];
  validate?: (value: string) => void;
}

// CNI_PATH is deliberately not required (skel requires it, the spec does not): the
// plugin needs it only to find an IPAM delegate, and fails there when it is missing.
const VARIABLES: readonly EnvVariable[] = [
  { name: "CNI_COMMAND", requiredFor: COMMANDS },
  { name: "CNI_CONTAINERID", requiredFor: ["ADD", "DEL", "CHECK"], validate: validateContainerId },
  { name: "CNI_NETNS", requiredFor: ["ADD", "CHECK"] },
  { name: "CNI_IFNAME", requiredFor: ["ADD", "DEL", "CHECK"], validate: validateIfname },
  { name: "CNI_ARGS", requiredFor: [] },
  { name: "CNI_PATH", requiredFor: [] },
];

/**
 * Reads the `CNI_*` variables the way skel does: in the order `CNI_COMMAND`,
 * `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`, `CNI_ARGS`, `CNI_PATH`; an empty value
 * counts as unset; a variable that is set and required for the command is validated at
 * once; then missing required variables are reported together; then an unknown command.
 *
 * @param get Looks a variable up, e.g. `(name) => process.env[name]`.
 * @returns The environment.
 * @throws {CniError} Code 4 with skel's messages: `required env variables [CNI_NETNS,CNI_IFNAME] missing`,
 *   `invalid characters in containerID`, `interface name is too long`, ...,
 *   `unknown CNI_COMMAND: FOO`.
 *
 * @example Usage
 * ```ts
 * import { readCniEnv } from "./env.ts";
 *
 * const vars: Record<string, string> = {
 *   CNI_COMMAND: "DEL",
 *   CNI_CONTAINERID: "ctr1",
 *   CNI_IFNAME: "tap0",
 * };
 * readCniEnv((name) => vars[name]).netns; // ""
 * ```
 */
export function readCniEnv(get: (name: string) => string | undefined): CniEnv {
  const command = get("CNI_COMMAND") ?? "";
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const variable of VARIABLES) {
    const value = get(variable.name) ?? "";
    const required = variable.requiredFor.includes(command) || variable.name === "CNI_COMMAND";
    if (value === "") {
      if (required) missing.push(variable.name);
    } else if (required) {
      variable.validate?.(value);
    }
    values.set(variable.name, value);
  }
  if (missing.length > 0) {
    throw new CniError(
      ErrorCode.InvalidEnv,
      `required env variables [${missing.join(",")}] missing`,
    );
  }
  if (!isCommand(command)) {
    throw new CniError(ErrorCode.InvalidEnv, `unknown CNI_COMMAND: ${command}`);
  }
  const override = get("CNI_NETNS_OVERRIDE") ?? "";
  return {
    command,
    containerId: values.get("CNI_CONTAINERID") ?? "",
    netns: values.get("CNI_NETNS") ?? "",
    ifname: values.get("CNI_IFNAME") ?? "",
    args: values.get("CNI_ARGS") ?? "",
    path: (values.get("CNI_PATH") ?? "").split(":").filter((dir) => dir !== ""),
    netnsOverride: override === "1" || override.toLowerCase() === "true",
  };
}

function isCommand(command: string): command is CniCommand {
  return COMMANDS.includes(command);
}

function validateContainerId(id: string): void {
  if (!CNI_NAME_PATTERN.test(id)) {
    throw new CniError(ErrorCode.InvalidEnv, "invalid characters in containerID", id);
  }
}

// Never sees an empty name: readCniEnv reports that as missing, as skel does.
function validateIfname(name: string): void {
  if (new TextEncoder().encode(name).length > MAX_IFNAME_BYTES) {
    throw new CniError(
      ErrorCode.InvalidEnv,
      "interface name is too long",
      `interface name should be less than ${MAX_IFNAME_BYTES + 1} characters`,
    );
  }
  if (name === "." || name === "..") {
    throw new CniError(ErrorCode.InvalidEnv, "interface name is . or ..");
  }
  if (IFNAME_FORBIDDEN.test(name)) {
    throw new CniError(
      ErrorCode.InvalidEnv,
      "interface name contains / or : or whitespace characters",
    );
  }
}
