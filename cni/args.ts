/**
 * Parses `CNI_ARGS` (`K=V;K=V`) with the rules of Go's `types.LoadArgs`.
 *
 * @example Usage
 * ```ts
 * import { parseCniArgs } from "./args.ts";
 *
 * parseCniArgs("IgnoreUnknown=1;K8S_POD_NAME=web;MAC=50:00:00:00:00:10").mac;
 * // "50:00:00:00:00:10"
 * ```
 *
 * @module
 */

import { CniError, ErrorCode, quote, quoteList } from "./errors.ts";

/**
 * The parsed `CNI_ARGS`.
 *
 * @example Usage
 * ```ts
 * import type { CniArgs } from "./args.ts";
 *
 * const args: CniArgs = { ignoreUnknown: false, pairs: [] };
 * ```
 */
export interface CniArgs {
  /** `MAC=`: the requested MAC address; absent when not given or empty. */
  mac?: string;
  /** `IP=`: the requested IP (with optional prefix); absent when not given or empty. */
  ip?: string;
  /** `IgnoreUnknown=`: unknown keys are accepted. */
  ignoreUnknown: boolean;
  /** Every pair, in order, known or not. */
  pairs: ReadonlyArray<readonly [string, string]>;
}

// The keys the Go tap plugin's args struct has (MAC, and IgnoreUnknown from CommonArgs),
// plus the IP convention. Keys are case-sensitive, as Go's FieldByName is.
const KNOWN_KEYS: readonly string[] = ["IgnoreUnknown", "MAC", "IP"];

/**
 * Parses `CNI_ARGS`: pairs separated by `;`, each split on `=` into exactly two parts.
 * Keys other than `IgnoreUnknown`, `MAC` and `IP` are an error unless `IgnoreUnknown` is
 * true, wherever it appears. Runtimes such as Kubernetes send `IgnoreUnknown=1` with their
 * `K8S_POD_*` keys. When a key repeats, the last value wins.
 *
 * @param text The value of `CNI_ARGS`; empty means no pairs.
 * @returns The parsed args.
 * @throws {CniError} Code 4 (`invalid CNI_ARGS: ...`) for a pair without exactly one `=`, an
 *   `IgnoreUnknown` value that is not a boolean, or unknown keys without `IgnoreUnknown`.
 *
 * @example Usage
 * ```ts
 * import { parseCniArgs } from "./args.ts";
 *
 * parseCniArgs("IgnoreUnknown=true;FOO=bar").ignoreUnknown; // true
 * ```
 */
export function parseCniArgs(text: string): CniArgs {
  const pairs: Array<readonly [string, string]> = [];
  let ignoreUnknown = false;
  // Checked pair by pair, so the first bad pair is the one reported, as in Go.
  for (const pair of text === "" ? [] : text.split(";")) {
    const [key, value] = splitPair(pair);
    if (key === "IgnoreUnknown") ignoreUnknown = parseBool(value);
    pairs.push([key, value]);
  }
  const unknown = pairs.filter(([key]) => !KNOWN_KEYS.includes(key));
  if (unknown.length > 0 && !ignoreUnknown) {
    throw invalidArgs(
      `unknown args ${quoteList(unknown.map(([key, value]) => `${key}=${value}`))}`,
    );
  }
  const values = new Map(pairs);
  const mac = values.get("MAC");
  const ip = values.get("IP");
  return { ...(mac ? { mac } : {}), ...(ip ? { ip } : {}), ignoreUnknown, pairs };
}

function splitPair(pair: string): [string, string] {
  const parts = pair.split("=");
  if (parts.length !== 2) throw invalidArgs(`invalid pair ${quote(pair)}`);
  return [parts[0] ?? "", parts[1] ?? ""];
}

// Go's UnmarshallableBool lower-cases the text, so "TRUE" is accepted too.
function parseBool(value: string): boolean {
  switch (value.toLowerCase()) {
    case "1":
    case "true":
      return true;
    case "0":
    case "false":
      return false;
  }
  throw invalidArgs(`invalid boolean ${quote(value)} for IgnoreUnknown`);
}

function invalidArgs(problem: string): CniError {
  return new CniError(ErrorCode.InvalidEnv, `invalid CNI_ARGS: ${problem}`);
}
