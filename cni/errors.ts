/**
 * CNI error type and its wire format.
 *
 * A CNI plugin reports failure by printing `{"code", "msg", "details"}` on stdout and
 * exiting non-zero; runtimes (libcni) read `code` and `msg`, `details` is optional.
 *
 * @example Usage
 * ```ts
 * import { CniError, ErrorCode, formatError } from "./errors.ts";
 *
 * const err = new CniError(ErrorCode.InvalidConfig, "missing network name");
 * const stdout = formatError(err, "1.1.0"); // {"cniVersion": "1.1.0", "code": 7, ...}
 * ```
 *
 * @module
 */

/**
 * The well-known CNI error codes (SPEC.md, plus Go's 8 and 999).
 *
 * @example Usage
 * ```ts
 * import { ErrorCode } from "./errors.ts";
 *
 * ErrorCode.InvalidEnv; // 4
 * ```
 */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  IOFailure: 5,
  Decoding: 6,
  InvalidConfig: 7,
  InvalidNetns: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  Internal: 999,
} as const;

/**
 * The JSON shape of a CNI error, as printed on stdout.
 *
 * @example Usage
 * ```ts
 * import type { CniErrorJson } from "./errors.ts";
 *
 * const json: CniErrorJson = { code: 7, msg: "missing network name" };
 * ```
 */
export interface CniErrorJson {
  /** Spec version of the error; listed by the spec, ignored by libcni. */
  cniVersion?: string;
  /** Error code, see {@linkcode ErrorCode}. */
  code: number;
  /** Short message. */
  msg: string;
  /** Longer explanation; absent when empty. */
  details?: string;
}

/**
 * An error that carries a CNI error code, a message and optional details.
 *
 * @example Usage
 * ```ts
 * import { CniError } from "./errors.ts";
 *
 * const err = new CniError(1, "incompatible CNI versions", 'config is "9.9.9"');
 * err.message; // 'incompatible CNI versions: config is "9.9.9"'
 * ```
 */
export class CniError extends Error {
  /** CNI error code, see {@linkcode ErrorCode}. */
  readonly code: number;
  /** The message as printed in the `msg` field. */
  readonly msg: string;
  /** The details as printed in the `details` field; never an empty string. */
  // `declare`: a class field would create the property (as undefined) even without details.
  declare readonly details?: string;

  /**
   * Creates a CNI error.
   *
   * @param code CNI error code.
   * @param msg Short message (the `msg` field).
   * @param details Optional details (the `details` field); an empty string counts as none.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(code: number, msg: string, details?: string, options?: ErrorOptions) {
    super(details ? `${msg}: ${details}` : msg, options);
    this.name = "CniError";
    this.code = code;
    this.msg = msg;
    if (details) this.details = details;
  }

  /**
   * Returns the wire form without `cniVersion` (see {@linkcode formatError} for that).
   *
   * @returns `{code, msg}` plus `details` when present.
   *
   * @example Usage
   * ```ts
   * import { CniError } from "./errors.ts";
   *
   * JSON.stringify(new CniError(7, "missing network name")); // '{"code":7,"msg":"missing network name"}'
   * ```
   */
  toJSON(): CniErrorJson {
    return this.details === undefined
      ? { code: this.code, msg: this.msg }
      : { code: this.code, msg: this.msg, details: this.details };
  }
}

/**
 * Formats a CNI error as the JSON text a plugin prints on stdout: 4-space indent, no
 * trailing newline, keys `cniVersion` (when given), `code`, `msg`, `details` (when present).
 *
 * @param err The error to print.
 * @param cniVersion The request's spec version, if known.
 * @returns The JSON text.
 *
 * @example Usage
 * ```ts
 * import { CniError, formatError } from "./errors.ts";
 *
 * formatError(new CniError(7, "missing network name"));
 * // '{\n    "code": 7,\n    "msg": "missing network name"\n}'
 * ```
 */
export function formatError(err: CniError, cniVersion?: string): string {
  const json: CniErrorJson = cniVersion ? { cniVersion, ...err.toJSON() } : err.toJSON();
  return JSON.stringify(json, null, 4);
}

/**
 * Quotes a string the way Go's `%q` does for ordinary text, so messages copied from the
 * Go plugins read the same.
 *
 * @param value The string to quote.
 * @returns The value in double quotes, with `"`, `\` and control characters escaped.
 *
 * @example Usage
 * ```ts
 * import { quote } from "./errors.ts";
 *
 * quote('a"b'); // '"a\\"b"'
 * ```
 */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Formats a list of strings the way Go's `%q` formats a `[]string`: `["a" "b"]`.
 *
 * @param values The strings to list.
 * @returns The quoted values, space-separated, in square brackets.
 *
 * @example Usage
 * ```ts
 * import { quoteList } from "./errors.ts";
 *
 * quoteList(["FOO=bar", "X=1"]); // '["FOO=bar" "X=1"]'
 * ```
 */
export function quoteList(values: readonly string[]): string {
  return `[${values.map(quote).join(" ")}]`;
}
