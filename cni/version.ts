/**
 * CNI spec versions: the supported list, comparison, families, command gating and the
 * `VERSION` report.
 *
 * @example Usage
 * ```ts
 * import { compareVersions, versionFamily } from "./version.ts";
 *
 * compareVersions("0.4.0", "1.0.0"); // -1
 * versionFamily("0.3.1"); // "0.3"
 * ```
 *
 * @module
 */

import { CniError, ErrorCode, quote, quoteList } from "./errors.ts";
import { getFold, isJsonObject, parseJson } from "./json.ts";

// Every supported version and its result format, oldest first ("" is what a config without
// cniVersion means). A Map, not an object literal, so that names like "constructor" are not found.
const FAMILIES: ReadonlyMap<string, VersionFamily> = new Map([
  ["", "0.1"],
  ["0.1.0", "0.1"],
  ["0.2.0", "0.1"],
  ["0.3.0", "0.3"],
  ["0.3.1", "0.3"],
  ["0.4.0", "0.3"],
  ["1.0.0", "1"],
  ["1.1.0", "1"],
]);

/**
 * Every spec version this plugin implements, oldest first (libcni's `version.All`).
 *
 * @example Usage
 * ```ts
 * import { SUPPORTED_VERSIONS } from "./version.ts";
 *
 * SUPPORTED_VERSIONS.includes("0.4.0"); // true
 * ```
 */
export const SUPPORTED_VERSIONS: readonly string[] = Object.freeze(
  [...FAMILIES.keys()].filter((version) => version !== ""),
);

/**
 * A group of spec versions that share one result format.
 *
 * @example Usage
 * ```ts
 * import type { VersionFamily } from "./version.ts";
 *
 * const family: VersionFamily = "0.3";
 * ```
 */
export type VersionFamily = "0.1" | "0.3" | "1";

/**
 * The newest spec version: what this plugin's results are converted from.
 *
 * @example Usage
 * ```ts
 * import { NEWEST_VERSION } from "./version.ts";
 *
 * NEWEST_VERSION; // "1.1.0"
 * ```
 */
export const NEWEST_VERSION = "1.1.0";

const MINIMUM_VERSION = { CHECK: "0.4.0", STATUS: "1.1.0", GC: "1.1.0" } as const;

/**
 * Tells whether a version string is one of {@linkcode SUPPORTED_VERSIONS} (exact match,
 * as skel's version reconciler does).
 *
 * @param version The version string.
 * @returns `true` when supported.
 *
 * @example Usage
 * ```ts
 * import { isSupportedVersion } from "./version.ts";
 *
 * isSupportedVersion("1.1"); // false
 * ```
 */
export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_VERSIONS.includes(version);
}

/**
 * Compares two versions of up to three dot-separated integers (`"1.1"` is fine, as in Go's
 * `version.ParseVersion`); an empty string means `"0.1.0"`.
 *
 * @param a The first version.
 * @param b The second version.
 * @returns A negative number when `a < b`, 0 when equal, a positive number when `a > b`.
 * @throws {CniError} Code 6 when either version cannot be parsed.
 *
 * @example Usage
 * ```ts
 * import { compareVersions } from "./version.ts";
 *
 * compareVersions("1.1", "1.1.0"); // 0
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

function parseVersion(version: string): number[] {
  if (version === "") return [0, 1, 0];
  const parts = version.split(".");
  if (parts.length > 3) {
    throw new CniError(
      ErrorCode.Decoding,
      `Cannot parse version ${quote(version)}`,
      "too many parts",
    );
  }
  return parts.map((part) => {
    // strconv.Atoi accepts a sign and leading zeros; nothing else.
    if (!/^[+-]?[0-9]+$/.test(part)) {
      throw new CniError(
        ErrorCode.Decoding,
        `Cannot parse version ${quote(version)}`,
        `${quote(part)} is not an integer`,
      );
    }
    return Number(part);
  });
}

/**
 * Returns the result-format family of a spec version.
 *
 * @param version A supported version, or `""` (which means 0.1.0).
 * @returns `"0.1"` for "", 0.1.0 and 0.2.0; `"0.3"` for 0.3.0, 0.3.1 and 0.4.0; `"1"` for
 *   1.0.0 and 1.1.0.
 * @throws {CniError} Code 1 for any other version.
 *
 * @example Usage
 * ```ts
 * import { versionFamily } from "./version.ts";
 *
 * versionFamily("1.1.0"); // "1"
 * ```
 */
export function versionFamily(version: string): VersionFamily {
  const family = FAMILIES.get(version);
  if (family === undefined) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `Cannot use CNI version ${quote(version)}`,
      `plugin supports ${quoteList(SUPPORTED_VERSIONS)}`,
    );
  }
  return family;
}

/**
 * Lists the supported versions of one family, e.g. `["1.0.0", "1.1.0"]`.
 *
 * @param family The family.
 * @returns Its versions, oldest first.
 *
 * @example Usage
 * ```ts
 * import { familyVersions } from "./version.ts";
 *
 * familyVersions("0.3"); // ["0.3.0", "0.3.1", "0.4.0"]
 * ```
 */
export function familyVersions(family: VersionFamily): string[] {
  return SUPPORTED_VERSIONS.filter((version) => FAMILIES.get(version) === family);
}

/**
 * Checks that a request's `cniVersion` allows a command that newer specs added, in the
 * order skel checks it.
 *
 * @param command `CHECK` (needs 0.4.0), `STATUS` or `GC` (need 1.1.0).
 * @param version The request's `cniVersion`.
 * @throws {CniError} Code 6 when the version cannot be parsed; code 1
 *   `config version does not allow CHECK` when it is too old, or
 *   `plugin version does not allow CHECK` when it is newer than every supported version.
 *
 * @example Usage
 * ```ts
 * import { checkVersionAllows } from "./version.ts";
 *
 * checkVersionAllows("CHECK", "1.0.0"); // ok
 * ```
 */
export function checkVersionAllows(command: "CHECK" | "STATUS" | "GC", version: string): void {
  if (compareVersions(version, MINIMUM_VERSION[command]) < 0) {
    throw new CniError(ErrorCode.IncompatibleVersion, `config version does not allow ${command}`);
  }
  if (compareVersions(NEWEST_VERSION, version) < 0) {
    throw new CniError(ErrorCode.IncompatibleVersion, `plugin version does not allow ${command}`);
  }
}

/**
 * Builds the `VERSION` command's output. It echoes the input's `cniVersion` when that is a
 * supported version (as the spec asks) and otherwise reports the newest one; it never
 * fails, because runtimes probe plugins with odd or empty stdin.
 *
 * @param stdinText Whatever was read from stdin, possibly nothing.
 * @returns Compact JSON, newline-terminated.
 *
 * @example Usage
 * ```ts
 * import { versionReport } from "./version.ts";
 *
 * versionReport('{"cniVersion":"0.4.0"}');
 * // '{"cniVersion":"0.4.0","supportedVersions":["0.1.0",...,"1.1.0"]}\n'
 * ```
 */
export function versionReport(stdinText: string): string {
  const report = { cniVersion: requestedVersion(stdinText), supportedVersions: SUPPORTED_VERSIONS };
  return `${JSON.stringify(report)}\n`;
}

function requestedVersion(stdinText: string): string {
  try {
    const conf = parseJson(stdinText);
    const version = isJsonObject(conf) ? getFold(conf, "cniVersion") : undefined;
    return typeof version === "string" && isSupportedVersion(version) ? version : NEWEST_VERSION;
  } catch {
    return NEWEST_VERSION;
  }
}
